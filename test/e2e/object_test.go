package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestPutObject_getHeadDelete_roundTrip(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(100_000)
	before := time.Now().Add(-5 * time.Minute)
	put := putObject(t, b, "dir/obj.bin", body)
	if got, want := aws.ToString(put.ETag), quotedMD5(body); got != want {
		t.Fatalf("PutObject ETag: got %s, want %s", got, want)
	}

	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")})
	mustEqualBytes(t, "GetObject", data, body)
	if got := aws.ToString(get.ETag); got != quotedMD5(body) {
		t.Fatalf("GetObject ETag: got %s, want %s", got, quotedMD5(body))
	}
	if got := aws.ToInt64(get.ContentLength); got != int64(len(body)) {
		t.Fatalf("GetObject Content-Length: got %d, want %d", got, len(body))
	}
	if got := statusOf(get.ResultMetadata); got != 200 {
		t.Fatalf("GetObject status: got %d, want 200", got)
	}

	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != quotedMD5(body) {
		t.Fatalf("HeadObject: got len %d etag %s, want %d %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), len(body), quotedMD5(body))
	}
	if lm := aws.ToTime(head.LastModified); lm.Before(before) || lm.After(time.Now().Add(5*time.Minute)) {
		t.Fatalf("HeadObject Last-Modified %v not close to now", lm)
	}
	if got := aws.ToString(head.AcceptRanges); got != "bytes" {
		t.Fatalf("HeadObject Accept-Ranges: got %q, want bytes", got)
	}

	del, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")})
	if err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if got := statusOf(del.ResultMetadata); got != 204 {
		t.Fatalf("DeleteObject status: got %d, want 204", got)
	}
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")})
	wantErr(t, "GetObject after delete", err, "NoSuchKey", 404)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("dir/obj.bin")})
	wantErr(t, "HeadObject after delete", err, "", 404)
	// Deleting a missing key succeeds (204).
	del, err = c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("never-existed")})
	if err != nil {
		t.Fatalf("DeleteObject missing key: %v", err)
	}
	if got := statusOf(del.ResultMetadata); got != 204 {
		t.Fatalf("DeleteObject missing key status: got %d, want 204", got)
	}
}

func TestPutObject_emptyBody_roundTrip(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	put := putObject(t, b, "empty", nil)
	if got := aws.ToString(put.ETag); got != `"d41d8cd98f00b204e9800998ecf8427e"` {
		t.Fatalf("empty object ETag: got %s", got)
	}
	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("empty")})
	if len(data) != 0 || aws.ToInt64(get.ContentLength) != 0 {
		t.Fatalf("empty object: got %d bytes, Content-Length %d", len(data), aws.ToInt64(get.ContentLength))
	}
}

func TestPutObject_overwrite_lastWriterWins(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	putObject(t, b, "k", []byte("first version of the object"))
	putObject(t, b, "k", []byte("second"))
	mustEqualBytes(t, "after overwrite", getObject(t, b, "k"), []byte("second"))
}

func TestGetObject_range(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(1000)
	putObject(t, b, "r", body)
	cases := []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=0-9", 0, 9},
		{"bytes=10-19", 10, 19},
		{"bytes=999-999", 999, 999},
		{"bytes=-10", 990, 999},       // suffix
		{"bytes=-5000", 0, 999},       // suffix longer than object
		{"bytes=990-", 990, 999},      // open-ended
		{"bytes=0-", 0, 999},          // open-ended, whole object
		{"bytes=995-20000", 995, 999}, // end clamped
	}
	for _, tc := range cases {
		data, out := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(tc.rng)})
		mustEqualBytes(t, "Range "+tc.rng, data, body[tc.start:tc.end+1])
		if got := statusOf(out.ResultMetadata); got != 206 {
			t.Fatalf("Range %s: status got %d, want 206", tc.rng, got)
		}
		want := fmt.Sprintf("bytes %d-%d/1000", tc.start, tc.end)
		if got := aws.ToString(out.ContentRange); got != want {
			t.Fatalf("Range %s: Content-Range got %q, want %q", tc.rng, got, want)
		}
		if got := aws.ToInt64(out.ContentLength); got != int64(tc.end-tc.start+1) {
			t.Fatalf("Range %s: Content-Length got %d, want %d", tc.rng, got, tc.end-tc.start+1)
		}
	}
	// HEAD honours Range too.
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String("bytes=100-199")})
	if err != nil {
		t.Fatalf("HeadObject Range: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != 100 || aws.ToString(head.ContentRange) != "bytes 100-199/1000" {
		t.Fatalf("HeadObject Range: got len %d range %q, want 100 %q", aws.ToInt64(head.ContentLength), aws.ToString(head.ContentRange), "bytes 100-199/1000")
	}
}

