package objects

import (
	"bytes"
	"testing"

	"coffer/internal/checksum"
)

// TestObjectACLPerVersion: an ACL is set with the write, belongs to one
// version, survives the version becoming noncurrent, and PutObjectACL
// changes only the version it names.
func TestObjectACLPerVersion(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("acls")
	if err := e.s.SetVersioning(ctx, tenant, "acls", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "acls", Key: "k", Body: body(t, []byte("one")), Size: 3,
		Owner: "u1", ACL: []byte(`first`)})
	if err != nil {
		t.Fatal(err)
	}
	v2 := e.put("acls", "k", []byte("two")) // default ACL
	got, err := e.s.GetObjectACL(ctx, tenant, "acls", "k", v1.VersionID)
	if err != nil || string(got.ACL) != "first" || got.Owner != "u1" || got.VersionID != v1.VersionID {
		t.Fatalf("v1 ACL after overwrite: %+v %v", got, err)
	}
	if got, err := e.s.GetObjectACL(ctx, tenant, "acls", "k", ""); err != nil || got.ACL != nil || got.VersionID != v2.VersionID {
		t.Fatalf("latest ACL: %+v %v", got, err)
	}
	vid, err := e.s.PutObjectACL(ctx, tenant, "acls", "k", "", []byte("second"), "u2")
	if err != nil || vid != v2.VersionID {
		t.Fatalf("PutObjectACL latest: %q %v", vid, err)
	}
	if got, _ := e.s.GetObjectACL(ctx, tenant, "acls", "k", ""); string(got.ACL) != "second" || got.Owner != "u2" {
		t.Fatalf("latest after put: %+v", got)
	}
	if _, err := e.s.PutObjectACL(ctx, tenant, "acls", "k", v1.VersionID, nil, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.GetObjectACL(ctx, tenant, "acls", "k", v1.VersionID); got.ACL != nil || got.Owner != "u1" {
		t.Fatalf("v1 after reset: %+v", got)
	}
	// The data is untouched.
	if data, _, err := e.get("acls", "k", ""); err != nil || !bytes.Equal(data, []byte("two")) {
		t.Fatalf("data after PutObjectACL: %q %v", data, err)
	}
	if _, err := e.s.GetObjectACL(ctx, tenant, "acls", "missing", ""); err == nil {
		t.Fatal("ACL of a missing key")
	}
}

// TestACLThroughMultipartAndCopy: the upload's ACL goes to the completed
// object; a copy takes the ACL it is given, never the source's.
func TestACLThroughMultipartAndCopy(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("mpb")
	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "mpb", Key: "m", ACL: []byte("mpacl")})
	if err != nil {
		t.Fatal(err)
	}
	r := checksum.NewComputer(bytes.NewReader([]byte("part")), checksum.None)
	p, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "mpb", Key: "m", UploadID: up.UploadID, PartNumber: 1, Body: r, Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "mpb", Key: "m", UploadID: up.UploadID,
		Parts: []CompletedPart{{Number: 1, ETag: p.ETag}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.GetObjectACL(ctx, tenant, "mpb", "m", ""); string(got.ACL) != "mpacl" {
		t.Fatalf("completed object's ACL: %+v", got)
	}
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "mpb", SrcKey: "m", Tenant: tenant, Bucket: "mpb", Key: "c"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.GetObjectACL(ctx, tenant, "mpb", "c", ""); got.ACL != nil {
		t.Fatalf("copy inherited the source ACL: %+v", got)
	}
}

func TestCreateBucketWithConfigs(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("shared")
	e.bucket("sharedx")
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: "t2", Name: "shared", Configs: map[string][]byte{ConfigACL: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.TenantsOfBucket(ctx, "shared")
	if err != nil || len(got) != 2 || got[0] != tenant || got[1] != "t2" {
		t.Fatalf("TenantsOfBucket: %+v %v", got, err)
	}
	b, err := e.s.GetBucket(ctx, "t2", "shared")
	if err != nil || string(b.Configs[ConfigACL]) != "x" {
		t.Fatalf("configs given at creation: %+v %v", b.Configs, err)
	}
}
