package s3api

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/sigv4"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// cannedBackend answers with fixed values; calls it does not override panic.
type cannedBackend struct {
	Backend
	list     objects.ListOutput
	versions objects.ListVersionsOutput
	complete objects.ObjectInfo
	copy     objects.CopyOutput
	head     *objects.GetOutput
	err      error
}

func (c *cannedBackend) ListObjects(context.Context, objects.ListInput) (objects.ListOutput, error) {
	return c.list, nil
}
func (c *cannedBackend) ListObjectVersions(context.Context, objects.ListVersionsInput) (objects.ListVersionsOutput, error) {
	return c.versions, nil
}
func (c *cannedBackend) CompleteMultipartUpload(context.Context, objects.CompleteInput) (objects.ObjectInfo, error) {
	return c.complete, nil
}
func (c *cannedBackend) CopyObject(context.Context, objects.CopyInput) (objects.CopyOutput, error) {
	return c.copy, nil
}
func (c *cannedBackend) HeadObject(context.Context, objects.GetInput) (*objects.GetOutput, error) {
	return c.head, c.err
}
func (c *cannedBackend) GetObject(context.Context, objects.GetInput) (*objects.GetOutput, error) {
	return c.head, c.err
}

// GetBucket answers the per-request hooks (CORS headers, access logs): a
// bucket without configurations.
func (c *cannedBackend) GetBucket(_ context.Context, tenant, name string) (objects.BucketInfo, error) {
	return objects.BucketInfo{Tenant: tenant, Name: name}, nil
}

// serveCanned runs one request through a handler with deterministic request ids.
func serveCanned(t *testing.T, be Backend, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	h, err := New(Options{
		Backend:    be,
		Authorizer: &fakeAuthz{},
		authenticate: func(*http.Request) (core.Principal, *sigv4.Auth, error) {
			return testPrincipal, &sigv4.Auth{Mode: sigv4.PayloadUnsigned, DecodedLength: -1}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := h.(*server)
	s.idBase, s.hostSeed = 0x0123456789ABCD00, []byte("golden")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func checkGolden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".xml")
	got = indentXML(got)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var emptyElement = regexp.MustCompile(`<(\w+)>\n</(\w+)>`)

// indentXML puts one element per line, for readable diffs.
func indentXML(s string) string {
	s = strings.ReplaceAll(s, "><", ">\n<")
	s = emptyElement.ReplaceAllStringFunc(s, func(m string) string {
		sub := emptyElement.FindStringSubmatch(m)
		if sub[1] != sub[2] {
			return m
		}
		return "<" + sub[1] + "></" + sub[1] + ">"
	})
	return s + "\n"
}

var (
	t0   = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	crc  = checksum.Value{Algorithm: checksum.CRC32, Type: checksum.TypeComposite, Base64: "Hl3zgg==-2"}
	crc1 = checksum.Value{Algorithm: checksum.CRC64NVME, Base64: "AAAAAAAAAAA="}
)

func TestGoldenResponses(t *testing.T) {
	tests := []struct {
		name   string
		be     *cannedBackend
		req    func() *http.Request
		status int
	}{
		{
			name: "list_objects_v2_url",
			be: &cannedBackend{list: objects.ListOutput{
				Objects: []objects.ObjectInfo{
					{Key: "a b+c", Size: 3, ETag: "900150983cd24fb0d6963f7d28e17f72", LastModified: t0, Owner: "u-alice", Checksum: crc1},
					{Key: "日本/x%y", Size: 0, ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: t0, Owner: "u-alice", Meta: objects.Metadata{StorageClass: "STANDARD_IA"}},
				},
				CommonPrefixes: []string{"p q/"},
				IsTruncated:    true,
				NextAfter:      "p q/",
			}},
			req: func() *http.Request {
				return httptest.NewRequest("GET", "/bkt?list-type=2&prefix=&delimiter=%2F&encoding-type=url&start-after=a%20a&fetch-owner=true&max-keys=3", nil)
			},
			status: 200,
		},
		{
			name: "list_object_versions",
			be: &cannedBackend{versions: objects.ListVersionsOutput{
				Versions: []objects.ObjectInfo{
					{Key: "k", VersionID: "v2", IsLatest: true, DeleteMarker: true, LastModified: t0, Owner: "u-alice"},
					{Key: "k", VersionID: "v1", Size: 5, ETag: "abc", LastModified: t0.Add(-time.Hour), Owner: "u-alice", Checksum: crc1},
					{Key: "n", VersionID: "null", IsLatest: true, Size: 1, ETag: "def", LastModified: t0, Owner: "u-bob"},
				},
				CommonPrefixes:      []string{"d/"},
				IsTruncated:         true,
				NextKeyMarker:       "n",
				NextVersionIDMarker: "null",
			}},
			req:    func() *http.Request { return httptest.NewRequest("GET", "/bkt?versions&delimiter=/&max-keys=4", nil) },
			status: 200,
		},
		{
			name:   "error_no_such_key",
			be:     &cannedBackend{err: errs.New(errs.NoSuchKey, "The specified key does not exist.")},
			req:    func() *http.Request { return httptest.NewRequest("GET", "/bkt/dir/a%20b", nil) },
			status: 404,
		},
		{
			name: "complete_multipart_upload",
			be:   &cannedBackend{complete: objects.ObjectInfo{ETag: "3858f62230ac3c915f300c664312c11f-2", VersionID: "v7", Versioned: true, Checksum: crc}},
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "http://s3.test/bkt/big%20file?uploadId=U1",
					strings.NewReader(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`))
				return r
			},
			status: 200,
		},
		{
			name: "copy_object_result",
			be:   &cannedBackend{copy: objects.CopyOutput{Info: objects.ObjectInfo{ETag: "9b2cf535f27731c974343645a3985328", LastModified: t0, Checksum: crc1}, SrcVersionID: "null"}},
			req: func() *http.Request {
				r := httptest.NewRequest("PUT", "/bkt/dst", nil)
				r.Header.Set("X-Amz-Copy-Source", "/bkt/src")
				return r
			},
			status: 200,
		},
		{
			name: "get_object_attributes",
			be: &cannedBackend{head: &objects.GetOutput{PartsCount: 3, Info: objects.ObjectInfo{
				ETag: "3858f62230ac3c915f300c664312c11f-3", Size: 15 << 20, LastModified: t0, Checksum: crc,
				Parts: []objects.PartInfo{
					{Number: 1, Size: 5 << 20, Checksum: checksum.Value{Algorithm: checksum.CRC32, Base64: "AAAAAQ=="}},
					{Number: 2, Size: 5 << 20, Checksum: checksum.Value{Algorithm: checksum.CRC32, Base64: "AAAAAg=="}},
					{Number: 3, Size: 5 << 20, Checksum: checksum.Value{Algorithm: checksum.CRC32, Base64: "AAAAAw=="}},
				},
			}}},
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "/bkt/k?attributes", nil)
				r.Header.Set("X-Amz-Object-Attributes", "ETag,Checksum,ObjectParts,StorageClass,ObjectSize")
				r.Header.Set("X-Amz-Max-Parts", "2")
				r.Header.Set("X-Amz-Part-Number-Marker", "0")
				return r
			},
			status: 200,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serveCanned(t, tc.be, tc.req())
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/xml" {
				t.Fatalf("Content-Type %q", ct)
			}
			checkGolden(t, tc.name, rec.Body.String())
		})
	}
}
