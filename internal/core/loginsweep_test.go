package core

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"coffer/internal/kv"
)

// guardRecords lists the shared lockout records in the store.
func guardRecords(t *testing.T, e *vtEnv) []string {
	t.Helper()
	var out []string
	err := e.s.kv.View(vtCtx, func(tx kv.Reader) error {
		out = out[:0]
		return scan(tx, []byte{'o'}, func(k, _ []byte) error { out = append(out, string(k)); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The sweep removes exactly the records whose window and lock have
// elapsed: a lock outlives its window's failures until it runs out, a
// window's failures stay until the window ends, and a record written again
// after a sweep is kept by the next one.
func TestGuard_sweepRemovesExpiredRecords(t *testing.T) {
	e := guardEnv(t) // window 10 min, lock 5 min after 5 failures
	for range 3 {
		_, _ = adminAttempt(e, "wrong-password", "10.0.0.1")
	}
	e.clock.Advance(2 * time.Minute)
	for range 5 {
		_, _ = adminAttempt(e, "wrong-password", "10.0.0.2") // locks (admin, 10.0.0.2) until +7 min
	}
	pairA, addrA := string(guardPairKey("admin", "10.0.0.1")), string(guardAddrKey("10.0.0.1"))
	pairB, addrB := string(guardPairKey("admin", "10.0.0.2")), string(guardAddrKey("10.0.0.2"))
	all := []string{pairA, pairB, addrA, addrB}
	slices.Sort(all)
	sweep := func(want int) {
		t.Helper()
		n, err := e.s.guard.shared.sweep(vtCtx, e.s.now(), e.s.guard.policy.FailureWindow)
		if err != nil || n != want {
			t.Fatalf("sweep at %v: %d removed (%v), want %d", e.s.now(), n, err, want)
		}
	}
	if got := guardRecords(t, e); !slices.Equal(got, all) {
		t.Fatalf("records %q, want %q", got, all)
	}
	sweep(0) // nothing has expired
	if got := guardRecords(t, e); !slices.Equal(got, all) {
		t.Fatalf("records after a sweep with nothing expired: %q", got)
	}

	// +8 min: B's lock ran out (its pair reads as empty); A's window and
	// B's address window (opened at +2 min) run on.
	e.clock.Advance(6 * time.Minute)
	sweep(1)
	if got := guardRecords(t, e); slices.Contains(got, pairB) || len(got) != 3 {
		t.Fatalf("records after B's lock ran out: %q, want all but %q", got, pairB)
	}
	// +11 min: A's window (from 0) ended; B's address window (from +2) not.
	e.clock.Advance(3 * time.Minute)
	sweep(2)
	if got := guardRecords(t, e); !slices.Equal(got, []string{addrB}) {
		t.Fatalf("records after A's window ended: %q, want %q", got, addrB)
	}
	// A new failure from A writes its records again: the next sweep keeps them.
	_, _ = adminAttempt(e, "wrong-password", "10.0.0.1")
	sweep(0)
	if got := guardRecords(t, e); len(got) != 3 {
		t.Fatalf("records after a new failure: %q", got)
	}
	// +13 min: every window ended; the service's sweep (the one the gc
	// lease's holder runs) removes the rest... but A's new window, from
	// +11, runs on.
	e.clock.Advance(2 * time.Minute)
	if err := e.s.sweepLoginRecords(vtCtx); err != nil {
		t.Fatal(err)
	}
	if got := guardRecords(t, e); !slices.Equal(got, []string{addrA, pairA}) && !slices.Equal(got, []string{pairA, addrA}) {
		t.Fatalf("records after the service's sweep: %q, want A's new ones", got)
	}
}

// The sweep works in bounded transactions over any number of records.
func TestGuard_sweepInBatches(t *testing.T) {
	e := guardEnv(t)
	now := e.s.now()
	old := encodeFail(failState{failures: 2, first: now.Add(-time.Hour)})
	live := encodeFail(failState{failures: 2, first: now.Add(-time.Minute)})
	const n = 3*guardSweepBatch + 7
	err := e.s.kv.Update(vtCtx, func(tx kv.Txn) error {
		for i := range n {
			if err := tx.Set(guardAddrKey(fmt.Sprintf("10.1.%d.%d", i/256, i%256)), old); err != nil {
				return err
			}
		}
		return tx.Set(guardAddrKey("192.0.2.1"), live)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.s.guard.shared.sweep(vtCtx, now, e.s.guard.policy.FailureWindow)
	if err != nil || got != n {
		t.Fatalf("sweep removed %d (%v), want %d", got, err, n)
	}
	if recs := guardRecords(t, e); !slices.Equal(recs, []string{string(guardAddrKey("192.0.2.1"))}) {
		t.Fatalf("records left: %d (%.3q), want the live one", len(recs), recs)
	}
}
