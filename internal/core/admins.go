package core

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Admin is a management account (ONTAP cluster administrator for Basic
// auth; Commvault Login user). Passwords are stored as PBKDF2-SHA256
// hashes with a per-account salt.
type Admin struct {
	Name string
	// Role is "admin" (cluster administrator), the only role so far.
	Role            string
	Created         time.Time
	PasswordChanged time.Time
}

// AdminRole is the cluster-administrator role.
const AdminRole = "admin"

// DefaultAdminName is the account BootstrapAdmin creates when none is named.
const DefaultAdminName = "admin"

// MinPasswordLength is the shortest accepted management password.
const MinPasswordLength = 8

type adminRecord struct {
	Schema          int       `json:"_v"`
	Name            string    `json:"name"`
	Role            string    `json:"role"`
	Salt            []byte    `json:"salt"`
	Iterations      int       `json:"iter"`
	Hash            []byte    `json:"hash"` // PBKDF2-HMAC-SHA256, 32 bytes
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"pw_changed"`
}

func (r *adminRecord) admin() Admin {
	return Admin{Name: r.Name, Role: r.Role, Created: r.Created, PasswordChanged: r.PasswordChanged}
}

const adminSchema = 1

// adminEntry remembers a successful verification: a keyed hash of the
// password (never the password), until a deadline.
type adminEntry struct {
	mac   []byte
	until time.Time
	admin Admin
	// hash is the stored hash verified; remote the adminRemote it was read
	// at. After a change on another node (adminRemote moved) the entry is
	// used only while the stored hash is still this one.
	hash   []byte
	remote uint64
}

// AdminBootstrapResult is what BootstrapAdmin did.
type AdminBootstrapResult struct {
	Admin Admin
	// Created: the account was created now.
	Created bool
	// GeneratedPassword is set when the account was created now without a
	// given password: show it once, it is not stored.
	GeneratedPassword string
	// PasswordReset: an existing account's password was set to the given one.
	PasswordReset bool
}

func validateAdminName(name string) error {
	if len(name) < 1 || len(name) > 64 {
		return fail(errs.InvalidArgument, ReasonAdminNameInvalid, "name", "account names are 1 to 64 characters long")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(isAlnum(c) || c == '_' || c == '.' || c == '@' || c == '-') {
			return fail(errs.InvalidArgument, ReasonAdminNameInvalid, "name",
				"account names contain only letters, digits, \"_\", \".\", \"@\" and \"-\"")
		}
	}
	return nil
}

func validatePassword(pw string) error {
	if len(pw) < MinPasswordLength || len(pw) > 1024 {
		return fail(errs.InvalidArgument, ReasonPasswordTooShort, "password",
			"passwords are %d to 1024 characters long", MinPasswordLength)
	}
	return nil
}

func (s *Service) hashPassword(pw string, salt []byte, iter int) []byte {
	s.hashes.Add(1)
	h, err := pbkdf2.Key(sha256.New, pw, salt, iter, 32)
	if err != nil { // only for invalid parameters, which we never pass
		panic(err)
	}
	return h
}

func (s *Service) newAdminRecord(name, pw string, created time.Time) adminRecord {
	salt := randomBytes(16)
	now := s.now().UTC()
	return adminRecord{Schema: adminSchema, Name: name, Role: AdminRole, Salt: salt,
		Iterations: s.opts.PasswordIterations, Hash: s.hashPassword(pw, salt, s.opts.PasswordIterations),
		Created: created, PasswordChanged: now}
}

// forgetAdmin drops cached verifications of an account and bumps adminGen,
// so a verification that read the old record cannot cache it afterwards.
func (s *Service) forgetAdmin(name string) {
	s.adminMu.Lock()
	s.adminGen++
	delete(s.adminCache, name)
	s.adminMu.Unlock()
	s.guard.Forget(name)
}

// BootstrapAdmin makes sure the cluster administrator exists at startup
// (COFFER_ADMIN_USER / COFFER_ADMIN_PASSWORD). name "" means
// DefaultAdminName. When the account does not exist it is created, with
// password, or when password is "" and no account exists at all, with a
// generated one returned once. When it exists and password is given but
// differs, the password is reset to it (the operator's environment wins).
func (s *Service) BootstrapAdmin(ctx context.Context, name, password string) (AdminBootstrapResult, error) {
	if name == "" {
		name = DefaultAdminName
	}
	if err := validateAdminName(name); err != nil {
		return AdminBootstrapResult{}, err
	}
	if password != "" {
		if err := validatePassword(password); err != nil {
			return AdminBootstrapResult{}, err
		}
	}
	var res AdminBootstrapResult
	var existing adminRecord
	var found, any bool
	err := s.view(ctx, "read admins", func(tx kv.Reader) error {
		var err error
		if found, err = kv.GetJSON(tx, key('a', name), &existing); err != nil {
			return err
		}
		return scan(tx, []byte{'a'}, func(_, _ []byte) error { any = true; return nil })
	})
	if err != nil {
		return res, err
	}
	switch {
	case found && password == "":
		res.Admin = existing.admin()
		return res, nil
	case found:
		if hmac.Equal(s.hashPassword(password, existing.Salt, existing.Iterations), existing.Hash) {
			res.Admin = existing.admin()
			return res, nil
		}
		if err := s.SetAdminPassword(ctx, name, password); err != nil {
			return res, err
		}
		res.Admin, res.PasswordReset = existing.admin(), true
		return res, nil
	case password == "" && any:
		return res, nil // other accounts exist; do not invent one
	}
	if password == "" {
		password = randomString(24, ontapKeyChars[:62])
		res.GeneratedPassword = password
	}
	a, err := s.CreateAdmin(ctx, name, password)
	if err != nil {
		return AdminBootstrapResult{}, err
	}
	res.Admin, res.Created = a, true
	return res, nil
}

// CreateAdmin creates a management account (ReasonAdminExists,
// ReasonAdminNameInvalid, ReasonPasswordTooShort).
func (s *Service) CreateAdmin(ctx context.Context, name, password string) (Admin, error) {
	if err := validateAdminName(name); err != nil {
		return Admin{}, err
	}
	if err := validatePassword(password); err != nil {
		return Admin{}, err
	}
	rec := s.newAdminRecord(name, password, s.now().UTC()) // slow: outside the transaction
	err := s.update(ctx, "create admin", func(tx kv.Txn) error {
		if ok, err := kv.GetJSON(tx, key('a', name), &adminRecord{}); err != nil {
			return err
		} else if ok {
			return fail(errs.AlreadyExists, ReasonAdminExists, "name", "an account named %q already exists", name)
		}
		return kv.SetJSON(tx, key('a', name), &rec)
	})
	if err != nil {
		return Admin{}, err
	}
	s.forgetAdmin(name)
	return rec.admin(), nil
}

// SetAdminPassword changes an account's password; earlier cached
// verifications are forgotten at once.
func (s *Service) SetAdminPassword(ctx context.Context, name, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	fresh := s.newAdminRecord(name, password, time.Time{})
	err := s.update(ctx, "set admin password", func(tx kv.Txn) error {
		var rec adminRecord
		if ok, err := kv.GetJSON(tx, key('a', name), &rec); err != nil {
			return err
		} else if !ok {
			return fail(errs.NotFound, ReasonAdminNotFound, "name", "entry doesn't exist")
		}
		rec.Salt, rec.Iterations, rec.Hash, rec.PasswordChanged = fresh.Salt, fresh.Iterations, fresh.Hash, fresh.PasswordChanged
		return kv.SetJSON(tx, key('a', name), &rec)
	})
	s.forgetAdmin(name)
	return err
}

// DeleteAdmin deletes an account; the last one cannot be deleted
// (ReasonAdminLastAccount).
func (s *Service) DeleteAdmin(ctx context.Context, name string) error {
	err := s.update(ctx, "delete admin", func(tx kv.Txn) error {
		if ok, err := kv.GetJSON(tx, key('a', name), &adminRecord{}); err != nil {
			return err
		} else if !ok {
			return fail(errs.NotFound, ReasonAdminNotFound, "name", "entry doesn't exist")
		}
		n := 0
		if err := scan(tx, []byte{'a'}, func(_, _ []byte) error { n++; return nil }); err != nil {
			return err
		}
		if n == 1 {
			return fail(errs.InUse, ReasonAdminLastAccount, "name", "the last administrator account cannot be deleted")
		}
		return tx.Delete(key('a', name))
	})
	s.forgetAdmin(name)
	return err
}

// ListAdmins returns the management accounts in name order.
func (s *Service) ListAdmins(ctx context.Context) ([]Admin, error) {
	var out []Admin
	err := s.view(ctx, "list admins", func(tx kv.Reader) error {
		out = nil
		return scan(tx, []byte{'a'}, func(_, raw []byte) error {
			var r adminRecord
			if err := jsonUnmarshal(raw, &r); err != nil {
				return err
			}
			out = append(out, r.admin())
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// VerifyAdmin checks a management password without the lockout policy
// (adapters authenticate requests with AuthenticateAdmin or Login, which
// apply it). A wrong name or password fails with Unauthenticated
// (ReasonBadCredentials), the same way for both. A success is remembered
// for Options.AdminCacheTTL as an HMAC of the password under a per-process
// key, so repeated REST calls cost one HMAC instead of a slow hash; a
// password change or deletion forgets it. Slow hashes run under the
// password-check gate.
func (s *Service) VerifyAdmin(ctx context.Context, name, password string) (Admin, error) {
	if a, ok := s.cachedAdmin(name, password, s.now()); ok {
		return a, nil
	}
	return s.verifyAdmin(ctx, "", name, password, true)
}

// adminMAC is the cache's keyed hash of a name and password.
func (s *Service) adminMAC(name, password string) []byte {
	mac := hmac.New(sha256.New, s.adminKey)
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	return mac.Sum(nil)
}

// cachedAdmin answers from the cache of recent successful verifications.
func (s *Service) cachedAdmin(name, password string, now time.Time) (Admin, bool) {
	s.adminMu.Lock()
	e, ok := s.adminCache[name]
	s.adminMu.Unlock()
	if !ok || !now.Before(e.until) || subtle.ConstantTimeCompare(e.mac, s.adminMAC(name, password)) != 1 {
		return Admin{}, false
	}
	if remote := s.adminRemote.Load(); e.remote != remote && !s.adminStillValid(name, &e, remote) {
		return Admin{}, false
	}
	return e.admin, true
}

// verifyAdmin checks the password against the stored hash and caches a
// success. For an unknown name it hashes anyway (the same time as a wrong
// password) when dummy is set; it fails with ReasonAdminNotFound when not
// (Login then tries the users).
func (s *Service) verifyAdmin(ctx context.Context, addr, name, password string, dummy bool) (Admin, error) {
	now := s.now()
	s.adminMu.Lock()
	gen := s.adminGen
	s.adminMu.Unlock()
	remote := s.adminRemote.Load()
	bad := fail(errs.Unauthenticated, ReasonBadCredentials, "", "invalid user name or password")
	var rec adminRecord
	var found bool
	err := s.view(ctx, "read admin", func(tx kv.Reader) error {
		var err error
		found, err = kv.GetJSON(tx, key('a', name), &rec)
		return err
	})
	if err != nil {
		return Admin{}, err
	}
	if !found {
		if !dummy {
			return Admin{}, fail(errs.Unauthenticated, ReasonAdminNotFound, "", "invalid user name or password")
		}
		if _, err := s.checkHash(ctx, addr, password, s.adminKey[:16], s.opts.PasswordIterations); err != nil {
			return Admin{}, err
		}
		return Admin{}, bad
	}
	h, err := s.checkHash(ctx, addr, password, rec.Salt, rec.Iterations)
	if err != nil {
		return Admin{}, err
	}
	if !hmac.Equal(h, rec.Hash) {
		return Admin{}, bad
	}
	a := rec.admin()
	s.adminMu.Lock()
	if s.adminGen == gen {
		if len(s.adminCache) > 1000 {
			clear(s.adminCache)
		}
		s.adminCache[name] = adminEntry{mac: s.adminMAC(name, password), until: now.Add(s.opts.AdminCacheTTL), admin: a,
			hash: rec.Hash, remote: remote}
	}
	s.adminMu.Unlock()
	return a, nil
}
