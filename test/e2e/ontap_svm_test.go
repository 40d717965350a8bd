package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The cluster, authentication, routing, management accounts and SVMs.

func TestONTAP_ClusterGet(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	r := c.do(t, "GET", "/api/cluster", nil).must(t, 200)
	if r.str("name") == "" || len(r.str("uuid")) != 36 || !strings.Contains(r.str("version.full"), "Coffer") ||
		r.num("version.generation") != 9 || r.num("version.major") < 8 || r.str("_links.self.href") != "/api/cluster" {
		t.Fatalf("cluster: %s", r.Raw)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("Cache-Control %q", cc)
	}
	r = c.do(t, "GET", "/api/cluster?fields=version", nil).must(t, 200)
	if r.str("uuid") != "" || r.num("version.major") < 8 {
		t.Fatalf("fields=version: %s", r.Raw)
	}
	// HEAD and OPTIONS.
	h := c.do(t, "HEAD", "/api/cluster", nil).must(t, 200)
	if h.Raw != "" {
		t.Fatalf("HEAD has a body: %q", h.Raw)
	}
	if o := c.do(t, "OPTIONS", "/api/svm/svms", nil).must(t, 200); !strings.Contains(o.Header.Get("Allow"), "POST") {
		t.Fatalf("OPTIONS Allow %q", o.Header.Get("Allow"))
	}
}

func TestONTAP_Auth_missingOrWrongCredentials(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	for _, tc := range []struct{ user, pass string }{
		{"", ""}, {cofferAdminUser, "wrong-password"}, {"nobody", cofferAdminPassword},
	} {
		for _, path := range []string{"/api/cluster", "/api/svm/svms", "/api/protocols/s3/services/x/users", "/api/nothing"} {
			r := c.doAuth(t, "GET", path, nil, tc.user, tc.pass).mustError(t, 401, "6", "")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
				t.Fatalf("401 without WWW-Authenticate: %v", r.Header)
			}
		}
	}
	// Malformed Authorization header.
	req, _ := http.NewRequest("GET", c.base+"/api/cluster", nil)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("no-colon")))
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("malformed Basic: HTTP %d", resp.StatusCode)
	}
}

func TestONTAP_Routing_unknownPathAndMethod(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	c.do(t, "GET", "/api/storage/volumes", nil).mustError(t, 404, "3", "")
	r := c.do(t, "DELETE", "/api/cluster", nil).mustError(t, 405, "3", "")
	if r.Header.Get("Allow") == "" {
		t.Fatalf("405 without Allow")
	}
	c.do(t, "PUT", "/api/svm/svms", `{}`).mustError(t, 405, "3", "")
}

func TestONTAP_SecurityAccounts_get(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	r := c.do(t, "GET", "/api/security/accounts?fields=*", nil).must(t, 200)
	if r.num("num_records") < 1 {
		t.Fatalf("accounts: %s", r.Raw)
	}
	admin := c.adminSVM(t)
	// The admin SVM is not a data SVM: not listed, not found by uuid.
	l := c.do(t, "GET", "/api/svm/svms?uuid="+admin, nil).must(t, 200)
	if l.num("num_records") != 0 {
		t.Fatalf("admin SVM listed: %s", l.Raw)
	}
	c.do(t, "GET", "/api/svm/svms/"+admin, nil).mustError(t, 404, "4", "uuid")
}

