package e2e

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 access with keys made through the ONTAP API: what group policies and
// bucket policies allow, deny and explicitly deny; tenant isolation; key
// regeneration; bucket size (quota). aws-sdk-go-v2 and the aws CLI.

func put(t testing.TB, c *s3.Client, bucket, key string, data []byte) error {
	t.Helper()
	_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	return err
}

func get(t testing.TB, c *s3.Client, bucket, key string) ([]byte, error) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func del(t testing.TB, c *s3.Client, bucket, key string) error {
	t.Helper()
	_, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err
}

func TestONTAP_S3Access_groupPolicy(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "grp-" + randHex(10)
	c.mkBucket(t, svm.UUID, bucket, nil)
	ak, sk := c.mkUser(t, svm.UUID, "writer")
	u := s3As(t, ak, sk)

	// No policy yet: denied.
	wantErr(t, "PutObject without any policy", put(t, u, bucket, "a.txt", []byte("a")), "AccessDenied", 403)

	// A policy allowing reads and writes (not deletes), attached by a group.
	c.do(t, "POST", policiesPath(svm.UUID), map[string]any{"name": "ReadWrite", "statements": []any{
		map[string]any{"effect": "allow", "actions": []any{"GetObject", "PutObject", "ListBucket"}, "resources": []any{bucket, bucket + "/*"}},
	}}).must(t, 201)
	c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "writers", "users": refs("writer"), "policies": refs("ReadWrite")}).must(t, 201)
	if err := put(t, u, bucket, "a.txt", []byte("hello")); err != nil {
		t.Fatalf("PutObject allowed by the group policy: %v", err)
	}
	if data, err := get(t, u, bucket, "a.txt"); err != nil || string(data) != "hello" {
		t.Fatalf("GetObject: %q %v", data, err)
	}
	if _, err := u.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	// Not allowed: implicit deny.
	wantErr(t, "DeleteObject not in the policy", del(t, u, bucket, "a.txt"), "AccessDenied", 403)

	// The aws CLI with the same keys.
	src := writeTemp(t, "cli.txt", []byte("from the cli"))
	if _, errOut, err := awsCLIAs(t, ak, sk, "s3", "cp", "--only-show-errors", src, "s3://"+bucket+"/cli.txt"); err != nil {
		t.Fatalf("aws s3 cp: %v\n%s", err, errOut)
	}
	out, errOut, err := awsCLIAs(t, ak, sk, "s3", "ls", "s3://"+bucket+"/")
	if err != nil || !strings.Contains(out, "cli.txt") || !strings.Contains(out, "a.txt") {
		t.Fatalf("aws s3 ls: %v\n%s\n%s", err, out, errOut)
	}
	if _, errOut, err := awsCLIAs(t, ak, sk, "s3", "rm", "s3://"+bucket+"/cli.txt"); err == nil || !strings.Contains(errOut, "AccessDenied") {
		t.Fatalf("aws s3 rm (denied): %v\n%s", err, errOut)
	}

	// Changing the policy takes effect on the next request.
	c.do(t, "PATCH", policiesPath(svm.UUID)+"/ReadWrite", map[string]any{"statements": []any{
		map[string]any{"effect": "allow", "actions": []any{"*"}, "resources": []any{bucket, bucket + "/*"}},
	}}).must(t, 200)
	if err := del(t, u, bucket, "a.txt"); err != nil {
		t.Fatalf("DeleteObject after widening the policy: %v", err)
	}
	// Removing the user from the group takes its access away.
	gid := c.do(t, "GET", groupsPath(svm.UUID)+"?name=writers", nil).must(t, 200).num("records.0.id")
	c.do(t, "DELETE", groupsPath(svm.UUID)+"/"+itoa(gid), nil).must(t, 200)
	wantErr(t, "PutObject after the group is gone", put(t, u, bucket, "b.txt", []byte("b")), "AccessDenied", 403)
}

