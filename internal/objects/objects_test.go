package objects

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/errs"
)

func TestBucketLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("alpha")
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "alpha"}); !errors.Is(err, errs.BucketAlreadyOwnedByYou) {
		t.Fatalf("second create: %v", err)
	}
	// Another tenant may own the same name.
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: "t2", Name: "alpha"}); err != nil {
		t.Fatalf("other tenant: %v", err)
	}
	for _, bad := range []string{"ab", "UPPER", "a..b", "192.168.1.1", "-abc", "xn--abc", "abc-s3alias", "under_score"} {
		if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: bad}); !errors.Is(err, errs.InvalidBucketName) {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	e.put("alpha", "k", []byte("x"))
	if err := e.s.DeleteBucket(ctx, tenant, "alpha"); !errors.Is(err, errs.BucketNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "alpha", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteBucket(ctx, tenant, "alpha"); err != nil {
		t.Fatalf("delete empty: %v", err)
	}
	if _, err := e.s.GetBucket(ctx, tenant, "alpha"); !errors.Is(err, errs.NoSuchBucket) {
		t.Fatalf("get deleted: %v", err)
	}
	out, err := e.s.ListBuckets(ctx, ListBucketsInput{Tenant: "t2"})
	if err != nil || len(out.Buckets) != 1 || out.Buckets[0].Name != "alpha" {
		t.Fatalf("list t2: %+v %v", out, err)
	}
	for i := 0; i < 5; i++ {
		e.bucket(fmt.Sprintf("b%d-x", i))
	}
	var names []string
	after := ""
	for {
		page, err := e.s.ListBuckets(ctx, ListBucketsInput{Tenant: tenant, Prefix: "b", After: after, MaxBuckets: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Buckets {
			names = append(names, b.Name)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if fmt.Sprint(names) != "[b0-x b1-x b2-x b3-x b4-x]" {
		t.Fatalf("paged buckets: %v", names)
	}
}

func TestPutGetInlineAndBlob(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 100 })
	e.bucket("bkt")
	for _, size := range []int{0, 1, 100, 101, 300000} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		key := fmt.Sprintf("obj-%d\x00nul/ü", size)
		info := e.put("bkt", key, data)
		if info.ETag != md5hex(data) || info.Size != int64(size) {
			t.Fatalf("size %d: info %+v", size, info)
		}
		if info.Checksum.Algorithm != checksum.CRC64NVME {
			t.Fatalf("default checksum: %+v", info.Checksum)
		}
		got, out, err := e.get("bkt", key, "")
		if err != nil || !bytes.Equal(got, data) || out.Info.ETag != info.ETag {
			t.Fatalf("size %d: get %v equal=%v", size, err, bytes.Equal(got, data))
		}
		if size > 10 {
			o, err := e.s.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: key, Range: &ByteRange{Start: 3, End: 9}})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(o.Body)
			o.Body.Close()
			if !bytes.Equal(buf.Bytes(), data[3:10]) || o.Start != 3 || o.Length != 7 || !o.Partial {
				t.Fatalf("range: %v %d %d", buf.Bytes(), o.Start, o.Length)
			}
			o, err = e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: key, Range: &ByteRange{Suffix: 5}})
			if err != nil || o.Start != int64(size-5) || o.Length != 5 {
				t.Fatalf("suffix: %+v %v", o, err)
			}
		}
		if _, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: key, Range: &ByteRange{Start: int64(size) + 1, End: -1}}); !errors.Is(err, errs.InvalidRange) {
			t.Fatalf("unsatisfiable: %v", err)
		}
	}
	if _, _, err := e.get("bkt", "missing", ""); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("missing: %v", err)
	}
	if _, _, err := e.get("nobucket", "k", ""); !errors.Is(err, errs.NoSuchBucket) {
		t.Fatalf("no bucket: %v", err)
	}
	long := string(bytes.Repeat([]byte("k"), 1025))
	if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: long, Body: body(t, nil)}); !errors.Is(err, errs.KeyTooLong) {
		t.Fatalf("long key: %v", err)
	}
}

