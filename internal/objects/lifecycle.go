package objects

import (
	"context"
	"encoding/json"
	"time"

	"coffer/internal/kv"
)

// What the lifecycle job (package core) needs beyond the S3 operations: the
// buckets that carry a configuration, and a batch of expirations applied in
// one transaction. Each expiration re-checks, inside the transaction, that
// the version is still the one the job evaluated, then goes through the
// same transaction-level functions DeleteObject uses (deleteLatest,
// deleteVersion), so every rule those enforce applies.

// BucketsWithConfig returns every bucket, in every tenant, that has the
// named sub-resource configuration.
func (s *Service) BucketsWithConfig(ctx context.Context, name string) ([]BucketInfo, error) {
	var out []BucketInfo
	err := s.view(ctx, "BucketsWithConfig", func(tx kv.Reader) error {
		out = nil
		p := []byte{nsBucket}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var b bucketRecord
			if err := json.Unmarshal(it.Value(), &b); err != nil {
				return err
			}
			if b.Configs[name] != nil {
				out = append(out, b.info())
			}
		}
		return it.Err()
	})
	return out, err
}

// ExpireKind is what an Expire does.
type ExpireKind int

const (
	// ExpireCurrent expires the current version: removed in a bucket
	// without versioning, hidden behind a new delete marker otherwise.
	ExpireCurrent ExpireKind = iota + 1
	// RemoveExpiredMarker removes a delete marker that is the only version
	// of its key.
	RemoveExpiredMarker
)

// Expire is one expiration of a batch.
type Expire struct {
	Kind ExpireKind
	Key  string
	// VersionID and Modified identify the version the decision was made
	// on; the expiration is skipped when the key's current version is no
	// longer that one.
	VersionID string
	Modified  time.Time
}

// ExpireObjects applies a batch of expirations to one bucket in one
// transaction and reports which were applied (the others had changed
// meanwhile). An error fails the whole batch.
func (s *Service) ExpireObjects(ctx context.Context, tenant, bucket string, batch []Expire) ([]bool, error) {
	done := make([]bool, len(batch))
	anyGarbage := false
	err := s.update(ctx, "ExpireObjects", func(tx kv.Txn) error {
		clear(done)
		anyGarbage = false
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		var usage usageRecord
		for i, e := range batch {
			if err := validateKey(e.Key); err != nil {
				continue
			}
			cur, curRaw, err := getCurrent(tx, currentKey(b.ID, e.Key))
			if err != nil {
				return err
			}
			if cur == nil || cur.versionID() != e.VersionID || !cur.modTime().Equal(e.Modified.UTC()) {
				continue
			}
			var st deleteStep
			switch e.Kind {
			case ExpireCurrent:
				if cur.isDM() {
					continue
				}
				err = s.deleteLatest(tx, b, e.Key, cur, curRaw, &st)
			case RemoveExpiredMarker:
				if !cur.isDM() {
					continue
				}
				p := versionKeyPrefix(b.ID, e.Key)
				it := tx.NewIterator(p, kv.PrefixEnd(p))
				older := it.First()
				err = it.Err()
				it.Close()
				if err != nil {
					return err
				}
				if older {
					continue
				}
				err = s.deleteVersion(tx, b, e.Key, e.VersionID, cur.Seq, cur, false, &st)
			default:
				continue
			}
			if err != nil {
				return err
			}
			done[i] = true
			anyGarbage = anyGarbage || st.garbage
			usage.add(st.usage)
		}
		return s.chargeUsage(tx, b, usage, s.nextSeq(0))
	})
	if err != nil {
		return nil, err
	}
	if anyGarbage {
		s.kickGC()
	}
	return done, nil
}

// UpdateBucketConfig replaces one of a bucket's sub-resource configurations
// with fn's answer to the current value (nil when absent), in one
// transaction: fn returning nil removes it, an error leaves it unchanged.
// fn may run more than once (a conflicting commit retries the transaction).
func (s *Service) UpdateBucketConfig(ctx context.Context, tenant, bucket, name string, fn func(old []byte) ([]byte, error)) error {
	return s.update(ctx, "UpdateBucketConfig", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		value, err := fn(b.Configs[name])
		if err != nil {
			return err
		}
		if value == nil {
			delete(b.Configs, name)
		} else {
			if b.Configs == nil {
				b.Configs = map[string][]byte{}
			}
			b.Configs[name] = append([]byte(nil), value...)
		}
		return tx.Set(bucketKey(tenant, bucket), marshal(b))
	})
}
