package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Management sessions (Commvault POST /Login → token). A session belongs to
// an administrator (every operation) or to a user with a password (its own
// keys only); it ends after Idle without use, or at logout. Sessions are kv
// records found by the SHA-256 of their token, so every node sharing the
// store accepts a token any of them issued, and a stolen copy of the store
// reveals no token.

// SessionKind is who a session belongs to.
type SessionKind string

// Session kinds.
const (
	SessionAdmin SessionKind = "admin"
	SessionUser  SessionKind = "user"
)

// Session is a logged-in management caller.
type Session struct {
	Kind SessionKind `json:"kind"`
	// Name is the administrator's or the user's name.
	Name string `json:"name"`
	// UserID and Tenant identify the user of a SessionUser.
	UserID int32  `json:"user_id,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	// Idle is how long the session may go unused.
	Idle time.Duration `json:"idle"`
	// Expires, when set, ends the session at that time whatever its use
	// (an access token, accesstokens.go); TokenID is that token's id.
	Expires  time.Time `json:"expires,omitzero"`
	TokenID  int64     `json:"token_id,omitempty"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used"`
}

type sessionRecord struct {
	Schema int `json:"_v"`
	Session
}

const sessionSchema = 1

// Session reasons (Kind Unauthenticated).
const (
	ReasonSessionInvalid Reason = "session.invalid"  // unknown, ended or expired token
	ReasonAccountLocked  Reason = "login.locked"     // too many failed logins
	ReasonLoginRequired  Reason = "login.user_empty" // InvalidArgument: no user name
)

// DefaultSessionIdle is Commvault's token lifetime without use.
const DefaultSessionIdle = 30 * time.Minute

func tokenKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return vkey('s', string(sum[:]))
}

func sessionInvalid() error {
	return fail(errs.Unauthenticated, ReasonSessionInvalid, "Authtoken",
		"The token is missing, invalid or expired: log in again.")
}

// expired reports whether a session is past its idle limit at now.
func (r sessionRecord) expired(now time.Time) bool {
	if !r.Expires.IsZero() {
		return !now.Before(r.Expires)
	}
	return now.Sub(r.LastUsed) >= r.Idle
}

// createSession stores a new session and returns its token (64 hex
// characters).
func (s *Service) createSession(ctx context.Context, sess Session) (string, Session, error) {
	if sess.Idle <= 0 {
		sess.Idle = DefaultSessionIdle
	}
	now := s.now().UTC()
	sess.Created, sess.LastUsed = now, now
	token := hex.EncodeToString(randomBytes(32))
	rec := sessionRecord{Schema: sessionSchema, Session: sess}
	err := s.update(ctx, "create session", func(tx kv.Txn) error { return kv.SetJSON(tx, tokenKey(token), &rec) })
	if err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

// ResumeSession returns the session of a token and marks it used
// (ReasonSessionInvalid when the token is unknown, ended or idle too
// long). The last-use time is written at most every Idle/30, so a busy
// client does not cost a write per request.
func (s *Service) ResumeSession(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, sessionInvalid()
	}
	k := tokenKey(token)
	now := s.now().UTC()
	var rec sessionRecord
	var found bool
	if err := s.view(ctx, "read session", func(tx kv.Reader) error {
		var err error
		if found, err = kv.GetJSON(tx, k, &rec); err != nil || !found || rec.Kind != SessionAdmin {
			return err
		}
		// An administrator's session ends with its account or password.
		var a adminRecord
		ok, err := kv.GetJSON(tx, key('a', rec.Name), &a)
		if err == nil && (!ok || a.PasswordChanged.After(rec.Created)) {
			found = false
		}
		return err
	}); err != nil {
		return Session{}, err
	}
	if !found || rec.expired(now) {
		return Session{}, sessionInvalid()
	}
	if now.Sub(rec.LastUsed) >= rec.Idle/30 {
		err := s.update(ctx, "touch session", func(tx kv.Txn) error {
			var cur sessionRecord
			if ok, err := kv.GetJSON(tx, k, &cur); err != nil {
				return err
			} else if !ok || cur.expired(now) {
				return sessionInvalid()
			}
			if now.After(cur.LastUsed) {
				cur.LastUsed = now
			}
			rec = cur
			return kv.SetJSON(tx, k, &cur)
		})
		if err != nil {
			return Session{}, err
		}
	}
	return rec.Session, nil
}

// EndSession ends a session (logout); an unknown token is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	return s.update(ctx, "end session", func(tx kv.Txn) error { return tx.Delete(tokenKey(token)) })
}

// EndUserSessions ends every session of a user (its password changed).
func (s *Service) EndUserSessions(ctx context.Context, userID int32) error {
	return s.update(ctx, "end sessions", func(tx kv.Txn) error {
		return deleteWhere(tx, vkey('s'), func(r *sessionRecord) bool { return r.Kind == SessionUser && r.UserID == userID })
	})
}

