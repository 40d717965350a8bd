package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func newVersionedBucket(t *testing.T) string {
	t.Helper()
	b := newBucket(t)
	setVersioning(t, b, types.BucketVersioningStatusEnabled)
	return b
}

func setVersioning(t *testing.T, b string, st types.BucketVersioningStatus) {
	t.Helper()
	if _, err := s3c(t).PutBucketVersioning(ctxT(t), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: st}}); err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", st, err)
	}
}

func putVersion(t *testing.T, b, key string, body []byte) string {
	t.Helper()
	out := putObject(t, b, key, body)
	return aws.ToString(out.VersionId)
}

type verEntry struct {
	key, id string
	latest  bool
	marker  bool
	etag    string
}

// listVersions returns versions and delete markers under prefix in the
// order the server sent them (raw XML, since the SDK splits the two kinds).
func listVersions(t *testing.T, b, prefix string) []verEntry {
	t.Helper()
	res := rawListVersions(t, b, url.Values{"prefix": {prefix}})
	if res.truncated {
		t.Fatalf("ListObjectVersions unexpectedly truncated")
	}
	return res.entries
}

type versionsPage struct {
	entries              []verEntry
	truncated            bool
	nextKey, nextVersion string
}

func rawListVersions(t *testing.T, b string, q url.Values) versionsPage {
	t.Helper()
	q.Set("versions", "")
	req, err := http.NewRequest(http.MethodGet, suite.endpoint+"/"+b+"?"+strings.ReplaceAll(q.Encode(), "+", "%20"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rawSigned(t, req, sha256hex(nil), suite.accessKey, suite.secretKey, time.Now().UTC())
	res := doRaw(t, req)
	if res.status != 200 {
		t.Fatalf("ListObjectVersions (raw): HTTP %d %s", res.status, res.body)
	}
	var page versionsPage
	dec := xml.NewDecoder(bytes.NewReader(res.body))
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ListObjectVersions XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if depth != 2 {
				continue
			}
			switch el.Name.Local {
			case "Version", "DeleteMarker":
				var v struct {
					Key, VersionId, ETag string
					IsLatest             bool
				}
				if err := dec.DecodeElement(&v, &el); err != nil {
					t.Fatalf("ListObjectVersions XML: %v", err)
				}
				depth--
				page.entries = append(page.entries, verEntry{key: v.Key, id: v.VersionId, latest: v.IsLatest, marker: el.Name.Local == "DeleteMarker", etag: v.ETag})
			case "IsTruncated", "NextKeyMarker", "NextVersionIdMarker":
				var s string
				if err := dec.DecodeElement(&s, &el); err != nil {
					t.Fatalf("ListObjectVersions XML: %v", err)
				}
				depth--
				switch el.Name.Local {
				case "IsTruncated":
					page.truncated = s == "true"
				case "NextKeyMarker":
					page.nextKey = s
				case "NextVersionIdMarker":
					page.nextVersion = s
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	return page
}

func TestPutBucketVersioning_enabled_versionLifecycle(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newVersionedBucket(t)
	bodies := [][]byte{[]byte("v1 body"), []byte("v2 body, longer"), []byte("v3")}
	var ids []string
	for _, body := range bodies {
		id := putVersion(t, b, "doc", body)
		if id == "" || id == "null" {
			t.Fatalf("PutObject in versioned bucket: got version id %q", id)
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Fatalf("version ids not distinct: %v", ids)
	}

	// ListObjectVersions: newest first, only v3 is latest. Versions are
	// returned in the XML order, which must already be newest first.
	out, err := c.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("doc")})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	if len(out.Versions) != 3 || len(out.DeleteMarkers) != 0 {
		t.Fatalf("ListObjectVersions: got %d versions %d markers, want 3 and 0", len(out.Versions), len(out.DeleteMarkers))
	}
	for i, v := range out.Versions {
		wantID := ids[2-i]
		if aws.ToString(v.VersionId) != wantID || aws.ToBool(v.IsLatest) != (i == 0) || aws.ToString(v.ETag) != quotedMD5(bodies[2-i]) || aws.ToInt64(v.Size) != int64(len(bodies[2-i])) {
			t.Fatalf("version %d: got id %s latest %v etag %s size %d, want id %s latest %v etag %s", i, aws.ToString(v.VersionId), aws.ToBool(v.IsLatest), aws.ToString(v.ETag), aws.ToInt64(v.Size), wantID, i == 0, quotedMD5(bodies[2-i]))
		}
	}

	// Get by version id.
	for i, id := range ids {
		data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(id)})
		mustEqualBytes(t, "GetObject versionId "+id, data, bodies[i])
		if aws.ToString(get.VersionId) != id {
			t.Fatalf("GetObject versionId: response x-amz-version-id %q, want %q", aws.ToString(get.VersionId), id)
		}
	}
	_, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc")})
	if aws.ToString(get.VersionId) != ids[2] {
		t.Fatalf("GetObject latest: x-amz-version-id %q, want %q", aws.ToString(get.VersionId), ids[2])
	}

	// Delete without version id -> delete marker.
	del, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc")})
	if err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	markerID := aws.ToString(del.VersionId)
	if !aws.ToBool(del.DeleteMarker) || markerID == "" {
		t.Fatalf("DeleteObject in versioned bucket: DeleteMarker=%v VersionId=%q, want true and an id", aws.ToBool(del.DeleteMarker), markerID)
	}
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc")})
	wantErr(t, "GetObject behind delete marker", err, "NoSuchKey", 404)
	if got := errHeader(err, "x-amz-delete-marker"); got != "true" {
		t.Fatalf("GetObject behind delete marker: x-amz-delete-marker %q, want true", got)
	}
	if got := errHeader(err, "x-amz-version-id"); got != markerID {
		t.Fatalf("GetObject behind delete marker: x-amz-version-id %q, want marker id %q", got, markerID)
	}
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("doc")})
	wantErr(t, "HeadObject behind delete marker", err, "", 404)
	if got := errHeader(err, "x-amz-delete-marker"); got != "true" {
		t.Fatalf("HeadObject behind delete marker: x-amz-delete-marker %q, want true", got)
	}
	// GET of the delete marker's own version id -> 405 MethodNotAllowed.
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(markerID)})
	wantErr(t, "GetObject versionId=<delete marker>", err, "MethodNotAllowed", 405)
	// Old versions stay readable; the object is hidden from ListObjectsV2.
	mustEqualBytes(t, "v1 behind marker", mustGetVersion(t, b, "doc", ids[0]), bodies[0])
	assertKeys(t, b, "", nil)

	vs := listVersions(t, b, "doc")
	if len(vs) != 4 || !vs[0].marker || !vs[0].latest || vs[0].id != markerID {
		t.Fatalf("ListObjectVersions after delete: got %+v, want the delete marker first and latest", vs)
	}
	for _, v := range vs[1:] {
		if v.latest {
			t.Fatalf("ListObjectVersions: %s still IsLatest behind a delete marker", v.id)
		}
	}

	// Delete the marker -> v3 is back.
	del, err = c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(markerID)})
	if err != nil {
		t.Fatalf("DeleteObject marker: %v", err)
	}
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) != markerID {
		t.Fatalf("DeleteObject of a marker: DeleteMarker=%v VersionId=%q, want true %q", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId), markerID)
	}
	mustEqualBytes(t, "GetObject after removing marker", getObject(t, b, "doc"), bodies[2])

	// Delete a specific (non-latest) version permanently.
	del, err = c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(ids[1])})
	if err != nil {
		t.Fatalf("DeleteObject versionId v2: %v", err)
	}
	if aws.ToString(del.VersionId) != ids[1] || aws.ToBool(del.DeleteMarker) {
		t.Fatalf("DeleteObject versionId: got VersionId %q DeleteMarker %v, want %q false", aws.ToString(del.VersionId), aws.ToBool(del.DeleteMarker), ids[1])
	}
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(ids[1])})
	wantErr(t, "GetObject deleted version", err, "NoSuchVersion", 404)
	vs = listVersions(t, b, "doc")
	if len(vs) != 2 || vs[0].id != ids[2] || vs[1].id != ids[0] || !vs[0].latest {
		t.Fatalf("ListObjectVersions after deleting v2: got %+v, want [v3 (latest), v1]", vs)
	}
	// Deleting the latest version by id promotes the previous one.
	if _, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(ids[2])}); err != nil {
		t.Fatalf("DeleteObject latest version: %v", err)
	}
	mustEqualBytes(t, "GetObject after deleting latest version", getObject(t, b, "doc"), bodies[0])
}

