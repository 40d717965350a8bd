package e2e

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 servers: /api/protocols/s3/services[/{svm.uuid}].

func (c *ontapClient) mkBareSVM(t testing.TB) (uuid, name string) {
	t.Helper()
	name = ontapName(t, "svm")
	loc := c.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": name}).must(t, 201).Header.Get("Location")
	uuid = loc[strings.LastIndex(loc, "/")+1:]
	t.Cleanup(func() { c.destroySVM(t, ontapSVM{UUID: uuid, Name: name}) })
	return uuid, name
}

func TestONTAP_ServicePost_usersAndBuckets(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	uuid, name := c.mkBareSVM(t)
	bucket := "svc-" + randHex(10)
	r := c.do(t, "POST", "/api/protocols/s3/services", map[string]any{
		"svm.name": name, "name": "s3.svc.example.com", "comment": "made with users and buckets",
		"users":   []any{map[string]any{"name": "u1", "comment": "first"}, map[string]any{"name": "u2"}},
		"buckets": []any{map[string]any{"name": bucket, "comment": "with the server"}},
	}).must(t, 201)
	if r.Header.Get("Location") != "/api/protocols/s3/services/"+uuid || r.num("num_records") != 1 {
		t.Fatalf("POST: %v %s", r.Header, r.Raw)
	}
	keys := map[string][2]string{}
	for _, u := range r.get("records.0.users").([]any) {
		m := u.(map[string]any)
		ak, _ := m["access_key"].(string)
		sk, _ := m["secret_key"].(string)
		if !ontapKeyRE.MatchString(ak) || !ontapKeyRE.MatchString(sk) {
			t.Fatalf("user %v: keys not in ONTAP format", m["name"])
		}
		keys[m["name"].(string)] = [2]string{ak, sk}
	}
	if len(keys) != 3 || keys["root"][0] == "" || keys["u1"][0] == "" || keys["u2"][0] == "" {
		t.Fatalf("users of the POST (root, u1, u2): %s", r.Raw)
	}
	// Buckets come from a job.
	if j := c.waitJob(t, jobUUID(t, r, "records.0.")); j.str("state") != "success" {
		t.Fatalf("bucket job: %s", j.Raw)
	}
	root := s3As(t, keys["root"][0], keys["root"][1])
	if _, err := root.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket as root: %v", err)
	}
	// GET the server: users and buckets embedded.
	g := c.do(t, "GET", "/api/protocols/s3/services/"+uuid, nil).must(t, 200)
	if g.str("svm.uuid") != uuid || g.str("svm.name") != name || g.str("name") != "s3.svc.example.com" ||
		g.get("enabled") != true || g.get("is_https_enabled") != true || g.get("is_http_enabled") != false ||
		g.num("port") != 80 || g.num("secure_port") != 443 || g.str("buckets.0.name") != bucket ||
		len(g.get("users").([]any)) != 3 || strings.Contains(g.Raw, "secret") {
		t.Fatalf("GET server: %s", g.Raw)
	}
	// A second server on the same SVM: duplicate.
	c.do(t, "POST", "/api/protocols/s3/services", map[string]any{"svm": map[string]any{"uuid": uuid}}).mustError(t, 409, "1", "")
}

func TestONTAP_ServicePost_errors(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	uuid, name := c.mkBareSVM(t)
	p := "/api/protocols/s3/services"
	c.do(t, "POST", p, `{"name":"s3.example.com"}`).mustError(t, 400, "2", "svm.uuid")
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"uuid": uuid}, "name": "ab"}).mustError(t, 400, "92405790", "name")
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"uuid": uuid}, "name": "bad_name!"}).mustError(t, 400, "92405789", "name")
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"uuid": uuid, "name": "other"}}).mustError(t, 400, "2621706", "")
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"uuid": "00000000-0000-4000-8000-000000000000"}}).mustError(t, 404, "4", "svm.uuid")
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"uuid": uuid}, "users": []any{map[string]any{"name": "ok"}, map[string]any{"name": "bad name"}}}).
		mustError(t, 400, "92405787", "name")
	// A failing user aborts everything: no server was created.
	c.do(t, "GET", p+"/"+uuid, nil).mustError(t, 409, "92405773", "")
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"uuid": uuid}, "unknown": 1}).mustError(t, 400, "262179", "unknown")
	// Not a data SVM: the admin SVM, by name, as the ONTAP error example.
	cl := c.do(t, "GET", "/api/security/accounts?fields=owner", nil).must(t, 200)
	c.do(t, "POST", p, map[string]any{"svm": map[string]any{"name": cl.str("records.0.owner.name")}}).mustError(t, 400, "92405884", "")
	_ = name
}

