package objects

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Usage is counted with blind delta records ('D') so that concurrent writes
// to one bucket never conflict on a shared counter; the collector folds them
// into the bucket's 'Q' record every GCInterval and after every foldEvery
// deltas. Only a bucket with a quota reads the deltas inside its writes,
// which serializes that bucket's writers: the price of a hard quota checked
// in the write's own transaction.

func readUsage(tx kv.Reader, bid uint64) (usageRecord, error) {
	var u usageRecord
	v, err := tx.Get(bidPrefix(nsUsage, bid))
	switch {
	case err == nil:
		if err := json.Unmarshal(v, &u); err != nil {
			return u, err
		}
	case errors.Is(err, kv.ErrNotFound):
	default:
		return u, err
	}
	p := bidPrefix(nsDelta, bid)
	it := tx.NewIterator(p, kv.PrefixEnd(p))
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		var d usageRecord
		if err := json.Unmarshal(it.Value(), &d); err != nil {
			return u, err
		}
		u.Bytes += d.Bytes
		u.Objects += d.Objects
	}
	return u, it.Err()
}

// chargeUsage records delta for the bucket, refusing growth past its quota.
func (s *Service) chargeUsage(tx kv.Txn, b *bucketRecord, delta usageRecord, seq uint64) error {
	if delta.Bytes == 0 && delta.Objects == 0 {
		return nil
	}
	if b.QuotaBytes > 0 && delta.Bytes > 0 {
		u, err := readUsage(tx, b.ID)
		if err != nil {
			return err
		}
		if u.Bytes+delta.Bytes > b.QuotaBytes {
			return errs.Field(errs.QuotaExceeded, "bucket",
				"The bucket's quota of %d bytes would be exceeded (%d bytes used)", b.QuotaBytes, u.Bytes)
		}
	}
	k := binary.BigEndian.AppendUint64(bidPrefix(nsDelta, b.ID), seq)
	var r [4]byte
	_, _ = rand.Read(r[:])
	k = append(k, r[:]...)
	if s.deltas.Add(1)%foldEvery == 0 { // counted per attempt: close enough
		select {
		case s.foldKick <- struct{}{}:
		default:
		}
	}
	return tx.Set(k, marshal(&delta))
}

// foldEvery is how many usage deltas are written between folds (besides
// the collector's interval): it bounds what readUsage sums.
const foldEvery = 1024
