package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/sigv4"
)

// errorDoc decodes an S3 error body.
func errorDoc(t *testing.T, body string) errorBody {
	t.Helper()
	var e errorBody
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

func TestPutGetHeadObject(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	resp := h.do("PUT", "/bkt/dir/a+b%20c.txt", "hello world",
		"Content-Type", "text/plain", "X-Amz-Meta-Color", "blue", "Cache-Control", "no-cache",
		"X-Amz-Tagging", "a=1&b=2")
	h.want(resp, 200)
	etag := `"` + md5hex([]byte("hello world")) + `"`
	if got := resp.Header.Get("ETag"); got != etag {
		t.Fatalf("PUT ETag %q, want %q", got, etag)
	}
	if resp.Header.Get("X-Amz-Version-Id") != "" {
		t.Fatalf("version id shown in an unversioned bucket")
	}
	if id := resp.Header.Get("X-Amz-Request-Id"); !regexp.MustCompile(`^[0-9A-F]{16}$`).MatchString(id) {
		t.Fatalf("request id %q", id)
	}
	if resp.Header.Get("X-Amz-Id-2") == "" {
		t.Fatal("no x-amz-id-2")
	}

	resp = h.do("GET", "/bkt/dir/a+b%20c.txt", "")
	if body := h.want(resp, 200); body != "hello world" {
		t.Fatalf("GET body %q", body)
	}
	for k, v := range map[string]string{
		"Content-Type": "text/plain", "Content-Length": "11", "ETag": etag, "Accept-Ranges": "bytes",
		"X-Amz-Meta-Color": "blue", "Cache-Control": "no-cache", "X-Amz-Tagging-Count": "2",
		"Last-Modified": "Wed, 04 Mar 2026 05:06:09 GMT",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("GET %s = %q, want %q", k, got, v)
		}
	}

	resp = h.do("HEAD", "/bkt/dir/a+b%20c.txt", "")
	h.want(resp, 200)
	if resp.Header.Get("Content-Length") != "11" || resp.Header.Get("ETag") != etag {
		t.Fatalf("HEAD headers %v", resp.Header)
	}

	// The key is exactly what was sent: '+' literal, %20 a space.
	if _, ok := h.be.buckets["t1/bkt"].versions["dir/a+b c.txt"]; !ok {
		t.Fatalf("stored keys: %v", h.be.buckets["t1/bkt"].versions)
	}

	// Range and response overrides.
	resp = h.do("GET", "/bkt/dir/a+b%20c.txt?response-content-type=x%2Fy&response-cache-control=max-age%3D9", "", "Range", "bytes=6-")
	if body := h.want(resp, 206); body != "world" {
		t.Fatalf("range body %q", body)
	}
	if resp.Header.Get("Content-Range") != "bytes 6-10/11" || resp.Header.Get("Content-Type") != "x/y" ||
		resp.Header.Get("Cache-Control") != "max-age=9" {
		t.Fatalf("range headers %v", resp.Header)
	}
	// Several ranges: the whole object, as AWS.
	if body := h.want(h.do("GET", "/bkt/dir/a+b%20c.txt", "", "Range", "bytes=0-1,3-4"), 200); body != "hello world" {
		t.Fatalf("multi-range body %q", body)
	}
	// Conditional GET.
	h.want(h.do("GET", "/bkt/dir/a+b%20c.txt", "", "If-None-Match", etag), 304)
}

func TestGetMissingKeyError(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	resp := h.do("GET", "/bkt/nope", "")
	body := h.want(resp, 404)
	e := errorDoc(t, body)
	if e.Code != "NoSuchKey" || e.Key != "nope" || e.Resource != "/bkt/nope" ||
		e.RequestID != resp.Header.Get("X-Amz-Request-Id") || e.HostID != resp.Header.Get("X-Amz-Id-2") {
		t.Fatalf("error %+v headers %v", e, resp.Header)
	}
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("no XML declaration: %s", body)
	}
	// HEAD errors have no body.
	resp = h.do("HEAD", "/bkt/nope", "")
	if b := h.want(resp, 404); b != "" || resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Fatalf("HEAD error body %q", b)
	}
	e = errorDoc(t, h.want(h.do("GET", "/nobucket/k", ""), 404))
	if e.Code != "NoSuchBucket" {
		t.Fatalf("%+v", e)
	}
}