func mustGetVersion(t *testing.T, b, key, id string) []byte {
	t.Helper()
	data, _ := getBytes(t, s3c(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), VersionId: aws.String(id)})
	return data
}

func TestGetObject_bogusVersionId_NoSuchVersion(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newVersionedBucket(t)
	putVersion(t, b, "a", []byte("a"))
	otherID := putVersion(t, b, "b", []byte("b")) // a real id, but of another key
	_, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("a"), VersionId: aws.String(otherID)})
	wantErr(t, "GetObject with another key's version id", err, "NoSuchVersion", 404)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("a"), VersionId: aws.String(otherID)})
	wantErr(t, "HeadObject with another key's version id", err, "", 404)
	// Deleting a nonexistent version is a no-op success (204).
	if _, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("a"), VersionId: aws.String(otherID)}); err != nil {
		t.Fatalf("DeleteObject with another key's version id: %v", err)
	}
	mustEqualBytes(t, "b untouched", getObject(t, b, "b"), []byte("b"))
}

func TestPutBucketVersioning_suspended_nullVersionSemantics(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newVersionedBucket(t)
	v1 := putVersion(t, b, "k", []byte("enabled-era"))
	setVersioning(t, b, types.BucketVersioningStatusSuspended)

	putObject(t, b, "k", []byte("null one"))
	vs := listVersions(t, b, "k")
	if len(vs) != 2 || vs[0].id != "null" || !vs[0].latest || vs[1].id != v1 {
		t.Fatalf("after suspended PUT: got %+v, want [null (latest), %s]", vs, v1)
	}
	// A second PUT overwrites the null version instead of adding one.
	putObject(t, b, "k", []byte("null two"))
	vs = listVersions(t, b, "k")
	if len(vs) != 2 || vs[0].id != "null" || vs[0].etag != quotedMD5([]byte("null two")) || vs[1].id != v1 {
		t.Fatalf("after second suspended PUT: got %+v, want [null (null two), %s]", vs, v1)
	}
	mustEqualBytes(t, "GetObject versionId=null", mustGetVersion(t, b, "k", "null"), []byte("null two"))
	mustEqualBytes(t, "GetObject enabled-era version", mustGetVersion(t, b, "k", v1), []byte("enabled-era"))

	// DELETE in a suspended bucket puts a delete marker with version id null,
	// replacing the null version.
	del, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("DeleteObject suspended: %v", err)
	}
	vs = listVersions(t, b, "k")
	if len(vs) != 2 || !vs[0].marker || vs[0].id != "null" || vs[1].id != v1 {
		t.Fatalf("after suspended DELETE: got %+v, want [null delete marker, %s]", vs, v1)
	}
	if id := aws.ToString(del.VersionId); !aws.ToBool(del.DeleteMarker) || (id != "null" && id != "") {
		t.Fatalf("DeleteObject suspended response: x-amz-delete-marker=%v x-amz-version-id=%q, want true and \"null\" (or absent)", aws.ToBool(del.DeleteMarker), id)
	}
	_, err = c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantErr(t, "GetObject behind null delete marker", err, "NoSuchKey", 404)

	// Re-enable: new PUTs get real ids again and the null marker stays.
	setVersioning(t, b, types.BucketVersioningStatusEnabled)
	v3 := putVersion(t, b, "k", []byte("enabled again"))
	if v3 == "" || v3 == "null" {
		t.Fatalf("PUT after re-enable: version id %q", v3)
	}
	vs = listVersions(t, b, "k")
	if len(vs) != 3 || vs[0].id != v3 || vs[1].id != "null" || !vs[1].marker {
		t.Fatalf("after re-enable: got %+v", vs)
	}
}

