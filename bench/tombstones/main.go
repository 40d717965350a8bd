// Command tombstones measures how soon the metadata space of a bulk delete
// comes back (issue 12, "deleted data's space returned promptly and
// measurably"): it writes N small objects through the object layer (over the
// embedded Pebble store on disk, sized as the server sizes it, no HTTP),
// deletes them all with DeleteObjects of 1,000 keys (as warp's cleanup does),
// and then, right after the last delete and at each of -at's delays, reports
// the metadata directory's size on disk (sstables and WAL), Pebble's own
// figures (live sstable bytes, memtable bytes), and how long a ListObjectsV2
// of the emptied bucket takes (the first page, 1,000 keys asked for).
//
//	go run ./bench/tombstones -dir /tmp/tomb [-objects 60000 -size 4096 -at 0s,10s,30s,60s]
//	go run ./bench/tombstones -dir /tmp/tomb2 -delete-compaction=false   # Pebble alone
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/kv/pebble"
	"coffer/internal/loadgen"
	"coffer/internal/objects"
	"coffer/internal/server"
)

// listProfile is -list-profile.
var listProfile string

const (
	tenant = "tomb"
	bucket = "emptied"
)

func main() {
	dir := flag.String("dir", "", "data directory (must be empty or missing)")
	n := flag.Int("objects", 60000, "objects to write, then delete")
	size := flag.Int("size", 4096, "object size in bytes (random, incompressible, as warp's)")
	clients := flag.Int("clients", 16, "concurrent PUTs")
	budget := flag.Int64("memory-budget", server.DefaultMemoryBudget, "memory budget Pebble is sized from, as the server's --memory-budget")
	at := flag.String("at", "0s,10s,30s,60s", "delays after the last delete to measure at")
	delComp := flag.Bool("delete-compaction", true, "compact a range after many deletes in it (pebble.Options.DeleteCompaction)")
	flag.StringVar(&listProfile, "list-profile", "", "write a CPU profile of the listings right after the delete to this file")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	var delays []time.Duration
	for _, f := range strings.Split(*at, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil {
			log.Fatalf("-at: %v", err)
		}
		delays = append(delays, d)
	}
	slices.Sort(delays)
	if err := run(*dir, *n, *size, *clients, *budget, delays, *delComp); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, n, size, clients int, budget int64, delays []time.Duration, delComp bool) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	mem, err := server.PlanMemory(budget)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	meta := filepath.Join(dir, "meta")
	po := pebble.Options{Dir: meta, Logger: logger, CacheSize: mem.PebbleCache,
		MemTableSize: mem.PebbleMemTable, ConflictLogBytes: mem.PebbleConflictLog}
	if !delComp {
		po.DeleteCompaction.Disabled = true
	}
	st, err := pebble.Open(po)
	if err != nil {
		return err
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
	ctx := context.Background()
	if _, err := svc.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: bucket, Owner: "tomb"}); err != nil {
		return err
	}
	fmt.Printf("delete compaction %v, %d objects of %d B, memory budget %d MiB (memtable %d MiB), load %s\n",
		delComp, n, size, budget>>20, mem.PebbleMemTable>>20, loadgen.LoadAvg())

	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("obj/%08x/%d", uint32(i)*2654435761, i)
	}
	start := time.Now()
	if err := put(ctx, svc, keys, size, clients); err != nil {
		return err
	}
	fmt.Printf("put %d objects in %.1f s\n", n, time.Since(start).Seconds())
	report(ctx, svc, st, meta, "after the PUTs", -1)

	peak := st.Stats().TableBytes
	start = time.Now()
	for i := 0; i < len(keys); i += 1000 {
		batch := keys[i:min(i+1000, len(keys))]
		ins := make([]objects.DeleteInput, len(batch))
		for j, k := range batch {
			ins[j] = objects.DeleteInput{Key: k}
		}
		for j, r := range svc.DeleteObjects(ctx, tenant, bucket, ins) {
			if r.Err != nil {
				return fmt.Errorf("delete %s: %w", batch[j], r.Err)
			}
		}
	}
	deleted := time.Now()
	fmt.Printf("deleted %d objects in %.1f s (DeleteObjects of 1000)\n", n, deleted.Sub(start).Seconds())
	// When the sstables first hold less than a tenth of what they held
	// before the delete, polled every 100 ms.
	back := make(chan time.Duration, 1)
	stopPoll := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if st.Stats().TableBytes < peak/10 {
				back <- time.Since(deleted)
				return
			}
			select {
			case <-stopPoll:
				return
			case <-t.C:
			}
		}
	}()
	for i, d := range delays {
		time.Sleep(time.Until(deleted.Add(d)))
		stop := func() {}
		if i == 0 && listProfile != "" {
			stop = profile(listProfile)
		}
		report(ctx, svc, st, meta, fmt.Sprintf("%4.0f s after the delete", d.Seconds()), 0)
		stop()
	}
	close(stopPoll)
	select {
	case d := <-back:
		fmt.Printf("sstables below a tenth of their %.1f MiB %.1f s after the last delete\n", mib(int64(peak)), d.Seconds())
	default:
		fmt.Printf("sstables still above a tenth of their %.1f MiB %.0f s after the last delete\n", mib(int64(peak)), time.Since(deleted).Seconds())
	}
	return nil
}