func TestBadBodyStoresNothing(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 10 })
	e.bucket("bkt")
	for _, size := range []int{5, 50} {
		data := bytes.Repeat([]byte("a"), size)
		r, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{Algorithm: checksum.CRC32, Value: checksum.Sum(checksum.CRC32, []byte("other"))})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: r, Size: int64(size)})
		if !errors.Is(err, errs.BadDigest) {
			t.Fatalf("size %d: %v", size, err)
		}
		// short body
		_, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: body(t, data), Size: int64(size + 1)})
		if !errors.Is(err, errs.IncompleteBody) {
			t.Fatalf("short body %d: %v", size, err)
		}
	}
	if _, _, err := e.get("bkt", "k", ""); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("object stored after bad body: %v", err)
	}
	n := 0
	e.s.blobs.Walk(func(b blob.BlobInfo) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs left behind", n)
	}
}

func TestConditions(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("bkt")
	info := e.put("bkt", "k", []byte("hello"))
	etag := `"` + info.ETag + `"`
	past := info.LastModified.Add(-time.Hour)
	future := info.LastModified.Add(time.Hour)
	cases := []struct {
		c    Conditions
		want error
	}{
		{Conditions{IfMatch: etag}, nil},
		{Conditions{IfMatch: `"nope"`}, errs.PreconditionFailed},
		{Conditions{IfNoneMatch: etag}, errs.NotModified},
		{Conditions{IfNoneMatch: `"nope"`}, nil},
		{Conditions{IfModifiedSince: &future}, errs.NotModified},
		{Conditions{IfModifiedSince: &past}, nil},
		{Conditions{IfUnmodifiedSince: &past}, errs.PreconditionFailed},
		{Conditions{IfUnmodifiedSince: &future}, nil},
		{Conditions{IfMatch: etag, IfUnmodifiedSince: &past}, nil}, // If-Match wins
		{Conditions{IfNoneMatch: `"nope"`, IfModifiedSince: &future}, nil},
	}
	for i, c := range cases {
		_, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: "k", Cond: c.c})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("case %d: got %v want %v", i, err, c.want)
		}
	}
	// Write conditions.
	_, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: body(t, []byte("x")), Size: 1, Cond: Conditions{IfNoneMatch: "*"}})
	if !errors.Is(err, errs.PreconditionFailed) {
		t.Fatalf("if-none-match *: %v", err)
	}
	_, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: body(t, []byte("x")), Size: 1, Cond: Conditions{IfMatch: `"bad"`}})
	if !errors.Is(err, errs.PreconditionFailed) {
		t.Fatalf("if-match bad: %v", err)
	}
	_, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "new", Body: body(t, []byte("x")), Size: 1, Cond: Conditions{IfMatch: etag}})
	if !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("if-match missing: %v", err)
	}
	if _, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: body(t, []byte("x")), Size: 1, Cond: Conditions{IfMatch: etag}}); err != nil {
		t.Fatalf("if-match good: %v", err)
	}
}

func TestConcurrentIfNoneMatchOneWinner(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 16 })
	e.bucket("bkt")
	for round := 0; round < 5; round++ {
		key := fmt.Sprintf("race-%d", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, fails := 0, 0
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				data := bytes.Repeat([]byte{byte(i)}, 10+i*3) // some inline, some blobs
				_, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: key, Body: body(t, data), Size: int64(len(data)), Cond: Conditions{IfNoneMatch: "*"}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, errs.PreconditionFailed):
					fails++
				default:
					t.Errorf("unexpected: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if wins != 1 || fails != 15 {
			t.Fatalf("round %d: wins=%d fails=%d", round, wins, fails)
		}
	}
}