func TestPutObject_unversionedBucket_nullVersion(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	out := putObject(t, b, "k", []byte("x"))
	if id := aws.ToString(out.VersionId); id != "" {
		t.Fatalf("PutObject in unversioned bucket: x-amz-version-id %q, want none", id)
	}
	putObject(t, b, "k", []byte("y"))
	vs := listVersions(t, b, "k")
	if len(vs) != 1 || vs[0].id != "null" || !vs[0].latest {
		t.Fatalf("ListObjectVersions unversioned: got %+v, want a single null version", vs)
	}
	mustEqualBytes(t, "versionId=null", mustGetVersion(t, b, "k", "null"), []byte("y"))
	_, err := c.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("k"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
}

func TestListObjectVersions_paginate_keyMarkerVersionIdMarker(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newVersionedBucket(t)
	type kv struct{ key, id string }
	var want []kv
	for _, key := range []string{"p/a", "p/b", "p/c"} {
		var ids []string
		for i := 0; i < 4; i++ {
			ids = append(ids, putVersion(t, b, key, []byte(fmt.Sprintf("%s v%d", key, i))))
		}
		for i := len(ids) - 1; i >= 0; i-- { // newest first
			want = append(want, kv{key, ids[i]})
		}
	}
	// A delete marker on p/b.
	del, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("p/b")})
	if err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	want = append(want[:4], append([]kv{{"p/b", aws.ToString(del.VersionId)}}, want[4:]...)...)

	for _, pageSize := range []int{1, 5, 13} {
		var got []kv
		q := url.Values{"prefix": {"p/"}, "max-keys": {fmt.Sprint(pageSize)}}
		for pages := 0; ; pages++ {
			page := rawListVersions(t, b, q)
			if len(page.entries) > pageSize {
				t.Fatalf("ListObjectVersions max-keys=%d: page has %d entries", pageSize, len(page.entries))
			}
			for _, e := range page.entries {
				got = append(got, kv{e.key, e.id})
			}
			if !page.truncated {
				break
			}
			if page.nextKey == "" || page.nextVersion == "" {
				t.Fatalf("truncated ListObjectVersions page without NextKeyMarker/NextVersionIdMarker: %q %q", page.nextKey, page.nextVersion)
			}
			if pages > 40 {
				t.Fatalf("runaway ListObjectVersions pagination")
			}
			q.Set("key-marker", page.nextKey)
			q.Set("version-id-marker", page.nextVersion)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("ListObjectVersions max-keys=%d paginated:\n got %v\nwant %v", pageSize, got, want)
		}
	}
	// The SDK paginates the same way.
	var sdkN int
	var km, vm *string
	for {
		out, err := c.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("p/"), MaxKeys: aws.Int32(4), KeyMarker: km, VersionIdMarker: vm})
		if err != nil {
			t.Fatalf("ListObjectVersions (SDK): %v", err)
		}
		sdkN += len(out.Versions) + len(out.DeleteMarkers)
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		km, vm = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if sdkN != len(want) {
		t.Fatalf("ListObjectVersions (SDK, max-keys=4): got %d entries, want %d", sdkN, len(want))
	}
	// key-marker alone skips all versions of that key.
	out, err := c.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("p/"), KeyMarker: aws.String("p/b")})
	if err != nil {
		t.Fatalf("ListObjectVersions key-marker: %v", err)
	}
	for _, v := range out.Versions {
		if aws.ToString(v.Key) <= "p/b" {
			t.Fatalf("key-marker=p/b returned %s/%s", aws.ToString(v.Key), aws.ToString(v.VersionId))
		}
	}
	if n := len(out.Versions); n != 4 {
		t.Fatalf("key-marker=p/b: got %d versions, want 4 (p/c)", n)
	}
}
