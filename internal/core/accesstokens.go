package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Long-lived access tokens (Commvault POST /V4/AccessToken): a named
// token a logged-in caller creates for scripts, working like a session of
// its creator until it expires (30 minutes by default), with a refresh
// token that renews it (POST /V4/AccessToken/Renew: a new access token and
// a new refresh token, the old pair ends) until the token's renewal limit
// (14 days by default). Revoking a token ends both.
//
// Records: the access token is an ordinary session record (its SHA-256 is
// the key) with Expires and TokenID set, so every node accepts it like a
// login token; the token itself is 'v' 'T' id(8) (name, owner, lifetime,
// limit, and the SHA-256 of the current access and refresh tokens); 'v'
// 'R' sha256(refresh) → id finds it by its refresh token. No token is
// stored in clear.

// AccessToken describes a long-lived token, without its secrets.
type AccessToken struct {
	ID   int64
	Name string
	// Owner is the creator: its kind, name, and user id for users.
	Owner Session
	// Lifetime is how long each access token of it lives.
	Lifetime time.Duration
	// Expires is when the current access token ends; RenewableUntil when
	// its refresh token stops renewing it.
	Expires        time.Time
	RenewableUntil time.Time
	Created        time.Time
}

// IssuedToken is a token pair issued now: the only time they are shown.
type IssuedToken struct {
	AccessToken
	Token        string
	RefreshToken string
}

// CreateAccessTokenInput creates a token for an authenticated caller.
type CreateAccessTokenInput struct {
	// Owner is the caller's session (the token acts as it).
	Owner Session
	// Name is required: 1..256 characters.
	Name string
	// Expires is when the first access token ends; zero means after
	// DefaultAccessTokenLifetime. Later tokens live as long as the first.
	Expires time.Time
	// RenewableUntil is when renewals stop; zero means after
	// DefaultTokenRenewal.
	RenewableUntil time.Time
}

// Defaults for access tokens (Commvault: 30 minutes, renewable for 14
// days).
const (
	DefaultAccessTokenLifetime = 30 * time.Minute
	DefaultTokenRenewal        = 14 * 24 * time.Hour
	MaxTokenRenewal            = 366 * 24 * time.Hour
)

// Access token reasons.
const (
	ReasonTokenNameInvalid Reason = "token.name"          // InvalidArgument
	ReasonTokenExpiry      Reason = "token.expiry"        // InvalidArgument
	ReasonTokenNotFound    Reason = "token.not_found"     // NotFound
	ReasonRefreshInvalid   Reason = "token.refresh"       // Unauthenticated: unknown, revoked or used refresh token
	ReasonRefreshExpired   Reason = "token.refresh_ended" // Unauthenticated: past RenewableUntil
)

type accessTokenRecord struct {
	Schema         int           `json:"_v"`
	ID             int64         `json:"id"`
	Name           string        `json:"name"`
	Owner          Session       `json:"owner"`
	Lifetime       time.Duration `json:"lifetime"`
	Expires        time.Time     `json:"expires"`
	RenewableUntil time.Time     `json:"renewable_until"`
	Created        time.Time     `json:"created"`
	AccessHash     []byte        `json:"access"`
	RefreshHash    []byte        `json:"refresh"`
}

const accessTokenSchema = 1

func (r *accessTokenRecord) token() AccessToken {
	return AccessToken{ID: r.ID, Name: r.Name, Owner: r.Owner, Lifetime: r.Lifetime, Expires: r.Expires,
		RenewableUntil: r.RenewableUntil, Created: r.Created}
}

