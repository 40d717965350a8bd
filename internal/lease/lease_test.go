package lease_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/lease"
)

// nodes returns n managers, one per simulated node, sharing one real
// Pebble store, as nodes share their metadata store.
func nodes(t *testing.T, n int, ttl time.Duration) (kv.Store, []*lease.Manager) {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(t.TempDir(), "meta")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var ms []*lease.Manager
	for i := range n {
		name := string(rune('a' + i))
		m, err := lease.New(lease.Options{Store: st, Prefix: 'l', Node: "node-" + name, Holder: "node-" + name + "/1", DefaultTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return st, ms
}

func TestOptionsValidate(t *testing.T) {
	st, _ := nodes(t, 0, time.Second)
	for _, o := range []lease.Options{
		{Prefix: 'l', Node: "n", Holder: "n/1"},
		{Store: st, Node: "n", Holder: "n/1"},
		{Store: st, Prefix: 'l', Holder: "n/1"},
		{Store: st, Prefix: 'l', Node: "n", Holder: "n/1", DefaultTTL: -1},
	} {
		if _, err := lease.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// A lease another node holds is not taken until it expires; a crashed
// holder's lease is taken after expiry, with a new fencing token, and the
// old holder can neither renew it nor pass Check.
func TestTakeoverAfterExpiry(t *testing.T) {
	ctx := context.Background()
	st, ms := nodes(t, 2, 200*time.Millisecond)
	a, b := ms[0], ms[1]
	la, ok, err := a.Acquire(ctx, "x", 300*time.Millisecond)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, ok, _ := b.Acquire(ctx, "x", time.Second); ok {
		t.Fatal("node B took a live lease")
	}
	if la, err = a.Renew(ctx, la, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(350 * time.Millisecond)
	lb, ok, err := b.Acquire(ctx, "x", time.Second)
	if err != nil || !ok || lb.Token != la.Token+1 || lb.Node != "node-b" {
		t.Fatalf("takeover: %+v %v %v", lb, ok, err)
	}
	if _, err := a.Renew(ctx, la, time.Second); !errors.Is(err, lease.ReasonLost) {
		t.Fatalf("the old holder renewed a lost lease: %v", err)
	}
	if err := st.View(ctx, func(tx kv.Reader) error { return a.Check(tx, la) }); !errors.Is(err, lease.ReasonLost) {
		t.Fatalf("Check of the old holder: %v", err)
	}
	if err := st.View(ctx, func(tx kv.Reader) error { return b.Check(tx, lb) }); err != nil {
		t.Fatalf("Check of the holder: %v", err)
	}
	// Releasing a lease someone else holds changes nothing.
	if err := a.Release(ctx, la, true); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "x"); err != nil || got.Holder != "node-b/1" || !got.LastDone.IsZero() {
		t.Fatalf("after the old holder's release: %+v %v", got, err)
	}
}

// Periodic work runs on exactly one node at a time and once per interval.
func TestRunPeriodicExactlyOnce(t *testing.T) {
	ctx := context.Background()
	_, ms := nodes(t, 3, time.Second)
	const every = 200 * time.Millisecond
	var running, maxRunning, runs atomic.Int32
	var wg sync.WaitGroup
	stop := time.Now().Add(1500 * time.Millisecond)
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				_, err := m.RunPeriodic(ctx, "test-periodic", every, time.Second, func(ctx context.Context, _ lease.Lease) error {
					n := running.Add(1)
					for {
						m := maxRunning.Load()
						if n <= m || maxRunning.CompareAndSwap(m, n) {
							break
						}
					}
					runs.Add(1)
					time.Sleep(20 * time.Millisecond)
					running.Add(-1)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if maxRunning.Load() != 1 {
		t.Fatalf("%d runs at once", maxRunning.Load())
	}
	// 1.5 s at most every 200 ms (+20 ms of work): 7 or 8 runs, never one per node per loop.
	if n := runs.Load(); n < 5 || n > 8 {
		t.Fatalf("%d runs in 1.5 s, want one per 200 ms", n)
	}
}

// Run renews the lease while fn works past its ttl, so no other node takes
// it; a failed fn does not count as done.
func TestRunRenewsAndFailedRunIsNotDone(t *testing.T) {
	ctx := context.Background()
	_, ms := nodes(t, 2, 150*time.Millisecond)
	a, b := ms[0], ms[1]
	ran, err := a.Run(ctx, "long", 0, func(ctx context.Context, l lease.Lease) error {
		time.Sleep(500 * time.Millisecond) // more than three ttls
		if _, ok, err := b.Acquire(ctx, "long", time.Second); err != nil || ok {
			t.Errorf("node B took a lease that is being renewed: ok=%v err=%v", ok, err)
		}
		return errors.New("work failed")
	})
	if !ran || err == nil {
		t.Fatalf("Run: ran=%v err=%v", ran, err)
	}
	l, err := b.Get(ctx, "long")
	if err != nil || l.Holder != "" || !l.LastDone.IsZero() {
		t.Fatalf("after a failed run: %+v %v (want released, not done)", l, err)
	}
}
