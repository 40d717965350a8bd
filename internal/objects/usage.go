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
// into the bucket's 'Q' record every GCInterval and after every foldEvery
// deltas. Only a bucket with a quota reads the deltas inside its writes,
// which serializes that bucket's writers: the price of a hard quota checked
// in the write's own transaction.

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
		d, err := decodeDelta(it.Value())
		if err != nil {
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
	return tx.Set(k, encodeDelta(delta))
}

// deltaBinary starts a usage delta in its binary form: two varints (bytes,
// objects). Deltas were JSON before ('{'), and those are still read: one
// json.Marshal per write was a measurable part of a small PUT.
const deltaBinary = 'v'

func encodeDelta(d usageRecord) []byte {
	b := make([]byte, 1, 1+2*binary.MaxVarintLen64)
	b[0] = deltaBinary
	b = binary.AppendVarint(b, d.Bytes)
	return binary.AppendVarint(b, d.Objects)
}

func decodeDelta(v []byte) (usageRecord, error) {
	var d usageRecord
	if len(v) == 0 || v[0] != deltaBinary {
		return d, json.Unmarshal(v, &d)
	}
	var n, m int
	d.Bytes, n = binary.Varint(v[1:])
	if n > 0 {
		d.Objects, m = binary.Varint(v[1+n:])
	}
	if n <= 0 || m <= 0 || 1+n+m != len(v) {
		return usageRecord{}, errs.New(errs.Internal, "objects: corrupt usage delta")
	}
	return d, nil
}

// foldEvery is how many usage deltas are written between folds (besides
// the collector's interval): it bounds what readUsage sums.
const foldEvery = 1024

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
//
// The deltas are found in a snapshot and each folding transaction reads
// them back by key: a range read would conflict with every write committed
// meanwhile (each adds a delta to the range), so under a steady write load
// the fold never committed, and the deltas, which GetBucket and every
// quota-checked write sum, grew without bound. A delta written after the
// snapshot is left for the next fold; one another fold took first is gone
// (not found) and skipped. It stops at the first batch that is not full.
func (s *Service) foldBucketUsage(ctx context.Context, bid uint64) error {
	p := bidPrefix(nsDelta, bid)
	limit := s.opts.UsageFoldBatch
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var keys [][]byte
		err := s.view(ctx, "fold", func(tx kv.Reader) error {
			keys = keys[:0]
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			defer it.Close()
			for ok := it.First(); ok && len(keys) < limit; ok = it.Next() {
				keys = append(keys, append([]byte(nil), it.Key()...))
			}
			return it.Err()
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		err = s.update(ctx, "fold", func(tx kv.Txn) error {
			u, err := readFolded(tx, bid)
			if err != nil {
				return err
			}
			for i, k := range keys {
				v, err := tx.Get(k)
				if errors.Is(err, kv.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				d, err := decodeDelta(v)
				if err != nil {
					return err
				}
				u.Bytes += d.Bytes
				u.Objects += d.Objects
				if err := tx.Delete(k); err != nil {
					return err
				}
				if i == 0 && s.testHookFold != nil {
					s.testHookFold()
				}
			}
			return tx.Set(bidPrefix(nsUsage, bid), marshal(&u))
		})
		if err != nil || len(keys) < limit {
			return err
		}
	}
}

func (u *usageRecord) add(d usageRecord) {
	u.Bytes += d.Bytes
	u.Objects += d.Objects
}
