package ontap

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"coffer/internal/testkit"
)

// seedRequest is the example request of shared/seeds/001 (ONTAP "Create an
// S3 user configuration"), byte for byte.
const seedRequest = testkit.ONTAPUserSeedRequest

var ontapKey = regexp.MustCompile(`^[A-Za-z0-9_]{128}$`)

func TestONTAP_Handler_userCreate_seedExample(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	r := e.do("POST", "/api/protocols/s3/services/"+svm+"/users", seedRequest).must(t, 201)
	if got, want := r.Header.Get("Location"), "/api/protocols/s3/services/"+svm+"/users/user-1"; got != want {
		t.Fatalf("Location %q, want %q", got, want)
	}
	if n := r.Body["num_records"]; n == nil || n.(interface{ String() string }).String() != "1" {
		t.Fatalf("num_records: %s", r.Raw)
	}
	recs := r.Body["records"].([]any)
	rec := recs[0].(map[string]any)
	if rec["name"] != "user-1" || !strings.HasPrefix(rec["access_key"].(string), "Pz3SB54G2B_") {
		t.Fatalf("record: %s", r.Raw)
	}
	if sk := rec["secret_key"].(string); !ontapKey.MatchString(sk) {
		t.Fatalf("secret key %q is not 128 characters of [A-Za-z0-9_]", sk)
	}
	g := e.do("GET", "/api/protocols/s3/services/"+svm+"/users/user-1", "").must(t, 200)
	if _, has := g.Body["secret_key"]; has || strings.Contains(g.Raw, "secret") {
		t.Fatalf("GET returned a secret: %s", g.Raw)
	}
	t.Log(g.Raw)
}

// Jobs stay visible for 300 s after they end (ONTAP deletes them then).
func TestONTAP_Handler_jobRetention(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	r := e.do("POST", "/api/protocols/s3/services/"+svm+"/buckets?return_timeout=30", `{"name":"bucket-1"}`).must(t, 201)
	job := r.Body["job"].(map[string]any)["uuid"].(string)
	j := e.do("GET", "/api/cluster/jobs/"+job, "").must(t, 200)
	if j.Body["state"] != "success" || j.Body["code"].(interface{ String() string }).String() != "0" {
		t.Fatalf("job: %s", j.Raw)
	}
	e.clock.Advance(299 * time.Second)
	e.do("GET", "/api/cluster/jobs/"+job, "").must(t, 200)
	e.clock.Advance(2 * time.Second)
	if r := e.do("GET", "/api/cluster/jobs/"+job, "").must(t, 404); r.errCode() != "4" {
		t.Fatalf("expired job: %s", r.Raw)
	}
}
