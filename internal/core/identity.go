package core

import (
	"context"
	"errors"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/uuid"
)

// AccessKey is the stored form of a user's SigV4 key pair, found by access
// key on every S3 request.
type AccessKey struct {
	// Schema is the record's schema version (3; 2 kept the secret only in
	// clear; 1 had no Slot).
	Schema    int    `json:"_v"`
	AccessKey string `json:"ak"`
	// Secret is the secret in clear: only in records written before
	// secrets were sealed (sealStoredSecrets seals them at startup) or by a
	// core without a SecretSealer.
	Secret string `json:"sk,omitempty"`
	// SealedSecret is the secret sealed by the core's SecretSealer for this
	// access key (SigV4 verification needs the secret itself, so it is
	// sealed, not hashed).
	SealedSecret []byte `json:"ssk,omitempty"`
	Tenant       string `json:"tenant"`
	UserUUID     string `json:"uid"`
	UserName     string `json:"user"`
	Root         bool   `json:"root,omitempty"`
	// Slot is the key's number in its user (1 when the record predates slots).
	Slot    int        `json:"slot,omitempty"`
	Status  KeyStatus  `json:"status"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
}

const accessKeySchema = 3

type credEntry struct {
	gen  uint64
	cred Credential
	exp  *time.Time
}

func errIsNotFound(err error) bool { return errors.Is(err, kv.ErrNotFound) }

func invalidAccessKey() error {
	return errs.Field(errs.InvalidAccessKeyID, "AWSAccessKeyId",
		"The AWS Access Key Id you provided does not exist in our records.")
}

// Credential resolves an access key for the S3 authenticator
// (CredentialSource). Unknown, inactive and expired keys fail with
// InvalidAccessKeyId. Results are cached until the next identity change
// (identGen), so a regenerated, deleted or deactivated key fails on the
// very next request.
//
// Whether the key's tenant and S3 service are enabled is checked by
// Authorize, after the signature is verified, so that a caller without the
// secret learns nothing about a key.
func (s *Service) Credential(ctx context.Context, ak string) (Credential, error) {
	gen := s.identGen.Load()
	now := s.now()
	s.credMu.RLock()
	e, ok := s.creds[ak]
	s.credMu.RUnlock()
	if ok && e.gen == gen && (e.exp == nil || now.Before(*e.exp)) {
		s.credHits.Add(1)
		return e.cred, nil
	}
	s.credMisses.Add(1)
	var k AccessKey
	var found bool
	err := s.view(ctx, "read access key", func(tx kv.Reader) error {
		var err error
		if found, err = kv.GetJSON(tx, key('k', ak), &k); err != nil || !found {
			return err
		}
		disabled, err := userDisabled(tx, k.Tenant, k.UserName) // SetUserEnabled
		found = !disabled
		return err
	})
	if err != nil {
		return Credential{}, err
	}
	if !found || k.Status != KeyActive || k.Expires != nil && !now.Before(*k.Expires) {
		return Credential{}, invalidAccessKey()
	}
	secret, err := s.secretOf(k)
	if err != nil {
		return Credential{}, err
	}
	c := Credential{Secret: secret, Principal: Principal{Tenant: k.Tenant, UserID: k.UserUUID,
		UserName: k.UserName, AccessKey: k.AccessKey, Root: k.Root}}
	s.credMu.Lock()
	if len(s.creds) > 100_000 { // bound memory: start over rather than track recency
		clear(s.creds)
	}
	s.creds[ak] = credEntry{gen: gen, cred: c, exp: k.Expires}
	s.credMu.Unlock()
	return c, nil
}

// BootstrapInput describes the default tenant created on a fresh store.
type BootstrapInput struct {
	TenantName string
	// AccessKey and SecretKey are the root keys; both empty means generate.
	AccessKey, SecretKey string
}

// BootstrapResult is what Bootstrap found or made.
type BootstrapResult struct {
	Tenant  Tenant
	Root    User
	Created bool   // the store was fresh: tenant, service and root were created now
	Key     NewKey // the root key created now (only when Created)
}

// Bootstrap creates the default tenant (a data tenant), its enabled S3
// service and its root user with a key (AWS-style, NewAWSKeyPair: the
// server prints it once for S3 tools) when the store has no tenant of that
// name; otherwise it returns the existing one, creating a missing service
// and migrating records written by older versions. Root keys given for an
// existing tenant are added to root if missing (slot 1 is replaced), so an
// operator can set COFFER_ROOT_ACCESS_KEY on an existing data directory.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput) (BootstrapResult, error) {
	if (in.AccessKey == "") != (in.SecretKey == "") {
		return BootstrapResult{}, errs.New(errs.InvalidArgument, "root access key and secret key must be set together")
	}
	if in.AccessKey != "" {
		if err := validateAccessKey(in.AccessKey); err != nil {
			return BootstrapResult{}, err
		}
		if err := validateSecretKey(in.SecretKey); err != nil {
			return BootstrapResult{}, err
		}
	}
	if err := validateTenantName(in.TenantName); err != nil {
		return BootstrapResult{}, err
	}
	var res BootstrapResult
	err := s.update(ctx, "bootstrap", func(tx kv.Txn) error {
		res = BootstrapResult{}
		var tid string
		found, err := kv.GetJSON(tx, key('n', in.TenantName), &tid)
		if err != nil {
			return err
		}
		if !found {
			t, err := s.createTenant(tx, in.TenantName, "", TenantData, SubtypeDefault, TenantRunning)
			if err != nil {
				return err
			}
			tid, res.Created = t.UUID, true
		}
		if res.Tenant, err = dataTenant(tx, tid); err != nil {
			return err
		}
		if err := s.migrateTenantRecords(tx, &res.Tenant); err != nil {
			return err
		}
		svc, ok, err := getService(tx, tid)
		if err != nil {
			return err
		}
		if !ok {
			svc = S3Service{Schema: serviceSchema, Tenant: tid, Name: defaultServiceName(res.Tenant.Name), Enabled: true,
				IsHTTPSEnabled: true, Port: 80, SecurePort: 443, Created: s.now().UTC()}
			if err := kv.SetJSON(tx, key('s', tid), &svc); err != nil {
				return err
			}
		}
		root, ok, err := getUser(tx, tid, RootUserName)
		if err != nil {
			return err
		}
		if !ok {
			id, err := nextID32(tx, "user")
			if err != nil {
				return err
			}
			root = User{UUID: uuid.New(), ID: id, Tenant: tid, Name: RootUserName, Root: true, Created: s.now().UTC()}
			if len(root.Keys) == 0 && in.AccessKey == "" {
				ak, sk := NewAWSKeyPair()
				if res.Key, err = s.putKey(tx, &root, 1, ak, sk, 0); err != nil {
					return err
				}
			}
		}
		if in.AccessKey != "" {
			var existing AccessKey
			if ok, err := kv.GetJSON(tx, key('k', in.AccessKey), &existing); err != nil {
				return err
			} else if ok && existing.UserUUID != root.UUID {
				return errs.New(errs.AlreadyExists, "access key %s belongs to another user", in.AccessKey)
			} else if sk, err := s.secretOf(existing); err != nil {
				return err
			} else if !ok || sk != in.SecretKey {
				for _, k := range root.Keys {
					if k.Slot == 1 && k.AccessKey != in.AccessKey {
						if err := tx.Delete(key('k', k.AccessKey)); err != nil {
							return err
						}
					}
				}
				nk, err := s.putKey(tx, &root, 1, in.AccessKey, in.SecretKey, 0)
				if err != nil {
					return err
				}
				if res.Created {
					res.Key = nk
				}
			}
		}
		if err := putUser(tx, &root); err != nil {
			return err
		}
		res.Root = root
		return nil
	})
	if err != nil {
		return BootstrapResult{}, err
	}
	s.identChanged()
	return res, nil
}

// migrateTenantRecords upgrades a tenant written by schema-1 code: it gets
// an int id, and its users (only root existed then) get int ids and their
// key lists from the 'k' records.
func (s *Service) migrateTenantRecords(tx kv.Txn, t *Tenant) error {
	if t.ID == 0 {
		id, err := nextID32(tx, "tenant")
		if err != nil {
			return err
		}
		t.ID = id
		if err := putTenant(tx, t); err != nil {
			return err
		}
	}
	var old []User
	if err := scan(tx, key('u', t.UUID, ""), func(_, raw []byte) error {
		var u User
		if err := jsonUnmarshal(raw, &u); err != nil {
			return err
		}
		if u.Schema < userSchema {
			old = append(old, u)
		}
		return nil
	}); err != nil {
		return err
	}
	if len(old) == 0 {
		return nil
	}
	byUser := map[string][]AccessKey{}
	if err := scan(tx, []byte{'k'}, func(_, raw []byte) error {
		var k AccessKey
		if err := jsonUnmarshal(raw, &k); err != nil {
			return err
		}
		if k.Tenant == t.UUID {
			byUser[k.UserUUID] = append(byUser[k.UserUUID], k)
		}
		return nil
	}); err != nil {
		return err
	}
	for i := range old {
		u := &old[i]
		if u.ID == 0 {
			id, err := nextID32(tx, "user")
			if err != nil {
				return err
			}
			u.ID = id
		}
		u.Keys = nil
		for n, k := range byUser[u.UUID] {
			k.Slot, k.Schema = n+1, accessKeySchema
			if err := kv.SetJSON(tx, key('k', k.AccessKey), &k); err != nil {
				return err
			}
			u.Keys = append(u.Keys, KeyInfo{Slot: k.Slot, AccessKey: k.AccessKey, Status: k.Status,
				Created: k.Created, Expires: k.Expires})
		}
		if err := putUser(tx, u); err != nil {
			return err
		}
	}
	return nil
}

var _ CredentialSource = (*Service)(nil)
var _ Authorizer = (*Service)(nil)
