package e2e

// Authentication hardening and the request and audit logs, against the
// built binary: the lockout policy per account and client address (the
// clients bind 127.0.0.x source addresses, all loopback on Linux), a flood
// of bad guesses answered fast while the administrator logs in from
// elsewhere, the audit log of ONTAP and Commvault changes read through
// GET /api/security/audit/messages without secrets, and one JSON request
// line per request on each listener in the server's log.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/testkit"
)

// clientFrom returns a copy of base (keeping its TLS settings) whose
// connections leave from the loopback address ip.
func clientFrom(t testing.TB, base *http.Client, ip string) *http.Client {
	t.Helper()
	tr, ok := base.Transport.(*http.Transport)
	if !ok || tr == nil {
		tr = http.DefaultTransport.(*http.Transport)
	}
	tr = tr.Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	tr.DisableKeepAlives = false
	return &http.Client{Transport: tr, Timeout: base.Timeout}
}

// adminClients returns an ONTAP and a Commvault client of srv's
// management listener whose requests come from ip.
func adminClients(t testing.TB, srv *cofferServer, ip, pass string) (*ontapClient, *cvClient) {
	t.Helper()
	hc := clientFrom(t, srv.AdminClient(30*time.Second), ip)
	return &ontapClient{base: srv.AdminEndpoint(), user: cofferAdminUser, pass: pass, hc: hc},
		&cvClient{base: srv.AdminEndpoint(), hc: hc}
}

func cvLoginReply(t testing.TB, c *cvClient, user, pass string) cvReply {
	t.Helper()
	return c.do(t, "POST", "/Login", map[string]any{"username": user, "password": b64s(pass)})
}

// Five bad passwords from one address lock the administrator from that
// address only, in both dialects; from another address it logs in.
func TestAuthLockout_perAccountAndAddress(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t)
	a, cvA := adminClients(t, srv, "127.0.0.2", "wrong-password")
	b, cvB := adminClients(t, srv, "127.0.0.3", cofferAdminPassword)

	for i := 1; i <= 5; i++ {
		r := a.do(t, "GET", "/api/cluster", nil).mustError(t, 401, "6", "")
		if i == 5 && !strings.Contains(r.str("error.message"), "locked") {
			t.Fatalf("5th failure did not lock: %s", r.Raw)
		}
	}
	a.pass = cofferAdminPassword // the right password, from the locked address
	r := a.do(t, "GET", "/api/cluster", nil).mustError(t, 401, "6", "")
	if !strings.Contains(r.str("error.message"), "locked") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("locked ONTAP answer: %v %s", r.Header, r.Raw)
	}
	l := cvLoginReply(t, cvA, cofferAdminUser, cofferAdminPassword).must(t, 401)
	if l.str("isAccountLocked") != "true" || l.num("remainingLockTime") < 1 ||
		!strings.Contains(l.str("errList.0.errLogMessage"), "locked") || l.num("errList.0.errorCode") != 6 {
		t.Fatalf("locked Commvault Login: %s", l.Raw)
	}
	// From elsewhere: both dialects work.
	b.do(t, "GET", "/api/cluster", nil).must(t, 200)
	cvLoginReply(t, cvB, cofferAdminUser, cofferAdminPassword).must(t, 200)

	// The same through Commvault's Login from a third address: it locks
	// (admin, C) in both dialects, and B is still fine.
	c, cvC := adminClients(t, srv, "127.0.0.4", cofferAdminPassword)
	for i := 1; i <= 5; i++ {
		l = cvLoginReply(t, cvC, cofferAdminUser, "wrong-password").must(t, 401)
		if l.num("loginAttempts") != int64(i) {
			t.Fatalf("attempt %d: %s", i, l.Raw)
		}
	}
	if l.str("isAccountLocked") != "true" {
		t.Fatalf("5th Login failure did not lock: %s", l.Raw)
	}
	r = c.do(t, "GET", "/api/cluster", nil).mustError(t, 401, "6", "")
	if !strings.Contains(r.str("error.message"), "locked") {
		t.Fatalf("ONTAP from C after Commvault lockout: %s", r.Raw)
	}
	b.do(t, "GET", "/api/cluster", nil).must(t, 200)
}

