package s3api

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"coffer/internal/sigv2"
)

// sendV2 signs a request with Signature Version 2 (header form) and sends it.
func (c *signedClient) sendV2(method, path, body string, hdr ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	p, q, _ := strings.Cut(path, "?")
	params, _ := sigv2.ParseQuery(q)
	sts := sigv2.StringToSign(method, req.Header.Get("Content-Md5"), req.Header.Get("Content-Type"),
		req.Header.Get("Date"), sigv2.CanonicalAmzHeaders(req.Header, ""), sigv2.CanonicalResource("", p, params, sigv2.ResourceOptions{}))
	req.Header.Set("Authorization", "AWS "+c.ak+":"+sigv2.Sign(c.sk, sts))
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestSigV2EndToEnd(t *testing.T) {
	c := newSignedServer(t)
	if resp, body := c.sendV2("PUT", "/v2bucket", ""); resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.StatusCode, body)
	}
	if resp, body := c.sendV2("PUT", "/v2bucket/a%20key", "hello", "Content-Type", "text/plain", "X-Amz-Meta-Who", "v2"); resp.StatusCode != 200 {
		t.Fatalf("PutObject: %d %s", resp.StatusCode, body)
	}
	resp, body := c.sendV2("GET", "/v2bucket/a%20key?response-content-type=x%2Fy", "")
	if resp.StatusCode != 200 || body != "hello" || resp.Header.Get("Content-Type") != "x/y" || resp.Header.Get("X-Amz-Meta-Who") != "v2" {
		t.Fatalf("GetObject: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// A body that does not match its signed Content-MD5 is refused.
	resp, body = c.sendV2("PUT", "/v2bucket/k2", "hello", "Content-Md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
	if resp.StatusCode != 400 || !strings.Contains(body, "<Code>BadDigest</Code>") {
		t.Fatalf("PutObject with a wrong Content-MD5: %d %s", resp.StatusCode, body)
	}

	// A wrong signature: SignatureDoesNotMatch with the string to sign.
	req, _ := http.NewRequest("GET", c.srv.URL+"/v2bucket/a%20key", nil)
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+c.ak+":AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	r, err := c.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var e struct {
		Code, StringToSign, SignatureProvided, AWSAccessKeyId string
	}
	if err := xml.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	want := "GET\n\n\n" + date + "\n/v2bucket/a%20key"
	if r.StatusCode != 403 || e.Code != "SignatureDoesNotMatch" || e.StringToSign != want ||
		e.SignatureProvided != "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" || e.AWSAccessKeyId != c.ak {
		t.Fatalf("tampered: %d %s", r.StatusCode, b)
	}

	// Presigned GET.
	exp := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	sig := sigv2.Sign(c.sk, "GET\n\n\n"+exp+"\n/v2bucket/a%20key")
	u := c.srv.URL + "/v2bucket/a%20key?AWSAccessKeyId=" + c.ak + "&Expires=" + exp + "&Signature=" + url.QueryEscape(sig)
	r, err = http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || string(b) != "hello" {
		t.Fatalf("presigned GET: %d %s", r.StatusCode, b)
	}
}
