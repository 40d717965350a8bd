package e2e

// Defects seen with unmodified clients (issue 7, item 1). Each test names
// the client that showed the defect.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// defectParts is a two-part object: a minimum-size part and a short last one.
func defectParts() [][]byte { return [][]byte{randBytes(5 << 20), randBytes(1234)} }

// checkDefaultMultipartChecksums checks what AWS reports for an upload
// created without a checksum algorithm whose parts carried the SDK's default
// CRC32: the object's checksum is S3's default, CRC64NVME FULL_OBJECT.
func checkDefaultMultipartChecksums(t *testing.T, c *s3.Client, b, key string, parts [][]byte) {
	t.Helper()
	whole := bytes.Join(parts, nil)
	want := b64crc64nvme(whole)
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(head.ChecksumCRC64NVME); got != want || head.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("HeadObject ChecksumMode=ENABLED: CRC64NVME %q type %q, want %q FULL_OBJECT", got, head.ChecksumType, want)
	}
	if head.ChecksumCRC32 != nil {
		t.Fatalf("HeadObject reports a CRC32 %q for an object whose checksum is CRC64NVME", aws.ToString(head.ChecksumCRC32))
	}
	// The SDK validates the full-object CRC64NVME of the body it reads.
	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	mustEqualBytes(t, "GetObject", data, whole)
	if got := aws.ToString(get.ChecksumCRC64NVME); got != want {
		t.Fatalf("GetObject ChecksumMode=ENABLED CRC64NVME: got %q, want %q", got, want)
	}
	attrs, err := c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String(key),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
	if attrs.Checksum == nil || aws.ToString(attrs.Checksum.ChecksumCRC64NVME) != want || attrs.Checksum.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("GetObjectAttributes Checksum: %+v, want CRC64NVME %q FULL_OBJECT", attrs.Checksum, want)
	}
	if attrs.ObjectParts == nil || len(attrs.ObjectParts.Parts) != len(parts) {
		t.Fatalf("GetObjectAttributes ObjectParts: %+v", attrs.ObjectParts)
	}
	for i, p := range attrs.ObjectParts.Parts {
		if got := aws.ToString(p.ChecksumCRC64NVME); got != b64crc64nvme(parts[i]) {
			t.Fatalf("GetObjectAttributes part %d CRC64NVME: got %q, want %q", i+1, got, b64crc64nvme(parts[i]))
		}
	}
}

// aws-sdk-go-v2 with default settings (RequestChecksumCalculation
// WhenSupported): CreateMultipartUpload without ChecksumAlgorithm, UploadPart
// adds its default CRC32, CompleteMultipartUpload lists the part checksums
// it got back (as the SDK's transfer manager does).
func TestMultipartUpload_noAlgorithm_sdkDefaultPartCRC32_awsSDKGoV2(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	parts := defectParts()
	cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("sdk")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		up, err := c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("sdk"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatalf("UploadPart %d with the SDK's default checksum: %v", i+1, err)
		}
		if got := aws.ToString(up.ChecksumCRC32); got != b64crc32(p) {
			t.Fatalf("UploadPart %d x-amz-checksum-crc32: got %q, want %q (the SDK's default part checksum, echoed)", i+1, got, b64crc32(p))
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32})
	}
	lp, err := c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("sdk"), UploadId: cr.UploadId})
	if err != nil || len(lp.Parts) != 2 || aws.ToString(lp.Parts[0].ChecksumCRC32) != b64crc32(parts[0]) {
		t.Fatalf("ListParts: %v %+v", err, lp)
	}
	out, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("sdk"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if got, want := aws.ToString(out.ETag), multipartETag(parts); got != want {
		t.Fatalf("CompleteMultipartUpload ETag: got %s, want %s", got, want)
	}
	if got, want := aws.ToString(out.ChecksumCRC64NVME), b64crc64nvme(bytes.Join(parts, nil)); got != want || out.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("CompleteMultipartUpload: CRC64NVME %q type %q, want %q FULL_OBJECT", got, out.ChecksumType, want)
	}
	checkDefaultMultipartChecksums(t, c, b, "sdk", parts)
}

