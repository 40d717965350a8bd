package pebble

import (
	"bytes"
	"slices"
	"strings"
	"sync/atomic"
)

// Optimistic concurrency control.
//
// Every read-write commit gets the next sequence number and leaves an entry
// (sequence, written keys) in commitLog, a bounded ring. A transaction
// remembers the sequence visible when it started and everything it read
// (readSet: point keys and scanned key ranges). It may commit only if no
// commit with a larger sequence wrote a key it read; then serializing it at
// its commit point is equivalent to what it observed. If the ring no longer
// holds a needed entry the check fails conservatively.
//
// The ring is written only under Store.commitMu and read without locks:
// slots hold immutable entries behind atomic pointers, and a reader that
// finds a slot empty or holding another sequence treats it as evicted.

type commitEntry struct {
	seq    uint64
	keys   []string
	ranges []keyRange // deleted ranges (DeleteRange), never open
	size   int        // bytes accounted to the log budget
}

type commitLog struct {
	slots    []atomic.Pointer[commitEntry]
	maxBytes int
	// Guarded by Store.commitMu.
	oldest uint64 // smallest sequence that may still be present
	bytes  int
	// lastRangeDel is the largest sequence of a commit that deleted a
	// range: a window without one needs no check of the writes, so blind
	// writes still commit across an evicted window.
	lastRangeDel atomic.Uint64
}

func newCommitLog(entries, maxBytes int) *commitLog {
	return &commitLog{slots: make([]atomic.Pointer[commitEntry], entries), maxBytes: maxBytes, oldest: 1}
}

// add records e; e.seq must be one more than the last added sequence.
// Requires Store.commitMu.
func (l *commitLog) add(e *commitEntry) {
	n := uint64(len(l.slots))
	for l.oldest+n <= e.seq { // the ring is full: free e's slot
		l.evictOldest()
	}
	if len(e.ranges) > 0 {
		l.lastRangeDel.Store(e.seq) // before head makes e.seq checkable
	}
	l.slots[e.seq%n].Store(e)
	l.bytes += e.size
	for l.bytes > l.maxBytes && l.oldest < e.seq {
		l.evictOldest()
	}
}

func (l *commitLog) evictOldest() {
	slot := &l.slots[l.oldest%uint64(len(l.slots))]
	if e := slot.Load(); e != nil && e.seq == l.oldest {
		slot.Store(nil)
		l.bytes -= e.size
	}
	l.oldest++
}

// get returns the entry of seq, or nil if it was evicted. Lock-free.
func (l *commitLog) get(seq uint64) *commitEntry {
	e := l.slots[seq%uint64(len(l.slots))].Load()
	if e == nil || e.seq != seq {
		return nil
	}
	return e
}

// conflicts reports whether a commit with a sequence in (from, to] wrote a
// key in rs, or may have (its entry was evicted). Lock-free.
//
// A commit that deleted a range also conflicts with every transaction that
// writes into that range (writes, nil for none): a write-write conflict that
// plain serializability does not need, but which fences the range (see
// FencesRangeDeletes).
func (l *commitLog) conflicts(rs *readSet, writes map[string]struct{}, from, to uint64) bool {
	if len(writes) > 0 && l.lastRangeDel.Load() <= from {
		writes = nil // no range was deleted in the window
	}
	if rs.empty() && len(writes) == 0 {
		return false
	}
	rs.normalize()
	for seq := from + 1; seq <= to; seq++ {
		e := l.get(seq)
		if e == nil {
			return true
		}
		for _, k := range e.keys {
			if rs.contains(k) {
				return true
			}
		}
		for _, r := range e.ranges {
			if rs.overlaps(r) {
				return true
			}
			for k := range writes {
				if k >= r.start && k < r.end {
					return true
				}
			}
		}
	}
	return false
}

// keyRange is [start, end); open means no upper bound.
type keyRange struct {
	start, end string
	open       bool
}

// readSet is what a transaction read.
type readSet struct {
	points map[string]struct{}
	ranges []keyRange
	normal bool // ranges are sorted by start and disjoint
}

func (rs *readSet) empty() bool { return len(rs.points) == 0 && len(rs.ranges) == 0 }

func (rs *readSet) addPoint(key []byte) {
	if rs.points == nil {
		rs.points = make(map[string]struct{})
	}
	rs.points[string(key)] = struct{}{}
}

// addRange records [start, end) (end nil: unbounded); empty ranges are
// dropped.
func (rs *readSet) addRange(start, end []byte) {
	if end != nil && bytes.Compare(start, end) >= 0 {
		return
	}
	rs.ranges = append(rs.ranges, keyRange{start: string(start), end: string(end), open: end == nil})
	rs.normal = false
}

// normalize sorts and merges the ranges.
func (rs *readSet) normalize() {
	if rs.normal {
		return
	}
	rs.normal = true
	if len(rs.ranges) < 2 {
		return
	}
	slices.SortFunc(rs.ranges, func(a, b keyRange) int { return strings.Compare(a.start, b.start) })
	out := rs.ranges[:1]
	for _, r := range rs.ranges[1:] {
		last := &out[len(out)-1]
		if last.open || r.start <= last.end {
			if !last.open && (r.open || r.end > last.end) {
				last.end, last.open = r.end, r.open
			}
			continue
		}
		out = append(out, r)
	}
	rs.ranges = out
}

// contains reports whether k was read. Requires normalize.
func (rs *readSet) contains(k string) bool {
	if _, ok := rs.points[k]; ok {
		return true
	}
	// The last range starting at or before k.
	i, found := slices.BinarySearchFunc(rs.ranges, k, func(r keyRange, k string) int { return strings.Compare(r.start, k) })
	if !found {
		i--
	}
	if i < 0 {
		return false
	}
	r := rs.ranges[i]
	return r.open || k < r.end
}

// overlaps reports whether anything read lies in r, which is not open.
// Requires normalize. Linear, but only a commit that deleted a range (a
// usage fold) makes anyone call it.
func (rs *readSet) overlaps(r keyRange) bool {
	for k := range rs.points {
		if k >= r.start && k < r.end {
			return true
		}
	}
	for _, q := range rs.ranges {
		if q.start < r.end && (q.open || r.start < q.end) {
			return true
		}
	}
	return false
}
