package core_test

import "testing"

// A lookup after the first of a key hits the cache; an unknown key is a
// miss every time. The change feed may move the identity generation once
// while the new service catches up (which empties the cache, as it must),
// so a round is tried again when that happened.
func TestCredentialCacheStats(t *testing.T) {
	e := newEnv(t)
	var hits, misses uint64
	for round := 0; round < 5; round++ {
		if _, err := e.core.Credential(ctx, e.boot.Key.AccessKey); err != nil { // warm
			t.Fatal(err)
		}
		h0, m0 := e.core.CredentialCacheStats()
		for range 2 {
			if _, err := e.core.Credential(ctx, e.boot.Key.AccessKey); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.core.Credential(ctx, "NOSUCHKEY00000000000"); err == nil {
			t.Fatal("unknown key resolved")
		}
		h, m := e.core.CredentialCacheStats()
		hits, misses = h-h0, m-m0
		if hits == 2 && misses == 1 {
			return
		}
	}
	t.Errorf("hits %d misses %d, want 2 and 1", hits, misses)
}
