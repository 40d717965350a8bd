package pebble

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

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

func TestBlockSizeOption(t *testing.T) {
	for _, bad := range []int{-1, 512, 2 << 20} {
		err := (&Options{Dir: "x", BlockSize: bad}).Validate()
		if err == nil || !strings.Contains(err.Error(), "BlockSize") {
			t.Errorf("BlockSize %d: Validate %v", bad, err)
		}
	}
	for _, tc := range []struct{ set, want int }{{0, defaultBlockSize}, {16 << 10, 16 << 10}} {
		o := Options{Dir: "x", BlockSize: tc.set}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		w := o.withDefaults()
		cache := pebble.NewCache(1 << 20)
		po := w.pebbleOptions(cache)
		cache.Unref()
		for i, l := range po.Levels {
			if l.BlockSize != tc.want || l.FilterPolicy == nil || l.FilterPolicy.Name() != bloom.FilterPolicy(10).Name() {
				t.Errorf("BlockSize %d: level %d has block size %d, filter %v; want %d and a bloom filter", tc.set, i, l.BlockSize, l.FilterPolicy, tc.want)
			}
		}
	}
}

// The block size reaches the sstables written: their data blocks average
// about the target size.
func TestBlockSizeReachesTables(t *testing.T) {
	meanBlock := func(blockSize int) float64 {
		s := openTest(t, Options{Dir: t.TempDir(), BlockSize: blockSize, MemTableSize: 4 << 20})
		defer s.Close()
		val := make([]byte, 300)
		for i := range 100 {
			if err := s.Update(context.Background(), func(tx kv.Txn) error {
				for j := range 200 {
					copy(val, fmt.Sprintf("value %d/%d", i, j))
					if err := tx.Set(fmt.Appendf(nil, "k%06d/%03d", i, j), val); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
		tables, err := s.db.SSTables(pebble.WithProperties())
		if err != nil {
			t.Fatal(err)
		}
		var blocks, raw uint64
		for _, level := range tables {
			for _, tb := range level {
				blocks += tb.Properties.NumDataBlocks
				raw += tb.Properties.RawKeySize + tb.Properties.RawValueSize
			}
		}
		if blocks == 0 {
			t.Fatalf("block size %d: no data blocks in %d levels", blockSize, len(tables))
		}
		return float64(raw) / float64(blocks)
	}
	small, big := meanBlock(0), meanBlock(32<<10)
	t.Logf("mean uncompressed data block: %.0f bytes by default, %.0f with 32 KiB", small, big)
	if small > 6<<10 || big < 20<<10 {
		t.Fatalf("mean data block %.0f bytes by default (want about 4 KiB), %.0f with BlockSize 32 KiB", small, big)
	}
}
