package objects

import (
	"bytes"
	"errors"
	"testing"

	"coffer/internal/checksum"
	"coffer/internal/errs"
)

// withSum is a part body that claims a checksum of algorithm a, as an SDK
// sending its default part checksum does.
func withSum(t *testing.T, a checksum.Algorithm, data []byte) *checksum.Reader {
	t.Helper()
	r, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{Algorithm: a, Value: checksum.Sum(a, data)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An upload created without an algorithm takes part checksums of any
// algorithm (AWS since its default integrity protections), reports them per
// part, and gives the object the CRC64NVME FULL_OBJECT checksum of its data.
func TestMultipart_implicitAlgorithm_acceptsSDKDefaultPartChecksums(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("mpu")
	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{bytes.Repeat([]byte("a"), 7), []byte("bcdxyz"), []byte("efghij"), []byte("klmnop"), []byte("qr")}
	algs := []checksum.Algorithm{checksum.CRC32, checksum.None, checksum.CRC32C, checksum.CRC64NVME, checksum.SHA256}
	var done []CompletedPart
	for i, p := range parts {
		b := body(t, p)
		if algs[i] != checksum.None {
			b = withSum(t, algs[i], p)
		}
		pi, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID,
			PartNumber: i + 1, Body: b, Size: int64(len(p))})
		if err != nil {
			t.Fatalf("UploadPart %d (%s): %v", i+1, algs[i], err)
		}
		want := algs[i]
		if want == checksum.None {
			want = checksum.CRC64NVME
		}
		if pi.Checksum.Algorithm != want || pi.Checksum.Base64 != checksum.Sum(want, p) {
			t.Fatalf("part %d checksum %+v, want %s %s", i+1, pi.Checksum, want, checksum.Sum(want, p))
		}
		// The client may list the part's checksum it got back, or none.
		cp := CompletedPart{Number: i + 1, ETag: pi.ETag}
		if i == 0 {
			cp.Checksum = pi.Checksum.Base64
		}
		done = append(done, cp)
	}
	// A part whose checksum does not match its data is refused all the same.
	wrong, err := checksum.NewReader(bytes.NewReader([]byte("zz")), checksum.Expect{Algorithm: checksum.CRC32, Value: checksum.Sum(checksum.CRC32, []byte("other"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID,
		PartNumber: 9, Body: wrong, Size: 2}); !errors.Is(err, errs.BadDigest) {
		t.Fatalf("wrong CRC32 part: %v, want BadDigest", err)
	}
	lp, err := e.s.ListParts(ctx, ListPartsInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID})
	if err != nil || len(lp.Parts) != len(parts) || lp.Parts[0].Checksum.Algorithm != checksum.CRC32 || lp.Parts[4].Checksum.Algorithm != checksum.SHA256 {
		t.Fatalf("ListParts: %+v %v", lp, err)
	}
	// A wrong part checksum is still refused.
	bad := append([]CompletedPart(nil), done...)
	bad[0].Checksum = checksum.Sum(checksum.CRC32, []byte("other"))
	if _, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID, Parts: bad}); !errors.Is(err, errs.InvalidPart) {
		t.Fatalf("wrong part checksum: %v", err)
	}
	info, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID, Parts: done})
	if err != nil {
		t.Fatal(err)
	}
	whole := bytes.Join(parts, nil)
	want := checksum.Value{Algorithm: checksum.CRC64NVME, Type: checksum.TypeFullObject, Base64: checksum.Sum(checksum.CRC64NVME, whole)}
	if info.Checksum != want {
		t.Fatalf("object checksum %+v, want %+v", info.Checksum, want)
	}
	for i, p := range info.Parts {
		if p.Checksum.Algorithm != checksum.CRC64NVME || p.Checksum.Base64 != checksum.Sum(checksum.CRC64NVME, parts[i]) {
			t.Fatalf("object part %d checksum %+v, want its CRC64NVME", i+1, p.Checksum)
		}
	}
	data, _, err := e.get("mpu", "k", "")
	if err != nil || !bytes.Equal(data, whole) {
		t.Fatalf("get: %q %v", data, err)
	}
}

// An upload whose algorithm was named keeps refusing other part algorithms.
func TestMultipart_explicitAlgorithm_refusesOtherPartChecksums(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("mpu")
	for _, alg := range []checksum.Algorithm{checksum.CRC64NVME, checksum.SHA256} {
		up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpu", Key: "k", ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID,
			PartNumber: 1, Body: withSum(t, checksum.CRC32, []byte("x")), Size: 1})
		if !errors.Is(err, errs.InvalidRequest) {
			t.Fatalf("%s upload, CRC32 part: %v, want InvalidRequest (Checksum Type mismatch)", alg, err)
		}
		// No checksum at all is computed in the upload's algorithm.
		pi, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpu", Key: "k", UploadID: up.UploadID,
			PartNumber: 1, Body: body(t, []byte("x")), Size: 1})
		if err != nil || pi.Checksum.Algorithm != alg || pi.Checksum.Base64 != checksum.Sum(alg, []byte("x")) {
			t.Fatalf("%s upload, plain part: %+v %v", alg, pi.Checksum, err)
		}
	}
}
