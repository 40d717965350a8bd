package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Signature Version 2: presigned URLs from the aws CLI v1 (its default),
// boto3 and s3cmd; whole sessions of boto3 and s3cmd signing with SigV2;
// refusals of tampered, expired and skewed requests.

// sigv2Sign is Base64(HMAC-SHA1(secret, stringToSign)), written here
// independently of the server's code.
func sigv2Sign(secret, sts string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// s3Error is an S3 error document.
type s3ErrorDoc struct {
	Code, Message, StringToSign string
}

func parseS3Error(t testing.TB, body []byte) s3ErrorDoc {
	t.Helper()
	var e s3ErrorDoc
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not XML: %v: %s", err, body)
	}
	return e
}

func TestSigV2_awsCLIPresign_default(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	body := randBytes(40_000)
	putObject(t, b, "cli/pre signed.bin", body)
	u := strings.TrimSpace(awsCLI(t, "s3", "presign", "s3://"+b+"/cli/pre signed.bin", "--expires-in", "300"))
	// The aws CLI v1 presigns with SigV2 by default.
	if !strings.Contains(u, "AWSAccessKeyId=") || !strings.Contains(u, "Signature=") || strings.Contains(u, "X-Amz-Algorithm") {
		t.Fatalf("aws s3 presign did not produce a SigV2 URL: %s", u)
	}
	code, got := curl(t, u)
	if code != 200 {
		t.Fatalf("curl GET of the aws CLI's URL: HTTP %d %s", code, got)
	}
	mustEqualBytes(t, "GET via aws s3 presign URL", got, body)

	// Tampering with the signature: SignatureDoesNotMatch.
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	sig := []byte(q.Get("Signature"))
	sig[0] ^= 1
	q.Set("Signature", string(sig))
	pu.RawQuery = q.Encode()
	code, eb := curl(t, pu.String())
	if e := parseS3Error(t, eb); code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered signature: HTTP %d %s", code, eb)
	}
	// The URL for another key does not carry over.
	code, eb = curl(t, strings.Replace(u, "pre%20signed.bin", "other.bin", 1))
	if e := parseS3Error(t, eb); code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("URL moved to another key: HTTP %d %s", code, eb)
	}
}

func TestSigV2_awsCLIPresign_expired(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	putObject(t, b, "k", []byte("x"))
	u := strings.TrimSpace(awsCLI(t, "s3", "presign", "s3://"+b+"/k", "--expires-in", "1"))
	time.Sleep(2100 * time.Millisecond)
	code, eb := curl(t, u)
	if e := parseS3Error(t, eb); code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, "Request has expired") {
		t.Fatalf("expired URL: HTTP %d %s", code, eb)
	}
}

// The CLI with signature_version = s3v4 in its s3 section still presigns
// with SigV4: both forms work side by side.
func TestSigV2_awsCLIPresign_s3v4Config(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	putObject(t, b, "k4", []byte("four"))
	cfg := filepath.Join(t.TempDir(), "aws-config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n    signature_version = s3v4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", "--endpoint-url", suite.endpoint, "s3", "presign", "s3://"+b+"/k4")
	cmd.Env = toolEnv("AWS_CONFIG_FILE=" + cfg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws s3 presign: %v: %s", err, out)
	}
	u := strings.TrimSpace(string(out))
	if !strings.Contains(u, "X-Amz-Algorithm=AWS4-HMAC-SHA256") {
		t.Fatalf("not a SigV4 URL: %s", u)
	}
	if code, got := curl(t, u); code != 200 || string(got) != "four" {
		t.Fatalf("curl SigV4 URL: HTTP %d %s", code, got)
	}
}

