package e2e

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Buckets: both ONTAP families over one store, changes as jobs.

func svmBucketsPath(svm string) string { return "/api/protocols/s3/services/" + svm + "/buckets" }

func TestONTAP_BucketPost_jobToSuccess(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	name := "job-" + randHex(10)
	// return_timeout 0 (the default): 202 with a job link at once.
	r := c.do(t, "POST", svmBucketsPath(svm.UUID), map[string]any{"name": name, "comment": "via job"}).must(t, 202)
	job := jobUUID(t, r, "")
	if loc := r.Header.Get("Location"); loc == "" {
		t.Fatalf("202 without Location: %v", r.Header)
	}
	j := c.waitJob(t, job)
	if j.str("state") != "success" || j.num("code") != 0 || j.str("svm.uuid") != svm.UUID ||
		!strings.HasPrefix(j.str("description"), "POST /api/protocols/s3/services/"+svm.UUID+"/buckets") ||
		j.str("start_time") == "" || j.str("end_time") == "" || j.str("_links.self.href") != "/api/cluster/jobs/"+job {
		t.Fatalf("job record: %s", j.Raw)
	}
	// The job stays visible after it ends (kept 300 s).
	c.do(t, "GET", "/api/cluster/jobs/"+job, nil).must(t, 200)
	// The bucket exists, with the defaults.
	l := c.do(t, "GET", svmBucketsPath(svm.UUID)+"?name="+name+"&fields=*", nil).must(t, 200)
	if l.num("num_records") != 1 || l.str("records.0.comment") != "via job" || l.str("records.0.type") != "s3" ||
		l.str("records.0.versioning_state") != "disabled" || l.num("records.0.size") != 800<<30 {
		t.Fatalf("bucket after the job: %s", l.Raw)
	}
	// Jobs collection lists it.
	jl := c.do(t, "GET", "/api/cluster/jobs?uuid="+job+"&fields=state", nil).must(t, 200)
	if jl.num("num_records") != 1 || jl.str("records.0.state") != "success" {
		t.Fatalf("jobs collection: %s", jl.Raw)
	}
	c.do(t, "GET", "/api/cluster/jobs/00000000-0000-4000-8000-000000000000", nil).mustError(t, 404, "4", "uuid")
}

func TestONTAP_BucketPost_returnTimeout(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	name := "rt-" + randHex(10)
	r := c.do(t, "POST", svmBucketsPath(svm.UUID)+"?return_timeout=30&return_records=true",
		map[string]any{"name": name}).must(t, 201)
	uuid := r.str("records.0.uuid")
	jobUUID(t, r, "")
	if uuid == "" || r.Header.Get("Location") != svmBucketsPath(svm.UUID)+"/"+uuid {
		t.Fatalf("201 answer: %v %s", r.Header, r.Raw)
	}
	g := c.do(t, "GET", svmBucketsPath(svm.UUID)+"/"+uuid, nil).must(t, 200)
	if g.str("name") != name || g.str("uuid") != uuid || g.str("svm.uuid") != svm.UUID ||
		g.str("_links.self.href") != svmBucketsPath(svm.UUID)+"/"+uuid {
		t.Fatalf("GET bucket: %s", g.Raw)
	}
	// The root user sees it on S3.
	if _, err := s3As(t, svm.RootAK, svm.RootSK).HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("HeadBucket as root: %v", err)
	}
	c.do(t, "POST", svmBucketsPath(svm.UUID)+"?return_timeout=121", map[string]any{"name": "x-" + name}).
		mustError(t, 400, "262197", "return_timeout")
}

