package core

import (
	"context"

	"coffer/internal/kv"
)

// A Commvault user has one S3 key pair (accessKeyID, secretAccessKey): the
// user's usable key in its lowest slot (PrimaryKey). Rotating it replaces
// that key with a new AWS-style pair and deletes the user's other keys, in
// one transaction, so that every old key stops working at once.

// PrimaryKey returns the key Commvault shows for a user: its usable key in
// the lowest slot; ok is false when it has none.
func (s *Service) PrimaryKey(u User) (KeyInfo, bool) {
	now := s.now()
	for _, k := range u.Keys { // putUser keeps them by slot
		if k.usable(now) {
			return k, true
		}
	}
	return KeyInfo{}, false
}

// RotateUserKeys gives a user a new AWS-style key pair in its lowest slot
// (slot 1 when it has no key) and deletes its other keys; the old keys fail
// from the next request on. The new secret is returned only here.
func (s *Service) RotateUserKeys(ctx context.Context, tenant, name string) (NewKey, error) {
	var nk NewKey
	err := s.update(ctx, "rotate keys", func(tx kv.Txn) error {
		var err error
		nk, err = s.rotateKeysTx(tx, tenant, name)
		return err
	})
	if err != nil {
		return NewKey{}, err
	}
	s.identChanged()
	return nk, nil
}

func (s *Service) rotateKeysTx(tx kv.Txn, tenant, name string) (NewKey, error) {
	svc, u, err := serviceUser(tx, tenant, name)
	if err != nil {
		return NewKey{}, err
	}
	if err := checkTTL(u.KeyTimeToLive, svc); err != nil {
		return NewKey{}, err
	}
	slot := 1
	if len(u.Keys) > 0 {
		slot = u.Keys[0].Slot
	}
	for _, k := range u.Keys {
		if err := tx.Delete(key('k', k.AccessKey)); err != nil {
			return NewKey{}, err
		}
	}
	u.Keys = nil
	ak, sk := NewAWSKeyPair()
	if ak, sk, err = resolveKeys(tx, ak, sk); err != nil {
		return NewKey{}, err
	}
	nk, err := s.putKey(tx, &u, slot, ak, sk, u.KeyTimeToLive)
	if err != nil {
		return NewKey{}, err
	}
	return nk, putUser(tx, &u)
}

// EnsureUserKey gives a user without a usable key a new pair
// (RotateUserKeys); created is false when it already had one.
func (s *Service) EnsureUserKey(ctx context.Context, tenant, name string) (NewKey, bool, error) {
	var nk NewKey
	var created bool
	err := s.update(ctx, "ensure key", func(tx kv.Txn) error {
		nk, created = NewKey{}, false
		u, err := mustUser(tx, tenant, name)
		if err != nil {
			return err
		}
		if u.Enabled(s.now()) {
			return nil
		}
		created = true
		nk, err = s.rotateKeysTx(tx, tenant, name)
		return err
	})
	if err != nil {
		return NewKey{}, false, err
	}
	if created {
		s.identChanged()
	}
	return nk, created, nil
}
