package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// multipartETag is S3's ETag of a multipart object: md5 of the concatenated
// binary part MD5s, "-N".
func multipartETag(parts [][]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

type uploadedPart struct {
	types.CompletedPart
	data []byte
}

// noChecksum makes the SDK send no flexible checksum (only when required):
// for uploads created without a checksum algorithm, where AWS rejects part
// checksums of a different type ("Checksum Type mismatch").
func noChecksum(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

// partOpts picks the per-operation options for UploadPart: the algorithm
// set explicitly, or no checksum at all when algo is "".
func partOpts(algo types.ChecksumAlgorithm) []func(*s3.Options) {
	if algo == "" {
		return []func(*s3.Options){noChecksum}
	}
	return nil
}

// uploadParts uploads parts (1-based numbering) with `workers` goroutines.
// algo must match the upload's checksum algorithm ("" for none).
func uploadParts(t testing.TB, c *s3.Client, b, key, uploadID string, parts [][]byte, algo types.ChecksumAlgorithm, workers int) []types.CompletedPart {
	t.Helper()
	out := make([]types.CompletedPart, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(workers, 1))
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			up, err := c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(uploadID),
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: algo}, partOpts(algo)...)
			if err != nil {
				errs[i] = err
				return
			}
			if got := aws.ToString(up.ETag); got != quotedMD5(p) {
				errs[i] = fmt.Errorf("UploadPart %d ETag: got %s, want %s", i+1, got, quotedMD5(p))
				return
			}
			out[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag,
				ChecksumCRC32: up.ChecksumCRC32, ChecksumCRC32C: up.ChecksumCRC32C, ChecksumSHA1: up.ChecksumSHA1,
				ChecksumSHA256: up.ChecksumSHA256, ChecksumCRC64NVME: up.ChecksumCRC64NVME}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("UploadPart %d of %s: %v", i+1, key, err)
		}
	}
	return out
}

// multipartUpload creates, uploads and completes a multipart upload and
// checks the "-N" ETag. create may carry extra CreateMultipartUpload fields;
// with create == nil the upload uses CRC32 like the SDK's transfer manager
// does under the default (WhenSupported) checksum setting.
func multipartUpload(t testing.TB, c *s3.Client, b, key string, parts [][]byte, create *s3.CreateMultipartUploadInput) string {
	t.Helper()
	in := s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}
	if create != nil {
		in = *create
	}
	in.Bucket, in.Key = aws.String(b), aws.String(key)
	cr, err := c.CreateMultipartUpload(ctxT(t), &in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s: %v", key, err)
	}
	done := uploadParts(t, c, b, key, aws.ToString(cr.UploadId), parts, in.ChecksumAlgorithm, 4)
	out, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload %s: %v", key, err)
	}
	if got, want := aws.ToString(out.ETag), multipartETag(parts); got != want {
		t.Fatalf("CompleteMultipartUpload ETag: got %s, want %s", got, want)
	}
	return aws.ToString(out.ETag)
}

// createUpload starts an upload without a checksum algorithm; upload its
// parts with algo "" (no checksum).
func createUpload(t testing.TB, c *s3.Client, b, key string) string {
	t.Helper()
	cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	if aws.ToString(cr.UploadId) == "" {
		t.Fatalf("CreateMultipartUpload: empty UploadId")
	}
	return aws.ToString(cr.UploadId)
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }

