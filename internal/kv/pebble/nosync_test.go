package pebble

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
)

// TestNoSync: with NoSync an acknowledged commit is not yet on disk (a power
// cut that keeps no unsynced data loses it, where a default store keeps it),
// and Close makes every commit durable.
func TestNoSync(t *testing.T) {
	const n = 200
	put := func(t *testing.T, s *Store) {
		t.Helper()
		for i := range n {
			if err := s.Update(t.Context(), func(tx kv.Txn) error {
				return tx.Set(fmt.Appendf(nil, "k%04d", i), []byte("v"))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(t *testing.T, fs vfs.FS) int {
		t.Helper()
		s := openTest(t, Options{Dir: "db", FS: fs})
		defer s.Close()
		got := 0
		if err := s.View(t.Context(), func(r kv.Reader) error {
			it := r.NewIterator([]byte("k"), []byte("l"))
			for ok := it.First(); ok; ok = it.Next() {
				got++
			}
			return it.Close()
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	cut := func(fs *vfs.MemFS) *vfs.MemFS {
		return fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	}
	for _, tc := range []struct {
		name                string
		noSync              bool
		beforeClose, closed int // keys that survive a power cut
	}{
		{"sync", false, n, n},
		{"nosync", true, 0, n},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			s := openTest(t, Options{Dir: "db", FS: fs, NoSync: tc.noSync})
			if s.Config().NoSync != tc.noSync {
				t.Fatalf("Config().NoSync = %v", s.Config().NoSync)
			}
			put(t, s)
			if got := count(t, cut(fs)); got != tc.beforeClose {
				t.Errorf("power cut before Close: %d of %d commits survived, want %d", got, n, tc.beforeClose)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := count(t, cut(fs)); got != tc.closed {
				t.Errorf("power cut after Close: %d of %d commits survived, want %d", got, n, tc.closed)
			}
		})
	}
}

func TestNoSyncReadOnlyRefused(t *testing.T) {
	err := (&Options{Dir: "x", NoSync: true, ReadOnly: true}).Validate()
	if err == nil || !strings.Contains(err.Error(), "NoSync") {
		t.Fatalf("Validate: %v, want NoSync with ReadOnly refused", err)
	}
}