func TestPutBodyRules(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxObjectSize = 10 })
	h.want(h.do("PUT", "/bkt", ""), 200)

	if e := errorDoc(t, h.want(h.do("PUT", "/bkt/big", "0123456789A"), 400)); e.Code != "EntityTooLarge" {
		t.Fatalf("%+v", e)
	}
	// Chunked transfer encoding has no Content-Length.
	req, _ := http.NewRequest("PUT", h.srv.URL+"/bkt/k", struct{ *bytes.Reader }{bytes.NewReader([]byte("abc"))})
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if e := errorDoc(t, h.want(resp, 411)); e.Code != "MissingContentLength" {
		t.Fatalf("%+v", e)
	}
	// aws-chunked: the size is the decoded length; aws-chunked is not stored.
	h.want(h.do("PUT", "/bkt/k", "abc", "Content-Encoding", "aws-chunked,gzip", "X-Amz-Decoded-Content-Length", "3"), 200)
	if got := h.be.buckets["t1/bkt"].versions["k"][0].info.Meta.ContentEncoding; got != "gzip" {
		t.Fatalf("stored Content-Encoding %q", got)
	}
	h.want(h.do("PUT", "/bkt/k2", "abc", "Content-Encoding", "aws-chunked"), 411)
	// A declared length that does not match is refused.
	if e := errorDoc(t, h.want(h.do("PUT", "/bkt/k3", "abc", "Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", "5"), 400)); e.Code != "IncompleteBody" {
		t.Fatalf("%+v", e)
	}
	// If-None-Match accepts only "*".
	h.want(h.do("PUT", "/bkt/k", "x", "If-None-Match", "*"), 412)
	h.want(h.do("PUT", "/bkt/k", "x", "If-None-Match", `"abc"`), 501)
	// Tag limits.
	if e := errorDoc(t, h.want(h.do("PUT", "/bkt/k", "x", "X-Amz-Tagging", "a=1&a=2"), 400)); e.Code != "InvalidArgument" {
		t.Fatalf("%+v", e)
	}
	h.want(h.do("PUT", "/bkt/k", "x", "X-Amz-Storage-Class", "PLATINUM"), 400)
}

func TestVersioningAndDeleteMarkers(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	if body := h.want(h.do("GET", "/bkt?versioning", ""), 200); strings.Contains(body, "<Status>") {
		t.Fatalf("unset versioning shows a status: %s", body)
	}
	h.want(h.do("PUT", "/bkt?versioning", `<VersioningConfiguration><Status>Bogus</Status></VersioningConfiguration>`), 400)
	h.want(h.do("PUT", "/bkt?versioning", `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`), 200)
	if body := h.want(h.do("GET", "/bkt?versioning", ""), 200); !strings.Contains(body, "<Status>Enabled</Status>") {
		t.Fatalf("versioning: %s", body)
	}
	resp := h.do("PUT", "/bkt/k", "v1")
	h.want(resp, 200)
	v1 := resp.Header.Get("X-Amz-Version-Id")
	if v1 == "" {
		t.Fatal("no version id in a versioned bucket")
	}
	resp = h.do("DELETE", "/bkt/k", "")
	h.want(resp, 204)
	marker := resp.Header.Get("X-Amz-Version-Id")
	if resp.Header.Get("X-Amz-Delete-Marker") != "true" || marker == "" {
		t.Fatalf("delete headers %v", resp.Header)
	}
	resp = h.do("GET", "/bkt/k", "")
	if e := errorDoc(t, h.want(resp, 404)); e.Code != "NoSuchKey" {
		t.Fatalf("%+v", e)
	}
	if resp.Header.Get("X-Amz-Delete-Marker") != "true" || resp.Header.Get("X-Amz-Version-Id") != marker {
		t.Fatalf("GET marker headers %v", resp.Header)
	}
	resp = h.do("GET", "/bkt/k?versionId="+marker, "")
	h.want(resp, 405)
	if resp.Header.Get("X-Amz-Delete-Marker") != "true" {
		t.Fatalf("405 headers %v", resp.Header)
	}
	if body := h.want(h.do("GET", "/bkt/k?versionId="+v1, ""), 200); body != "v1" {
		t.Fatalf("old version %q", body)
	}
	body := h.want(h.do("GET", "/bkt?versions", ""), 200)
	if !strings.Contains(body, "<DeleteMarker><Key>k</Key><VersionId>"+marker+"</VersionId><IsLatest>true</IsLatest>") ||
		!strings.Contains(body, "<Version><Key>k</Key><VersionId>"+v1+"</VersionId><IsLatest>false</IsLatest>") {
		t.Fatalf("versions:\n%s", body)
	}
}

