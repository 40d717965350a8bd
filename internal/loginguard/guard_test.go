package loginguard

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

var ctx = context.Background()

var testPolicy = Policy{MaxFailures: 5, FailureWindow: 10 * time.Minute, Lockout: 5 * time.Minute, MaxAddressFailures: 20}

// openStore is a real Pebble store, as the nodes of a cluster share one.
func openStore(t *testing.T) kv.Store {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(t.TempDir(), "meta")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newGuard(t *testing.T, st kv.Store, forgot *int) *Guard {
	t.Helper()
	o := Options{Policy: testPolicy, Store: st, Prefix: 'o'}
	if forgot != nil {
		o.OnForget = func(kv.Txn) { *forgot++ }
	}
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOptionsValidate(t *testing.T) {
	st := openStore(t)
	for _, o := range []Options{
		{Policy: Policy{MaxFailures: 0, FailureWindow: time.Minute, Lockout: time.Minute, MaxAddressFailures: 1}},
		{Policy: Policy{MaxFailures: 1, FailureWindow: 0, Lockout: time.Minute, MaxAddressFailures: 1}},
		{Policy: Policy{MaxFailures: 1, FailureWindow: time.Minute, Lockout: time.Minute, MaxAddressFailures: 0}},
		{Policy: testPolicy, Store: st}, // no prefix
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// Five failures from A lock (name, A) only; B still may try; the lock runs
// out; a success uncounts its own attempt.
func TestLockPerAccountAndAddress(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared=", shared), func(t *testing.T) {
			var st kv.Store
			if shared {
				st = openStore(t)
			}
			g := newGuard(t, st, nil)
			now := time.Now()
			for i := 1; i <= 5; i++ {
				ls, locked := g.Begin("admin", "10.0.0.1", now)
				if locked || ls.Failures != i || ls.Locked != (i == 5) {
					t.Fatalf("failure %d: %+v locked=%v", i, ls, locked)
				}
			}
			if ls, locked := g.Begin("admin", "10.0.0.1", now); !locked || ls.Address || ls.Remaining != 5*time.Minute {
				t.Fatalf("sixth attempt: %+v locked=%v, want refused for 5 min", ls, locked)
			}
			if _, locked := g.Locked("admin", "10.0.0.2", now); locked {
				t.Fatal("another address is locked too")
			}
			if ls, locked := g.Begin("admin", "10.0.0.2", now); locked || ls.Failures != 1 {
				t.Fatalf("from B: %+v %v", ls, locked)
			}
			g.Succeed("admin", "10.0.0.2")
			if ls, locked := g.Begin("admin", "10.0.0.2", now); locked || ls.Failures != 1 {
				t.Fatalf("after a success the pair starts over: %+v %v", ls, locked)
			}
			if _, locked := g.Locked("admin", "10.0.0.1", now.Add(5*time.Minute)); locked {
				t.Fatal("the lock did not run out")
			}
		})
	}
}

// One address trying many accounts is blocked as a whole.
func TestAddressLimit(t *testing.T) {
	g := newGuard(t, openStore(t), nil)
	now := time.Now()
	for i := range testPolicy.MaxAddressFailures - 1 {
		if _, locked := g.Begin(fmt.Sprint("user", i), "192.0.2.9", now); locked {
			t.Fatalf("attempt %d refused", i)
		}
	}
	g.FailAddress("192.0.2.9", now) // a bad session token counts too
	ls, locked := g.Locked("someone-else", "192.0.2.9", now)
	if !locked || !ls.Address {
		t.Fatalf("after %d failures the address is not blocked: %+v", testPolicy.MaxAddressFailures, ls)
	}
}

// Nodes sharing a store share the counts: failures spread over two
// guards lock the pair for both; Forget on one clears the pair for both
// and calls OnForget inside its transaction.
func TestSharedAcrossNodes(t *testing.T) {
	st := openStore(t)
	forgot := 0
	a, b := newGuard(t, st, &forgot), newGuard(t, st, nil)
	now := time.Now()
	for i := range 5 {
		g := a
		if i%2 == 1 {
			g = b
		}
		if _, locked := g.Begin("alice", "10.0.0.1", now); locked {
			t.Fatalf("attempt %d refused early", i+1)
		}
	}
	if _, locked := a.Begin("alice", "10.0.0.1", now); !locked {
		t.Fatal("node A allows a sixth guess")
	}
	if _, locked := b.Begin("alice", "10.0.0.1", now); !locked {
		t.Fatal("node B allows a sixth guess")
	}
	a.Forget("alice")
	if forgot != 1 {
		t.Fatalf("OnForget ran %d times, want 1", forgot)
	}
	b.DropPairLocks() // what node B does when the change feed reports it
	if ls, locked := b.Begin("alice", "10.0.0.1", now); locked || ls.Failures != 1 {
		t.Fatalf("node B after the reset on A: %+v %v", ls, locked)
	}
}

// records lists the shared lockout records in the store.
func records(t *testing.T, st kv.Store) []string {
	t.Helper()
	var out []string
	err := st.View(ctx, func(tx kv.Reader) error {
		out = out[:0]
		it := tx.NewIterator([]byte{'o'}, kv.PrefixEnd([]byte{'o'}))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			out = append(out, string(it.Key()))
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// The sweep removes exactly the records whose window and lock have
// elapsed: a lock outlives its window's failures until it runs out, a
// window's failures stay until the window ends, and a record written again
// after a sweep is kept by the next one.
func TestSweepRemovesExpiredRecords(t *testing.T) {
	st := openStore(t)
	g := newGuard(t, st, nil)
	now := time.Now()
	for range 3 {
		g.Begin("admin", "10.0.0.1", now)
	}
	now = now.Add(2 * time.Minute)
	for range 5 {
		g.Begin("admin", "10.0.0.2", now) // locks (admin, 10.0.0.2) until +7 min
	}
	sg := g.shared
	pairA, addrA := string(sg.pairKey("admin", "10.0.0.1")), string(sg.addrKey("10.0.0.1"))
	pairB, addrB := string(sg.pairKey("admin", "10.0.0.2")), string(sg.addrKey("10.0.0.2"))
	all := []string{pairA, pairB, addrA, addrB}
	slices.Sort(all)
	sweep := func(want int) {
		t.Helper()
		n, err := g.Sweep(ctx, now)
		if err != nil || n != want {
			t.Fatalf("sweep at %v: %d removed (%v), want %d", now, n, err, want)
		}
	}
	if got := records(t, st); !slices.Equal(got, all) {
		t.Fatalf("records %q, want %q", got, all)
	}
	sweep(0) // nothing has expired
	if got := records(t, st); !slices.Equal(got, all) {
		t.Fatalf("records after a sweep with nothing expired: %q", got)
	}
	// +8 min: B's lock ran out (its pair reads as empty); A's window and
	// B's address window (opened at +2 min) run on.
	now = now.Add(6 * time.Minute)
	sweep(1)
	if got := records(t, st); slices.Contains(got, pairB) || len(got) != 3 {
		t.Fatalf("records after B's lock ran out: %q, want all but %q", got, pairB)
	}
	// +11 min: A's window (from 0) ended; B's address window (from +2) not.
	now = now.Add(3 * time.Minute)
	sweep(2)
	if got := records(t, st); !slices.Equal(got, []string{addrB}) {
		t.Fatalf("records after A's window ended: %q, want %q", got, addrB)
	}
	// A new failure from A writes its records again: the next sweep keeps them.
	g.Begin("admin", "10.0.0.1", now)
	sweep(0)
	if got := records(t, st); len(got) != 3 {
		t.Fatalf("records after a new failure: %q", got)
	}
	// +13 min: B's address window ended; A's new one, from +11, runs on.
	now = now.Add(2 * time.Minute)
	sweep(1)
	want := []string{addrA, pairA}
	slices.Sort(want)
	if got := records(t, st); !slices.Equal(got, want) {
		t.Fatalf("records at +13 min: %q, want A's new ones %q", got, want)
	}
}

// The sweep works in bounded transactions over any number of records.
func TestSweepInBatches(t *testing.T) {
	st := openStore(t)
	g := newGuard(t, st, nil)
	now := time.Now()
	old := encodeFail(failState{failures: 2, first: now.Add(-time.Hour)})
	live := encodeFail(failState{failures: 2, first: now.Add(-time.Minute)})
	const n = 3*sweepBatch + 7
	err := st.Update(ctx, func(tx kv.Txn) error {
		for i := range n {
			if err := tx.Set(g.shared.addrKey(fmt.Sprintf("10.1.%d.%d", i/256, i%256)), old); err != nil {
				return err
			}
		}
		return tx.Set(g.shared.addrKey("192.0.2.1"), live)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Sweep(ctx, now)
	if err != nil || got != n {
		t.Fatalf("sweep removed %d (%v), want %d", got, err, n)
	}
	if recs := records(t, st); !slices.Equal(recs, []string{string(g.shared.addrKey("192.0.2.1"))}) {
		t.Fatalf("records left: %d (%.3q), want the live one", len(recs), recs)
	}
}
