// Command diskceiling measures what the data directory's device gives the
// blob store alone, with nothing else on the path (no HTTP, no signatures,
// no hashing, no metadata): W writers each commit blobs of SIZE bytes through
// internal/blob, with its real durability protocol (write, fdatasync, rename,
// directory fsync), for a fixed time, once per write mode. It is the ceiling
// for put16m (4 writers of 16 MiB) and for mixed's PUTs (8 writers of 1 MiB):
// a server that reaches it is bound by the disk, and so is a peer that
// reaches it too, whatever the ratio between them.
//
//	go run ./bench/diskceiling -dir /tmp/ceiling            # 4 x 16 MiB, then 8 x 1 MiB
//	go run ./bench/diskceiling -dir DIR -writers 4 -size 16777216 -rounds 3
//
// Modes (blob.Options.CacheKept): "keep" (every page left in the page cache,
// the kernel's choice) and "default" (the first blob.DefaultCacheKept bytes
// kept, the rest handed to writeback window by window and dropped once
// written). Until 2026-12-02 the store wrote large blobs with O_DIRECT; its
// figures are in docs/benchmarks.md. Modes alternate within each round, so a
// disk that changes speed over the run moves them all.
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/blob"
	"coffer/internal/loadgen"
)

type mode struct {
	name string
	kept int64
}

var modes = []mode{{"keep", -1}, {"default", 0}}

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "coffer-diskceiling"), "directory on the device to measure (emptied first and removed after)")
	writers := flag.Int("writers", 0, "concurrent writers (0: both shapes, 4 x 16 MiB and 8 x 1 MiB)")
	size := flag.Int("size", 16<<20, "blob size in bytes (with -writers)")
	duration := flag.Duration("duration", 8*time.Second, "time per mode and round")
	rounds := flag.Int("rounds", 2, "rounds (every mode once per round)")
	removeEvery := flag.Int("remove-every", 2, "remove every Nth committed blob again (0: keep them all, as a server does, which makes the page cache grow)")
	flag.Parse()

	shapes := [][2]int{{4, 16 << 20}, {8, 1 << 20}}
	if *writers > 0 {
		shapes = [][2]int{{*writers, *size}}
	}
	fmt.Printf("| writers | size | mode | round | MiB/s | blobs/s | CPU ns/B |\n|---:|---:|---|---:|---:|---:|---:|\n")
	for _, sh := range shapes {
		for r := 1; r <= *rounds; r++ {
			for _, m := range modes {
				mibs, per, nsb, err := run(*dir, m.kept, sh[0], sh[1], *duration, *removeEvery)
				if err != nil {
					log.Fatal(err)
				}
				fmt.Printf("| %d | %d | %s | %d | %.0f | %.1f | %.2f |\n", sh[0], sh[1], m.name, r, mibs, per, nsb)
			}
		}
	}
	os.RemoveAll(*dir)
}

// run commits blobs from writers goroutines for d and returns MiB/s,
// blobs/s and the process's CPU (user and system, the kernel's copies and
// page-cache work included) per byte. Every removeEvery-th committed blob
// is removed again so that the run does not fill the disk (the removals are
// part of the load, as deletes are).
func run(dir string, kept int64, writers, size int, d time.Duration, removeEvery int) (float64, float64, float64, error) {
	if err := os.RemoveAll(dir); err != nil {
		return 0, 0, 0, err
	}
	st, err := blob.Open(blob.Options{Dir: dir, CacheKept: kept})
	if err != nil {
		return 0, 0, 0, err
	}
	data := make([]byte, size)
	rand.Read(data)
	var blobs atomic.Int64
	var firstErr atomic.Value
	end := time.Now().Add(d)
	start, cpu0 := time.Now(), loadgen.ProcessCPU()
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(end); i++ {
				w, err := st.Create()
				if err == nil {
					_, err = w.Write(data[:64<<10]) // a small first write, as a request body's first read
					if err == nil {
						_, err = w.ReadFrom(&chunks{data: data[64<<10:]})
					}
				}
				var id blob.ID
				if err == nil {
					id, err = w.Commit()
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				blobs.Add(1)
				if removeEvery > 0 && i%removeEvery == removeEvery-1 {
					st.RemoveMany([]blob.ID{id})
				}
			}
		}()
	}
	wg.Wait()
	el, cpu := time.Since(start).Seconds(), loadgen.ProcessCPU()-cpu0
	if e, ok := firstErr.Load().(error); ok {
		return 0, 0, 0, e
	}
	n := float64(blobs.Load())
	return n * float64(size) / (1 << 20) / el, n / el, float64(cpu.Nanoseconds()) / (n * float64(size)), nil
}

// chunks hands out data in 64 KiB reads, as an HTTP body does.
type chunks struct{ data []byte }

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 64<<10)], c.data)
	c.data = c.data[n:]
	return n, nil
}
