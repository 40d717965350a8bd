package ontap

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"coffer/internal/checksum"
	"coffer/internal/objects"
	"coffer/internal/testkit"
)

// Bucket retention (object locking) on both bucket families: POST, GET,
// PATCH, the lock error codes, and DELETE of a locked bucket.

// field reads a dotted path of a reply's body ("records.0.retention.mode").
func (r reply) field(path string) any { return testkit.Lookup(r.Body, path) }

func (r reply) str(path string) string {
	v := r.field(path)
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

func (e *testEnv) bucketUUID(svm, name string) string {
	e.t.Helper()
	r := e.do("GET", "/api/protocols/s3/services/"+svm+"/buckets?name="+name+"&fields=uuid", "").must(e.t, 200)
	u := r.str("records.0.uuid")
	if u == "" {
		e.t.Fatalf("bucket %s not listed: %s", name, r.Raw)
	}
	return u
}

func TestONTAP_BucketRetention_createAndGet(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	base := "/api/protocols/s3/services/" + svm + "/buckets"

	e.do("POST", base+"?return_timeout=30", `{"name":"locked-c","retention":{"mode":"compliance","default_period":"P1D"}}`).must(t, 201)
	e.do("POST", "/api/protocols/s3/buckets?return_timeout=30",
		`{"svm":{"name":"svm1"},"name":"locked-g","retention.mode":"governance","retention.default_period":"P2Y"}`).must(t, 201)
	e.do("POST", base+"?return_timeout=30", `{"name":"locked-nop","retention":{"mode":"compliance"}}`).must(t, 201)
	e.do("POST", base+"?return_timeout=30", `{"name":"plain","retention":{"mode":"no_lock"}}`).must(t, 201)

	for name, want := range map[string][2]string{
		"locked-c": {"compliance", "P1D"}, "locked-g": {"governance", "P2Y"},
		"locked-nop": {"compliance", ""}, "plain": {"no_lock", ""},
	} {
		u := e.bucketUUID(svm, name)
		g := e.do("GET", base+"/"+u+"?fields=retention,versioning_state", "").must(t, 200)
		if g.str("retention.mode") != want[0] || g.str("retention.default_period") != want[1] {
			t.Errorf("%s: retention %s", name, g.Raw)
		}
		if want[0] != "no_lock" && g.str("versioning_state") != "enabled" {
			t.Errorf("%s: a locked bucket's versioning: %s", name, g.Raw)
		}
		cw := e.do("GET", "/api/protocols/s3/buckets?name="+name+"&fields=retention.mode", "").must(t, 200)
		if cw.str("records.0.retention.mode") != want[0] {
			t.Errorf("%s: cluster-wide retention: %s", name, cw.Raw)
		}
	}
	// The bucket's Object Lock is what S3 sees.
	cfg, err := e.obj.GetObjectLockConfig(context.Background(), svm, "locked-c")
	if err != nil || cfg != (objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockCompliance, DefaultDays: 1}) {
		t.Fatalf("object lock of locked-c: %+v %v", cfg, err)
	}
	// Filtering by mode works as for any field.
	l := e.do("GET", base+"?retention.mode=compliance&fields=name", "").must(t, 200)
	if l.str("num_records") != "2" {
		t.Fatalf("filter by retention.mode: %s", l.Raw)
	}
}

func TestONTAP_BucketRetention_errors(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	base := "/api/protocols/s3/services/" + svm + "/buckets"
	for _, c := range []struct {
		body, code, target string
	}{
		{`{"name":"bkt-1","retention":{"default_period":"P1D"}}`, "92406165", "retention.default_period"},
		{`{"name":"bkt-1","retention":{"mode":"no_lock","default_period":"P1D"}}`, "92406165", "retention.default_period"},
		{`{"name":"bkt-1","retention":{"mode":"compliance","default_period":"P1Y10D"}}`, "262197", "retention.default_period"},
		{`{"name":"bkt-1","retention":{"mode":"compliance","default_period":"PT12H"}}`, "262197", "retention.default_period"},
		{`{"name":"bkt-1","retention":{"mode":"compliance","default_period":"P101Y"}}`, "262197", "retention.default_period"},
		{`{"name":"bkt-1","retention":{"mode":"enterprise"}}`, "262197", "retention.mode"},
		{`{"name":"bkt-1","retention":{"mode":"compliance"},"versioning_state":"suspended"}`, "2", "versioning_state"},
		{`{"name":"bkt-1","type":"nas","retention":{"mode":"compliance"}}`, "92406166", "retention.mode"},
		{`{"name":"bkt-1","retention":{"mode":"compliance","lock":true}}`, "262179", "retention.lock"},
	} {
		r := e.do("POST", base+"?return_timeout=30", c.body).must(t, 400)
		if r.errCode() != c.code || r.str("error.target") != c.target {
			t.Errorf("%s: %s", c.body, r.Raw)
		}
	}
	if l := e.do("GET", base, "").must(t, 200); l.str("num_records") != "0" {
		t.Fatalf("refused buckets were created: %s", l.Raw)
	}

	// The S3 server's lock retention bounds (92406230 above, 92406236 below).
	e.do("PATCH", "/api/protocols/s3/services/"+svm, `{"min_lock_retention_period":"P7D","max_lock_retention_period":"P1Y"}`).must(t, 200)
	if r := e.do("POST", base+"?return_timeout=30", `{"name":"bkt-2","retention":{"mode":"governance","default_period":"P2Y"}}`).must(t, 400); r.errCode() != "92406230" {
		t.Errorf("above max: %s", r.Raw)
	}
	if r := e.do("POST", base+"?return_timeout=30", `{"name":"bkt-2","retention":{"mode":"governance","default_period":"P1D"}}`).must(t, 400); r.errCode() != "92406236" {
		t.Errorf("below min: %s", r.Raw)
	}
	e.do("POST", base+"?return_timeout=30", `{"name":"bkt-2","retention":{"mode":"governance","default_period":"P30D"}}`).must(t, 201)
	u := e.bucketUUID(svm, "bkt-2")
	if r := e.do("PATCH", base+"/"+u+"?return_timeout=30", `{"retention":{"default_period":"P400D"}}`).must(t, 400); r.errCode() != "92406230" {
		t.Errorf("PATCH above max: %s", r.Raw)
	}
}