func TestListObjectsV2Paging(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	for _, k := range []string{"a+1", "a 2", "b/x", "b/y", "c"} {
		h.want(h.do("PUT", "/bkt/"+strings.ReplaceAll(k, " ", "%20"), "x"), 200)
	}
	type result struct {
		KeyCount              int
		IsTruncated           bool
		NextContinuationToken string
		ContinuationToken     string
		EncodingType          string
		Contents              []struct{ Key string }
		CommonPrefixes        []struct{ Prefix string }
	}
	var keys []string
	token := ""
	for page := 0; ; page++ {
		q := "/bkt?list-type=2&max-keys=2&delimiter=%2F&encoding-type=url"
		if token != "" {
			q += "&continuation-token=" + token
		}
		var res result
		if err := xml.Unmarshal([]byte(h.want(h.do("GET", q, ""), 200)), &res); err != nil {
			t.Fatal(err)
		}
		if res.ContinuationToken != token || res.EncodingType != "url" {
			t.Fatalf("page %d: %+v", page, res)
		}
		for _, c := range res.Contents {
			keys = append(keys, c.Key)
		}
		for _, p := range res.CommonPrefixes {
			keys = append(keys, p.Prefix)
		}
		if res.KeyCount != len(res.Contents)+len(res.CommonPrefixes) {
			t.Fatalf("KeyCount %d", res.KeyCount)
		}
		if !res.IsTruncated {
			break
		}
		token = res.NextContinuationToken
	}
	sort.Strings(keys)
	if got := strings.Join(keys, "|"); got != "a%2B1|a+2|b/|c" {
		t.Fatalf("keys %s", got)
	}
	h.want(h.do("GET", "/bkt?list-type=2&continuation-token=%21%21", ""), 400)
	h.want(h.do("GET", "/bkt?list-type=2&max-keys=-1", ""), 400)
	h.want(h.do("GET", "/bkt?list-type=2&encoding-type=base64", ""), 400)

	// v1: NextMarker only with a delimiter.
	body := h.want(h.do("GET", "/bkt?max-keys=1", ""), 200)
	if strings.Contains(body, "NextMarker") || !strings.Contains(body, "<IsTruncated>true</IsTruncated>") || !strings.Contains(body, "<Owner>") {
		t.Fatalf("v1 without delimiter:\n%s", body)
	}
	if body := h.want(h.do("GET", "/bkt?max-keys=1&delimiter=/", ""), 200); !strings.Contains(body, "<NextMarker>a 2</NextMarker>") {
		t.Fatalf("v1 with delimiter:\n%s", body)
	}
}

func TestDeleteObjects(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	h.want(h.do("PUT", "/bkt/a", "x"), 200)
	h.want(h.do("PUT", "/bkt/secret", "x"), 200)
	h.authz.deny = func(r core.Request) bool { return r.Key == "secret" }
	body := h.want(h.do("POST", "/bkt?delete", `<Delete><Object><Key>a</Key></Object><Object><Key>secret</Key></Object></Delete>`), 200)
	if !strings.Contains(body, "<Deleted><Key>a</Key></Deleted>") ||
		!strings.Contains(body, "<Error><Key>secret</Key><Code>AccessDenied</Code>") {
		t.Fatalf("delete result:\n%s", body)
	}
	body = h.want(h.do("POST", "/bkt?delete", `<Delete><Quiet>true</Quiet><Object><Key>zz</Key></Object></Delete>`), 200)
	if strings.Contains(body, "<Deleted>") {
		t.Fatalf("quiet mode listed deletions:\n%s", body)
	}
	h.want(h.do("POST", "/bkt?delete", `<Delete><Object><Key>a</Key></Object>`), 400)
	many := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>"
	if e := errorDoc(t, h.want(h.do("POST", "/bkt?delete", many), 400)); e.Code != "MalformedXML" {
		t.Fatalf("%+v", e)
	}
}

