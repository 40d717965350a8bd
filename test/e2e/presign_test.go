package e2e

import (
	"encoding/xml"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func errorCodeOf(body []byte) string {
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(body, &e)
	return e.Code
}

func TestPresignedGetObject_curl(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	body := randBytes(123_456)
	putObject(t, b, "dir/pre signed+obj.bin", body)
	ps := s3.NewPresignClient(s3c(t))
	req, err := ps.PresignGetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/pre signed+obj.bin")}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	if !strings.Contains(req.URL, "X-Amz-Signature=") {
		t.Fatalf("presigned URL lacks X-Amz-Signature: %s", req.URL)
	}
	code, got := curl(t, req.URL)
	if code != 200 {
		t.Fatalf("curl presigned GET: HTTP %d %s", code, got)
	}
	mustEqualBytes(t, "curl presigned GET", got, body)

	// Range via curl on the same URL (Range is not signed, so it is allowed).
	code, got = curl(t, "-H", "Range: bytes=10-19", req.URL)
	if code != 206 {
		t.Fatalf("curl presigned GET with Range: HTTP %d", code)
	}
	mustEqualBytes(t, "curl presigned ranged GET", got, body[10:20])
}

func TestPresignedPutObject_curl(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	body := randBytes(200_000)
	f := filepath.Join(t.TempDir(), "up.bin")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	ps := s3.NewPresignClient(s3c(t))
	req, err := ps.PresignPutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("uploaded via curl")}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	args := []string{"-X", "PUT", "--data-binary", "@" + f}
	for k, vs := range req.SignedHeader {
		if strings.EqualFold(k, "host") {
			continue
		}
		for _, v := range vs {
			args = append(args, "-H", k+": "+v)
		}
	}
	code, resp := curl(t, append(args, req.URL)...)
	if code != 200 {
		t.Fatalf("curl presigned PUT: HTTP %d %s", code, resp)
	}
	mustEqualBytes(t, "object uploaded by presigned PUT", getObject(t, b, "uploaded via curl"), body)
}

func TestPresignedGetObject_expired_AccessDenied(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	putObject(t, b, "k", []byte("x"))
	ps := s3.NewPresignClient(s3c(t))
	req, err := ps.PresignGetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")}, s3.WithPresignExpires(1*time.Second))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	time.Sleep(2100 * time.Millisecond)
	code, body := curl(t, req.URL)
	if code != 403 || errorCodeOf(body) != "AccessDenied" {
		t.Fatalf("expired presigned GET: got HTTP %d code %q, want 403 AccessDenied (%s)", code, errorCodeOf(body), body)
	}
}

func TestPresignedGetObject_tampered_SignatureDoesNotMatch(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	putObject(t, b, "k", []byte("secret"))
	putObject(t, b, "other", []byte("other secret"))
	ps := s3.NewPresignClient(s3c(t))
	req, err := ps.PresignGetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	u, _ := url.Parse(req.URL)

	// 1. Flip one hex digit of the signature.
	q := u.Query()
	sig := q.Get("X-Amz-Signature")
	flipped := []byte(sig)
	if flipped[0] == '0' {
		flipped[0] = '1'
	} else {
		flipped[0] = '0'
	}
	q.Set("X-Amz-Signature", string(flipped))
	u1 := *u
	u1.RawQuery = q.Encode()
	code, body := curl(t, u1.String())
	if code != 403 || errorCodeOf(body) != "SignatureDoesNotMatch" {
		t.Fatalf("tampered signature: got HTTP %d code %q, want 403 SignatureDoesNotMatch (%s)", code, errorCodeOf(body), body)
	}

	// 2. Point the signed URL at another key.
	u2 := *u
	u2.Path = strings.TrimSuffix(u.Path, "/k") + "/other"
	u2.RawPath = ""
	code, body = curl(t, u2.String())
	if code != 403 || errorCodeOf(body) != "SignatureDoesNotMatch" {
		t.Fatalf("tampered key: got HTTP %d code %q, want 403 SignatureDoesNotMatch (%s)", code, errorCodeOf(body), body)
	}

	// 3. Extend the expiry.
	q = u.Query()
	q.Set("X-Amz-Expires", "604800")
	u3 := *u
	u3.RawQuery = q.Encode()
	code, body = curl(t, u3.String())
	if code != 403 || errorCodeOf(body) != "SignatureDoesNotMatch" {
		t.Fatalf("tampered X-Amz-Expires: got HTTP %d code %q, want 403 SignatureDoesNotMatch (%s)", code, errorCodeOf(body), body)
	}

	// 4. A presigned GET URL cannot be used for PUT.
	code, body = curl(t, "-X", "PUT", "--data-binary", "overwrite", req.URL)
	if code != 403 || errorCodeOf(body) != "SignatureDoesNotMatch" {
		t.Fatalf("presigned GET used for PUT: got HTTP %d code %q, want 403 SignatureDoesNotMatch (%s)", code, errorCodeOf(body), body)
	}
	mustEqualBytes(t, "object after tampered requests", getObject(t, b, "k"), []byte("secret"))
}
