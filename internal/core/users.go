package core

import (
	"context"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/uuid"
)

// RootUserName is the name of every tenant's privileged S3 user: full
// access to everything in its tenant, created with the S3 service.
const RootUserName = "root"

// MaxKeyTimeToLive is the longest key lifetime a user or service may set
// (ONTAP: 1095 days).
const MaxKeyTimeToLive = 1095 * 24 * time.Hour

// KeyStatus is whether an access key may sign requests.
type KeyStatus string

// Key statuses (Commvault shows them; ONTAP keys are always Active).
const (
	KeyActive   KeyStatus = "Active"
	KeyInactive KeyStatus = "Inactive"
)

// User is an S3 user of a tenant (ONTAP S3 user; Commvault user) with its
// access keys (without their secrets).
type User struct {
	// Schema is the record's schema version (2; 1 had no ID, KeyTimeToLive or Keys).
	Schema int `json:"_v"`
	// UUID identifies the user (Commvault GUID); Principal.UserID.
	UUID string `json:"id"`
	// ID is the int id (Commvault userId).
	ID int32 `json:"num,omitempty"`
	// Tenant is the tenant's uuid.
	Tenant string `json:"tenant"`
	// Name is unique in its tenant: 1..64 characters of [0-9A-Za-z_+=,.@-].
	Name    string `json:"name"`
	Comment string `json:"comment,omitempty"`
	// Root marks the tenant's root user.
	Root bool `json:"root,omitempty"`
	// KeyTimeToLive is the lifetime given to the user's keys at their last
	// creation or regeneration; 0 means they never expire (ONTAP
	// key_time_to_live).
	KeyTimeToLive time.Duration `json:"key_ttl,omitempty"`
	// Keys are the user's access keys, by slot.
	Keys []KeyInfo `json:"keys,omitempty"`
	// Disabled users' keys do not work and they cannot log in
	// (SetUserEnabled; Commvault's user enable/disable).
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
}

// Enabled reports whether the user has a usable key at now (ONTAP: a user
// without keys is disabled).
func (u User) Enabled(now time.Time) bool {
	for _, k := range u.Keys {
		if k.usable(now) {
			return true
		}
	}
	return false
}

// KeyInfo describes one access key of a user, without its secret.
type KeyInfo struct {
	// Slot is the key's number, 1..MaxKeysPerUser (ONTAP keys[].id, key_id).
	Slot      int       `json:"slot"`
	AccessKey string    `json:"ak"`
	Status    KeyStatus `json:"status"`
	Created   time.Time `json:"created"`
	// Expires is when the key stops working; nil means never.
	Expires *time.Time `json:"expires,omitempty"`
	// TimeToLive is the lifetime the key was created with; 0 means forever.
	TimeToLive time.Duration `json:"ttl,omitempty"`
}

func (k KeyInfo) usable(now time.Time) bool {
	return k.Status == KeyActive && (k.Expires == nil || now.Before(*k.Expires))
}

// NewKey is a key created now: the only time its secret is returned.
type NewKey struct {
	Slot      int
	AccessKey string
	SecretKey string
	Expires   *time.Time
}

// CreateUserInput creates an S3 user (ONTAP POST
// /protocols/s3/services/{svm.uuid}/users; Commvault user creation).
type CreateUserInput struct {
	// Tenant is the tenant's uuid.
	Tenant  string
	Name    string
	Comment string
	// AccessKey, when set, is used as the user's access key as given (it
	// must be unique and usable in a SigV4 Credential: 1..128 characters, no
	// space, comma, slash or control character). SecretKey, when set, is
	// the secret; it needs AccessKey. Unset keys are generated: 128
	// characters of [A-Za-z0-9_] each, as ONTAP generates them.
	AccessKey, SecretKey string
	// KeyTimeToLive is the key's lifetime, 0 for none (at most 1095 days and
	// the service's MaxKeyTimeToLive; required when the service sets one).
	KeyTimeToLive time.Duration
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	Comment *string
}

