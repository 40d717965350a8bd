package e2e

// Helpers for the ONTAP REST tests (ontap_*_test.go): an HTTP client for
// the management listener's /api with the harness's administrator, JSON
// decoding with dotted-path access, and fixtures (an SVM with its S3
// server, users, buckets through jobs) that clean up after themselves.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/testkit"
)

// ontapClient calls the ONTAP REST API of the server under test.
type ontapClient struct {
	base       string // https://host:port of the admin listener
	user, pass string
	hc         *http.Client
}

// ontapAPI returns a client for the shared server's ONTAP API. The ONTAP
// tests need a Coffer server started by the harness (its admin listener and
// administrator): they skip in peer mode.
func ontapAPI(t testing.TB) *ontapClient {
	t.Helper()
	requireTarget(t)
	if suite.peer || sharedSrv == nil {
		t.Skip("the ONTAP REST tests need a Coffer server started by the harness (peer mode)")
	}
	return &ontapClient{base: sharedSrv.AdminEndpoint(), user: cofferAdminUser, pass: cofferAdminPassword,
		hc: sharedSrv.AdminClient(2 * time.Minute)}
}

// ontapReply is a decoded ONTAP response.
type ontapReply struct{ testkit.Reply }

// do sends a request. body is nil (none), a string or []byte (sent as
// is), or any other value (JSON-encoded).
func (c *ontapClient) do(t testing.TB, method, path string, body any) ontapReply {
	t.Helper()
	return c.doAuth(t, method, path, body, c.user, c.pass)
}

