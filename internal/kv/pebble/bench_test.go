package pebble

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

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
