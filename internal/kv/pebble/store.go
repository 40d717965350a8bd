// Package pebble is the embedded kv.Store, on CockroachDB's Pebble LSM.
//
// Transactions are serializable through optimistic concurrency control (see
// occ.go): fn runs against an indexed batch, which reads the latest committed
// state merged with the transaction's own writes, while the transaction
// records what it read; the commit validates that no transaction committed
// since its start wrote any of it, and retries fn otherwise.
//
// Durability: Update returns after the WAL holding its commit is fsynced.
// Commits are applied with ApplyNoSyncWait under a short commit lock and wait
// for the fsync outside it, so concurrent Updates share WAL syncs (Pebble's
// group commit). A commit is visible to other transactions from the moment it
// is applied, possibly just before its fsync completes; a read-write
// transaction that observed it is ordered after it in the WAL, so it is never
// durable without it. A View or a read-only Update may therefore, rarely, see
// a commit that a crash in the next milliseconds would undo, but only one
// whose Update had not returned yet.
package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
)

// Store is the Pebble-backed kv.Store. It is safe for concurrent use.
type Store struct {
	db   *pebble.DB
	opts Options

	// Lifecycle: Close waits for running View and Update calls.
	gate kv.Gate // calls in flight, for Close

	// commitMu serializes commits: the final conflict check, the commit log
	// entry and the apply to Pebble, never the fsync.
	commitMu sync.Mutex
	// head is the largest sequence in the commit log; it is advanced before
	// the commit is applied, so every commit a reader can see is covered by
	// validating up to head.Load() after reading.
	head atomic.Uint64
	// visible is the largest sequence whose commit is applied; a transaction
	// starts from it.
	visible atomic.Uint64
	clog    *commitLog
	st      commitStats // for the metrics collector (stats.go)
	// dc compacts ranges after many deletes (compact.go); nil when
	// disabled or read-only.
	dc *compactor

	// watch holds the kv.KeyWatcher counters by key (watch.go).
	watch watchSet

	// Broadcaster is the store's Notifier: one process owns a Pebble
	// store, so every subscriber is local.
	kv.Broadcaster
}

var (
	_ kv.Store    = (*Store)(nil)
	_ kv.Notifier = (*Store)(nil)
)

// errTxnDone is returned by a Txn or Reader used after its fn returned.
var errTxnDone = errors.New("kv/pebble: transaction already ended")

// Open opens (creating if needed) the database in opts.Dir.
func Open(opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref()
	db, err := pebble.Open(o.Dir, o.pebbleOptions(cache))
	if err != nil {
		return nil, fmt.Errorf("kv/pebble: open %s: %w", o.Dir, err)
	}
	s := &Store{db: db, opts: o, clog: newCommitLog(o.logEntries, o.ConflictLogBytes), st: newCommitStats()}
	if !o.ReadOnly && !o.DeleteCompaction.Disabled {
		log := o.Logger
		if log == nil {
			log = slog.Default()
		}
		s.dc = newCompactor(db, o.DeleteCompaction, log)
	}
	return s, nil
}

// FencesRangeDeletes reports that a DeleteRange fences its range (see
// kv.FencesRangeDeletes): a transaction that writes into the range and
// started before the deleting commit conflicts with it and runs again.
func (s *Store) FencesRangeDeletes() bool { return true }

// Config returns the options the store runs with, defaults filled in.
func (s *Store) Config() Options { return s.opts }

// OpenOnFS opens the database in dir on fs with default options; tests use
// it with vfs.NewMem or vfs.NewCrashableMem.
func OpenOnFS(fs vfs.FS, dir string) (*Store, error) {
	return Open(Options{Dir: dir, FS: fs})
}

// Close waits for running View and Update calls, then closes the database.
// Later calls return kv.ErrClosed, as does a second Close.
func (s *Store) Close() error {
	if err := s.gate.Shut(); err != nil {
		return err
	}
	if s.dc != nil {
		s.dc.stop() // before the database closes: Compact must not outlive it
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("kv/pebble: close: %w", err)
	}
	return nil
}

func (s *Store) begin() error { return s.gate.Enter() }

func (s *Store) end() { s.gate.Leave() }

func (s *Store) closing() bool { return s.gate.IsShut() }