func (c *ontapClient) doAuth(t testing.TB, method, path string, body any, user, pass string) ontapReply {
	t.Helper()
	rd := testkit.JSONBody(t, body)
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	req.Header.Set("Accept", "application/hal+json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return ontapReply{testkit.Send(t, c.hc, path, req)}
}

// must fails the test unless the status is one of want.
func (r ontapReply) must(t testing.TB, want ...int) ontapReply {
	t.Helper()
	r.Reply.Must(t, want...)
	return r
}

// mustError asserts an ONTAP error: HTTP status and error.code (and
// error.target when target != "").
func (r ontapReply) mustError(t testing.TB, status int, code, target string) ontapReply {
	t.Helper()
	if r.Status != status || r.str("error.code") != code || (target != "" && r.str("error.target") != target) {
		t.Fatalf("%s %s: got HTTP %d code %q target %q, want HTTP %d code %q target %q; body:\n%s",
			r.Method, r.Path, r.Status, r.str("error.code"), r.str("error.target"), status, code, target, r.Raw)
	}
	if r.str("error.message") == "" {
		t.Fatalf("%s %s: error without a message: %s", r.Method, r.Path, r.Raw)
	}
	return r
}

// get returns the value at a dotted path; numeric segments index arrays
// ("records.0.name").
func (r ontapReply) get(path string) any { return testkit.Lookup(r.Body, path) }

func (r ontapReply) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

func (r ontapReply) num(path string) int64 {
	switch n := r.get(path).(type) {
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return -1
}

func (r ontapReply) records() []map[string]any {
	arr, _ := r.get("records").([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// recordNames returns the name of each record.
func (r ontapReply) recordNames() []string {
	var out []string
	for _, rec := range r.records() {
		s, _ := rec["name"].(string)
		out = append(out, s)
	}
	return out
}

// ontapName returns a unique name derived from the test name, usable as an
// SVM, user, group or policy name.
func ontapName(t testing.TB, prefix string) string {
	s := strings.ToLower(t.Name())
	s = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(s, "-")
	s = strings.Trim(strings.TrimPrefix(s, "testontap"), "-")
	if len(s) > 24 {
		s = strings.Trim(s[:24], "-")
	}
	return prefix + "-" + s + "-" + randHex(6)
}

// ontapSVM is an SVM with an S3 server made for one test.
type ontapSVM struct {
	UUID, Name     string
	RootAK, RootSK string // the root user's keys (full access to the SVM's buckets)
}

// mkSVM creates an SVM and its S3 server, and deletes both (with every
// bucket, emptied with the root user's keys) when the test ends.
func (c *ontapClient) mkSVM(t testing.TB) ontapSVM {
	t.Helper()
	s := ontapSVM{Name: ontapName(t, "svm")}
	r := c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": s.Name, "comment": "e2e"}).must(t, 201)
	loc := r.Header.Get("Location")
	s.UUID = loc[strings.LastIndex(loc, "/")+1:]
	if s.UUID == "" {
		t.Fatalf("SVM POST: no uuid in Location %q", loc)
	}
	r = c.do(t, "POST", "/api/protocols/s3/services", map[string]any{
		"svm": map[string]any{"uuid": s.UUID}, "name": "s3." + s.Name + ".example.com",
	}).must(t, 201)
	for _, u := range r.get("records.0.users").([]any) {
		m := u.(map[string]any)
		if m["name"] == "root" {
			s.RootAK, s.RootSK = m["access_key"].(string), m["secret_key"].(string)
		}
	}
	if s.RootAK == "" {
		t.Fatalf("S3 server POST did not return the root user's keys: %s", r.Raw)
	}
	t.Cleanup(func() { c.destroySVM(t, s) })
	return s
}

// destroySVM empties and deletes every bucket of the SVM, deletes its S3
// server (delete_all) and the SVM. Failures are logged.
func (c *ontapClient) destroySVM(t testing.TB, s ontapSVM) {
	r := c.do(t, "GET", "/api/protocols/s3/services/"+s.UUID+"/buckets", nil)
	if r.Status == 200 {
		root := newClient(t, suite.endpoint, s.RootAK, s.RootSK)
		for _, name := range r.recordNames() {
			destroyBucket(t.Logf, root, name)
		}
	}
	r = c.do(t, "DELETE", "/api/protocols/s3/services/"+s.UUID+"?delete_all=true&return_timeout=60", nil)
	if r.Status != 200 && r.Status != 404 && r.Status != 409 {
		t.Logf("cleanup: delete S3 server of %s: HTTP %d %s", s.Name, r.Status, r.Raw)
	}
	if r = c.do(t, "DELETE", "/api/svm/svms/"+s.UUID+"?return_timeout=30", nil); r.Status != 200 && r.Status != 404 {
		t.Logf("cleanup: delete SVM %s: HTTP %d %s", s.Name, r.Status, r.Raw)
	}
}

// mkUser creates an S3 user and returns its keys.
func (c *ontapClient) mkUser(t testing.TB, svm, name string) (ak, sk string) {
	t.Helper()
	r := c.do(t, "POST", "/api/protocols/s3/services/"+svm+"/users", map[string]any{"name": name}).must(t, 201)
	return r.str("records.0.access_key"), r.str("records.0.secret_key")
}

// mkBucket creates a bucket through the SVM-scoped family (the job waited
// for with return_timeout) and returns its uuid. body may carry a policy,
// a size, versioning_state.
func (c *ontapClient) mkBucket(t testing.TB, svm, name string, body map[string]any) string {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["name"] = name
	r := c.do(t, "POST", "/api/protocols/s3/services/"+svm+"/buckets?return_timeout=60&return_records=true", body).must(t, 201)
	uuid := r.str("records.0.uuid")
	if uuid == "" {
		t.Fatalf("bucket POST: no uuid in %s", r.Raw)
	}
	return uuid
}

// waitJob polls a job until it ends and returns its final record.
func (c *ontapClient) waitJob(t testing.TB, uuid string) ontapReply {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := c.do(t, "GET", "/api/cluster/jobs/"+uuid, nil).must(t, 200)
		switch r.str("state") {
		case "success", "failure":
			return r
		case "queued", "running":
		default:
			t.Fatalf("job %s: unexpected state %q: %s", uuid, r.str("state"), r.Raw)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after a minute", uuid, r.str("state"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jobUUID extracts the job uuid of a job-link response and checks the
// link's shape.
func jobUUID(t testing.TB, r ontapReply, prefix string) string {
	t.Helper()
	uuid := r.str(prefix + "job.uuid")
	if uuid == "" || r.str(prefix+"job._links.self.href") != "/api/cluster/jobs/"+uuid {
		t.Fatalf("%s %s: no job link at %q: %s", r.Method, r.Path, prefix+"job", r.Raw)
	}
	return uuid
}

// s3As returns an S3 client signing with the given keys.
func s3As(t testing.TB, ak, sk string) *s3.Client {
	t.Helper()
	return newClient(t, suite.endpoint, ak, sk, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
}

// awsCLIAs runs the aws CLI against the S3 endpoint with the given keys.
func awsCLIAs(t testing.TB, ak, sk string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return awsCLIEnv(t, toolEnv("AWS_ACCESS_KEY_ID="+ak, "AWS_SECRET_ACCESS_KEY="+sk), args...)
}

// writeTemp writes data to a file in the test's temp dir.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := fmt.Sprintf("%s/%s", t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