func TestONTAP_S3Access_bucketPolicy(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "bp-" + randHex(10)
	rak, rsk := c.mkUser(t, svm.UUID, "reader")
	oak, osk := c.mkUser(t, svm.UUID, "outsider")
	c.mkBucket(t, svm.UUID, bucket, map[string]any{"policy": map[string]any{"statements": []any{
		map[string]any{"effect": "allow", "principals": []any{"reader"}, "actions": []any{"GetObject", "ListBucket"},
			"resources": []any{bucket, bucket + "/*"}},
	}}})
	root := s3As(t, svm.RootAK, svm.RootSK)
	if err := put(t, root, bucket, "doc", []byte("shared")); err != nil {
		t.Fatalf("root PutObject: %v", err)
	}
	reader, outsider := s3As(t, rak, rsk), s3As(t, oak, osk)
	if data, err := get(t, reader, bucket, "doc"); err != nil || string(data) != "shared" {
		t.Fatalf("reader GetObject allowed by the bucket policy: %q %v", data, err)
	}
	wantErr(t, "reader PutObject (not granted)", put(t, reader, bucket, "x", []byte("x")), "AccessDenied", 403)
	_, err := get(t, outsider, bucket, "doc")
	wantErr(t, "outsider GetObject (not a principal)", err, "AccessDenied", 403)
	out, errOut, err := awsCLIAs(t, rak, rsk, "s3", "cp", "s3://"+bucket+"/doc", "-")
	if err != nil || out != "shared" {
		t.Fatalf("aws s3 cp (reader): %v %q\n%s", err, out, errOut)
	}
}

func TestONTAP_S3Access_explicitDeny(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "deny-" + randHex(10)
	ak, sk := c.mkUser(t, svm.UUID, "power")
	c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "all", "users": refs("power"), "policies": refs("FullAccess")}).must(t, 201)
	uuid := c.mkBucket(t, svm.UUID, bucket, nil)
	u := s3As(t, ak, sk)
	if err := put(t, u, bucket, "keep", []byte("k")); err != nil {
		t.Fatalf("PutObject with FullAccess: %v", err)
	}
	// A bucket policy's explicit deny overrides the group's allow.
	c.do(t, "PATCH", svmBucketsPath(svm.UUID)+"/"+uuid+"?return_timeout=30", map[string]any{"policy": map[string]any{"statements": []any{
		map[string]any{"effect": "deny", "principals": []any{"power"}, "actions": []any{"DeleteObject"}, "resources": []any{bucket + "/*"}},
	}}}).must(t, 200)
	wantErr(t, "DeleteObject explicitly denied", del(t, u, bucket, "keep"), "AccessDenied", 403)
	if err := put(t, u, bucket, "other", []byte("o")); err != nil {
		t.Fatalf("PutObject still allowed: %v", err)
	}
	// A deny in a group policy overrides FullAccess too.
	c.do(t, "POST", policiesPath(svm.UUID), map[string]any{"name": "NoReads", "statements": []any{
		map[string]any{"effect": "deny", "actions": []any{"GetObject"}, "resources": []any{"*"}},
	}}).must(t, 201)
	c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "limited", "users": refs("power"), "policies": refs("NoReads")}).must(t, 201)
	_, err := get(t, u, bucket, "keep")
	wantErr(t, "GetObject denied by a group policy", err, "AccessDenied", 403)
	// The NoS3Access built-in denies everything.
	c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "blocked", "users": refs("power"), "policies": refs("NoS3Access")}).must(t, 201)
	wantErr(t, "PutObject with NoS3Access", put(t, u, bucket, "x", []byte("x")), "AccessDenied", 403)
}

func TestONTAP_S3Access_crossSVMIsolation(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	a, b := c.mkSVM(t), c.mkSVM(t)
	bucket := "iso-" + randHex(10) // the same name in both SVMs
	c.mkBucket(t, a.UUID, bucket, nil)
	c.mkBucket(t, b.UUID, bucket, nil)
	aak, ask := c.mkUser(t, a.UUID, "same-user")
	bak, bsk := c.mkUser(t, b.UUID, "same-user")
	for _, s := range []ontapSVM{a, b} {
		c.do(t, "POST", groupsPath(s.UUID), map[string]any{"name": "all", "users": refs("same-user"), "policies": refs("FullAccess")}).must(t, 201)
	}
	ua, ub := s3As(t, aak, ask), s3As(t, bak, bsk)
	if err := put(t, ua, bucket, "secret", []byte("from a")); err != nil {
		t.Fatalf("A PutObject: %v", err)
	}
	// B's bucket of the same name is another bucket: the object is not there.
	_, err := get(t, ub, bucket, "secret")
	wantErr(t, "B reads A's key", err, "NoSuchKey", 404)
	if err := put(t, ub, bucket, "secret", []byte("from b")); err != nil {
		t.Fatalf("B PutObject: %v", err)
	}
	if data, _ := get(t, ua, bucket, "secret"); string(data) != "from a" {
		t.Fatalf("A's object changed by B: %q", data)
	}
	// B's root cannot reach A either; listings show each SVM's own.
	if data, _ := get(t, s3As(t, b.RootAK, b.RootSK), bucket, "secret"); string(data) != "from b" {
		t.Fatalf("B root reads %q", data)
	}
	out, err := ua.ListBuckets(ctxT(t), nil)
	if err != nil || len(out.Buckets) != 1 || aws.ToString(out.Buckets[0].Name) != bucket {
		t.Fatalf("A ListBuckets: %v %v", out, err)
	}
	// Usage is per bucket: ONTAP reports each one's own size.
	ra := c.do(t, "GET", svmBucketsPath(a.UUID)+"?fields=logical_used_size", nil).must(t, 200)
	rb := c.do(t, "GET", svmBucketsPath(b.UUID)+"?fields=logical_used_size", nil).must(t, 200)
	if ra.num("records.0.logical_used_size") != 6 || rb.num("records.0.logical_used_size") != 6 {
		t.Fatalf("logical_used_size: %s %s", ra.Raw, rb.Raw)
	}
}

