// Package stats holds the lock-free counters and histograms that storage
// packages (blob, kv/pebble, objects) keep about their own operations, for
// the metrics collector (internal/metrics) to read on a scrape. It has no
// dependency: the packages that count stay free of Prometheus, and a count
// costs a few atomic adds on the path it measures.
//
// A Histogram has fixed bucket bounds chosen when it is made; Observe finds
// the bucket by binary search and adds to it, the sum and nothing else.
// Snapshot reads the buckets one by one, so a snapshot taken during
// observations may be off by those in flight, never torn within a bucket.
package stats

import (
	"slices"
	"sync/atomic"
	"time"
)

// Histogram counts int64 observations into buckets with inclusive upper
// bounds. The zero value is not usable; make one with NewHistogram or
// NewDurationHistogram. It is safe for concurrent use.
type Histogram struct {
	bounds []int64
	counts []atomic.Uint64 // len(bounds)+1: the last is +Inf
	sum    atomic.Int64
	// scale converts an observed value to the unit Snapshot reports (e.g.
	// 1e-9 from nanoseconds to seconds).
	scale float64
}

// NewHistogram returns a histogram over bounds (ascending; they are
// sorted and deduplicated), reporting values multiplied by scale.
func NewHistogram(bounds []int64, scale float64) *Histogram {
	b := slices.Clone(bounds)
	slices.Sort(b)
	b = slices.Compact(b)
	return &Histogram{bounds: b, counts: make([]atomic.Uint64, len(b)+1), scale: scale}
}

// DurationBounds are the default latency buckets: 50 µs to 10 s, about
// three per decade (storage operations span fsyncs of tens of µs on NVMe to
// seconds on a stalled disk).
var DurationBounds = []time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// NewDurationHistogram returns a histogram of durations over bounds
// (DurationBounds when nil), reported in seconds.
func NewDurationHistogram(bounds []time.Duration) *Histogram {
	if bounds == nil {
		bounds = DurationBounds
	}
	b := make([]int64, len(bounds))
	for i, d := range bounds {
		b[i] = int64(d)
	}
	return NewHistogram(b, 1e-9)
}

// Observe counts one value.
func (h *Histogram) Observe(v int64) {
	i, _ := slices.BinarySearch(h.bounds, v) // first bound >= v
	h.counts[i].Add(1)
	h.sum.Add(v)
}

// ObserveDuration counts one duration (a histogram of durations).
func (h *Histogram) ObserveDuration(d time.Duration) { h.Observe(int64(d)) }

// Since counts the time elapsed since start.
func (h *Histogram) Since(start time.Time) { h.Observe(int64(time.Since(start))) }

// HistogramSnapshot is a histogram's state at one moment, in the reporting
// unit.
type HistogramSnapshot struct {
	// Bounds are the buckets' inclusive upper bounds, ascending (the
	// implicit last bucket, +Inf, is not listed).
	Bounds []float64
	// Cumulative[i] is the number of observations <= Bounds[i].
	Cumulative []uint64
	// Count is the number of observations; Sum their total.
	Count uint64
	Sum   float64
}

// Snapshot reads the histogram. Count is the sum of the buckets, so the
// snapshot is self-consistent even while observations go on.
func (h *Histogram) Snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Bounds: make([]float64, len(h.bounds)), Cumulative: make([]uint64, len(h.bounds))}
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
		if i < len(h.bounds) {
			s.Bounds[i] = float64(h.bounds[i]) * h.scale
			s.Cumulative[i] = n
		}
	}
	s.Count = n
	s.Sum = float64(h.sum.Load()) * h.scale
	return s
}

// Buckets returns the snapshot's cumulative counts keyed by upper bound, as
// prometheus.NewConstHistogram takes them.
func (s HistogramSnapshot) Buckets() map[float64]uint64 {
	m := make(map[float64]uint64, len(s.Bounds))
	for i, b := range s.Bounds {
		m[b] = s.Cumulative[i]
	}
	return m
}