func TestVersioning(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 4 })
	e.bucket("vvv")
	nullInfo := e.put("vvv", "k", []byte("null-version"))
	if nullInfo.VersionID != NullVersionID || nullInfo.Versioned {
		t.Fatalf("unversioned put: %+v", nullInfo)
	}
	if err := e.s.SetVersioning(ctx, tenant, "vvv", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		info := e.put("vvv", "k", []byte(fmt.Sprintf("version-%d", i)))
		if info.VersionID == NullVersionID || info.VersionID == "" || !info.Versioned {
			t.Fatalf("versioned put: %+v", info)
		}
		ids = append(ids, info.VersionID)
	}
	lv, err := e.s.ListObjectVersions(ctx, ListVersionsInput{Tenant: tenant, Bucket: "vvv", MaxKeys: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ids[2], ids[1], ids[0], NullVersionID}
	if len(lv.Versions) != 4 {
		t.Fatalf("versions: %+v", lv.Versions)
	}
	for i, v := range lv.Versions {
		if v.VersionID != want[i] || v.IsLatest != (i == 0) {
			t.Fatalf("version %d: %s latest=%v want %s", i, v.VersionID, v.IsLatest, want[i])
		}
	}
	for i, id := range ids {
		got, _, err := e.get("vvv", "k", id)
		if err != nil || string(got) != fmt.Sprintf("version-%d", i) {
			t.Fatalf("get %s: %q %v", id, got, err)
		}
	}
	got, _, err := e.get("vvv", "k", NullVersionID)
	if err != nil || string(got) != "null-version" {
		t.Fatalf("get null: %q %v", got, err)
	}
	if _, _, err := e.get("vvv", "k", "AAAAAAAAAAAAAAAA"); !errors.Is(err, errs.NoSuchVersion) {
		t.Fatalf("bogus version: %v", err)
	}
	if _, _, err := e.get("vvv", "k", "garbage"); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("malformed version: %v", err)
	}
	// Delete → marker.
	del, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "vvv", Key: "k"})
	if err != nil || !del.DeleteMarker || del.VersionID == "" {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, _, err = e.get("vvv", "k", "")
	var dm *DeleteMarkerError
	if !errors.Is(err, errs.NoSuchKey) || !errors.As(err, &dm) || dm.VersionID != del.VersionID {
		t.Fatalf("get after delete: %v", err)
	}
	if _, _, err := e.get("vvv", "k", del.VersionID); !errors.Is(err, errs.MethodNotAllowed) {
		t.Fatalf("get marker by id: %v", err)
	}
	lo, _ := e.s.ListObjects(ctx, ListInput{Tenant: tenant, Bucket: "vvv", MaxKeys: 10})
	if len(lo.Objects) != 0 {
		t.Fatalf("listing shows deleted key: %+v", lo.Objects)
	}
	// Remove the marker → the object is back.
	if d, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "vvv", Key: "k", VersionID: del.VersionID}); err != nil || !d.DeleteMarker {
		t.Fatalf("delete marker: %+v %v", d, err)
	}
	got, _, err = e.get("vvv", "k", "")
	if err != nil || string(got) != "version-2" {
		t.Fatalf("after marker removal: %q %v", got, err)
	}
	// Delete the latest version by id → the previous becomes latest.
	if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "vvv", Key: "k", VersionID: ids[2]}); err != nil {
		t.Fatal(err)
	}
	got, out, err := e.get("vvv", "k", "")
	if err != nil || string(got) != "version-1" || out.Info.VersionID != ids[1] {
		t.Fatalf("after deleting latest: %q %v", got, err)
	}
	// Suspend: puts write the null version, replacing the old null one.
	if err := e.s.SetVersioning(ctx, tenant, "vvv", VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	e.put("vvv", "k", []byte("suspended-1"))
	e.put("vvv", "k", []byte("suspended-2"))
	lv, _ = e.s.ListObjectVersions(ctx, ListVersionsInput{Tenant: tenant, Bucket: "vvv", MaxKeys: 100})
	var seen []string
	nulls := 0
	for _, v := range lv.Versions {
		seen = append(seen, v.VersionID)
		if v.VersionID == NullVersionID {
			nulls++
		}
	}
	if nulls != 1 || len(lv.Versions) != 3 || lv.Versions[0].VersionID != NullVersionID {
		t.Fatalf("suspended versions: %v", seen)
	}
	got, _, _ = e.get("vvv", "k", NullVersionID)
	if string(got) != "suspended-2" {
		t.Fatalf("null after suspend: %q", got)
	}
	// Delete while suspended: a null delete marker replaces the null version.
	d, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "vvv", Key: "k"})
	if err != nil || d.VersionID != NullVersionID || !d.DeleteMarker {
		t.Fatalf("suspended delete: %+v %v", d, err)
	}
	lv, _ = e.s.ListObjectVersions(ctx, ListVersionsInput{Tenant: tenant, Bucket: "vvv", MaxKeys: 100})
	if len(lv.Versions) != 3 || !lv.Versions[0].DeleteMarker {
		t.Fatalf("after suspended delete: %+v", lv.Versions)
	}
	// Usage follows: versions ids[0], ids[1] and the marker.
	if err := e.s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	bi, _ := e.s.GetBucket(ctx, tenant, "vvv")
	if bi.Objects != 3 || bi.UsedBytes != int64(len("version-0")+len("version-1")) {
		t.Fatalf("usage: %d objects %d bytes", bi.Objects, bi.UsedBytes)
	}
	if err := e.s.SetVersioning(ctx, tenant, "vvv", VersioningUnset); err == nil {
		t.Fatal("versioning went back to unset")
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "qqq", QuotaBytes: 100}); err != nil {
		t.Fatal(err)
	}
	e.put("qqq", "a", make([]byte, 60))
	_, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "qqq", Key: "b", Body: body(t, make([]byte, 50)), Size: 50})
	if !errors.Is(err, errs.QuotaExceeded) {
		t.Fatalf("over quota: %v", err)
	}
	if _, _, err := e.get("qqq", "b", ""); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("refused write stored: %v", err)
	}
	e.put("qqq", "a", make([]byte, 90)) // replacing frees the old bytes
	e.put("qqq", "c", make([]byte, 10))
}