func put(ctx context.Context, svc *objects.Service, keys []string, size, clients int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := make([]byte, size)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				_, _ = rand.Read(data)
				body, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
				if err == nil {
					_, err = svc.PutObject(ctx, objects.PutInput{Tenant: tenant, Bucket: bucket, Key: keys[i],
						Body: body, Size: int64(size), Owner: "tomb"})
				}
				if err != nil {
					errc <- fmt.Errorf("put %s: %w", keys[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// report prints one line of figures; want is the number of keys the
// listing must return (-1: any).
func report(ctx context.Context, svc *objects.Service, st *pebble.Store, meta, label string, want int) {
	sst, wal, other := dirBytes(meta)
	s := st.Stats()
	// The listing's time: the best of 5 (the first alone is also shown:
	// it is what a client listing right then sees).
	var first, best time.Duration
	var got int
	var lerr error
	for i := range 5 {
		t := time.Now()
		out, err := svc.ListObjects(ctx, objects.ListInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1000})
		d := time.Since(t)
		if err != nil {
			lerr = err
			break
		}
		got = len(out.Objects)
		if i == 0 {
			first, best = d, d
		}
		best = min(best, d)
	}
	check := ""
	if lerr != nil {
		check = " LIST FAILED: " + lerr.Error()
	} else if want >= 0 && got != want {
		check = fmt.Sprintf(" LIST RETURNED %d KEYS, want %d", got, want)
	}
	fmt.Printf("%-24s meta on disk %6.1f MiB (sst %6.1f, WAL %5.1f, other %4.1f); pebble: tables %6.1f MiB, memtables %5.1f MiB, compactions %d (of deleted ranges %d); list %d keys: first %8.3f ms, best of 5 %8.3f ms; load %s%s\n",
		label, mib(sst+wal+other), mib(sst), mib(wal), mib(other), mib(int64(s.TableBytes)), mib(int64(s.MemTableBytes)),
		s.Compactions, s.DeleteCompactions, got, ms(first), ms(best), loadgen.LoadAvg(), check)
	if errors.Is(lerr, context.Canceled) {
		os.Exit(1)
	}
}

// dirBytes sums the files of Pebble's directory: sstables, WAL, the rest
// (manifest, options, lock).
func dirBytes(dir string) (sst, wal, other int64) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		switch filepath.Ext(p) {
		case ".sst":
			sst += fi.Size()
		case ".log":
			wal += fi.Size()
		default:
			other += fi.Size()
		}
		return nil
	})
	return
}

// profile starts a CPU profile into file and returns its stop.
func profile(file string) func() {
	f, err := os.Create(file)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
