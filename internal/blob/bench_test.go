package blob_test

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/stats"
)

// BenchmarkCommit4K: many clients each storing small objects at once; the
// cost is the two fsyncs per Commit (file, directory).
func BenchmarkCommit4K(b *testing.B) {
	s := openStore(b, blob.OSFS{}, b.TempDir())
	data := payload(1, 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.SetParallelism(8) // fsync-bound: more writers than CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w, err := s.Create()
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := w.Write(data); err != nil {
				b.Error(err)
				return
			}
			if _, err := w.Commit(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkWrite16M: one large object streamed the way an HTTP body
// arrives (io.Copy from a plain reader, so through Writer.ReadFrom),
// committed, then removed outside the timer.
func BenchmarkWrite16M(b *testing.B) {
	s := openStore(b, blob.OSFS{}, b.TempDir())
	data := payload(2, 16<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w, err := s.Create()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, onlyReader{bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
		id, err := w.Commit()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Remove(id)
		b.StartTimer()
	}
}

// BenchmarkCommitOrder compares the orders in which Commit can make a blob
// durable (store.go, commitOrder) with several writers committing blobs of
// 1 MiB (the mixed workload's objects) and 16 MiB at once, streamed the way
// an HTTP body arrives. Besides ns/op it reports commits/s and the mean and
// 99th percentile of the store's own sync (fdatasync of the blob file),
// syncDir (fsync of its directory) and commit histograms, in ms. The blobs
// are removed after the timer stops.
//
//	go test -run '^$' -bench CommitOrder -benchtime 100x -count 3 ./internal/blob
func BenchmarkCommitOrder(b *testing.B) {
	orders := []struct {
		name  string
		order int
	}{
		{"syncfirst", blob.OrderSyncFirst},
		{"renamefirst", blob.OrderRenameFirst},
	}
	for _, sz := range []struct {
		name    string
		size    int
		writers []int
	}{{"1M", 1 << 20, []int{1, 8}}, {"16M", 16 << 20, []int{1, 4}}} {
		data := payload(3, sz.size)
		for _, writers := range sz.writers {
			for _, o := range orders {
				b.Run(fmt.Sprintf("%s/w%d/%s", sz.name, writers, o.name), func(b *testing.B) {
					benchCommits(b, o.order, writers, data)
				})
			}
		}
	}
}

func benchCommits(b *testing.B, order, writers int, data []byte) {
	s := openStore(b, blob.OSFS{}, b.TempDir())
	blob.SetCommitOrder(s, order)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var (
		next atomic.Int64
		mu   sync.Mutex
		ids  []blob.ID
		wg   sync.WaitGroup
	)
	start := time.Now()
	b.ResetTimer()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				w, err := s.Create()
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := io.Copy(w, onlyReader{bytes.NewReader(data)}); err != nil {
					b.Error(err)
					return
				}
				id, err := w.Commit()
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
	st := s.Stats()
	for _, h := range []struct {
		name string
		s    stats.HistogramSnapshot
	}{{"sync", st.Sync}, {"syncdir", st.SyncDir}, {"commit", st.Commit}} {
		if h.s.Count == 0 {
			continue
		}
		b.ReportMetric(h.s.Sum/float64(h.s.Count)*1e3, h.name+"-mean-ms")
		b.ReportMetric(quantile(h.s, 0.99)*1e3, h.name+"-p99-ms")
	}
	if _, err := s.RemoveMany(ids); err != nil {
		b.Fatal(err)
	}
}

// quantile is the upper bound of the bucket holding the q-quantile of h
// (+Inf past the last bound).
func quantile(h stats.HistogramSnapshot, q float64) float64 {
	want := uint64(math.Ceil(q * float64(h.Count)))
	for i, c := range h.Cumulative {
		if c >= want {
			return h.Bounds[i]
		}
	}
	return math.Inf(1)
}
