package pebble

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"coffer/internal/kv"
)

func TestMemoryOptionsReachPebble(t *testing.T) {
	o := Options{Dir: "x", CacheSize: 24 << 20, MemTableSize: 8 << 20, ConflictLogBytes: 8 << 20}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	w := o.withDefaults()
	cache := pebble.NewCache(w.CacheSize)
	defer cache.Unref()
	po := w.pebbleOptions(cache)
	if po.MemTableSize != 8<<20 || po.Cache.MaxSize() != 24<<20 {
		t.Fatalf("pebble options: memtable %d cache %d, want 8 MiB and 24 MiB", po.MemTableSize, po.Cache.MaxSize())
	}
	s := openTest(t, Options{Dir: t.TempDir(), CacheSize: 24 << 20, MemTableSize: 8 << 20, ConflictLogBytes: 2 << 20})
	defer s.Close()
	if c := s.Config(); c.CacheSize != 24<<20 || c.MemTableSize != 8<<20 || c.ConflictLogBytes != 2<<20 || s.clog.maxBytes != 2<<20 {
		t.Fatalf("store config %+v, conflict log %d", c, s.clog.maxBytes)
	}
	d := openTest(t, Options{Dir: t.TempDir()})
	defer d.Close()
	if c := d.Config(); c.CacheSize != defaultCacheSize || c.MemTableSize != defaultMemTableSize || c.ConflictLogBytes != defaultLogBytes {
		t.Fatalf("default config %+v", c)
	}
}

func TestConflictLogBytesValidate(t *testing.T) {
	if err := (&Options{Dir: "x", ConflictLogBytes: 1000}).Validate(); err == nil {
		t.Fatal("a 1000-byte conflict log was accepted")
	}
}

// allocated is the disk space (allocated blocks, as du counts it) of the
// files under dir.
func allocated(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return err
		}
		n += st.Blocks * 512
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A fresh database takes about 110% of one memtable on disk: Pebble
// preallocates its write-ahead log to that size. The memory budget's small
// memtable keeps a fresh data directory small (issue 12).
func TestFreshDatabaseSizeFollowsMemTable(t *testing.T) {
	sizeWith := func(memtable int64) int64 {
		dir := t.TempDir()
		s := openTest(t, Options{Dir: dir, MemTableSize: memtable})
		for i := range 100 {
			if err := s.Update(context.Background(), func(tx kv.Txn) error {
				return tx.Set([]byte(fmt.Sprintf("k%03d", i)), []byte("v"))
			}); err != nil {
				t.Fatal(err)
			}
		}
		n := allocated(t, dir)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	small := sizeWith(8 << 20)
	if small > 12<<20 {
		t.Errorf("fresh database with 8 MiB memtables takes %d bytes, want at most 12 MiB", small)
	}
	big := sizeWith(64 << 20)
	if big < 4*small {
		t.Logf("with 64 MiB memtables: %d bytes (the filesystem may not preallocate)", big)
	}
	t.Logf("fresh database: %.1f MiB with 8 MiB memtables, %.1f MiB with 64 MiB", float64(small)/(1<<20), float64(big)/(1<<20))
}
