package stats

import (
	"sync"
	"testing"
	"time"
)

func TestHistogram_buckets(t *testing.T) {
	h := NewHistogram([]int64{10, 1, 5, 5}, 1) // unsorted, duplicated: cleaned
	for _, v := range []int64{0, 1, 2, 5, 6, 10, 11, 1000} {
		h.Observe(v)
	}
	s := h.Snapshot()
	wantBounds := []float64{1, 5, 10}
	wantCum := []uint64{2, 4, 6} // <=1: 0,1; <=5: +2,5; <=10: +6,10
	if len(s.Bounds) != 3 {
		t.Fatalf("bounds %v", s.Bounds)
	}
	for i := range wantBounds {
		if s.Bounds[i] != wantBounds[i] || s.Cumulative[i] != wantCum[i] {
			t.Errorf("bucket %d: le %v = %d, want le %v = %d", i, s.Bounds[i], s.Cumulative[i], wantBounds[i], wantCum[i])
		}
	}
	if s.Count != 8 || s.Sum != 1035 {
		t.Errorf("count %d sum %v, want 8 and 1035", s.Count, s.Sum)
	}
	if b := s.Buckets(); b[5] != 4 || len(b) != 3 {
		t.Errorf("Buckets() = %v", b)
	}
}

func TestDurationHistogram_seconds(t *testing.T) {
	h := NewDurationHistogram([]time.Duration{time.Millisecond, time.Second})
	h.ObserveDuration(500 * time.Microsecond)
	h.ObserveDuration(2 * time.Second)
	s := h.Snapshot()
	if s.Bounds[0] != 0.001 || s.Bounds[1] != 1 {
		t.Errorf("bounds %v, want seconds", s.Bounds)
	}
	if s.Cumulative[0] != 1 || s.Cumulative[1] != 1 || s.Count != 2 {
		t.Errorf("cumulative %v count %d", s.Cumulative, s.Count)
	}
	if s.Sum < 2.0004 || s.Sum > 2.0006 {
		t.Errorf("sum %v, want 2.0005", s.Sum)
	}
}

func TestHistogram_concurrent(t *testing.T) {
	h := NewDurationHistogram(nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.ObserveDuration(time.Duration(g*i) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	if s := h.Snapshot(); s.Count != 8000 {
		t.Fatalf("count %d, want 8000", s.Count)
	}
}

func BenchmarkHistogram_Observe(b *testing.B) {
	h := NewDurationHistogram(nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ObserveDuration(3 * time.Millisecond)
	}
}
