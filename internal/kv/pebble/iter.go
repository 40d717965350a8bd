package pebble

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"

	"coffer/internal/kv"
)

// iterator adapts a *pebble.Iterator bounded to [lo, hi) to kv.Iterator.
// Inside Update it also records the key span it actually read into the
// transaction's read set: from the key a First or SeekGE started at to the
// current position (inclusive), or to hi once the range is exhausted.
type iterator struct {
	it     *pebble.Iterator // nil for an empty range or a creation error
	lo, hi []byte           // owned copies; hi nil means unbounded
	err    error
	closed bool

	rs     *readSet // nil in View
	spanOn bool
	spanLo []byte
}

var _ kv.Iterator = (*iterator)(nil)

type iterSource interface {
	NewIter(*pebble.IterOptions) (*pebble.Iterator, error)
}

func newIterator(src iterSource, start, end []byte, rs *readSet) *iterator {
	i := &iterator{lo: bytes.Clone(start), rs: rs}
	if i.lo == nil {
		i.lo = []byte{}
	}
	if end != nil {
		i.hi = bytes.Clone(end)
		if bytes.Compare(i.lo, i.hi) >= 0 {
			return i // empty range
		}
	}
	var lower []byte
	if len(i.lo) > 0 {
		// An empty lower bound is no bound (and Pebble's invariants builds,
		// e.g. -race, index key[0] of a seek key).
		lower = i.lo
	}
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: i.hi})
	if err != nil {
		i.err = err
		return i
	}
	i.it = it
	return i
}

func (i *iterator) First() bool {
	if i.it == nil || i.closed {
		return false
	}
	i.beginSpan(i.lo)
	return i.it.First()
}

func (i *iterator) SeekGE(key []byte) bool {
	if i.it == nil || i.closed {
		return false
	}
	if bytes.Compare(key, i.lo) < 0 {
		key = i.lo
	}
	if i.hi != nil && bytes.Compare(key, i.hi) >= 0 {
		key = i.hi // Pebble clamps too; the span [hi, hi) is empty
	}
	i.beginSpan(key)
	if len(key) == 0 {
		return i.it.First()
	}
	return i.it.SeekGE(key)
}

func (i *iterator) Next() bool {
	if i.it == nil || i.closed || !i.it.Valid() {
		return false
	}
	return i.it.Next()
}

func (i *iterator) Valid() bool { return i.it != nil && !i.closed && i.it.Valid() }

func (i *iterator) Key() []byte {
	if !i.Valid() {
		return nil
	}
	return i.it.Key()
}

func (i *iterator) Value() []byte {
	if !i.Valid() {
		return nil
	}
	v, err := i.it.ValueAndErr()
	if err != nil && i.err == nil {
		i.err = err
	}
	return v
}

func (i *iterator) Err() error {
	if i.err != nil {
		return i.err
	}
	if i.it != nil && !i.closed {
		return i.it.Error()
	}
	return nil
}

func (i *iterator) Close() error {
	if i.closed {
		return nil
	}
	i.endSpan()
	i.closed = true
	if i.it == nil {
		return i.err
	}
	err := i.it.Close()
	if i.err != nil {
		return i.err
	}
	return err
}

// beginSpan records the span read since the last positioning and starts a
// new one at from.
func (i *iterator) beginSpan(from []byte) {
	if i.rs == nil {
		return
	}
	i.endSpan()
	i.spanOn, i.spanLo = true, bytes.Clone(from)
}

// endSpan adds the current span to the read set.
func (i *iterator) endSpan() {
	if i.rs == nil || !i.spanOn {
		return
	}
	i.spanOn = false
	if i.it.Valid() && i.it.Error() == nil {
		// Read up to and including the current key: end at its successor.
		k := i.it.Key()
		end := make([]byte, len(k)+1)
		copy(end, k)
		i.rs.addRange(i.spanLo, end)
		return
	}
	// Exhausted (or failed, conservatively): read to the bound.
	i.rs.addRange(i.spanLo, i.hi)
}

// Stats returns Pebble's counts of what the iterator has stepped over so
// far (points, points covered by range tombstones, seeks): tests and
// benchmarks state a scan's cost with them rather than with its duration.
// Zero for an empty range.
func (i *iterator) Stats() pebble.IteratorStats {
	if i.it == nil || i.closed {
		return pebble.IteratorStats{}
	}
	return i.it.Stats()
}