func TestGetObject_rangeUnsatisfiable_InvalidRange(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	putObject(t, b, "r", randBytes(1000))
	for _, rng := range []string{"bytes=1000-", "bytes=5000-6000", "bytes=1000-1000"} {
		_, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(rng)})
		wantErr(t, "GetObject Range "+rng, err, "InvalidRange", 416)
	}
	// A syntactically invalid range is ignored: full object, 200.
	data, out := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String("bytes=abc")})
	if len(data) != 1000 || statusOf(out.ResultMetadata) != 200 {
		t.Fatalf("invalid Range syntax: got %d bytes status %d, want 1000 bytes 200", len(data), statusOf(out.ResultMetadata))
	}
}

func TestGetObject_partNumber_multipartObject(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	p1, p2 := randBytes(5<<20), randBytes(1<<20)
	multipartUpload(t, c, b, "mp", [][]byte{p1, p2}, nil)
	total := len(p1) + len(p2)

	data, out := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(1)})
	mustEqualBytes(t, "GetObject partNumber=1", data, p1)
	if got := aws.ToInt32(out.PartsCount); got != 2 {
		t.Fatalf("partNumber=1: x-amz-mp-parts-count got %d, want 2", got)
	}
	if got, want := aws.ToString(out.ContentRange), fmt.Sprintf("bytes 0-%d/%d", len(p1)-1, total); got != want {
		t.Fatalf("partNumber=1: Content-Range got %q, want %q", got, want)
	}
	if got := statusOf(out.ResultMetadata); got != 206 {
		t.Fatalf("partNumber=1: status got %d, want 206", got)
	}
	data, out = getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(2)})
	mustEqualBytes(t, "GetObject partNumber=2", data, p2)
	if got, want := aws.ToString(out.ContentRange), fmt.Sprintf("bytes %d-%d/%d", len(p1), total-1, total); got != want {
		t.Fatalf("partNumber=2: Content-Range got %q, want %q", got, want)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatalf("HeadObject partNumber=1: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(p1)) || aws.ToInt32(head.PartsCount) != 2 {
		t.Fatalf("HeadObject partNumber=1: got len %d parts %d, want %d 2", aws.ToInt64(head.ContentLength), aws.ToInt32(head.PartsCount), len(p1))
	}
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), PartNumber: aws.Int32(3)})
	wantErr(t, "GetObject partNumber=3 of 2", err, "InvalidPartNumber", 416)
}

