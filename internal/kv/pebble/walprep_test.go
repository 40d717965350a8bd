package pebble

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"coffer/internal/kv"
)

// A fresh WAL is written to its preallocated size before the first commit
// (so commits overwrite written blocks and the file never grows, as in a
// recycled log), unless SparseWALs; either way every commit survives a
// reopen, the zeros after the last record read as the log's end.
func TestFreshWALPrewritten(t *testing.T) {
	const memtable = 1 << 20
	for _, sparse := range []bool{false, true} {
		t.Run(fmt.Sprintf("sparse=%v", sparse), func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Dir: dir, MemTableSize: memtable, SparseWALs: sparse}
			s := openTest(t, o)
			for i := range 50 {
				if err := s.Update(t.Context(), func(tx kv.Txn) error {
					return tx.Set(fmt.Appendf(nil, "k%03d", i), make([]byte, 100))
				}); err != nil {
					t.Fatal(err)
				}
			}
			logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
			if err != nil || len(logs) == 0 {
				t.Fatalf("no WAL in %s: %v", dir, err)
			}
			fi, err := os.Stat(logs[len(logs)-1])
			if err != nil {
				t.Fatal(err)
			}
			written := int64(memtable + memtable/10)
			if prewritten := fi.Size() >= written; prewritten == sparse {
				t.Fatalf("the live WAL is %d bytes long (prewritten to %d: %v), SparseWALs %v", fi.Size(), written, prewritten, sparse)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTest(t, o)
			defer s.Close()
			err = s.View(t.Context(), func(tx kv.Reader) error {
				for i := range 50 {
					if _, err := tx.Get(fmt.Appendf(nil, "k%03d", i)); err != nil {
						return fmt.Errorf("k%03d after a reopen: %w", i, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