func TestCopyObject(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	h.want(h.do("PUT", "/bkt/src", "data", "X-Amz-Meta-A", "1"), 200)
	body := h.want(h.do("PUT", "/bkt/dst", "", "X-Amz-Copy-Source", "/bkt/src"), 200)
	if !strings.Contains(body, "<CopyObjectResult") || !strings.Contains(body, md5hex([]byte("data"))) {
		t.Fatalf("copy result:\n%s", body)
	}
	e := errorDoc(t, h.want(h.do("PUT", "/bkt/src", "", "X-Amz-Copy-Source", "bkt/src"), 400))
	if e.Code != "InvalidRequest" || !strings.Contains(e.Message, "copy an object to itself") {
		t.Fatalf("%+v", e)
	}
	h.want(h.do("PUT", "/bkt/src", "", "X-Amz-Copy-Source", "bkt/src", "X-Amz-Metadata-Directive", "REPLACE"), 200)
	h.want(h.do("PUT", "/bkt/x", "", "X-Amz-Copy-Source", "bkt/src", "X-Amz-Metadata-Directive", "MOVE"), 400)
	// The source is authorized as a read.
	h.authz.deny = func(r core.Request) bool { return r.Action == "s3:GetObject" && r.Key == "src" }
	h.want(h.do("PUT", "/bkt/y", "", "X-Amz-Copy-Source", "bkt/src"), 403)
}

func TestMultipartFlow(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	var init struct{ UploadId string }
	if err := xml.Unmarshal([]byte(h.want(h.do("POST", "/bkt/big?uploads", ""), 200)), &init); err != nil || init.UploadId == "" {
		t.Fatalf("initiate: %v %+v", err, init)
	}
	id := init.UploadId
	r1 := h.do("PUT", "/bkt/big?partNumber=1&uploadId="+id, "part-one-")
	h.want(r1, 200)
	r2 := h.do("PUT", "/bkt/big?partNumber=2&uploadId="+id, "part-two")
	h.want(r2, 200)
	if body := h.want(h.do("GET", "/bkt/big?uploadId="+id, ""), 200); !strings.Contains(body, "<PartNumber>2</PartNumber>") {
		t.Fatalf("list parts:\n%s", body)
	}
	if body := h.want(h.do("GET", "/bkt?uploads", ""), 200); !strings.Contains(body, "<UploadId>"+id+"</UploadId>") {
		t.Fatalf("list uploads:\n%s", body)
	}
	complete := "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + r1.Header.Get("ETag") +
		"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + r2.Header.Get("ETag") + "</ETag></Part></CompleteMultipartUpload>"
	body := h.want(h.do("POST", "/bkt/big?uploadId="+id, complete), 200)
	if !strings.Contains(body, "<Location>"+h.srv.URL+"/bkt/big</Location>") || !strings.Contains(body, "-2&quot;</ETag>") {
		t.Fatalf("complete:\n%s", body)
	}
	if got := h.want(h.do("GET", "/bkt/big", ""), 200); got != "part-one-part-two" {
		t.Fatalf("object %q", got)
	}
	resp := h.do("GET", "/bkt/big?partNumber=2", "")
	if got := h.want(resp, 206); got != "part-two" || resp.Header.Get("X-Amz-Mp-Parts-Count") != "2" {
		t.Fatalf("part 2: %q %v", got, resp.Header)
	}
	h.want(h.do("GET", "/bkt/big?partNumber=1", "", "Range", "bytes=0-1"), 400)
	h.want(h.do("POST", "/bkt/big?uploadId="+id, complete), 404)
	h.want(h.do("POST", "/bkt/big?uploadId=x", "<CompleteMultipartUpload></CompleteMultipartUpload>"), 400)
	h.want(h.do("DELETE", "/bkt/big?uploadId=nope", ""), 404)
}

