package core_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/core"
	"coffer/internal/errs"
)

func TestBuckets_rules(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	for name, r := range map[string]core.Reason{
		"ab": core.ReasonBucketNameLength, "a234567890123456789012345678901234567890123456789012345678901234": core.ReasonBucketNameLength,
		"Abc": core.ReasonBucketNameChars, "a_b": core.ReasonBucketNameChars, "a..b": core.ReasonBucketNameChars,
		"a.-b": core.ReasonBucketNameChars, "a-.b": core.ReasonBucketNameChars, "-abc": core.ReasonBucketNameChars,
		"192.168.1.1": core.ReasonBucketNameChars,
	} {
		_, err := e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: name})
		wantReason(t, name, err, errs.InvalidBucketName, r)
	}
	_, err := e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: "sized", Size: -5})
	wantReason(t, "negative size", err, errs.InvalidArgument, core.ReasonBucketSize)
	_, err = e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: "sized", Size: core.DefaultMaxBucketSize + 1})
	wantReason(t, "huge size", err, errs.InvalidArgument, core.ReasonBucketSize)
	_, err = e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: "sized", Versioning: "sometimes"})
	wantReason(t, "bad versioning", err, errs.InvalidArgument, core.ReasonVersioningInvalid)

	b, err := e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: "vers", Comment: "first",
		Size: core.DefaultBucketSize})
	if err != nil {
		t.Fatal(err)
	}
	if b.UUID == "" || b.ID == 0 || b.Versioning != core.VersioningDisabled || b.Comment != "first" || b.Size != core.DefaultBucketSize {
		t.Fatalf("bucket = %+v", b)
	}
	_, err = e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: "vers"})
	wantReason(t, "duplicate", err, errs.BucketAlreadyOwnedByYou, "")
	// Disabled while never enabled is a no-op; once enabled, never back.
	if _, err := e.core.UpdateBucket(ctx, ten, "vers", core.BucketPatch{Versioning: ptr(core.VersioningDisabled)}); err != nil {
		t.Fatal(err)
	}
	b = must(e.core.UpdateBucket(ctx, ten, "vers", core.BucketPatch{Versioning: ptr(core.VersioningEnabled), Comment: ptr("second")}))
	if b.Versioning != core.VersioningEnabled || b.Comment != "second" {
		t.Fatalf("after patch = %+v", b)
	}
	_, err = e.core.UpdateBucket(ctx, ten, "vers", core.BucketPatch{Versioning: ptr(core.VersioningDisabled)})
	wantReason(t, "back to disabled", err, errs.InvalidArgument, core.ReasonVersioningCannotDisable)
	b = must(e.core.UpdateBucket(ctx, ten, "vers", core.BucketPatch{Versioning: ptr(core.VersioningSuspended)}))
	if b.Versioning != core.VersioningSuspended {
		t.Fatal(b.Versioning)
	}
	// The S3 face sees the same versioning.
	out, err := e.client(e.boot.Key).GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("vers")})
	if err != nil || string(out.Status) != "Suspended" {
		t.Fatalf("S3 versioning = %v %v", out, err)
	}
	if got := must(e.core.GetBucketByUUID(ctx, ten, b.UUID)); got.Name != "vers" {
		t.Fatal("by uuid")
	}
	if err := e.core.DeleteBucket(ctx, ten, "vers"); err != nil {
		t.Fatal(err)
	}
	_, err = e.core.GetBucketByUUID(ctx, "", b.UUID)
	wantReason(t, "deleted by uuid", err, errs.NoSuchBucket, "")
	_, err = e.core.GetBucketByID(ctx, b.ID)
	wantReason(t, "deleted by id", err, errs.NoSuchBucket, "")
}

// TestBuckets_quota: the size is a hard quota, checked in the write's
// transaction; a refused write stores nothing.
func TestBuckets_quota(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	if _, err := e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ten, Name: "quota", Size: 100}); err != nil {
		t.Fatal(err)
	}
	c := e.client(e.boot.Key)
	if _, err := c.PutObject(ctx, putInput("quota", "a", string(make([]byte, 60)))); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutObject(ctx, putInput("quota", "b", string(make([]byte, 60))))
	wantCode(t, "over quota", err, "QuotaExceeded")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("quota"), Key: aws.String("b")})
	wantCode(t, "refused object", err, "NotFound")
	b := must(e.core.GetBucket(ctx, ten, "quota"))
	if b.UsedBytes != 60 || b.Objects != 1 {
		t.Fatalf("usage = %d bytes, %d objects", b.UsedBytes, b.Objects)
	}
	// Raising the size lets the write through.
	must(e.core.UpdateBucket(ctx, ten, "quota", core.BucketPatch{Size: ptr(int64(200))}))
	if _, err := c.PutObject(ctx, putInput("quota", "b", string(make([]byte, 60)))); err != nil {
		t.Fatal(err)
	}
	_, err = e.core.UpdateBucket(ctx, ten, "quota", core.BucketPatch{})
	if err != nil {
		t.Fatal(err)
	}
	wantReason(t, "delete non-empty", e.core.DeleteBucket(ctx, ten, "quota"), errs.BucketNotEmpty, "")
}