func TestMultipart(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MinPartSize = 10 })
	e.bucket("mpu")
	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "big", Meta: Metadata{ContentType: "text/plain"}})
	if err != nil {
		t.Fatal(err)
	}
	if up.ChecksumAlgorithm != checksum.CRC64NVME || up.ChecksumType != checksum.TypeFullObject {
		t.Fatalf("default checksum: %+v", up)
	}
	parts := [][]byte{bytes.Repeat([]byte("a"), 20), bytes.Repeat([]byte("b"), 15), []byte("cc")}
	var done []CompletedPart
	for i, p := range parts {
		pi, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, PartNumber: i + 1, Body: body(t, p), Size: int64(len(p))})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, CompletedPart{Number: i + 1, ETag: `"` + pi.ETag + `"`})
	}
	lp, err := e.s.ListParts(ctx, ListPartsInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, MaxParts: 2})
	if err != nil || len(lp.Parts) != 2 || !lp.IsTruncated || lp.NextPartNumberMarker != 2 {
		t.Fatalf("list parts: %+v %v", lp, err)
	}
	lu, err := e.s.ListMultipartUploads(ctx, ListUploadsInput{Tenant: tenant, Bucket: "mpu"})
	if err != nil || len(lu.Uploads) != 1 || lu.Uploads[0].UploadID != up.UploadID {
		t.Fatalf("list uploads: %+v %v", lu, err)
	}
	// Errors first.
	_, err = e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, Parts: []CompletedPart{done[1], done[0]}})
	if !errors.Is(err, errs.InvalidPartOrder) {
		t.Fatalf("order: %v", err)
	}
	_, err = e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, Parts: []CompletedPart{{Number: 1, ETag: `"deadbeef"`}}})
	if !errors.Is(err, errs.InvalidPart) {
		t.Fatalf("etag: %v", err)
	}
	_, err = e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, Parts: []CompletedPart{done[2], {Number: 4, ETag: done[0].ETag}}})
	if !errors.Is(err, errs.InvalidPart) {
		t.Fatalf("missing part: %v", err)
	}
	_, err = e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, Parts: []CompletedPart{done[2], {Number: 3, ETag: done[2].ETag}}})
	if !errors.Is(err, errs.InvalidPartOrder) {
		t.Fatalf("dup: %v", err)
	}
	// Part 3 (2 bytes) is too small when not last.
	small, _ := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, PartNumber: 4, Body: body(t, []byte("dd")), Size: 2})
	_, err = e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, Parts: []CompletedPart{done[0], done[2], {Number: 4, ETag: small.ETag}}})
	if !errors.Is(err, errs.EntityTooSmall) {
		t.Fatalf("too small: %v", err)
	}
	info, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID, Parts: done})
	if err != nil {
		t.Fatal(err)
	}
	whole := bytes.Join(parts, nil)
	if info.Size != int64(len(whole)) || len(info.Parts) != 3 || !bytes.HasSuffix([]byte(info.ETag), []byte("-3")) {
		t.Fatalf("completed: %+v", info)
	}
	if info.Checksum.Base64 != checksum.Sum(checksum.CRC64NVME, whole) || info.Checksum.Type != checksum.TypeFullObject {
		t.Fatalf("full-object checksum %+v, want %s", info.Checksum, checksum.Sum(checksum.CRC64NVME, whole))
	}
	got, out, err := e.get("mpu", "big", "")
	if err != nil || !bytes.Equal(got, whole) || out.Info.Meta.ContentType != "text/plain" || out.PartsCount != 3 {
		t.Fatalf("get completed: %v %q", err, got)
	}
	o, err := e.s.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "mpu", Key: "big", PartNumber: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(o.Body)
	o.Body.Close()
	if !bytes.Equal(buf.Bytes(), parts[1]) || o.Start != 20 {
		t.Fatalf("part 2: %q start %d", buf.Bytes(), o.Start)
	}
	// A range across part boundaries.
	o, _ = e.s.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "mpu", Key: "big", Range: &ByteRange{Start: 18, End: 36}})
	buf.Reset()
	buf.ReadFrom(o.Body)
	o.Body.Close()
	if !bytes.Equal(buf.Bytes(), whole[18:37]) {
		t.Fatalf("cross-part range: %q", buf.Bytes())
	}
	// The unused part 4 became garbage and is collected; the upload is gone.
	if _, err := e.s.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ListParts(ctx, ListPartsInput{Tenant: tenant, Bucket: "mpu", Key: "big", UploadID: up.UploadID}); !errors.Is(err, errs.NoSuchUpload) {
		t.Fatalf("upload after complete: %v", err)
	}
	n := 0
	e.s.blobs.Walk(func(b blob.BlobInfo) error { n++; return nil })
	if n != 3 {
		t.Fatalf("blobs after complete: %d, want 3", n)
	}
	// Composite CRC32 and abort.
	up2, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "c", ChecksumAlgorithm: checksum.CRC32})
	if err != nil || up2.ChecksumType != checksum.TypeComposite {
		t.Fatalf("crc32 upload: %+v %v", up2, err)
	}
	p1, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "c", UploadID: up2.UploadID, PartNumber: 1, Body: body(t, parts[0]), Size: 20})
	if err != nil || p1.Checksum.Algorithm != checksum.CRC32 || p1.Checksum.Base64 != checksum.Sum(checksum.CRC32, parts[0]) {
		t.Fatalf("crc32 part: %+v %v", p1, err)
	}
	ci, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "c", UploadID: up2.UploadID, Parts: []CompletedPart{{Number: 1, ETag: p1.ETag, Checksum: p1.Checksum.Base64}}})
	if err != nil || ci.Checksum.Type != checksum.TypeComposite || !bytes.HasSuffix([]byte(ci.Checksum.Base64), []byte("-1")) {
		t.Fatalf("composite: %+v %v", ci.Checksum, err)
	}
	up3, _ := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "ab"})
	e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "ab", UploadID: up3.UploadID, PartNumber: 1, Body: body(t, parts[0]), Size: 20})
	if err := e.s.AbortMultipartUpload(ctx, tenant, "mpu", "ab", up3.UploadID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.AbortMultipartUpload(ctx, tenant, "mpu", "ab", up3.UploadID); !errors.Is(err, errs.NoSuchUpload) {
		t.Fatalf("abort twice: %v", err)
	}
	if _, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "ab", UploadID: "nonsense", PartNumber: 1, Body: body(t, nil), Size: 0}); !errors.Is(err, errs.NoSuchUpload) {
		t.Fatalf("bad upload id: %v", err)
	}
}