func TestTaggingAndAttributes(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	h.want(h.do("PUT", "/bkt/k", "12345"), 200)
	h.want(h.do("PUT", "/bkt/k?tagging", `<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag></TagSet></Tagging>`), 200)
	if body := h.want(h.do("GET", "/bkt/k?tagging", ""), 200); !strings.Contains(body, "<TagSet><Tag><Key>env</Key><Value>prod</Value></Tag></TagSet>") {
		t.Fatalf("tagging:\n%s", body)
	}
	h.want(h.do("DELETE", "/bkt/k?tagging", ""), 204)
	if body := h.want(h.do("GET", "/bkt/k?tagging", ""), 200); !strings.Contains(body, "<TagSet></TagSet>") {
		t.Fatalf("empty tagging:\n%s", body)
	}
	long := `<Tagging><TagSet><Tag><Key>` + strings.Repeat("k", 129) + `</Key><Value>v</Value></Tag></TagSet></Tagging>`
	if e := errorDoc(t, h.want(h.do("PUT", "/bkt/k?tagging", long), 400)); e.Code != "InvalidTag" {
		t.Fatalf("%+v", e)
	}
	body := h.want(h.do("GET", "/bkt/k?attributes", "", "X-Amz-Object-Attributes", "ETag,ObjectSize"), 200)
	if !strings.Contains(body, "<ETag>"+md5hex([]byte("12345"))+"</ETag>") || !strings.Contains(body, "<ObjectSize>5</ObjectSize>") {
		t.Fatalf("attributes:\n%s", body)
	}
	h.want(h.do("GET", "/bkt/k?attributes", ""), 400)
	h.want(h.do("GET", "/bkt/k?attributes", "", "X-Amz-Object-Attributes", "Color"), 400)
	if body := h.want(h.do("GET", "/bkt/k?acl", ""), 200); !strings.Contains(body, "<Permission>FULL_CONTROL</Permission>") {
		t.Fatalf("acl:\n%s", body)
	}
}

func TestBucketOperations(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Region = "eu-west-3" })
	h.want(h.do("PUT", "/bkt", `<CreateBucketConfiguration><LocationConstraint>eu-west-3</LocationConstraint></CreateBucketConfiguration>`), 200)
	h.want(h.do("PUT", "/other", `<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>`), 400)
	if e := errorDoc(t, h.want(h.do("PUT", "/bkt", ""), 409)); e.Code != "BucketAlreadyOwnedByYou" || e.BucketName != "bkt" {
		t.Fatalf("%+v", e)
	}
	h.want(h.do("PUT", "/bkt2", ""), 200)
	resp := h.do("HEAD", "/bkt", "")
	h.want(resp, 200)
	if resp.Header.Get("X-Amz-Bucket-Region") != "eu-west-3" {
		t.Fatalf("head bucket %v", resp.Header)
	}
	if body := h.want(h.do("GET", "/bkt?location", ""), 200); !strings.Contains(body, ">eu-west-3</LocationConstraint>") {
		t.Fatalf("location:\n%s", body)
	}
	h.authz.deny = func(r core.Request) bool { return r.Action == "s3:ListBucket" && r.Bucket == "bkt2" }
	body := h.want(h.do("GET", "/", ""), 200)
	if !strings.Contains(body, "<Name>bkt</Name>") || strings.Contains(body, "bkt2") || !strings.Contains(body, "<DisplayName>alice</DisplayName>") || strings.Contains(body, "<ID>u-alice</ID>") {
		t.Fatalf("list buckets:\n%s", body)
	}
	h.authz.deny = nil
	body = h.want(h.do("GET", "/?max-buckets=1", ""), 200)
	var page struct{ ContinuationToken string }
	xml.Unmarshal([]byte(body), &page)
	if page.ContinuationToken == "" {
		t.Fatalf("no continuation:\n%s", body)
	}
	if body := h.want(h.do("GET", "/?max-buckets=1&continuation-token="+page.ContinuationToken, ""), 200); !strings.Contains(body, "<Name>bkt2</Name>") {
		t.Fatalf("page 2:\n%s", body)
	}
	h.want(h.do("PUT", "/bkt/k", "x"), 200)
	h.want(h.do("DELETE", "/bkt", ""), 409)
	h.want(h.do("DELETE", "/bkt2", ""), 204)
	if e := errorDoc(t, h.want(h.do("GET", "/bkt?website", ""), 501)); e.Code != "NotImplemented" || !strings.Contains(e.Message, "website") {
		t.Fatalf("%+v", e)
	}
}

