package s3api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"coffer/internal/core"
)

// These tests go through real SigV4 verification and the real body chain
// (aws-chunked decoding, trailers, checksums), signing with the AWS SDK.

type signedClient struct {
	t      *testing.T
	srv    *httptest.Server
	be     *fakeBackend
	ak, sk string
}

func newSignedServer(t *testing.T) *signedClient {
	be := newFakeBackend()
	cred := core.Credential{Principal: testPrincipal, Secret: "SECRETSECRETSECRET"}
	h, err := New(Options{Backend: be, Credentials: fakeCreds{cred}, Authorizer: &fakeAuthz{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &signedClient{t: t, srv: srv, be: be, ak: cred.AccessKey, sk: cred.Secret}
}

// send signs (unless payloadHash is "") and sends a request.
func (c *signedClient) send(method, path, body, payloadHash string, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if payloadHash != "" {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
		creds := aws.Credentials{AccessKeyID: c.ak, SecretAccessKey: c.sk}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, "s3", "us-east-1", time.Now()); err != nil {
			c.t.Fatal(err)
		}
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestSigV4EndToEnd(t *testing.T) {
	c := newSignedServer(t)
	expectCode := func(resp *http.Response, body string, status int, code string) {
		t.Helper()
		if resp.StatusCode != status || (code != "" && !strings.Contains(body, "<Code>"+code+"</Code>")) {
			t.Fatalf("%s %s: %d %s, want %d %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body, status, code)
		}
	}

	resp, body := c.send("GET", "/", "", "")
	expectCode(resp, body, 403, "AccessDenied")

	resp, body = c.send("PUT", "/bkt", "", sha(""))
	expectCode(resp, body, 200, "")

	resp, body = c.send("PUT", "/bkt/plain", "hello", sha("hello"))
	expectCode(resp, body, 200, "")
	resp, body = c.send("GET", "/bkt/plain", "", sha(""))
	expectCode(resp, body, 200, "")
	if body != "hello" {
		t.Fatalf("GET %q", body)
	}

	resp, body = c.send("PUT", "/bkt/bad", "hello", sha("other"))
	expectCode(resp, body, 400, "XAmzContentSHA256Mismatch")

	saved := c.sk
	c.sk = "wrong"
	resp, body = c.send("GET", "/bkt/plain", "", sha(""))
	expectCode(resp, body, 403, "SignatureDoesNotMatch")
	c.sk, c.ak = saved, "AKIDNOBODY"
	resp, body = c.send("GET", "/bkt/plain", "", sha(""))
	expectCode(resp, body, 403, "InvalidAccessKeyId")
	c.ak = testPrincipal.AccessKey

	// aws-chunked with a CRC32 trailer, as current SDKs send by default.
	chunked := func(trailer string) string {
		return "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:" + trailer + "\r\n\r\n"
	}
	hdr := []string{
		"Content-Encoding", "aws-chunked",
		"X-Amz-Decoded-Content-Length", "3",
		"X-Amz-Trailer", "x-amz-checksum-crc32",
		"X-Amz-Sdk-Checksum-Algorithm", "CRC32",
	}
	resp, body = c.send("PUT", "/bkt/chunked", chunked("NSRBwg=="), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", hdr...)
	expectCode(resp, body, 200, "")
	if got := resp.Header.Get("X-Amz-Checksum-Crc32"); got != "NSRBwg==" {
		t.Errorf("PUT echoes checksum %q", got)
	}
	v := c.be.buckets["t1/bkt"].versions["chunked"][0]
	if string(v.data) != "abc" || v.info.Meta.ContentEncoding != "" {
		t.Fatalf("stored %q with Content-Encoding %q", v.data, v.info.Meta.ContentEncoding)
	}
	resp, body = c.send("GET", "/bkt/chunked", "", sha(""), "X-Amz-Checksum-Mode", "ENABLED")
	expectCode(resp, body, 200, "")
	if resp.Header.Get("X-Amz-Checksum-Crc32") != "NSRBwg==" || resp.Header.Get("X-Amz-Checksum-Type") != "FULL_OBJECT" {
		t.Fatalf("GET checksum headers %v", resp.Header)
	}

	resp, body = c.send("PUT", "/bkt/chunked-bad", chunked("AAAAAA=="), "STREAMING-UNSIGNED-PAYLOAD-TRAILER", hdr...)
	expectCode(resp, body, 400, "BadDigest")
	if _, ok := c.be.buckets["t1/bkt"].versions["chunked-bad"]; ok {
		t.Fatal("object with a bad checksum was stored")
	}
}