func TestCopyAndTagging(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 8 })
	e.bucket("src")
	e.bucket("dst")
	for _, data := range [][]byte{[]byte("tiny"), bytes.Repeat([]byte("L"), 1000)} {
		src, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "src", Key: "o", Body: body(t, data), Size: int64(len(data)),
			Meta: Metadata{ContentType: "a/b", User: map[string]string{"x": "1"}}, Tags: []Tag{{"k", "v"}}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "src", SrcKey: "o", Tenant: tenant, Bucket: "dst", Key: "c"})
		if err != nil || out.Info.ETag != src.ETag {
			t.Fatalf("copy: %+v %v", out, err)
		}
		got, o, _ := e.get("dst", "c", "")
		if !bytes.Equal(got, data) || o.Info.Meta.ContentType != "a/b" || o.Info.Meta.User["x"] != "1" || len(o.Info.Tags) != 1 {
			t.Fatalf("copied: %q %+v", got, o.Info)
		}
		out, err = e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "src", SrcKey: "o", Tenant: tenant, Bucket: "dst", Key: "c",
			ReplaceMeta: true, Meta: Metadata{ContentType: "c/d"}})
		if err != nil || out.Info.Meta.ContentType != "c/d" || out.Info.Meta.User != nil {
			t.Fatalf("replace: %+v %v", out.Info.Meta, err)
		}
		_, err = e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "src", SrcKey: "o", SrcCond: Conditions{IfNoneMatch: src.ETag}, Tenant: tenant, Bucket: "dst", Key: "c"})
		if !errors.Is(err, errs.PreconditionFailed) {
			t.Fatalf("copy-source-if-none-match: %v", err)
		}
	}
	// Onto itself: refused unless something changes.
	self := CopyInput{SrcTenant: tenant, SrcBucket: "src", SrcKey: "o", Tenant: tenant, Bucket: "src", Key: "o"}
	if _, err := e.s.CopyObject(ctx, self); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("copy onto itself: %v", err)
	}
	self.ReplaceMeta, self.Meta = true, Metadata{ContentType: "x/y"}
	if out, err := e.s.CopyObject(ctx, self); err != nil || out.Info.Meta.ContentType != "x/y" {
		t.Fatalf("copy onto itself with REPLACE: %+v %v", out.Info.Meta, err)
	}
	vid, err := e.s.PutObjectTagging(ctx, tenant, "src", "o", "", []Tag{{"a", "1"}, {"b", "2"}})
	if err != nil || vid != NullVersionID {
		t.Fatal(vid, err)
	}
	tags, _, err := e.s.GetObjectTagging(ctx, tenant, "src", "o", "")
	if err != nil || len(tags) != 2 || tags[1].Value != "2" {
		t.Fatalf("tags: %v %v", tags, err)
	}
	got, _, _ := e.get("src", "o", "")
	if len(got) != 1000 {
		t.Fatalf("tagging changed data: %d", len(got))
	}
}