func TestMultipartUpload_sdk50MiB_5MiBParts(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	data := randBytes(50 << 20)
	parts := chunks(data, 5<<20)
	if len(parts) != 10 {
		t.Fatalf("test bug: %d parts", len(parts))
	}
	etag := multipartUpload(t, c, b, "big/50MiB.bin", parts, nil)
	if !regexp.MustCompile(`^"[0-9a-f]{32}-10"$`).MatchString(etag) {
		t.Fatalf("multipart ETag %s does not match \"<md5>-10\"", etag)
	}
	got, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("big/50MiB.bin")})
	if sha256sum(got) != sha256sum(data) {
		t.Fatalf("50 MiB download differs: got %d bytes", len(got))
	}
	if aws.ToString(get.ETag) != etag {
		t.Fatalf("GetObject ETag: got %s, want %s", aws.ToString(get.ETag), etag)
	}
	// Listing shows the multipart ETag and size.
	out, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("big/")})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("ListObjectsV2: err=%v contents=%d", err, len(out.Contents))
	}
	if aws.ToString(out.Contents[0].ETag) != etag || aws.ToInt64(out.Contents[0].Size) != int64(len(data)) {
		t.Fatalf("listing: got etag %s size %d, want %s %d", aws.ToString(out.Contents[0].ETag), aws.ToInt64(out.Contents[0].Size), etag, len(data))
	}
	// Upload is gone from the in-progress list.
	ups, err := c.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("ListMultipartUploads after complete: err=%v uploads=%d, want 0", err, len(ups.Uploads))
	}
}

func TestMultipartUpload_awsCLIcp50MiB(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	dir := t.TempDir()
	data := randBytes(50 << 20)
	src := filepath.Join(dir, "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, "s3", "cp", "--only-show-errors", src, "s3://"+b+"/cli/50MiB.bin")
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("cli/50MiB.bin")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	// aws CLI: 8 MiB multipart_chunksize -> 7 parts for 50 MiB.
	if got, want := aws.ToString(head.ETag), multipartETag(chunks(data, 8<<20)); got != want {
		t.Fatalf("ETag of CLI multipart upload: got %s, want %s", got, want)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("ContentLength: got %d, want %d", aws.ToInt64(head.ContentLength), len(data))
	}
	dst := filepath.Join(dir, "dst.bin")
	awsCLI(t, "s3", "cp", "--only-show-errors", "s3://"+b+"/cli/50MiB.bin", dst)
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if sha256sum(got) != sha256sum(data) {
		t.Fatalf("aws s3 cp download differs: %d bytes", len(got))
	}
}

func TestUploadPartCopy_rangesAndWholeSource(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	src := randBytes(11 << 20)
	putObject(t, b, "src", src)
	tail := []byte("tail part uploaded normally")
	id := createUpload(t, c, b, "dst")
	var done []types.CompletedPart
	ranges := []string{fmt.Sprintf("bytes=0-%d", 5<<20-1), fmt.Sprintf("bytes=%d-%d", 5<<20, len(src)-1)}
	for i, r := range ranges {
		out, err := c.UploadPartCopy(ctxT(t), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(copySource(b, "src")), CopySourceRange: aws.String(r)})
		if err != nil {
			t.Fatalf("UploadPartCopy %s: %v", r, err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	if got, want := aws.ToString(done[0].ETag), quotedMD5(src[:5<<20]); got != want {
		t.Fatalf("UploadPartCopy part 1 ETag: got %s, want %s", got, want)
	}
	if got, want := aws.ToString(done[1].ETag), quotedMD5(src[5<<20:]); got != want {
		t.Fatalf("UploadPartCopy part 2 ETag: got %s, want %s", got, want)
	}
	// Whole source as a part (no range) is allowed too.
	whole, err := c.UploadPartCopy(ctxT(t), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
		PartNumber: aws.Int32(3), CopySource: aws.String(copySource(b, "src"))})
	if err != nil {
		t.Fatalf("UploadPartCopy whole source: %v", err)
	}
	done = append(done, types.CompletedPart{PartNumber: aws.Int32(3), ETag: whole.CopyPartResult.ETag})
	up, err := c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id), PartNumber: aws.Int32(4), Body: bytes.NewReader(tail)}, noChecksum)
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	done = append(done, types.CompletedPart{PartNumber: aws.Int32(4), ETag: up.ETag})
	if _, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	want := append(append(append([]byte{}, src...), src...), tail...)
	got := getObject(t, b, "dst")
	if sha256sum(got) != sha256sum(want) {
		t.Fatalf("UploadPartCopy result differs: got %d bytes, want %d", len(got), len(want))
	}
	// Unsatisfiable source range.
	_, err = c.UploadPartCopy(ctxT(t), &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst2"), UploadId: aws.String(createUpload(t, c, b, "dst2")),
		PartNumber: aws.Int32(1), CopySource: aws.String(copySource(b, "src")), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", len(src)))})
	// AWS: 400 InvalidArgument "Range specified is not valid for source object of size: N".
	wantErr(t, "UploadPartCopy range past end", err, "InvalidArgument", 400)
}