func TestGetObject_conditionalHeaders(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := []byte("conditional get body")
	putObject(t, b, "c", body)
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("c")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	etag := aws.ToString(head.ETag)
	lm := aws.ToTime(head.LastModified)
	past, future := lm.Add(-time.Hour), lm.Add(time.Hour)
	wrong := `"00000000000000000000000000000000"`

	type cond struct {
		name       string
		in         s3.GetObjectInput
		wantStatus int // 200, 304, 412
	}
	cases := []cond{
		{"If-Match right", s3.GetObjectInput{IfMatch: aws.String(etag)}, 200},
		{"If-Match *", s3.GetObjectInput{IfMatch: aws.String("*")}, 200},
		{"If-Match wrong", s3.GetObjectInput{IfMatch: aws.String(wrong)}, 412},
		{"If-None-Match same", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, 304},
		{"If-None-Match *", s3.GetObjectInput{IfNoneMatch: aws.String("*")}, 304},
		{"If-None-Match other", s3.GetObjectInput{IfNoneMatch: aws.String(wrong)}, 200},
		{"If-Modified-Since past", s3.GetObjectInput{IfModifiedSince: aws.Time(past)}, 200},
		{"If-Modified-Since future", s3.GetObjectInput{IfModifiedSince: aws.Time(future)}, 304},
		{"If-Unmodified-Since future", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(future)}, 200},
		{"If-Unmodified-Since past", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(past)}, 412},
		// RFC 7232 / S3 docs: If-Match true wins over If-Unmodified-Since false.
		{"If-Match true + If-Unmodified-Since false", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(past)}, 200},
		// If-None-Match false + If-Modified-Since true -> 304.
		{"If-None-Match false + If-Modified-Since true", s3.GetObjectInput{IfNoneMatch: aws.String(etag), IfModifiedSince: aws.Time(past)}, 304},
	}
	for _, tc := range cases {
		in := tc.in
		in.Bucket, in.Key = aws.String(b), aws.String("c")
		out, err := c.GetObject(ctxT(t), &in)
		switch tc.wantStatus {
		case 200:
			if err != nil {
				t.Fatalf("GetObject %s: got error %v, want 200", tc.name, err)
			}
			out.Body.Close()
		case 304:
			wantErr(t, "GetObject "+tc.name, err, "", 304)
			if got := errHeader(err, "ETag"); got != etag {
				t.Fatalf("GetObject %s: 304 ETag header got %q, want %q", tc.name, got, etag)
			}
		case 412:
			wantErr(t, "GetObject "+tc.name, err, "PreconditionFailed", 412)
		}
	}
	// HEAD: If-None-Match -> 304, If-Match wrong -> 412.
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("c"), IfNoneMatch: aws.String(etag)})
	wantErr(t, "HeadObject If-None-Match same", err, "", 304)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("c"), IfMatch: aws.String(wrong)})
	wantErr(t, "HeadObject If-Match wrong", err, "", 412)
}

func TestGetObject_responseHeaderOverrides(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("o"),
		Body: strings.NewReader("x"), ContentType: aws.String("text/plain")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	exp := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	out, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("o"),
		ResponseContentType:        aws.String("application/x-override"),
		ResponseContentDisposition: aws.String(`attachment; filename="over.txt"`),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseContentLanguage:    aws.String("fr-CA"),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseExpires:            aws.Time(exp),
	})
	if err != nil {
		t.Fatalf("GetObject with response-* overrides: %v", err)
	}
	out.Body.Close()
	checks := map[string][2]string{
		"Content-Type":        {aws.ToString(out.ContentType), "application/x-override"},
		"Content-Disposition": {aws.ToString(out.ContentDisposition), `attachment; filename="over.txt"`},
		"Content-Encoding":    {aws.ToString(out.ContentEncoding), "identity"},
		"Content-Language":    {aws.ToString(out.ContentLanguage), "fr-CA"},
		"Cache-Control":       {aws.ToString(out.CacheControl), "no-store"},
		"Expires":             {aws.ToString(out.ExpiresString), exp.Format(http.TimeFormat)},
	}
	for h, gw := range checks {
		if gw[0] != gw[1] {
			t.Fatalf("response override %s: got %q, want %q", h, gw[0], gw[1])
		}
	}
}

func TestPutObject_userMetadata_roundTrip(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	meta := map[string]string{"color": "blue", "Mixed-Case-Key": "Value With Spaces", "empty": "", "n": "123"}
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("m"),
		Body: strings.NewReader("x"), Metadata: meta}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	want := map[string]string{"color": "blue", "mixed-case-key": "Value With Spaces", "empty": "", "n": "123"}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("m")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	_, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("m")})
	for name, got := range map[string]map[string]string{"HeadObject": lowerKeys(head.Metadata), "GetObject": lowerKeys(get.Metadata)} {
		for k, v := range want {
			gv, ok := got[k]
			if k == "empty" && !ok {
				continue // an empty value may legitimately be dropped by HTTP stacks
			}
			if !ok || gv != v {
				t.Fatalf("%s metadata %q: got %q (present=%v), want %q; all=%v", name, k, gv, ok, v, got)
			}
		}
		if len(got) > len(want) {
			t.Fatalf("%s metadata: unexpected extra keys: got %v, want %v", name, got, want)
		}
	}
	if r := rawResponse(head.ResultMetadata); r == nil || r.Header.Get("X-Amz-Meta-Color") != "blue" {
		t.Fatalf("HeadObject raw x-amz-meta-color header missing")
	}
}

