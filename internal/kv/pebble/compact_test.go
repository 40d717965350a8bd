package pebble

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"coffer/internal/kv"
)

// bucketKey is a key of the object layer's shape: a namespace byte, an
// 8-byte id (the 9-byte prefix deletes are grouped by), then a name.
func bucketKey(id uint64, i int) []byte {
	k := []byte{'C'}
	k = binary.BigEndian.AppendUint64(k, id)
	return fmt.Appendf(k, "obj/%08d", i)
}

func fillKeys(t *testing.T, s *Store, id uint64, n, valueSize, perTxn int) {
	t.Helper()
	v := make([]byte, valueSize)
	for i := 0; i < n; i += perTxn {
		err := s.Update(t.Context(), func(tx kv.Txn) error {
			for j := i; j < min(i+perTxn, n); j++ {
				_, _ = rand.Read(v) // incompressible, as object data is
				if err := tx.Set(bucketKey(id, j), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func deleteKeys(t *testing.T, s *Store, id uint64, from, to, step, perTxn int) {
	t.Helper()
	for i := from; i < to; i += perTxn * step {
		err := s.Update(t.Context(), func(tx kv.Txn) error {
			for j := i; j < min(i+perTxn*step, to); j += step {
				if err := tx.Delete(bucketKey(id, j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func countKeys(t *testing.T, s *Store, id uint64) int {
	t.Helper()
	p := bucketKey(id, 0)[:9]
	n := 0
	err := s.View(t.Context(), func(tx kv.Reader) error {
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// After a bulk delete of a range, its sstable space comes back within a
// bounded time, with no further writes (Pebble alone keeps the tombstones
// in the memtable and the records they shadow in the sstables: 20 MiB
// here, indefinitely).
func TestDeleteCompactionReturnsSpace(t *testing.T) {
	s := openTest(t, Options{Dir: t.TempDir(), MemTableSize: 1 << 20,
		DeleteCompaction: DeleteCompactionOptions{Quiet: 100 * time.Millisecond}})
	defer s.Close()
	const n, size = 20000, 1024
	fillKeys(t, s, 7, n, size, 500)
	// A neighbouring range that stays: its records must survive, and it
	// must not make the deleted range look sparse.
	fillKeys(t, s, 8, 100, size, 100)
	if got := s.Stats().TableBytes; got < n*size/2 {
		t.Fatalf("after the writes, sstables hold %d bytes, want at least %d (the test needs them flushed)", got, n*size/2)
	}
	deleteKeys(t, s, 7, 0, n, 1, 1000)

	const limit = 2 << 20
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := s.Stats()
		if st.TableBytes < limit {
			t.Logf("sstables %d bytes after the delete (%d delete compactions)", st.TableBytes, st.DeleteCompactions)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("60 s after deleting %d records of %d bytes, sstables still hold %d bytes (want < %d); delete compactions %d, skipped %d",
				n, size, st.TableBytes, limit, st.DeleteCompactions, st.DeleteCompactionsSkipped)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := countKeys(t, s, 7); got != 0 {
		t.Fatalf("the deleted range still has %d keys", got)
	}
	if got := countKeys(t, s, 8); got != 100 {
		t.Fatalf("the neighbouring range has %d keys, want 100", got)
	}
}

// A few deletes spread over a large range are left to Pebble: compacting
// the range would rewrite all of it to drop a few records.
func TestDeleteCompactionSkipsSparse(t *testing.T) {
	s := openTest(t, Options{Dir: t.TempDir(), MemTableSize: 1 << 20,
		DeleteCompaction: DeleteCompactionOptions{MinDeletes: 500, Quiet: 50 * time.Millisecond}})
	defer s.Close()
	fillKeys(t, s, 3, 20000, 100, 1000)
	if err := s.db.Flush(); err != nil {
		t.Fatal(err)
	}
	deleteKeys(t, s, 3, 0, 20000, 20, 1000) // 1,000 deletes, one in 20
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := s.Stats()
		if st.DeleteCompactions > 0 {
			t.Fatalf("a range with 5%% of its records deleted was compacted")
		}
		if st.DeleteCompactionsSkipped > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sparse range was neither compacted nor skipped in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := countKeys(t, s, 3); got != 19000 {
		t.Fatalf("%d keys left, want 19000", got)
	}
}

// Close right after a bulk delete neither hangs nor leaves a compaction
// running against a closed database, and the deletes are durable.
func TestDeleteCompactionClose(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir, MemTableSize: 1 << 20,
		DeleteCompaction: DeleteCompactionOptions{MinDeletes: 100, Quiet: time.Millisecond, Interval: time.Millisecond}})
	fillKeys(t, s, 1, 3000, 512, 500)
	deleteKeys(t, s, 1, 0, 3000, 1, 100)
	time.Sleep(5 * time.Millisecond) // let a compaction start
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close hung")
	}
	s = openTest(t, Options{Dir: dir})
	defer s.Close()
	if got := countKeys(t, s, 1); got != 0 {
		t.Fatalf("%d deleted keys back after reopening", got)
	}
}

// The tally keeps a busy group even when many groups of one delete each
// (blob references deleted with their objects) compete for its slots.
func TestDelTallyKeepsBusyGroup(t *testing.T) {
	tl := delTally{prefixLen: 9, max: txnGroups}
	now := time.Now()
	for i := range 1000 {
		junk := []byte{'R'}
		junk = binary.BigEndian.AppendUint64(junk, uint64(i)*977)
		tl.add(junk, junk, 1, now)
		k := bucketKey(5, i)
		tl.add(k, k, 1, now)
	}
	if len(tl.groups) > txnGroups {
		t.Fatalf("%d groups, bound %d", len(tl.groups), txnGroups)
	}
	g := tl.find(bucketKey(5, 0)[:9])
	if g == nil || g.n != 1000 {
		t.Fatalf("busy group %+v, want 1000 deletes", g)
	}
	if !bytes.Equal(g.lo, bucketKey(5, 0)) || !bytes.Equal(g.hi, bucketKey(5, 999)) {
		t.Fatalf("span [%q, %q]", g.lo, g.hi)
	}
}

func TestDeleteCompactionValidate(t *testing.T) {
	err := (&Options{Dir: "x", DeleteCompaction: DeleteCompactionOptions{MinDeletes: -1, PrefixLen: -1,
		Quiet: -time.Second, MinDensity: 2}}).Validate()
	if err == nil {
		t.Fatal("invalid DeleteCompaction accepted")
	}
	for _, want := range []string{"MinDeletes", "PrefixLen", "durations", "MinDensity"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	o := (&Options{Dir: "x"}).withDefaults().DeleteCompaction
	if o.MinDeletes != defaultDCMinDeletes || o.PrefixLen != 9 || o.Quiet != time.Second || o.MinDensity != 0.1 {
		t.Fatalf("defaults %+v", o)
	}
}

// Deletes under a Skip prefix are not counted: the same bulk delete that
// is compacted under another prefix is left to Pebble there.
func TestDeleteCompactionSkipsChurnPrefixes(t *testing.T) {
	s := openTest(t, Options{Dir: t.TempDir(), MemTableSize: 1 << 20,
		DeleteCompaction: DeleteCompactionOptions{Quiet: 50 * time.Millisecond, MinDeletes: 1000, Interval: 10 * time.Millisecond,
			Skip: [][]byte{{'C'}}}})
	defer s.Close()
	fillKeys(t, s, 7, 5000, 256, 500) // 'C' keys: skipped
	deleteKeys(t, s, 7, 0, 5000, 1, 1000)
	time.Sleep(500 * time.Millisecond) // ten times Quiet
	if st := s.Stats(); st.DeleteCompactions != 0 || st.DeleteCompactionsSkipped != 0 {
		t.Fatalf("deletes under a skipped prefix were compacted: %+v", st)
	}
	// The same under a prefix that is not skipped is compacted.
	v := make([]byte, 256)
	key := func(i int) []byte { return append([]byte{'X'}, bucketKey(7, i)[1:]...) }
	for _, del := range []bool{false, true} {
		err := s.Update(t.Context(), func(tx kv.Txn) error {
			for i := range 5000 {
				if del {
					if err := tx.Delete(key(i)); err != nil {
						return err
					}
				} else if err := tx.Set(key(i), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.Stats().DeleteCompactions == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a bulk delete under an unskipped prefix was not compacted in 30 s: %+v", s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