func TestAddressingStyles(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Domain = "s3.test" })
	h.want(h.do("PUT", "/S3/bkt", ""), 200)
	h.want(h.do("PUT", "/obj", "via vhost", "Host", "bkt.s3.test:9000"), 200)
	if got := h.want(h.do("GET", "/S3/bkt/obj", ""), 200); got != "via vhost" {
		t.Fatalf("got %q", got)
	}
	if body := h.want(h.do("GET", "/S3", ""), 200); !strings.Contains(body, "<Name>bkt</Name>") {
		t.Fatalf("service root via /S3:\n%s", body)
	}
}

func TestAuthorizationQuestions(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	h.authz.deny = func(r core.Request) bool { return r.Action == "s3:PutObject" }
	if e := errorDoc(t, h.want(h.do("PUT", "/bkt/k", "x"), 403)); e.Code != "AccessDenied" {
		t.Fatalf("%+v", e)
	}
	last := h.authz.seen[len(h.authz.seen)-1]
	if last.Principal != testPrincipal || last.Bucket != "bkt" || last.Key != "k" || last.SourceIP != "127.0.0.1" {
		t.Fatalf("authorization request %+v", last)
	}
	if len(h.be.buckets["t1/bkt"].versions) != 0 {
		t.Fatal("denied PUT reached the backend")
	}
}

func TestAuthenticationFailures(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.authenticate = func(r *http.Request) (core.Principal, *sigv4.Auth, error) {
			return core.Principal{}, nil, errs.New(errs.SignatureDoesNotMatch, "bad signature")
		}
	})
	resp := h.do("GET", "/bkt/k", "")
	if e := errorDoc(t, h.want(resp, 403)); e.Code != "SignatureDoesNotMatch" || e.RequestID == "" {
		t.Fatalf("%+v", e)
	}
	if len(h.authz.seen) != 0 {
		t.Fatal("unauthenticated request was authorized")
	}
}

func TestInternalErrorIsLoggedNotLeaked(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	h.be.fail = errors.New("disk on fire at /var/lib/coffer")
	resp := h.do("GET", "/bkt?location", "")
	body := h.want(resp, 500)
	e := errorDoc(t, body)
	if e.Code != "InternalError" || strings.Contains(body, "disk on fire") {
		t.Fatalf("leaked: %s", body)
	}
	if !strings.Contains(logs.String(), "disk on fire") || !strings.Contains(logs.String(), resp.Header.Get("X-Amz-Request-Id")) {
		t.Fatalf("log lacks error or request id:\n%s", logs.String())
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{Domain: "http://x", MaxObjectSize: -1}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"Backend", "Credentials", "Authorizer", "Domain", "MaxObjectSize"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate does not report %s: %v", want, err)
		}
	}
	o := Options{}.WithDefaults()
	if o.Region != "us-east-1" || o.MaxObjectSize != 5<<30 || o.Logger == nil || o.Now == nil {
		t.Fatalf("defaults %+v", o)
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	s := &server{idBase: 1 << 63, hostSeed: []byte("seed")}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id, host := s.newRequestID()
		if seen[id] || len(id) != 16 || host == "" {
			t.Fatalf("id %q (host %q) repeated or malformed", id, host)
		}
		seen[id] = true
	}
}

// countingRF is a ResponseWriter with ReadFrom, like net/http's, counting calls.
type countingRF struct {
	header http.Header
	buf    bytes.Buffer
	calls  int
}

func (c *countingRF) Header() http.Header         { return c.header }
func (c *countingRF) Write(p []byte) (int, error) { return c.buf.Write(p) }
func (c *countingRF) WriteHeader(int)             {}
func (c *countingRF) ReadFrom(src io.Reader) (int64, error) {
	c.calls++
	return c.buf.ReadFrom(src)
}

func TestStatusWriterKeepsReadFrom(t *testing.T) {
	rec := &countingRF{header: http.Header{}}
	w := &statusWriter{ResponseWriter: rec}
	n, err := w.ReadFrom(strings.NewReader("abcdef"))
	if err != nil || n != 6 || rec.calls != 1 || rec.buf.String() != "abcdef" || w.code() != 200 || w.bytes != 6 {
		t.Fatalf("ReadFrom not delegated: n=%d err=%v calls=%d", n, err, rec.calls)
	}
	if w.Unwrap() != rec {
		t.Fatal("Unwrap")
	}
}