func lowerKeys(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

func TestPutObject_standardHeaders_roundTrip(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(strings.Repeat("compress me ", 100)))
	w.Close()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("h"),
		Body:               bytes.NewReader(gz.Bytes()),
		ContentType:        aws.String("text/csv; charset=utf-8"),
		ContentEncoding:    aws.String("gzip"),
		ContentDisposition: aws.String(`attachment; filename="report.csv"`),
		ContentLanguage:    aws.String("de-DE"),
		CacheControl:       aws.String("max-age=3600, private"),
		Expires:            aws.Time(exp),
	}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("h")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("h")})
	mustEqualBytes(t, "gzip body stored verbatim", data, gz.Bytes())
	for name, o := range map[string][6]*string{
		"HeadObject": {head.ContentType, head.ContentEncoding, head.ContentDisposition, head.ContentLanguage, head.CacheControl, head.ExpiresString},
		"GetObject":  {get.ContentType, get.ContentEncoding, get.ContentDisposition, get.ContentLanguage, get.CacheControl, get.ExpiresString},
	} {
		want := [6]string{"text/csv; charset=utf-8", "gzip", `attachment; filename="report.csv"`, "de-DE", "max-age=3600, private", exp.Format(http.TimeFormat)}
		hdrs := [6]string{"Content-Type", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"}
		for i := range want {
			if got := aws.ToString(o[i]); got != want[i] {
				t.Fatalf("%s %s: got %q, want %q", name, hdrs[i], got, want[i])
			}
		}
	}
}

func TestPutObject_defaultContentType(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	putObject(t, b, "noct", []byte("x"))
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("noct")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	// The Go SDK sends no Content-Type for a bytes body; S3 then stores
	// binary/octet-stream (some servers use application/octet-stream).
	if got := aws.ToString(head.ContentType); got != "binary/octet-stream" && got != "application/octet-stream" {
		t.Fatalf("default Content-Type: got %q, want binary/octet-stream", got)
	}
}

func TestDeleteObjects_verbose_missingKeys(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	for _, k := range []string{"a", "b", "keep"} {
		putObject(t, b, k, []byte(k))
	}
	out, err := c.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}, {Key: aws.String("missing")}},
	}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	sort.Strings(deleted)
	if strings.Join(deleted, ",") != "a,b,missing" || len(out.Errors) != 0 {
		t.Fatalf("DeleteObjects verbose: got Deleted=%v Errors=%+v, want Deleted=[a b missing] and no errors", deleted, out.Errors)
	}
	assertKeys(t, b, "", []string{"keep"})
}

func TestDeleteObjects_quiet(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	for _, k := range []string{"a", "b", "keep"} {
		putObject(t, b, k, []byte(k))
	}
	out, err := c.DeleteObjects(ctxT(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Quiet:   aws.Bool(true),
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}, {Key: aws.String("missing")}},
	}})
	if err != nil {
		t.Fatalf("DeleteObjects quiet: %v", err)
	}
	if len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("DeleteObjects quiet: got Deleted=%d Errors=%d, want 0 and 0", len(out.Deleted), len(out.Errors))
	}
	assertKeys(t, b, "", []string{"keep"})
}

// assertKeys lists the bucket (all pages) and compares the key set.
func assertKeys(t testing.TB, b, prefix string, want []string) {
	t.Helper()
	got := listAllKeys(t, b, prefix)
	sort.Strings(want)
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("keys under %q: got %q, want %q", prefix, got, want)
	}
}

func listAllKeys(t testing.TB, b, prefix string) []string {
	t.Helper()
	var keys []string
	var token *string
	for {
		out, err := s3c(t).ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String(prefix), ContinuationToken: token})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			return keys
		}
		token = out.NextContinuationToken
	}
}

func copySource(b, key string) string { return b + "/" + url.PathEscape(key) }

