// Command usagefold measures what a bucket's folded usage deltas cost its
// readers (issue 12, "Scale checks"): every write records a usage delta, the
// collector folds them into the bucket's usage record, and GetBucket and
// every PUT into a bucket with a quota sum the deltas not folded yet. It
// writes N small objects into one bucket through the object layer (16
// clients, the server's Pebble sizing, fsync on; or PostgreSQL with -pg),
// folds, and then reports GetBucket's latency and, after giving the bucket
// a quota, the PUT rate of that bucket next to a fresh bucket with a quota.
//
//	go run ./bench/usagefold -dir /tmp/uf [-objects 300000 -clients 16 -for 10s]
//	go run ./bench/usagefold -dir /tmp/uf -pg "$COFFER_METADATA"    # PostgreSQL metadata
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/kv/postgres"
	"coffer/internal/loadgen"
	"coffer/internal/objects"
	"coffer/internal/server"
)

const tenant = "uf"

func main() {
	dir := flag.String("dir", "", "data directory (must be empty or missing)")
	n := flag.Int("objects", 300000, "objects (usage deltas) to write and fold before measuring")
	size := flag.Int("size", 16, "object size in bytes")
	clients := flag.Int("clients", 16, "concurrent PUTs")
	dur := flag.Duration("for", 10*time.Second, "how long each quota PUT measurement runs")
	pg := flag.String("pg", "", "PostgreSQL DSN for the metadata (default: Pebble in -dir)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := run(*dir, *pg, *n, *size, *clients, *dur); err != nil {
		log.Fatal(err)
	}
}

func run(dir, pg string, n, size, clients int, dur time.Duration) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var st kv.Store
	store := "pebble"
	if pg != "" {
		p, err := postgres.Open(ctx, postgres.Options{DSN: pg, Schema: fmt.Sprintf("usagefold_%d", time.Now().UnixNano())})
		if err != nil {
			return err
		}
		st, store = p, "postgres"
	} else {
		mem, err := server.PlanMemory(server.DefaultMemoryBudget)
		if err != nil {
			return err
		}
		p, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta"), Logger: logger, CacheSize: mem.PebbleCache,
			MemTableSize: mem.PebbleMemTable, ConflictLogBytes: mem.PebbleConflictLog})
		if err != nil {
			return err
		}
		st = p
	}
	defer st.Close()
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		return err
	}
	svc, err := objects.New(objects.Options{KV: st, Blobs: bl, Logger: logger})
	if err != nil {
		return err
	}
	defer svc.Close()
	for _, b := range []string{"history", "fresh"} {
		if _, err := svc.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: b, Owner: tenant}); err != nil {
			return err
		}
	}
	fmt.Printf("store %s, %d objects of %d B, %d clients, load %s\n", store, n, size, clients, loadgen.LoadAvg())

	start := time.Now()
	if _, err := put(ctx, svc, "history", "h", n, 0, size, clients); err != nil {
		return err
	}
	fmt.Printf("wrote %d objects in %.1f s (%.0f PUT/s), load %s\n", n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds(), loadgen.LoadAvg())
	if err := svc.FoldUsage(ctx); err != nil {
		return err
	}
	getBucket(ctx, svc, "history", "after the fold")
	getBucket(ctx, svc, "fresh", "(no deltas ever: the floor)")

	quota := int64(1) << 50
	for _, b := range []string{"history", "fresh"} {
		if _, err := svc.UpdateBucket(ctx, tenant, b, objects.BucketUpdate{QuotaBytes: &quota}); err != nil {
			return err
		}
	}
	for _, b := range []string{"fresh", "history", "fresh", "history"} { // alternated
		done, err := put(ctx, svc, b, fmt.Sprintf("q%d-", time.Now().UnixNano()), 0, dur, size, clients)
		if err != nil {
			return err
		}
		fmt.Printf("bucket %-8s with a quota: %6.0f PUT/s over %s, load %s\n", b, float64(done)/dur.Seconds(), dur, loadgen.LoadAvg())
	}
	getBucket(ctx, svc, "history", "after the quota PUTs")
	return nil
}

// getBucket reports GetBucket's latency over 200 calls.
func getBucket(ctx context.Context, svc *objects.Service, b, when string) {
	var lat []time.Duration
	var objs int64
	for range 200 {
		t := time.Now()
		bi, err := svc.GetBucket(ctx, tenant, b)
		if err != nil {
			log.Fatal(err)
		}
		lat = append(lat, time.Since(t))
		objs = bi.Objects
	}
	slices.Sort(lat)
	fmt.Printf("GetBucket %s (%d objects) %s: median %v, p90 %v, max %v, load %s\n", b, objs, when,
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*9/10].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), loadgen.LoadAvg())
}

// put writes n objects (or, with n 0, as many as it can for dur) named
// prefix+i into bucket b with clients concurrent writers, and returns how
// many it wrote.
func put(ctx context.Context, svc *objects.Service, b, prefix string, n int, dur time.Duration, size, clients int) (int64, error) {
	var next, done atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			data := bytes.Repeat([]byte("u"), size)
			for {
				i := next.Add(1) - 1
				if n > 0 && i >= int64(n) || n == 0 && time.Now().After(deadline) {
					return
				}
				body, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
				if err == nil {
					_, err = svc.PutObject(ctx, objects.PutInput{Tenant: tenant, Bucket: b, Key: fmt.Sprint(prefix, i),
						Body: body, Size: int64(size), Owner: tenant})
				}
				if err != nil {
					errc <- fmt.Errorf("put %s%d: %w", prefix, i, err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errc:
		return done.Load(), err
	default:
	}
	return done.Load(), nil
}
