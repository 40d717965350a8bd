package s3api

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"coffer/internal/objects"
)

// tenantsBackend is the fake object layer with the cross-tenant bucket
// lookup (core.S3Backend.BucketTenants) and a GetBucket counter.
type tenantsBackend struct {
	*fakeBackend
	gets *atomic.Int64
}

func (b tenantsBackend) BucketTenants(ctx context.Context, name string) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, fb := range b.buckets {
		if fb.info.Name == name {
			out = append(out, fb.info.Tenant)
		}
	}
	return out, nil
}

func (b tenantsBackend) GetBucket(ctx context.Context, tenant, name string) (objects.BucketInfo, error) {
	b.gets.Add(1)
	return b.fakeBackend.GetBucket(ctx, tenant, name)
}

func newCORSHarness(t *testing.T) (*harness, *atomic.Int64) {
	gets := &atomic.Int64{}
	h := newHarness(t, func(o *Options) {
		o.Backend = tenantsBackend{fakeBackend: o.Backend.(*fakeBackend), gets: gets}
	})
	return h, gets
}

func contentMD5(body string) string {
	s := md5.Sum([]byte(body))
	return base64.StdEncoding.EncodeToString(s[:])
}

const corsDoc = `<CORSConfiguration>
 <CORSRule><ID>site</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
   <AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>
 <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
</CORSConfiguration>`

func TestBucketCorsOperations(t *testing.T) {
	h, _ := newCORSHarness(t)
	h.want(h.do("PUT", "/pics", ""), 200)
	e := errorDoc(t, h.want(h.do("GET", "/pics?cors", ""), 404))
	if e.Code != "NoSuchCORSConfiguration" {
		t.Fatalf("GET without a configuration: %s", e.Code)
	}
	e = errorDoc(t, h.want(h.do("PUT", "/pics?cors", corsDoc), 400))
	if e.Code != "InvalidRequest" || !strings.Contains(e.Message, "Content-MD5") {
		t.Fatalf("PUT without an integrity check: %s %s", e.Code, e.Message)
	}
	bad := strings.Replace(corsDoc, "<AllowedMethod>PUT</AllowedMethod>", "<AllowedMethod>PATCH</AllowedMethod>", 1)
	e = errorDoc(t, h.want(h.do("PUT", "/pics?cors", bad, "Content-MD5", contentMD5(bad)), 400))
	if e.Code != "InvalidRequest" || e.Message != "Found unsupported HTTP method in CORS config. Unsupported method is PATCH" {
		t.Fatalf("unsupported method: %s %q", e.Code, e.Message)
	}
	e = errorDoc(t, h.want(h.do("PUT", "/pics?cors", corsDoc, "Content-MD5", contentMD5("other")), 400))
	if e.Code != "BadDigest" {
		t.Fatalf("wrong Content-MD5: %s", e.Code)
	}
	h.want(h.do("PUT", "/pics?cors", corsDoc, "Content-MD5", contentMD5(corsDoc)), 200)
	// SDKs send a flexible checksum instead of Content-MD5.
	h.want(h.do("PUT", "/pics?cors", corsDoc, "X-Amz-Checksum-Crc32", crc32b64(corsDoc)), 200)
	got := h.want(h.do("GET", "/pics?cors", ""), 200)
	for _, want := range []string{"<ID>site</ID>", "<AllowedOrigin>https://*.example.com</AllowedOrigin>",
		"<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>", "<MaxAgeSeconds>600</MaxAgeSeconds>", "<ExposeHeader>ETag</ExposeHeader>"} {
		if !strings.Contains(got, want) {
			t.Errorf("GetBucketCors lacks %s:\n%s", want, got)
		}
	}
	h.want(h.do("DELETE", "/pics?cors", ""), 204)
	h.want(h.do("GET", "/pics?cors", ""), 404)
	h.want(h.do("DELETE", "/pics?cors", ""), 204) // none: still 204
	e = errorDoc(t, h.want(h.do("PUT", "/nobucket?cors", corsDoc, "Content-MD5", contentMD5(corsDoc)), 404))
	if e.Code != "NoSuchBucket" {
		t.Fatalf("missing bucket: %s", e.Code)
	}
}

