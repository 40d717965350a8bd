package ontap

import (
	"net/http"
	"strings"
	"testing"

	"coffer/internal/testkit"
)

// A PATCH is in the audit log with the record before and after; the POST
// of an S3 server (whose answer holds the root user's secret key) leaves
// no secret; filters and fields work as on every collection.
func TestAuditMessages(t *testing.T) {
	e := newTestEnv(t)
	uuid := e.mkSVM("svm1")
	e.do("PATCH", "/api/svm/svms/"+uuid+"?return_timeout=30", `{"comment":"changed"}`).must(t, 200)
	r := e.do("GET", "/api/security/audit/messages?fields=*&input=PATCH*", "").must(t, 200)
	recs, _ := r.Body["records"].([]any)
	if len(recs) != 1 {
		t.Fatalf("PATCH records: %s", r.Raw)
	}
	rec := recs[0].(map[string]any)
	before, _ := rec["before"].(map[string]any)
	after, _ := rec["after"].(map[string]any)
	if before == nil || after == nil || before["comment"] != "" || after["comment"] != "changed" ||
		rec["user"] != testAdmin || rec["state"] != "success" || rec["scope"] != "svm" || rec["application"] != "ontap" {
		t.Fatalf("PATCH record: %v", rec)
	}
	u := e.do("POST", "/api/protocols/s3/services/"+uuid+"/users", `{"name":"bob"}`).must(t, 201)
	secret, _ := u.Body["records"].([]any)[0].(map[string]any)["secret_key"].(string)
	if secret == "" {
		t.Fatalf("no secret in %s", u.Raw)
	}
	all := e.do("GET", "/api/security/audit/messages?fields=**", "").must(t, 200)
	if strings.Count(all.Raw, `"input"`) < 4 || strings.Contains(all.Raw, secret) {
		t.Fatalf("all records (4 changes, no secret %q): %s", secret, all.Raw)
	}
	// A failed change is recorded as an error.
	e.do("PATCH", "/api/svm/svms/"+uuid, `{"comment":"`+strings.Repeat("c", 300)+`"}`)
	r = e.do("GET", "/api/security/audit/messages?fields=state,error_code,status&state=error", "").must(t, 200)
	if !strings.Contains(r.Raw, `"error_code"`) {
		t.Fatalf("failed change: %s", r.Raw)
	}
	e.do("GET", "/api/security/audit/messages?fields=nonsense", "").must(t, 400)
	e.do("POST", "/api/security/audit/messages", "{}").must(t, 405)
}

// Wrong passwords lock the account from this address; the lock is
// ONTAP's code 6 with a message and Retry-After.
func TestBasicAuth_lockout(t *testing.T) {
	e := newTestEnv(t)
	try := func(pw string) reply {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/cluster", nil)
		req.SetBasicAuth(testAdmin, pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return reply{testkit.Reply{Status: resp.StatusCode, Header: resp.Header}}
	}
	for range 5 {
		if r := try("wrong-password"); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
	}
	r := e.do("GET", "/api/cluster", "") // the right password, same address
	if r.Status != 401 || r.errCode() != "6" || !strings.Contains(r.Raw, "locked") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("locked: %d %v %s", r.Status, r.Header, r.Raw)
	}
}
