package s3api

import (
	"context"
	"fmt"
	"testing"

	"coffer/internal/objects"
)

// A PUT without Content-MD5 or a checksum (what coffer-bench and most SDKs
// send for small objects) must not read the bucket from the store: the
// Object Lock default-retention check comes from the cached bucket view.
// GetBucket also sums the bucket's usage deltas, which grow with every
// write until folded; reading them per PUT made put4k 15x slower.
func TestPutWithoutIntegrityReadsNoBucket(t *testing.T) {
	h, gets := newCORSHarness(t)
	h.want(h.do("PUT", "/pics", ""), 200)
	h.want(h.do("PUT", "/pics/warm", "x"), 200) // fills the view
	gets.Store(0)
	const n = 10
	for i := 0; i < n; i++ {
		h.want(h.do("PUT", fmt.Sprintf("/pics/k%d", i), "data"), 200)
	}
	if got := gets.Load(); got > 1 {
		t.Fatalf("%d bucket reads for %d PUTs without an integrity check; want the cached view", got, n)
	}
}

// The cached view still refuses a PUT without an integrity check to a bucket
// whose default retention locks every new version.
func TestPutWithoutIntegrityUnderDefaultRetention(t *testing.T) {
	h, _ := newCORSHarness(t)
	// Made in the backend before any request reads the bucket (the fake
	// has no generations to invalidate a cached view).
	if _, err := h.be.CreateBucket(context.Background(), objects.CreateBucketInput{Tenant: testPrincipal.Tenant, Name: "vault"}); err != nil {
		t.Fatal(err)
	}
	h.be.mu.Lock()
	h.be.buckets[testPrincipal.Tenant+"/vault"].info.ObjectLock = objects.ObjectLockConfig{
		Enabled: true, DefaultMode: objects.LockGovernance, DefaultDays: 1}
	h.be.mu.Unlock()
	e := errorDoc(t, h.want(h.do("PUT", "/vault/k", "data"), 400))
	if e.Code != "InvalidRequest" {
		t.Fatalf("PUT without integrity under default retention: %s %s", e.Code, e.Message)
	}
	h.want(h.do("PUT", "/vault/k", "data", "Content-MD5", contentMD5("data")), 200)
	// A plain bucket takes the same PUT.
	h.want(h.do("PUT", "/plain", ""), 200)
	h.want(h.do("PUT", "/plain/k", "data"), 200)
}
