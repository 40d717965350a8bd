package s3api

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/postpolicy"
	"coffer/internal/sigv2"
	"coffer/internal/sigv4"
)

func (c *signedClient) postForm(path string, fields [][2]string, file string) (*http.Response, string) {
	c.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	fw, _ := w.CreateFormFile("file", "f.txt")
	fw.Write([]byte(file))
	w.Close()
	resp, err := c.srv.Client().Post(c.srv.URL+path, w.FormDataContentType(), &b)
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func TestPostObject_signedForms(t *testing.T) {
	c := newSignedServer(t)
	if resp, body := c.sendV2("PUT", "/postbucket", ""); resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.StatusCode, body)
	}
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	now := time.Now().UTC()
	date := now.Format("20060102T150405Z")
	cred := sigv4.Credential{AccessKey: c.ak, Date: date[:8], Region: "us-east-1", Service: "s3"}
	credText := c.ak + "/" + date[:8] + "/us-east-1/s3/aws4_request"
	policy := base64.StdEncoding.EncodeToString([]byte(`{"expiration": "` + exp + `", "conditions": [
		{"bucket": "postbucket"}, ["starts-with", "$key", "in/"], {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		{"x-amz-credential": "` + credText + `"}, {"x-amz-date": "` + date + `"}, {"success_action_status": "201"}]}`))
	fields := [][2]string{{"key", "in/${filename}"}, {"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", credText},
		{"x-amz-date", date}, {"success_action_status", "201"}, {"policy", policy},
		{"x-amz-signature", sigv4.SignPOSTPolicy(c.sk, cred, policy)}}
	resp, body := c.postForm("/postbucket", fields, "v4 content")
	if resp.StatusCode != 201 || !strings.Contains(body, "<Key>in/f.txt</Key>") || !strings.Contains(body, "<Bucket>postbucket</Bucket>") {
		t.Fatalf("SigV4 form: %d %s", resp.StatusCode, body)
	}
	if v := c.be.latest(c.be.buckets[testPrincipal.Tenant+"/postbucket"], "in/f.txt"); v == nil || string(v.data) != "v4 content" {
		t.Fatalf("stored: %+v", v)
	}
	// The credential's date must be the x-amz-date's.
	bad := append([][2]string(nil), fields...)
	bad[3][1] = now.Add(48 * time.Hour).Format("20060102T150405Z")
	if resp, body = c.postForm("/postbucket", bad, "x"); resp.StatusCode != 400 || !strings.Contains(body, "InvalidArgument") {
		t.Fatalf("date off the credential: %d %s", resp.StatusCode, body)
	}
	// SigV2 with an unknown key.
	fields2 := [][2]string{{"key", "in/x"}, {"AWSAccessKeyId", "NOBODY"}, {"policy", policy}, {"signature", sigv2.Sign(c.sk, policy)}}
	if resp, body = c.postForm("/postbucket", fields2, "x"); resp.StatusCode != 403 || !strings.Contains(body, "InvalidAccessKeyId") {
		t.Fatalf("unknown key: %d %s", resp.StatusCode, body)
	}
	// SigV2 without its signature field.
	if resp, body = c.postForm("/postbucket", fields2[:3], "x"); resp.StatusCode != 400 || !strings.Contains(body, "<ArgumentName>signature</ArgumentName>") {
		t.Fatalf("no signature: %d %s", resp.StatusCode, body)
	}
}

func TestPostFileReader(t *testing.T) {
	read := func(data string, lim postpolicy.Limits, max int64) error {
		_, err := io.ReadAll(&postFileReader{r: strings.NewReader(data), lim: lim, max: max})
		return err
	}
	r := postpolicy.Limits{Set: true, Min: 2, Max: 4}
	for _, c := range []struct {
		data string
		lim  postpolicy.Limits
		max  int64
		want error
	}{
		{"abc", r, 100, nil}, {"ab", r, 100, nil}, {"abcd", r, 100, nil},
		{"a", r, 100, errs.EntityTooSmall}, {"abcde", r, 100, errs.EntityTooLarge},
		{"abcde", postpolicy.Limits{}, 4, errs.EntityTooLarge}, {"", postpolicy.Limits{}, 4, nil},
	} {
		if err := read(c.data, c.lim, c.max); (c.want == nil) != (err == nil) || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%q %+v max %d: %v, want %v", c.data, c.lim, c.max, err, c.want)
		}
	}
}
