package objects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Every PUT reads its bucket's record twice (the pre-check before the body,
// then inside the commit) and decoding its JSON was ~8% of put4k's CPU. The
// decoded records are kept here, each with the raw value it came from: a
// read still fetches the value in its own transaction (so conflicts and
// visibility are those of kv), and reuses the decoded record only when the
// bytes are the same.
//
// The records handed out are shared: only read-only call sites use them
// (bucketRO); anything that changes a bucket decodes its own (getBucket).

// maxBucketCache bounds the cache; past it, it is emptied.
const maxBucketCache = 4096

type bucketCache struct {
	mu sync.RWMutex
	m  map[string]bucketCacheEntry // by bucket key
}

type bucketCacheEntry struct {
	raw []byte
	rec *bucketRecord
}

// bucketRO is getBucket for callers that do not modify the record.
func (s *Service) bucketRO(tx kv.Reader, tenant, name string) (*bucketRecord, error) {
	k := bucketKey(tenant, name)
	v, err := tx.Get(k)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errs.Field(errs.NoSuchBucket, "bucket", "The specified bucket does not exist")
	}
	if err != nil {
		return nil, err
	}
	c := &s.buckets
	c.mu.RLock()
	e, ok := c.m[string(k)]
	c.mu.RUnlock()
	if ok && bytes.Equal(e.raw, v) {
		return e.rec, nil
	}
	var b bucketRecord
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("objects: bucket record %q: %w", name, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxBucketCache {
		c.m = map[string]bucketCacheEntry{}
	}
	c.m[string(k)] = bucketCacheEntry{raw: bytes.Clone(v), rec: &b}
	c.mu.Unlock()
	return &b, nil
}
