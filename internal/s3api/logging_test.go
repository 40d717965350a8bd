package s3api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/sigv4"
)

// The first record of AWS's example log, from its fields.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html
func TestLogRecordMatchesAWSExample(t *testing.T) {
	const want = `79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes` + "\n"
	owner := "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	l := logRecord{
		BucketOwner: owner, Bucket: "amzn-s3-demo-bucket1",
		Time:     time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC),
		RemoteIP: "192.0.2.3", Requester: owner, RequestID: "3E57427F3EXAMPLE", Operation: "REST.GET.VERSIONING",
		RequestURI: "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1", Status: 200, BytesSent: 113, ObjectSize: -1,
		TotalTime: 7, TurnAroundTime: -1, UserAgent: "S3Console/0.4",
		HostID:     "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
		SigVersion: "SigV4", CipherSuite: "ECDHE-RSA-AES128-GCM-SHA256", AuthType: "AuthHeader",
		HostHeader: "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com", TLSVersion: "TLSV1.2",
		AccessPointARN: "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP", ACLRequired: "Yes",
	}
	if got := string(l.appendTo(nil)); got != want {
		t.Fatalf("record:\n%s\nwant:\n%s", got, want)
	}
}

// logFields splits a record into its fields, quoted ones whole.
var logFieldRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+`)

func TestLogRecordQuotingAndKeys(t *testing.T) {
	l := logRecord{Bucket: "b", Time: time.Unix(0, 0), Key: "a b/ü+%.txt", RequestURI: `GET /b/x"y HTTP/1.1`,
		Status: 404, ErrorCode: "NoSuchKey", UserAgent: "agent\nwith newline", ObjectSize: 0, TotalTime: 0, TurnAroundTime: 0}
	line := string(l.appendTo(nil))
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("not one line: %q", line)
	}
	f := logFieldRE.FindAllString(line, -1)
	if len(f) != 26 {
		t.Fatalf("%d fields in %q", len(f), line)
	}
	if f[7] != "a%20b/%C3%BC%2B%25.txt" || f[8] != `"GET /b/x\"y HTTP/1.1"` || f[10] != "NoSuchKey" || f[16] != `"agent?with newline"` {
		t.Fatalf("fields %q", f)
	}
	if f[0] != "-" || f[12] != "0" || f[15] != `"-"` {
		t.Fatalf("dash fields %q", f)
	}
}