func TestCopyObject_copyDirective_keepsMetadata(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(200_000)
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("src"), Body: bytes.NewReader(body),
		ContentType: aws.String("image/png"), Metadata: map[string]string{"origin": "src"}, CacheControl: aws.String("no-cache")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(copySource(b, "src")),
		MetadataDirective: types.MetadataDirectiveCopy, Metadata: map[string]string{"ignored": "yes"}})
	if err != nil {
		t.Fatalf("CopyObject COPY: %v", err)
	}
	if got := aws.ToString(out.CopyObjectResult.ETag); got != quotedMD5(body) {
		t.Fatalf("CopyObject ETag: got %s, want %s", got, quotedMD5(body))
	}
	if out.CopyObjectResult.LastModified == nil {
		t.Fatalf("CopyObjectResult.LastModified missing")
	}
	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dst")})
	mustEqualBytes(t, "copied body", data, body)
	if aws.ToString(get.ContentType) != "image/png" || aws.ToString(get.CacheControl) != "no-cache" {
		t.Fatalf("COPY directive: got Content-Type %q Cache-Control %q, want image/png no-cache", aws.ToString(get.ContentType), aws.ToString(get.CacheControl))
	}
	if m := lowerKeys(get.Metadata); m["origin"] != "src" || m["ignored"] != "" || len(m) != 1 {
		t.Fatalf("COPY directive metadata: got %v, want {origin: src}", m)
	}
}

func TestCopyObject_replaceDirective_newMetadata(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := []byte("replace me")
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("src"), Body: bytes.NewReader(body),
		ContentType: aws.String("image/png"), Metadata: map[string]string{"origin": "src"}}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if _, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(copySource(b, "src")),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/plain"), Metadata: map[string]string{"fresh": "1"}}); err != nil {
		t.Fatalf("CopyObject REPLACE: %v", err)
	}
	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("dst")})
	mustEqualBytes(t, "copied body", data, body)
	if aws.ToString(get.ContentType) != "text/plain" {
		t.Fatalf("REPLACE Content-Type: got %q, want text/plain", aws.ToString(get.ContentType))
	}
	if m := lowerKeys(get.Metadata); m["fresh"] != "1" || len(m) != 1 {
		t.Fatalf("REPLACE metadata: got %v, want {fresh: 1}", m)
	}
	// Source unchanged.
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("src")})
	if err != nil || lowerKeys(head.Metadata)["origin"] != "src" {
		t.Fatalf("source after copy: err=%v metadata=%v", err, head.Metadata)
	}
	// Copy onto itself with REPLACE is the documented way to change metadata.
	if _, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("src"), CopySource: aws.String(copySource(b, "src")),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"origin": "self"}}); err != nil {
		t.Fatalf("CopyObject onto itself with REPLACE: %v", err)
	}
	head, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("src")})
	if err != nil || lowerKeys(head.Metadata)["origin"] != "self" {
		t.Fatalf("self-copy REPLACE: err=%v metadata=%v, want origin=self", err, head.Metadata)
	}
}

func TestCopyObject_ontoItselfWithoutChange_InvalidRequest(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	putObject(t, b, "self", []byte("x"))
	_, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("self"), CopySource: aws.String(copySource(b, "self"))})
	wantErr(t, "CopyObject onto itself without changes", err, "InvalidRequest", 400)
}

func TestCopyObject_copySourceConditions_PreconditionFailed(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := []byte("conditional copy")
	putObject(t, b, "src", body)
	etag := quotedMD5(body)
	wrong := `"00000000000000000000000000000000"`
	_, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("d1"), CopySource: aws.String(copySource(b, "src")), CopySourceIfMatch: aws.String(wrong)})
	wantErr(t, "CopyObject x-amz-copy-source-if-match wrong", err, "PreconditionFailed", 412)
	_, err = c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("d2"), CopySource: aws.String(copySource(b, "src")), CopySourceIfNoneMatch: aws.String(etag)})
	wantErr(t, "CopyObject x-amz-copy-source-if-none-match same", err, "PreconditionFailed", 412)
	_, err = c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("d3"), CopySource: aws.String(copySource(b, "src")), CopySourceIfUnmodifiedSince: aws.Time(time.Now().Add(-24 * time.Hour))})
	wantErr(t, "CopyObject x-amz-copy-source-if-unmodified-since past", err, "PreconditionFailed", 412)
	assertKeys(t, b, "d", nil)
	if _, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("ok"), CopySource: aws.String(copySource(b, "src")), CopySourceIfMatch: aws.String(etag)}); err != nil {
		t.Fatalf("CopyObject x-amz-copy-source-if-match right: %v", err)
	}
	mustEqualBytes(t, "conditional copy", getObject(t, b, "ok"), body)
	_, err = c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("nope"), CopySource: aws.String(copySource(b, "missing"))})
	wantErr(t, "CopyObject missing source", err, "NoSuchKey", 404)
}

