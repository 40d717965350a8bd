package objects

import (
	"context"
	"errors"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// DeleteResult is the outcome of one key of DeleteObjects: what it did, or
// why it was refused.
type DeleteResult struct {
	DeleteOutput
	Err error
}

// errSplitBatch abandons a shared transaction whose key failed after its
// first write: that key's writes cannot be undone alone, so the batch is
// deleted again key by key.
var errSplitBatch = errors.New("objects: a key failed after writing; delete key by key")

// DeleteObjects deletes many keys (or versions) of one bucket, each as
// DeleteObject would, and reports each outcome in ins's order: a key refused
// (locked, a precondition, an invalid version id) does not stop the others.
// The keys are deleted in the order given, in transactions of
// Options.DeleteBatch keys (a request of S3's 1,000 keys commits once, one
// WAL sync, where a transaction per key cost one sync each), so a key
// named twice sees its first delete (a second delete marker, as S3 makes).
// The Tenant and Bucket of each input are ignored: all are tenant's bucket.
//
// A failure of a whole transaction (the store unavailable, the bucket gone)
// is every key's result in that transaction; one that kept conflicting, or
// failed on one record, is tried again key by key, so that one busy or
// corrupt key does not fail the others (splitBatch).
func (s *Service) DeleteObjects(ctx context.Context, tenant, bucket string, ins []DeleteInput) []DeleteResult {
	res := make([]DeleteResult, len(ins))
	seqs := make([]uint64, len(ins))
	todo := make([]int, 0, len(ins))
	for i := range ins {
		var err error
		if seqs[i], err = prepareDelete(ins[i]); err != nil {
			res[i].Err = err
			continue
		}
		todo = append(todo, i)
	}
	for len(todo) > 0 {
		n := min(len(todo), s.opts.DeleteBatch)
		s.deleteObjectsBatch(ctx, tenant, bucket, ins, seqs, todo[:n], res)
		todo = todo[n:]
	}
	return res
}

// deleteObjectsBatch deletes the keys ins[idx...] in one transaction,
// writing their outcomes into res.
func (s *Service) deleteObjectsBatch(ctx context.Context, tenant, bucket string, ins []DeleteInput, seqs []uint64, idx []int, res []DeleteResult) {
	steps := make([]DeleteResult, len(idx))
	garbage := false
	err := s.update(ctx, "DeleteObjects", func(tx kv.Txn) error {
		clear(steps)
		garbage = false
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		ct := &countingTxn{Txn: tx}
		var usage usageRecord
		for j, i := range idx {
			var st deleteStep
			before := ct.writes
			if err := s.deleteIn(ct, b, ins[i], seqs[i], &st); err != nil {
				if !keyError(err) {
					return err
				}
				if ct.writes != before {
					return errSplitBatch
				}
				steps[j].Err = err
				continue
			}
			steps[j].DeleteOutput = st.out
			garbage = garbage || st.garbage
			usage.add(st.usage)
		}
		return s.chargeUsage(tx, b, usage, s.nextSeq(0))
	})
	switch {
	case err == nil:
		for j, i := range idx {
			res[i] = steps[j]
		}
		if garbage {
			s.kickGC()
		}
	case len(idx) > 1 && splitBatch(ctx, err):
		for _, i := range idx {
			in := ins[i]
			in.Tenant, in.Bucket = tenant, bucket
			res[i].DeleteOutput, res[i].Err = s.DeleteObject(ctx, in)
		}
	default:
		for _, i := range idx {
			res[i].Err = err
		}
	}
}

// splitBatch reports whether a batch whose transaction failed with err is
// to be deleted again key by key: one key's writes could not be undone
// alone, the transaction kept conflicting (smaller ones conflict less), or
// the store failed on one record (a corrupt one: the others can still go).
// Not when the store is unavailable, the request gone, or the bucket
// missing: every key would fail the same way, one after another.
func splitBatch(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch errs.KindOf(err) {
	case errs.Conflict, errs.Internal:
		return true
	}
	return errors.Is(err, errSplitBatch)
}

// keyError reports whether err refuses one key (S3's vocabulary: locked,
// precondition failed, no such key) rather than failing the transaction
// (the store, a corrupt record).
func keyError(err error) bool {
	switch errs.KindOf(err) {
	case errs.Internal, errs.Unavailable, errs.Conflict:
		return false
	}
	return true
}

// countingTxn counts the writes made through it, so that a key's failure
// can be told to have come before its first write.
type countingTxn struct {
	kv.Txn
	writes int
}

func (t *countingTxn) Set(key, value []byte) error {
	t.writes++
	return t.Txn.Set(key, value)
}

func (t *countingTxn) Delete(key []byte) error {
	t.writes++
	return t.Txn.Delete(key)
}