func TestParseLoggingStatus(t *testing.T) {
	tests := []struct {
		name, doc string
		want      *loggingConfig
		kind      errs.Kind
	}{
		{"disable", `<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/" />`, nil, 0},
		{"simple", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>app/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`,
			&loggingConfig{TargetBucket: "logs", TargetPrefix: "app/"}, 0},
		{"grants accepted", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix></TargetPrefix><TargetGrants><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></TargetGrants></LoggingEnabled></BucketLoggingStatus>`,
			&loggingConfig{TargetBucket: "logs"}, 0},
		{"partitioned", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`,
			&loggingConfig{TargetBucket: "logs", TargetPrefix: "p/", Partitioned: true, EventTime: true}, 0},
		{"simple prefix format", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix><TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`,
			&loggingConfig{TargetBucket: "logs", TargetPrefix: "p/"}, 0},
		{"both formats", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`, nil, errs.MalformedXML},
		{"bad date source", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>Now</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`, nil, errs.MalformedXML},
		{"no target", `<BucketLoggingStatus><LoggingEnabled><TargetPrefix>p</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`, nil, errs.MalformedXML},
		{"not xml", `<BucketLoggingStatus>`, nil, errs.MalformedXML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, c, err := parseLoggingStatus([]byte(tc.doc))
			if tc.kind != 0 {
				if errs.KindOf(err) != tc.kind {
					t.Fatalf("err %v, want %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c == nil) != (tc.want == nil) || c != nil && *c != *tc.want {
				t.Fatalf("%+v, want %+v", c, tc.want)
			}
		})
	}
}

func TestLogObjectKey(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	first := time.Date(2026, 3, 3, 23, 59, 0, 0, time.UTC)
	simple := logObjectKey(loggingConfig{TargetPrefix: "logs/"}, "ten", "us-east-1", "src", now, first)
	if !regexp.MustCompile(`^logs/2026-03-04-05-06-07-[0-9A-F]{16}$`).MatchString(simple) {
		t.Errorf("simple key %q", simple)
	}
	part := logObjectKey(loggingConfig{TargetPrefix: "p/", Partitioned: true}, "ten", "us-east-1", "src", now, first)
	if !regexp.MustCompile(`^p/ten/us-east-1/src/2026/03/04/2026-03-04-05-06-07-[0-9A-F]{16}$`).MatchString(part) {
		t.Errorf("partitioned key %q", part)
	}
	ev := logObjectKey(loggingConfig{Partitioned: true, EventTime: true}, "ten", "us-east-1", "src", now, first)
	if !strings.HasPrefix(ev, "ten/us-east-1/src/2026/03/03/2026-03-04-05-06-07-") {
		t.Errorf("event-time key %q", ev)
	}
}

func TestLogBufferDropsOldest(t *testing.T) {
	var dropped atomic.Uint64
	b := &logBuffer{}
	line := func(c byte) []byte { return []byte(strings.Repeat(string(c), 1<<20)) }
	for c := byte('a'); c < 'a'+10; c++ { // 10 MiB into an 8 MiB buffer
		b.push(line(c), &dropped)
	}
	if dropped.Load() != 2 || len(b.lines) != 8 || b.lines[0][0] != 'c' || b.size != 8<<20 {
		t.Fatalf("dropped %d, %d lines from %q, %d bytes", dropped.Load(), len(b.lines), b.lines[0][0], b.size)
	}
	b.push(line('z')[:10], &dropped) // the newest always stays
	if b.lines[len(b.lines)-1][0] != 'z' {
		t.Fatal("newest record dropped")
	}
}

// newClosableHarness is newHarness keeping the handler, to Close it.
func newClosableHarness(t *testing.T, mod func(*Options)) (*harness, io.Closer) {
	t.Helper()
	h := &harness{t: t, be: newFakeBackend(), authz: &fakeAuthz{}}
	h.opts = Options{Backend: h.be, Authorizer: h.authz,
		authenticate: func(r *http.Request) (core.Principal, *sigv4.Auth, error) {
			return testPrincipal, &sigv4.Auth{AccessKey: testPrincipal.AccessKey, Mode: sigv4.PayloadUnsigned, DecodedLength: -1}, nil
		}}
	if mod != nil {
		mod(&h.opts)
	}
	handler, err := New(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	return h, handler.(io.Closer)
}

func (h *harness) objectsIn(tenant, bucket string) map[string]string {
	h.be.mu.Lock()
	defer h.be.mu.Unlock()
	out := map[string]string{}
	b := h.be.buckets[tenant+"/"+bucket]
	for k, vs := range b.versions {
		out[k] = string(vs[len(vs)-1].data)
	}
	return out
}

func TestBucketLoggingDelivery(t *testing.T) {
	h, closer := newClosableHarness(t, nil)
	h.want(h.do("PUT", "/src", ""), 200)
	h.want(h.do("PUT", "/logs", ""), 200)
	enable := `<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>access/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`
	e := errorDoc(t, h.want(h.do("PUT", "/src?logging", strings.Replace(enable, ">logs<", ">nosuch<", 1)), 400))
	if e.Code != "InvalidTargetBucketForLogging" {
		t.Fatalf("missing target: %s", e.Code)
	}
	if got := h.want(h.do("GET", "/src?logging", ""), 200); strings.Contains(got, "LoggingEnabled") || !strings.Contains(got, "BucketLoggingStatus") {
		t.Fatalf("logging off: %s", got)
	}
	h.want(h.do("PUT", "/src?logging", enable), 200)
	if got := h.want(h.do("GET", "/src?logging", ""), 200); !strings.Contains(got, "<TargetBucket>logs</TargetBucket>") || !strings.Contains(got, "<TargetPrefix>access/</TargetPrefix>") {
		t.Fatalf("GetBucketLogging: %s", got)
	}

	h.want(h.do("PUT", "/src/dir/a.txt", "hello"), 200)
	h.want(h.do("GET", "/src/dir/a.txt", "", "User-Agent", "test-agent/1"), 200)
	h.want(h.do("GET", "/src/missing", ""), 404)
	h.want(h.do("GET", "/logs/unrelated", ""), 404) // logs has no logging: not recorded
	if n := len(h.objectsIn("t1", "logs")); n != 0 {
		t.Fatalf("%d log objects before the interval or Close", n)
	}
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	logs := h.objectsIn("t1", "logs")
	if len(logs) != 1 {
		t.Fatalf("log objects %v", logs)
	}
	for key, body := range logs {
		if !regexp.MustCompile(`^access/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$`).MatchString(key) {
			t.Errorf("key %q", key)
		}
		lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
		// PutBucketLogging's own request (logging is on once it is
		// served), GetBucketLogging, the PUT, the GET, the 404.
		ops := []string{"REST.PUT.LOGGING_STATUS", "REST.GET.LOGGING_STATUS", "REST.PUT.OBJECT", "REST.GET.OBJECT", "REST.GET.OBJECT"}
		if len(lines) != len(ops) {
			t.Fatalf("%d records:\n%s", len(lines), body)
		}
		for i, l := range lines {
			f := logFieldRE.FindAllString(l, -1)
			if len(f) != 26 {
				t.Fatalf("record %d has %d fields: %s", i, len(f), l)
			}
			if f[1] != "src" || f[6] != ops[i] || f[4] != testPrincipal.UserID {
				t.Errorf("record %d: bucket %s op %s requester %s", i, f[1], f[6], f[4])
			}
		}
		get := logFieldRE.FindAllString(lines[3], -1)
		if get[7] != "dir/a.txt" || get[9] != "200" || get[11] != "5" || get[12] != "5" || get[16] != `"test-agent/1"` || get[8] != `"GET /src/dir/a.txt HTTP/1.1"` {
			t.Errorf("GET record fields %q", get)
		}
		miss := logFieldRE.FindAllString(lines[4], -1)
		if miss[9] != "404" || miss[10] != "NoSuchKey" {
			t.Errorf("404 record fields %q", miss)
		}
	}
	// Disabling stops the records; Close twice is harmless.
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBucketLoggingInterval(t *testing.T) {
	h, closer := newClosableHarness(t, func(o *Options) { o.AccessLogInterval = 50 * time.Millisecond })
	defer closer.Close()
	h.want(h.do("PUT", "/src", ""), 200)
	h.want(h.do("PUT", "/src?logging", `<BucketLoggingStatus><LoggingEnabled><TargetBucket>src</TargetBucket><TargetPrefix>self/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`), 200)
	h.want(h.do("HEAD", "/src/x", ""), 404)
	deadline := time.Now().Add(5 * time.Second)
	for len(h.objectsIn("t1", "src")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no delivery within 5 s at a 50 ms interval")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Logging into the source bucket itself: deliveries are not requests,
	// so they are not logged; only the PUT ?logging that enabled it and the
	// HEAD are (the request that disables it is served with logging off).
	h.want(h.do("PUT", "/src?logging", `<BucketLoggingStatus/>`), 200)
	closer.Close()
	total := 0
	for k, body := range h.objectsIn("t1", "src") {
		if !strings.HasPrefix(k, "self/") {
			t.Fatalf("unexpected object %q", k)
		}
		total += strings.Count(body, "\n")
	}
	if total != 2 {
		t.Fatalf("%d records, want 2", total)
	}
}

func TestBucketTagging(t *testing.T) {
	h, _ := newCORSHarness(t)
	h.want(h.do("PUT", "/bkt", ""), 200)
	if e := errorDoc(t, h.want(h.do("GET", "/bkt?tagging", ""), 404)); e.Code != "NoSuchTagSet" {
		t.Fatalf("no tags: %s", e.Code)
	}
	tagging := func(pairs ...string) string {
		var b strings.Builder
		b.WriteString(`<Tagging><TagSet>`)
		for i := 0; i+1 < len(pairs); i += 2 {
			b.WriteString(`<Tag><Key>` + pairs[i] + `</Key><Value>` + pairs[i+1] + `</Value></Tag>`)
		}
		b.WriteString(`</TagSet></Tagging>`)
		return b.String()
	}
	put := func(doc string, status int) string {
		return h.want(h.do("PUT", "/bkt?tagging", doc, "Content-MD5", contentMD5(doc)), status)
	}
	var fifty, fiftyOne []string
	for i := 0; i < 51; i++ {
		kv := []string{"k" + strings.Repeat("x", i), "v"}
		if i < 50 {
			fifty = append(fifty, kv...)
		}
		fiftyOne = append(fiftyOne, kv...)
	}
	for name, doc := range map[string]string{
		"51 tags":   tagging(fiftyOne...),
		"duplicate": tagging("a", "1", "a", "2"),
		"aws:":      tagging("aws:cloudformation", "x"),
		"long key":  tagging(strings.Repeat("k", 129), "v"),
		"long val":  tagging("k", strings.Repeat("v", 257)),
		"empty key": tagging("", "v"),
	} {
		if e := errorDoc(t, put(doc, 400)); e.Code != "InvalidTag" {
			t.Errorf("%s: %s", name, e.Code)
		}
	}
	if e := errorDoc(t, h.want(h.do("PUT", "/bkt?tagging", tagging("a", "1")), 400)); e.Code != "InvalidRequest" {
		t.Fatalf("no Content-MD5: %s", e.Code)
	}
	put(tagging(fifty...), 204)
	put(tagging("team", "web", "cost-center", "42"), 204)
	got := h.want(h.do("GET", "/bkt?tagging", ""), 200)
	if !strings.Contains(got, "<Tag><Key>team</Key><Value>web</Value></Tag><Tag><Key>cost-center</Key><Value>42</Value></Tag>") || strings.Contains(got, "kxx") {
		t.Fatalf("GetBucketTagging: %s", got)
	}
	h.want(h.do("DELETE", "/bkt?tagging", ""), 204)
	h.want(h.do("GET", "/bkt?tagging", ""), 404)
	if e := errorDoc(t, h.want(h.do("GET", "/nob?tagging", ""), 404)); e.Code != "NoSuchBucket" {
		t.Fatalf("missing bucket: %s", e.Code)
	}
}
