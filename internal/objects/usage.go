package objects

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Usage is counted with blind delta records ('D') so that concurrent writes
// to one bucket never conflict on a shared counter; the collector folds them
// into the bucket's 'Q' record. Only a bucket with a quota reads the deltas
// inside its writes, which serializes that bucket's writers: the price of a
// hard quota checked in the write's own transaction.

// readFolded returns the bucket's folded 'Q' record, zero when none.
func readFolded(tx kv.Reader, bid uint64) (usageRecord, error) {
	var u usageRecord
	v, err := tx.Get(bidPrefix(nsUsage, bid))
	switch {
	case err == nil:
		return u, json.Unmarshal(v, &u)
	case errors.Is(err, kv.ErrNotFound):
		return u, nil
	default:
		return u, err
	}
}

// readUsage returns the bucket's usage: the folded record plus every delta.
func readUsage(tx kv.Reader, bid uint64) (usageRecord, error) {
	u, err := readFolded(tx, bid)
	if err != nil {
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
	return tx.Set(k, marshal(&delta))
}

// FoldUsage folds every bucket's usage deltas into its usage record.
func (s *Service) FoldUsage(ctx context.Context) error {
	var bids []uint64
	err := s.view(ctx, "fold", func(tx kv.Reader) error {
		bids = bids[:0]
		p := []byte{nsDelta}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; {
			if len(it.Key()) < 9 {
				ok = it.Next()
				continue
			}
			bid := binary.BigEndian.Uint64(it.Key()[1:9])
			bids = append(bids, bid)
			ok = it.SeekGE(kv.PrefixEnd(bidPrefix(nsDelta, bid)))
		}
		return it.Err()
	})
	if err != nil {
		return err
	}
	for _, bid := range bids {
		if err := s.foldBucketUsage(ctx, bid); err != nil {
			return err
		}
	}
	return nil
}

// foldBucketUsage folds one bucket's deltas in transactions of at most
// UsageFoldBatch deltas. Each transaction deletes exactly the deltas it adds
// to the folded record, so a crash between two batches neither loses nor
// counts twice: the deltas not yet folded are still there for the next pass.
// It stops at the first batch that is not full; deltas written meanwhile
// wait for the next pass.
func (s *Service) foldBucketUsage(ctx context.Context, bid uint64) error {
	p := bidPrefix(nsDelta, bid)
	limit := s.opts.UsageFoldBatch
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		err := s.update(ctx, "fold", func(tx kv.Txn) error {
			u, err := readFolded(tx, bid)
			if err != nil {
				return err
			}
			keys := make([][]byte, 0, min(limit, 1024))
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			for ok := it.First(); ok && len(keys) < limit; ok = it.Next() {
				var d usageRecord
				if err := json.Unmarshal(it.Value(), &d); err != nil {
					it.Close()
					return err
				}
				u.Bytes += d.Bytes
				u.Objects += d.Objects
				keys = append(keys, append([]byte(nil), it.Key()...))
			}
			err = it.Err()
			it.Close()
			if err != nil {
				return err
			}
			n = len(keys)
			if n == 0 {
				return nil
			}
			for _, k := range keys {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return tx.Set(bidPrefix(nsUsage, bid), marshal(&u))
		})
		if err != nil || n < limit {
			return err
		}
	}
}