// The aws CLI with default settings: s3api create-multipart-upload (no
// --checksum-algorithm), upload-part (botocore adds CRC32), then
// complete-multipart-upload with a parts file of PartNumber and ETag.
func TestMultipartUpload_noAlgorithm_sdkDefaultPartCRC32_awsCLI(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	parts := defectParts()
	dir := t.TempDir()
	var cr struct{ UploadId string }
	if err := json.Unmarshal([]byte(awsCLI(t, "s3api", "create-multipart-upload", "--bucket", b, "--key", "cli")), &cr); err != nil || cr.UploadId == "" {
		t.Fatalf("create-multipart-upload output: %v %+v", err, cr)
	}
	type partJSON struct {
		PartNumber int
		ETag       string
	}
	var done []partJSON
	for i, p := range parts {
		f := filepath.Join(dir, "part"+strconv.Itoa(i+1))
		if err := os.WriteFile(f, p, 0o644); err != nil {
			t.Fatal(err)
		}
		var up struct{ ETag, ChecksumCRC32 string }
		out := awsCLI(t, "s3api", "upload-part", "--bucket", b, "--key", "cli", "--upload-id", cr.UploadId,
			"--part-number", strconv.Itoa(i+1), "--body", f)
		if err := json.Unmarshal([]byte(out), &up); err != nil {
			t.Fatalf("upload-part output %q: %v", out, err)
		}
		if up.ChecksumCRC32 != b64crc32(p) {
			t.Fatalf("upload-part %d ChecksumCRC32: got %q, want %q (botocore's default part checksum, echoed)", i+1, up.ChecksumCRC32, b64crc32(p))
		}
		done = append(done, partJSON{i + 1, up.ETag})
	}
	mp, _ := json.Marshal(map[string]any{"Parts": done})
	mpFile := filepath.Join(dir, "mp.json")
	if err := os.WriteFile(mpFile, mp, 0o644); err != nil {
		t.Fatal(err)
	}
	var comp struct{ ETag, ChecksumCRC64NVME, ChecksumType string }
	out := awsCLI(t, "s3api", "complete-multipart-upload", "--bucket", b, "--key", "cli", "--upload-id", cr.UploadId,
		"--multipart-upload", "file://"+mpFile)
	if err := json.Unmarshal([]byte(out), &comp); err != nil {
		t.Fatalf("complete-multipart-upload output %q: %v", out, err)
	}
	if want := b64crc64nvme(bytes.Join(parts, nil)); comp.ETag != multipartETag(parts) || comp.ChecksumCRC64NVME != want || comp.ChecksumType != "FULL_OBJECT" {
		t.Fatalf("complete-multipart-upload: %+v, want ETag %s CRC64NVME %s FULL_OBJECT", comp, multipartETag(parts), want)
	}
	var head struct{ ChecksumCRC64NVME, ChecksumType string }
	out = awsCLI(t, "s3api", "head-object", "--bucket", b, "--key", "cli", "--checksum-mode", "ENABLED")
	if err := json.Unmarshal([]byte(out), &head); err != nil || head.ChecksumCRC64NVME != comp.ChecksumCRC64NVME || head.ChecksumType != "FULL_OBJECT" {
		t.Fatalf("head-object --checksum-mode ENABLED: %v %s", err, out)
	}
	checkDefaultMultipartChecksums(t, s3c(t), b, "cli", parts)
}