// View runs fn on a Pebble snapshot.
func (s *Store) View(ctx context.Context, fn func(tx kv.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	r := &snapReader{snap: s.db.NewSnapshot()}
	defer r.release()
	return fn(r)
}

// Update runs fn in a serializable transaction, retrying it on conflict up to
// the retry budget (then kv.ErrConflict), and returns once the commit is
// durable. If fn returns an error, nothing is written and Update returns it,
// unless what fn read was already stale, in which case fn runs again.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	err := kv.RetryConflicts(ctx, kv.RetryPolicy{MaxAttempts: s.opts.maxAttempts,
		BaseDelay: 100 * time.Microsecond, MaxDelay: 10 * time.Millisecond,
		BeforeRetry: func(int) error {
			s.st.conflicts.Add(1)
			if s.closing() {
				return kv.ErrClosed
			}
			return nil
		},
	}, func() (bool, error) { return s.attempt(fn) })
	if errors.Is(err, kv.ErrConflict) {
		s.st.gaveUp.Add(1)
	}
	return err
}

// attempt runs fn once. done is false if it conflicted and must be retried.
func (s *Store) attempt(fn func(tx kv.Txn) error) (done bool, err error) {
	start := s.visible.Load()
	tx := &txn{b: s.db.NewIndexedBatch()}
	if s.dc != nil {
		tx.prefixLen, tx.dc = s.opts.DeleteCompaction.PrefixLen, &s.opts.DeleteCompaction
	}
	defer tx.release()
	ferr := fn(tx)
	tx.finish() // closes iterators, completing the read set

	if ferr != nil || len(tx.writes) == 0 && len(tx.wranges) == 0 {
		// Nothing to commit, but fn's outcome (its error, or what a read-only
		// transaction returned to its caller) must rest on a consistent view.
		// Every commit fn could have seen has a sequence <= head.
		if s.clog.conflicts(&tx.reads, nil, start, s.head.Load()) {
			return false, nil
		}
		return true, ferr
	}

	// Validate most of the window without the lock, the rest under it.
	checked := s.head.Load()
	if s.clog.conflicts(&tx.reads, tx.writes, start, checked) {
		return false, nil
	}
	ok, err := s.commit(tx, checked)
	if ok && err == nil && s.dc != nil {
		s.dc.note(tx.dels)
	}
	if !ok || err != nil || s.opts.syncUnderLock || s.opts.NoSync {
		return ok, err
	}
	// Wait for the WAL fsync outside the lock; concurrent commits share it.
	s.st.waiters.Observe(s.st.syncing.Add(1))
	err = tx.b.SyncWait()
	s.st.syncing.Add(-1)
	return true, err
}

// commit is the critical section: final validation, log entry, apply.
func (s *Store) commit(tx *txn, checked uint64) (ok bool, err error) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	head := s.head.Load()
	if s.clog.conflicts(&tx.reads, tx.writes, checked, head) {
		return false, nil
	}
	seq := head + 1
	e := &commitEntry{seq: seq, keys: make([]string, 0, len(tx.writes)), size: 64}
	for k := range tx.writes {
		e.keys = append(e.keys, k)
		e.size += len(k) + 16
	}
	if len(tx.wranges) > 0 {
		e.ranges = tx.wranges
		for _, r := range tx.wranges {
			e.size += len(r.start) + len(r.end) + 32
		}
	}
	s.clog.add(e)
	s.head.Store(seq)                   // before the apply makes the writes visible
	s.watch.bump(tx.writes, tx.wranges) // so are the watched keys' counters
	if s.opts.NoSync {
		err = s.db.Apply(tx.b, pebble.NoSync)
	} else {
		err = s.db.ApplyNoSyncWait(tx.b, pebble.Sync)
	}
	s.visible.Store(seq)
	s.st.commits.Add(1)
	if err != nil {
		return true, fmt.Errorf("kv/pebble: commit: %w", err)
	}
	if s.opts.syncUnderLock && !s.opts.NoSync {
		return true, tx.b.SyncWait()
	}
	return true, nil
}

// txn is a kv.Txn over an indexed batch. Not safe for concurrent use.
type txn struct {
	b      *pebble.Batch
	reads  readSet
	writes map[string]struct{}
	// wranges are the ranges deleted (DeleteRange): writes of every key
	// in them, for the conflict check of those who read one.
	wranges []keyRange
	iters   []*iterator
	done    bool
	// dels tallies the deletes for the compactor when prefixLen > 0
	// (but not those dc skips).
	dels      *delTally
	prefixLen int
	dc        *DeleteCompactionOptions
}

var _ kv.Txn = (*txn)(nil)

func (t *txn) Get(key []byte) ([]byte, error) {
	if t.done {
		return nil, errTxnDone
	}
	t.reads.addPoint(key)
	return get(t.b, key)
}

