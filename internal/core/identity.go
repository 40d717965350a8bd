package core

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Key layout of the identity records (lower-case namespaces; the object
// layer uses upper-case ones in the same store):
//
//	't' tenantID            tenant
//	'n' tenantName          tenant id (name index)
//	'u' tenantID 0x00 name  user
//	'k' accessKey           access key (with its secret: SigV4 needs it)

// Tenant is an isolated namespace of users and buckets (an ONTAP SVM, a
// Commvault company).
type Tenant struct {
	Schema  int       `json:"_v"`
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// User is an S3 user of a tenant.
type User struct {
	Schema  int       `json:"_v"`
	ID      string    `json:"id"`
	Tenant  string    `json:"tenant"`
	Name    string    `json:"name"`
	Comment string    `json:"comment,omitempty"`
	Root    bool      `json:"root,omitempty"`
	Created time.Time `json:"created"`
}

// KeyStatus is whether an access key may sign requests.
type KeyStatus string

const (
	KeyActive   KeyStatus = "Active"
	KeyInactive KeyStatus = "Inactive"
)

// AccessKey is a user's SigV4 key pair.
type AccessKey struct {
	Schema    int        `json:"_v"`
	AccessKey string     `json:"ak"`
	Secret    string     `json:"sk"`
	Tenant    string     `json:"tenant"`
	UserID    string     `json:"uid"`
	UserName  string     `json:"user"`
	Root      bool       `json:"root,omitempty"`
	Status    KeyStatus  `json:"status"`
	Created   time.Time  `json:"created"`
	Expires   *time.Time `json:"expires,omitempty"`
}

// IdentityOptions configures the identity service.
type IdentityOptions struct {
	KV     kv.Store
	Logger *slog.Logger
	Now    func() time.Time
}

// Identity manages tenants, users and access keys, and resolves access keys
// for the S3 authenticator through an in-memory cache that every key change
// made through it invalidates at once.
type Identity struct {
	kv  kv.Store
	log *slog.Logger
	now func() time.Time

	mu    sync.RWMutex
	cache map[string]Credential
}

// NewIdentity returns the identity service.
func NewIdentity(o IdentityOptions) (*Identity, error) {
	if o.KV == nil {
		return nil, errors.New("core: IdentityOptions.KV is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Identity{kv: o.KV, log: o.Logger, now: o.Now, cache: map[string]Credential{}}, nil
}

func tenantKey(id string) []byte       { return append([]byte{'t'}, id...) }
func tenantNameKey(name string) []byte { return append([]byte{'n'}, name...) }
func userKey(tenant, name string) []byte {
	return append(append(append([]byte{'u'}, tenant...), 0), name...)
}
func accessKeyKey(ak string) []byte { return append([]byte{'k'}, ak...) }

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString draws n characters uniformly from alphabet (rejection
// sampling, so no character is more likely than another).
func randomString(n int, alphabet string) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// NewAWSKeyPair generates an AWS-style pair: a 20-character access key and
// a 40-character secret.
func NewAWSKeyPair() (string, string) {
	return randomString(20, upperDigits), randomString(40, secretChars)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func getJSON(tx kv.Reader, key []byte, v any) (bool, error) {
	raw, err := tx.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(raw, v)
}

func setJSON(tx kv.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Set(key, b)
}

// BootstrapInput describes the tenant and root user created on a fresh store.
type BootstrapInput struct {
	TenantName string
	// AccessKey and SecretKey are the root keys; both empty means generate.
	AccessKey, SecretKey string
}

// BootstrapResult is what Bootstrap found or made.
type BootstrapResult struct {
	Tenant  Tenant
	Root    User
	Created bool      // the store was fresh: tenant and root were created now
	Key     AccessKey // the root key created now (only when Created)
}

// Bootstrap creates the default tenant and its root user with a key when
// the store has no tenant of that name; otherwise it returns the existing
// one. Root keys given for an existing tenant are added if missing, so an
// operator can set COFFER_ROOT_ACCESS_KEY on an existing data directory.
func (s *Identity) Bootstrap(ctx context.Context, in BootstrapInput) (BootstrapResult, error) {
	if (in.AccessKey == "") != (in.SecretKey == "") {
		return BootstrapResult{}, errs.New(errs.InvalidArgument, "root access key and secret key must be set together")
	}
	if in.AccessKey != "" {
		if err := validateKeyPair(in.AccessKey, in.SecretKey); err != nil {
			return BootstrapResult{}, err
		}
	}
	var res BootstrapResult
	err := s.kv.Update(ctx, func(tx kv.Txn) error {
		res = BootstrapResult{}
		var tid string
		found, err := getJSON(tx, tenantNameKey(in.TenantName), &tid)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if found {
			if _, err := getJSON(tx, tenantKey(tid), &res.Tenant); err != nil {
				return err
			}
			if _, err := getJSON(tx, userKey(tid, "root"), &res.Root); err != nil {
				return err
			}
		} else {
			res.Created = true
			res.Tenant = Tenant{Schema: 1, ID: newID(), Name: in.TenantName, Created: now}
			res.Root = User{Schema: 1, ID: newID(), Tenant: res.Tenant.ID, Name: "root", Root: true, Created: now}
			if err := setJSON(tx, tenantKey(res.Tenant.ID), &res.Tenant); err != nil {
				return err
			}
			if err := setJSON(tx, tenantNameKey(in.TenantName), res.Tenant.ID); err != nil {
				return err
			}
			if err := setJSON(tx, userKey(res.Tenant.ID, "root"), &res.Root); err != nil {
				return err
			}
		}
		ak, sk := in.AccessKey, in.SecretKey
		if ak == "" {
			if !res.Created {
				return nil
			}
			ak, sk = NewAWSKeyPair()
		}
		var existing AccessKey
		if ok, err := getJSON(tx, accessKeyKey(ak), &existing); err != nil {
			return err
		} else if ok {
			if existing.UserID != res.Root.ID {
				return errs.New(errs.AlreadyExists, "access key %s belongs to another user", ak)
			}
			if existing.Secret == sk {
				return nil
			}
		}
		key := AccessKey{Schema: 1, AccessKey: ak, Secret: sk, Tenant: res.Tenant.ID, UserID: res.Root.ID,
			UserName: "root", Root: true, Status: KeyActive, Created: now}
		if res.Created {
			res.Key = key
		}
		return setJSON(tx, accessKeyKey(ak), &key)
	})
	if err != nil {
		return BootstrapResult{}, err
	}
	s.invalidate(in.AccessKey)
	return res, nil
}

func validateKeyPair(ak, sk string) error {
	if len(ak) < 3 || len(ak) > 128 {
		return errs.Field(errs.InvalidArgument, "access_key", "access keys are 3 to 128 characters long")
	}
	if len(sk) < 8 || len(sk) > 128 {
		return errs.Field(errs.InvalidArgument, "secret_key", "secret keys are 8 to 128 characters long")
	}
	return nil
}

func (s *Identity) invalidate(ak string) {
	if ak == "" {
		return
	}
	s.mu.Lock()
	delete(s.cache, ak)
	s.mu.Unlock()
}

// Credential resolves an access key (CredentialSource).
func (s *Identity) Credential(ctx context.Context, ak string) (Credential, error) {
	s.mu.RLock()
	c, ok := s.cache[ak]
	s.mu.RUnlock()
	if ok {
		return c, nil
	}
	var k AccessKey
	var found bool
	err := s.kv.View(ctx, func(tx kv.Reader) error {
		var err error
		found, err = getJSON(tx, accessKeyKey(ak), &k)
		return err
	})
	if err != nil {
		return Credential{}, errs.Wrap(errs.Internal, err, "read access key")
	}
	if !found || k.Status != KeyActive || k.Expires != nil && s.now().After(*k.Expires) {
		return Credential{}, errs.Field(errs.InvalidAccessKeyID, "AWSAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.")
	}
	c = Credential{Secret: k.Secret, Principal: Principal{Tenant: k.Tenant, UserID: k.UserID,
		UserName: k.UserName, AccessKey: k.AccessKey, Root: k.Root}}
	if k.Expires == nil {
		s.mu.Lock()
		s.cache[ak] = c
		s.mu.Unlock()
	}
	return c, nil
}

// Authorize is the data plane's authorization: a tenant's root user may do
// anything in its tenant; other users need a policy that allows the action
// (policies arrive with the ONTAP dialect), so they are denied for now.
func (s *Identity) Authorize(ctx context.Context, r Request) error {
	if r.Principal.Root {
		return nil
	}
	return errs.New(errs.AccessDenied, "Access Denied")
}

var _ CredentialSource = (*Identity)(nil)
var _ Authorizer = (*Identity)(nil)
