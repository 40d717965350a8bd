package objects

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/blob"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

// writeCountingStore records, for each Update attempt, how many keys it set
// or deleted, and runs beforeUpdate (when set) before each one: a seam to
// cut the power between two of the fold's transactions.
type writeCountingStore struct {
	kv.Store
	mu           sync.Mutex
	writes       []int
	beforeUpdate func(n int)
}

type writeCountingTxn struct {
	kv.Txn
	n int
}

func (t *writeCountingTxn) Set(k, v []byte) error { t.n++; return t.Txn.Set(k, v) }
func (t *writeCountingTxn) Delete(k []byte) error { t.n++; return t.Txn.Delete(k) }

func (c *writeCountingStore) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	c.mu.Lock()
	n, hook := len(c.writes), c.beforeUpdate
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	var ct *writeCountingTxn
	err := c.Store.Update(ctx, func(tx kv.Txn) error {
		ct = &writeCountingTxn{Txn: tx}
		return fn(ct)
	})
	c.mu.Lock()
	c.writes = append(c.writes, ct.n)
	c.mu.Unlock()
	return err
}

// reset forgets the writes counted so far and installs hook.
func (c *writeCountingStore) reset(hook func(n int)) {
	c.mu.Lock()
	c.writes, c.beforeUpdate = nil, hook
	c.mu.Unlock()
}

func countDeltas(t *testing.T, st kv.Store) int {
	t.Helper()
	n := 0
	err := st.View(ctx, func(tx kv.Reader) error {
		p := []byte{nsDelta}
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

// putSizes writes one object per size into bucket and returns the total.
func putSizes(t *testing.T, s *Service, bucket string, n int) int64 {
	t.Helper()
	var total int64
	for i := 0; i < n; i++ {
		data := make([]byte, 1+i%7)
		if _, err := s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: bucket, Key: fmt.Sprint("k", i), Body: body(t, data), Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		total += int64(len(data))
	}
	return total
}

// TestFoldUsage_boundedBatches folds more deltas than one batch holds: the
// total is exact, every delta is gone, and no fold transaction wrote more
// than a batch of deletions plus the folded record.
func TestFoldUsage_boundedBatches(t *testing.T) {
	const batch, objects = 10, 95
	dir := t.TempDir()
	inner := openKV(t, dir)
	st := &writeCountingStore{Store: inner}
	bl, err := blob.Open(blob.Options{Dir: dir + "/data"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{KV: st, Blobs: bl, UsageFoldBatch: batch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); inner.Close() })
	s.SetCollectorGate(func() bool { return false }) // only this test folds
	if _, err := s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "fold"}); err != nil {
		t.Fatal(err)
	}
	want := putSizes(t, s, "fold", objects)
	if n := countDeltas(t, inner); n != objects {
		t.Fatalf("%d deltas before the fold, want %d", n, objects)
	}
	st.reset(nil)
	if err := s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countDeltas(t, inner); n != 0 {
		t.Fatalf("%d deltas left after the fold", n)
	}
	bi, err := s.GetBucket(ctx, tenant, "fold")
	if err != nil {
		t.Fatal(err)
	}
	if bi.Objects != objects || bi.UsedBytes != want {
		t.Fatalf("usage %d objects %d bytes, want %d and %d", bi.Objects, bi.UsedBytes, objects, want)
	}
	st.mu.Lock()
	writes := append([]int(nil), st.writes...)
	st.mu.Unlock()
	if len(writes) < objects/batch+1 {
		t.Fatalf("%d fold transactions for %d deltas in batches of %d: %v", len(writes), objects, batch, writes)
	}
	for i, w := range writes {
		if w > batch+1 {
			t.Fatalf("fold transaction %d wrote %d keys, more than a batch of %d plus the total", i, w, batch)
		}
	}
	// A second pass finds nothing and changes nothing.
	if err := s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if bi2, _ := s.GetBucket(ctx, tenant, "fold"); bi2.Objects != bi.Objects || bi2.UsedBytes != bi.UsedBytes {
		t.Fatalf("second fold changed usage: %+v", bi2)
	}
}

// TestFoldUsage_powerCut cuts the power between two batches of a fold
// (keeping only what was synced), reopens, and checks that the usage read
// from the folded record plus the surviving deltas is exact, and that the
// next fold completes it.
func TestFoldUsage_powerCut(t *testing.T) {
	const batch, objects = 8, 60
	for _, cutAt := range []int{1, 3, 7} {
		t.Run(fmt.Sprint(cutAt), func(t *testing.T) {
			mfs := vfs.NewCrashableMem()
			bfs := blob.NewCrashFS()
			inner, err := pebble.Open(pebble.Options{Dir: "/meta", FS: mfs})
			if err != nil {
				t.Fatal(err)
			}
			st := &writeCountingStore{Store: inner}
			bl, err := blob.Open(blob.Options{Dir: "/data", FS: bfs})
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(Options{KV: st, Blobs: bl, InlineMax: 256, UsageFoldBatch: batch})
			if err != nil {
				t.Fatal(err)
			}
			s.SetCollectorGate(func() bool { return false })
			if _, err := s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "fold"}); err != nil {
				t.Fatal(err)
			}
			want := putSizes(t, s, "fold", objects)
			var crashed *vfs.MemFS
			st.reset(func(n int) {
				if n == cutAt && crashed == nil {
					crashed = mfs.CrashClone(vfs.CrashCloneCfg{})
				}
			})
			if err := s.FoldUsage(ctx); err != nil {
				t.Fatal(err)
			}
			s.Close()
			inner.Close()
			if crashed == nil {
				t.Fatalf("the fold ran fewer than %d transactions", cutAt+1)
			}

			st2, err := pebble.Open(pebble.Options{Dir: "/meta", FS: crashed})
			if err != nil {
				t.Fatal(err)
			}
			defer st2.Close()
			bl2, err := blob.Open(blob.Options{Dir: "/data", FS: bfs.Crash()})
			if err != nil {
				t.Fatal(err)
			}
			s2, err := New(Options{KV: st2, Blobs: bl2, InlineMax: 256, UsageFoldBatch: batch})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			s2.SetCollectorGate(func() bool { return false })
			left := countDeltas(t, st2)
			if left != objects-cutAt*batch {
				t.Fatalf("%d deltas survived the cut after %d batches of %d, want %d", left, cutAt, batch, objects-cutAt*batch)
			}
			var folded usageRecord
			if err := st2.View(ctx, func(tx kv.Reader) error {
				b, err := getBucket(tx, tenant, "fold")
				if err != nil {
					return err
				}
				folded, err = readFolded(tx, b.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if folded.Objects != int64(cutAt*batch) {
				t.Fatalf("folded record counts %d objects after %d batches of %d", folded.Objects, cutAt, batch)
			}
			for _, step := range []string{"after the cut", "after the next fold"} {
				bi, err := s2.GetBucket(ctx, tenant, "fold")
				if err != nil {
					t.Fatal(err)
				}
				if bi.Objects != objects || bi.UsedBytes != want {
					t.Fatalf("%s: usage %d objects %d bytes, want %d and %d", step, bi.Objects, bi.UsedBytes, objects, want)
				}
				if err := s2.FoldUsage(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if n := countDeltas(t, st2); n != 0 {
				t.Fatalf("%d deltas left after the fold that followed the cut", n)
			}
		})
	}
}