// RegenerateKeyInput replaces one key of a user (ONTAP PATCH
// /users/{name}?regenerate_keys=true). The old key stops working at once.
type RegenerateKeyInput struct {
	Tenant, User string
	// Slot is the key to replace (ONTAP key_id); 0 means 1.
	Slot int
	// AccessKey and SecretKey, when set, are used instead of generated ones
	// (same rules as CreateUserInput).
	AccessKey, SecretKey string
	// KeyTimeToLive, when set, replaces the user's key lifetime.
	KeyTimeToLive *time.Duration
}

// AddKeyInput gives a user one more key, in the first free slot (Commvault
// access-key creation).
type AddKeyInput struct {
	Tenant, User         string
	AccessKey, SecretKey string
	KeyTimeToLive        time.Duration
}

// ValidateUserName applies ONTAP's user-name rule: length first (1..64,
// ReasonUserNameLength), then characters ([0-9A-Za-z_+=,.@-],
// ReasonUserNameChars).
func ValidateUserName(name string) error {
	if len(name) < 1 || len(name) > 64 {
		return fail(errs.InvalidArgument, ReasonUserNameLength, "name", "User names must have between 1 and 64 characters.")
	}
	if !nameChars(name) {
		return fail(errs.InvalidArgument, ReasonUserNameChars, "name",
			"The specified user name contains invalid characters. Valid characters for a user name are 0-9, A-Z, a-z, \"_\", \"+\", \"=\", \",\", \".\", \"@\", and \"-\".")
	}
	return nil
}

