package objects

import (
	"bytes"
	"sync"

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
