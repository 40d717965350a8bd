package pebble

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/kv"
)

// BenchmarkUpdateParallel commits one 4 KiB value under a unique key per
// Update from many goroutines, on disk. "group" is the store as shipped: the
// fsync is awaited outside the commit lock, so concurrent commits share WAL
// syncs. "syncUnderLock" holds the commit lock until the fsync returns, one
// sync per commit, for comparison.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, mode := range []struct {
		name          string
		syncUnderLock bool
	}{{"group", false}, {"syncUnderLock", true}} {
		b.Run(mode.name, func(b *testing.B) {
			s := openTest(b, Options{Dir: b.TempDir(), syncUnderLock: mode.syncUnderLock})
			defer s.Close()
			value := make([]byte, 4<<10)
			var next atomic.Int64
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Appendf(nil, "bench/%012d", next.Add(1))
					err := s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set(key, value) })
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkDeleteTally is what the compaction of deleted ranges adds to a
// transaction's deletes (compact.go): the tally of one DeleteObjects of
// 1,000 blob-backed objects, a current-version key of one bucket and a
// reference key of a random blob id each, as txn.Delete keeps it.
func BenchmarkDeleteTally(b *testing.B) {
	keys := make([][]byte, 0, 2000)
	for i := range 1000 {
		keys = append(keys, fmt.Appendf(nil, "R%016x%016x", uint64(i)*0x9e3779b97f4a7c15, i))
		keys = append(keys, bucketKey(42, i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t := delTally{prefixLen: defaultDCPrefixLen, max: txnGroups}
		for _, k := range keys {
			t.add(k, k, 1, time.Time{})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/delete")
}
