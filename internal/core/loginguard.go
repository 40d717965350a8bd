package core

import (
	"context"

	"coffer/internal/errs"
	"coffer/internal/loginguard"
)

// The login guard (internal/loginguard) is the one lockout policy of every
// password check the management plane makes (ONTAP HTTP Basic on /api,
// Commvault POST /Login and its token paths): MaxFailures failures of an
// account from one address within FailureWindow lock that pair for
// Lockout, MaxAddressFailures failures from one address over every account
// (and bad session tokens) block the address. Its counts are shared by the
// nodes through the store under 'o', so the limits hold for the cluster.
//
// A locked attempt is refused before anything is hashed or read from the
// store. An attempt that will hash is counted as a failure before the hash
// (so concurrent guesses cannot exceed the limit) and uncounted by a
// success. The slow hashes themselves run under a gate
// (loginguard.Gate, Options.PasswordChecks at once), so bad guesses from
// many addresses cannot hold every core: they queue, bounded by
// Options.PasswordCheckWait, one address's attempts behind each other, so
// a flood from one address does not starve a login from another.

// LockState describes the lock of a failed or refused attempt.
type LockState = loginguard.LockState

// Reasons of the guard.
const (
	// ReasonLoginBusy: too many password checks are waiting (Kind
	// Unauthenticated; adapters answer 503 with Retry-After).
	ReasonLoginBusy Reason = "login.busy"
)

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

// checkHash computes a password hash for a verification from the client
// address addr ("" when unknown), under the password-check gate: at most
// Options.PasswordChecks at once, one address's attempts one after the
// other, waiting at most Options.PasswordCheckWait (ReasonLoginBusy) or
// until ctx ends.
func (s *Service) checkHash(ctx context.Context, addr, pw string, salt []byte, iter int) ([]byte, error) {
	release, err := s.checks.Acquire(ctx, addr)
	if err != nil {
		return nil, fail(errs.Unauthenticated, ReasonLoginBusy, "",
			"Too many logins are being checked at once; retry in a few seconds.")
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
	if ls, locked := s.guard.Locked(c.Name, c.Addr, now); locked {
		return Admin{}, ls, lockedError(ls)
	}
	if a, ok := s.cachedAdmin(c.Name, c.Password, now); ok {
		return a, LockState{}, nil
	}
	ls, locked := s.guard.Begin(c.Name, c.Addr, now)
	if locked {
		return Admin{}, ls, lockedError(ls)
	}
	a, err := s.verifyAdmin(ctx, c.Addr, c.Name, c.Password, true)
	switch {
	case err == nil:
		s.guard.Succeed(c.Name, c.Addr)
		return a, LockState{}, nil
	case ReasonOf(err) == ReasonBadCredentials && ls.Locked:
		return Admin{}, ls, lockedError(ls)
	case ReasonOf(err) == ReasonBadCredentials:
		return Admin{}, ls, err
	default: // storage or busy: not the caller's failure
		s.guard.Succeed(c.Name, c.Addr)
		return Admin{}, LockState{}, err
	}
}

// AddressBlocked reports whether a client address is blocked by the
// lockout policy (for token paths, which check no password).
func (s *Service) AddressBlocked(addr string) (LockState, bool) {
	return s.guard.Locked("\x00", addr, s.now())
}

// FailedToken counts a request with an unknown or expired session or
// access token against its address.
func (s *Service) FailedToken(addr string) { s.guard.FailAddress(addr, s.now()) }