// pruneSessions deletes expired sessions.
func (s *Service) pruneSessions(ctx context.Context) error {
	now := s.now()
	return s.update(ctx, "prune sessions", func(tx kv.Txn) error {
		return deleteWhere(tx, vkey('s'), func(r *sessionRecord) bool { return r.expired(now) })
	})
}

// pruneLogins deletes failure records a day old whose lock ran out.
func (s *Service) pruneLogins(ctx context.Context) error {
	now := s.now()
	return s.update(ctx, "prune logins", func(tx kv.Txn) error {
		return deleteWhere(tx, vkey('l'), func(r *loginRecord) bool { return now.Sub(r.Last) >= 24*time.Hour && !now.Before(r.Until) })
	})
}

// LoginInput is one login attempt (Commvault POST /Login).
type LoginInput struct {
	// Tenant is the tenant whose users may log in (the default company).
	Tenant string
	// Name and Password are the credentials, the password in clear.
	Name, Password string
	// Addr is the client's address (IP, without port) the lockout policy
	// counts failures by; "" when unknown.
	Addr string
	// Idle is the session's idle limit (DefaultSessionIdle when 0).
	Idle time.Duration
}

// LoginResult is a successful login, or the lock state of a failed one.
type LoginResult struct {
	Token   string
	Session Session
	// User is the logged-in user of a SessionUser.
	User User
	// Locked and LockRemaining describe a locked name (also set on
	// failure).
	Locked        bool
	LockRemaining time.Duration
	// Failures is the number of recent failures of the name from this
	// address so far (on failure).
	Failures int
}

// loginRecord is a failed-login count of earlier versions, kept in kv;
// the lockout state is now the login guard's (internal/loginguard) and
// pruneLogins removes the old records.
type loginRecord struct {
	Schema   int       `json:"_v"`
	Failures int       `json:"failures"`
	Until    time.Time `json:"until,omitzero"`
	// Last is the latest failure; records a day old are pruned.
	Last time.Time `json:"last"`
}

// Login checks credentials and opens a session: an administrator of that
// name, else the tenant's user with a password; one slow hash at most. A
// wrong name or password fails with ReasonBadCredentials; the lockout
// policy (internal/loginguard) counts failures per name and client address, and
// a locked attempt fails with ReasonAccountLocked (the right password
// included) without hashing, the result saying for how long.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	if in.Name == "" {
		return LoginResult{}, fail(errs.InvalidArgument, ReasonLoginRequired, "username", "The user name is required.")
	}
	locked := func(ls LockState) (LoginResult, error) {
		return LoginResult{Locked: true, LockRemaining: ls.Remaining, Failures: ls.Failures}, lockedError(ls)
	}
	now := s.now()
	if ls, isLocked := s.guard.Locked(in.Name, in.Addr, now); isLocked {
		return locked(ls)
	}
	// The attempt is counted as a failure before the (slow) password
	// check, so concurrent attempts cannot get more guesses than the
	// policy allows; a success uncounts it.
	ls, isLocked := s.guard.Begin(in.Name, in.Addr, now)
	if isLocked {
		return locked(ls)
	}
	sess := Session{Kind: SessionAdmin, Name: in.Name, Idle: in.Idle}
	var res LoginResult
	var err error
	if _, hit := s.cachedAdmin(in.Name, in.Password, now); !hit {
		_, err = s.verifyAdmin(ctx, in.Addr, in.Name, in.Password, false)
	}
	if ReasonOf(err) == ReasonAdminNotFound {
		var u User
		u, err = s.verifyUserPassword(ctx, in.Addr, in.Tenant, in.Name, in.Password)
		sess = Session{Kind: SessionUser, Name: u.Name, UserID: u.ID, Tenant: u.Tenant, Idle: in.Idle}
		res.User = u
	}
	switch {
	case ReasonOf(err) == ReasonBadCredentials:
		if ls.Locked { // this failure locked the name
			return locked(ls)
		}
		return LoginResult{Failures: ls.Failures}, err
	case err != nil: // storage, or too busy: not the caller's failure
		s.guard.Succeed(in.Name, in.Addr)
		return LoginResult{}, err
	}
	s.guard.Succeed(in.Name, in.Addr)
	res.Token, res.Session, err = s.createSession(ctx, sess)
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

// deleteWhere deletes the records under prefix that match.
func deleteWhere[T any](tx kv.Txn, prefix []byte, match func(*T) bool) error {
	var keys [][]byte
	if err := scan(tx, prefix, func(k, raw []byte) error {
		var r T
		if err := jsonUnmarshal(raw, &r); err != nil {
			return err
		}
		if match(&r) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
