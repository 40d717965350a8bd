package objects

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Usage is counted with blind delta records ('D') so that concurrent writes
// to one bucket never conflict on a shared counter; the collector folds them
// into the bucket's 'Q' record every GCInterval and after every foldEvery
// deltas. Only a bucket with a quota reads the deltas inside its writes,
// which serializes that bucket's writers: the price of a hard quota checked
// in the write's own transaction.

// foldedUsage is the bucket's 'Q' record: the usage folded so far and, on
// a store that fences range deletes (kv.FencesRangeDeletes), Next, the key
// the fold's range deletion ended at: every delta below it is folded.
type foldedUsage struct {
	usageRecord
	Next []byte `json:"n,omitempty"`
}

// readFolded returns the bucket's folded usage, zero when none.
func readFolded(tx kv.Reader, bid uint64) (usageRecord, error) {
	f, err := readFoldedRecord(tx, bid)
	return f.usageRecord, err
}

func readFoldedRecord(tx kv.Reader, bid uint64) (foldedUsage, error) {
	var f foldedUsage
	v, err := tx.Get(bidPrefix(nsUsage, bid))
	switch {
	case err == nil:
		return f, json.Unmarshal(v, &f)
	case errors.Is(err, kv.ErrNotFound):
		return f, nil
	default:
		return f, err
	}
}