// A flood of bad guesses from one address costs a handful of password
// hashes and is answered fast; meanwhile the administrator logs in (a
// real hash: the first login of the server) from another address.
func TestAuthLockout_floodAnsweredFast(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t)
	flood, _ := adminClients(t, srv, "127.0.0.5", "wrong-password")
	good, cvGood := adminClients(t, srv, "127.0.0.6", cofferAdminPassword)

	const workers, each = 8, 40
	var mu sync.Mutex
	var slow []time.Duration
	locked, statuses := 0, map[int]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				t0 := time.Now()
				r := flood.do(t, "GET", "/api/svm/svms", nil)
				d := time.Since(t0)
				mu.Lock()
				statuses[r.Status]++
				if strings.Contains(r.Raw, "locked") {
					locked++
				} else if d > 100*time.Millisecond {
					slow = append(slow, d)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // the flood is on
	t0 := time.Now()
	cvLoginReply(t, cvGood, cofferAdminUser, cofferAdminPassword).must(t, 200)
	good.do(t, "GET", "/api/cluster", nil).must(t, 200)
	goodTook := time.Since(t0)
	wg.Wait()
	took := time.Since(start)
	t.Logf("flood: %d requests in %v (%v), %d answered locked; the good login took %v", workers*each, took, statuses, locked, goodTook)
	if statuses[401] != workers*each {
		t.Fatalf("flood statuses %v, want all 401", statuses)
	}
	if locked < workers*each-5 {
		t.Fatalf("%d of %d guesses answered locked, want all but at most 5 (the hashed ones)", locked, workers*each)
	}
	if len(slow) > 5 {
		t.Fatalf("%d unlocked guesses took over 100ms: %v", len(slow), slow)
	}
	if took > 20*time.Second || goodTook > 10*time.Second {
		t.Fatalf("flood took %v, good login %v", took, goodTook)
	}
}

// An ONTAP change and a Commvault change are both in the audit log, with
// who, where, what, before and after, and no secret.
func TestAudit_ontapAndCommvaultChanges(t *testing.T) {
	t.Parallel()
	on := ontapAPI(t)
	cv := cvAPI(t)
	svm := on.mkSVM(t)
	uname := ontapName(t, "aud")
	ak, sk := "AKAUD"+strings.ToUpper(randHex(8)), "SK"+randHex(19)
	on.do(t, "POST", "/api/protocols/s3/services/"+svm.UUID+"/users",
		map[string]any{"name": uname, "comment": "before", "access_key": ak, "secret_key": sk}).must(t, 201)
	on.do(t, "PATCH", "/api/protocols/s3/services/"+svm.UUID+"/users/"+uname, map[string]any{"comment": "after"}).must(t, 200)

	cvName := "aud-" + randHex(6)
	cvPass := "cv-secret-" + randHex(6)
	id := cv.mkUser(t, cvName, cvPass)
	_, cvSecret := cv.keys(t, id)

	r := on.do(t, "GET", "/api/security/audit/messages?fields=*&input=*"+uname+"*", nil).must(t, 200)
	recs := r.records()
	if len(recs) < 2 {
		t.Fatalf("ONTAP changes in the audit log: %s", r.Raw)
	}
	var post, patch map[string]any
	for _, rec := range recs {
		in, _ := rec["input"].(string)
		switch {
		case strings.HasPrefix(in, "POST "):
			post = rec
		case strings.HasPrefix(in, "PATCH "):
			patch = rec
		}
	}
	if post == nil || patch == nil {
		t.Fatalf("POST and PATCH records: %s", r.Raw)
	}
	for _, rec := range []map[string]any{post, patch} {
		if rec["user"] != cofferAdminUser || rec["application"] != "ontap" || rec["state"] != "success" ||
			rec["location"] != "127.0.0.1" || rec["scope"] != "svm" || rec["command_id"] == "" {
			t.Fatalf("record %v", rec)
		}
	}
	if c := testkit.Lookup(patch, "before.comment"); c != "before" {
		t.Fatalf("PATCH before.comment = %v: %v", c, patch)
	}
	if c := testkit.Lookup(patch, "after.comment"); c != "after" {
		t.Fatalf("PATCH after.comment = %v: %v", c, patch)
	}
	if !strings.Contains(post["input"].(string), `"secret_key":"********"`) {
		t.Fatalf("POST input not redacted as expected: %v", post["input"])
	}

	r = on.do(t, "GET", "/api/security/audit/messages?fields=*&application=commvault&input=*V4/User*", nil).must(t, 200)
	var create, rotate map[string]any
	for _, rec := range r.records() {
		in, _ := rec["input"].(string)
		switch {
		case strings.HasPrefix(in, "POST ") && strings.Contains(in, cvName):
			create = rec
		case strings.HasPrefix(in, "PUT ") && strings.Contains(in, fmt.Sprintf("/V4/User/%d/S3AccessKey", id)):
			rotate = rec
		}
	}
	if create == nil || rotate == nil {
		t.Fatalf("Commvault create and rotate records: %s", r.Raw)
	}
	if create["user"] != cofferAdminUser || create["state"] != "success" || create["location"] != "127.0.0.1" {
		t.Fatalf("create record %v", create)
	}
	if testkit.Lookup(rotate, "after.accessKeyID") == nil {
		t.Fatalf("rotate record without after: %v", rotate)
	}
	// No secret anywhere in the log.
	all := on.do(t, "GET", "/api/security/audit/messages?fields=**", nil).must(t, 200)
	for _, secret := range []string{sk, cvPass, b64s(cvPass), cvSecret, svm.RootSK, cofferAdminPassword} {
		if strings.Contains(all.Raw, secret) {
			t.Fatalf("the audit log holds a secret (%.6s...)", secret)
		}
	}
	// Paging: max_records with a next link.
	p := on.do(t, "GET", "/api/security/audit/messages?max_records=1", nil).must(t, 200)
	if p.num("num_records") != 1 || p.str("_links.next.href") == "" {
		t.Fatalf("paged audit list: %s", p.Raw)
	}
	// Without credentials: 401, as every ONTAP endpoint.
	on.doAuth(t, "GET", "/api/security/audit/messages", nil, "", "").mustError(t, 401, "6", "")
}

