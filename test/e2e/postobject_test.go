package e2e

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// POST Object (browser uploads): forms presigned by boto3 (SigV4 and SigV2)
// and built here (SigV2), sent with curl -F and Python's requests.

type presignedPost struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

// postForm sends fields (in a stable order, key first as browsers do) and
// then the file with curl -F. It returns the status, the body and the
// response headers.
func postForm(t *testing.T, u string, fields map[string]string, filename string, content []byte, extra ...string) (int, []byte, string) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "upload")
	if err := os.WriteFile(f, content, 0o644); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "key") != (names[j] == "key") {
			return names[i] == "key"
		}
		return names[i] < names[j]
	})
	args := []string{"-D", filepath.Join(dir, "headers")}
	for _, n := range names {
		args = append(args, "--form-string", n+"="+fields[n])
	}
	args = append(args, extra...)
	args = append(args, "-F", "file=@"+f+";filename="+filename, u)
	code, body := curl(t, args...)
	hdr, _ := os.ReadFile(filepath.Join(dir, "headers"))
	return code, body, string(hdr)
}

func headerValue(headers, name string) string {
	for _, line := range strings.Split(headers, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func copyFields(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestPostObject_boto3PresignedPost(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	out := runPython(t, "testdata/postobject_boto3.py", b)
	var res struct {
		Main, Redirect, Plain, Short, Starts, V2 presignedPost
		RequestsStatus                           int    `json:"requests_status"`
		RequestsBody                             string `json:"requests_body"`
		RequestsETag                             string `json:"requests_etag"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("python output: %v: %s", err, out)
	}
	if res.Main.Fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256" || res.V2.Fields["AWSAccessKeyId"] == "" {
		t.Fatalf("boto3 did not sign as expected: %+v %+v", res.Main.Fields, res.V2.Fields)
	}
	c := s3c(t)

	// requests: 201 with the PostResponse document; ${filename} replaced.
	var pr struct {
		XMLName                     xml.Name `xml:"PostResponse"`
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal([]byte(res.RequestsBody), &pr); err != nil || res.RequestsStatus != 201 {
		t.Fatalf("requests POST: %d %s (%v)", res.RequestsStatus, res.RequestsBody, err)
	}
	if pr.Bucket != b || pr.Key != "uploads/hello.txt" || pr.ETag != quotedMD5([]byte("hello from requests")) ||
		!strings.HasSuffix(pr.Location, "/"+b+"/uploads/hello.txt") || res.RequestsETag != pr.ETag {
		t.Fatalf("PostResponse = %+v, ETag header %s", pr, res.RequestsETag)
	}
	got, obj := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("uploads/hello.txt")})
	if string(got) != "hello from requests" || aws.ToString(obj.ContentType) != "text/plain" || obj.Metadata["origin"] != "browser" {
		t.Fatalf("uploaded object: %q %s %v", got, aws.ToString(obj.ContentType), obj.Metadata)
	}

	// The same form with curl -F, another file name.
	code, body, _ := postForm(t, res.Main.URL, res.Main.Fields, "from curl.txt", []byte("curl's content"))
	if code != 201 || !strings.Contains(string(body), "<Key>uploads/from curl.txt</Key>") {
		t.Fatalf("curl POST: %d %s", code, body)
	}
	mustEqualBytes(t, "object posted by curl", getObject(t, b, "uploads/from curl.txt"), []byte("curl's content"))

	// content-length-range [1, 1000].
	code, body, _ = postForm(t, res.Main.URL, res.Main.Fields, "big.txt", randBytes(1001))
	if e := parseS3Error(t, body); code != 400 || e.Code != "EntityTooLarge" {
		t.Fatalf("1001 bytes: %d %s", code, body)
	}
	code, body, _ = postForm(t, res.Main.URL, res.Main.Fields, "empty.txt", nil)
	if e := parseS3Error(t, body); code != 400 || e.Code != "EntityTooSmall" {
		t.Fatalf("0 bytes: %d %s", code, body)
	}
	for _, k := range []string{"uploads/big.txt", "uploads/empty.txt"} {
		if _, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)}); errStatus(err) != 404 {
			t.Fatalf("refused upload %s exists: %v", k, err)
		}
	}

	// A condition the form breaks, and a field no condition names.
	f := copyFields(res.Main.Fields)
	f["Content-Type"] = "text/html"
	code, body, _ = postForm(t, res.Main.URL, f, "x.txt", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, "Policy Condition failed") {
		t.Fatalf("broken condition: %d %s", code, body)
	}
	f = copyFields(res.Main.Fields)
	f["x-amz-meta-extra"] = "smuggled"
	code, body, _ = postForm(t, res.Main.URL, f, "x.txt", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, "Extra input fields: x-amz-meta-extra") {
		t.Fatalf("field without a condition: %d %s", code, body)
	}
	// Tampered signature.
	f = copyFields(res.Main.Fields)
	sig := []byte(f["x-amz-signature"])
	sig[0] = map[bool]byte{true: '1', false: '0'}[sig[0] == '0']
	f["x-amz-signature"] = string(sig)
	code, body, _ = postForm(t, res.Main.URL, f, "x.txt", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered signature: %d %s", code, body)
	}
	// A key field missing.
	f = copyFields(res.Plain.Fields)
	delete(f, "key")
	code, body, _ = postForm(t, res.Plain.URL, f, "x.txt", []byte("x"))
	if e := parseS3Error(t, body); code != 400 || e.Code != "InvalidArgument" || !strings.Contains(e.Message, "must contain a field named 'key'") {
		t.Fatalf("no key: %d %s", code, body)
	}

	// Default answer: 204 with ETag and Location.
	code, body, hdr := postForm(t, res.Plain.URL, res.Plain.Fields, "p.txt", []byte("plain"))
	if code != 204 || len(body) != 0 || headerValue(hdr, "ETag") != quotedMD5([]byte("plain")) || !strings.HasSuffix(headerValue(hdr, "Location"), "/"+b+"/plain.txt") {
		t.Fatalf("plain POST: %d %s\n%s", code, body, hdr)
	}
	// success_action_redirect: 303 to the URL with bucket, key and etag.
	code, _, hdr = postForm(t, res.Redirect.URL, res.Redirect.Fields, "r.txt", []byte("redirect me"))
	loc, err := url.Parse(headerValue(hdr, "Location"))
	if code != 303 || err != nil || loc.Host != "example.com" || loc.Path != "/done" {
		t.Fatalf("redirect: %d %s", code, hdr)
	}
	if q := loc.Query(); q.Get("x") != "1" || q.Get("bucket") != b || q.Get("key") != "redirected.txt" || q.Get("etag") != quotedMD5([]byte("redirect me")) {
		t.Fatalf("redirect query: %v", q)
	}
	// starts-with on Content-Type.
	code, body, _ = postForm(t, res.Starts.URL, res.Starts.Fields, "s.png", []byte("png"))
	if code != 204 {
		t.Fatalf("starts-with: %d %s", code, body)
	}
	// boto3's SigV2 post: 200, ${filename}.
	code, body, _ = postForm(t, res.V2.URL, res.V2.Fields, "two.bin", []byte("signed with v2"))
	if code != 200 {
		t.Fatalf("SigV2 post: %d %s", code, body)
	}
	mustEqualBytes(t, "object posted with boto3's SigV2 form", getObject(t, b, "v2/two.bin"), []byte("signed with v2"))

	// An expired policy.
	time.Sleep(time.Until(mustExpiration(t, res.Short.Fields["policy"]).Add(100 * time.Millisecond)))
	code, body, _ = postForm(t, res.Short.URL, res.Short.Fields, "late.txt", []byte("late"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, "Policy expired") {
		t.Fatalf("expired policy: %d %s", code, body)
	}
}

func mustExpiration(t *testing.T, policy string) time.Time {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Expiration time.Time }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("policy %s: %v", raw, err)
	}
	return doc.Expiration
}

// sigV2Form signs a policy with SigV2 the way AWS's "Browser-based uploads
// using POST (AWS signature version 2)" describes: signature =
// Base64(HMAC-SHA1(secret, Base64(policy))).
func sigV2Form(policy string, fields map[string]string) map[string]string {
	p := base64.StdEncoding.EncodeToString([]byte(policy))
	f := copyFields(fields)
	f["policy"] = p
	f["AWSAccessKeyId"] = suite.accessKey
	f["signature"] = sigv2Sign(suite.secretKey, p)
	return f
}

func TestPostObject_sigV2FormBuiltByHand(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	exp := time.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	policy := fmt.Sprintf(`{"expiration": %q, "conditions": [
		{"bucket": %q},
		["starts-with", "$key", "user/eric/"],
		{"acl": "private"},
		["starts-with", "$Content-Type", ""],
		["eq", "$x-amz-meta-uuid", "14365123651274"],
		["starts-with", "$tagging", ""],
		["content-length-range", 0, 1048576]
	]}`, exp, b)
	tagging := "<Tagging><TagSet><Tag><Key>Project</Key><Value>Eric</Value></Tag></TagSet></Tagging>"
	fields := map[string]string{"key": "user/eric/${filename}", "acl": "private", "Content-Type": "image/jpeg",
		"x-amz-meta-uuid": "14365123651274", "tagging": tagging, "x-ignore-note": "not in the policy"}
	u := suite.endpoint + "/" + b
	code, body, hdr := postForm(t, u, sigV2Form(policy, fields), "photo.jpg", []byte("jpeg bytes"))
	if code != 204 {
		t.Fatalf("SigV2 form: %d %s\n%s", code, body, hdr)
	}
	c := s3c(t)
	got, obj := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("user/eric/photo.jpg")})
	if string(got) != "jpeg bytes" || aws.ToString(obj.ContentType) != "image/jpeg" || obj.Metadata["uuid"] != "14365123651274" {
		t.Fatalf("object: %q %s %v", got, aws.ToString(obj.ContentType), obj.Metadata)
	}
	tags, err := c.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("user/eric/photo.jpg")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "Project" || aws.ToString(tags.TagSet[0].Value) != "Eric" {
		t.Fatalf("tags: %v %v", tags, err)
	}

	// Outside the key prefix.
	f := copyFields(fields)
	f["key"] = "user/mallory/x"
	code, body, _ = postForm(t, u, sigV2Form(policy, f), "x", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, `["starts-with", "$key", "user/eric/"]`) {
		t.Fatalf("key outside the prefix: %d %s", code, body)
	}
	// Signed by someone else.
	sf := sigV2Form(policy, fields)
	sf["signature"] = sigv2Sign("not the secret", sf["policy"])
	code, body, _ = postForm(t, u, sf, "x", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %d %s", code, body)
	}
	// Posted to another bucket than the policy names.
	other := newBucket(t)
	code, body, _ = postForm(t, suite.endpoint+"/"+other, sigV2Form(policy, fields), "x", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, "$bucket") {
		t.Fatalf("other bucket: %d %s", code, body)
	}
	// An invalid policy document.
	code, body, _ = postForm(t, u, sigV2Form(`{"conditions": []}`, fields), "x", []byte("x"))
	if e := parseS3Error(t, body); code != 400 || e.Code != "InvalidPolicyDocument" {
		t.Fatalf("policy without expiration: %d %s", code, body)
	}
	// Unsigned, no policy: an anonymous upload, refused on a private bucket.
	code, body, _ = postForm(t, u, map[string]string{"key": "anon.txt"}, "x", []byte("x"))
	if e := parseS3Error(t, body); code != 403 || e.Code != "AccessDenied" {
		t.Fatalf("anonymous: %d %s", code, body)
	}
	// Not multipart/form-data.
	code, body = curl(t, "-X", "POST", "-H", "Content-Type: application/x-www-form-urlencoded", "--data", "key=x", u)
	if e := parseS3Error(t, body); code != 412 || e.Code != "PreconditionFailed" {
		t.Fatalf("urlencoded form: %d %s", code, body)
	}
}

// A file larger than any buffer, streamed to storage.
func TestPostObject_largeFile(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	exp := time.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	policy := fmt.Sprintf(`{"expiration": %q, "conditions": [{"bucket": %q}, {"key": "big.bin"}, ["content-length-range", 1, 20971520]]}`, exp, b)
	data := randBytes(12<<20 + 3)
	code, body, hdr := postForm(t, suite.endpoint+"/"+b, sigV2Form(policy, map[string]string{"key": "big.bin"}), "big.bin", data)
	if code != 204 || headerValue(hdr, "ETag") != quotedMD5(data) {
		t.Fatalf("large POST: %d %s\n%s", code, body, hdr)
	}
	mustEqualBytes(t, "large object posted", getObject(t, b, "big.bin"), data)
}

// The form's acl field is PutObject's x-amz-acl: public-read on a bucket
// whose ownership allows ACLs grants AllUsers READ on the new object; under
// BucketOwnerEnforced (the default) the same form is refused, as AWS does.
func TestPostObject_aclField(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	c := s3c(t)
	b := newBucket(t)
	exp := time.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	policy := fmt.Sprintf(`{"expiration": %q, "conditions": [{"bucket": %q}, {"key": "pub.txt"}, {"acl": "public-read"}]}`, exp, b)
	fields := map[string]string{"key": "pub.txt", "acl": "public-read"}
	u := suite.endpoint + "/" + b
	code, body, _ := postForm(t, u, sigV2Form(policy, fields), "pub.txt", []byte("hello"))
	if e := parseS3Error(t, body); code != 400 || e.Code != "AccessControlListNotSupported" {
		t.Fatalf("public-read under BucketOwnerEnforced: %d %s", code, body)
	}
	if _, err := c.PutBucketOwnershipControls(ctxT(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePublicAccessBlock(ctxT(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	code, body, hdr := postForm(t, u, sigV2Form(policy, fields), "pub.txt", []byte("hello"))
	if code != 204 {
		t.Fatalf("public-read form: %d %s\n%s", code, body, hdr)
	}
	acl, err := c.GetObjectAcl(ctxT(t), &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("pub.txt")})
	if err != nil {
		t.Fatal(err)
	}
	public := false
	for _, g := range acl.Grants {
		if g.Grantee != nil && strings.HasSuffix(aws.ToString(g.Grantee.URI), "/global/AllUsers") && g.Permission == types.PermissionRead {
			public = true
		}
	}
	if !public {
		t.Fatalf("grants after a public-read form: %+v", acl.Grants)
	}
	// And an anonymous GET now reads it.
	code, got := curl(t, u+"/pub.txt")
	if code != 200 || string(got) != "hello" {
		t.Fatalf("anonymous GET of a public-read object: %d %q", code, got)
	}
}

// The form's x-amz-server-side-encryption fields are PutObject's headers:
// an SSE-S3 field encrypts the object (HeadObject and the POST's answer
// report it), an unknown method is refused as PutObject refuses it, and
// nothing is stored.
func TestPostObject_sseFields(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	c := s3c(t)
	b := newBucket(t)
	exp := time.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	u := suite.endpoint + "/" + b

	policy := fmt.Sprintf(`{"expiration": %q, "conditions": [{"bucket": %q}, {"key": "enc.txt"}, {"x-amz-server-side-encryption": "AES256"}]}`, exp, b)
	fields := map[string]string{"key": "enc.txt", "x-amz-server-side-encryption": "AES256"}
	code, body, hdr := postForm(t, u, sigV2Form(policy, fields), "enc.txt", []byte("secret text"))
	if code != 204 || headerValue(hdr, "x-amz-server-side-encryption") != "AES256" {
		t.Fatalf("SSE-S3 form: %d %s\n%s", code, body, hdr)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("enc.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("HeadObject after an SSE-S3 form: encryption %q", head.ServerSideEncryption)
	}
	mustEqualBytes(t, "SSE-S3 object posted", getObject(t, b, "enc.txt"), []byte("secret text"))

	policy = fmt.Sprintf(`{"expiration": %q, "conditions": [{"bucket": %q}, {"key": "bad.txt"}, {"x-amz-server-side-encryption": "AES128"}]}`, exp, b)
	fields = map[string]string{"key": "bad.txt", "x-amz-server-side-encryption": "AES128"}
	code, body, _ = postForm(t, u, sigV2Form(policy, fields), "bad.txt", []byte("x"))
	if e := parseS3Error(t, body); code != 400 || e.Code != "InvalidArgument" {
		t.Fatalf("unknown SSE method in a form: %d %s", code, body)
	}
	if _, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("bad.txt")}); err == nil {
		t.Fatal("a refused form stored its object")
	}
}