func TestONTAP_ServiceGet_collection(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	a, b := c.mkSVM(t), c.mkSVM(t)
	r := c.do(t, "GET", "/api/protocols/s3/services?svm.uuid="+a.UUID+"|"+b.UUID+"&fields=name,enabled", nil).must(t, 200)
	if r.num("num_records") != 2 || r.get("records.0.enabled") != true {
		t.Fatalf("services: %s", r.Raw)
	}
	for _, rec := range r.records() {
		if rec["users"] != nil {
			t.Fatalf("fields=name,enabled returned users: %s", r.Raw)
		}
	}
	c.do(t, "GET", "/api/protocols/s3/services/00000000-0000-4000-8000-000000000000", nil).mustError(t, 404, "4", "svm.uuid")
}

func TestONTAP_ServicePatch_disableStopsS3(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "dis-" + randHex(10)
	c.mkBucket(t, svm.UUID, bucket, nil)
	root := s3As(t, svm.RootAK, svm.RootSK)
	p := "/api/protocols/s3/services/" + svm.UUID
	c.do(t, "PATCH", p, `{"comment":"patched","max_key_time_to_live":"P30D"}`).must(t, 200)
	g := c.do(t, "GET", p+"?fields=comment,max_key_time_to_live", nil).must(t, 200)
	if g.str("comment") != "patched" || g.str("max_key_time_to_live") != "P30D" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	// With a server maximum, a user needs a key lifetime within it.
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"forever"}`).mustError(t, 400, "92406197", "key_time_to_live")
	c.do(t, "POST", usersPath(svm.UUID), `{"name":"toolong","key_time_to_live":"P31D"}`).mustError(t, 400, "92406196", "key_time_to_live")
	r := c.do(t, "POST", usersPath(svm.UUID), `{"name":"ok","key_time_to_live":"P7D"}`).must(t, 201)
	if r.str("records.0.key_expiry_time") == "" {
		t.Fatalf("no key_expiry_time: %s", r.Raw)
	}
	c.do(t, "PATCH", p, `{"max_key_time_to_live":"0"}`).must(t, 200)

	c.do(t, "PATCH", p, `{"enabled":false}`).must(t, 200)
	_, err := root.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(nil)})
	wantErr(t, "PutObject with the server disabled", err, "", 403)
	c.do(t, "PATCH", p, `{"enabled":true}`).must(t, 200)
	if _, err := root.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(nil)}); err != nil {
		t.Fatalf("PutObject re-enabled: %v", err)
	}
	c.do(t, "PATCH", p, `{"users":[]}`).mustError(t, 400, "262179", "users")
	c.do(t, "PATCH", p, `{"port":70000}`).mustError(t, 400, "2", "port")
}

func TestONTAP_ServiceDelete_job(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	ak, sk := c.mkUser(t, svm.UUID, "doomed")
	empty, full := "empty-"+randHex(8), "full-"+randHex(8)
	c.mkBucket(t, svm.UUID, empty, nil)
	c.mkBucket(t, svm.UUID, full, nil)
	root := s3As(t, svm.RootAK, svm.RootSK)
	if _, err := root.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(full), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	p := "/api/protocols/s3/services/" + svm.UUID
	c.do(t, "DELETE", p+"?delete_all=perhaps", nil).mustError(t, 400, "262197", "delete_all")
	r := c.do(t, "DELETE", p, nil).must(t, 202)
	if r.num("num_records") != 1 {
		t.Fatalf("DELETE answer: %s", r.Raw)
	}
	j := c.waitJob(t, jobUUID(t, r, "records.0."))
	if j.str("state") != "success" || !strings.Contains(j.str("message"), full) {
		t.Fatalf("delete job (non-empty bucket kept and reported): %s", j.Raw)
	}
	c.do(t, "GET", p, nil).mustError(t, 409, "92405773", "")
	_, err := s3As(t, ak, sk).ListBuckets(ctxT(t), nil)
	wantErr(t, "a user of a deleted server (delete_all)", err, "InvalidAccessKeyId", 403)
	l := c.do(t, "GET", svmBucketsPath(svm.UUID), nil).must(t, 200)
	if strings.Join(l.recordNames(), ",") != full {
		t.Fatalf("buckets after delete_all: %s", l.Raw)
	}
	c.do(t, "DELETE", p, nil).mustError(t, 409, "92405773", "")
	// The server can be made again; cleanup needs root keys for the kept bucket.
	r = c.do(t, "POST", "/api/protocols/s3/services", map[string]any{"svm": map[string]any{"uuid": svm.UUID}}).must(t, 201)
	destroyBucket(t.Logf, s3As(t, r.str("records.0.users.0.access_key"), r.str("records.0.users.0.secret_key")), full)

	// delete_all=false keeps the users.
	ak2, sk2 := c.mkUser(t, svm.UUID, "kept")
	c.do(t, "DELETE", p+"?delete_all=false&return_timeout=30", nil).must(t, 200)
	if _, err := s3As(t, ak2, sk2).ListBuckets(ctxT(t), nil); errCode(err) == "InvalidAccessKeyId" {
		t.Fatalf("delete_all=false removed the users' keys: %v", err)
	}
}
