package e2e

// The console's own calls on the management listener, over HTTP: the
// embedded pages, /console/api/{info,stats}, S3 under /S3 on the admin
// origin (what the object browser signs for), and the OpenAPI documents.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func adminGet(t *testing.T, path string, auth bool) (*http.Response, []byte) {
	t.Helper()
	if sharedSrv == nil {
		t.Skip("needs the harness's server")
	}
	req, _ := http.NewRequest("GET", sharedSrv.AdminEndpoint()+path, nil)
	if auth {
		req.SetBasicAuth(cofferAdminUser, cofferAdminPassword)
	}
	c := sharedSrv.AdminClient(10 * time.Second)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// externalRef finds a script, style, image or module loaded from elsewhere.
var externalRef = regexp.MustCompile(`(?i)((src|href)\s*=\s*["']?|from\s+["']|import\s*\(\s*["']|url\(\s*["']?)(https?:)?//`)

func TestConsolePages(t *testing.T) {
	requireTarget(t)
	t.Parallel()
	resp, body := adminGet(t, "/console/", false)
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`<script type="module" src="js/app.js">`)) {
		t.Fatalf("/console/: %s %.200s", resp.Status, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, f := range []string{"js/app.js", "js/sigv4.js", "js/pages/objects.js", "app.css"} {
		resp, body := adminGet(t, "/console/"+f, false)
		if resp.StatusCode != 200 || len(body) < 100 {
			t.Errorf("/console/%s: %s, %d bytes", f, resp.Status, len(body))
		}
		if strings.HasSuffix(f, ".js") && !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("/console/%s: Content-Type %q (modules need a JavaScript type)", f, resp.Header.Get("Content-Type"))
		}
		// Offline: nothing is loaded from another origin.
		if m := externalRef.Find(body); m != nil {
			t.Errorf("/console/%s loads %s from another origin", f, m)
		}
	}
	if resp, _ := adminGet(t, "/", false); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %s Location %q, want a redirect to the console", resp.Status, resp.Header.Get("Location"))
	}
}

// TestConsoleStatsAPI: the dashboard's document is the metrics'
// /api/coffer/stats (administrator's Basic credentials), with capacity,
// usage per tenant and the request history; the console has no counters
// of its own any more.
func TestConsoleStatsAPI(t *testing.T) {
	requireTarget(t)
	t.Parallel()
	if resp, _ := adminGet(t, "/api/coffer/stats", false); resp.StatusCode != 401 {
		t.Fatalf("stats without credentials: %s", resp.Status)
	}
	if resp, _ := adminGet(t, "/console/api/stats", true); resp.StatusCode != 404 {
		t.Errorf("/console/api/stats: %s, want 404 (the dashboard reads /api/coffer/stats)", resp.Status)
	}
	// Some S3 traffic, including an error, to count.
	c := s3c(t)
	_, _ = c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket-" + randHex(4))})
	b := newBucket(t)
	putObject(t, b, "counted", []byte("x"))
	resp, body := adminGet(t, "/api/coffer/stats", true)
	if resp.StatusCode != 200 {
		t.Fatalf("stats: %s %s", resp.Status, body)
	}
	var st struct {
		Capacity struct {
			TotalBytes uint64 `json:"total_bytes"`
			FreeBytes  uint64 `json:"free_bytes"`
		} `json:"capacity"`
		Tenants []struct {
			Name    string `json:"name"`
			Buckets int    `json:"buckets"`
			Objects int64  `json:"objects"`
		} `json:"tenants"`
		IntervalSeconds int `json:"interval_seconds"`
		Minutes         []struct {
			Requests     int64 `json:"requests"`
			ClientErrors int64 `json:"client_errors"`
		} `json:"minutes"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Capacity.TotalBytes == 0 || st.Capacity.FreeBytes > st.Capacity.TotalBytes {
		t.Errorf("capacity: %s", body)
	}
	var found bool
	for _, tn := range st.Tenants {
		if tn.Name == "default" && tn.Buckets >= 1 && tn.Objects >= 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("the default tenant's bucket and object are not counted: %s", body)
	}
	if len(st.Minutes) != 60 || st.IntervalSeconds != 60 {
		t.Fatalf("series: %d minutes of %d s", len(st.Minutes), st.IntervalSeconds)
	}
	last := len(st.Minutes) - 1
	if st.Minutes[last].Requests+st.Minutes[last-1].Requests < 2 || st.Minutes[last].ClientErrors+st.Minutes[last-1].ClientErrors < 1 {
		t.Errorf("the last minutes count %+v, want the test's requests and client error", st.Minutes[last-1:])
	}
	resp, body = adminGet(t, "/console/api/info", true)
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"s3_proxy":"/S3"`)) || !bytes.Contains(body, []byte(`"region":"us-east-1"`)) {
		t.Errorf("info: %s %s", resp.Status, body)
	}
}

// TestConsoleS3OnAdminOrigin uses S3 at https://<admin>/S3 with an
// unmodified SDK: the object browser's path, with the same signatures.
func TestConsoleS3OnAdminOrigin(t *testing.T) {
	requireTarget(t)
	t.Parallel()
	if sharedSrv == nil {
		t.Skip("needs the harness's server")
	}
	b := newBucket(t)
	c := newClient(t, sharedSrv.AdminEndpoint()+"/S3", suite.accessKey, suite.secretKey, func(o *s3.Options) {
		o.HTTPClient = adminHTTPClient(30 * time.Second)
	})
	body := randBytes(1 << 20)
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("via/admin one.bin"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject via the admin listener: %v", err)
	}
	got := getObject(t, b, "via/admin one.bin") // read back on the S3 listener
	mustEqualBytes(t, "object", got, body)
	out, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("via/")})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("ListObjectsV2 via the admin listener: %v %v", err, out)
	}
	bad := newClient(t, sharedSrv.AdminEndpoint()+"/S3", suite.accessKey, "wrong-secret-key-0000000000000000000000", func(o *s3.Options) {
		o.HTTPClient = adminHTTPClient(30 * time.Second)
	})
	_, err = bad.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	wantErr(t, "a wrong signature via the admin listener", err, "SignatureDoesNotMatch", 403)
}

func TestConsoleOpenAPIDocs(t *testing.T) {
	requireTarget(t)
	t.Parallel()
	resp, body := adminGet(t, "/docs/api", false)
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`href="/docs/api/ontap.json"`)) || !bytes.Contains(body, []byte(`href="/docs/api/commvault.json"`)) {
		t.Fatalf("/docs/api: %s %s", resp.Status, body)
	}
	for _, name := range []string{"ontap.json", "commvault.json"} {
		resp, body := adminGet(t, "/docs/api/"+name, false)
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || resp.StatusCode != 200 || doc.OpenAPI != "3.0.3" || len(doc.Paths) < 15 {
			t.Errorf("%s: %s %v openapi %q, %d paths", name, resp.Status, err, doc.OpenAPI, len(doc.Paths))
		}
	}
	if resp, _ := adminGet(t, "/docs/api/nope.json", false); resp.StatusCode != 404 {
		t.Errorf("unknown document: %s", resp.Status)
	}
}
