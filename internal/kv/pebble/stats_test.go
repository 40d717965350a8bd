package pebble

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"coffer/internal/kv"
)

// Commits, group-commit waiters and Pebble's WAL fsyncs show in Stats.
func TestStats_commitsAndFsyncs(t *testing.T) {
	s := openTest(t, Options{Dir: t.TempDir()})
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if err := s.Update(t.Context(), func(tx kv.Txn) error {
					return tx.Set(fmt.Appendf(nil, "k%d-%d", g, i), []byte("v"))
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// A read-only Update commits nothing.
	if err := s.Update(t.Context(), func(tx kv.Txn) error { _, _ = tx.Get([]byte("k0-0")); return nil }); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Commits != 40 || st.SyncWaiters.Count != 40 {
		t.Errorf("commits %d, sync waiters observed %d; want 40 and 40", st.Commits, st.SyncWaiters.Count)
	}
	if st.WALFsync.Count == 0 || st.WALFsync.Count > 40+2 {
		t.Errorf("WAL fsyncs %d, want 1..42", st.WALFsync.Count)
	}
	if len(st.WALFsync.Bounds) == 0 || st.WALFsync.Bounds[0] > 0.00011 {
		t.Errorf("WAL fsync bounds %v, want seconds from 100 µs", st.WALFsync.Bounds)
	}
	if st.WALBytesWritten == 0 || st.DiskSpace == 0 {
		t.Errorf("WAL bytes %d, disk space %d", st.WALBytesWritten, st.DiskSpace)
	}
}

func TestStats_conflicts(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem(), maxAttempts: 3})
	defer s.Close()
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if _, err := tx.Get([]byte("k")); err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte("k"), nil) })
	})
	if !errors.Is(err, kv.ErrConflict) {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Conflicts != 3 || st.GaveUp != 1 || st.Commits != 3 {
		t.Errorf("conflicts %d gave up %d commits %d; want 3, 1, 3", st.Conflicts, st.GaveUp, st.Commits)
	}
}

func TestResample(t *testing.T) {
	b := func(le float64, n uint64) *dto.Bucket {
		return &dto.Bucket{UpperBound: proto.Float64(le), CumulativeCount: proto.Uint64(n)}
	}
	h := &dto.Histogram{SampleCount: proto.Uint64(10), SampleSum: proto.Float64(5e9),
		Bucket: []*dto.Bucket{b(1e5, 1), b(2e5, 2), b(3e5, 4), b(6e5, 7), b(2e9, 9)}}
	got := resample(h, []float64{2.5e5, 5e5, 1e6, 1e10}, 1e-9)
	// 2.5e5 → 2e5 (2), 5e5 → 3e5 (4), 1e6 → 6e5 (7), 1e10 → 2e9 (9).
	wantB, wantN := []float64{2e-4, 3e-4, 6e-4, 2}, []uint64{2, 4, 7, 9}
	if len(got.Bounds) != len(wantB) {
		t.Fatalf("resample = %+v", got)
	}
	for i := range wantB {
		if math.Abs(got.Bounds[i]-wantB[i]) > 1e-12 || got.Cumulative[i] != wantN[i] {
			t.Errorf("bucket %d: le %v = %d, want le %v = %d", i, got.Bounds[i], got.Cumulative[i], wantB[i], wantN[i])
		}
	}
	if got.Count != 10 || got.Sum != 5 {
		t.Errorf("count %d sum %v", got.Count, got.Sum)
	}
}
