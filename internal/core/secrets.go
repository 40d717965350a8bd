package core

import (
	"bytes"
	"context"
	"fmt"

	"coffer/internal/kv"
)

// SecretSealer seals S3 secret keys at rest (the KMS implements it with a
// key derived from the master key). SigV4 needs the secret itself, so it
// cannot be hashed; sealed, a copy of the metadata store without the master
// key reveals no secret. The access key is the associated data: a sealed
// secret moved onto another access key does not open.
type SecretSealer interface {
	SealSecret(accessKey string, secret []byte) ([]byte, error)
	OpenSecret(accessKey string, sealed []byte) ([]byte, error)
}

// setSecret stores sk in rec: sealed when the core has a sealer, else in clear.
func (s *Service) setSecret(rec *AccessKey, sk string) error {
	if s.opts.Secrets == nil {
		rec.Secret, rec.SealedSecret = sk, nil
		return nil
	}
	sealed, err := s.opts.Secrets.SealSecret(rec.AccessKey, []byte(sk))
	if err != nil {
		return fmt.Errorf("core: seal the secret of %s: %w", rec.AccessKey, err)
	}
	rec.Secret, rec.SealedSecret = "", sealed
	return nil
}

// secretOf returns a key record's secret, opening it when sealed.
func (s *Service) secretOf(rec AccessKey) (string, error) {
	if rec.SealedSecret == nil {
		return rec.Secret, nil
	}
	if s.opts.Secrets == nil {
		return "", fmt.Errorf("core: the secret of %s is sealed and the core has no sealer", rec.AccessKey)
	}
	sk, err := s.opts.Secrets.OpenSecret(rec.AccessKey, rec.SealedSecret)
	if err != nil {
		return "", fmt.Errorf("core: open the secret of %s: %w", rec.AccessKey, err)
	}
	return string(sk), nil
}

// sealStoredSecrets is the one-time migration of key records written before
// secrets were sealed (or by a core without a sealer): each secret in clear
// is sealed in place, in batches. It returns how many records it sealed.
// Later starts find nothing to do after one scan of the 'k' records.
func (s *Service) sealStoredSecrets(ctx context.Context) (int, error) {
	if s.opts.Secrets == nil {
		return 0, nil
	}
	const batch = 500
	total := 0
	cursor := []byte{'k'}
	end := kv.PrefixEnd([]byte{'k'})
	for cursor != nil {
		var next []byte
		n := 0
		err := s.kv.Update(ctx, func(tx kv.Txn) error {
			next, n = nil, 0
			var recs []AccessKey
			it := tx.NewIterator(cursor, end)
			for ok := it.First(); ok; ok = it.Next() {
				if len(recs) == batch {
					next = bytes.Clone(it.Key())
					break
				}
				var k AccessKey
				if err := jsonUnmarshal(it.Value(), &k); err != nil {
					it.Close()
					return fmt.Errorf("core: key record %q: %w", it.Key(), err)
				}
				if k.SealedSecret == nil && k.Secret != "" {
					recs = append(recs, k)
				}
			}
			if err := it.Err(); err != nil {
				it.Close()
				return err
			}
			it.Close()
			for i := range recs {
				k := &recs[i]
				if err := s.setSecret(k, k.Secret); err != nil {
					return err
				}
				if k.Schema < accessKeySchema {
					k.Schema = accessKeySchema
				}
				if err := kv.SetJSON(tx, key('k', k.AccessKey), k); err != nil {
					return err
				}
			}
			n = len(recs)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		cursor = next
	}
	return total, nil
}

// ResealSecretsTx seals every stored S3 secret again, inside tx: sealed ones
// are opened with from and sealed with to, clear ones sealed with to. It is
// the core's half of replacing the master key (kms.RekeyTx is the other),
// run offline in the same transaction. It returns how many it resealed.
func ResealSecretsTx(tx kv.Txn, from, to SecretSealer) (int, error) {
	var recs []AccessKey
	err := scan(tx, []byte{'k'}, func(k, raw []byte) error {
		var rec AccessKey
		if err := jsonUnmarshal(raw, &rec); err != nil {
			return fmt.Errorf("core: key record %q: %w", k, err)
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for i := range recs {
		rec := &recs[i]
		sk := rec.Secret
		if rec.SealedSecret != nil {
			b, err := from.OpenSecret(rec.AccessKey, rec.SealedSecret)
			if err != nil {
				return 0, fmt.Errorf("core: open the secret of %s: %w", rec.AccessKey, err)
			}
			sk = string(b)
		}
		sealed, err := to.SealSecret(rec.AccessKey, []byte(sk))
		if err != nil {
			return 0, err
		}
		rec.Secret, rec.SealedSecret = "", sealed
		if rec.Schema < accessKeySchema {
			rec.Schema = accessKeySchema
		}
		if err := kv.SetJSON(tx, key('k', rec.AccessKey), rec); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}