// logLines returns the server log's JSON lines named "request".
func logLines(t testing.TB, srv *cofferServer) []map[string]any {
	t.Helper()
	f, err := os.Open(srv.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		var m map[string]any
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &m) != nil {
			continue
		}
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// Each listener logs one JSON line at info per request, with the request
// id its answer carried.
func TestRequestLog_bothListeners(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t)
	s3c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	bucket := bucketName(t)
	if _, err := s3c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	_, err := s3c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("no/such/key")})
	s3ID := errHeader(err, "X-Amz-Request-Id")
	on, cv := adminClients(t, srv, "127.0.0.1", cofferAdminPassword)
	r := on.do(t, "GET", "/api/cluster", nil).must(t, 200)
	ontapID := r.Header.Get("X-Request-Id")
	l := cvLoginReply(t, cv, cofferAdminUser, "wrong-password").must(t, 401)
	cvID := l.Header.Get("X-Request-Id")
	if s3ID == "" || ontapID == "" || cvID == "" {
		t.Fatalf("request ids: s3 %q ontap %q commvault %q", s3ID, ontapID, cvID)
	}
	// The server writes its log every 100 ms.
	byID := map[string]map[string]any{}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range logLines(t, srv) {
			if id, _ := m["request_id"].(string); id != "" {
				byID[id] = m
			}
		}
		if byID[s3ID] != nil && byID[ontapID] != nil && byID[cvID] != nil {
			break
		}
	}
	want := map[string]map[string]any{
		s3ID: {"level": "INFO", "listener": "s3", "dialect": "s3", "op": "HeadObject", "bucket": bucket, "key": "no/such/key",
			"status": 404.0, "error_code": "NoSuchKey", "principal": "root"},
		ontapID: {"level": "INFO", "listener": "admin", "dialect": "ontap", "op": "GET cluster", "principal": cofferAdminUser,
			"status": 200.0, "error_code": ""},
		cvID: {"level": "INFO", "listener": "admin", "dialect": "commvault", "op": "POST login", "status": 401.0,
			"error_code": "INVALID_USER", "remote": "127.0.0.1"},
	}
	for id, fields := range want {
		m := byID[id]
		if m == nil {
			t.Fatalf("no request line with request_id %s in the log:\n%s", id, srv.logTail())
		}
		for k, v := range fields {
			if m[k] != v {
				t.Errorf("%s line: %s = %v, want %v (%v)", fields["dialect"], k, m[k], v, m)
			}
		}
		for _, k := range []string{"bytes_in", "bytes_out", "duration_ms", "tenant", "method"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s line has no %s: %v", fields["dialect"], k, m)
			}
		}
	}
	if m := byID[s3ID]; m != nil && m["tenant"] == "" {
		t.Errorf("S3 line without tenant: %v", m)
	}
}

// Error bodies of both dialects quote at most a bounded excerpt of the
// request: long names, unknown fields and paths are cut.
func TestErrors_boundedExcerpt(t *testing.T) {
	t.Parallel()
	on := ontapAPI(t)
	cv := cvAPI(t)
	long := strings.Repeat("x", 5000)
	check := func(what string, status int, raw string) {
		t.Helper()
		if len(raw) > 1500 || strings.Contains(raw, strings.Repeat("x", 200)) {
			t.Fatalf("%s: HTTP %d, %d-byte body echoes the input: %.300s", what, status, len(raw), raw)
		}
		if status < 400 {
			t.Fatalf("%s: HTTP %d, want an error: %.300s", what, status, raw)
		}
	}
	r := on.do(t, "POST", "/api/svm/svms", map[string]any{"name": long})
	check("ONTAP long SVM name", r.Status, r.Raw)
	r = on.do(t, "POST", "/api/svm/svms", map[string]any{"name": "ok-name", long: 1})
	check("ONTAP unknown field", r.Status, r.Raw)
	r = on.do(t, "GET", "/api/svm/svms?"+long+"=1", nil)
	check("ONTAP unknown query parameter", r.Status, r.Raw)
	r = on.do(t, "GET", "/api/svm/svms?name="+long+"&max_records="+long, nil)
	check("ONTAP invalid max_records", r.Status, r.Raw)
	c := cv.do(t, "GET", "/V4/"+long, nil)
	check("Commvault unknown path", c.Status, c.Raw)
	c = cv.do(t, "POST", "/V4/user", map[string]any{"users": []any{map[string]any{"name": long, "email": long + "@example.com"}}})
	check("Commvault long user name", c.Status, c.Raw)
	c = cv.do(t, "GET", "/Job/"+long, nil)
	check("Commvault invalid job id", c.Status, c.Raw)
}