func (t *txn) NewIterator(start, end []byte) kv.Iterator {
	if t.done {
		return &iterator{err: errTxnDone}
	}
	it := newIterator(t.b, start, end, &t.reads)
	t.iters = append(t.iters, it)
	return it
}

func (t *txn) Set(key, value []byte) error {
	if t.done {
		return errTxnDone
	}
	if err := t.b.Set(key, value, nil); err != nil { // copies key and value
		return err
	}
	t.noteWrite(key)
	return nil
}

func (t *txn) Delete(key []byte) error {
	if t.done {
		return errTxnDone
	}
	if err := t.b.Delete(key, nil); err != nil {
		return err
	}
	t.noteWrite(key)
	if t.prefixLen > 0 && !t.dc.skipped(key) {
		if t.dels == nil {
			t.dels = &delTally{prefixLen: t.prefixLen, max: txnGroups}
		}
		t.dels.add(key, key, 1, time.Time{})
	}
	return nil
}

func (t *txn) DeleteRange(start, end []byte) error {
	if t.done {
		return errTxnDone
	}
	if end == nil {
		return errors.New("kv/pebble: DeleteRange needs an end")
	}
	if bytes.Compare(start, end) >= 0 {
		return nil
	}
	// A range tombstone: later iterators over the range skip what it covers
	// in one seek (in older levels; within one memtable or sstable they step
	// over the covered keys until a flush or compaction drops them). The
	// delete compactor is not told: Pebble's own compaction weighs range
	// tombstones by the data they cover.
	if err := t.b.DeleteRange(start, end, nil); err != nil {
		return err
	}
	t.wranges = append(t.wranges, keyRange{start: string(start), end: string(end)})
	return nil
}

func (t *txn) noteWrite(key []byte) {
	if t.writes == nil {
		t.writes = make(map[string]struct{})
	}
	t.writes[string(key)] = struct{}{}
}

// finish ends fn's use of the transaction and closes its iterators, which
// adds their last spans to the read set.
func (t *txn) finish() {
	t.done = true
	for _, it := range t.iters {
		_ = it.Close()
	}
	t.iters = nil
}

func (t *txn) release() {
	t.finish()
	_ = t.b.Close()
}

// snapReader is a kv.Reader over a Pebble snapshot.
type snapReader struct {
	snap  *pebble.Snapshot
	iters []*iterator
	done  bool
}

var _ kv.Reader = (*snapReader)(nil)

func (r *snapReader) Get(key []byte) ([]byte, error) {
	if r.done {
		return nil, errTxnDone
	}
	return get(r.snap, key)
}

func (r *snapReader) NewIterator(start, end []byte) kv.Iterator {
	if r.done {
		return &iterator{err: errTxnDone}
	}
	it := newIterator(r.snap, start, end, nil)
	r.iters = append(r.iters, it)
	return it
}

func (r *snapReader) release() {
	r.done = true
	for _, it := range r.iters {
		_ = it.Close()
	}
	r.iters = nil
	_ = r.snap.Close()
}

// get returns a copy of key's value, so that it stays valid whatever the
// transaction does next (and after it, though the contract does not promise
// that).
func get(src interface {
	Get([]byte) ([]byte, io.Closer, error)
}, key []byte) ([]byte, error) {
	v, closer, err := src.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, kv.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(v))
	copy(out, v)
	_ = closer.Close()
	return out, nil
}

var _ kv.MultiGetter = (*Store)(nil)

// GetMulti reads keys on one snapshot (kv.MultiGetter). It is a View
// without the Reader and its closure, and it copies each value once, out
// of Pebble's buffer, into a slice that is the caller's: a small GET reads
// its bucket record and its object's this way and keeps the inline data
// without copying it again. One key needs no snapshot: a Get reads at one
// sequence number by itself, and closing a snapshot makes Pebble
// reconsider its compactions, which cost a GET more than its read.
func (s *Store) GetMulti(ctx context.Context, keys [][]byte) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	var src interface {
		Get([]byte) ([]byte, io.Closer, error)
	} = s.db
	if len(keys) > 1 {
		snap := s.db.NewSnapshot()
		defer snap.Close()
		src = snap
	}
	vals := make([][]byte, len(keys))
	for i, k := range keys {
		v, closer, err := src.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		vals[i] = append(make([]byte, 0, len(v)), v...) // never nil, even when empty
		_ = closer.Close()
	}
	return vals, nil
}
