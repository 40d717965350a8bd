package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const corsRulesJSON = `{"CORSRules":[
 {"ID":"web","AllowedOrigins":["https://*.example.com"],"AllowedMethods":["GET","PUT"],
  "AllowedHeaders":["x-amz-*","Content-Type"],"ExposeHeaders":["ETag","x-amz-request-id"],"MaxAgeSeconds":600},
 {"AllowedOrigins":["*"],"AllowedMethods":["HEAD"]}]}`

// curlHeaders runs curl with args, returning the status and the response
// headers (canonical names).
func curlHeaders(t *testing.T, args ...string) (int, http.Header, string) {
	t.Helper()
	hf := filepath.Join(t.TempDir(), "headers")
	code, body := curl(t, append([]string{"-D", hf}, args...)...)
	raw, err := os.ReadFile(hf)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return code, h, string(body)
}

// PutBucketCors, GetBucketCors and DeleteBucketCors with the aws CLI (its
// default request checksum stands in for Content-MD5).
func TestCORS_awsCLI_putGetDelete(t *testing.T) {
	t.Parallel() // a bucket of its own
	b := newBucket(t)
	_, errOut, err := awsCLIResult(t, "s3api", "get-bucket-cors", "--bucket", b)
	if err == nil || !strings.Contains(errOut, "NoSuchCORSConfiguration") {
		t.Fatalf("get-bucket-cors before any: err %v, stderr %s", err, errOut)
	}
	awsCLI(t, "s3api", "put-bucket-cors", "--bucket", b, "--cors-configuration", corsRulesJSON)
	var got struct {
		CORSRules []struct {
			ID             string
			AllowedOrigins []string
			AllowedMethods []string
			AllowedHeaders []string
			ExposeHeaders  []string
			MaxAgeSeconds  int
		}
	}
	if err := json.Unmarshal([]byte(awsCLI(t, "s3api", "get-bucket-cors", "--bucket", b)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.CORSRules) != 2 || got.CORSRules[0].ID != "web" || got.CORSRules[0].MaxAgeSeconds != 600 ||
		strings.Join(got.CORSRules[0].AllowedMethods, ",") != "GET,PUT" || got.CORSRules[1].AllowedOrigins[0] != "*" ||
		strings.Join(got.CORSRules[0].ExposeHeaders, ",") != "ETag,x-amz-request-id" {
		t.Fatalf("get-bucket-cors: %+v", got)
	}
	_, errOut, err = awsCLIResult(t, "s3api", "put-bucket-cors", "--bucket", b, "--cors-configuration",
		`{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]}`)
	if err == nil || !strings.Contains(errOut, "InvalidRequest") || !strings.Contains(errOut, "Unsupported method is PATCH") {
		t.Fatalf("unsupported method: err %v, stderr %s", err, errOut)
	}
	_, errOut, err = awsCLIResult(t, "s3api", "put-bucket-cors", "--bucket", b, "--cors-configuration",
		`{"CORSRules":[{"AllowedOrigins":["https://*.*.example.com"],"AllowedMethods":["GET"]}]}`)
	if err == nil || !strings.Contains(errOut, "can not have more than one wildcard") {
		t.Fatalf("two wildcards: err %v, stderr %s", err, errOut)
	}
	awsCLI(t, "s3api", "delete-bucket-cors", "--bucket", b)
	if _, errOut, err = awsCLIResult(t, "s3api", "get-bucket-cors", "--bucket", b); err == nil || !strings.Contains(errOut, "NoSuchCORSConfiguration") {
		t.Fatalf("get-bucket-cors after delete: err %v, stderr %s", err, errOut)
	}
}

// Preflights with curl, as a browser sends them: unauthenticated.
func TestCORS_preflight_curl(t *testing.T) {
	t.Parallel() // a bucket of its own
	b := newBucket(t)
	url := suite.endpoint + "/" + b + "/photos/cat.jpg"
	code, _, body := curlHeaders(t, "-X", "OPTIONS", "-H", "Origin: https://app.example.com", "-H", "Access-Control-Request-Method: PUT", url)
	if code != 403 || !strings.Contains(body, "CORS is not enabled for this bucket") {
		t.Fatalf("before PutBucketCors: %d %s", code, body)
	}
	awsCLI(t, "s3api", "put-bucket-cors", "--bucket", b, "--cors-configuration", corsRulesJSON)

	code, h, body := curlHeaders(t, "-X", "OPTIONS", "-H", "Origin: https://app.example.com",
		"-H", "Access-Control-Request-Method: PUT", "-H", "Access-Control-Request-Headers: content-type,x-amz-meta-owner", url)
	if code != 200 {
		t.Fatalf("allowed preflight: %d %s", code, body)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "content-type, x-amz-meta-owner",
		"Access-Control-Expose-Headers":    "ETag, x-amz-request-id",
		"Access-Control-Max-Age":           "600",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
	} {
		if got := h.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	code, h, _ = curlHeaders(t, "-X", "OPTIONS", "-H", "Origin: http://localhost:8080", "-H", "Access-Control-Request-Method: HEAD", suite.endpoint+"/"+b)
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("wildcard rule on the bucket: %d %v", code, h)
	}

	for _, tc := range []struct {
		name string
		hdr  []string
		code int
		text string
	}{
		{"wrong origin", []string{"Origin: https://app.example.org", "Access-Control-Request-Method: GET"}, 403, "AccessForbidden"},
		{"wrong method", []string{"Origin: https://app.example.com", "Access-Control-Request-Method: DELETE"}, 403, "AccessForbidden"},
		{"wrong header", []string{"Origin: https://app.example.com", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: authorization"}, 403, "AccessForbidden"},
		{"no origin", []string{"Access-Control-Request-Method: GET"}, 400, "Origin request header needed"},
		{"no method", []string{"Origin: https://app.example.com"}, 400, "Invalid Access-Control-Request-Method: null"},
	} {
		args := []string{"-X", "OPTIONS"}
		for _, hv := range tc.hdr {
			args = append(args, "-H", hv)
		}
		code, h, body := curlHeaders(t, append(args, url)...)
		if code != tc.code || !strings.Contains(body, tc.text) || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %v %s", tc.name, code, h, body)
		}
	}
}

// The CORS headers of actual requests: a presigned GET with an Origin, and
// errors (an anonymous request refused, a missing key).
func TestCORS_actualRequests_headers(t *testing.T) {
	t.Parallel() // a bucket of its own
	b := newBucket(t)
	awsCLI(t, "s3api", "put-bucket-cors", "--bucket", b, "--cors-configuration", corsRulesJSON)
	putObject(t, b, "page.html", []byte("<html></html>"))
	ps := s3.NewPresignClient(s3c(t))
	get := func(key string) string {
		req, err := ps.PresignGetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)}, s3.WithPresignExpires(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	code, h, body := curlHeaders(t, "-H", "Origin: https://www.example.com", get("page.html"))
	if code != 200 || body != "<html></html>" {
		t.Fatalf("presigned GET: %d %s", code, body)
	}
	if h.Get("Access-Control-Allow-Origin") != "https://www.example.com" || h.Get("Access-Control-Allow-Methods") != "GET, PUT" ||
		h.Get("Access-Control-Expose-Headers") != "ETag, x-amz-request-id" || h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Vary") == "" {
		t.Fatalf("GET with Origin: %v", h)
	}
	code, h, _ = curlHeaders(t, get("page.html"))
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Vary") != "" {
		t.Fatalf("GET without Origin carries CORS headers: %d %v", code, h)
	}
	code, h, body = curlHeaders(t, "-H", "Origin: https://www.example.com", get("missing.html"))
	if code != 404 || !strings.Contains(body, "NoSuchKey") || h.Get("Access-Control-Allow-Origin") != "https://www.example.com" {
		t.Fatalf("404 with Origin: %d %v %s", code, h, body)
	}
	// Unauthenticated: refused, and the refusal still carries the headers,
	// so the browser lets the page read the error.
	code, h, body = curlHeaders(t, "-H", "Origin: https://www.example.com", suite.endpoint+"/"+b+"/page.html")
	if code != 403 || !strings.Contains(body, "AccessDenied") || h.Get("Access-Control-Allow-Origin") != "https://www.example.com" {
		t.Fatalf("anonymous GET with Origin: %d %v %s", code, h, body)
	}
	// A method no rule allows gets no CORS headers.
	code, h, _ = curlHeaders(t, "-X", "DELETE", "-H", "Origin: https://www.example.com", suite.endpoint+"/"+b+"/page.html")
	if code != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("DELETE with Origin: %d %v", code, h)
	}
}
