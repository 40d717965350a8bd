package objects

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// waitNoBlobs returns how long it took for every blob to be gone, failing
// past bound.
func waitNoBlobs(t *testing.T, e *env, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for countBlobs(t, e.s) > 0 {
		if time.Since(start) > bound {
			t.Fatalf("%d blobs still on disk %v after the deletes", countBlobs(t, e.s), bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// Deleted data's space comes back promptly: the delete's commit wakes the
// collector, long before GCInterval (issue 12).
func TestGCPromptAfterBulkDelete(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = -1; o.GCInterval = time.Hour })
	e.bucket("gcb")
	const n = 300
	for i := range n {
		e.put("gcb", fmt.Sprintf("k%04d", i), []byte(fmt.Sprintf("object %d", i)))
	}
	if got := countBlobs(t, e.s); got != n {
		t.Fatalf("%d blobs after %d puts", got, n)
	}
	for i := range n {
		if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "gcb", Key: fmt.Sprintf("k%04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	took := waitNoBlobs(t, e, 5*time.Second)
	t.Logf("%d blobs gone %v after the last delete", n, took)
}

// A kick that finds the gate closed (the node's lease late) is retried
// soon after, not left to the next GCInterval.
func TestGCKickRetriedAfterClosedGate(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = -1; o.GCInterval = time.Hour })
	var open atomic.Bool
	e.s.SetCollectorGate(open.Load)
	e.bucket("gcb")
	e.put("gcb", "k", []byte("data"))
	if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "gcb", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the kick is taken while the gate is closed
	if countBlobs(t, e.s) != 1 {
		t.Fatal("collected while gated")
	}
	open.Store(true)
	waitNoBlobs(t, e, 3*gateRetry)
}

// Deletes in a steady stream share collection passes (at most one per
// gcCoalesce after the first), and their space still comes back promptly.
func TestGCPassesCoalesced(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.InlineMax = -1; o.GCInterval = time.Hour })
	e.bucket("gcb")
	const n = 200
	for i := range n {
		e.put("gcb", fmt.Sprintf("k%04d", i), []byte(fmt.Sprintf("object %d", i)))
	}
	before := e.s.GarbagePasses()
	start := time.Now()
	for i := range n {
		if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "gcb", Key: fmt.Sprintf("k%04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitNoBlobs(t, e, 5*time.Second)
	elapsed := time.Since(start)
	passes := e.s.GarbagePasses() - before
	// One pass per kick would be n; coalesced, one per gcCoalesce plus the
	// first and the last.
	if limit := uint64(elapsed/gcCoalesce) + 2; passes > limit || passes == 0 {
		t.Fatalf("%d collection passes for %d deletes over %v (limit %d)", passes, n, elapsed, limit)
	}
	t.Logf("%d deletes over %v: %d collection passes", n, elapsed, passes)
}
