package objects

import (
	"fmt"
	"testing"
	"time"

	"coffer/internal/kv"
)

// deltaCount is how many usage deltas a bucket has not folded yet.
func (e *env) deltaCount(bucket string) int {
	e.t.Helper()
	n := 0
	err := e.kv.View(ctx, func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		p := bidPrefix(nsDelta, b.ID)
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		return it.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// A fold commits while writes to the same bucket keep committing: each
// folding transaction is interleaved with a PUT (a new delta). When the fold
// read the delta range, every such PUT conflicted with it, the fold retried
// until it gave up, and under a steady write load the deltas every GetBucket
// and quota check sums grew without bound (put4k fell 15x).
func TestFoldUsageCommitsUnderConcurrentWrites(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.GCInterval = 1 << 40 }) // no timed folds
	e.bucket("fff")
	for i := 0; i < 10; i++ {
		e.put("fff", fmt.Sprintf("before-%d", i), []byte("12345"))
	}
	interleaved := 0
	e.s.testHookFold = func() {
		interleaved++
		e.put("fff", fmt.Sprintf("during-%d", interleaved), []byte("1234567"))
	}
	if err := e.s.FoldUsage(ctx); err != nil {
		t.Fatalf("fold under concurrent writes: %v (after %d interleaved PUTs)", err, interleaved)
	}
	e.s.testHookFold = nil
	if interleaved != 1 {
		t.Fatalf("the folding transaction ran %d times; want one commit", interleaved)
	}
	// What the fold took is gone; the delta written during it is kept.
	if n := e.deltaCount("fff"); n != 1 {
		t.Fatalf("%d deltas left after the fold, want the 1 written during it", n)
	}
	bi, err := e.s.GetBucket(ctx, tenant, "fff")
	if err != nil || bi.Objects != 11 || bi.UsedBytes != 10*5+7 {
		t.Fatalf("usage after the fold: %d objects %d bytes %v", bi.Objects, bi.UsedBytes, err)
	}
	// GetBucketSettings is the same bucket without the usage sum.
	bs, err := e.s.GetBucketSettings(ctx, tenant, "fff")
	if err != nil || bs.Name != "fff" || bs.ID != bi.ID || bs.Objects != 0 || bs.UsedBytes != 0 {
		t.Fatalf("GetBucketSettings: %+v %v", bs, err)
	}
}

// Writes kick a fold every foldEvery deltas, without waiting for the
// collector's interval: the deltas to sum stay bounded.
func TestFoldKickedByWrites(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.GCInterval = 1 << 40 })
	e.bucket("kkk")
	for i := 0; i < foldEvery+10; i++ {
		e.put("kkk", fmt.Sprintf("k%d", i), []byte("x"))
	}
	// The kicked fold runs in the background: wait for it.
	for i := 0; i < 200 && e.deltaCount("kkk") >= foldEvery; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := e.deltaCount("kkk"); n >= foldEvery {
		t.Fatalf("%d deltas after %d writes: no fold was kicked", n, foldEvery+10)
	}
	bi, err := e.s.GetBucket(ctx, tenant, "kkk")
	if err != nil || bi.Objects != foldEvery+10 {
		t.Fatalf("usage: %d objects %v", bi.Objects, err)
	}
}
