package pebble

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
)

// A watched key's counter moves with every commit that writes the key, and
// only with those, before the write is visible.
func TestWatchKey(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	defer s.Close()
	c := kv.WatchKey(s, []byte("b"))
	if c == nil {
		t.Fatal("WatchKey returned nil")
	}
	if again := s.WatchKey([]byte("b")); again != c {
		t.Fatal("a second WatchKey of the key returned another counter")
	}
	set := func(k string) {
		t.Helper()
		if err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte(k), []byte("v")) }); err != nil {
			t.Fatal(err)
		}
	}
	set("a")
	if got := c.Load(); got != 0 {
		t.Fatalf("a write of another key moved the counter to %d", got)
	}
	set("b")
	if got := c.Load(); got != 1 {
		t.Fatalf("after a write of the key the counter is %d, want 1", got)
	}
	if err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Delete([]byte("b")); err != nil {
			return err
		}
		return tx.Set([]byte("c"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	if got := c.Load(); got != 2 {
		t.Fatalf("after a delete of the key the counter is %d, want 2", got)
	}
	// A transaction that only reads the key, or fails, moves nothing.
	_ = s.Update(t.Context(), func(tx kv.Txn) error { _, err := tx.Get([]byte("b")); return err })
	if got := c.Load(); got != 2 {
		t.Fatalf("after a read the counter is %d, want 2", got)
	}
	// A range deletion writes every key it covers: one around the key
	// moves it, one that ends at the key (the end is exclusive) does not.
	delRange := func(start, end string) {
		t.Helper()
		if err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.DeleteRange([]byte(start), []byte(end)) }); err != nil {
			t.Fatal(err)
		}
	}
	delRange("a", "b")
	if got := c.Load(); got != 2 {
		t.Fatalf("after a range deletion ending at the key the counter is %d, want 2", got)
	}
	delRange("a", "c")
	if got := c.Load(); got != 3 {
		t.Fatalf("after a range deletion covering the key the counter is %d, want 3", got)
	}
}

// The counter is bumped before the write is visible: a reader that sees
// the new value also sees the new count.
func TestWatchKeyBeforeVisible(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem(), NoSync: true})
	defer s.Close()
	c := s.WatchKey([]byte("k"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 250; i++ {
			_ = s.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte{byte(i)}) })
		}
	}()
	var seen int
	for {
		select {
		case <-done:
			if seen == 0 {
				t.Log("no read overlapped a write")
			}
			return
		default:
		}
		vals, err := s.GetMulti(t.Context(), [][]byte{[]byte("k")})
		if err != nil {
			t.Fatal(err)
		}
		// The value written by the n-th Update is byte(n-1); the counter
		// must already be at least n.
		if vals[0] != nil {
			seen++
			if n := uint64(vals[0][0]) + 1; c.Load() < n {
				t.Fatalf("read the value of write %d with the counter at %d", n, c.Load())
			}
		}
	}
}