func TestONTAP_S3Access_keyRegenerationNextRequest(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "regen-" + randHex(10)
	c.mkBucket(t, svm.UUID, bucket, nil)
	ak, sk := c.mkUser(t, svm.UUID, "rotating")
	c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "all", "users": refs("rotating"), "policies": refs("FullAccess")}).must(t, 201)
	old := s3As(t, ak, sk)
	if err := put(t, old, bucket, "k", []byte("1")); err != nil {
		t.Fatalf("before: %v", err)
	}
	r := c.do(t, "PATCH", usersPath(svm.UUID)+"/rotating?regenerate_keys=true", nil).must(t, 200)
	nak, nsk := r.str("records.0.access_key"), r.str("records.0.secret_key")
	wantErr(t, "old key right after regeneration", put(t, old, bucket, "k", []byte("2")), "InvalidAccessKeyId", 403)
	if _, errOut, err := awsCLIAs(t, ak, sk, "s3", "ls", "s3://"+bucket); err == nil || !strings.Contains(errOut, "InvalidAccessKeyId") {
		t.Fatalf("aws CLI with the old key: %v %s", err, errOut)
	}
	if err := put(t, s3As(t, nak, nsk), bucket, "k", []byte("3")); err != nil {
		t.Fatalf("new key: %v", err)
	}
	if out, errOut, err := awsCLIAs(t, nak, nsk, "s3", "ls", "s3://"+bucket); err != nil || !strings.Contains(out, " k") {
		t.Fatalf("aws CLI with the new key: %v %q %s", err, out, errOut)
	}
}

func TestONTAP_S3Access_quotaReached(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "quota-" + randHex(10)
	const size = 199_229_440 // the smallest bucket ONTAP allows (190 MiB)
	uuid := c.mkBucket(t, svm.UUID, bucket, map[string]any{"size": size})
	root := s3As(t, svm.RootAK, svm.RootSK)
	first := randBytes(150 << 20)
	if err := put(t, root, bucket, "first", first); err != nil {
		t.Fatalf("PutObject within the size: %v", err)
	}
	// The write that would exceed the size fails and stores nothing.
	err := put(t, root, bucket, "second", randBytes(50<<20))
	if err == nil {
		t.Fatal("PutObject beyond the bucket size succeeded")
	}
	if st := errStatus(err); st < 400 || st >= 500 {
		t.Fatalf("PutObject beyond the size: %v (HTTP %d)", err, st)
	}
	_, herr := root.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("second")})
	wantErr(t, "HeadObject of the refused object", herr, "", 404)
	g := c.do(t, "GET", svmBucketsPath(svm.UUID)+"/"+uuid+"?fields=logical_used_size,size", nil).must(t, 200)
	if g.num("logical_used_size") != int64(len(first)) || g.num("size") != size {
		t.Fatalf("usage after the refused write: %s", g.Raw)
	}
	// Growing the bucket lets the write through.
	c.do(t, "PATCH", svmBucketsPath(svm.UUID)+"/"+uuid+"?return_timeout=30", map[string]any{"size": 400 << 20}).must(t, 200)
	if err := put(t, root, bucket, "second", randBytes(50<<20)); err != nil {
		t.Fatalf("PutObject after growing the bucket: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
