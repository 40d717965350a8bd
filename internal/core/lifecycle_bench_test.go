package core

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/objects"
	"coffer/internal/testkit"
)

// BenchmarkLifecyclePass measures one lifecycle walk over a bucket of
// COFFER_BENCH_KEYS keys (default 1,000,000) written through the object
// layer (PutObject, 16 concurrent writers, 100-byte inline objects) on
// real Pebble: first a pass where no key is due (the scan alone), then one
// where every key expires (the scan plus one delete transaction per batch
// of 1000). It reports keys/s of each pass and the peak Go heap in use in
// the process during it (sampled every 20 ms; the object layer's background
// usage fold is included), plus the process's peak RSS. Run with
// -benchtime 1x; see docs/benchmarks.md.
func BenchmarkLifecyclePass(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("COFFER_BENCH_KEYS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		e := &lcEnv{t: &testing.T{}, dir: b.TempDir(), clock: testkit.NewClock(time.Now().UTC())}
		e.open()
		e.s.opts.LifecycleBatch = DefaultLifecycleBatch
		e.s.opts.Day = 24 * time.Hour
		boot, err := e.s.Bootstrap(vtCtx, BootstrapInput{TenantName: "default"})
		if err != nil {
			b.Fatal(err)
		}
		e.tenant = boot.Tenant.UUID
		if _, err := e.obj.CreateBucket(vtCtx, objects.CreateBucketInput{Tenant: e.tenant, Name: "bench"}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		body := bytes.Repeat([]byte("x"), 100)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					r, _ := checksum.NewReader(bytes.NewReader(body), checksum.Expect{})
					if _, err := e.obj.PutObject(vtCtx, objects.PutInput{Tenant: e.tenant, Bucket: "bench",
						Key: fmt.Sprintf("data/%02d/%09d", i%97, i), Body: r, Size: int64(len(body))}); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
		gen := time.Since(start)
		b.Logf("generated %d keys through PutObject in %v (%.0f keys/s)", n, gen.Round(time.Millisecond), float64(n)/gen.Seconds())
		// Fold the generation's usage deltas now (the object layer's
		// background fold would otherwise run during the first pass).
		start = time.Now()
		if err := e.obj.FoldUsage(vtCtx); err != nil {
			b.Fatal(err)
		}
		b.Logf("folded the usage deltas in %v", time.Since(start).Round(time.Millisecond))
		c := fmt.Sprintf(rule, "bench", "data/", `<Expiration><Days>1</Days></Expiration>`)
		e.rules("bench", c)

		pass := func(name string, wantExpired int) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				t := time.NewTicker(20 * time.Millisecond)
				defer t.Stop()
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
					}
				}
			}()
			start := time.Now()
			res, err := e.s.RunBucketLifecycle(vtCtx, e.tenant, "bench", nil)
			took := time.Since(start)
			close(stop)
			<-done
			if err != nil {
				b.Fatal(err)
			}
			if res.Examined != n || res.Expired != wantExpired {
				b.Fatalf("%s: %+v", name, res)
			}
			rate := float64(n) / took.Seconds()
			b.ReportMetric(rate, name+"-keys/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), name+"-peak-heap-MiB")
			b.Logf("%s pass: %d keys in %v = %.0f keys/s, %d batches; heap in use %.1f MiB before, peak %.1f MiB",
				name, n, took.Round(time.Millisecond), rate, res.Batches, float64(base.HeapInuse)/(1<<20), float64(peak.Load())/(1<<20))
		}
		pass("scan", 0)
		e.clock.Advance(3 * 24 * time.Hour)
		pass("expire", n)
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
			b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MiB")
		}
		if got := e.listing("bench"); got != "" {
			b.Fatalf("left %d bytes of listing", len(got))
		}
		e.close()
	}
}
