package objects

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// bucketCache memoizes the decoding of bucket records for the read paths
// (GET, HEAD, listings), where decoding the record's JSON cost more than
// the rest of a small GET's lookup. The record is still read from the
// transaction every time, so a read sees exactly the bucket its snapshot
// holds; only when those bytes equal the cached ones is the decoded record
// reused. Records are shared: a caller must not modify one.
type bucketCache struct {
	mu sync.RWMutex
	m  map[bucketCacheKey]*cachedBucket
}

type bucketCacheKey struct{ tenant, name string }

type cachedBucket struct {
	raw []byte
	rec *bucketRecord
	// watch is the store's counter for the bucket's key (kv.KeyWatcher),
	// nil when it has none or the entry was filled inside a View; gen is
	// its value before the snapshot raw was read from. While the counter
	// still reads gen, no write of the record became visible since.
	watch *atomic.Uint64
	gen   uint64
}

// maxCachedBuckets bounds the cache; past it the cache starts over (a
// deployment with more buckets than this read at once gains little from it).
const maxCachedBuckets = 4096

// readBucket is getBucket for readers that do not modify the record.
func (s *Service) readBucket(tx kv.Reader, tenant, name string) (*bucketRecord, error) {
	raw, err := tx.Get(bucketKey(tenant, name))
	if err != nil {
		return getBucketErr(name, err)
	}
	c := &s.buckets
	k := bucketCacheKey{tenant, name}
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e != nil && bytes.Equal(e.raw, raw) {
		return e.rec, nil
	}
	b, err := decodeBucket(name, raw)
	if err != nil {
		return nil, err
	}
	e = &cachedBucket{raw: bytes.Clone(raw), rec: b}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedBuckets {
		c.m = make(map[bucketCacheKey]*cachedBucket)
	}
	c.m[k] = e
	c.mu.Unlock()
	return b, nil
}

// cachedDefaultEncryption reports whether the bucket's cached record (the
// last one read) has a default encryption. It is a hint, for choosing the
// write path whose check is cheaper for the bucket; the write's own
// transaction decides.
func (s *Service) cachedDefaultEncryption(tenant, name string) bool {
	c := &s.buckets
	c.mu.RLock()
	e := c.m[bucketCacheKey{tenant, name}]
	c.mu.RUnlock()
	return e != nil && e.rec.Configs[ConfigEncryption] != nil
}

// readLatestFast is the read of a key's latest version on a store that reads
// several keys in one snapshot cheaply (kv.MultiGetter: on PostgreSQL one
// statement, where a View costs BEGIN, a statement per read and COMMIT). It
// reads the bucket's record and the key's current record in the bucket the
// cache last saw, in one snapshot; when the bucket's record is byte for byte
// the cached one, that snapshot is exactly what a View would have read (the
// same bucket, so the same id), and the cache only spared the wait for the
// first read before the second. Otherwise (no cached record, the bucket
// changed or is gone) ok is false and the caller reads in a View.
//
// On a store that watches keys (kv.KeyWatcher: Pebble) the bucket's record
// is not even read while its counter stays where it was before the cached
// record was read: the counter is checked after the version was read (at
// one sequence number, or on one snapshot), and a write of the record
// moves it before the write is visible, so an unchanged counter means the
// version's read saw the cached record.
func (s *Service) readLatestFast(ctx context.Context, tenant, bucket, key string, withData bool) (v *versionRecord, b *bucketRecord, ok bool, err error) {
	mg := kv.MultiGetterOf(s.kv)
	if mg == nil {
		return nil, nil, false, nil
	}
	c := &s.buckets
	k := bucketCacheKey{tenant, bucket}
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e == nil {
		return nil, nil, false, nil
	}
	ck := currentKey(e.rec.ID, key)
	var cur []byte
	if e.watch != nil {
		vals, err := mg.GetMulti(ctx, [][]byte{ck})
		if err != nil {
			return nil, nil, true, internal(err, "GetObject")
		}
		if e.watch.Load() == e.gen { // after GetMulti's read
			cur, b = vals[0], e.rec
		}
	}
	if b == nil {
		bk := bucketKey(tenant, bucket)
		watch := e.watch
		if watch == nil {
			watch = kv.WatchKey(s.kv, bk)
		}
		var gen uint64
		if watch != nil {
			gen = watch.Load() // before GetMulti's snapshot
		}
		vals, err := mg.GetMulti(ctx, [][]byte{bk, ck})
		if err != nil {
			return nil, nil, true, internal(err, "GetObject")
		}
		if vals[0] == nil || !bytes.Equal(vals[0], e.raw) {
			return nil, nil, false, nil
		}
		if watch != nil {
			c.mu.Lock()
			if c.m[k] == e { // not replaced meanwhile
				c.m[k] = &cachedBucket{raw: e.raw, rec: e.rec, watch: watch, gen: gen}
			}
			c.mu.Unlock()
		}
		cur, b = vals[1], e.rec
	}
	if cur == nil {
		return nil, nil, true, errs.Field(errs.NoSuchKey, "key", "The specified key does not exist.")
	}
	// The values are ours (kv.MultiGetter): the inline data is not copied
	// again.
	if v, err = decodeVersionIn(cur, withData, true); err != nil {
		return nil, nil, true, err
	}
	return v, b, true, nil
}