func TestONTAP_SVM_crud(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	name := ontapName(t, "vs")
	r := c.do(t, "POST", "/api/svm/svms?return_records=true&return_timeout=30", map[string]any{"name": name, "comment": "first"}).must(t, 201)
	uuid := r.str("records.0.uuid")
	if uuid == "" || r.Header.Get("Location") != "/api/svm/svms/"+uuid || r.str("records.0.name") != name {
		t.Fatalf("SVM POST: %v %s", r.Header, r.Raw)
	}
	t.Cleanup(func() { c.do(t, "DELETE", "/api/svm/svms/"+uuid, nil) })
	g := c.do(t, "GET", "/api/svm/svms/"+uuid, nil).must(t, 200)
	if g.str("name") != name || g.str("state") != "running" || g.str("subtype") != "default" ||
		g.get("s3.enabled") != false || g.str("_links.self.href") != "/api/svm/svms/"+uuid {
		t.Fatalf("SVM GET: %s", g.Raw)
	}
	// Found by name, as ANS resolves names.
	l := c.do(t, "GET", "/api/svm/svms?name="+name+"&fields=uuid", nil).must(t, 200)
	if l.num("num_records") != 1 || l.str("records.0.uuid") != uuid {
		t.Fatalf("by name: %s", l.Raw)
	}
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name}).mustError(t, 409, "1", "name")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": "bad name"}).mustError(t, 400, "2", "name")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"comment": "nameless"}).mustError(t, 400, "2", "name")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name + "x", "uuid": "given"}).mustError(t, 400, "262179", "uuid")

	// PATCH: rename, comment, state, and s3.enabled creates the S3 server.
	newName := name + "-renamed"
	c.do(t, "PATCH", "/api/svm/svms/"+uuid+"?return_timeout=30", map[string]any{"name": newName, "comment": "second",
		"s3": map[string]any{"enabled": true, "name": "s3.example.com"}}).must(t, 200)
	g = c.do(t, "GET", "/api/svm/svms/"+uuid+"?fields=name,comment,s3", nil).must(t, 200)
	if g.str("name") != newName || g.str("comment") != "second" || g.get("s3.enabled") != true || g.str("s3.name") != "s3.example.com" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	c.do(t, "GET", "/api/protocols/s3/services/"+uuid, nil).must(t, 200)
	if l := c.do(t, "GET", "/api/svm/svms?s3.enabled=true&name="+newName, nil).must(t, 200); l.num("num_records") != 1 {
		t.Fatalf("filter s3.enabled: %s", l.Raw)
	}
	// DELETE is refused while the S3 server exists.
	c.do(t, "DELETE", "/api/svm/svms/"+uuid, nil).mustError(t, 409, "8", "")
	c.do(t, "DELETE", "/api/protocols/s3/services/"+uuid+"?return_timeout=30", nil).must(t, 200)
	c.do(t, "DELETE", "/api/svm/svms/"+uuid+"?return_timeout=30", nil).must(t, 200)
	c.do(t, "GET", "/api/svm/svms/"+uuid, nil).mustError(t, 404, "4", "")
	c.do(t, "PATCH", "/api/svm/svms/"+uuid, `{"comment":"x"}`).mustError(t, 404, "4", "")
}

func TestONTAP_SVM_postWithS3(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	name := ontapName(t, "vs")
	r := c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": name, "s3.enabled": true, "s3.name": "obj.example.com"}).must(t, 201)
	loc := r.Header.Get("Location")
	uuid := loc[strings.LastIndex(loc, "/")+1:]
	t.Cleanup(func() {
		c.do(t, "DELETE", "/api/protocols/s3/services/"+uuid+"?return_timeout=30", nil)
		c.do(t, "DELETE", "/api/svm/svms/"+uuid, nil)
	})
	g := c.do(t, "GET", "/api/protocols/s3/services/"+uuid, nil).must(t, 200)
	if g.str("name") != "obj.example.com" || g.get("enabled") != true {
		t.Fatalf("S3 server from SVM POST: %s", g.Raw)
	}
	// A failing S3 server leaves no SVM behind.
	bad := ontapName(t, "vs")
	c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": bad, "s3": map[string]any{"name": "x"}}).mustError(t, 400, "92405790", "name")
	if l := c.do(t, "GET", "/api/svm/svms?name="+bad, nil).must(t, 200); l.num("num_records") != 0 {
		t.Fatalf("SVM kept after a failed S3 server: %s", l.Raw)
	}
}

