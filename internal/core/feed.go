package core

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/kv"
)

// The change feed keeps the caches of several nodes sharing one store
// coherent (see the package doc, "Caches", and docs/operations.md).
//
// Every transaction that writes a record some cache is built from also
// increments, in the same transaction, a counter of that record's kind in
// one of feedShards shard records:
//
//	'f' shard(1)   changeKinds big-endian uint64 counters (ident, bucket, admin, kms)
//
// The store wrapper (ChangeFeed) does this by looking at the keys a
// transaction writes, so no write path can forget it: the core's records
// (tenants, services, users, keys, groups, policies, admin accounts,
// vault records, plans) and the object layer's bucket records (created,
// deleted, versioning, quota, policy, every bucket configuration) when the
// object layer is given the same wrapped store. Node registrations mark
// themselves (markChange): a heartbeat, which writes the same record, is
// no change.
//
// Each node follows the shards: every Options.FeedPoll (200 ms), and at
// once when the store's Notifier (kv.Notifier: in process for Pebble,
// LISTEN/NOTIFY for PostgreSQL) signals a commit, it reads the feedShards
// records in one snapshot and sums each kind's counters. A sum that moved
// since the last read bumps that kind's cache generation (identGen,
// bucketGen, the admin cache, the KMS key cache). The counters are the
// truth; the notification only shortens the wait. A change is therefore
// seen by every node at most one poll interval (plus one read) after its
// commit, and typically a few milliseconds after.
//
// Why shards rather than one sequence: a counter read and written by every
// change makes every two concurrent changes conflict (one retries). With
// the shard drawn at random, two concurrent changes conflict only when they
// draw the same shard (1 in 16). Time-ordered change records with random
// suffixes would not conflict at all, but a follower can miss a record
// committed late with an earlier timestamp (a slow transaction, or a node
// whose clock is behind); counters cannot be missed, and there is nothing
// to prune: the feed is a fixed 16 records.

// changeKind is what a change invalidates.
type changeKind uint8

const (
	changeIdent  changeKind = iota // identGen: credentials, authorization snapshots
	changeBucket                   // bucketGen: bucket access data, bucket views, endpoints
	changeAdmin                    // cached management password verifications
	changeKMS                      // cached KMS keys
	numChangeKinds
)

// changeMask is a set of kinds.
type changeMask uint8

func (k changeKind) mask() changeMask { return 1 << k }

const feedShards = 16

// feedChannel is the Notifier channel of the feed.
const feedChannel = "coffer_feed"

// DefaultFeedPoll is the default Options.FeedPoll.
const DefaultFeedPoll = 200 * time.Millisecond

func feedKey(shard int) []byte { return []byte{'f', byte(shard)} }

// classify returns the kinds a write of key changes.
func classify(k []byte) changeMask {
	if len(k) == 0 {
		return 0
	}
	switch k[0] {
	case 't', 's', 'u', 'k', 'g', 'h', 'p', 'n', 'm', 'r':
		return changeIdent.mask()
	case 'a':
		return changeAdmin.mask()
	case 'B': // the object layer's bucket records
		return changeBucket.mask()
	case 'K': // the KMS's key records
		return changeKMS.mask()
	case nsVault:
		if len(k) < 2 {
			return 0
		}
		switch k[1] {
		case 'A': // the user a management account is
			return changeIdent.mask()
		case 'b', 'p', 'P': // vault records (endpoints), plans
			return changeBucket.mask()
		}
	}
	return 0
}

// ChangeFeed wraps a store so that every transaction that changes a cached
// record also counts the change in the feed (same transaction). Give the
// wrapped store to the object layer and the KMS as well as to the core, so
// their bucket and key changes are fed too; core.New wraps its store itself
// when it is not wrapped yet. Wrapping twice returns st.
func ChangeFeed(st kv.Store) kv.Store {
	if _, ok := st.(*feedStore); ok {
		return st
	}
	return &feedStore{Store: st}
}

type feedStore struct{ kv.Store }

// GetMulti passes reads through (kv.MultiGetter): they change nothing.
func (f *feedStore) GetMulti(ctx context.Context, keys [][]byte) ([][]byte, error) {
	return kv.GetMulti(ctx, f.Store, keys)
}

// WatchKey passes the store's kv.KeyWatcher through: the feed adds its
// own keys to a transaction and changes none.
func (f *feedStore) WatchKey(key []byte) *atomic.Uint64 { return kv.WatchKey(f.Store, key) }

// Unwrap returns the store the feed wraps (kv.MultiGetterOf looks through).
func (f *feedStore) Unwrap() kv.Store { return f.Store }

type feedTxn struct {
	kv.Txn
	mask changeMask
}

func (t *feedTxn) Set(k, v []byte) error {
	t.mask |= classify(k)
	return t.Txn.Set(k, v)
}

func (t *feedTxn) Delete(k []byte) error {
	t.mask |= classify(k)
	return t.Txn.Delete(k)
}

// markChange counts a change that classify cannot see from the key alone.
func markChange(tx kv.Txn, k changeKind) {
	if t, ok := tx.(*feedTxn); ok {
		t.mask |= k.mask()
	}
}

var txnPool = sync.Pool{New: func() any { return new(feedTxn) }}

