package md5x

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// processCPU is the process's user+system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConcurrentStreams hashes 4 and 8 concurrent 16 MiB bodies in
// 128 KiB writes (what the checksum Reader hands MD5 past its first
// 256 KiB), with crypto/md5 per stream and on the shared hasher. One op
// is one body on each stream. MB/s is
// the aggregate; cpu-ns/B is the process's CPU time per hashed byte, the
// figure that matters on a machine whose cores are all busy.
func BenchmarkConcurrentStreams(b *testing.B) {
	const size, write = 16 << 20, 128 << 10
	data := randomBytes(1, size)
	for _, streams := range []int{1, 2, 3, 4, 8} {
		// md5x-always shares every stream (MinStreams 1); md5x is the
		// default, crypto/md5 below 3 streams.
		for _, mode := range []string{"crypto-md5", "md5x-always", "md5x"} {
			b.Run(fmt.Sprintf("streams=%d/%s", streams, mode), func(b *testing.B) {
				o := Options{Disabled: mode == "crypto-md5"}
				if mode == "md5x-always" {
					o.MinStreams = 1
				}
				s := newServer(b, o)
				if mode != "crypto-md5" && !s.Shared() {
					b.Skip("no AVX2")
				}
				b.SetBytes(int64(streams) * size)
				cpu0 := processCPU(b)
				b.ResetTimer()
				// Each stream is a client hashing b.N bodies one after
				// another, as put16m's clients PUT: the streams overlap
				// in a steady state, not in lockstep.
				var wg sync.WaitGroup
				for range streams {
					wg.Go(func() {
						for range b.N {
							h := s.Hash(size)
							for p := data; len(p) > 0; p = p[write:] {
								h.Write(p[:write])
							}
							h.Sum(nil)
							h.Close()
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				cpu := processCPU(b) - cpu0
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(int64(b.N)*int64(streams)*size), "cpu-ns/B")
			})
		}
	}
}
