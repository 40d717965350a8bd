package pebble

import (
	"sync"
	"sync/atomic"

	"coffer/internal/kv"
)

// watchSet is the store's kv.KeyWatcher: a counter per watched key, which
// commit increments under commitMu before it applies a write of the key.
// A counter is registered under commitMu too, so a commit either finished
// (its write visible) before the key was watched or counts its write.
type watchSet struct {
	n  atomic.Int32 // len(m), read without the lock by commits
	mu sync.RWMutex // guards m; taken for writing under commitMu only
	m  map[string]*atomic.Uint64
}

// maxWatchedKeys bounds the set; WatchKey returns nil past it (the caller
// then reads the key every time). The object layer watches one key per
// bucket it serves reads from.
const maxWatchedKeys = 1 << 16

var _ kv.KeyWatcher = (*Store)(nil)

// WatchKey returns key's counter (kv.KeyWatcher): every commit that writes
// key increments it before the write is visible.
func (s *Store) WatchKey(key []byte) *atomic.Uint64 {
	w := &s.watch
	w.mu.RLock()
	c := w.m[string(key)]
	w.mu.RUnlock()
	if c != nil {
		return c
	}
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if c = w.m[string(key)]; c != nil {
		return c
	}
	if len(w.m) >= maxWatchedKeys {
		return nil
	}
	if w.m == nil {
		w.m = make(map[string]*atomic.Uint64)
	}
	c = new(atomic.Uint64)
	w.m[string(key)] = c
	w.n.Store(int32(len(w.m)))
	return c
}

// bump increments the counters of the watched keys among writes and
// inside the deleted ranges (a range deletion writes every key it covers;
// ranges are rare, so scanning the watched keys for them is cheap).
// Requires Store.commitMu.
func (w *watchSet) bump(writes map[string]struct{}, ranges []keyRange) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.RLock()
	for k := range writes {
		if c := w.m[k]; c != nil {
			c.Add(1)
		}
	}
	for _, r := range ranges {
		for k, c := range w.m {
			if k >= r.start && (r.open || k < r.end) {
				c.Add(1)
			}
		}
	}
	w.mu.RUnlock()
}