// waitONTAPJob polls a job link until the job ends and returns its record.
func waitONTAPJob(t *testing.T, c *ontapClient, href string) ontapReply {
	t.Helper()
	path := href
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := c.do(t, "GET", path, nil).must(t, 200)
		if st := j.str("state"); st == "success" || st == "failure" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 30 s: %s", path, j.str("state"), j.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SVM POST, PATCH and DELETE are jobs, as in ONTAP: 202 and a job link
// without return_timeout, the final status with it; the record carries
// every field na_ontap_svm reads.
func TestONTAP_SVM_jobsAndSettings(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	name := ontapName(t, "vsj")
	r := c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name, "comment": "async",
		"language": "C.UTF-8", "snapshot_policy": "none", "ipspace": "Default", "max_volumes": "100"}).must(t, 202)
	href := r.str("job._links.self.href")
	if !strings.HasPrefix(href, "/api/cluster/jobs/") || r.str("job.uuid") == "" {
		t.Fatalf("SVM POST without return_timeout: %s", r.Raw)
	}
	if j := waitONTAPJob(t, c, href); j.str("state") != "success" || !strings.Contains(j.str("description"), "POST /api/svm/svms") {
		t.Fatalf("create job: %s", j.Raw)
	}
	l := c.do(t, "GET", "/api/svm/svms?name="+name+"&fields=subtype,aggregates,language,snapshot_policy,ipspace,comment,nfs,cifs,fcp,iscsi,nvme,state,max_volumes,ndmp", nil).must(t, 200)
	uuid := l.str("records.0.uuid")
	if l.num("num_records") != 1 || uuid == "" {
		t.Fatalf("lookup: %s", l.Raw)
	}
	t.Cleanup(func() { c.do(t, "DELETE", "/api/svm/svms/"+uuid+"?return_timeout=30", nil) })
	aggrs, isList := l.get("records.0.aggregates").([]any)
	if !isList || len(aggrs) != 0 || l.str("records.0.language") != "c.utf_8" || l.str("records.0.snapshot_policy.name") != "none" ||
		l.str("records.0.ipspace.name") != "Default" || l.str("records.0.max_volumes") != "100" ||
		l.str("records.0.subtype") != "default" || l.str("records.0.state") != "running" || l.get("records.0.ndmp.allowed") != false {
		t.Fatalf("SVM record lacks what na_ontap_svm reads: %s", l.Raw)
	}
	// Defaults of a plain create.
	other := ontapName(t, "vsd")
	r = c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": other}).must(t, 201)
	loc := r.Header.Get("Location")
	ouuid := loc[strings.LastIndex(loc, "/")+1:]
	t.Cleanup(func() { c.do(t, "DELETE", "/api/svm/svms/"+ouuid+"?return_timeout=30", nil) })
	g := c.do(t, "GET", loc+"?fields=language,snapshot_policy,max_volumes,ipspace", nil).must(t, 200)
	if g.str("language") != "c.utf_8" || g.str("snapshot_policy.name") != "default" || g.str("max_volumes") != "unlimited" {
		t.Fatalf("defaults: %s", g.Raw)
	}

	// Refused at once, before any job: bad settings, unknown IPspace or aggregate.
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name + "x", "language": "klingon"}).mustError(t, 400, "2", "language")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name + "x", "snapshot_policy": map[string]any{"name": "hourly-forever"}}).mustError(t, 400, "2", "snapshot_policy")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name + "x", "ipspace": map[string]any{"name": "other"}}).mustError(t, 400, "2", "ipspace.name")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name + "x", "aggregates": []any{map[string]any{"name": "aggr1"}}}).mustError(t, 400, "2", "aggregates")
	c.do(t, "POST", "/api/svm/svms", map[string]any{"name": name + "x", "max_volumes": "many"}).mustError(t, 400, "2", "max_volumes")
	c.do(t, "PATCH", "/api/svm/svms/"+uuid, map[string]any{"name": other}).mustError(t, 409, "1", "name")
	c.do(t, "PATCH", "/api/svm/svms/"+uuid, map[string]any{"ipspace": "Default"}).mustError(t, 400, "262179", "ipspace")

	// PATCH as a job; max_volumes as a number.
	r = c.do(t, "PATCH", "/api/svm/svms/"+uuid, map[string]any{"comment": "changed", "language": "en_US.UTF-8",
		"snapshot_policy": map[string]any{"name": "default"}, "max_volumes": 7}).must(t, 202)
	if j := waitONTAPJob(t, c, r.str("job._links.self.href")); j.str("state") != "success" {
		t.Fatalf("modify job: %s", j.Raw)
	}
	g = c.do(t, "GET", "/api/svm/svms/"+uuid+"?fields=comment,language,snapshot_policy,max_volumes", nil).must(t, 200)
	if g.str("comment") != "changed" || g.str("language") != "en_us.utf_8" || g.str("snapshot_policy.name") != "default" || g.str("max_volumes") != "7" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	// A rename through return_timeout answers 200 once done.
	c.do(t, "PATCH", "/api/svm/svms/"+uuid+"?return_timeout=30", map[string]any{"name": name + "-r"}).must(t, 200)
	if g = c.do(t, "GET", "/api/svm/svms/"+uuid+"?fields=name", nil).must(t, 200); g.str("name") != name+"-r" {
		t.Fatalf("rename: %s", g.Raw)
	}
	// DELETE as a job.
	r = c.do(t, "DELETE", "/api/svm/svms/"+uuid, nil).must(t, 202)
	if j := waitONTAPJob(t, c, r.str("job._links.self.href")); j.str("state") != "success" {
		t.Fatalf("delete job: %s", j.Raw)
	}
	c.do(t, "GET", "/api/svm/svms/"+uuid, nil).mustError(t, 404, "4", "")
}
