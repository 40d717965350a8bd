package testkit

import (
	"path/filepath"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
)

// Store is a real Pebble metadata store ("meta") and a real object layer
// over a blob directory ("data") in a temporary directory: what the core,
// the vault plane and the adapters run on in their tests.
type Store struct {
	Dir     string // the temporary directory
	KV      *pebble.Store
	Objects *objects.Service
}

// NewStore opens a Store; now is the object layer's clock (nil: the real
// time). Closing is registered with t.Cleanup, so it runs after the
// cleanups its caller registers later (servers, the core).
func NewStore(t testing.TB, now func() time.Time) Store {
	t.Helper()
	dir := t.TempDir()
	kv, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		kv.Close()
		t.Fatal(err)
	}
	obj, err := objects.New(objects.Options{KV: kv, Blobs: bl, Now: now})
	if err != nil {
		kv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		obj.Close()
		kv.Close()
	})
	return Store{Dir: dir, KV: kv, Objects: obj}
}
