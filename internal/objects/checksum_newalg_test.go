package objects

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"coffer/internal/checksum"
	"coffer/internal/errs"
)

// newAlgorithms are the checksums S3 added in 2026; none of them combines,
// so multipart uploads use them as COMPOSITE only.
var newAlgorithms = []checksum.Algorithm{checksum.MD5, checksum.SHA512, checksum.XXHASH64, checksum.XXHASH3, checksum.XXHASH128}

// PUT with each new algorithm verifies it, stores it and returns it on HEAD;
// a wrong value is BadDigest and stores nothing; a copy asked for the
// algorithm computes it for the copy.
func TestNewChecksums_putCopy(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("bkt")
	data := []byte("the new flexible checksums")
	for _, a := range newAlgorithms {
		key := "k-" + string(a)
		info, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: key, Body: withSum(t, a, data), Size: int64(len(data))})
		want := checksum.Value{Algorithm: a, Base64: checksum.Sum(a, data)}
		if err != nil || info.Checksum != want {
			t.Fatalf("%s put: %+v %v; want %+v", a, info.Checksum, err, want)
		}
		head, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: key})
		if err != nil || head.Info.Checksum != want {
			t.Fatalf("%s head: %+v %v", a, head, err)
		}
		bad, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{Algorithm: a, Value: checksum.Sum(a, []byte("other"))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: key + "-bad", Body: bad, Size: int64(len(data))}); !errors.Is(err, errs.BadDigest) {
			t.Fatalf("%s wrong value: %v, want BadDigest", a, err)
		}
		if _, _, err := e.get("bkt", key+"-bad", ""); !errors.Is(err, errs.NoSuchKey) {
			t.Fatalf("%s: the refused object exists: %v", a, err)
		}
		// Copy an object stored with the default checksum, asking for a.
		e.put("bkt", "plain", data)
		out, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "bkt", SrcKey: "plain", Tenant: tenant, Bucket: "bkt",
			Key: key + "-copy", ChecksumAlgorithm: a})
		if err != nil || out.Info.Checksum.Algorithm != a || out.Info.Checksum.Base64 != want.Base64 {
			t.Fatalf("%s copy: %+v %v", a, out.Info.Checksum, err)
		}
	}
}

// A multipart upload of each new algorithm: COMPOSITE by default and when
// asked, FULL_OBJECT refused with S3's message, part checksums verified and
// listed, the object's checksum the algorithm over the raw part checksums.
func TestNewChecksums_multipartComposite(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("mpu")
	parts := [][]byte{bytes.Repeat([]byte("p1"), 5), []byte("second part"), []byte("3")}
	for _, a := range newAlgorithms {
		_, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "k",
			ChecksumAlgorithm: a, ChecksumType: checksum.TypeFullObject})
		if !errors.Is(err, errs.InvalidRequest) || errs.Message(err) != "The FULL_OBJECT checksum type cannot be used with the "+
			map[checksum.Algorithm]string{checksum.MD5: "md5", checksum.SHA512: "sha512", checksum.XXHASH64: "xxhash64",
				checksum.XXHASH3: "xxhash3", checksum.XXHASH128: "xxhash128"}[a]+" checksum algorithm." {
			t.Fatalf("%s FULL_OBJECT: %v", a, err)
		}
		for _, typ := range []checksum.Type{checksum.TypeNone, checksum.TypeComposite} {
			up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "k", ChecksumAlgorithm: a, ChecksumType: typ})
			if err != nil || up.ChecksumAlgorithm != a || up.ChecksumType != checksum.TypeComposite {
				t.Fatalf("%s %q create: %+v %v", a, typ, up, err)
			}
			var done []CompletedPart
			var raw []byte
			for i, p := range parts {
				b := withSum(t, a, p)
				if i == 1 {
					b = body(t, p) // no checksum sent: computed in the upload's algorithm
				}
				pi, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID,
					PartNumber: i + 1, Body: b, Size: int64(len(p))})
				if err != nil || pi.Checksum.Algorithm != a || pi.Checksum.Base64 != checksum.Sum(a, p) {
					t.Fatalf("%s part %d: %+v %v", a, i+1, pi.Checksum, err)
				}
				d, _ := base64.StdEncoding.DecodeString(pi.Checksum.Base64)
				raw = append(raw, d...)
				done = append(done, CompletedPart{Number: i + 1, ETag: pi.ETag, Checksum: pi.Checksum.Base64})
			}
			bad, err := checksum.NewReader(bytes.NewReader([]byte("zz")), checksum.Expect{Algorithm: a, Value: checksum.Sum(a, []byte("yy"))})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID,
				PartNumber: 9, Body: bad, Size: 2}); !errors.Is(err, errs.BadDigest) {
				t.Fatalf("%s wrong part checksum: %v, want BadDigest", a, err)
			}
			lp, err := e.s.ListParts(ctx, ListPartsInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID})
			if err != nil || len(lp.Parts) != len(parts) || lp.Parts[1].Checksum.Algorithm != a || lp.Parts[1].Checksum.Base64 != checksum.Sum(a, parts[1]) {
				t.Fatalf("%s ListParts: %+v %v", a, lp, err)
			}
			wrong := append([]CompletedPart(nil), done...)
			wrong[2].Checksum = checksum.Sum(a, []byte("4"))
			if _, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID, Parts: wrong}); !errors.Is(err, errs.InvalidPart) {
				t.Fatalf("%s wrong completed checksum: %v, want InvalidPart", a, err)
			}
			info, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID, Parts: done})
			want := checksum.Value{Algorithm: a, Type: checksum.TypeComposite, Base64: checksum.Sum(a, raw) + "-3"}
			if err != nil || info.Checksum != want {
				t.Fatalf("%s complete: %+v %v; want %+v", a, info.Checksum, err, want)
			}
			data, _, err := e.get("mpu", "k", "")
			if err != nil || !bytes.Equal(data, bytes.Join(parts, nil)) {
				t.Fatalf("%s get: %q %v", a, data, err)
			}
		}
	}
}