// boto3's low-level client with default settings (botocore >= 1.36):
// create_multipart_upload, upload_part, complete_multipart_upload.
func TestMultipartUpload_noAlgorithm_sdkDefaultPartCRC32_boto3(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	parts := defectParts()
	dir := t.TempDir()
	var files []string
	for i, p := range parts {
		f := filepath.Join(dir, "part"+strconv.Itoa(i+1))
		if err := os.WriteFile(f, p, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out := runPython(t, "testdata/defects_multipart_boto3.py", append([]string{b, "boto"}, files...)...)
	type sums struct {
		ETag              string
		ChecksumCRC32     string
		ChecksumCRC64NVME string
		ChecksumType      string
		ContentLength     int64
	}
	var res struct {
		UploadPart []sums `json:"upload_part"`
		ListParts  []sums `json:"list_parts"`
		Complete   sums   `json:"complete"`
		Head       sums   `json:"head"`
		Get        sums   `json:"get"`
		GetLen     int    `json:"get_len"`
		Attributes struct {
			Checksum sums
			Parts    []sums
		} `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	for i, p := range parts {
		if res.UploadPart[i].ChecksumCRC32 != b64crc32(p) || res.ListParts[i].ChecksumCRC32 != b64crc32(p) {
			t.Fatalf("part %d CRC32: upload_part %q list_parts %q, want %q", i+1, res.UploadPart[i].ChecksumCRC32, res.ListParts[i].ChecksumCRC32, b64crc32(p))
		}
		if res.Attributes.Parts[i].ChecksumCRC64NVME != b64crc64nvme(p) {
			t.Fatalf("get_object_attributes part %d: %+v, want CRC64NVME %s", i+1, res.Attributes.Parts[i], b64crc64nvme(p))
		}
	}
	want := sums{ETag: multipartETag(parts), ChecksumCRC64NVME: b64crc64nvme(bytes.Join(parts, nil)), ChecksumType: "FULL_OBJECT"}
	if res.Complete != want {
		t.Fatalf("complete_multipart_upload: %+v, want %+v", res.Complete, want)
	}
	if res.Get != want {
		t.Fatalf("get_object ChecksumMode=ENABLED: %+v, want %+v", res.Get, want)
	}
	want.ContentLength = int64(len(bytes.Join(parts, nil)))
	if res.Head != want || res.GetLen != int(want.ContentLength) {
		t.Fatalf("head_object ChecksumMode=ENABLED: %+v (get read %d bytes), want %+v", res.Head, res.GetLen, want)
	}
	if res.Attributes.Checksum.ChecksumCRC64NVME != want.ChecksumCRC64NVME || res.Attributes.Checksum.ChecksumType != "FULL_OBJECT" {
		t.Fatalf("get_object_attributes Checksum: %+v", res.Attributes.Checksum)
	}
}

// ---------------------------------------------------------------------------
// Range positions that overflow 64 bits (curl and aws-sdk-go-v2).

const overflow = "18446744073709551616" // 2^64

func TestGetObject_rangeOverflow_awsSDKGoV2(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(100)
	putObject(t, b, "r", body)
	for _, tc := range []struct {
		rng          string
		start, end   int
		contentRange string
	}{
		{"bytes=0-" + overflow, 0, 100, "bytes 0-99/100"},
		{"bytes=40-99999999999999999999999999", 40, 100, "bytes 40-99/100"},
		{"bytes=-" + overflow, 0, 100, "bytes 0-99/100"},
	} {
		data, out := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(tc.rng)})
		mustEqualBytes(t, "GetObject Range "+tc.rng, data, body[tc.start:tc.end])
		if got := aws.ToString(out.ContentRange); got != tc.contentRange {
			t.Fatalf("GetObject Range %s: Content-Range %q, want %q", tc.rng, got, tc.contentRange)
		}
	}
	for _, rng := range []string{"bytes=" + overflow + "-", "bytes=" + overflow + "-" + overflow + "0"} {
		_, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(rng)})
		wantErr(t, "GetObject Range "+rng, err, "InvalidRange", 416)
	}
}

func TestGetObject_rangeOverflow_curl(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	body := randBytes(100)
	putObject(t, b, "r", body)
	req, err := s3.NewPresignClient(s3c(t)).PresignGetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r")})
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	code, got := curl(t, "-H", "Range: bytes=10-"+overflow, req.URL)
	if code != 206 || !bytes.Equal(got, body[10:]) {
		t.Fatalf("curl Range bytes=10-2^64: %d, %d bytes; want 206 with bytes 10-99", code, len(got))
	}
	code, got = curl(t, "-H", "Range: bytes="+overflow+"-", req.URL)
	if code != 416 || !bytes.Contains(got, []byte("<Code>InvalidRange</Code>")) {
		t.Fatalf("curl Range bytes=2^64-: %d %s; want 416 InvalidRange", code, got)
	}
}

// ---------------------------------------------------------------------------
// DeleteObjects authorizes before it looks the bucket up (aws-sdk-go-v2 and
// the aws CLI, as a user made through the ONTAP API).

func TestDeleteObjects_noRights_sameAnswerForMissingBucket(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	bucket := "do-" + randHex(10)
	c.mkBucket(t, svm.UUID, bucket, nil)
	ak, sk := c.mkUser(t, svm.UUID, "nobody")
	root := s3As(t, svm.RootAK, svm.RootSK)
	if err := put(t, root, bucket, "k", []byte("x")); err != nil {
		t.Fatalf("root PutObject: %v", err)
	}
	u := s3As(t, ak, sk)
	missing := "do-missing-" + randHex(8)
	del := &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k")}}}
	for _, b := range []string{bucket, missing} {
		_, err := u.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: del})
		wantErr(t, "DeleteObjects without rights on "+b, err, "AccessDenied", 403)
		_, errOut, err := awsCLIAs(t, ak, sk, "s3api", "delete-objects", "--bucket", b, "--delete", `{"Objects":[{"Key":"k"}]}`)
		if err == nil || !strings.Contains(errOut, "AccessDenied") {
			t.Fatalf("aws s3api delete-objects without rights on %s: %v\n%s", b, err, errOut)
		}
	}
	if data, err := get(t, root, bucket, "k"); err != nil || string(data) != "x" {
		t.Fatalf("the object survived: %q %v", data, err)
	}
	// The root user still learns that a bucket is missing.
	_, err := root.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(missing), Delete: del})
	wantErr(t, "root DeleteObjects on a missing bucket", err, "NoSuchBucket", 404)
}

// ---------------------------------------------------------------------------
// Content-MD5 that is empty or malformed: InvalidDigest on every operation
// with a body (raw SigV4-signed requests).

func TestContentMD5_emptyOrMalformed_InvalidDigest_raw(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	c := s3c(t)
	b := newBucket(t)
	cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	base := suite.endpoint + "/" + b
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*"}]}`
	reqs := []struct{ name, method, url, body string }{
		{"PutObject", "PUT", base + "/obj", "hello"},
		{"UploadPart", "PUT", base + "/mp?partNumber=1&uploadId=" + aws.ToString(cr.UploadId), "part"},
		{"DeleteObjects", "POST", base + "?delete", `<Delete><Object><Key>obj</Key></Object></Delete>`},
		{"PutBucketPolicy", "PUT", base + "?policy", policy},
		{"PutObjectTagging", "PUT", base + "/obj?tagging", `<Tagging><TagSet></TagSet></Tagging>`},
		{"PutBucketVersioning", "PUT", base + "?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`},
		{"CompleteMultipartUpload", "POST", base + "/mp?uploadId=" + aws.ToString(cr.UploadId),
			`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`},
	}
	for _, md5 := range []string{"", "not base64", "XrY7u+Ae7tCTyyK7j1rN", "98O8HYCOBHMq32eZZczDTKeuNEE="} {
		for _, rq := range reqs {
			req, err := http.NewRequest(rq.method, rq.url, strings.NewReader(rq.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-MD5", md5)
			rawSigned(t, req, sha256hex([]byte(rq.body)), suite.accessKey, suite.secretKey, time.Now().UTC())
			res := doRaw(t, req)
			if res.status != 400 || res.code() != "InvalidDigest" {
				t.Fatalf("%s with Content-MD5 %q: %d %s, want 400 InvalidDigest", rq.name, md5, res.status, res.body)
			}
		}
	}
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("obj")})
	wantErr(t, "HeadObject after refused PUTs", err, "", 404)
	// A correct Content-MD5 still works.
	req, _ := http.NewRequest("PUT", base+"/obj", strings.NewReader("hello"))
	req.Header.Set("Content-MD5", b64md5([]byte("hello")))
	rawSigned(t, req, sha256hex([]byte("hello")), suite.accessKey, suite.secretKey, time.Now().UTC())
	if res := doRaw(t, req); res.status != 200 {
		t.Fatalf("PutObject with a correct Content-MD5: %d %s", res.status, res.body)
	}
}

// ---------------------------------------------------------------------------
// Slow and idle clients (raw TCP): the connection limits of both listeners.

// rawConn opens a TCP connection to addr (host:port) with a generous overall
// deadline, so a server that never answers fails the test instead of hanging.
func rawConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// signedHead is the request line and header block of a SigV4-signed request
// with an UNSIGNED-PAYLOAD body of size bytes, for writing by hand.
func signedHead(t *testing.T, method, endpoint, path string, size int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(size)
	req.Header.Set("Content-Length", strconv.Itoa(size))
	rawSigned(t, req, "UNSIGNED-PAYLOAD", cofferRootAccessKey, cofferRootSecretKey, time.Now().UTC())
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, req.URL.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// tempFiles lists the blob store's temp files under a server's data dir.
func tempFiles(t *testing.T, srv *cofferServer) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(srv.dataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".tmp") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// waitClosed reads from c until the server closes it and returns how long
// that took (failing after limit) and what was read.
func waitClosed(t *testing.T, c net.Conn, limit time.Duration) (time.Duration, []byte) {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	data, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v (read %q)", limit, data)
	}
	return time.Since(start), data
}

func TestConnectionLimits_slowAndIdleClients_rawTCP(t *testing.T) {
	srv := startPrivateCoffer(t,
		"COFFER_BODY_TIMEOUT=2s", "COFFER_IDLE_TIMEOUT=2s", "COFFER_READ_HEADER_TIMEOUT=2s",
		"COFFER_MAX_HEADER_BYTES=4096", "COFFER_ADMIN_READ_TIMEOUT=3s")
	c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	b := "limits-" + randHex(6)
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	t.Run("PutObject body stalls after half: RequestTimeout, no temp file", func(t *testing.T) {
		const size = 1 << 20
		conn := rawConn(t, srv.s3Addr)
		if _, err := conn.Write(signedHead(t, "PUT", srv.Endpoint(), "/"+b+"/stalled", size)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(randBytes(size / 2)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if len(tempFiles(t, srv)) == 0 {
			t.Fatalf("premise: no temp file while the upload is in progress")
		}
		took, resp := waitClosed(t, conn, 10*time.Second)
		if !bytes.HasPrefix(resp, []byte("HTTP/1.1 400")) || !bytes.Contains(resp, []byte("<Code>RequestTimeout</Code>")) {
			t.Fatalf("stalled PUT answered %q, want 400 RequestTimeout", resp)
		}
		if took > 6*time.Second {
			t.Fatalf("stalled PUT held for %v, want about the 2 s body timeout", took)
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(tempFiles(t, srv)) > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if left := tempFiles(t, srv); len(left) > 0 {
			t.Fatalf("temp files left after the timed-out upload: %v", left)
		}
		_, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("stalled")})
		wantErr(t, "HeadObject of the timed-out upload", err, "", 404)
	})

	t.Run("PutObject body trickles a byte a second: RequestTimeout", func(t *testing.T) {
		conn := rawConn(t, srv.s3Addr)
		if _, err := conn.Write(signedHead(t, "PUT", srv.Endpoint(), "/"+b+"/trickle", 100)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		go func() {
			for i := 0; i < 100; i++ {
				if _, err := conn.Write([]byte{'x'}); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}()
		_, resp := waitClosed(t, conn, 15*time.Second)
		if !bytes.Contains(resp, []byte("<Code>RequestTimeout</Code>")) {
			t.Fatalf("trickling PUT answered %q, want RequestTimeout", resp)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Fatalf("trickling PUT held for %v", took)
		}
	})

	t.Run("a refused PUT with Expect: 100-continue is answered at once, without its body", func(t *testing.T) {
		conn := rawConn(t, srv.s3Addr)
		req, _ := http.NewRequest("PUT", srv.Endpoint()+"/"+b+"/refused", nil)
		req.ContentLength = 10 << 20
		rawSigned(t, req, "UNSIGNED-PAYLOAD", "NOSUCHACCESSKEY00000", cofferRootSecretKey, time.Now().UTC())
		fmt.Fprintf(conn, "PUT /%s/refused HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n", b, srv.s3Addr, 10<<20)
		for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
			fmt.Fprintf(conn, "%s: %s\r\n", k, req.Header.Get(k))
		}
		fmt.Fprint(conn, "\r\n")
		start := time.Now()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("refused PUT: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 || time.Since(start) > time.Second {
			t.Fatalf("refused PUT: status %d after %v, want 403 at once (no 100 Continue, no waiting for the body)", resp.StatusCode, time.Since(start))
		}
	})

	t.Run("a normal upload still works", func(t *testing.T) {
		body := randBytes(3 << 20)
		if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("ok"), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
	})

	for _, l := range []struct {
		name, addr string
		dial       func(t testing.TB, addr string) net.Conn
	}{{"s3", srv.s3Addr, func(t testing.TB, a string) net.Conn { return rawConn(t.(*testing.T), a) }}, {"admin", srv.adminAddr, adminRawConn}} {
		rawConn := func(t *testing.T, addr string) net.Conn { return l.dial(t, addr) }
		t.Run(l.name+" closes an idle keep-alive connection", func(t *testing.T) {
			conn := rawConn(t, l.addr)
			fmt.Fprintf(conn, "GET /health/ready HTTP/1.1\r\nHost: %s\r\n\r\n", l.addr)
			rd := bufio.NewReader(conn)
			resp, err := http.ReadResponse(rd, nil)
			if err != nil {
				t.Fatalf("first request: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			start := time.Now()
			_ = conn.SetReadDeadline(start.Add(10 * time.Second))
			if _, err := rd.ReadByte(); err != io.EOF {
				t.Fatalf("idle connection: read %v, want EOF (closed by the server)", err)
			}
			if took := time.Since(start); took < time.Second || took > 6*time.Second {
				t.Fatalf("idle connection closed after %v, want about the 2 s idle timeout", took)
			}
		})
		t.Run(l.name+" refuses an oversized header block with 431", func(t *testing.T) {
			conn := rawConn(t, l.addr)
			fmt.Fprintf(conn, "GET /health/ready HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n", l.addr, strings.Repeat("a", 32<<10))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("oversized header: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("oversized header: status %d, want 431", resp.StatusCode)
			}
		})
		t.Run(l.name+" closes a connection whose headers stall", func(t *testing.T) {
			conn := rawConn(t, l.addr)
			fmt.Fprintf(conn, "GET /health/ready HTTP/1.1\r\nHost: %s\r\nX-Slow: ", l.addr)
			if took, _ := waitClosed(t, conn, 10*time.Second); took > 6*time.Second {
				t.Fatalf("stalled headers held for %v, want about the 2 s header timeout", took)
			}
		})
	}

	t.Run("admin: a request body that never arrives is cut off", func(t *testing.T) {
		conn := adminRawConn(t, srv.adminAddr)
		fmt.Fprintf(conn, "POST /api/svm/svms HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", srv.adminAddr)
		if took, _ := waitClosed(t, conn, 15*time.Second); took > 8*time.Second {
			t.Fatalf("stalled admin body held for %v, want about the 3 s admin read timeout", took)
		}
	})
}
