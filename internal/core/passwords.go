package core

import (
	"context"
	"crypto/hmac"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// A user's Commvault profile: the email address and full name Commvault
// shows, and an optional management password (PBKDF2-SHA256, like
// administrators') with which the user logs in to the management plane to
// read and rotate its own S3 keys. The profile is keyed by the user's int
// id, so the same users the ONTAP dialect creates have one as soon as
// something is set.

// UserProfile is a user's Commvault profile, without the password hash.
type UserProfile struct {
	UserID   int32
	Email    string
	FullName string
	// HasPassword reports whether the user can log in.
	HasPassword     bool
	PasswordChanged time.Time
}

type profileRecord struct {
	Schema          int       `json:"_v"`
	UserID          int32     `json:"user"`
	Email           string    `json:"email,omitempty"`
	FullName        string    `json:"full_name,omitempty"`
	Salt            []byte    `json:"salt,omitempty"`
	Iterations      int       `json:"iter,omitempty"`
	Hash            []byte    `json:"hash,omitempty"`
	PasswordChanged time.Time `json:"pw_changed,omitzero"`
}

const profileSchema = 1

func (r profileRecord) profile() UserProfile {
	return UserProfile{UserID: r.UserID, Email: r.Email, FullName: r.FullName, HasPassword: len(r.Hash) > 0,
		PasswordChanged: r.PasswordChanged}
}

// Profile reasons.
const (
	ReasonEmailInvalid    Reason = "user.email_invalid"     // InvalidArgument
	ReasonFullNameInvalid Reason = "user.full_name_invalid" // InvalidArgument
)

// ProfileInput sets parts of a profile; nil fields stay.
type ProfileInput struct {
	Email    *string
	FullName *string
	// Password, when set, becomes the user's management password
	// (MinPasswordLength..1024 characters); "" removes it.
	Password *string
}

func (in ProfileInput) validate() error {
	if in.Email != nil && *in.Email != "" {
		e := *in.Email
		at := strings.IndexByte(e, '@')
		if len(e) > 320 || at < 1 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n<>\"") {
			return fail(errs.InvalidArgument, ReasonEmailInvalid, "email", "%q is not a valid email address.", e)
		}
	}
	if in.FullName != nil && (len(*in.FullName) > 256 || strings.ContainsAny(*in.FullName, "\x00\r\n")) {
		return fail(errs.InvalidArgument, ReasonFullNameInvalid, "fullName", "Full names have at most 256 characters on one line.")
	}
	if in.Password != nil && *in.Password != "" {
		return validatePassword(*in.Password)
	}
	return nil
}

// apply changes r; the password hash is computed here (slow: call it
// outside a transaction).
func (s *Service) applyProfile(r *profileRecord, in ProfileInput) {
	if in.Email != nil {
		r.Email = *in.Email
	}
	if in.FullName != nil {
		r.FullName = *in.FullName
	}
	if in.Password != nil {
		r.Salt, r.Iterations, r.Hash = nil, 0, nil
		if *in.Password != "" {
			r.Salt, r.Iterations = randomBytes(16), s.opts.PasswordIterations
			r.Hash = s.hashPassword(*in.Password, r.Salt, r.Iterations)
		}
		r.PasswordChanged = s.now().UTC()
	}
}

// CreateUserWithProfile creates a user (CreateUser's rules; Commvault
// users get an AWS-style key pair unless keys are given) and its profile,
// in one transaction. The profile is validated first.
func (s *Service) CreateUserWithProfile(ctx context.Context, in CreateUserInput, p ProfileInput) (User, NewKey, UserProfile, error) {
	if err := p.validate(); err != nil {
		return User{}, NewKey{}, UserProfile{}, err
	}
	if in.AccessKey == "" && in.SecretKey == "" {
		in.AccessKey, in.SecretKey = NewAWSKeyPair()
	}
	var rec profileRecord
	s.applyProfile(&rec, p)
	var u User
	var k NewKey
	err := s.update(ctx, "create user", func(tx kv.Txn) error {
		t, svc, err := requireService(tx, in.Tenant)
		if err != nil {
			return err
		}
		if u, k, err = s.createUserTx(tx, t, svc, in, false); err != nil {
			return err
		}
		rec.Schema, rec.UserID = profileSchema, u.ID
		return kv.SetJSON(tx, vkey32('w', u.ID), &rec)
	})
	if err != nil {
		return User{}, NewKey{}, UserProfile{}, err
	}
	s.identChanged()
	return u, k, rec.profile(), nil
}

