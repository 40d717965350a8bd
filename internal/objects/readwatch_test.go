package objects

import (
	"errors"
	"testing"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// watchedEntry is the bucket cache's entry for bkt once reads use the
// store's key counter (kv.KeyWatcher) instead of reading the record.
func watchedEntry(t *testing.T, e *env, bkt string) *cachedBucket {
	t.Helper()
	for range 3 { // the View fills the cache, the next read watches the key
		if _, _, err := e.get(bkt, "k", ""); err != nil {
			t.Fatal(err)
		}
	}
	e.s.buckets.mu.RLock()
	ce := e.s.buckets.m[bucketCacheKey{tenant, bkt}]
	e.s.buckets.mu.RUnlock()
	if ce == nil || ce.watch == nil {
		t.Fatalf("bucket %s: cache entry %+v, want one with a key counter", bkt, ce)
	}
	if ce.watch.Load() != ce.gen {
		t.Fatalf("bucket %s: counter at %d, entry at %d", bkt, ce.watch.Load(), ce.gen)
	}
	return ce
}

// On a store that watches keys, GET and HEAD stop reading the bucket
// record while it is unchanged, and still see every change of it at once.
func TestReadPathWatchedBucketChanges(t *testing.T) {
	e := newEnv(t, nil)
	if kv.WatchKey(e.kv, bucketKey(tenant, "x")) == nil {
		t.Skip("the store does not watch keys")
	}
	e.bucket("bkt")
	e.put("bkt", "k", []byte("one"))
	watchedEntry(t, e, "bkt")
	if err := e.s.SetVersioning(ctx, tenant, "bkt", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	if _, out, err := e.get("bkt", "k", ""); err != nil || !out.Info.Versioned {
		t.Fatalf("the GET after enabling versioning: %+v, %v", out, err)
	}
	// And again once the changed record is watched.
	watchedEntry(t, e, "bkt")
	if err := e.s.SetVersioning(ctx, tenant, "bkt", VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	if _, out, err := e.get("bkt", "k", ""); err != nil || !out.Info.Versioned {
		t.Fatalf("the GET after suspending versioning: %+v, %v", out, err)
	}

	// Deleted and created again under the same name: another id, empty.
	e.bucket("cbk")
	e.put("cbk", "k", []byte("x"))
	watchedEntry(t, e, "cbk")
	if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "cbk", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteBucket(ctx, tenant, "cbk"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.get("cbk", "k", ""); !errors.Is(err, errs.NoSuchBucket) {
		t.Fatalf("GET in a deleted bucket: %v, want NoSuchBucket", err)
	}
	e.bucket("cbk")
	if _, _, err := e.get("cbk", "k", ""); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("GET in the re-created bucket: %v, want NoSuchKey", err)
	}
	e.put("cbk", "k", []byte("new"))
	watchedEntry(t, e, "cbk")
	if data, _, err := e.get("cbk", "k", ""); err != nil || string(data) != "new" {
		t.Fatalf("GET in the re-created bucket: %q, %v", data, err)
	}
}
