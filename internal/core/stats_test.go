package core_test

import "testing"

// The first lookup of a key reads the store, the next ones hit the cache;
// an unknown key is a miss every time.
func TestCredentialCacheStats(t *testing.T) {
	e := newEnv(t)
	h0, m0 := e.core.CredentialCacheStats()
	for range 3 {
		if _, err := e.core.Credential(ctx, e.boot.Key.AccessKey); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.core.Credential(ctx, "NOSUCHKEY00000000000"); err == nil {
		t.Fatal("unknown key resolved")
	}
	h, m := e.core.CredentialCacheStats()
	if h-h0 != 2 || m-m0 != 2 {
		t.Errorf("hits %d misses %d, want 2 and 2", h-h0, m-m0)
	}
}