func TestONTAP_BucketPost_errors(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	p := svmBucketsPath(svm.UUID)
	c.do(t, "POST", p, `{"name":"Upper"}`).mustError(t, 400, "92405785", "name")
	c.do(t, "POST", p, `{"name":"a..b"}`).mustError(t, 400, "92405785", "name")
	c.do(t, "POST", p, `{"name":"a.-b"}`).mustError(t, 400, "92405785", "name")
	c.do(t, "POST", p, `{"name":"under_score"}`).mustError(t, 400, "92405785", "name")
	c.do(t, "POST", p, `{"name":"ab"}`).mustError(t, 400, "92405786", "name")
	c.do(t, "POST", p, `{"name":"`+strings.Repeat("b", 64)+`"}`).mustError(t, 400, "92405786", "name")
	c.do(t, "POST", p, `{"name":"ok-name","flavour":"x"}`).mustError(t, 400, "262179", "flavour")
	c.do(t, "POST", p, `{"name":"ok-name","type":"nas"}`).mustError(t, 400, "3", "type")
	c.do(t, "POST", p, `{"name":"ok-name","policy":{"statements":[{"effect":"allow","actions":["Fly"]}]}}`).
		mustError(t, 400, "92405906", "")
	c.do(t, "POST", p, `{"name":"ok-name","policy":{"statements":[{"effect":"allow","resources":["other/*"]}]}}`).
		mustError(t, 400, "92405891", "")
	many := make([]any, 11)
	for i := range many {
		many[i] = map[string]any{"effect": "allow"}
	}
	c.do(t, "POST", p, map[string]any{"name": "ok-name", "policy": map[string]any{"statements": many}}).
		mustError(t, 400, "92405894", "")
	// Size outside the range: the job fails; with return_timeout the
	// failure is the answer.
	c.do(t, "POST", p+"?return_timeout=30", `{"name":"tiny-bucket","size":1024}`).mustError(t, 400, "2", "size")
	// Duplicate name.
	name := "dup-" + randHex(8)
	c.mkBucket(t, svm.UUID, name, nil)
	c.do(t, "POST", p, map[string]any{"name": name}).mustError(t, 409, "1", "name")
	// Unknown SVM, admin SVM, SVM without S3 server.
	c.do(t, "POST", svmBucketsPath("00000000-0000-4000-8000-000000000000"), `{"name":"x-bucket"}`).mustError(t, 404, "4", "svm.uuid")
	c.do(t, "POST", svmBucketsPath(c.adminSVM(t)), `{"name":"x-bucket"}`).mustError(t, 400, "92405858", "")
	c.do(t, "POST", "/api/protocols/s3/buckets", `{"name":"x-bucket"}`).mustError(t, 400, "2", "svm.uuid")
}

func TestONTAP_Buckets_clusterWideFamily(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	name := "cw-" + randHex(10)
	// POST with svm.name given as a dotted key (what Ansible sends).
	r := c.do(t, "POST", "/api/protocols/s3/buckets?return_timeout=30&return_records=true",
		map[string]any{"svm.name": svm.Name, "name": name, "comment": "cluster-wide"}).must(t, 201)
	uuid := r.str("records.0.uuid")
	if r.Header.Get("Location") != "/api/protocols/s3/buckets/"+svm.UUID+"/"+uuid {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	// One store: visible in both families.
	g := c.do(t, "GET", "/api/protocols/s3/buckets/"+svm.UUID+"/"+uuid, nil).must(t, 200)
	if g.str("name") != name || g.str("_links.self.href") != "/api/protocols/s3/buckets/"+svm.UUID+"/"+uuid {
		t.Fatalf("cluster-wide GET: %s", g.Raw)
	}
	c.do(t, "GET", svmBucketsPath(svm.UUID)+"/"+uuid, nil).must(t, 200)
	l := c.do(t, "GET", "/api/protocols/s3/buckets?svm.uuid="+svm.UUID, nil).must(t, 200)
	if strings.Join(l.recordNames(), ",") != name {
		t.Fatalf("cluster-wide list filtered by svm.uuid: %s", l.Raw)
	}
	// PATCH in one family, seen in the other.
	pr := c.do(t, "PATCH", "/api/protocols/s3/buckets/"+svm.UUID+"/"+uuid, `{"comment":"changed"}`).must(t, 202)
	if j := c.waitJob(t, jobUUID(t, pr, "")); j.str("state") != "success" {
		t.Fatalf("PATCH job: %s", j.Raw)
	}
	if g := c.do(t, "GET", svmBucketsPath(svm.UUID)+"/"+uuid+"?fields=comment", nil).must(t, 200); g.str("comment") != "changed" {
		t.Fatalf("comment after PATCH: %s", g.Raw)
	}
	// A bucket uuid under another SVM is not found.
	other := c.mkSVM(t)
	c.do(t, "GET", "/api/protocols/s3/buckets/"+other.UUID+"/"+uuid, nil).mustError(t, 404, "4", "uuid")
	// DELETE through the cluster-wide family.
	dr := c.do(t, "DELETE", "/api/protocols/s3/buckets/"+svm.UUID+"/"+uuid+"?return_timeout=30", nil).must(t, 200)
	jobUUID(t, dr, "")
	c.do(t, "GET", svmBucketsPath(svm.UUID)+"/"+uuid, nil).mustError(t, 404, "4", "uuid")
}

func TestONTAP_BucketPatch_versioningAndSize(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	name := "ver-" + randHex(10)
	uuid := c.mkBucket(t, svm.UUID, name, nil)
	p := svmBucketsPath(svm.UUID) + "/" + uuid
	c.do(t, "PATCH", p+"?return_timeout=30", `{"versioning_state":"enabled","size":300000000}`).must(t, 200)
	g := c.do(t, "GET", p+"?fields=versioning_state,size", nil).must(t, 200)
	if g.str("versioning_state") != "enabled" || g.num("size") != 300000000 {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	out, err := s3As(t, svm.RootAK, svm.RootSK).GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String(name)})
	if err != nil || out.Status != "Enabled" {
		t.Fatalf("S3 versioning after PATCH: %v %v", out, err)
	}
	// Never back to disabled: the job fails (here: within return_timeout).
	c.do(t, "PATCH", p+"?return_timeout=30", `{"versioning_state":"disabled"}`).mustError(t, 400, "2", "versioning_state")
	// Without return_timeout the same failure is the job's.
	r := c.do(t, "PATCH", p, `{"versioning_state":"disabled"}`).must(t, 202)
	j := c.waitJob(t, jobUUID(t, r, ""))
	if j.str("state") != "failure" || j.str("error.code") != "2" || j.num("code") != 2 || j.str("message") == "" {
		t.Fatalf("failed job: %s", j.Raw)
	}
	c.do(t, "PATCH", p+"?return_timeout=30", `{"versioning_state":"suspended"}`).must(t, 200)
	c.do(t, "PATCH", p, `{"name":"rename"}`).mustError(t, 400, "262179", "name")
	c.do(t, "PATCH", svmBucketsPath(svm.UUID)+"/00000000-0000-4000-8000-000000000000", `{"comment":"x"}`).mustError(t, 404, "4", "uuid")
}

