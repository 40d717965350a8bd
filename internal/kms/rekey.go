package kms

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coffer/internal/kv"
)

// RekeyResult counts what RekeyTx rewrote.
type RekeyResult struct {
	Keys, Versions int
}

// RekeyTx replaces the store's master key inside tx: every version of every
// named key is unwrapped under oldMaster and wrapped again under newMaster,
// and the check value becomes newMaster's. Data keys are sealed under named
// key versions, not under the master key, so no object changes. It fails
// with ErrWrongMasterKey when oldMaster did not key the store. The caller
// re-seals the S3 secrets (core.ResealSecretsTx) in the same transaction,
// with NewSecretBox of each key, so that a crash leaves all of it under one
// master key or the other.
func RekeyTx(tx kv.Txn, oldMaster, newMaster []byte, now time.Time) (RekeyResult, error) {
	var res RekeyResult
	if len(oldMaster) != MasterKeySize || len(newMaster) != MasterKeySize {
		return res, errors.New("kms: master keys are 32 bytes")
	}
	if subtle.ConstantTimeCompare(oldMaster, newMaster) == 1 {
		return res, errors.New("kms: the new master key is the current one")
	}
	b, err := tx.Get(checkKey())
	if errors.Is(err, kv.ErrNotFound) {
		return res, errors.New("kms: this store was never keyed (start the server once first)")
	}
	if err != nil {
		return res, err
	}
	rec, err := decodeCheck(b)
	if err != nil {
		return res, err
	}
	if subtle.ConstantTimeCompare(rec.Check, checkValue(oldMaster)) != 1 {
		return res, ErrWrongMasterKey
	}
	oldWrap, err := newGCM(derive(oldMaster, purposeWrap))
	if err != nil {
		return res, err
	}
	from, to := &Local{wrap: oldWrap}, &Local{}
	if to.wrap, err = newGCM(derive(newMaster, purposeWrap)); err != nil {
		return res, err
	}
	var recs []keyRecord
	p := []byte{ns, 'k'}
	it := tx.NewIterator(p, kv.PrefixEnd(p))
	for ok := it.First(); ok; ok = it.Next() {
		r, err := decodeKey(it.Value())
		if err != nil {
			it.Close()
			return res, err
		}
		recs = append(recs, r)
	}
	if err := it.Err(); err != nil {
		it.Close()
		return res, err
	}
	it.Close()
	for i := range recs {
		r := &recs[i]
		for j := range r.Versions {
			v := &r.Versions[j]
			k, err := from.unwrap(r.ID, *v)
			if err != nil {
				return res, fmt.Errorf("kms: rekey %s: %w", r.ID, err)
			}
			v.Wrapped = to.wrapVersion(r.ID, v.Version, k)
			clear(k)
			res.Versions++
		}
		if err := putKeyTx(tx, r); err != nil {
			return res, err
		}
		res.Keys++
	}
	nb, err := json.Marshal(checkRecord{Schema: checkSchema, Check: checkValue(newMaster), Created: now.UTC()})
	if err != nil {
		return res, err
	}
	return res, tx.Set(checkKey(), nb)
}