func TestCopyObject_oddSourceKey_acrossBuckets(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	src, dst := newBucket(t), newBucket(t)
	key := "dir a/ü+b%c?d#e.txt"
	body := randBytes(1234)
	putObject(t, src, key, body)
	if _, err := c.CopyObject(ctxT(t), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String(key), CopySource: aws.String(copySource(src, key))}); err != nil {
		t.Fatalf("CopyObject %q across buckets: %v", key, err)
	}
	mustEqualBytes(t, "cross-bucket copy", getObject(t, dst, key), body)
}

func TestPutObjectTagging_getDelete(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("t"), Body: strings.NewReader("x"),
		Tagging: aws.String("team=storage&env=e2e%20test")}); err != nil {
		t.Fatalf("PutObject with x-amz-tagging: %v", err)
	}
	_, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("t")})
	if got := aws.ToInt32(get.TagCount); got != 2 {
		t.Fatalf("GetObject x-amz-tagging-count: got %d, want 2", got)
	}
	assertTags(t, b, "t", "env=e2e test,team=storage")

	if _, err := c.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k1"), Value: aws.String("v1")}, {Key: aws.String("k2"), Value: aws.String("")}}}}); err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	assertTags(t, b, "t", "k1=v1,k2=")

	if _, err := c.DeleteObjectTagging(ctxT(t), &s3.DeleteObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t")}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	assertTags(t, b, "t", "")

	_, err := c.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("missing"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
	wantErr(t, "PutObjectTagging missing key", err, "NoSuchKey", 404)
	// Duplicate tag keys are rejected.
	_, err = c.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}}})
	wantErr(t, "PutObjectTagging duplicate keys", err, "InvalidTag", 400)
}

func assertTags(t *testing.T, b, key, want string) {
	t.Helper()
	out, err := s3c(t).GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObjectTagging: %v", err)
	}
	var tags []string
	for _, tg := range out.TagSet {
		tags = append(tags, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	sort.Strings(tags)
	if got := strings.Join(tags, ","); got != want {
		t.Fatalf("GetObjectTagging: got %q, want %q", got, want)
	}
}

func TestGetObjectAttributes_singlePart(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(4321)
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("a"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("a"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
			types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass}})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
	// The ETag in GetObjectAttributes is documented without quotes.
	if got := aws.ToString(out.ETag); strings.Trim(got, `"`) != md5hex(body) {
		t.Fatalf("GetObjectAttributes ETag: got %q, want %q", got, md5hex(body))
	}
	if got := aws.ToInt64(out.ObjectSize); got != int64(len(body)) {
		t.Fatalf("GetObjectAttributes ObjectSize: got %d, want %d", got, len(body))
	}
	if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumSHA256) != b64sha256(body) {
		t.Fatalf("GetObjectAttributes Checksum.SHA256: got %+v, want %s", out.Checksum, b64sha256(body))
	}
	if out.StorageClass != types.StorageClassStandard {
		t.Fatalf("GetObjectAttributes StorageClass: got %q, want STANDARD", out.StorageClass)
	}
	if out.ObjectParts != nil && aws.ToInt32(out.ObjectParts.TotalPartsCount) > 1 {
		t.Fatalf("single-part object reports ObjectParts %+v", out.ObjectParts)
	}
	_, err = c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("missing"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
	wantErr(t, "GetObjectAttributes missing key", err, "NoSuchKey", 404)
}