func TestPreflight(t *testing.T) {
	h, _ := newCORSHarness(t)
	h.want(h.do("PUT", "/pics", ""), 200)
	h.want(h.do("PUT", "/plain", ""), 200)
	h.want(h.do("PUT", "/pics?cors", corsDoc, "Content-MD5", contentMD5(corsDoc)), 200)

	resp := h.do("OPTIONS", "/pics/a/b.jpg", "", "Origin", "https://www.example.com",
		"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "Content-Type, X-Amz-Date")
	h.want(resp, 200)
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      "https://www.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "content-type, x-amz-date",
		"Access-Control-Expose-Headers":    "ETag",
		"Access-Control-Max-Age":           "600",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	resp = h.do("OPTIONS", "/pics", "", "Origin", "http://anywhere", "Access-Control-Request-Method", "HEAD")
	h.want(resp, 200)
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("wildcard rule: %v", resp.Header)
	}

	refusals := []struct {
		name, path    string
		hdr           []string
		status        int
		code, message string
	}{
		{"no origin", "/pics/k", []string{"Access-Control-Request-Method", "GET"}, 400, "BadRequest", "Insufficient information. Origin request header needed."},
		{"no method", "/pics/k", []string{"Origin", "https://www.example.com"}, 400, "BadRequest", "Invalid Access-Control-Request-Method: null"},
		{"bad method", "/pics/k", []string{"Origin", "https://www.example.com", "Access-Control-Request-Method", "PATCH"}, 400, "BadRequest", "Invalid Access-Control-Request-Method: PATCH"},
		{"wrong origin", "/pics/k", []string{"Origin", "https://www.example.org", "Access-Control-Request-Method", "GET"}, 403, "AccessForbidden", "CORSResponse: This CORS request is not allowed"},
		{"http not https", "/pics/k", []string{"Origin", "http://www.example.com", "Access-Control-Request-Method", "GET"}, 403, "AccessForbidden", ""},
		{"wrong method", "/pics/k", []string{"Origin", "https://www.example.com", "Access-Control-Request-Method", "DELETE"}, 403, "AccessForbidden", ""},
		{"wrong header", "/pics/k", []string{"Origin", "https://www.example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-amz-date, authorization"}, 403, "AccessForbidden", ""},
		{"no configuration", "/plain/k", []string{"Origin", "https://www.example.com", "Access-Control-Request-Method", "GET"}, 403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."},
		{"no bucket", "/nobucket/k", []string{"Origin", "https://www.example.com", "Access-Control-Request-Method", "GET"}, 403, "AccessForbidden", "CORSResponse: Bucket not found"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do("OPTIONS", tc.path, "", tc.hdr...)
			e := errorDoc(t, h.want(resp, tc.status))
			if e.Code != tc.code || !strings.Contains(e.Message, tc.message) {
				t.Fatalf("%s %q, want %s %q", e.Code, e.Message, tc.code, tc.message)
			}
			if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Fatalf("refusal carries Access-Control-Allow-Origin %q", v)
			}
		})
	}

	// A name two tenants use cannot be resolved without a principal.
	if _, err := h.be.CreateBucket(context.Background(), objects.CreateBucketInput{Tenant: "t2", Name: "pics"}); err != nil {
		t.Fatal(err)
	}
	h.opts.Backend.(tenantsBackend).gets.Store(0)
	// The adapter keeps no copy of the name lookup: the backend's answer
	// (the core's, cached until a bucket change) counts at once.
	e := errorDoc(t, h.want(h.do("OPTIONS", "/pics/k", "", "Origin", "https://www.example.com", "Access-Control-Request-Method", "GET"), 403))
	if e.Message != "CORSResponse: Bucket not found" {
		t.Fatalf("ambiguous name: %q", e.Message)
	}
}

func TestCORSHeadersOnActualRequests(t *testing.T) {
	h, gets := newCORSHarness(t)
	h.want(h.do("PUT", "/pics", ""), 200)
	h.want(h.do("PUT", "/pics?cors", corsDoc, "Content-MD5", contentMD5(corsDoc)), 200)
	h.want(h.do("PUT", "/pics/k", "data"), 200)

	gets.Store(0)
	for i := 0; i < 5; i++ {
		resp := h.do("GET", "/pics/k", "")
		h.want(resp, 200)
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Fatalf("no Origin, yet Access-Control-Allow-Origin %q", v)
		}
	}
	for i := 0; i < 5; i++ {
		resp := h.do("GET", "/pics/k", "", "Origin", "https://a.example.com")
		h.want(resp, 200)
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://a.example.com" ||
			resp.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" ||
			resp.Header.Get("Access-Control-Expose-Headers") != "ETag" || resp.Header.Get("Vary") == "" {
			t.Fatalf("GET with Origin: %v", resp.Header)
		}
	}
	if n := gets.Load(); n > 1 {
		t.Fatalf("%d bucket reads for 10 requests; the view must be cached", n)
	}

	// Errors carry them too.
	resp := h.do("GET", "/pics/missing", "", "Origin", "https://a.example.com")
	if e := errorDoc(t, h.want(resp, 404)); e.Code != "NoSuchKey" {
		t.Fatalf("code %s", e.Code)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://a.example.com" {
		t.Fatalf("error without CORS headers: %v", resp.Header)
	}
	// The method decides, or Access-Control-Request-Method when sent.
	resp = h.do("DELETE", "/pics/k", "", "Origin", "https://a.example.com")
	h.want(resp, 204)
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Fatalf("DELETE is not allowed, yet %q", v)
	}
	resp = h.do("HEAD", "/pics/k", "", "Origin", "https://a.example.com", "Access-Control-Request-Method", "GET")
	h.want(resp, 404)
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "https://a.example.com" {
		t.Fatalf("HEAD asking for GET: %q", v)
	}
	// A configuration change through the handler shows at once.
	h.want(h.do("DELETE", "/pics?cors", ""), 204)
	resp = h.do("GET", "/pics/missing", "", "Origin", "https://a.example.com")
	h.want(resp, 404)
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Fatalf("after DeleteBucketCors: %q", v)
	}
}

func TestRequireIntegrity(t *testing.T) {
	for _, tc := range []struct {
		hdr map[string]string
		ok  bool
	}{
		{nil, false},
		{map[string]string{"Content-MD5": "x"}, true},
		{map[string]string{"X-Amz-Checksum-Crc32": "x"}, true},
		{map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, true},
		{map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc64nvme"}, true},
		{map[string]string{"X-Amz-Checksum-Type": "FULL_OBJECT"}, false},
	} {
		r, _ := http.NewRequest("PUT", "http://h/b?cors", nil)
		for k, v := range tc.hdr {
			r.Header.Set(k, v)
		}
		if err := requireIntegrity(r); (err == nil) != tc.ok {
			t.Errorf("%v: %v", tc.hdr, err)
		}
	}
}

func crc32b64(body string) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	return base64.StdEncoding.EncodeToString(b[:])
}
