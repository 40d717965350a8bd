// Package kv is Coffer's metadata storage contract: an ordered, transactional
// key-value store. Every persistent record (tenants, users, keys, buckets,
// object versions, uploads, usage counters, jobs) lives here.
//
// Two implementations pass the same conformance suite (package kvtest):
// kv/pebble, embedded, the default; and kv/postgres, shared by several nodes.
//
// Transactions are serializable. Update runs fn in a read-write transaction
// and retries it (a bounded number of times) when it conflicts with a
// concurrent transaction, so fn must be free of side effects outside the Txn
// (it may run more than once). A transaction that returns from Update without
// error is durable: it survives a crash or power loss.
package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"coffer/internal/errs"
)

// ErrNotFound is returned by Get when a key does not exist.
var ErrNotFound = errors.New("kv: not found")

// ErrConflict is returned by Update when fn kept conflicting with concurrent
// transactions after the retry budget was spent.
var ErrConflict = errors.New("kv: transaction conflict")

// ErrUnavailable is returned (wrapped, with the cause) when the store cannot
// be reached or does not answer in time: a shared database that is down,
// restarting or overloaded. Nothing was committed unless the failure hit the
// commit itself, whose outcome is then unknown. It is an errs.Unavailable,
// so every dialect answers "retry later" (S3: 503 SlowDown).
var ErrUnavailable error = &errs.Error{Kind: errs.Unavailable, Msg: "The metadata store is unavailable; please retry."}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("kv: store closed")

// Store is an ordered transactional key-value store. Keys and values are
// arbitrary bytes; keys order bytewise.
type Store interface {
	// View runs fn in a read-only transaction that sees a consistent state.
	View(ctx context.Context, fn func(tx Reader) error) error
	// Update runs fn in a serializable read-write transaction, retrying on
	// conflict, and returns once the commit is durable.
	Update(ctx context.Context, fn func(tx Txn) error) error
	// Close releases the store. Pending Updates fail with ErrClosed.
	Close() error
}

// Reader reads inside a transaction. Slices returned by Get and by an
// Iterator are valid only until the transaction ends (Iterator: until Next);
// copy them to keep them.
type Reader interface {
	// Get returns the value of key or ErrNotFound.
	Get(key []byte) ([]byte, error)
	// NewIterator iterates over keys in [start, end) in ascending order. A
	// nil end means "no upper bound". The caller must Close it.
	NewIterator(start, end []byte) Iterator
}

// Txn is a read-write transaction. Its own writes are visible to its reads
// (an Iterator sees those made before it was opened). A Txn, like a Reader,
// is for the goroutine running fn and must not be used after fn returns.
type Txn interface {
	Reader
	// Set writes key; it copies key and value, which the caller may reuse
	// once it returns.
	Set(key, value []byte) error
	Delete(key []byte) error
	// DeleteRange deletes every key in [start, end) (end must not be nil)
	// as of the commit: also keys others commit meanwhile, unless reading
	// them made this transaction conflict. Later reads in the transaction
	// see the range empty but for what it writes after. It costs readers of
	// the range one step (Pebble: a range tombstone, where a Delete per key
	// leaves a tombstone per key for every later scan to step over until a
	// compaction drops them).
	DeleteRange(start, end []byte) error
}

// Iterator walks a key range. Typical use:
//
//	it := tx.NewIterator(start, end)
//	defer it.Close()
//	for ok := it.First(); ok; ok = it.Next() { ... it.Key(), it.Value() ... }
//	if err := it.Err(); err != nil { ... }
type Iterator interface {
	// First positions at the first key of the range.
	First() bool
	// SeekGE positions at the first key >= key (clamped to the range). It is
	// how listings jump past a common prefix without reading what is under it.
	SeekGE(key []byte) bool
	// Next advances; it returns false at the end of the range or on error.
	Next() bool
	Valid() bool
	Key() []byte
	Value() []byte
	Err() error
	Close() error
}

