package objects

import (
	"context"
	"errors"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// DeleteObject deletes a key (creating a delete marker when versioning is
// set) or one version (promoting the next newest when it was the latest).
func (s *Service) DeleteObject(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	seq, err := prepareDelete(in)
	if err != nil {
		return DeleteOutput{}, err
	}
	var st deleteStep
	err = s.update(ctx, "DeleteObject", func(tx kv.Txn) error {
		st = deleteStep{}
		b, err := getBucket(tx, in.Tenant, in.Bucket)
		if err != nil {
			return err
		}
		if err := s.deleteIn(tx, b, in, seq, &st); err != nil {
			return err
		}
		return s.chargeUsage(tx, b, st.usage, s.nextSeq(0))
	})
	if err != nil {
		return DeleteOutput{}, err
	}
	if st.garbage {
		s.kickGC()
	}
	return st.out, nil
}

// prepareDelete checks what a delete names before any transaction and
// returns the sequence of the version it names (0 for none or the null
// version).
func prepareDelete(in DeleteInput) (uint64, error) {
	if err := validateKey(in.Key); err != nil {
		return 0, err
	}
	if in.VersionID == "" || in.VersionID == NullVersionID {
		return 0, nil
	}
	seq, ok := parseVersionID(in.VersionID)
	if !ok {
		return 0, invalidVersion()
	}
	return seq, nil
}

// deleteStep is what one key's delete did inside a transaction: its answer,
// whether it retired blobs, and the usage change it owes the bucket (the
// caller charges it, once per transaction).
type deleteStep struct {
	out     DeleteOutput
	garbage bool
	usage   usageRecord
}

// deleteIn deletes in.Key (or the version seq names) of bucket b inside tx.
// An error of S3's vocabulary (lock, precondition) is returned before the
// key's first write, so a transaction shared by several keys can report it
// for this key and commit the others (deleteObjectsBatch checks that).
func (s *Service) deleteIn(tx kv.Txn, b *bucketRecord, in DeleteInput, seq uint64, st *deleteStep) error {
	cur, curRaw, err := getCurrentMeta(tx, currentKey(b.ID, in.Key))
	if err != nil {
		return err
	}
	if done, err := checkDeleteConditions(in, cur); done || err != nil {
		return err
	}
	if in.VersionID == "" {
		return s.deleteLatest(tx, b, in.Key, cur, curRaw, st)
	}
	return s.deleteVersion(tx, b, in.Key, in.VersionID, seq, cur, in.BypassGovernance, st)
}

func (s *Service) deleteLatest(tx kv.Txn, b *bucketRecord, key string, cur *versionRecord, curRaw []byte, st *deleteStep) error {
	ck := currentKey(b.ID, key)
	if b.Versioning == VersioningUnset {
		if cur == nil {
			return nil // S3 answers 204 for a missing key
		}
		if err := checkRemoval(cur.Lock, s.opts.Now(), false); err != nil {
			return err
		}
		st.garbage = len(cur.Blobs) > 0
		if err := markGarbage(tx, cur.Blobs); err != nil {
			return err
		}
		st.usage.add(usageRecord{Bytes: -cur.Size, Objects: -1})
		return tx.Delete(ck)
	}
	var floor uint64
	if cur != nil {
		floor = cur.Seq
	}
	dm := &versionRecord{flags: flagDeleteMarker}
	dm.Seq = s.nextSeq(floor)
	if b.Versioning == VersioningEnabled {
		dm.VID = newVersionID(dm.Seq)
	} else {
		dm.flags |= flagNull
	}
	delta, g, err := s.retireCurrent(tx, b, key, cur, curRaw)
	if err != nil {
		return err
	}
	st.garbage = g
	delta.Objects++ // a delete marker is a version
	st.usage.add(delta)
	st.out.VersionID, st.out.DeleteMarker = dm.versionID(), true
	return tx.Set(ck, dm.encode())
}

func (s *Service) deleteVersion(tx kv.Txn, b *bucketRecord, key, versionID string, seq uint64, cur *versionRecord, bypass bool, st *deleteStep) error {
	st.out.VersionID = versionID
	ck := currentKey(b.ID, key)
	isCur := cur != nil && (versionID == NullVersionID && cur.isNull() || cur.VID == versionID && cur.Seq == seq)
	var victim *versionRecord
	if isCur {
		victim = cur
		if err := checkRemoval(victim.Lock, s.opts.Now(), bypass); err != nil {
			return err
		}
		if err := tx.Delete(ck); err != nil {
			return err
		}
		// Promote the newest noncurrent version, if any.
		p := versionKeyPrefix(b.ID, key)
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		if it.First() {
			k := append([]byte(nil), it.Key()...)
			v := append([]byte(nil), it.Value()...)
			it.Close()
			if err := tx.Set(ck, v); err != nil {
				return err
			}
			if err := tx.Delete(k); err != nil {
				return err
			}
		} else {
			err := it.Err()
			it.Close()
			if err != nil {
				return err
			}
		}
	} else {
		var vk []byte
		if versionID == NullVersionID {
			v, vseq, err := findNoncurrentNull(tx, b.ID, key)
			if err != nil {
				return err
			}
			if v == nil {
				return nil // deleting a version that does not exist succeeds, as in S3
			}
			victim, vk = v, versionKey(b.ID, key, vseq)
		} else {
			vk = versionKey(b.ID, key, seq)
			raw, err := tx.Get(vk)
			if errors.Is(err, kv.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if victim, err = decodeVersion(raw, false); err != nil {
				return err
			}
			if victim.VID != versionID {
				return nil
			}
		}
		if err := checkRemoval(victim.Lock, s.opts.Now(), bypass); err != nil {
			return err
		}
		if err := tx.Delete(vk); err != nil {
			return err
		}
	}
	st.out.DeleteMarker = victim.isDM()
	st.garbage = len(victim.Blobs) > 0
	if err := markGarbage(tx, victim.Blobs); err != nil {
		return err
	}
	st.usage.add(usageRecord{Bytes: -victim.Size, Objects: -1})
	return nil
}

// getCurrentMeta is getCurrent without the inline data, and with the raw
// record as the store returned it (valid until the transaction ends, which
// is all a delete needs: it writes it back, when it does, in the same
// transaction). A bulk delete of small objects reads each one's record once
// instead of copying its data three times.
func getCurrentMeta(tx kv.Reader, ck []byte) (*versionRecord, []byte, error) {
	return readCurrent(tx, ck, false)
}

// checkDeleteConditions applies a conditional delete's preconditions to the
// current version, inside the delete's transaction. S3 evaluates them
// against the current version only, also when a version id is named:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
// If-Match on a missing key (or a delete marker) is NoSuchKey, as for
// conditional writes; x-amz-if-match-size and
// x-amz-if-match-last-modified-time alone are satisfied by a missing key,
// and the delete then does nothing (done).
func checkDeleteConditions(in DeleteInput, cur *versionRecord) (done bool, err error) {
	failed := func(field string) error {
		return errs.Field(errs.PreconditionFailed, field, "At least one of the pre-conditions you specified did not hold")
	}
	exists := cur != nil && !cur.isDM()
	if in.IfMatch != "" {
		if !exists {
			return false, errs.Field(errs.NoSuchKey, "If-Match", "The specified key does not exist.")
		}
		if !etagMatches(in.IfMatch, cur.ETag) {
			return false, failed("If-Match")
		}
	}
	if in.IfMatchSize == nil && in.IfMatchLastModified == nil {
		return false, nil
	}
	if !exists {
		return true, nil
	}
	if in.IfMatchSize != nil && *in.IfMatchSize != cur.Size {
		return false, failed("x-amz-if-match-size")
	}
	if in.IfMatchLastModified != nil && !cur.modTime().Truncate(time.Second).Equal(in.IfMatchLastModified.Truncate(time.Second)) {
		return false, failed("x-amz-if-match-last-modified-time")
	}
	return false, nil
}