func TestGetObjectAttributes_multipartObjectParts(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	p1, p2 := randBytes(5<<20), randBytes(100_000)
	etag := multipartUpload(t, c, b, "mp", [][]byte{p1, p2}, &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	out, err := c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("mp"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
	if got := aws.ToString(out.ETag); strings.Trim(got, `"`) != strings.Trim(etag, `"`) {
		t.Fatalf("GetObjectAttributes ETag: got %q, want %q", got, etag)
	}
	if got := aws.ToInt64(out.ObjectSize); got != int64(len(p1)+len(p2)) {
		t.Fatalf("GetObjectAttributes ObjectSize: got %d, want %d", got, len(p1)+len(p2))
	}
	if out.ObjectParts == nil || aws.ToInt32(out.ObjectParts.TotalPartsCount) != 2 {
		t.Fatalf("GetObjectAttributes ObjectParts.TotalPartsCount: got %+v, want 2", out.ObjectParts)
	}
	if n := len(out.ObjectParts.Parts); n != 2 {
		t.Fatalf("GetObjectAttributes ObjectParts.Parts: got %d entries, want 2 (object has per-part CRC32)", n)
	}
	for i, p := range out.ObjectParts.Parts {
		want := [][]byte{p1, p2}[i]
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToInt64(p.Size) != int64(len(want)) || aws.ToString(p.ChecksumCRC32) != b64crc32(want) {
			t.Fatalf("ObjectParts.Parts[%d]: got number %d size %d crc32 %s, want %d %d %s", i, aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ChecksumCRC32), i+1, len(want), b64crc32(want))
		}
	}
	if !regexp.MustCompile(`-2$`).MatchString(aws.ToString(out.Checksum.ChecksumCRC32)) && out.Checksum.ChecksumType != types.ChecksumTypeComposite {
		t.Fatalf("GetObjectAttributes Checksum: got %+v, want composite CRC32 ending in -2", out.Checksum)
	}
}

func TestPutObject_oddKeys_roundTrip(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	seg := strings.Repeat("s", 199) + "/" // 200 bytes per path segment
	keys := map[string]string{
		"space":              "dir with space/file name.txt",
		"unicode":            "unicode/ключ-日本語-🙂-é",
		"plus":               "plus/a+b+c",
		"percent":            "percent/100%/%41%2F",
		"question":           "question/what?x=1&y=2",
		"hash":               "hash/a#frag",
		"double-slash":       "double//slash///x",
		"trailing-slash":     "folder-marker/",
		"specials":           "specials/!$&'()*,;=:@[]{}~^`|\"<>\\",
		"tab":                "ctl/tab\there",
		"1024-bytes-nested":  strings.Repeat(seg, 5) + strings.Repeat("k", 1024-5*len(seg)),
		"1024-bytes-flat":    strings.Repeat("f", 1024),
		"1024-bytes-unicode": strings.Repeat("é", 512),
	}
	for name, key := range keys {
		if name != "1024-bytes-unicode" && strings.HasPrefix(name, "1024") && len(key) != 1024 {
			t.Fatalf("test bug: key %s has %d bytes", name, len(key))
		}
		t.Run(name, func(t *testing.T) {
			body := []byte("body of " + name)
			if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("PutObject %q: %v", key, err)
			}
			mustEqualBytes(t, fmt.Sprintf("GetObject %q", key), getObject(t, b, key), body)
			if _, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)}); err != nil {
				t.Fatalf("HeadObject %q: %v", key, err)
			}
			out, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String(key)})
			if err != nil {
				t.Fatalf("ListObjectsV2 prefix %q: %v", key, err)
			}
			if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != key {
				var got []string
				for _, o := range out.Contents {
					got = append(got, aws.ToString(o.Key))
				}
				t.Fatalf("ListObjectsV2 prefix %q: got %q, want exactly the key", key, got)
			}
		})
	}
}

func TestPutObject_keyTooLong_KeyTooLongError(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	for name, key := range map[string]string{
		"1025-ascii":   strings.Repeat("x/", 512) + "y",
		"1025-unicode": strings.Repeat("é", 512) + "z",
	} {
		if len(key) != 1025 {
			t.Fatalf("test bug: %s has %d bytes", name, len(key))
		}
		_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")})
		wantErr(t, "PutObject "+name, err, "KeyTooLongError", 400)
	}
	assertKeys(t, b, "", nil)
}