// readUsage returns the bucket's usage: the folded record plus every delta
// not folded yet. Its cost is the live deltas: it starts at the folded
// record's Next where there is one, past the folds' range deletions (which a
// scan from the prefix would step over wherever they share a memtable or an
// sstable with the deltas they cover).
func readUsage(tx kv.Reader, bid uint64) (usageRecord, error) {
	f, err := readFoldedRecord(tx, bid)
	if err != nil {
		return f.usageRecord, err
	}
	u := f.usageRecord
	p := bidPrefix(nsDelta, bid)
	start := p
	if bytes.HasPrefix(f.Next, p) {
		start = f.Next
	}
	it := tx.NewIterator(start, kv.PrefixEnd(p))
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

// foldSettle is how long a fold waits between choosing the deltas it folds
// (a snapshot) and folding them: a write that took its delta's sequence
// before the snapshot but had not committed yet (a PUT in flight; on a
// cluster, a node whose clock is a little behind) commits meanwhile, instead
// of conflicting with the fold and making it retry.
const foldSettle = 50 * time.Millisecond

// FoldUsage folds every bucket's usage deltas into its usage record.
func (s *Service) FoldUsage(ctx context.Context) error {
	var ends []foldEnd
	err := s.view(ctx, "fold", func(tx kv.Reader) error {
		ends = ends[:0]
		p := []byte{nsDelta}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; {
			if len(it.Key()) < 9 {
				ok = it.Next()
				continue
			}
			bid := binary.BigEndian.Uint64(it.Key()[1:9])
			end, n, top, err := foldBatchEnd(tx, bid, s.opts.UsageFoldBatch, nil, true)
			if err != nil {
				return err
			}
			ends = append(ends, foldEnd{bid: bid, end: end, top: top, n: n})
			ok = it.SeekGE(kv.PrefixEnd(bidPrefix(nsDelta, bid)))
		}
		return it.Err()
	})
	if err != nil || len(ends) == 0 {
		return err
	}
	select {
	case <-time.After(foldSettle):
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, fe := range ends {
		if err := s.foldBucketUsage(ctx, fe); err != nil {
			return err
		}
	}
	return nil
}

// foldEnd is where one fold of a bucket's deltas ends: it folds the n
// deltas in [prefix, end), and later batches stop at top, the end of what
// the first snapshot held (a fold does not chase the writers).
type foldEnd struct {
	bid      uint64
	end, top []byte
	n        int
}

// foldBatchEnd returns the end of the bucket's next fold, just after its
// limit-th delta below top (nil: the prefix's end) or its last one, and how
// many deltas are before it; with all, it also returns the end after the
// last delta below top.
func foldBatchEnd(tx kv.Reader, bid uint64, limit int, top []byte, all bool) (end []byte, n int, last []byte, err error) {
	p := bidPrefix(nsDelta, bid)
	if top == nil {
		top = kv.PrefixEnd(p)
	}
	it := tx.NewIterator(p, top)
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		last = append(last[:0], it.Key()...) // Key is valid only until Next
		if n < limit {
			n++
			if n == limit {
				end = append(bytes.Clone(last), 0) // the smallest key after it
				if !all {
					break
				}
			}
		}
	}
	if err := it.Err(); err != nil || n == 0 {
		return nil, 0, nil, err
	}
	last = append(last, 0)
	if end == nil {
		end = last
	}
	return end, n, last, nil
}

// foldBucketUsage folds one bucket's deltas in transactions of at most
// UsageFoldBatch deltas, starting with [prefix, fe.end).
//
// Each transaction reads every delta in its range, adds them to the folded
// record and deletes the range with one range deletion. Deleting each delta
// left a tombstone per delta in the prefix that every later readUsage (each
// GetBucket, each write into a bucket with a quota) stepped over until a
// compaction reached the bottom level: 120-405 ms per GetBucket after
// 300,000 writes. A range tombstone is skipped in one seek.
//
// Nothing is lost or counted twice: the transaction read the whole range,
// so a delta another transaction commits into it before this one commits
// makes this one conflict and run again; one committed after it is newer
// than the range deletion, which does not cover it (Pebble orders them by
// sequence; PostgreSQL's DELETE ran before it existed), and is left for the
// next fold. The range ends just after a delta of the snapshot, so writes
// that take their sequence afterwards land past it and never conflict.
// Each transaction commits on its own: a crash between two leaves the deltas
// not yet folded for the next pass.
func (s *Service) foldBucketUsage(ctx context.Context, fe foldEnd) error {
	p := bidPrefix(nsDelta, fe.bid)
	limit := s.opts.UsageFoldBatch
	fenced := kv.FencesRangeDeletes(s.kv)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := fe.end
		err := s.update(ctx, "fold", func(tx kv.Txn) error {
			u, err := readFoldedRecord(tx, fe.bid)
			if err != nil {
				return err
			}
			// From the prefix, not from u.Next: a delta below Next (a clock
			// set back across a restart) is folded too.
			it := tx.NewIterator(p, end)
			defer it.Close()
			first := true
			for ok := it.First(); ok; ok = it.Next() {
				d, err := decodeDelta(it.Value())
				if err != nil {
					return err
				}
				u.add(d)
				if first && s.testHookFold != nil {
					s.testHookFold()
				}
				first = false
			}
			if err := it.Close(); err != nil {
				return err
			}
			u.Next = nil
			if fenced {
				// Every later delta is written past end (the store fences
				// the range deletion; sequences grow), so readers start there.
				u.Next = end
			}
			if err := tx.Set(bidPrefix(nsUsage, fe.bid), marshal(&u)); err != nil {
				return err
			}
			return tx.DeleteRange(p, end)
		})
		if err != nil || fe.n < limit {
			return err
		}
		// A full batch: there may be more. Their end comes from a new
		// snapshot; they are older than what was just folded, or about as
		// recent, so no settling is needed.
		err = s.view(ctx, "fold", func(tx kv.Reader) error {
			var err error
			fe.end, fe.n, _, err = foldBatchEnd(tx, fe.bid, limit, fe.top, false)
			return err
		})
		if err != nil || fe.n == 0 {
			return err
		}
	}
}

func (u *usageRecord) add(d usageRecord) {
	u.Bytes += d.Bytes
	u.Objects += d.Objects
}

// seqPastFolds raises the sequence past every fold's end (foldedUsage.Next),
// so that a delta written after a restart whose clock is behind the last
// run's lands past the fold too, where readUsage looks. Only a store that
// fences range deletes has such ends; the scan reads one record per bucket.
func (s *Service) seqPastFolds(ctx context.Context) error {
	if !kv.FencesRangeDeletes(s.kv) {
		return nil
	}
	var top uint64
	err := s.view(ctx, "New", func(tx kv.Reader) error {
		p := []byte{nsUsage}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var f foldedUsage
			if json.Unmarshal(it.Value(), &f) == nil && len(f.Next) >= 17 {
				top = max(top, binary.BigEndian.Uint64(f.Next[9:17]))
			}
		}
		return it.Err()
	})
	if err != nil {
		return err
	}
	for {
		last := s.lastSeq.Load()
		if last >= top || s.lastSeq.CompareAndSwap(last, top) {
			return nil
		}
	}
}
