package objects

import (
	"errors"
	"path/filepath"
	"testing"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// Two nodes on one PostgreSQL store: node A's cached bucket record must not
// outlive the bucket when node B deletes and re-creates it or changes its
// versioning. GET reads the record with the object's (one snapshot) and
// uses the cache only when the two are byte for byte the same, so A sees
// B's change at once, not within the change feed's bound.
func TestPostgresCachedBucketAcrossNodes(t *testing.T) {
	pgtest.Skip(t)
	a := newPGEnv(t, postgres.Options{}, nil)
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := New(Options{KV: a.kv, Blobs: bl, MinPartSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	b := &env{t: t, s: sb, kv: a.kv}

	a.bucket("nbk")
	a.put("nbk", "k", []byte("old"))
	read := func(want string) {
		t.Helper()
		data, _, err := a.get("nbk", "k", "")
		if err != nil || string(data) != want {
			t.Fatalf("node A reads %q, %v; want %q", data, err, want)
		}
	}
	read("old")
	read("old") // now through the cached record

	if _, err := b.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "nbk", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := b.s.DeleteBucket(ctx, tenant, "nbk"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.get("nbk", "k", ""); !errors.Is(err, errs.New(errs.NoSuchBucket, "")) {
		t.Fatalf("node A, GET in a bucket node B deleted: %v, want NoSuchBucket", err)
	}
	b.bucket("nbk")
	b.put("nbk", "k", []byte("new"))
	read("new")

	if err := b.s.SetVersioning(ctx, tenant, "nbk", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	out, err := a.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "nbk", Key: "k"})
	if err != nil || !out.Info.Versioned {
		t.Fatalf("node A, HEAD after node B enabled versioning: %+v, %v; want versioned", out, err)
	}
	b.put("nbk", "k", []byte("v2"))
	read("v2")
}
