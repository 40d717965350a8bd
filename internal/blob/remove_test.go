package blob_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"coffer/internal/blob"
	"coffer/internal/errs"
)

// syncCountFS counts directory syncs per directory.
type syncCountFS struct {
	blob.FS
	mu    sync.Mutex
	syncs map[string]int
}

func (c *syncCountFS) SyncDir(dir string) error {
	c.mu.Lock()
	c.syncs[dir]++
	c.mu.Unlock()
	return c.FS.SyncDir(dir)
}

// RemoveMany removes every blob durably (a power cut right after it brings
// none back) with one sync per directory, not one per blob.
func TestRemoveManyDurableOneSyncPerDir(t *testing.T) {
	cfs := blob.NewCrashFS()
	counting := &syncCountFS{FS: cfs, syncs: map[string]int{}}
	s, err := blob.Open(blob.Options{Dir: "/d", FS: counting, Fanout: 1})
	if err != nil {
		t.Fatal(err)
	}
	keep := commit(t, s, []byte("keep"))
	var ids []blob.ID
	for i := range 200 {
		ids = append(ids, commit(t, s, payload(uint64(i), 100)))
	}
	ids = append(ids, ids[0], "not-an-id") // repeated and malformed ids are fine
	counting.mu.Lock()
	clear(counting.syncs)
	counting.mu.Unlock()
	done, err := s.RemoveMany(ids)
	if err != nil || done != len(ids) {
		t.Fatalf("RemoveMany = %d, %v", done, err)
	}
	total := 0
	for d, n := range counting.syncs {
		if n != 1 {
			t.Errorf("directory %s synced %d times, want once", d, n)
		}
		total += n
	}
	if total == 0 || total > 16 {
		t.Errorf("%d directory syncs for 200 blobs over 16 directories", total)
	}
	after, err := blob.Open(blob.Options{Dir: "/d", FS: cfs.Crash(), Fanout: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := walkAll(t, after)
	if _, ok := got[keep]; len(got) != 1 || !ok {
		t.Fatalf("after a power cut: %d blobs, want only %s", len(got), keep)
	}
	if _, err := after.Open(ids[1]); !errors.Is(err, errs.NotFound) {
		t.Fatalf("removed blob after a power cut: %v", err)
	}
}

// A failed directory sync reports nothing done: the caller retries all.
func TestRemoveManySyncFailure(t *testing.T) {
	ffs := &faultFS{FS: blob.NewCrashFS()}
	s, err := blob.Open(blob.Options{Dir: "/d", FS: ffs})
	if err != nil {
		t.Fatal(err)
	}
	ids := []blob.ID{commit(t, s, []byte("a")), commit(t, s, []byte("b"))}
	ffs.syncDir = func(dir string) error {
		if strings.Contains(dir, "blobs") {
			return errInjected
		}
		return nil
	}
	done, err := s.RemoveMany(ids)
	if err == nil || done != 0 {
		t.Fatalf("RemoveMany with failing syncs = %d, %v; want 0 and an error", done, err)
	}
	ffs.syncDir = nil
	if done, err := s.RemoveMany(ids); err != nil || done != 2 {
		t.Fatalf("retry = %d, %v", done, err)
	}
}