func (f *feedStore) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	var mask changeMask
	err := f.Store.Update(ctx, func(tx kv.Txn) error {
		t := txnPool.Get().(*feedTxn)
		t.Txn, t.mask = tx, 0
		err := fn(t)
		m := t.mask
		t.Txn = nil
		txnPool.Put(t)
		mask = 0
		if err != nil || m == 0 {
			return err
		}
		mask = m
		return countChange(tx, m)
	})
	if err == nil && mask != 0 {
		if n, ok := f.Store.(kv.Notifier); ok {
			_ = n.Notify(context.WithoutCancel(ctx), feedChannel) // best effort: followers also poll
		}
	}
	return err
}

// countChange increments the counters of mask in a random shard.
func countChange(tx kv.Txn, mask changeMask) error {
	k := feedKey(rand.IntN(feedShards))
	var c [numChangeKinds]uint64
	v, err := tx.Get(k)
	switch {
	case err == nil:
		c = decodeCounters(v)
	case errors.Is(err, kv.ErrNotFound):
	default:
		return err
	}
	for i := range c {
		if mask&changeKind(i).mask() != 0 {
			c[i]++
		}
	}
	out := make([]byte, 0, 8*numChangeKinds)
	for _, n := range c {
		out = binary.BigEndian.AppendUint64(out, n)
	}
	return tx.Set(k, out)
}

func decodeCounters(v []byte) [numChangeKinds]uint64 {
	var c [numChangeKinds]uint64
	for i := range c {
		if len(v) >= 8*(i+1) {
			c[i] = binary.BigEndian.Uint64(v[8*i:])
		}
	}
	return c
}

// readFeed sums the counters of every shard.
func readFeed(ctx context.Context, st kv.Store) ([numChangeKinds]uint64, error) {
	var sum [numChangeKinds]uint64
	err := st.View(ctx, func(tx kv.Reader) error {
		sum = [numChangeKinds]uint64{}
		return scan(tx, []byte{'f'}, func(_, v []byte) error {
			c := decodeCounters(v)
			for i := range sum {
				sum[i] += c[i]
			}
			return nil
		})
	})
	return sum, err
}

// follower follows the feed for one Service.
type follower struct {
	s      *Service
	every  time.Duration
	last   [numChangeKinds]uint64
	stop   chan struct{}
	done   chan struct{}
	unsub  func()
	wake   <-chan struct{}
	polled chan struct{} // tests: receives after each poll (non-blocking)
}

func (s *Service) startFeed(ctx context.Context) error {
	f := &follower{s: s, every: s.opts.FeedPoll, stop: make(chan struct{}), done: make(chan struct{}),
		unsub: func() {}}
	var err error
	if f.last, err = readFeed(ctx, s.kv); err != nil {
		return err
	}
	if n, ok := unwrapStore(s.kv).(kv.Notifier); ok {
		f.wake, f.unsub = n.Subscribe(feedChannel)
	}
	s.feed = f
	go f.run()
	return nil
}

func unwrapStore(st kv.Store) kv.Store {
	if f, ok := st.(*feedStore); ok {
		return f.Store
	}
	return st
}

func (f *follower) close() {
	close(f.stop)
	<-f.done
	f.unsub()
}

func (f *follower) run() {
	defer close(f.done)
	t := time.NewTicker(f.every)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-f.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		case <-f.wake:
		}
		if err := f.poll(ctx); err != nil && ctx.Err() == nil {
			f.s.log.Warn("change feed read failed", "err", err)
		}
	}
}

// poll reads the feed once and bumps the generations of what moved.
func (f *follower) poll(ctx context.Context) error {
	sum, err := readFeed(ctx, f.s.kv)
	if err != nil {
		return err
	}
	var moved changeMask
	for i := range sum {
		if sum[i] != f.last[i] {
			moved |= changeKind(i).mask()
		}
	}
	f.last = sum
	f.s.applyChanges(moved)
	if f.polled != nil {
		select {
		case f.polled <- struct{}{}:
		default:
		}
	}
	return nil
}

// applyChanges invalidates the caches of the kinds in m.
func (s *Service) applyChanges(m changeMask) {
	if m&changeIdent.mask() != 0 {
		s.identChanged()
	}
	if m&changeBucket.mask() != 0 {
		s.bucketChanged()
	}
	if m&changeAdmin.mask() != 0 {
		s.adminRemote.Add(1) // cached verifications re-read their account (adminStillValid)
	}
	if m&(changeAdmin.mask()|changeIdent.mask()) != 0 {
		s.guard.DropPairLocks() // a password reset elsewhere may have unlocked one
	}
	if m&changeKMS.mask() != 0 {
		if k, ok := s.opts.Secrets.(interface{ ForgetCachedKeys() }); ok {
			k.ForgetCachedKeys()
		}
	}
}

// adminStillValid re-reads an account after the feed reported an account
// change (maybe another node's): a cached verification stays valid while
// the stored hash and role are unchanged, which costs a read, not a hash.
func (s *Service) adminStillValid(name string, e *adminEntry, remote uint64) bool {
	var rec adminRecord
	var found bool
	err := s.view(context.Background(), "read admin", func(tx kv.Reader) error {
		var err error
		found, err = kv.GetJSON(tx, key('a', name), &rec)
		return err
	})
	if err != nil || !found || !bytes.Equal(rec.Hash, e.hash) || rec.admin() != e.admin {
		s.adminMu.Lock()
		s.adminGen++
		delete(s.adminCache, name)
		s.adminMu.Unlock()
		return false
	}
	s.adminMu.Lock()
	if cur, ok := s.adminCache[name]; ok && bytes.Equal(cur.mac, e.mac) {
		cur.remote = remote
		s.adminCache[name] = cur
	}
	s.adminMu.Unlock()
	return true
}
