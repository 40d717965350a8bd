package postgres

import (
	"bytes"
	"sort"

	"github.com/jackc/pgx/v5"

	"coffer/internal/kv"
)

// Batch sizes of a scan: a positioning (First, SeekGE) fetches firstBatch
// rows, each following fetch twice as many up to maxBatch, fewer once a
// batch's values pass batchBytes (inline objects may be 1 MiB each).
const (
	firstBatch = 16
	maxBatch   = 1024
	batchBytes = 4 << 20
)

type row struct {
	k, v []byte
	ver  int64
}

type pendEntry struct {
	k, val []byte
	del    bool
}

// iterator merges the server's rows of [lo, hi), fetched in keyset-paginated
// batches, with the transaction's buffered writes in that range (as they
// were when it was opened). Inside Update it records each span it read,
// from a positioning to the current key (inclusive) or to hi once exhausted,
// with the server rows in it, for the commit's validation.
type iterator struct {
	t      *txn
	lo, hi []byte // hi nil: unbounded
	empty  bool
	err    error
	closed bool

	buf     []row  // current batch of server rows
	pos     int    // next server row in buf
	bufFrom []byte // buf holds every row in [bufFrom, last row of buf], or to hi if bufDone
	bufOK   bool
	bufDone bool
	limit   int

	pend  []pendEntry
	ppos  int
	rdels []keyRange // the transaction's deleted ranges when it was opened

	valid    bool
	fromPend bool
	key, val []byte

	track    bool
	spanOn   bool
	spanLo   []byte
	spanKeys [][]byte
	spanVers []int64
}

var _ kv.Iterator = (*iterator)(nil)

func newIterator(t *txn, start, end []byte) *iterator {
	it := &iterator{t: t, lo: bytes.Clone(nonNil(start)), track: !t.view}
	if end != nil {
		it.hi = bytes.Clone(end)
		if bytes.Compare(it.lo, it.hi) >= 0 {
			it.empty = true
			return it
		}
	}
	if !t.view {
		it.pend = t.pendingIn(it.lo, it.hi)
		it.rdels = t.rdels[:len(t.rdels):len(t.rdels)]
	}
	return it
}

func (it *iterator) First() bool { return it.seek(it.lo) }

func (it *iterator) SeekGE(key []byte) bool { return it.seek(key) }

func (it *iterator) seek(key []byte) bool {
	if it.closed || it.empty || it.err != nil {
		it.valid = false
		return false
	}
	if bytes.Compare(key, it.lo) < 0 {
		key = it.lo
	}
	if it.hi != nil && bytes.Compare(key, it.hi) >= 0 {
		it.endSpan() // [hi, hi) reads nothing
		it.valid = false
		return false
	}
	it.beginSpan(key) // ends the previous span where the iterator stood
	it.valid = false
	covered := it.bufOK && bytes.Compare(key, it.bufFrom) >= 0 &&
		(it.bufDone || len(it.buf) > 0 && bytes.Compare(key, it.buf[len(it.buf)-1].k) <= 0)
	if covered {
		it.pos = sort.Search(len(it.buf), func(i int) bool { return bytes.Compare(it.buf[i].k, key) >= 0 })
		for _, r := range it.buf[it.pos:] {
			it.noteRow(r)
		}
	} else {
		it.limit = firstBatch
		if !it.fetch(key) {
			return false
		}
	}
	it.ppos = sort.Search(len(it.pend), func(i int) bool { return bytes.Compare(it.pend[i].k, key) >= 0 })
	return it.settle()
}

// fetch replaces buf with the next batch of rows at or after from.
func (it *iterator) fetch(from []byte) bool {
	var (
		sql  string
		args []any
	)
	if it.hi == nil {
		sql, args = it.t.s.sql.scanOpen, []any{from, it.limit}
	} else {
		sql, args = it.t.s.sql.scan, []any{from, it.hi, it.limit}
	}
	rows := make([]row, 0, it.limit)
	size := 0
	err := it.t.run(sql, args, func(r pgx.Rows) error {
		var x row
		if err := r.Scan(&x.k, &x.v, &x.ver); err != nil {
			return err
		}
		if x.v == nil {
			x.v = []byte{}
		}
		size += len(x.k) + len(x.v)
		rows = append(rows, x)
		return nil
	})
	if err != nil {
		it.err = err
		it.bufOK = false
		return false
	}
	it.buf, it.pos, it.bufFrom, it.bufOK = rows, 0, bytes.Clone(from), true
	it.bufDone = len(rows) < it.limit
	for _, r := range rows {
		it.noteRow(r)
	}
	switch {
	case size > batchBytes:
		it.limit = max(1, it.limit/4)
	case size < batchBytes/2:
		it.limit = min(maxBatch, it.limit*2)
	}
	return true
}

