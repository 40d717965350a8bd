package pebble

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
)

// sepRecords writes n records of size-byte random values and returns them.
func sepRecords(t *testing.T, s *Store, prefix string, n, size int) map[string][]byte {
	t.Helper()
	want := make(map[string][]byte, n)
	for i := range n {
		k, v := fmt.Sprintf("%s/%04d", prefix, i), make([]byte, size)
		rand.Read(v)
		want[k] = v
		if err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte(k), v) }); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func checkRecords(t *testing.T, s *Store, want map[string][]byte) {
	t.Helper()
	err := s.View(t.Context(), func(tx kv.Reader) error {
		for k, v := range want {
			got, err := tx.Get([]byte(k))
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			if !bytes.Equal(got, v) {
				return fmt.Errorf("%s: read %d bytes, not the %d written", k, len(got), len(v))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Values from SeparateValuesFrom (1 KiB by default) leave the sstables for
// blob files when flushed, smaller ones stay; both read back, after a
// reopen too; and deleting every large value returns the blob files' space
// once the range is compacted.
func TestLargeValuesSeparated(t *testing.T) {
	for _, tc := range []struct {
		name      string
		from      int
		separated bool
	}{{"default", 0, true}, {"off", -1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			o := Options{Dir: "db", FS: fs, SeparateValuesFrom: tc.from, DeleteCompaction: DeleteCompactionOptions{Disabled: true}}
			s := openTest(t, o)
			large := sepRecords(t, s, "big", 200, 4096)
			small := sepRecords(t, s, "small", 200, 300)
			if err := s.db.Flush(); err != nil {
				t.Fatal(err)
			}
			m := s.db.Metrics()
			tables := m.Total().TablesSize
			t.Logf("blob files %d (%d bytes), tables %d bytes", m.BlobFiles.LiveCount, m.BlobFiles.LiveSize, tables)
			if got := m.BlobFiles.LiveCount > 0; got != tc.separated {
				t.Fatalf("blob files: %d, want separated=%v", m.BlobFiles.LiveCount, tc.separated)
			}
			// The 800 KiB of large values are in the blob files, not the tables.
			if tc.separated && (m.BlobFiles.LiveSize < 200*4096 || tables > 200*4096/4) {
				t.Fatalf("blob files %d bytes, tables %d bytes: the large values are not apart", m.BlobFiles.LiveSize, tables)
			}
			checkRecords(t, s, large)
			checkRecords(t, s, small)

			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTest(t, o)
			defer s.Close()
			checkRecords(t, s, large)
			checkRecords(t, s, small)

			for k := range large {
				if err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.Delete([]byte(k)) }); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.db.Compact(t.Context(), []byte("big/"), []byte("big0"), true); err != nil {
				t.Fatal(err)
			}
			if m := s.db.Metrics(); m.BlobFiles.LiveCount != 0 || m.BlobFiles.LiveSize != 0 {
				t.Fatalf("after deleting every large value: %d blob files of %d bytes left", m.BlobFiles.LiveCount, m.BlobFiles.LiveSize)
			}
			checkRecords(t, s, small)
		})
	}
}

func TestSeparateValuesFromValidate(t *testing.T) {
	for _, from := range []int{-2, 1, 63} {
		err := (&Options{Dir: "x", SeparateValuesFrom: from}).Validate()
		if err == nil || !strings.Contains(err.Error(), "SeparateValuesFrom") {
			t.Errorf("SeparateValuesFrom %d: %v", from, err)
		}
	}
	for _, from := range []int{-1, 0, 64, 1 << 20} {
		if err := (&Options{Dir: "x", SeparateValuesFrom: from}).Validate(); err != nil {
			t.Errorf("SeparateValuesFrom %d: %v", from, err)
		}
	}
}

// BenchmarkGetSeparated reads 4 KiB records (a small object's inline body)
// from compacted sstables, with the value in a blob file (the default) and in
// the sstable: what value separation adds to a GET or HEAD of a small object.
//
//	go test ./internal/kv/pebble -run '^$' -bench GetSeparated -count 6
func BenchmarkGetSeparated(b *testing.B) {
	for _, tc := range []struct {
		name string
		from int
	}{{"sep", 0}, {"nosep", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := Open(Options{Dir: b.TempDir(), SeparateValuesFrom: tc.from, CacheSize: 24 << 20, MemTableSize: 8 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const n = 4000 // 16 MiB of values: within the server's default 24 MiB cache
			v := make([]byte, 4096)
			for i := 0; i < n; i += 100 {
				if err := s.Update(b.Context(), func(tx kv.Txn) error {
					for j := i; j < i+100; j++ {
						rand.Read(v)
						if err := tx.Set(fmt.Appendf(nil, "obj/%06d", j), v); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			// Flushed and compacted, so that no background work runs
			// while the Gets are timed.
			if err := s.db.Compact(b.Context(), []byte("obj/"), []byte("obj0"), true); err != nil {
				b.Fatal(err)
			}
			cpu0 := cpuTime(b)
			n0 := 0
			for i := 0; b.Loop(); i++ {
				n0++
				k := fmt.Appendf(nil, "obj/%06d", (i*7919)%n)
				if err := s.View(b.Context(), func(tx kv.Reader) error {
					got, err := tx.Get(k)
					if err == nil && len(got) != 4096 {
						err = fmt.Errorf("%d bytes", len(got))
					}
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time, not wall time: the machine is shared.
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n0), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user plus system CPU time in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
