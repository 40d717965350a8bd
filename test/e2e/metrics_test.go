package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The metrics token of the private server of these tests.
const metricsToken = "e2e-metrics-token-0123456789"

// metricsGet GETs path from a management listener with the given
// Authorization header ("" for none).
func metricsGet(t *testing.T, base, path, auth string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), "GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := adminHTTPClient(30 * time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// scrapeMetrics reads and parses /metrics (the text format, as Prometheus
// asks for it).
func scrapeMetrics(t *testing.T, base, auth string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := metricsGet(t, base, "/metrics", auth)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// metricValue is the value (a histogram's count) of the series of name
// whose labels include kv (name, value, ...); 0 when there is none.
func metricValue(fams map[string]*dto.MetricFamily, name string, kv ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if have[kv[i]] != kv[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

func basicAuth(user, pass string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// /metrics with a token: refused without credentials or with a wrong
// token, served with the token (or the administrator's password); S3 and
// ONTAP requests move their counters; the storage, kv and runtime metrics
// are there; the per-minute history counts the same requests.
func TestMetrics_scrapeAfterS3AndONTAP(t *testing.T) {
	srv := startPrivateCoffer(t, "COFFER_METRICS_TOKEN="+metricsToken)
	base := srv.AdminEndpoint()
	bearer := "Bearer " + metricsToken

	for _, c := range []struct{ name, auth string }{{"anonymous", ""}, {"wrong token", "Bearer not-the-token-at-all"},
		{"wrong password", basicAuth(cofferAdminUser, "wrong-password")}} {
		for _, path := range []string{"/metrics", "/api/coffer/stats"} {
			resp, _ := metricsGet(t, base, path, c.auth)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s: %d, want 401", c.name, path, resp.StatusCode)
			}
			if ch := strings.Join(resp.Header.Values("WWW-Authenticate"), ", "); !strings.Contains(ch, "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", c.name, path, ch)
			}
		}
	}
	scrapeMetrics(t, base, basicAuth(cofferAdminUser, cofferAdminPassword)) // the administrator may read too

	before := scrapeMetrics(t, base, bearer)

	c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	ctx := ctxT(t)
	bucket := bucketName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	big := randBytes(200 << 10) // above the inline limit: a blob file
	for i, body := range [][]byte{big, []byte("small")} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k%d", i)),
			Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k0")})
	mustEqualBytes(t, "GetObject", got, big)
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	if errStatus(err) != 404 {
		t.Fatalf("HeadObject missing: %v", err)
	}
	for _, path := range []string{"/api/cluster", "/api/svm/svms", "/api/svm/svms/no-such-uuid"} {
		resp, body := metricsGet(t, base, path, basicAuth(cofferAdminUser, cofferAdminPassword))
		if path != "/api/svm/svms/no-such-uuid" && resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}

	after := scrapeMetrics(t, base, bearer)
	delta := func(name string, kv ...string) float64 {
		return metricValue(after, name, kv...) - metricValue(before, name, kv...)
	}
	for _, w := range []struct {
		name string
		kv   []string
		want float64
	}{
		{"coffer_requests_total", []string{"dialect", "s3", "op", "CreateBucket", "status_class", "2xx"}, 1},
		{"coffer_requests_total", []string{"dialect", "s3", "op", "PutObject", "status_class", "2xx"}, 2},
		{"coffer_requests_total", []string{"dialect", "s3", "op", "GetObject", "status_class", "2xx"}, 1},
		{"coffer_requests_total", []string{"dialect", "s3", "op", "HeadObject", "status_class", "4xx"}, 1},
		{"coffer_request_duration_seconds", []string{"dialect", "s3", "op", "PutObject"}, 2},
		{"coffer_requests_total", []string{"dialect", "ontap", "op", "GET cluster", "status_class", "2xx"}, 1},
		{"coffer_requests_total", []string{"dialect", "ontap", "op", "GET svms", "status_class", "2xx"}, 1},
		{"coffer_requests_total", []string{"dialect", "ontap", "op", "GET svm", "status_class", "4xx"}, 1},
		{"coffer_request_duration_seconds", []string{"dialect", "ontap", "op", "GET cluster"}, 1},
		// The first scrape with the token was counted (after it was written).
		{"coffer_requests_total", []string{"dialect", "metrics", "op", "scrape", "status_class", "2xx"}, 1},
	} {
		if d := delta(w.name, w.kv...); d != w.want {
			t.Errorf("%s%v moved by %v, want %v", w.name, w.kv, d, w.want)
		}
	}
	if d := delta("coffer_request_received_bytes_total", "dialect", "s3", "op", "PutObject"); d < float64(len(big)) {
		t.Errorf("PutObject bytes received moved by %v, want >= %d", d, len(big))
	}
	if d := delta("coffer_request_sent_bytes_total", "dialect", "s3", "op", "GetObject"); d < float64(len(big)) {
		t.Errorf("GetObject bytes sent moved by %v, want >= %d", d, len(big))
	}
	// The raw path never becomes a label.
	for _, m := range after["coffer_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "/") || strings.Contains(l.GetValue(), bucket) {
				t.Errorf("label %s=%q carries a path", l.GetName(), l.GetValue())
			}
		}
	}
	for _, w := range []struct {
		name string
		kv   []string
	}{
		{"coffer_blob_operation_duration_seconds", []string{"op", "commit"}},
		{"coffer_blob_operation_duration_seconds", []string{"op", "sync"}},
		{"coffer_kv_operation_duration_seconds", []string{"op", "update"}},
		{"coffer_kv_commits_total", nil},
		{"coffer_kv_wal_fsync_duration_seconds", nil},
		{"coffer_kv_group_commit_size", nil},
		{"coffer_credential_cache_hits_total", nil},
	} {
		if d := delta(w.name, w.kv...); d <= 0 {
			t.Errorf("%s%v did not move (%v)", w.name, w.kv, d)
		}
	}
	if v := metricValue(after, "coffer_tenant_bytes", "tenant", "default"); v < float64(len(big)+5) {
		t.Errorf("coffer_tenant_bytes{tenant=default} = %v, want >= %d", v, len(big)+5)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "coffer_build_info", "coffer_gc_backlog_blobs", "coffer_node_up"} {
		if after[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	if metricValue(after, "coffer_jobs", "state", "failure") != 0 || after["coffer_jobs"] == nil {
		t.Errorf("coffer_jobs: %v", after["coffer_jobs"])
	}

	resp, body := metricsGet(t, base, "/api/coffer/stats", bearer)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/coffer/stats: %d %s", resp.StatusCode, body)
	}
	var stats struct {
		IntervalSeconds int `json:"interval_seconds"`
		Minutes         []struct {
			Requests     float64 `json:"requests"`
			ClientErrors float64 `json:"client_errors"`
		} `json:"minutes"`
	}
	if err := json.Unmarshal(body, &stats); err != nil {
		t.Fatalf("stats: %v: %s", err, body)
	}
	var reqs, errs4 float64
	for _, m := range stats.Minutes {
		reqs += m.Requests
		errs4 += m.ClientErrors
	}
	// At least: 6 S3 requests, 3 ONTAP, the scrapes, the refused ones.
	if stats.IntervalSeconds != 60 || len(stats.Minutes) != 60 || reqs < 15 || errs4 < 2 {
		t.Errorf("stats: %d s, %d minutes, %v requests, %v client errors", stats.IntervalSeconds, len(stats.Minutes), reqs, errs4)
	}
}

// Without a token, the shared server's /metrics takes the administrator's
// credentials and nothing else.
func TestMetrics_defaultNeedsAdministrator(t *testing.T) {
	requireTarget(t)
	if suite.peer {
		t.Skip("Coffer's management listener")
	}
	base := sharedSrv.AdminEndpoint()
	if resp, _ := metricsGet(t, base, "/metrics", ""); resp.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("anonymous: %d %q, want 401 with a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, _ := metricsGet(t, base, "/metrics", "Bearer "+metricsToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a token where none is configured: %d, want 401", resp.StatusCode)
	}
	fams := scrapeMetrics(t, base, basicAuth(cofferAdminUser, cofferAdminPassword))
	if fams["coffer_requests_total"] == nil || fams["go_goroutines"] == nil {
		t.Errorf("families: %d, no request or runtime metrics", len(fams))
	}
}

// COFFER_METRICS_PUBLIC=1 opens /metrics to anyone.
func TestMetrics_public(t *testing.T) {
	srv := startPrivateCoffer(t, "COFFER_METRICS_PUBLIC=1")
	fams := scrapeMetrics(t, srv.AdminEndpoint(), "")
	if fams["coffer_build_info"] == nil {
		t.Errorf("no coffer_build_info in %d families", len(fams))
	}
}
