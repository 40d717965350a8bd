package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"coffer/internal/reqlog"
	"coffer/internal/s3api"
)

func newPublic(t testing.TB) *Metrics {
	t.Helper()
	m, err := New(Options{Auth: Auth{Public: true}, Version: "v-test"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestObserveS3_series(t *testing.T) {
	m := newPublic(t)
	now := time.Now()
	for range 3 {
		m.ObserveS3(s3api.Served{Op: s3api.OpPutObject, Status: 200, BytesIn: 100, Start: now, Duration: 3 * time.Millisecond})
	}
	m.ObserveS3(s3api.Served{Op: s3api.OpGetObject, Status: 206, BytesOut: 7, Start: now, Duration: time.Millisecond})
	m.ObserveS3(s3api.Served{Op: s3api.OpGetObject, Status: 404, Start: now, Duration: time.Millisecond})
	m.ObserveS3(s3api.Served{Op: s3api.OpKind(9999), Status: 503, Start: now}) // out of range: Unknown
	_, fams := scrape(t, m.Handler(), "")
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{nameRequests, labels("dialect", "s3", "op", "PutObject", "status_class", "2xx"), 3},
		{nameRequests, labels("dialect", "s3", "op", "GetObject", "status_class", "2xx"), 1},
		{nameRequests, labels("dialect", "s3", "op", "GetObject", "status_class", "4xx"), 1},
		{nameRequests, labels("dialect", "s3", "op", "Unknown", "status_class", "5xx"), 1},
		{nameDuration, labels("dialect", "s3", "op", "PutObject"), 3},
		{nameIn, labels("dialect", "s3", "op", "PutObject"), 300},
		{nameOut, labels("dialect", "s3", "op", "GetObject"), 7},
		{"coffer_build_info", labels("version", "v-test"), 1},
	} {
		if got, ok := sample(fams, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// Only what happened is exported: no 5xx series for PutObject, no
	// series at all for an operation never served.
	if _, ok := sample(fams, nameRequests, labels("op", "PutObject", "status_class", "5xx")); ok {
		t.Error("PutObject 5xx exported before any")
	}
	if _, ok := sample(fams, nameRequests, labels("op", "ListBuckets")); ok {
		t.Error("ListBuckets exported before any")
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := sample(fams, name, nil); !ok {
			t.Errorf("no runtime metric %s", name)
		}
	}
}

// The S3 path allocates nothing once an operation's series exist.
func TestObserveS3_noAllocations(t *testing.T) {
	m := newPublic(t)
	s := s3api.Served{Op: s3api.OpGetObject, Status: 200, BytesOut: 1024, Start: time.Now(), Duration: time.Millisecond}
	m.ObserveS3(s)
	if n := testing.AllocsPerRun(1000, func() { m.ObserveS3(s) }); n != 0 {
		t.Errorf("ObserveS3 allocates %v times per request", n)
	}
}

func TestObserveRequest_boundedOps(t *testing.T) {
	m := newPublic(t)
	now := time.Now()
	obs := func(dialect, op, path string, status int) {
		m.ObserveRequest(reqlog.Summary{Dialect: dialect, Operation: op, Path: path, Status: status, Start: now})
	}
	obs("ontap", "GET svms", "/api/svm/svms", 200)
	obs("ontap", "", "/api/no/such/thing", 404) // unrouted: never the path
	obs("health", "", "/health/ready", 200)
	obs("coffer", "", "/api/coffer/kms/keys", 200)
	for i := range maxOpsPerDialect + 10 {
		obs("commvault", fmt.Sprintf("GET op%d", i), "/", 200)
	}
	for i := range maxDialects + 3 {
		obs(fmt.Sprintf("d%d", i), "x", "/", 500)
	}
	_, fams := scrape(t, m.Handler(), "")
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{labels("dialect", "ontap", "op", "GET svms", "status_class", "2xx"), 1},
		{labels("dialect", "ontap", "op", "other", "status_class", "4xx"), 1},
		{labels("dialect", "health", "op", "ready"), 1},
		{labels("dialect", "coffer", "op", "kms"), 1},
		{labels("dialect", "commvault", "op", "other"), 10},
		{labels("dialect", "metrics", "op", "scrape"), 0}, // this scrape is not counted by the middleware here
	} {
		got, _ := sample(fams, nameRequests, c.labels)
		if got != c.want {
			t.Errorf("%v = %v, want %v", c.labels, got, c.want)
		}
	}
	dialects, ops := map[string]bool{}, map[string]bool{}
	for _, s := range fams[nameRequests].GetMetric() {
		for _, l := range s.GetLabel() {
			switch l.GetName() {
			case "dialect":
				dialects[l.GetValue()] = true
			case "op":
				if strings.HasPrefix(l.GetValue(), "GET op") {
					ops[l.GetValue()] = true
				}
			}
		}
	}
	if len(dialects) > maxDialects+1 || !dialects[otherLabel] {
		t.Errorf("%d dialects (%v), want at most %d plus other", len(dialects), dialects, maxDialects)
	}
	if len(ops) != maxOpsPerDialect {
		t.Errorf("%d commvault ops, want %d", len(ops), maxOpsPerDialect)
	}
}

func BenchmarkObserveS3(b *testing.B) {
	m := newPublic(b)
	s := s3api.Served{Op: s3api.OpGetObject, Status: 200, BytesIn: 0, BytesOut: 1024, Start: time.Now(), Duration: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveS3(s)
	}
}

func BenchmarkObserveS3_parallel(b *testing.B) {
	m := newPublic(b)
	s := s3api.Served{Op: s3api.OpGetObject, Status: 200, BytesOut: 1024, Start: time.Now(), Duration: time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveS3(s)
		}
	})
}
