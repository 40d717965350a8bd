package objects

import (
	"testing"

	"coffer/internal/kv"
)

// readBucket reuses a decoded bucket record while its stored bytes are the
// same, and decodes again once they change: a PUT after a versioning change
// sees it.
func TestBucketRecordCache(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("ccc")
	read := func() *bucketRecord {
		var b *bucketRecord
		if err := e.kv.View(ctx, func(tx kv.Reader) error {
			var err error
			b, err = e.s.readBucket(tx, tenant, "ccc")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := read()
	if again := read(); again != first {
		t.Fatal("an unchanged bucket record was decoded again")
	}
	if v := e.put("ccc", "k", []byte("a")); v.VersionID != "" && v.VersionID != NullVersionID {
		t.Fatalf("unversioned PUT got version %q", v.VersionID)
	}
	if err := e.s.SetVersioning(ctx, tenant, "ccc", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	changed := read()
	if changed == first || changed.Versioning != VersioningEnabled || first.Versioning != VersioningUnset {
		t.Fatalf("after the change: %v (cached record now %v)", changed.Versioning, first.Versioning)
	}
	if v := e.put("ccc", "k", []byte("b")); v.VersionID == "" || v.VersionID == NullVersionID {
		t.Fatalf("PUT after enabling versioning got version %q", v.VersionID)
	}
	if err := e.kv.View(ctx, func(tx kv.Reader) error {
		_, err := e.s.readBucket(tx, tenant, "missing")
		return err
	}); err == nil {
		t.Fatal("a missing bucket was found")
	}
}
