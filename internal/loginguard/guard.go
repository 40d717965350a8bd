// Package loginguard is the one lockout policy of every password check the
// management plane makes: it counts failed logins per (account, client
// address) and per address, locks what passes its limits, and shares the
// counts with the other nodes through the kv store.
package loginguard

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"coffer/internal/kv"
)

// The login guard is the one lockout policy of every password check the
// management plane makes (ONTAP HTTP Basic on /api, Commvault POST /Login
// and its token paths). It keeps, in memory:
//
//   - failures per (account, client address): MaxFailures failures within
//     FailureWindow lock that pair for Lockout. A stranger guessing from
//     address A locks only (account, A): the administrator logs in from B.
//   - failures per client address, over every account (and bad session
//     tokens): MaxAddressFailures within FailureWindow block the address for
//     Lockout, so one address cannot try many accounts.
//
// A locked attempt is refused before anything is hashed or read from the
// store. An attempt that will hash is counted as a failure before the hash
// (so concurrent guesses cannot exceed the limit) and uncounted by a
// success. The slow hashes themselves run under a Gate (gate.go), so bad
// guesses cannot hold every core: they queue, bounded in time, and one
// address's attempts queue behind each other, not in front of others'.
//
// Several nodes: the counts are shared through the store (shared.go), so the limits hold for the cluster, not per node: a guesser
// spreading attempts over N nodes behind a load balancer still gets
// MaxFailures guesses per (account, address), not N times as many. Each
// node also keeps the in-memory state above, which refuses a pair or an
// address it knows to be locked without any store access, and which stays
// the (per-node) fallback when the store cannot be written.

// Policy is the lockout policy.
type Policy struct {
	MaxFailures        int
	FailureWindow      time.Duration
	Lockout            time.Duration
	MaxAddressFailures int
}

// LockState describes the lock of a failed or refused attempt.
type LockState struct {
	// Locked: the attempt was refused because its account (from this
	// address) or its address is locked, or this failure locked it.
	Locked bool
	// Remaining is how long the lock still lasts.
	Remaining time.Duration
	// Failures is the number of recent failures of the account from this
	// address, this one included.
	Failures int
	// Address is true when the whole address is blocked (not only the
	// account from it).
	Address bool
}

// Options configures a Guard.
type Options struct {
	Policy Policy
	// Store, when set, shares the counts with every node using it; nil
	// keeps them in this process only.
	Store kv.Store
	// Prefix is the key namespace of the shared counts (required with
	// Store; it must not change once counts exist).
	Prefix byte
	// OnForget runs inside the transaction that deleted an account's
	// stored counts (Forget), so the caller can tell other nodes to drop
	// their pair locks once it commits.
	OnForget func(tx kv.Txn)
	// Log receives store failures; nil means slog.Default().
	Log *slog.Logger
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	p := o.Policy
	switch {
	case p.MaxFailures < 1 || p.MaxAddressFailures < 1:
		return errors.New("loginguard: the failure limits must be at least 1")
	case p.FailureWindow <= 0 || p.Lockout <= 0:
		return errors.New("loginguard: the failure window and the lockout must be positive")
	case o.Store != nil && o.Prefix == 0:
		return errors.New("loginguard: Options.Prefix is required with Options.Store")
	}
	return nil
}

// New returns a Guard.
func New(o Options) (*Guard, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	g := &Guard{policy: o.Policy, pairs: map[pairKey]*failState{}, addrs: map[string]*failState{}}
	if o.Store != nil {
		g.shared = &shared{kv: o.Store, prefix: o.Prefix, log: o.Log, onForget: o.OnForget}
	}
	return g, nil
}

// Policy is the guard's lockout policy.
func (g *Guard) Policy() Policy { return g.policy }

// Shared reports whether the counts are shared through a store.
func (g *Guard) Shared() bool { return g.shared != nil }

// maxGuardEntries bounds each of the guard's maps; past it, expired
// entries are swept and then unlocked ones dropped.
const maxGuardEntries = 100_000

type failState struct {
	failures int
	first    time.Time // the window's start
	until    time.Time // locked until (zero: not locked)
}

// current returns st as seen at now: an expired lock or window resets.
func (st *failState) current(now time.Time, window time.Duration) {
	if !st.until.IsZero() && !now.Before(st.until) {
		*st = failState{}
	}
	if st.until.IsZero() && st.failures > 0 && now.Sub(st.first) >= window {
		*st = failState{}
	}
}

type pairKey struct{ name, addr string }

// Guard is the lockout state of one process, shared with other nodes
// through the store when Options.Store is set.
type Guard struct {
	policy Policy
	mu     sync.Mutex
	pairs  map[pairKey]*failState
	addrs  map[string]*failState
	shared *shared // nil: per-process counts only
}

// Locked reports the lock of (name, addr) at now without changing it.
func (g *Guard) Locked(name, addr string, now time.Time) (LockState, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lockedMu(name, addr, now)
}