func TestONTAP_BucketPolicy_statements(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	name := "pol-" + randHex(10)
	uuid := c.mkBucket(t, svm.UUID, name, map[string]any{"policy": map[string]any{"statements": []any{
		map[string]any{"sid": "ReadOnly", "effect": "allow", "actions": []any{"GetObject", "ListBucket"},
			"principals": []any{"reader"}, "resources": []any{name, name + "/*"},
			"conditions": []any{map[string]any{"operator": "ip_address", "source_ips": []any{"127.0.0.0/8"}}}},
	}}})
	p := svmBucketsPath(svm.UUID) + "/" + uuid
	g := c.do(t, "GET", p, nil).must(t, 200)
	if g.str("policy.statements.0.sid") != "ReadOnly" || g.str("policy.statements.0.effect") != "allow" ||
		g.str("policy.statements.0.principals.0") != "reader" || g.get("policy.statements.0.conditions") != nil {
		t.Fatalf("GET policy (conditions are expensive): %s", g.Raw)
	}
	g = c.do(t, "GET", p+"?fields=**", nil).must(t, 200)
	if g.str("policy.statements.0.conditions.0.operator") != "ip_address" ||
		g.str("policy.statements.0.conditions.0.source_ips.0") != "127.0.0.0/8" {
		t.Fatalf("fields=** policy conditions: %s", g.Raw)
	}
	// The S3 face reads the same document.
	pol, err := s3As(t, svm.RootAK, svm.RootSK).GetBucketPolicy(ctxT(t), &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), "s3:GetObject") {
		t.Fatalf("GetBucketPolicy: %v %v", pol, err)
	}
	// PATCH replaces the statements; [] clears them.
	c.do(t, "PATCH", p+"?return_timeout=30", map[string]any{"policy": map[string]any{"statements": []any{
		map[string]any{"effect": "deny", "principals": []any{"*"}, "actions": []any{"DeleteObject"}, "resources": []any{name + "/*"}},
	}}}).must(t, 200)
	g = c.do(t, "GET", p+"?fields=policy", nil).must(t, 200)
	if n := len(g.get("policy.statements").([]any)); n != 1 || g.str("policy.statements.0.effect") != "deny" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	c.do(t, "PATCH", p+"?return_timeout=30", `{"policy":{"statements":[]}}`).must(t, 200)
	g = c.do(t, "GET", p+"?fields=policy", nil).must(t, 200)
	if n := len(g.get("policy.statements").([]any)); n != 0 {
		t.Fatalf("after clearing: %s", g.Raw)
	}
	_, err = s3As(t, svm.RootAK, svm.RootSK).GetBucketPolicy(ctxT(t), &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
	wantErr(t, "GetBucketPolicy after clearing", err, "NoSuchBucketPolicy", 404)
}

func TestONTAP_BucketDelete_nonEmptyRefused(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	name := "full-" + randHex(10)
	uuid := c.mkBucket(t, svm.UUID, name, nil)
	root := s3As(t, svm.RootAK, svm.RootSK)
	if _, err := root.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String("k"),
		Body: bytes.NewReader([]byte("data"))}); err != nil {
		t.Fatal(err)
	}
	p := svmBucketsPath(svm.UUID) + "/" + uuid
	r := c.do(t, "DELETE", p, nil).mustError(t, 409, "92405779", "")
	if !strings.Contains(r.str("error.message"), "not empty") {
		t.Fatalf("message: %s", r.Raw)
	}
	c.do(t, "GET", p, nil).must(t, 200)
	if _, err := root.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	r = c.do(t, "DELETE", p, nil).must(t, 202)
	if j := c.waitJob(t, jobUUID(t, r, "")); j.str("state") != "success" {
		t.Fatalf("delete job: %s", j.Raw)
	}
	c.do(t, "GET", p, nil).mustError(t, 404, "4", "uuid")
	_, err := root.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(name)})
	if errStatus(err) != 404 {
		t.Fatalf("HeadBucket after DELETE: %v", err)
	}
}
