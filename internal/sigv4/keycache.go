package sigv4

import (
	"crypto/subtle"
	"sync"
)

// KeyCache memoizes signing keys. A signing key is a function of the
// secret, the scope's date, region and service only, so a cached one is
// used only when the secret the lookup returned for this request equals the
// one it was derived from: a rotated secret derives a new key, and a revoked
// access key is refused by the lookup, which runs on every request before
// the cache is consulted. A new day is a new scope, hence a new entry.
//
// The zero value is not usable; make one with NewKeyCache. A nil *KeyCache
// derives every key. It is safe for concurrent use.
type KeyCache struct {
	mu sync.RWMutex
	m  map[keyScope]cachedKey
}

type keyScope struct{ accessKey, date8, region, service string }

type cachedKey struct {
	secret string
	key    [32]byte
}

// maxCachedKeys bounds the cache; past it the cache starts over (one entry
// per access key and day is what a deployment normally holds).
const maxCachedKeys = 4096

// NewKeyCache returns an empty cache.
func NewKeyCache() *KeyCache { return &KeyCache{m: make(map[keyScope]cachedKey)} }

// signingKey returns deriveSigningKey(secret, date8, region, service),
// cached under accessKey.
func (c *KeyCache) signingKey(accessKey, secret, date8, region, service string) [32]byte {
	if c == nil {
		return deriveSigningKey(secret, date8, region, service)
	}
	s := keyScope{accessKey, date8, region, service}
	c.mu.RLock()
	e, ok := c.m[s]
	c.mu.RUnlock()
	if ok && len(e.secret) == len(secret) && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key
	}
	k := deriveSigningKey(secret, date8, region, service)
	c.mu.Lock()
	if len(c.m) >= maxCachedKeys {
		clear(c.m)
	}
	c.m[s] = cachedKey{secret: secret, key: k}
	c.mu.Unlock()
	return k
}

// len is the number of cached keys (tests).
func (c *KeyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