func TestListParts_paginated(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	id := createUploadAlgo(t, c, b, "lp", types.ChecksumAlgorithmCrc32)
	parts := [][]byte{randBytes(5 << 20), randBytes(5 << 20), randBytes(1000)}
	uploadParts(t, c, b, "lp", id, parts, types.ChecksumAlgorithmCrc32, 3)
	out, err := c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("lp"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(out.Parts) != 3 || aws.ToBool(out.IsTruncated) {
		t.Fatalf("ListParts: got %d parts truncated=%v, want 3 not truncated", len(out.Parts), aws.ToBool(out.IsTruncated))
	}
	for i, p := range out.Parts {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToInt64(p.Size) != int64(len(parts[i])) || aws.ToString(p.ETag) != quotedMD5(parts[i]) || p.LastModified == nil {
			t.Fatalf("ListParts part %d: got number %d size %d etag %s, want %d %d %s", i, aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ETag), i+1, len(parts[i]), quotedMD5(parts[i]))
		}
		if got := aws.ToString(p.ChecksumCRC32); got != b64crc32(parts[i]) {
			t.Fatalf("ListParts part %d ChecksumCRC32: got %q, want %q", i+1, got, b64crc32(parts[i]))
		}
	}
	page, err := c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("lp"), UploadId: aws.String(id), MaxParts: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListParts max-parts=2: %v", err)
	}
	if out.ChecksumAlgorithm != types.ChecksumAlgorithmCrc32 {
		t.Fatalf("ListParts ChecksumAlgorithm: got %q, want CRC32", out.ChecksumAlgorithm)
	}
	if len(page.Parts) != 2 || !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextPartNumberMarker) != "2" {
		t.Fatalf("ListParts max-parts=2: got %d parts truncated=%v next=%q, want 2 true \"2\"", len(page.Parts), aws.ToBool(page.IsTruncated), aws.ToString(page.NextPartNumberMarker))
	}
	page, err = c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("lp"), UploadId: aws.String(id), PartNumberMarker: aws.String("2")})
	if err != nil {
		t.Fatalf("ListParts part-number-marker=2: %v", err)
	}
	if len(page.Parts) != 1 || aws.ToInt32(page.Parts[0].PartNumber) != 3 || aws.ToBool(page.IsTruncated) {
		t.Fatalf("ListParts part-number-marker=2: got %d parts, want only part 3", len(page.Parts))
	}
	// Re-uploading a part number replaces it.
	newPart := randBytes(2000)
	uploadPartsAt(t, c, b, "lp", id, 3, newPart, types.ChecksumAlgorithmCrc32)
	out, _ = c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("lp"), UploadId: aws.String(id)})
	if len(out.Parts) != 3 || aws.ToString(out.Parts[2].ETag) != quotedMD5(newPart) || aws.ToInt64(out.Parts[2].Size) != 2000 {
		t.Fatalf("ListParts after re-upload of part 3: got %d parts, last %+v", len(out.Parts), out.Parts[len(out.Parts)-1])
	}
}

func uploadPartsAt(t testing.TB, c *s3.Client, b, key, id string, n int32, data []byte, algo types.ChecksumAlgorithm) *s3.UploadPartOutput {
	t.Helper()
	out, err := c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(n),
		Body: bytes.NewReader(data), ChecksumAlgorithm: algo}, partOpts(algo)...)
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	return out
}