// PrefixEnd returns the smallest key greater than every key with the given
// prefix, or nil if there is none (the prefix is all 0xff).
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// DeletePrefix deletes every key that starts with prefix, in tx, and
// returns how many it deleted.
func DeletePrefix(tx Txn, prefix []byte) (int, error) {
	var keys [][]byte
	it := tx.NewIterator(prefix, PrefixEnd(prefix))
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	err := it.Err()
	it.Close()
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// GetJSON reads the record at k into v; found is false (and v untouched)
// when there is none.
func GetJSON(tx Reader, k []byte, v any) (found bool, err error) {
	raw, err := tx.Get(k)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("kv: record %q: %w", k, err)
	}
	return true, nil
}

// SetJSON writes v as JSON at k.
func SetJSON(tx Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Set(k, b)
}

// ScanJSON decodes every record under prefix, in key order, into a T and
// calls fn with it; fn's error, or a record that does not decode, stops
// the scan.
func ScanJSON[T any](tx Reader, prefix []byte, fn func(v T) error) error {
	it := tx.NewIterator(prefix, PrefixEnd(prefix))
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		var v T
		if err := json.Unmarshal(it.Value(), &v); err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return it.Err()
}

// MultiGetter is implemented by stores that read a few keys in one
// consistent snapshot more cheaply than a View (kv/postgres: one statement,
// no transaction around it). GetMulti returns the keys' values in order, nil
// for a key that does not exist (a present value is never nil); the values
// are the caller's to keep.
type MultiGetter interface {
	GetMulti(ctx context.Context, keys [][]byte) ([][]byte, error)
}

// GetMulti reads keys through s's MultiGetter, or in a View (copying the
// values) when s has none.
func GetMulti(ctx context.Context, s Store, keys [][]byte) ([][]byte, error) {
	if mg, ok := s.(MultiGetter); ok {
		return mg.GetMulti(ctx, keys)
	}
	var vals [][]byte
	err := s.View(ctx, func(tx Reader) error {
		vals = make([][]byte, len(keys))
		for i, k := range keys {
			v, err := tx.Get(k)
			switch {
			case err == nil:
				vals[i] = append(make([]byte, 0, len(v)), v...)
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vals, nil
}

// KeyWatcher is implemented by stores that can tell, without a read,
// whether a key may have changed: WatchKey returns a counter that every
// commit writing key increments before the write is visible to any read
// (kv/pebble, which one process owns), or nil when the store cannot watch
// the key. A reader that loads the counter, then reads key in a snapshot,
// and later finds the counter unchanged after taking another snapshot
// knows the later snapshot holds the same value of key. Wrappers pass
// WatchKey through (WatchKey below) only if they leave keys as they are.
type KeyWatcher interface {
	WatchKey(key []byte) *atomic.Uint64
}

// WatchKey is s's KeyWatcher's counter for key, or nil when s has none.
func WatchKey(s Store, key []byte) *atomic.Uint64 {
	if w, ok := s.(KeyWatcher); ok {
		return w.WatchKey(key)
	}
	return nil
}

// MultiGetterOf returns s as a MultiGetter when the store underneath it
// (through wrappers with an Unwrap() Store method, such as kvmetrics) reads
// several keys natively, and nil otherwise: a View is then as cheap. A
// wrapper implements GetMulti over any store (with GetMulti above).
func MultiGetterOf(s Store) MultiGetter {
	mg, ok := s.(MultiGetter)
	if !ok {
		return nil
	}
	for in := s; ; {
		w, ok := in.(interface{ Unwrap() Store })
		if !ok {
			return mg
		}
		if in = w.Unwrap(); in == nil {
			return nil
		}
		if _, ok := in.(MultiGetter); !ok {
			return nil
		}
	}
}

// FencesRangeDeletes reports whether s (or the store under its wrappers,
// through Unwrap() Store) guarantees that once a DeleteRange commits, no
// transaction that started before that commit writes into the range: such
// a transaction conflicts and runs again. Then every key in the range
// committed later was written by a transaction that started after the
// delete, so a writer whose keys grow with time (a sequence taken inside
// the transaction) writes past the range, and a reader may seek past it
// rather than step over what it deleted. kv/pebble fences; kv/postgres does
// not (several nodes' clocks, no single commit order to fence with).
func FencesRangeDeletes(s Store) bool {
	for s != nil {
		if f, ok := s.(interface{ FencesRangeDeletes() bool }); ok {
			return f.FencesRangeDeletes()
		}
		w, ok := s.(interface{ Unwrap() Store })
		if !ok {
			return false
		}
		s = w.Unwrap()
	}
	return false
}
