package core

import (
	"context"
	"sync"
	"time"

	"coffer/internal/errs"
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
// success. The slow hashes themselves run under a semaphore
// (Options.PasswordChecks), so bad guesses from many addresses cannot hold
// every core: they queue, bounded by Options.PasswordCheckWait.
//
// Several nodes: the counts are shared through the store (sharedGuard
// below), so the limits hold for the cluster, not per node: a guesser
// spreading attempts over N nodes behind a load balancer still gets
// MaxFailures guesses per (account, address), not N times as many. Each
// node also keeps the in-memory state above, which refuses a pair or an
// address it knows to be locked without any store access, and which stays
// the (per-node) fallback when the store cannot be written.

// LoginPolicy is the lockout policy (core.Options fills it).
type LoginPolicy struct {
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

// Reasons of the guard.
const (
	// ReasonLoginBusy: too many password checks are waiting (Kind
	// Unauthenticated; adapters answer 503 with Retry-After).
	ReasonLoginBusy Reason = "login.busy"
)

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

type loginGuard struct {
	policy LoginPolicy
	mu     sync.Mutex
	pairs  map[pairKey]*failState
	addrs  map[string]*failState
	shared *sharedGuard // nil: per-process counts only
}

func newLoginGuard(p LoginPolicy) *loginGuard {
	return &loginGuard{policy: p, pairs: map[pairKey]*failState{}, addrs: map[string]*failState{}}
}

// locked reports the lock of (name, addr) at now without changing it.
func (g *loginGuard) locked(name, addr string, now time.Time) (LockState, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lockedMu(name, addr, now)
}

// lockedMu is locked with g.mu held.
func (g *loginGuard) lockedMu(name, addr string, now time.Time) (LockState, bool) {
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

func (g *loginGuard) pairFailures(name, addr string) int {
	if st := g.pairs[pairKey{name, addr}]; st != nil {
		return st.failures
	}
	return 0
}

// begin counts an attempt as a failure before its password is checked;
// it refuses (locked true) when the pair or the address is locked. The
// state returned is the one after this failure (its lock, if this attempt
// reached a limit).
func (g *loginGuard) begin(name, addr string, now time.Time) (LockState, bool) {
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
func (g *loginGuard) stateMu(ps, as *failState, now time.Time) LockState {
	ls := LockState{Failures: ps.failures}
	if !ps.until.IsZero() {
		ls.Locked, ls.Remaining = true, ps.until.Sub(now)
	}
	if !as.until.IsZero() && !ls.Locked {
		ls.Locked, ls.Remaining, ls.Address = true, as.until.Sub(now), true
	}
	return ls
}

// failAddress counts a failure of the address alone (a bad session token).
func (g *loginGuard) failAddress(addr string, now time.Time) {
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

func (g *loginGuard) fail(st *failState, limit int, now time.Time) LockState {
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

// succeed undoes begin's count: the pair starts over, the address keeps
// its other failures.
func (g *loginGuard) succeed(name, addr string) {
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

// forget clears every pair of an account (its password was reset by an
// administrator, who unlocks it by doing so).
func (g *loginGuard) forget(name string) {
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

// dropPairLocks forgets the pairs this node holds in memory when the
// counts are shared: an account changed (maybe its password was reset on
// another node, which unlocks it there, sharedGuard.forget), and the
// store's counts are the truth; the next attempt of each pair reads them.
func (g *loginGuard) dropPairLocks() {
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

// lockedError is the error of a refused or locking attempt.
func lockedError(ls LockState) error {
	secs := int(ls.Remaining.Seconds() + 0.999)
	if ls.Address {
		return fail(errs.Unauthenticated, ReasonAccountLocked, "username",
			"Too many failed logins from this address; try again in %d seconds.", secs)
	}
	return fail(errs.Unauthenticated, ReasonAccountLocked, "username",
		"The account is locked after too many failed logins; try again in %d seconds.", secs)
}

// acquireCheck takes a slot of the password-check semaphore, waiting at
// most Options.PasswordCheckWait (ReasonLoginBusy) or until ctx ends.
func (s *Service) acquireCheck(ctx context.Context) (func(), error) {
	select {
	case s.checks <- struct{}{}:
		return func() { <-s.checks }, nil
	default:
	}
	t := time.NewTimer(s.opts.PasswordCheckWait)
	defer t.Stop()
	select {
	case s.checks <- struct{}{}:
		return func() { <-s.checks }, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, fail(errs.Unauthenticated, ReasonLoginBusy, "",
		"Too many logins are being checked at once; retry in a few seconds.")
}

// checkHash computes a password hash for a verification, under the
// semaphore.
func (s *Service) checkHash(ctx context.Context, pw string, salt []byte, iter int) ([]byte, error) {
	release, err := s.acquireCheck(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.hashPassword(pw, salt, iter), nil
}

// Credentials is one password login attempt.
type Credentials struct {
	Name, Password string
	// Addr is the client's address (IP, without port) the lockout counts
	// by; "" when unknown.
	Addr string
}

// AuthenticateAdmin checks an administrator's password (ONTAP HTTP Basic)
// under the lockout policy. A locked attempt fails with
// ReasonAccountLocked without hashing; a wrong name or password with
// ReasonBadCredentials (the returned LockState tells whether this failure
// locked it, and the error is then ReasonAccountLocked).
func (s *Service) AuthenticateAdmin(ctx context.Context, c Credentials) (Admin, LockState, error) {
	now := s.now()
	if ls, locked := s.guard.locked(c.Name, c.Addr, now); locked {
		return Admin{}, ls, lockedError(ls)
	}
	if a, ok := s.cachedAdmin(c.Name, c.Password, now); ok {
		return a, LockState{}, nil
	}
	ls, locked := s.guard.begin(c.Name, c.Addr, now)
	if locked {
		return Admin{}, ls, lockedError(ls)
	}
	a, err := s.verifyAdmin(ctx, c.Name, c.Password, true)
	switch {
	case err == nil:
		s.guard.succeed(c.Name, c.Addr)
		return a, LockState{}, nil
	case ReasonOf(err) == ReasonBadCredentials && ls.Locked:
		return Admin{}, ls, lockedError(ls)
	case ReasonOf(err) == ReasonBadCredentials:
		return Admin{}, ls, err
	default: // storage or busy: not the caller's failure
		s.guard.succeed(c.Name, c.Addr)
		return Admin{}, LockState{}, err
	}
}

// AddressBlocked reports whether a client address is blocked by the
// lockout policy (for token paths, which check no password).
func (s *Service) AddressBlocked(addr string) (LockState, bool) {
	return s.guard.locked("\x00", addr, s.now())
}

// FailedToken counts a request with an unknown or expired session or
// access token against its address.
func (s *Service) FailedToken(addr string) { s.guard.failAddress(addr, s.now()) }