// nameChars reports whether name uses only [0-9A-Za-z_+=,.@-] (users,
// groups and policies).
func nameChars(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case isAlnum(c), c == '_', c == '+', c == '=', c == ',', c == '.', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

func validateAccessKey(ak string) error {
	if len(ak) < 1 || len(ak) > 128 {
		return fail(errs.InvalidArgument, ReasonAccessKeyInvalid, "access_key", "access keys are 1 to 128 characters long")
	}
	for i := 0; i < len(ak); i++ {
		if c := ak[i]; c <= ' ' || c == ',' || c == '/' || c >= 0x7f {
			return fail(errs.InvalidArgument, ReasonAccessKeyInvalid, "access_key",
				"access keys must not contain spaces, commas, slashes or control characters")
		}
	}
	return nil
}

func validateSecretKey(sk string) error {
	if len(sk) < 8 || len(sk) > 128 {
		return fail(errs.InvalidArgument, ReasonSecretKeyInvalid, "secret_key", "secret keys are 8 to 128 characters long")
	}
	for i := 0; i < len(sk); i++ {
		if c := sk[i]; c < ' ' || c >= 0x7f {
			return fail(errs.InvalidArgument, ReasonSecretKeyInvalid, "secret_key", "secret keys are printable ASCII")
		}
	}
	return nil
}

// ontapKeyChars is the alphabet of generated keys (ONTAP's 128-character
// keys use exactly these).
const ontapKeyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

// NewKeyPair generates an ONTAP-style key pair: 128 characters of
// [A-Za-z0-9_] for both the access key and the secret.
func NewKeyPair() (accessKey, secretKey string) {
	return randomString(128, ontapKeyChars), randomString(128, ontapKeyChars)
}

// NewAWSKeyPair generates an AWS-style pair: a 20-character access key of
// [A-Z0-9] and a 40-character secret of [A-Za-z0-9+/].
func NewAWSKeyPair() (accessKey, secretKey string) {
	return randomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
		randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

// randomString draws n characters uniformly from alphabet (rejection
// sampling, so no character is more likely than another).
func randomString(n int, alphabet string) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		for _, b := range randomBytes(64) {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// resolveKeys applies the key-input rules and generates what is missing.
func resolveKeys(tx kv.Reader, ak, sk string) (string, string, error) {
	switch {
	case ak == "" && sk != "":
		return "", "", fail(errs.InvalidArgument, ReasonKeyPairIncomplete, "access_key",
			"Specify both the access key and the secret key, or neither.")
	case ak == "":
		ak, sk = NewKeyPair()
		return ak, sk, nil
	}
	if err := validateAccessKey(ak); err != nil {
		return "", "", err
	}
	if sk == "" {
		_, sk = NewKeyPair()
	} else if err := validateSecretKey(sk); err != nil {
		return "", "", err
	}
	if ok, err := kv.GetJSON(tx, key('k', ak), &AccessKey{}); err != nil {
		return "", "", err
	} else if ok {
		return "", "", fail(errs.AlreadyExists, ReasonAccessKeyExists, "access_key",
			"An object store user with the same access-key already exists.")
	}
	return ak, sk, nil
}

// checkTTL applies the key-lifetime rules against the service's maximum.
func checkTTL(ttl time.Duration, svc S3Service) error {
	const field = "key_time_to_live"
	switch {
	case ttl < 0:
		return fail(errs.InvalidArgument, ReasonDuration, field, "durations must not be negative")
	case ttl > MaxKeyTimeToLive:
		return fail(errs.InvalidArgument, ReasonKeyTTLTooLong, field, "The key time to live must not exceed 1095 days.")
	case svc.MaxKeyTimeToLive > 0 && ttl == 0:
		return fail(errs.InvalidArgument, ReasonKeyTTLRequired, field,
			"The key time to live must be non-zero when the object store server sets a maximum.")
	case svc.MaxKeyTimeToLive > 0 && ttl > svc.MaxKeyTimeToLive:
		return fail(errs.InvalidArgument, ReasonKeyTTLAboveMax, field,
			"The key time to live exceeds the object store server's maximum of %s.", svc.MaxKeyTimeToLive)
	}
	return nil
}

func userNotFound(name string) error {
	return fail(errs.NotFound, ReasonUserNotFound, "name", "entry doesn't exist")
}

const userSchema = 2

func getUser(tx kv.Reader, tenant, name string) (User, bool, error) {
	var u User
	ok, err := kv.GetJSON(tx, key('u', tenant, name), &u)
	return u, ok, err
}

func mustUser(tx kv.Reader, tenant, name string) (User, error) {
	u, ok, err := getUser(tx, tenant, name)
	if err != nil {
		return u, err
	}
	if !ok {
		return u, userNotFound(name)
	}
	return u, nil
}

// serviceUser returns a user of a tenant and the tenant's S3 service,
// which users live in (no service: ReasonNoS3Service, checked first).
func serviceUser(tx kv.Reader, tenant, name string) (S3Service, User, error) {
	_, svc, err := requireService(tx, tenant)
	if err != nil {
		return svc, User{}, err
	}
	u, err := mustUser(tx, tenant, name)
	return svc, u, err
}

func putUser(tx kv.Txn, u *User) error {
	u.Schema = userSchema
	sort.Slice(u.Keys, func(i, j int) bool { return u.Keys[i].Slot < u.Keys[j].Slot })
	if err := kv.SetJSON(tx, key('u', u.Tenant, u.Name), u); err != nil {
		return err
	}
	if u.ID != 0 {
		return tx.Set(key32('r', u.ID), key(0, u.Tenant, u.Name)[1:])
	}
	return nil
}

// putKey writes a key record and its entry in u.Keys (replacing the slot's).
func (s *Service) putKey(tx kv.Txn, u *User, slot int, ak, sk string, ttl time.Duration) (NewKey, error) {
	now := s.now().UTC()
	var exp *time.Time
	if ttl > 0 {
		e := now.Add(ttl)
		exp = &e
	}
	rec := AccessKey{Schema: accessKeySchema, AccessKey: ak, Tenant: u.Tenant, UserUUID: u.UUID,
		UserName: u.Name, Root: u.Root, Slot: slot, Status: KeyActive, Created: now, Expires: exp}
	if err := s.setSecret(&rec, sk); err != nil {
		return NewKey{}, err
	}
	if err := kv.SetJSON(tx, key('k', ak), &rec); err != nil {
		return NewKey{}, err
	}
	info := KeyInfo{Slot: slot, AccessKey: ak, Status: KeyActive, Created: now, Expires: exp, TimeToLive: ttl}
	replaced := false
	for i := range u.Keys {
		if u.Keys[i].Slot == slot {
			u.Keys[i], replaced = info, true
		}
	}
	if !replaced {
		u.Keys = append(u.Keys, info)
	}
	return NewKey{Slot: slot, AccessKey: ak, SecretKey: sk, Expires: exp}, nil
}

// createUserTx creates a user with one key in slot 1.
func (s *Service) createUserTx(tx kv.Txn, t Tenant, svc S3Service, in CreateUserInput, root bool) (User, NewKey, error) {
	if err := ValidateUserName(in.Name); err != nil {
		return User{}, NewKey{}, err
	}
	if err := checkComment(in.Comment, 256); err != nil {
		return User{}, NewKey{}, err
	}
	if _, ok, err := getUser(tx, t.UUID, in.Name); err != nil {
		return User{}, NewKey{}, err
	} else if ok {
		return User{}, NewKey{}, fail(errs.AlreadyExists, ReasonUserExists, "name",
			"An object store user named %q already exists in SVM %q.", in.Name, t.Name)
	}
	if err := checkTTL(in.KeyTimeToLive, svc); err != nil {
		return User{}, NewKey{}, err
	}
	ak, sk, err := resolveKeys(tx, in.AccessKey, in.SecretKey)
	if err != nil {
		return User{}, NewKey{}, err
	}
	id, err := nextID32(tx, "user")
	if err != nil {
		return User{}, NewKey{}, err
	}
	u := User{UUID: uuid.New(), ID: id, Tenant: t.UUID, Name: in.Name, Comment: in.Comment, Root: root,
		KeyTimeToLive: in.KeyTimeToLive, Created: s.now().UTC()}
	k, err := s.putKey(tx, &u, 1, ak, sk, in.KeyTimeToLive)
	if err != nil {
		return User{}, NewKey{}, err
	}
	return u, k, putUser(tx, &u)
}

// CreateUser creates an S3 user with one key (slot 1) and returns the key
// with its secret. Errors, checked in this order: tenant unknown
// (ReasonTenantNotFound), not a data tenant (ReasonNotDataTenant), no S3
// service (ReasonNoS3Service), name length (ReasonUserNameLength), name
// characters (ReasonUserNameChars), comment, duplicate name
// (ReasonUserExists), key lifetime, keys (ReasonKeyPairIncomplete,
// ReasonAccessKeyInvalid, ReasonSecretKeyInvalid, ReasonAccessKeyExists).
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (User, NewKey, error) {
	var u User
	var k NewKey
	err := s.update(ctx, "create user", func(tx kv.Txn) error {
		t, svc, err := requireService(tx, in.Tenant)
		if err != nil {
			return err
		}
		u, k, err = s.createUserTx(tx, t, svc, in, false)
		return err
	})
	if err != nil {
		return User{}, NewKey{}, err
	}
	s.identChanged()
	return u, k, nil
}

// GetUser returns a user of a tenant.
func (s *Service) GetUser(ctx context.Context, tenant, name string) (User, error) {
	var u User
	err := s.view(ctx, "get user", func(tx kv.Reader) error {
		var err error
		_, u, err = serviceUser(tx, tenant, name)
		return err
	})
	return u, err
}

// GetUserByID returns a user by its int id (Commvault userId).
func (s *Service) GetUserByID(ctx context.Context, id int32) (User, error) {
	var u User
	err := s.view(ctx, "get user", func(tx kv.Reader) error {
		ref, err := tx.Get(key32('r', id))
		if err != nil {
			if errIsNotFound(err) {
				return fail(errs.NotFound, ReasonUserNotFound, "id", "entry doesn't exist")
			}
			return err
		}
		tenant, name := splitRef(ref)
		u, err = mustUser(tx, tenant, name)
		return err
	})
	return u, err
}

// ListUsers returns a tenant's users (root included) in name order.
func (s *Service) ListUsers(ctx context.Context, tenant string) ([]User, error) {
	var out []User
	err := s.view(ctx, "list users", func(tx kv.Reader) error {
		out = nil
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		return scan(tx, key('u', tenant, ""), func(_, raw []byte) error {
			var u User
			if err := jsonUnmarshal(raw, &u); err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

// UpdateUser changes a user's comment.
func (s *Service) UpdateUser(ctx context.Context, tenant, name string, p UserPatch) (User, error) {
	if p.Comment != nil {
		if err := checkComment(*p.Comment, 256); err != nil {
			return User{}, err
		}
	}
	var u User
	err := s.update(ctx, "update user", func(tx kv.Txn) error {
		var err error
		if _, u, err = serviceUser(tx, tenant, name); err != nil {
			return err
		}
		if p.Comment != nil {
			u.Comment = *p.Comment
		}
		return putUser(tx, &u)
	})
	if err != nil {
		return User{}, err
	}
	s.identChanged()
	return u, nil
}

// DeleteUser deletes a user and its keys (which stop working at once) and
// removes it from its groups. The root user cannot be deleted
// (ReasonRootUser); DeleteS3Service with DeleteAll removes it.
func (s *Service) DeleteUser(ctx context.Context, tenant, name string) error {
	var u User
	err := s.update(ctx, "delete user", func(tx kv.Txn) error {
		var err error
		_, u, err = serviceUser(tx, tenant, name)
		if err != nil {
			return err
		}
		if u.Root {
			return fail(errs.InvalidArgument, ReasonRootUser, "name", "The root user cannot be deleted.")
		}
		if a, err := adminOfUser(tx, u); err != nil {
			return err
		} else if a != "" {
			return fail(errs.InUse, ReasonAdminUser, "name", "User %q is administrator %q: it cannot be deleted.", u.Name, a)
		}
		groups, err := tenantGroups(tx, tenant)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if i := indexOf(g.Users, name); i >= 0 {
				g.Users = append(g.Users[:i], g.Users[i+1:]...)
				if err := putGroup(tx, &g); err != nil {
					return err
				}
			}
		}
		return deleteUserTx(tx, &u)
	})
	if err != nil {
		return err
	}
	s.identChanged()
	return s.vaultPrincipalChanged(ctx, tenant, u.ID, 0, u.Name, "")
}

func deleteUserTx(tx kv.Txn, u *User) error {
	for _, k := range u.Keys {
		if err := tx.Delete(key('k', k.AccessKey)); err != nil {
			return err
		}
	}
	if u.ID != 0 {
		if err := tx.Delete(key32('r', u.ID)); err != nil {
			return err
		}
	}
	return tx.Delete(key('u', u.Tenant, u.Name))
}

func (s *Service) checkSlot(slot int) error {
	if slot < 1 || slot > s.opts.MaxKeysPerUser {
		return fail(errs.InvalidArgument, ReasonKeySlotInvalid, "key_id", "key_id must be within 1..%d", s.opts.MaxKeysPerUser)
	}
	return nil
}

// RegenerateKey replaces the key in one slot of a user (creating it when the
// slot is empty) and returns the new key; the old one fails at once.
func (s *Service) RegenerateKey(ctx context.Context, in RegenerateKeyInput) (NewKey, error) {
	if in.Slot == 0 {
		in.Slot = 1
	}
	if err := s.checkSlot(in.Slot); err != nil {
		return NewKey{}, err
	}
	var nk NewKey
	err := s.update(ctx, "regenerate key", func(tx kv.Txn) error {
		svc, u, err := serviceUser(tx, in.Tenant, in.User)
		if err != nil {
			return err
		}
		ttl := u.KeyTimeToLive
		if in.KeyTimeToLive != nil {
			ttl = *in.KeyTimeToLive
		}
		if err := checkTTL(ttl, svc); err != nil {
			return err
		}
		for _, k := range u.Keys {
			if k.Slot == in.Slot {
				if err := tx.Delete(key('k', k.AccessKey)); err != nil {
					return err
				}
			}
		}
		ak, sk, err := resolveKeys(tx, in.AccessKey, in.SecretKey)
		if err != nil {
			return err
		}
		if nk, err = s.putKey(tx, &u, in.Slot, ak, sk, ttl); err != nil {
			return err
		}
		u.KeyTimeToLive = ttl
		return putUser(tx, &u)
	})
	if err != nil {
		return NewKey{}, err
	}
	s.identChanged()
	return nk, nil
}

// AddKey gives a user a key in its first free slot (ReasonTooManyKeys when
// every slot is taken).
func (s *Service) AddKey(ctx context.Context, in AddKeyInput) (NewKey, error) {
	var nk NewKey
	err := s.update(ctx, "add key", func(tx kv.Txn) error {
		svc, u, err := serviceUser(tx, in.Tenant, in.User)
		if err != nil {
			return err
		}
		slot := 0
		for n := 1; n <= s.opts.MaxKeysPerUser && slot == 0; n++ {
			if !hasSlot(u.Keys, n) {
				slot = n
			}
		}
		if slot == 0 {
			return fail(errs.InvalidArgument, ReasonTooManyKeys, "keys", "a user has at most %d keys", s.opts.MaxKeysPerUser)
		}
		if err := checkTTL(in.KeyTimeToLive, svc); err != nil {
			return err
		}
		ak, sk, err := resolveKeys(tx, in.AccessKey, in.SecretKey)
		if err != nil {
			return err
		}
		if nk, err = s.putKey(tx, &u, slot, ak, sk, in.KeyTimeToLive); err != nil {
			return err
		}
		return putUser(tx, &u)
	})
	if err != nil {
		return NewKey{}, err
	}
	s.identChanged()
	return nk, nil
}

func hasSlot(keys []KeyInfo, slot int) bool {
	for _, k := range keys {
		if k.Slot == slot {
			return true
		}
	}
	return false
}

// DeleteKeys deletes one key (slot 1..MaxKeysPerUser) or all (slot 0) of a
// user (ONTAP PATCH ?delete_keys=true). A user left without a usable key is
// disabled, which is refused while it belongs to a group
// (ReasonUserInGroup).
func (s *Service) DeleteKeys(ctx context.Context, tenant, user string, slot int) error {
	if slot != 0 {
		if err := s.checkSlot(slot); err != nil {
			return err
		}
	}
	return s.changeKeys(ctx, tenant, user, func(tx kv.Txn, u *User) error {
		var kept []KeyInfo
		found := false
		for _, k := range u.Keys {
			if slot == 0 || k.Slot == slot {
				found = true
				if err := tx.Delete(key('k', k.AccessKey)); err != nil {
					return err
				}
				continue
			}
			kept = append(kept, k)
		}
		if !found && slot != 0 {
			return fail(errs.NotFound, ReasonKeyNotFound, "key_id", "the user has no key %d", slot)
		}
		u.Keys = kept
		return nil
	})
}

// SetKeyStatus activates or deactivates one key of a user (Commvault key
// status). Deactivating the last usable key of a group member is refused
// (ReasonUserInGroup).
func (s *Service) SetKeyStatus(ctx context.Context, tenant, user, accessKey string, st KeyStatus) error {
	if st != KeyActive && st != KeyInactive {
		return fail(errs.InvalidArgument, ReasonKeyStatusInvalid, "status", "key status must be Active or Inactive")
	}
	return s.changeKeys(ctx, tenant, user, func(tx kv.Txn, u *User) error {
		for i := range u.Keys {
			if u.Keys[i].AccessKey != accessKey {
				continue
			}
			var rec AccessKey
			if _, err := kv.GetJSON(tx, key('k', accessKey), &rec); err != nil {
				return err
			}
			rec.Status, u.Keys[i].Status = st, st
			return kv.SetJSON(tx, key('k', accessKey), &rec)
		}
		return fail(errs.NotFound, ReasonKeyNotFound, "access_key", "the user has no such key")
	})
}

// changeKeys runs fn on a user's keys and enforces the group rule.
func (s *Service) changeKeys(ctx context.Context, tenant, user string, fn func(tx kv.Txn, u *User) error) error {
	err := s.update(ctx, "change keys", func(tx kv.Txn) error {
		_, u, err := serviceUser(tx, tenant, user)
		if err != nil {
			return err
		}
		if err := fn(tx, &u); err != nil {
			return err
		}
		if !u.Enabled(s.now()) {
			groups, err := tenantGroups(tx, tenant)
			if err != nil {
				return err
			}
			for _, g := range groups {
				if indexOf(g.Users, user) >= 0 {
					return fail(errs.InUse, ReasonUserInGroup, "name",
						"The user %q belongs to group %q: its keys cannot be deleted or disabled.", user, g.Name)
				}
			}
		}
		return putUser(tx, &u)
	})
	if err != nil {
		return err
	}
	s.identChanged()
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func splitRef(ref []byte) (string, string) {
	for i, c := range ref {
		if c == 0 {
			return string(ref[:i]), string(ref[i+1:])
		}
	}
	return string(ref), ""
}