// A random walk of puts and deletes against a model, checking every read.
func TestRandomAgainstModel(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = 32 })
	e.bucket("mmm")
	e.s.SetVersioning(ctx, tenant, "mmm", VersioningEnabled)
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string][]byte{}
	for i := 0; i < 400; i++ {
		key := fmt.Sprintf("k%d", rng.IntN(20))
		if rng.IntN(4) == 0 {
			if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "mmm", Key: key}); err != nil {
				t.Fatal(err)
			}
			delete(model, key)
			continue
		}
		data := make([]byte, rng.IntN(100))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		e.put("mmm", key, data)
		model[key] = data
	}
	for i := 0; i < 20; i++ {
		key := fmt.Sprintf("k%d", i)
		got, _, err := e.get("mmm", key, "")
		want, ok := model[key]
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("%s: got %v err %v, model has %v", key, len(got), err, ok)
		}
	}
}

func TestBucketConfigs(t *testing.T) {
	e := newEnv(t, nil)
	s := e.s
	e.bucket("cfg-bucket")
	if err := s.PutBucketConfig(ctx, tenant, "cfg-bucket", ConfigCORS, []byte("<CORSConfiguration/>")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketConfig(ctx, tenant, "cfg-bucket", ConfigTagging, []byte("tags")); err != nil {
		t.Fatal(err)
	}
	b, err := s.GetBucket(ctx, tenant, "cfg-bucket")
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Configs[ConfigCORS]) != "<CORSConfiguration/>" || string(b.Configs[ConfigTagging]) != "tags" {
		t.Fatalf("configs = %q", b.Configs)
	}
	if err := s.PutBucketConfig(ctx, tenant, "cfg-bucket", ConfigCORS, nil); err != nil {
		t.Fatal(err)
	}
	b, _ = s.GetBucket(ctx, tenant, "cfg-bucket")
	if _, ok := b.Configs[ConfigCORS]; ok || string(b.Configs[ConfigTagging]) != "tags" {
		t.Fatalf("after delete configs = %q", b.Configs)
	}
	if err := s.PutBucketConfig(ctx, tenant, "no-such-bucket", ConfigCORS, []byte("x")); !errors.Is(err, errs.NoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
}
