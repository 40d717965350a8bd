package loadgen

import (
	"math/bits"
	"time"
)

// Histogram records latencies in log-linear buckets: exact below 128 ns,
// then 64 sub-buckets per power of two, so any quantile is within 1.6% of the
// true value. It takes about 17 KiB whatever the number of samples. Not safe
// for concurrent use: give each worker its own and Merge them.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits // sub-buckets per power of two
	histLinear  = 2 * histSub      // values below this have their own bucket
	histBuckets = histLinear + (64-histSubBits-1)*histSub
)

func histIndex(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	return histLinear + (shift-1)*histSub + int(v>>shift) - histSub
}

// histUpper is the largest value that maps to bucket i.
func histUpper(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	shift := (i-histLinear)/histSub + 1
	sub := uint64((i-histLinear)%histSub + histSub)
	return (sub+1)<<shift - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the average sample, 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the q-quantile (0 < q <= 1), as the upper edge of the
// bucket holding it, capped by the maximum; 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histUpper(i)), h.max)
		}
	}
	return h.max
}