func TestONTAP_BucketRetention_patch(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	base := "/api/protocols/s3/services/" + svm + "/buckets"
	e.do("POST", base+"?return_timeout=30", `{"name":"plain"}`).must(t, 201)
	e.do("POST", base+"?return_timeout=30", `{"name":"locked","retention":{"mode":"compliance","default_period":"P3D"}}`).must(t, 201)
	plain, locked := e.bucketUUID(svm, "plain"), e.bucketUUID(svm, "locked")

	// Locking is chosen at creation; the mode never changes.
	for _, c := range []struct{ uuid, body, code string }{
		{plain, `{"retention":{"mode":"compliance"}}`, "2"},
		{plain, `{"retention":{"default_period":"P1D"}}`, "92406165"},
		{locked, `{"retention":{"mode":"governance"}}`, "2"},
		{locked, `{"retention":{"mode":"no_lock"}}`, "2"},
		{locked, `{"retention":{"default_period":"P1Y1D"}}`, "262197"},
	} {
		if r := e.do("PATCH", base+"/"+c.uuid+"?return_timeout=30", c.body).must(t, 400); r.errCode() != c.code {
			t.Errorf("PATCH %s: %s", c.body, r.Raw)
		}
	}
	// The period changes; repeating the mode is accepted (Ansible resends it).
	e.do("PATCH", base+"/"+locked+"?return_timeout=30", `{"retention":{"mode":"compliance","default_period":"P1Y"}}`).must(t, 200)
	g := e.do("GET", base+"/"+locked+"?fields=retention", "").must(t, 200)
	if g.str("retention.mode") != "compliance" || g.str("retention.default_period") != "P1Y" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	e.do("PATCH", "/api/protocols/s3/buckets/"+svm+"/"+locked+"?return_timeout=30", `{"retention.default_period":"P10D"}`).must(t, 200)
	g = e.do("GET", base+"/"+locked+"?fields=retention", "").must(t, 200)
	if g.str("retention.default_period") != "P10D" {
		t.Fatalf("after cluster-wide PATCH: %s", g.Raw)
	}
	e.do("PATCH", base+"/"+plain+"?return_timeout=30", `{"retention":{"mode":"no_lock"}}`).must(t, 200)
	// Versioning of a locked bucket cannot be suspended.
	if r := e.do("PATCH", base+"/"+locked+"?return_timeout=30", `{"versioning_state":"suspended"}`).must(t, 409); r.errCode() != "92405778" {
		t.Fatalf("suspend a locked bucket: %s", r.Raw)
	}
}

// A locked bucket's DELETE is a job that fails while a version is
// protected (code 92405779, saying why); the version is kept.
func TestONTAP_BucketRetention_deleteLocked(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	base := "/api/protocols/s3/services/" + svm + "/buckets"
	e.do("POST", base+"?return_timeout=30", `{"name":"locked","retention":{"mode":"compliance","default_period":"P1D"}}`).must(t, 201)
	u := e.bucketUUID(svm, "locked")
	obj := e.obj
	body, err := checksum.NewReader(bytes.NewReader([]byte("data")), checksum.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	put, err := obj.PutObject(context.Background(), objects.PutInput{Tenant: svm, Bucket: "locked", Key: "k", Body: body, Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	d := e.do("DELETE", base+"/"+u, "").must(t, 202)
	job := d.str("job.uuid")
	j := e.do("GET", "/api/cluster/jobs/"+job+"?return_timeout=30", "")
	for i := 0; i < 100 && j.str("state") != "failure" && j.str("state") != "success"; i++ {
		j = e.do("GET", "/api/cluster/jobs/"+job, "")
	}
	if j.str("state") != "failure" || j.str("error.code") != "92405779" || !strings.Contains(j.str("message"), "object locking") {
		t.Fatalf("delete job of a locked bucket: %s", j.Raw)
	}
	if _, err := obj.HeadObject(context.Background(), objects.GetInput{Tenant: svm, Bucket: "locked", Key: "k", VersionID: put.VersionID}); err != nil {
		t.Fatalf("the locked version after DELETE: %v", err)
	}
	// With return_timeout the failure is the answer.
	if r := e.do("DELETE", base+"/"+u+"?return_timeout=30", "").must(t, 409); r.errCode() != "92405779" {
		t.Fatalf("synchronous delete of a locked bucket: %s", r.Raw)
	}
}