// SetUserProfile changes a user's profile (ReasonUserNotFound for an
// unknown user id).
func (s *Service) SetUserProfile(ctx context.Context, userID int32, p ProfileInput) (UserProfile, error) {
	if err := p.validate(); err != nil {
		return UserProfile{}, err
	}
	u, err := s.GetUserByID(ctx, userID)
	if err != nil {
		return UserProfile{}, err
	}
	var fresh profileRecord
	s.applyProfile(&fresh, p) // hash outside the transaction
	var rec profileRecord
	err = s.update(ctx, "set profile", func(tx kv.Txn) error {
		rec = profileRecord{}
		if _, err := kv.GetJSON(tx, vkey32('w', userID), &rec); err != nil {
			return err
		}
		rec.Schema, rec.UserID = profileSchema, userID
		if p.Email != nil {
			rec.Email = fresh.Email
		}
		if p.FullName != nil {
			rec.FullName = fresh.FullName
		}
		if p.Password != nil {
			rec.Salt, rec.Iterations, rec.Hash, rec.PasswordChanged = fresh.Salt, fresh.Iterations, fresh.Hash, fresh.PasswordChanged
		}
		return kv.SetJSON(tx, vkey32('w', userID), &rec)
	})
	if err != nil {
		return UserProfile{}, err
	}
	if p.Password != nil { // a new password unlocks the name
		s.guard.Forget(u.Name)
	}
	return rec.profile(), nil
}

// GetUserProfile returns a user's profile (an empty one when none was set).
func (s *Service) GetUserProfile(ctx context.Context, userID int32) (UserProfile, error) {
	var rec profileRecord
	err := s.view(ctx, "get profile", func(tx kv.Reader) error {
		rec = profileRecord{}
		_, err := kv.GetJSON(tx, vkey32('w', userID), &rec)
		return err
	})
	rec.UserID = userID
	return rec.profile(), err
}

// verifyUserPassword checks a user's management password. A user without
// a password, or a wrong one, fails with ReasonBadCredentials, after the
// same slow hash as a wrong password (under the password-check gate).
func (s *Service) verifyUserPassword(ctx context.Context, addr, tenant, name, password string) (User, error) {
	bad := fail(errs.Unauthenticated, ReasonBadCredentials, "", "invalid user name or password")
	dummy := func() (User, error) {
		if _, err := s.checkHash(ctx, addr, password, s.adminKey[:16], s.opts.PasswordIterations); err != nil {
			return User{}, err
		}
		return User{}, bad
	}
	u, err := s.GetUser(ctx, tenant, name)
	if errs.KindOf(err) == errs.NotFound {
		return dummy()
	} else if err != nil {
		return User{}, err
	}
	var rec profileRecord
	var found bool
	if err := s.view(ctx, "read profile", func(tx kv.Reader) error {
		var err error
		found, err = kv.GetJSON(tx, vkey32('w', u.ID), &rec)
		return err
	}); err != nil {
		return User{}, err
	}
	if !found || len(rec.Hash) == 0 {
		return dummy()
	}
	h, err := s.checkHash(ctx, addr, password, rec.Salt, rec.Iterations)
	if err != nil {
		return User{}, err
	}
	if !hmac.Equal(h, rec.Hash) || u.Disabled {
		return User{}, bad
	}
	return u, nil
}