// server returns the current server row, fetching the next batch when buf
// is used up.
func (it *iterator) server() (row, bool) {
	for {
		if it.pos < len(it.buf) {
			return it.buf[it.pos], true
		}
		if it.bufDone || !it.bufOK || len(it.buf) == 0 {
			return row{}, false
		}
		last := it.buf[len(it.buf)-1].k
		next := append(bytes.Clone(last), 0) // the smallest key after last
		if !it.fetch(next) {
			return row{}, false
		}
	}
}

// settle positions on the smallest of the current server row and the
// current buffered write, skipping buffered deletes and the server rows they
// or buffered sets shadow.
func (it *iterator) settle() bool {
	for {
		sr, sok := it.server()
		if it.err != nil {
			it.valid = false
			return false
		}
		var pe *pendEntry
		if it.ppos < len(it.pend) {
			pe = &it.pend[it.ppos]
		}
		switch {
		case !sok && pe == nil:
			it.valid = false
			return false
		case pe == nil || sok && bytes.Compare(sr.k, pe.k) < 0:
			if len(it.rdels) > 0 && inRanges(it.rdels, sr.k) {
				it.pos++ // deleted by the transaction's DeleteRange
				continue
			}
			it.valid, it.fromPend, it.key, it.val = true, false, sr.k, sr.v
			return true
		default:
			if sok && bytes.Equal(sr.k, pe.k) {
				it.pos++ // shadowed by the buffered write
			}
			if pe.del {
				it.ppos++
				continue
			}
			it.valid, it.fromPend, it.key, it.val = true, true, pe.k, pe.val
			return true
		}
	}
}

func (it *iterator) Next() bool {
	if !it.valid || it.closed {
		return false
	}
	if it.fromPend {
		it.ppos++
	} else {
		it.pos++
	}
	return it.settle()
}

func (it *iterator) Valid() bool { return it.valid && !it.closed }

func (it *iterator) Key() []byte {
	if !it.Valid() {
		return nil
	}
	return it.key
}

func (it *iterator) Value() []byte {
	if !it.Valid() {
		return nil
	}
	return it.val
}

func (it *iterator) Err() error { return it.err }

func (it *iterator) Close() error {
	if it.closed {
		return it.err
	}
	it.endSpan()
	it.closed, it.valid = true, false
	it.buf = nil
	return it.err
}

func (it *iterator) noteRow(r row) {
	if it.track && it.spanOn {
		it.spanKeys = append(it.spanKeys, r.k)
		it.spanVers = append(it.spanVers, r.ver)
	}
}

// beginSpan records the span read since the last positioning and starts a
// new one at from.
func (it *iterator) beginSpan(from []byte) {
	if !it.track {
		return
	}
	it.endSpan()
	it.spanOn, it.spanLo = true, bytes.Clone(from)
	it.spanKeys, it.spanVers = nil, nil
}

// endSpan adds the current span to the transaction's read set: up to and
// including the current key, or to hi once the range is exhausted.
func (it *iterator) endSpan() {
	if !it.track || !it.spanOn {
		return
	}
	it.spanOn = false
	hi := it.hi
	if it.valid && !it.closed {
		hi = append(bytes.Clone(it.key), 0)
	}
	sp := span{lo: it.spanLo, hi: hi}
	for i, k := range it.spanKeys {
		if hi != nil && bytes.Compare(k, hi) >= 0 {
			break
		}
		sp.keys = append(sp.keys, k)
		sp.vers = append(sp.vers, it.spanVers[i])
	}
	it.spanKeys, it.spanVers = nil, nil
	it.t.spans = append(it.t.spans, sp)
}