func TestSigV2_boto3(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	out := runPython(t, "testdata/sigv2_boto3.py", b)
	var res struct {
		HeadLength         int64      `json:"head_length"`
		ListKeys           []string   `json:"list_keys"`
		ListPrefixes       []string   `json:"list_prefixes"`
		ListV1Keys         []string   `json:"list_v1_keys"`
		Tags               [][]string `json:"tags"`
		MPUSize            int64      `json:"mpu_size"`
		AfterDelete        []string   `json:"after_delete"`
		AfterDeleteObjects []string   `json:"after_delete_objects"`
		GetURL             string     `json:"get_url"`
		GetURLOverride     string     `json:"get_url_override"`
		PutURL             string     `json:"put_url"`
		GetMD5             string     `json:"get_md5"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("boto3 output: %v: %s", err, out)
	}
	if res.HeadLength != 50_000 || res.MPUSize != 5*1024*1024+4 {
		t.Fatalf("sizes: %+v", res)
	}
	if fmt.Sprint(res.ListKeys) != "[py/v2 obj+1.bin]" || fmt.Sprint(res.ListPrefixes) != "[py/list/ py/mpu.bin]" && fmt.Sprint(res.ListPrefixes) != "[py/list/]" {
		t.Fatalf("list: %v %v", res.ListKeys, res.ListPrefixes)
	}
	if fmt.Sprint(res.ListV1Keys) != "[py/list/k0 py/list/k1 py/list/k2]" || fmt.Sprint(res.Tags) != "[[a b]]" {
		t.Fatalf("list v1 %v, tags %v", res.ListV1Keys, res.Tags)
	}
	if fmt.Sprint(res.AfterDelete) != "[py/list/k0 py/list/k1]" || fmt.Sprint(res.AfterDeleteObjects) != "[py/list/k0]" {
		t.Fatalf("deletes: %v %v", res.AfterDelete, res.AfterDeleteObjects)
	}
	for _, u := range []string{res.GetURL, res.GetURLOverride, res.PutURL} {
		if !strings.Contains(u, "AWSAccessKeyId=") || strings.Contains(u, "X-Amz-") {
			t.Fatalf("not a SigV2 URL: %s", u)
		}
	}
	code, got := curl(t, res.GetURL)
	if code != 200 || md5hex(got) != res.GetMD5 {
		t.Fatalf("curl GET of boto3's URL: HTTP %d (%d bytes)", code, len(got))
	}
	hdr := filepath.Join(t.TempDir(), "headers")
	code, _ = curl(t, "-D", hdr, res.GetURLOverride)
	hb, _ := os.ReadFile(hdr)
	if code != 200 || !strings.Contains(strings.ToLower(string(hb)), "content-type: text/x-override") {
		t.Fatalf("response-content-type override: HTTP %d %s", code, hb)
	}
	// Presigned PUT (the URL is signed without a Content-Type).
	f := filepath.Join(t.TempDir(), "up.txt")
	if err := os.WriteFile(f, []byte("uploaded with a SigV2 URL"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, rb := curl(t, "-X", "PUT", "-H", "Content-Type:", "--data-binary", "@"+f, res.PutURL)
	if code != 200 {
		t.Fatalf("curl PUT of boto3's URL: HTTP %d %s", code, rb)
	}
	mustEqualBytes(t, "object PUT by presigned URL", getObject(t, b, "py/presigned-put.txt"), []byte("uploaded with a SigV2 URL"))
	// The same URL with a Content-Type it did not sign is refused.
	code, rb = curl(t, "-X", "PUT", "-H", "Content-Type: text/evil", "--data-binary", "@"+f, res.PutURL)
	if e := parseS3Error(t, rb); code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("PUT with an unsigned Content-Type: HTTP %d %s", code, rb)
	}
}

// s3cmdConfig writes an s3cmd configuration for the endpoint, path style,
// signing with SigV2.
func s3cmdConfig(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("s3cmd"); err != nil {
		t.Fatalf("s3cmd not found (scripts/test.sh installs Debian's s3cmd): %v", err)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(suite.endpoint, "http://"), "https://")
	cfg := fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\n"+
		"use_https = False\nsignature_v2 = True\nbucket_location = us-east-1\ncheck_ssl_certificate = False\n"+
		"guess_mime_type = False\n", suite.accessKey, suite.secretKey, host, host)
	p := filepath.Join(t.TempDir(), "s3cfg")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func s3cmd(t *testing.T, cfg string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "s3cmd", append([]string{"-c", cfg, "--no-progress"}, args...)...)
	cmd.Env = toolEnv("HOME=" + t.TempDir())
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("s3cmd %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, o.String(), e.String())
	}
	return o.String()
}

func TestSigV2_s3cmd(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	cfg := s3cmdConfig(t)
	dir := t.TempDir()
	body := randBytes(300_000)
	src := filepath.Join(dir, "src.bin")
	if err := os.WriteFile(src, body, 0o644); err != nil {
		t.Fatal(err)
	}
	s3cmd(t, cfg, "put", src, "s3://"+b+"/s3cmd/one file.bin")
	s3cmd(t, cfg, "put", "--add-header=x-amz-meta-tool:s3cmd", src, "s3://"+b+"/s3cmd/two.bin")
	mustEqualBytes(t, "object put by s3cmd", getObject(t, b, "s3cmd/one file.bin"), body)
	head, err := s3c(t).HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("s3cmd/two.bin")})
	if err != nil || head.Metadata["tool"] != "s3cmd" {
		t.Fatalf("HeadObject after s3cmd put with a header: %v %v", err, head)
	}
	dst := filepath.Join(dir, "dst.bin")
	s3cmd(t, cfg, "get", "s3://"+b+"/s3cmd/one file.bin", dst)
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	mustEqualBytes(t, "object got by s3cmd", got, body)
	ls := s3cmd(t, cfg, "ls", "s3://"+b+"/s3cmd/")
	if !strings.Contains(ls, "s3://"+b+"/s3cmd/one file.bin") || !strings.Contains(ls, "s3://"+b+"/s3cmd/two.bin") {
		t.Fatalf("s3cmd ls:\n%s", ls)
	}
	if buckets := s3cmd(t, cfg, "ls"); !strings.Contains(buckets, "s3://"+b) {
		t.Fatalf("s3cmd ls (buckets):\n%s", buckets)
	}
	s3cmd(t, cfg, "del", "s3://"+b+"/s3cmd/two.bin")
	if ls := s3cmd(t, cfg, "ls", "s3://"+b+"/s3cmd/"); strings.Contains(ls, "two.bin") {
		t.Fatalf("s3cmd del left the object:\n%s", ls)
	}
	// A multipart upload (s3cmd splits at 15 MiB by default; 5 MiB chunks here).
	big := randBytes(11 << 20)
	bigSrc := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(bigSrc, big, 0o644); err != nil {
		t.Fatal(err)
	}
	s3cmd(t, cfg, "put", "--multipart-chunk-size-mb=5", bigSrc, "s3://"+b+"/s3cmd/big.bin")
	mustEqualBytes(t, "multipart object put by s3cmd", getObject(t, b, "s3cmd/big.bin"), big)

	// s3cmd signurl: a SigV2 URL that curl can GET.
	u := strings.TrimSpace(s3cmd(t, cfg, "signurl", "s3://"+b+"/s3cmd/one file.bin", "+300"))
	if !strings.Contains(u, "AWSAccessKeyId=") || !strings.Contains(u, "Signature=") {
		t.Fatalf("s3cmd signurl: %s", u)
	}
	code, got := curl(t, u)
	if code != 200 {
		t.Fatalf("curl GET of s3cmd's URL: HTTP %d %s", code, got)
	}
	mustEqualBytes(t, "GET via s3cmd signurl", got, body)
	// Expires moved forward without re-signing: refused.
	pu, _ := url.Parse(u)
	q := pu.Query()
	exp, _ := strconv.ParseInt(q.Get("Expires"), 10, 64)
	q.Set("Expires", strconv.FormatInt(exp+3600, 10))
	pu.RawQuery = q.Encode()
	code, eb := curl(t, pu.String())
	if e := parseS3Error(t, eb); code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("extended Expires: HTTP %d %s", code, eb)
	}
}

// signedV2 sends a request signed here with the header form.
func signedV2(t *testing.T, method, path string, date time.Time, hdr http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, suite.endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	d := date.UTC().Format(http.TimeFormat)
	req.Header.Set("Date", d)
	amz := ""
	if v := req.Header.Get("X-Amz-Meta-Note"); v != "" {
		amz = "x-amz-meta-note:" + v + "\n"
	}
	sts := method + "\n" + req.Header.Get("Content-Md5") + "\n" + req.Header.Get("Content-Type") + "\n" + d + "\n" + amz + req.URL.EscapedPath()
	req.Header.Set("Authorization", "AWS "+suite.accessKey+":"+sigv2Sign(suite.secretKey, sts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp, rb
}

func TestSigV2_headerForm_curlStyle(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	now := time.Now()
	resp, rb := signedV2(t, "PUT", "/"+b+"/hand signed", now, http.Header{
		"Content-Type": {"text/plain"}, "X-Amz-Meta-Note": {"by hand"},
	}, []byte("hello v2"))
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, rb)
	}
	resp, rb = signedV2(t, "GET", "/"+b+"/hand%20signed", now, nil, nil)
	if resp.StatusCode != 200 || string(rb) != "hello v2" || resp.Header.Get("X-Amz-Meta-Note") != "by hand" {
		t.Fatalf("GET: %d %s %v", resp.StatusCode, rb, resp.Header)
	}

	// A Date 20 minutes off: RequestTimeTooSkewed, both ways.
	for _, d := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		resp, rb = signedV2(t, "GET", "/"+b+"/hand%20signed", now.Add(d), nil, nil)
		if e := parseS3Error(t, rb); resp.StatusCode != 403 || e.Code != "RequestTimeTooSkewed" {
			t.Fatalf("Date off by %v: %d %s", d, resp.StatusCode, rb)
		}
	}
	// A signed Content-MD5 that the body does not match: BadDigest; a
	// malformed one: InvalidDigest.
	resp, rb = signedV2(t, "PUT", "/"+b+"/md5", now, http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, []byte("not empty"))
	if e := parseS3Error(t, rb); resp.StatusCode != 400 || e.Code != "BadDigest" {
		t.Fatalf("wrong Content-MD5: %d %s", resp.StatusCode, rb)
	}
	resp, rb = signedV2(t, "PUT", "/"+b+"/md5", now, http.Header{"Content-Md5": {"bm90IGFuIG1kNQ"}}, []byte("x"))
	if e := parseS3Error(t, rb); resp.StatusCode != 400 || e.Code != "InvalidDigest" {
		t.Fatalf("malformed Content-MD5: %d %s", resp.StatusCode, rb)
	}
	// Unknown access key.
	req, _ := http.NewRequest("GET", suite.endpoint+"/"+b+"/hand%20signed", nil)
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header.Set("Authorization", "AWS NOSUCHACCESSKEY00:"+sigv2Sign("x", "y"))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	eb, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if e := parseS3Error(t, eb); r.StatusCode != 403 || e.Code != "InvalidAccessKeyId" {
		t.Fatalf("unknown key: %d %s", r.StatusCode, eb)
	}
	// A bad signature shows the string to sign AWS computed.
	req, _ = http.NewRequest("GET", suite.endpoint+"/"+b+"/hand%20signed", nil)
	d := now.UTC().Format(http.TimeFormat)
	req.Header.Set("Date", d)
	req.Header.Set("Authorization", "AWS "+suite.accessKey+":"+sigv2Sign("wrong secret", "y"))
	r, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	eb, _ = io.ReadAll(r.Body)
	r.Body.Close()
	if e := parseS3Error(t, eb); r.StatusCode != 403 || e.Code != "SignatureDoesNotMatch" || e.StringToSign != "GET\n\n\n"+d+"\n/"+b+"/hand%20signed" {
		t.Fatalf("bad signature: %d %s", r.StatusCode, eb)
	}
}
