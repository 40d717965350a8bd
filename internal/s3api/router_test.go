package s3api

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"coffer/internal/errs"
)

// parseRaw parses a raw HTTP/1.1 request head, as a server would receive it.
func parseRaw(t testing.TB, raw string) *http.Request {
	t.Helper()
	if !strings.Contains(raw, "\r\n") {
		raw = strings.ReplaceAll(raw, "\n", "\r\n")
	}
	if !strings.HasSuffix(raw, "\r\n\r\n") {
		raw += "\r\n\r\n"
	}
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("bad raw request %q: %v", raw, err)
	}
	return r
}

func TestParseRequest(t *testing.T) {
	const domain = "s3.example.com"
	tests := []struct {
		name string
		raw  string
		want Op
		err  errs.Kind // -1: no error
	}{
		{"list buckets", "GET / HTTP/1.1\nHost: s3.example.com", Op{Kind: OpListBuckets}, -1},
		{"list buckets via /S3", "GET /S3 HTTP/1.1\nHost: h", Op{Kind: OpListBuckets}, -1},
		{"list buckets via /S3/", "GET /S3/ HTTP/1.1\nHost: h", Op{Kind: OpListBuckets}, -1},
		{"service PUT", "PUT / HTTP/1.1\nHost: h", Op{}, errs.MethodNotAllowed},
		{"create bucket", "PUT /bkt HTTP/1.1\nHost: h", Op{Kind: OpCreateBucket, Bucket: "bkt"}, -1},
		{"create bucket trailing slash", "PUT /bkt/ HTTP/1.1\nHost: h", Op{Kind: OpCreateBucket, Bucket: "bkt"}, -1},
		{"head bucket", "HEAD /bkt HTTP/1.1\nHost: h", Op{Kind: OpHeadBucket, Bucket: "bkt"}, -1},
		{"delete bucket", "DELETE /bkt HTTP/1.1\nHost: h", Op{Kind: OpDeleteBucket, Bucket: "bkt"}, -1},
		{"location", "GET /bkt?location HTTP/1.1\nHost: h", Op{Kind: OpGetBucketLocation, Bucket: "bkt"}, -1},
		{"get versioning", "GET /bkt?versioning HTTP/1.1\nHost: h", Op{Kind: OpGetBucketVersioning, Bucket: "bkt"}, -1},
		{"put versioning", "PUT /bkt?versioning HTTP/1.1\nHost: h", Op{Kind: OpPutBucketVersioning, Bucket: "bkt"}, -1},
		{"bucket acl", "GET /bkt?acl HTTP/1.1\nHost: h", Op{Kind: OpGetBucketAcl, Bucket: "bkt"}, -1},
		{"list v1", "GET /bkt?prefix=a&delimiter=%2F HTTP/1.1\nHost: h", Op{Kind: OpListObjects, Bucket: "bkt"}, -1},
		{"list v2", "GET /bkt?list-type=2 HTTP/1.1\nHost: h", Op{Kind: OpListObjectsV2, Bucket: "bkt"}, -1},
		{"list v3", "GET /bkt?list-type=3 HTTP/1.1\nHost: h", Op{Bucket: "bkt"}, errs.InvalidArgument},
		{"versions", "GET /bkt?versions HTTP/1.1\nHost: h", Op{Kind: OpListObjectVersions, Bucket: "bkt"}, -1},
		{"uploads", "GET /bkt?uploads HTTP/1.1\nHost: h", Op{Kind: OpListMultipartUploads, Bucket: "bkt"}, -1},
		{"delete objects", "POST /bkt?delete HTTP/1.1\nHost: h", Op{Kind: OpDeleteObjects, Bucket: "bkt"}, -1},
		{"form post", "POST /bkt HTTP/1.1\nHost: h", Op{Kind: OpPostObject, Bucket: "bkt"}, -1},
		{"bucket cors", "GET /bkt?cors HTTP/1.1\nHost: h", Op{Kind: OpGetBucketCors, Bucket: "bkt"}, -1},
		{"delete bucket cors", "DELETE /bkt?cors HTTP/1.1\nHost: h", Op{Kind: OpDeleteBucketCors, Bucket: "bkt"}, -1},
		{"delete bucket logging", "DELETE /bkt?logging HTTP/1.1\nHost: h", Op{Bucket: "bkt"}, errs.MethodNotAllowed},
		{"preflight", "OPTIONS /bkt/k HTTP/1.1\nHost: h", Op{Kind: OpPreflight, Bucket: "bkt", Key: "k"}, -1},
		{"put bucket policy", "PUT /bkt?policy HTTP/1.1\nHost: h", Op{Kind: OpPutBucketPolicy, Bucket: "bkt"}, -1},
		{"get bucket policy", "GET /bkt?policy HTTP/1.1\nHost: h", Op{Kind: OpGetBucketPolicy, Bucket: "bkt"}, -1},
		{"delete bucket policy", "DELETE /bkt?policy HTTP/1.1\nHost: h", Op{Kind: OpDeleteBucketPolicy, Bucket: "bkt"}, -1},
		{"bucket policy status", "GET /bkt?policyStatus HTTP/1.1\nHost: h", Op{Kind: OpGetBucketPolicyStatus, Bucket: "bkt"}, -1},
		{"put bucket acl", "PUT /bkt?acl HTTP/1.1\nHost: h", Op{Kind: OpPutBucketAcl, Bucket: "bkt"}, -1},
		{"delete bucket lifecycle", "DELETE /bkt?lifecycle HTTP/1.1\nHost: h", Op{Kind: OpDeleteBucketLifecycle, Bucket: "bkt"}, -1},
		{"bucket tagging", "GET /bkt?tagging HTTP/1.1\nHost: h", Op{Kind: OpGetBucketTagging, Bucket: "bkt"}, -1},
		{"put object lock config", "PUT /bkt?object-lock HTTP/1.1\nHost: h", Op{Kind: OpPutObjectLockConfiguration, Bucket: "bkt"}, -1},
		{"get object lock config", "GET /bkt?object-lock HTTP/1.1\nHost: h", Op{Kind: OpGetObjectLockConfiguration, Bucket: "bkt"}, -1},
		{"delete object lock config", "DELETE /bkt?object-lock HTTP/1.1\nHost: h", Op{Bucket: "bkt"}, errs.MethodNotAllowed},
		{"bucket PATCH", "PATCH /bkt HTTP/1.1\nHost: h", Op{Bucket: "bkt"}, errs.MethodNotAllowed},

		{"put object", "PUT /bkt/a/b.txt HTTP/1.1\nHost: h", Op{Kind: OpPutObject, Bucket: "bkt", Key: "a/b.txt"}, -1},
		{"key with plus", "PUT /bkt/a+b HTTP/1.1\nHost: h", Op{Kind: OpPutObject, Bucket: "bkt", Key: "a+b"}, -1},
		{"key with escaped plus and space", "GET /bkt/a%2Bb%20c HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "a+b c"}, -1},
		{"key with double slash", "GET /bkt//a//b/ HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "/a//b/"}, -1},
		{"key with percent", "GET /bkt/100%25 HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "100%"}, -1},
		{"key unescaped once", "GET /bkt/a%252F HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "a%2F"}, -1},
		{"utf-8 key", "GET /bkt/%E6%97%A5%E6%9C%AC HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "日本"}, -1},
		{"escaped slash in key", "GET /bkt/a%2Fb HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "a/b"}, -1},
		{"key named S3 in a bucket", "GET /bkt/S3 HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "S3"}, -1},
		{"commvault prefix", "PUT /S3/bkt/k HTTP/1.1\nHost: h", Op{Kind: OpPutObject, Bucket: "bkt", Key: "k"}, -1},
		{"commvault prefix bucket", "GET /S3/bkt HTTP/1.1\nHost: h", Op{Kind: OpListObjects, Bucket: "bkt"}, -1},
		{"lower-case s3 is a bucket", "GET /s3/k HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "s3", Key: "k"}, -1},
		{"virtual host", "GET /k/x HTTP/1.1\nHost: bkt.s3.example.com", Op{Kind: OpGetObject, Bucket: "bkt", Key: "k/x"}, -1},
		{"virtual host with port", "GET / HTTP/1.1\nHost: my.bkt.s3.example.com:9000", Op{Kind: OpListObjects, Bucket: "my.bkt"}, -1},
		{"virtual host keeps /S3 as key", "GET /S3/k HTTP/1.1\nHost: bkt.s3.example.com", Op{Kind: OpGetObject, Bucket: "bkt", Key: "S3/k"}, -1},
		{"domain itself is path style", "GET /bkt/k HTTP/1.1\nHost: s3.example.com:443", Op{Kind: OpGetObject, Bucket: "bkt", Key: "k"}, -1},
		{"other host is path style", "GET /bkt/k HTTP/1.1\nHost: 10.0.0.1:9000", Op{Kind: OpGetObject, Bucket: "bkt", Key: "k"}, -1},
		{"no bucket but key", "GET //k HTTP/1.1\nHost: h", Op{Key: "k"}, errs.InvalidBucketName},

		{"copy object", "PUT /bkt/k HTTP/1.1\nHost: h\nX-Amz-Copy-Source: /src/a%20b%2Bc?versionId=v1",
			Op{Kind: OpCopyObject, Bucket: "bkt", Key: "k", CopySource: &CopySource{Bucket: "src", Key: "a b+c", VersionID: "v1"}}, -1},
		{"copy object no slash", "PUT /bkt/k HTTP/1.1\nHost: h\nX-Amz-Copy-Source: src/d/e",
			Op{Kind: OpCopyObject, Bucket: "bkt", Key: "k", CopySource: &CopySource{Bucket: "src", Key: "d/e"}}, -1},
		{"copy source without key", "PUT /bkt/k HTTP/1.1\nHost: h\nX-Amz-Copy-Source: src", Op{Bucket: "bkt", Key: "k"}, errs.InvalidArgument},
		{"get object", "GET /bkt/k?versionId=v9 HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "k", VersionID: "v9"}, -1},
		{"empty version id", "GET /bkt/k?versionId= HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k"}, errs.InvalidArgument},
		{"get part", "GET /bkt/k?partNumber=3 HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "k", PartNumber: 3}, -1},
		{"bad part number", "GET /bkt/k?partNumber=0 HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k"}, errs.InvalidArgument},
		{"head object", "HEAD /bkt/k HTTP/1.1\nHost: h", Op{Kind: OpHeadObject, Bucket: "bkt", Key: "k"}, -1},
		{"delete object", "DELETE /bkt/k HTTP/1.1\nHost: h", Op{Kind: OpDeleteObject, Bucket: "bkt", Key: "k"}, -1},
		{"object acl", "GET /bkt/k?acl HTTP/1.1\nHost: h", Op{Kind: OpGetObjectAcl, Bucket: "bkt", Key: "k"}, -1},
		{"put object acl", "PUT /bkt/k?acl HTTP/1.1\nHost: h", Op{Kind: OpPutObjectAcl, Bucket: "bkt", Key: "k"}, -1},
		{"get retention", "GET /bkt/k?retention&versionId=v1 HTTP/1.1\nHost: h", Op{Kind: OpGetObjectRetention, Bucket: "bkt", Key: "k", VersionID: "v1"}, -1},
		{"put retention", "PUT /bkt/k?retention HTTP/1.1\nHost: h", Op{Kind: OpPutObjectRetention, Bucket: "bkt", Key: "k"}, -1},
		{"get legal hold", "GET /bkt/k?legal-hold HTTP/1.1\nHost: h", Op{Kind: OpGetObjectLegalHold, Bucket: "bkt", Key: "k"}, -1},
		{"put legal hold", "PUT /bkt/k?legal-hold HTTP/1.1\nHost: h", Op{Kind: OpPutObjectLegalHold, Bucket: "bkt", Key: "k"}, -1},
		{"delete retention", "DELETE /bkt/k?retention HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k"}, errs.NotImplemented},
		{"restore", "POST /bkt/k?restore HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k"}, errs.NotImplemented},
		{"object POST", "POST /bkt/k HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k"}, errs.MethodNotAllowed},
		{"put tagging", "PUT /bkt/k?tagging HTTP/1.1\nHost: h", Op{Kind: OpPutObjectTagging, Bucket: "bkt", Key: "k"}, -1},
		{"get tagging", "GET /bkt/k?tagging&versionId=v2 HTTP/1.1\nHost: h", Op{Kind: OpGetObjectTagging, Bucket: "bkt", Key: "k", VersionID: "v2"}, -1},
		{"delete tagging", "DELETE /bkt/k?tagging HTTP/1.1\nHost: h", Op{Kind: OpDeleteObjectTagging, Bucket: "bkt", Key: "k"}, -1},
		{"attributes", "GET /bkt/k?attributes HTTP/1.1\nHost: h", Op{Kind: OpGetObjectAttributes, Bucket: "bkt", Key: "k"}, -1},
		{"create upload", "POST /bkt/k?uploads HTTP/1.1\nHost: h", Op{Kind: OpCreateMultipartUpload, Bucket: "bkt", Key: "k"}, -1},
		{"upload part", "PUT /bkt/k?partNumber=2&uploadId=U HTTP/1.1\nHost: h", Op{Kind: OpUploadPart, Bucket: "bkt", Key: "k", PartNumber: 2, UploadID: "U"}, -1},
		{"upload part copy", "PUT /bkt/k?partNumber=2&uploadId=U HTTP/1.1\nHost: h\nX-Amz-Copy-Source: src/o",
			Op{Kind: OpUploadPartCopy, Bucket: "bkt", Key: "k", PartNumber: 2, UploadID: "U", CopySource: &CopySource{Bucket: "src", Key: "o"}}, -1},
		{"part without upload", "PUT /bkt/k?partNumber=2 HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k", PartNumber: 2}, errs.InvalidArgument},
		{"complete", "POST /bkt/k?uploadId=U HTTP/1.1\nHost: h", Op{Kind: OpCompleteMultipartUpload, Bucket: "bkt", Key: "k", UploadID: "U"}, -1},
		{"abort", "DELETE /bkt/k?uploadId=U HTTP/1.1\nHost: h", Op{Kind: OpAbortMultipartUpload, Bucket: "bkt", Key: "k", UploadID: "U"}, -1},
		{"list parts", "GET /bkt/k?uploadId=U&max-parts=5 HTTP/1.1\nHost: h", Op{Kind: OpListParts, Bucket: "bkt", Key: "k", UploadID: "U"}, -1},
		{"sdk x-id is ignored", "GET /bkt/k?x-id=GetObject HTTP/1.1\nHost: h", Op{Kind: OpGetObject, Bucket: "bkt", Key: "k"}, -1},
		{"bad query", "GET /bkt/k?a=%zz HTTP/1.1\nHost: h", Op{Bucket: "bkt", Key: "k"}, errs.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRequest(parseRaw(t, tc.raw), domain)
			if tc.err >= 0 {
				if err == nil || errs.KindOf(err) != tc.err {
					t.Fatalf("err = %v, want kind %v", err, tc.err)
				}
				if got.Bucket != tc.want.Bucket || got.Key != tc.want.Key {
					t.Fatalf("on error, bucket %q key %q; want %q %q", got.Bucket, got.Key, tc.want.Bucket, tc.want.Key)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got.Kind != tc.want.Kind || got.Bucket != tc.want.Bucket || got.Key != tc.want.Key ||
				got.VersionID != tc.want.VersionID || got.UploadID != tc.want.UploadID || got.PartNumber != tc.want.PartNumber {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			if (got.CopySource == nil) != (tc.want.CopySource == nil) ||
				got.CopySource != nil && *got.CopySource != *tc.want.CopySource {
				t.Fatalf("copy source %+v, want %+v", got.CopySource, tc.want.CopySource)
			}
		})
	}
}

func TestOpAction(t *testing.T) {
	tests := []struct {
		op   Op
		want string
	}{
		{Op{Kind: OpListBuckets}, "s3:ListAllMyBuckets"},
		{Op{Kind: OpPutObject}, "s3:PutObject"},
		{Op{Kind: OpGetObject}, "s3:GetObject"},
		{Op{Kind: OpGetObject, VersionID: "v"}, "s3:GetObjectVersion"},
		{Op{Kind: OpHeadObject, VersionID: "v"}, "s3:GetObjectVersion"},
		{Op{Kind: OpDeleteObject, VersionID: "v"}, "s3:DeleteObjectVersion"},
		{Op{Kind: OpListObjectsV2}, "s3:ListBucket"},
		{Op{Kind: OpListObjectVersions}, "s3:ListBucketVersions"},
		{Op{Kind: OpUploadPart}, "s3:PutObject"},
		{Op{Kind: OpAbortMultipartUpload}, "s3:AbortMultipartUpload"},
		{Op{Kind: OpListParts}, "s3:ListMultipartUploadParts"},
		{Op{Kind: OpGetObjectTagging, VersionID: "v"}, "s3:GetObjectVersionTagging"},
	}
	for _, tc := range tests {
		if got := tc.op.Action(); got != tc.want {
			t.Errorf("%v (version %q): action %q, want %q", tc.op.Kind, tc.op.VersionID, got, tc.want)
		}
	}
	for k := OpListBuckets; k < numOps; k++ {
		if k == OpPreflight { // answered before authentication
			continue
		}
		if opInfo[k].name == "" || !strings.HasPrefix(opInfo[k].action, "s3:") {
			t.Errorf("operation %d has no name or action", k)
		}
	}
}
