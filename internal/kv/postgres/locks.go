package postgres

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"slices"

	"coffer/internal/kv"
)

// The commit's locks. An Update's commit runs in READ COMMITTED and makes
// its validation and writes atomic with transaction-scoped advisory locks
// (kv_lock, schema version 2) instead of PostgreSQL's serializable
// isolation: SSI tracks reads by index page, so commits of neighbouring keys
// (PUTs into one bucket) failed as if they depended on each other.
//
// Locks, each a 64-bit advisory lock id hashed from the schema and what it
// stands for:
//
//   - point(k), for every key k the transaction read with Get (shared) or
//     writes (exclusive). It orders the transactions that touch one key.
//   - range(L, p), the granule of the keys with the L-byte prefix p, for L
//     in rangeLevels. A writer takes it shared for every level L <= len(k)
//     of each key k it writes (p = k[:L]). A transaction that read a span
//     [lo, hi) takes exclusive the granule of the longest level L whose
//     prefix p = lo[:L] holds the whole span (hi <= PrefixEnd(p): every key
//     of the span then starts with p); level 0 (p empty, one granule for
//     all keys) holds any span. So a writer of a key in a span that a
//     concurrent commit validates shares that span's granule: they exclude
//     each other. Writers of one granule share it and run concurrently;
//     range readers of one granule take turns.
//   - A commit that would take more than maxCommitLocks locks (a fold of
//     thousands of deltas, a big import) takes range(0, "") exclusive
//     instead of all of them: every commit that writes holds that lock
//     shared, so it then commits alone, and PostgreSQL's lock table is not
//     filled by one transaction.
//
// A transaction needing a lock both ways takes it exclusive. kv_lock takes
// them in ascending id order, the same order in every transaction, so the
// commits cannot deadlock on them (PostgreSQL's detector, 40P01, stays a
// retried fallback). A hash collision of two ids only makes unrelated keys
// wait for each other.
//
// Why this is serializable. The commit is one pipelined transaction: BEGIN
// (READ COMMITTED); kv_lock; kv_validate; the writes; COMMIT. Every lock is
// held from before kv_validate takes its snapshot (a statement of its own
// after kv_lock) to after the commit is visible (PostgreSQL releases locks
// after it has marked the transaction committed). kv_validate checks that
// every key and span fn read is as it was read, in a snapshot taken with
// all locks held: fn's reads are as if made at that moment. Between it and
// the commit, nobody commits a write to what T read: a write to a key T read
// needs point(k) exclusive, T holds it shared; a write into a span T read
// needs that span's granule shared, T holds it exclusive (or T holds
// range(0) exclusive, which every writer needs shared). Nor does anybody
// write what T writes (point(k) exclusive on both sides). So each commit
// reads and writes as if at one instant while holding conflicting locks
// over the interval, which is two-phase locking with predicate (granule)
// locks: every dependency between two commits (one read or overwrote the
// other's write, or one read what the other later overwrote) points in the
// order in which they became visible, so the dependency graph has no cycle
// and snapshots (View, validateOnly) see a prefix of that order. Read-only
// Updates and those whose fn failed validate in one statement without locks
// (validateOnly): a consistent snapshot of a serializable history.
//
// All nodes on a schema must run this protocol: an older Coffer (schema
// version 1, SERIALIZABLE commits without these locks) must not run against
// a schema at version 2. Open refuses newer schemas; upgrade every node
// together.

// rangeLevels are the prefix lengths of range granules. Coffer's keys are a
// namespace byte, often an 8-byte bucket id, then an escaped name: levels 1
// and 9 make granules of those, and the longer ones keep a listing of one
// object key's versions from locking out the bucket's other writers. Each
// level costs a written key one shared lock.
var rangeLevels = []int{0, 1, 9, 17, 33, 65, 129, 257}

// maxCommitLocks is the most locks a commit takes one by one (PostgreSQL's
// own per-transaction budget, max_locks_per_transaction, defaults to 64).
const maxCommitLocks = 64

const (
	lockPoint = 'p'
	lockRange = 'r'
)

// lockID is the advisory lock id of a point or a granule of the schema.
func lockID(schema string, kind byte, level int, key []byte) int64 {
	h := fnv.New64a()
	h.Write([]byte("coffer-kv\x00"))
	h.Write([]byte(schema))
	var hdr [3]byte
	hdr[0] = kind
	binary.BigEndian.PutUint16(hdr[1:], uint16(level))
	h.Write(hdr[:])
	h.Write(key)
	return int64(h.Sum64())
}

// spanLevel is the longest level whose granule holds every key of [lo, hi)
// (hi nil: unbounded).
func spanLevel(lo, hi []byte) int {
	best := 0
	if hi == nil {
		return 0
	}
	for _, l := range rangeLevels[1:] {
		if len(lo) < l {
			break
		}
		if end := kv.PrefixEnd(lo[:l]); end == nil || bytes.Compare(hi, end) <= 0 {
			best = l
		} else {
			break // a longer prefix holds even less
		}
	}
	return best
}

// commitLocks returns the lock ids the commit takes, ascending, and which
// of them are exclusive.
func (t *txn) commitLocks() ([]int64, []bool) {
	schema := t.s.opts.Schema
	if len(t.rdels) > 0 {
		// A range delete writes keys nobody can name in advance: it commits
		// alone, like a commit of too many locks.
		return []int64{lockID(schema, lockRange, 0, nil)}, []bool{true}
	}
	m := make(map[int64]bool, 2*len(t.writes)+len(t.points)+len(t.spans))
	add := func(id int64, excl bool) { m[id] = m[id] || excl }
	for k := range t.points {
		add(lockID(schema, lockPoint, 0, []byte(k)), false)
	}
	for k := range t.writes {
		kb := []byte(k)
		add(lockID(schema, lockPoint, 0, kb), true)
		for _, l := range rangeLevels {
			if l > len(kb) {
				break
			}
			add(lockID(schema, lockRange, l, kb[:l]), false)
		}
	}
	for _, sp := range t.spans {
		if sp.hi != nil && bytes.Compare(sp.lo, sp.hi) >= 0 {
			continue // an empty span reads nothing
		}
		l := spanLevel(sp.lo, sp.hi)
		add(lockID(schema, lockRange, l, sp.lo[:l]), true)
	}
	if len(m) > maxCommitLocks {
		return []int64{lockID(schema, lockRange, 0, nil)}, []bool{true}
	}
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	excl := make([]bool, len(ids))
	for i, id := range ids {
		excl[i] = m[id]
	}
	return ids, excl
}
