package objects

import (
	"errors"
	"fmt"
	"testing"

	"coffer/internal/errs"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// Reads reuse decoded bucket records only while the stored record is
// byte-for-byte the same: a change of versioning, a deleted and re-created
// bucket (a new id) are seen by the very next read.
func TestReadPathSeesBucketChanges(t *testing.T) { readPathSeesBucketChanges(t, newEnv(t, nil)) }

// On PostgreSQL, GET and HEAD of a bucket whose record is cached read it
// and the object's record in one statement (readLatestFast): the same
// changes must be seen by the very next read.
func TestPostgresReadPathSeesBucketChanges(t *testing.T) {
	pgtest.Skip(t)
	readPathSeesBucketChanges(t, newPGEnv(t, postgres.Options{}, nil))
}

func readPathSeesBucketChanges(t *testing.T, e *env) {
	e.bucket("bkt")
	e.put("bkt", "k", []byte("one"))
	head := func() *GetOutput {
		t.Helper()
		out, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: "k"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if head().Info.Versioned {
		t.Fatal("a new bucket reads as versioned")
	}
	if err := e.s.SetVersioning(ctx, tenant, "bkt", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	if !head().Info.Versioned {
		t.Fatal("a GET after enabling versioning still reads the bucket as unversioned")
	}
	lo, err := e.s.ListObjects(ctx, ListInput{Tenant: tenant, Bucket: "bkt", MaxKeys: 10})
	if err != nil || len(lo.Objects) != 1 || !lo.Objects[0].Versioned {
		t.Fatalf("listing after enabling versioning: %+v, %v", lo.Objects, err)
	}

	// Deleted and created again: the new bucket (another id) is empty.
	e.bucket("cbk")
	e.put("cbk", "k", []byte("x"))
	if _, _, err := e.get("cbk", "k", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "cbk", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteBucket(ctx, tenant, "cbk"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.get("cbk", "k", ""); !errors.Is(err, errs.New(errs.NoSuchBucket, "")) {
		t.Fatalf("GET in a deleted bucket: %v, want NoSuchBucket", err)
	}
	e.bucket("cbk")
	if _, _, err := e.get("cbk", "k", ""); !errors.Is(err, errs.New(errs.NoSuchKey, "")) {
		t.Fatalf("GET in a re-created bucket: %v, want NoSuchKey", err)
	}
}

// A listing reuses the previous record's strings when equal; records that
// differ (owner, storage class, ETag) must each still list their own.
func TestListingDecodesEachRecord(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("bkt")
	want := map[string][3]string{}
	for i := range 30 {
		key := fmt.Sprintf("k%02d", i)
		owner := fmt.Sprintf("owner%d", i/4)
		sc := []string{"", "STANDARD_IA", "GLACIER"}[i/10]
		data := []byte(fmt.Sprintf("data%d", i/3))
		in := PutInput{Tenant: tenant, Bucket: "bkt", Key: key, Body: body(t, data), Size: int64(len(data)),
			Owner: owner, Meta: Metadata{StorageClass: sc}}
		if _, err := e.s.PutObject(ctx, in); err != nil {
			t.Fatal(err)
		}
		want[key] = [3]string{owner, sc, md5hex(data)}
	}
	out, err := e.s.ListObjects(ctx, ListInput{Tenant: tenant, Bucket: "bkt", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Objects) != len(want) {
		t.Fatalf("listed %d objects, want %d", len(out.Objects), len(want))
	}
	for _, o := range out.Objects {
		if got := [3]string{o.Owner, o.Meta.StorageClass, o.ETag}; got != want[o.Key] {
			t.Errorf("%s: owner, storage class, ETag = %q, want %q", o.Key, got, want[o.Key])
		}
	}
	vs, err := e.s.ListObjectVersions(ctx, ListVersionsInput{Tenant: tenant, Bucket: "bkt", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range vs.Versions {
		if got := [3]string{o.Owner, o.Meta.StorageClass, o.ETag}; got != want[o.Key] {
			t.Errorf("versions %s: owner, storage class, ETag = %q, want %q", o.Key, got, want[o.Key])
		}
	}
}