func sum256(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func refreshKey(refresh string) []byte { return vkey('R', string(sum256(refresh))) }

// issue mints a new access and refresh token for rec (in tx): the session
// record, the refresh index, and rec's hashes.
func (s *Service) issueTokenTx(tx kv.Txn, rec *accessTokenRecord, now time.Time) (IssuedToken, error) {
	access := hex.EncodeToString(randomBytes(32))
	refresh := hex.EncodeToString(randomBytes(32))
	sess := rec.Owner
	sess.Idle, sess.Created, sess.LastUsed = rec.Lifetime, now, now
	sess.Expires, sess.TokenID = rec.Expires, rec.ID
	if err := kv.SetJSON(tx, tokenKey(access), &sessionRecord{Schema: sessionSchema, Session: sess}); err != nil {
		return IssuedToken{}, err
	}
	if err := kv.SetJSON(tx, refreshKey(refresh), &rec.ID); err != nil {
		return IssuedToken{}, err
	}
	rec.AccessHash, rec.RefreshHash = sum256(access), sum256(refresh)
	if err := kv.SetJSON(tx, vkey64('T', rec.ID), rec); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{AccessToken: rec.token(), Token: access, RefreshToken: refresh}, nil
}

// dropTokenTx deletes the current access token and refresh index of rec.
func dropTokenTx(tx kv.Txn, rec *accessTokenRecord) error {
	if len(rec.AccessHash) > 0 {
		if err := tx.Delete(vkey('s', string(rec.AccessHash))); err != nil {
			return err
		}
	}
	if len(rec.RefreshHash) > 0 {
		if err := tx.Delete(vkey('R', string(rec.RefreshHash))); err != nil {
			return err
		}
	}
	return nil
}

// CreateAccessToken creates a named token acting as in.Owner.
func (s *Service) CreateAccessToken(ctx context.Context, in CreateAccessTokenInput) (IssuedToken, error) {
	if l := len(in.Name); l < 1 || l > 256 {
		return IssuedToken{}, fail(errs.InvalidArgument, ReasonTokenNameInvalid, "tokenName", "tokenName must have 1 to 256 characters.")
	}
	now := s.now().UTC()
	exp, until := in.Expires, in.RenewableUntil
	if exp.IsZero() {
		exp = now.Add(DefaultAccessTokenLifetime)
	}
	if until.IsZero() {
		until = now.Add(DefaultTokenRenewal)
	}
	if !exp.After(now) || until.Before(exp) || until.Sub(now) > MaxTokenRenewal {
		return IssuedToken{}, fail(errs.InvalidArgument, ReasonTokenExpiry, "tokenExpiryTimestamp",
			"The token must expire in the future, and be renewable until after it expires and for at most %d days.",
			int(MaxTokenRenewal/(24*time.Hour)))
	}
	owner := Session{Kind: in.Owner.Kind, Name: in.Owner.Name, UserID: in.Owner.UserID, Tenant: in.Owner.Tenant}
	var out IssuedToken
	err := s.update(ctx, "create access token", func(tx kv.Txn) error {
		id, err := nextID(tx, "access_token")
		if err != nil {
			return err
		}
		rec := accessTokenRecord{Schema: accessTokenSchema, ID: id, Name: in.Name, Owner: owner,
			Lifetime: exp.Sub(now), Expires: exp, RenewableUntil: until, Created: now}
		out, err = s.issueTokenTx(tx, &rec, now)
		return err
	})
	return out, err
}

// RenewAccessToken trades a refresh token (and the access token it was
// issued with, when given) for a new pair; the old pair stops working.
// An administrator's token ends with its account or a password change, a
// user's with its user. Errors: ReasonRefreshInvalid, ReasonRefreshExpired
// (Unauthenticated).
func (s *Service) RenewAccessToken(ctx context.Context, access, refresh string) (IssuedToken, error) {
	invalid := fail(errs.Unauthenticated, ReasonRefreshInvalid, "refreshToken",
		"The refresh token is unknown, revoked or already used.")
	if refresh == "" {
		return IssuedToken{}, invalid
	}
	now := s.now().UTC()
	var out IssuedToken
	err := s.update(ctx, "renew access token", func(tx kv.Txn) error {
		var id int64
		if ok, err := kv.GetJSON(tx, refreshKey(refresh), &id); err != nil {
			return err
		} else if !ok {
			return invalid
		}
		var rec accessTokenRecord
		if ok, err := kv.GetJSON(tx, vkey64('T', id), &rec); err != nil {
			return err
		} else if !ok || subtle.ConstantTimeCompare(rec.RefreshHash, sum256(refresh)) != 1 ||
			access != "" && subtle.ConstantTimeCompare(rec.AccessHash, sum256(access)) != 1 {
			return invalid
		}
		if !now.Before(rec.RenewableUntil) {
			return fail(errs.Unauthenticated, ReasonRefreshExpired, "refreshToken", "The refresh token has expired.")
		}
		if ok, err := s.tokenOwnerValid(tx, &rec); err != nil {
			return err
		} else if !ok {
			return invalid
		}
		if err := dropTokenTx(tx, &rec); err != nil {
			return err
		}
		rec.Expires = now.Add(rec.Lifetime)
		var err error
		out, err = s.issueTokenTx(tx, &rec, now)
		return err
	})
	return out, err
}

// tokenOwnerValid reports whether the creator of a token may still use it.
func (s *Service) tokenOwnerValid(tx kv.Reader, rec *accessTokenRecord) (bool, error) {
	switch rec.Owner.Kind {
	case SessionAdmin:
		var a adminRecord
		ok, err := kv.GetJSON(tx, key('a', rec.Owner.Name), &a)
		return ok && !a.PasswordChanged.After(rec.Created), err
	case SessionUser:
		ref, err := tx.Get(key32('r', rec.Owner.UserID))
		if errIsNotFound(err) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		t, name := splitRef(ref)
		u, ok, err := getUser(tx, t, name)
		return ok && name == rec.Owner.Name && !u.Disabled, err
	}
	return false, nil
}

// mayManageToken: administrators manage every token, users their own.
func mayManageToken(caller Session, rec *accessTokenRecord) bool {
	if caller.Kind == SessionAdmin {
		return true
	}
	return rec.Owner.Kind == SessionUser && rec.Owner.UserID == caller.UserID
}

// RevokeAccessToken ends a token and its refresh token
// (ReasonTokenNotFound, also for another user's token).
func (s *Service) RevokeAccessToken(ctx context.Context, caller Session, id int64) error {
	return s.update(ctx, "revoke access token", func(tx kv.Txn) error {
		var rec accessTokenRecord
		if ok, err := kv.GetJSON(tx, vkey64('T', id), &rec); err != nil {
			return err
		} else if !ok || !mayManageToken(caller, &rec) {
			return fail(errs.NotFound, ReasonTokenNotFound, "accessTokenId", "Access token %d does not exist.", id)
		}
		if err := dropTokenTx(tx, &rec); err != nil {
			return err
		}
		return tx.Delete(vkey64('T', id))
	})
}

// ListAccessTokens returns the tokens caller may manage (of user userID
// only, when not 0), by id.
func (s *Service) ListAccessTokens(ctx context.Context, caller Session, userID int32) ([]AccessToken, error) {
	var out []AccessToken
	err := s.view(ctx, "list access tokens", func(tx kv.Reader) error {
		out = nil
		return kv.ScanJSON(tx, vkey('T'), func(r accessTokenRecord) error {
			if mayManageToken(caller, &r) && (userID == 0 || r.Owner.UserID == userID) {
				out = append(out, r.token())
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// pruneAccessTokens deletes tokens that can no longer be renewed and whose
// access token has expired.
func (s *Service) pruneAccessTokens(ctx context.Context) error {
	now := s.now()
	return s.update(ctx, "prune access tokens", func(tx kv.Txn) error {
		var dead []accessTokenRecord
		if err := kv.ScanJSON(tx, vkey('T'), func(r accessTokenRecord) error {
			if !now.Before(r.RenewableUntil) && !now.Before(r.Expires) {
				dead = append(dead, r)
			}
			return nil
		}); err != nil {
			return err
		}
		for i := range dead {
			if err := dropTokenTx(tx, &dead[i]); err != nil {
				return err
			}
			if err := tx.Delete(vkey64('T', dead[i].ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReissueSession trades a valid login session's token for a new token of
// the same session (Commvault POST /RenewLoginToken); the old token ends.
// Access tokens are renewed with their refresh token instead
// (ReasonSessionInvalid for them, as for unknown or expired tokens).
func (s *Service) ReissueSession(ctx context.Context, token string) (string, error) {
	sess, err := s.ResumeSession(ctx, token)
	if err != nil {
		return "", err
	}
	if sess.TokenID != 0 {
		return "", sessionInvalid()
	}
	nt, _, err := s.createSession(ctx, Session{Kind: sess.Kind, Name: sess.Name, UserID: sess.UserID,
		Tenant: sess.Tenant, Idle: sess.Idle})
	if err != nil {
		return "", err
	}
	return nt, s.EndSession(ctx, token)
}