// lockedMu is Locked with g.mu held.
func (g *Guard) lockedMu(name, addr string, now time.Time) (LockState, bool) {
	if st := g.addrs[addr]; st != nil {
		st.current(now, g.policy.FailureWindow)
		if !st.until.IsZero() {
			return LockState{Locked: true, Remaining: st.until.Sub(now), Address: true, Failures: g.pairFailures(name, addr)}, true
		}
	}
	if st := g.pairs[pairKey{name, addr}]; st != nil {
		st.current(now, g.policy.FailureWindow)
		if !st.until.IsZero() {
			return LockState{Locked: true, Remaining: st.until.Sub(now), Failures: st.failures}, true
		}
	}
	return LockState{}, false
}

func (g *Guard) pairFailures(name, addr string) int {
	if st := g.pairs[pairKey{name, addr}]; st != nil {
		return st.failures
	}
	return 0
}

// Begin counts an attempt as a failure before its password is checked;
// it refuses (locked true) when the pair or the address is locked. The
// state returned is the one after this failure (its lock, if this attempt
// reached a limit).
func (g *Guard) Begin(name, addr string, now time.Time) (LockState, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ls, locked := g.lockedMu(name, addr, now); locked { // checked and counted at once
		return ls, true
	}
	ps := guardEntry(g.pairs, pairKey{name, addr}, now, g.policy.FailureWindow)
	as := guardEntry(g.addrs, addr, now, g.policy.FailureWindow)
	if g.shared != nil {
		// The cluster's counts decide; the local ones are only the
		// fallback. The store is written under g.mu: one node's attempts
		// on one pair do not conflict with each other in the store.
		if sp, sa, locked, ok := g.shared.begin(name, addr, now, g); ok {
			*ps, *as = sp, sa
			if locked {
				return g.stateMu(ps, as, now), true
			}
			return g.stateMu(ps, as, now), false
		}
	}
	ls := g.fail(ps, g.policy.MaxFailures, now)
	if a := g.fail(as, g.policy.MaxAddressFailures, now); a.Locked && !ls.Locked {
		ls.Locked, ls.Remaining, ls.Address = true, a.Remaining, true
	}
	return ls, false
}

// stateMu is the LockState of a pair and its address.
func (g *Guard) stateMu(ps, as *failState, now time.Time) LockState {
	ls := LockState{Failures: ps.failures}
	if !ps.until.IsZero() {
		ls.Locked, ls.Remaining = true, ps.until.Sub(now)
	}
	if !as.until.IsZero() && !ls.Locked {
		ls.Locked, ls.Remaining, ls.Address = true, as.until.Sub(now), true
	}
	return ls
}

// FailAddress counts a failure of the address alone (a bad session token).
func (g *Guard) FailAddress(addr string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	as := guardEntry(g.addrs, addr, now, g.policy.FailureWindow)
	if g.shared != nil {
		if st, ok := g.shared.failAddress(addr, now, g); ok {
			*as = st
			return
		}
	}
	g.fail(as, g.policy.MaxAddressFailures, now)
}

func (g *Guard) fail(st *failState, limit int, now time.Time) LockState {
	if st.failures == 0 {
		st.first = now
	}
	st.failures++
	if st.failures >= limit && st.until.IsZero() {
		st.until = now.Add(g.policy.Lockout)
	}
	if st.until.IsZero() {
		return LockState{Failures: st.failures}
	}
	return LockState{Locked: true, Remaining: st.until.Sub(now), Failures: st.failures}
}

// Succeed undoes Begin's count: the pair starts over, the address keeps
// its other failures.
func (g *Guard) Succeed(name, addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pairs, pairKey{name, addr})
	if st := g.addrs[addr]; st != nil && st.failures > 0 && st.until.IsZero() {
		st.failures--
	}
	if g.shared != nil {
		g.shared.succeed(name, addr)
	}
}

// Forget clears every pair of an account (its password was reset by an
// administrator, who unlocks it by doing so).
func (g *Guard) Forget(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.pairs {
		if k.name == name {
			delete(g.pairs, k)
		}
	}
	if g.shared != nil {
		g.shared.forget(name)
	}
}

// DropPairLocks forgets the pairs this node holds in memory when the
// counts are shared: an account changed (maybe its password was reset on
// another node, which unlocks it there, shared.forget), and the
// store's counts are the truth; the next attempt of each pair reads them.
func (g *Guard) DropPairLocks() {
	if g.shared == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.pairs)
}

// guardEntry returns m[k], creating it; it keeps m below maxGuardEntries.
func guardEntry[K comparable](m map[K]*failState, k K, now time.Time, window time.Duration) *failState {
	st := m[k]
	if st != nil {
		st.current(now, window)
		return st
	}
	if len(m) >= maxGuardEntries {
		for k, v := range m {
			if v.current(now, window); v.failures == 0 {
				delete(m, k)
			}
		}
		if len(m) >= maxGuardEntries {
			for k, v := range m {
				if v.until.IsZero() {
					delete(m, k)
				}
			}
		}
	}
	st = &failState{}
	m[k] = st
	return st
}