func TestListMultipartUploads_listAndAbort(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	want := map[string]string{}
	for _, k := range []string{"a/one", "a/one", "a/two", "b/three"} {
		id := createUpload(t, c, b, k)
		want[id] = k
	}
	list := func(in *s3.ListMultipartUploadsInput) map[string]string {
		t.Helper()
		in.Bucket = aws.String(b)
		got := map[string]string{}
		for {
			out, err := c.ListMultipartUploads(ctxT(t), in)
			if err != nil {
				t.Fatalf("ListMultipartUploads: %v", err)
			}
			for _, u := range out.Uploads {
				if _, dup := got[aws.ToString(u.UploadId)]; dup {
					t.Fatalf("ListMultipartUploads: duplicate upload id %s", aws.ToString(u.UploadId))
				}
				got[aws.ToString(u.UploadId)] = aws.ToString(u.Key)
				if u.Initiated == nil {
					t.Fatalf("upload %s: Initiated missing", aws.ToString(u.UploadId))
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				return got
			}
			in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
		}
	}
	if got := list(&s3.ListMultipartUploadsInput{}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ListMultipartUploads: got %v, want %v", got, want)
	}
	if got := list(&s3.ListMultipartUploadsInput{MaxUploads: aws.Int32(1)}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ListMultipartUploads max-uploads=1 paginated: got %v, want %v", got, want)
	}
	got := list(&s3.ListMultipartUploadsInput{Prefix: aws.String("a/")})
	if len(got) != 3 {
		t.Fatalf("ListMultipartUploads prefix=a/: got %v, want 3 uploads", got)
	}
	out, err := c.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatalf("ListMultipartUploads delimiter: %v", err)
	}
	var cps []string
	for _, p := range out.CommonPrefixes {
		cps = append(cps, aws.ToString(p.Prefix))
	}
	sort.Strings(cps)
	if strings.Join(cps, ",") != "a/,b/" || len(out.Uploads) != 0 {
		t.Fatalf("ListMultipartUploads delimiter=/: got prefixes %v uploads %d, want [a/ b/] and 0", cps, len(out.Uploads))
	}
	for id, k := range want {
		if k == "a/two" {
			if _, err := c.AbortMultipartUpload(ctxT(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(k), UploadId: aws.String(id)}); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			delete(want, id)
		}
	}
	if got := list(&s3.ListMultipartUploadsInput{}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ListMultipartUploads after abort: got %v, want %v", got, want)
	}
}

func TestAbortMultipartUpload_thenNoSuchUpload(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	id := createUpload(t, c, b, "ab")
	p := uploadPartsAt(t, c, b, "ab", id, 1, randBytes(1000), "")
	out, err := c.AbortMultipartUpload(ctxT(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("ab"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if got := statusOf(out.ResultMetadata); got != 204 {
		t.Fatalf("AbortMultipartUpload status: got %d, want 204", got)
	}
	_, err = c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("ab"), UploadId: aws.String(id), PartNumber: aws.Int32(2), Body: strings.NewReader("x")}, noChecksum)
	wantErr(t, "UploadPart after abort", err, "NoSuchUpload", 404)
	_, err = c.ListParts(ctxT(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("ab"), UploadId: aws.String(id)})
	wantErr(t, "ListParts after abort", err, "NoSuchUpload", 404)
	_, err = c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("ab"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}}})
	wantErr(t, "CompleteMultipartUpload after abort", err, "NoSuchUpload", 404)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("ab")})
	wantErr(t, "HeadObject of aborted upload", err, "", 404)
	_, err = c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("ab"), UploadId: aws.String("bogus-upload-id-" + randHex(16)), PartNumber: aws.Int32(1), Body: strings.NewReader("x")}, noChecksum)
	wantErr(t, "UploadPart to a bogus upload id", err, "NoSuchUpload", 404)
}

func TestCompleteMultipartUpload_outOfOrder_InvalidPartOrder(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	id := createUpload(t, c, b, "oo")
	done := uploadParts(t, c, b, "oo", id, [][]byte{randBytes(5 << 20), randBytes(100)}, "", 2)
	_, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("oo"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{done[1], done[0]}}})
	wantErr(t, "CompleteMultipartUpload parts [2,1]", err, "InvalidPartOrder", 400)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("oo")})
	wantErr(t, "HeadObject after failed complete", err, "", 404)
	// The upload survives a failed completion and can still be completed.
	if _, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("oo"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatalf("CompleteMultipartUpload in order after failed attempt: %v", err)
	}
}

func TestCompleteMultipartUpload_partTooSmall_EntityTooSmall(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	id := createUpload(t, c, b, "small")
	done := uploadParts(t, c, b, "small", id, [][]byte{randBytes(1 << 20), randBytes(1 << 20)}, "", 2)
	_, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("small"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	wantErr(t, "CompleteMultipartUpload with 1 MiB non-last part", err, "EntityTooSmall", 400)
	// A single small part is fine (it is the last part).
	id2 := createUpload(t, c, b, "single")
	done2 := uploadParts(t, c, b, "single", id2, [][]byte{[]byte("tiny")}, "", 1)
	if _, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("single"), UploadId: aws.String(id2),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done2}}); err != nil {
		t.Fatalf("CompleteMultipartUpload single small part: %v", err)
	}
	mustEqualBytes(t, "single-part upload", getObject(t, b, "single"), []byte("tiny"))
}

func TestCompleteMultipartUpload_wrongETag_InvalidPart(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	id := createUpload(t, c, b, "we")
	done := uploadParts(t, c, b, "we", id, [][]byte{randBytes(5 << 20), randBytes(10)}, "", 2)
	bad := []types.CompletedPart{done[0], {PartNumber: aws.Int32(2), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)}}
	_, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("we"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: bad}})
	wantErr(t, "CompleteMultipartUpload wrong ETag", err, "InvalidPart", 400)
	missing := []types.CompletedPart{done[0], {PartNumber: aws.Int32(7), ETag: done[1].ETag}}
	_, err = c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("we"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: missing}})
	wantErr(t, "CompleteMultipartUpload never-uploaded part number", err, "InvalidPart", 400)
}

func TestMultipartUpload_fullObjectCRC64NVME(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	parts := [][]byte{randBytes(5 << 20), randBytes(5 << 20), randBytes(123_456)}
	whole := bytes.Join(parts, nil)
	cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("fo"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil {
		t.Fatalf("CreateMultipartUpload CRC64NVME FULL_OBJECT: %v", err)
	}
	if cr.ChecksumAlgorithm != types.ChecksumAlgorithmCrc64nvme || cr.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("CreateMultipartUpload response: algorithm %q type %q, want CRC64NVME FULL_OBJECT", cr.ChecksumAlgorithm, cr.ChecksumType)
	}
	done := uploadParts(t, c, b, "fo", aws.ToString(cr.UploadId), parts, types.ChecksumAlgorithmCrc64nvme, 3)
	for i, p := range done {
		if got := aws.ToString(p.ChecksumCRC64NVME); got != b64crc64nvme(parts[i]) {
			t.Fatalf("UploadPart %d CRC64NVME: got %q, want %q", i+1, got, b64crc64nvme(parts[i]))
		}
	}
	want := b64crc64nvme(whole)
	out, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("fo"), UploadId: cr.UploadId,
		ChecksumCRC64NVME: aws.String(want), ChecksumType: types.ChecksumTypeFullObject,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload FULL_OBJECT: %v", err)
	}
	if got := aws.ToString(out.ChecksumCRC64NVME); got != want {
		t.Fatalf("CompleteMultipartUpload CRC64NVME: got %q, want full-object %q", got, want)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("fo"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(head.ChecksumCRC64NVME); got != want || head.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("HeadObject: CRC64NVME %q type %q, want %q FULL_OBJECT", got, head.ChecksumType, want)
	}
	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("fo"), ChecksumMode: types.ChecksumModeEnabled})
	if sha256sum(got) != sha256sum(whole) {
		t.Fatalf("download differs")
	}

	// A wrong full-object checksum at completion is rejected.
	cr2, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("fo-bad"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeFullObject})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	done2 := uploadParts(t, c, b, "fo-bad", aws.ToString(cr2.UploadId), parts[2:], types.ChecksumAlgorithmCrc64nvme, 1)
	_, err = c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("fo-bad"), UploadId: cr2.UploadId,
		ChecksumCRC64NVME: aws.String(b64crc64nvme([]byte("wrong"))), ChecksumType: types.ChecksumTypeFullObject,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done2}})
	wantErr(t, "CompleteMultipartUpload with wrong full-object CRC64NVME", err, "", 400)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("fo-bad")})
	wantErr(t, "HeadObject after rejected completion", err, "", 404)
}

func TestMultipartUpload_compositeCRC32(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	parts := [][]byte{randBytes(5 << 20), randBytes(777_777)}
	cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("co"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeComposite})
	if err != nil {
		t.Fatalf("CreateMultipartUpload CRC32 COMPOSITE: %v", err)
	}
	done := uploadParts(t, c, b, "co", aws.ToString(cr.UploadId), parts, types.ChecksumAlgorithmCrc32, 2)
	for i, p := range done {
		if got := aws.ToString(p.ChecksumCRC32); got != b64crc32(parts[i]) {
			t.Fatalf("UploadPart %d CRC32: got %q, want %q", i+1, got, b64crc32(parts[i]))
		}
	}
	out, err := c.CompleteMultipartUpload(ctxT(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("co"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload COMPOSITE: %v", err)
	}
	want := compositeChecksum(func() hash.Hash { return crc32.NewIEEE() }, parts)
	if got := aws.ToString(out.ChecksumCRC32); got != want {
		t.Fatalf("CompleteMultipartUpload CRC32: got %q, want composite %q", got, want)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("co"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(head.ChecksumCRC32); got != want || head.ChecksumType != types.ChecksumTypeComposite {
		t.Fatalf("HeadObject: CRC32 %q type %q, want %q COMPOSITE", got, head.ChecksumType, want)
	}
	// With partNumber, HEAD returns that part's own checksum.
	hp, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("co"), PartNumber: aws.Int32(2), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject partNumber=2: %v", err)
	}
	if got := aws.ToString(hp.ChecksumCRC32); got != b64crc32(parts[1]) {
		t.Fatalf("HeadObject partNumber=2 CRC32: got %q, want part checksum %q", got, b64crc32(parts[1]))
	}
	// A part whose checksum does not match its body is rejected.
	_, err = c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("co2"), UploadId: aws.String(createUploadAlgo(t, c, b, "co2", types.ChecksumAlgorithmCrc32)),
		PartNumber: aws.Int32(1), Body: bytes.NewReader(parts[1]), ChecksumCRC32: aws.String(b64crc32([]byte("nope")))})
	wantErr(t, "UploadPart with wrong CRC32", err, "BadDigest", 400)
}

func createUploadAlgo(t testing.TB, c *s3.Client, b, key string, algo types.ChecksumAlgorithm) string {
	t.Helper()
	cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumAlgorithm: algo})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	return aws.ToString(cr.UploadId)
}

func TestMultipartUpload_noChecksumAlgorithm(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	parts := [][]byte{randBytes(5 << 20), randBytes(5 << 20), randBytes(3)}
	etag := multipartUpload(t, c, b, "plain", parts, &s3.CreateMultipartUploadInput{})
	mustEqualBytes(t, "plain multipart object", getObject(t, b, "plain"), bytes.Join(parts, nil))
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("plain")})
	if err != nil || aws.ToString(head.ETag) != etag || aws.ToInt64(head.ContentLength) != int64(5<<20*2+3) {
		t.Fatalf("HeadObject: err=%v etag %s len %d", err, aws.ToString(head.ETag), aws.ToInt64(head.ContentLength))
	}
}
