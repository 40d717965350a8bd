package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// openSame opens another store on s's schema (another node), through dsn.
func openSame(t *testing.T, s *postgres.Store, dsn string) *postgres.Store {
	t.Helper()
	o, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: s.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func waitFor(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func received(ch <-chan struct{}, bound time.Duration) (time.Duration, bool) {
	start := time.Now()
	select {
	case <-ch:
		return time.Since(start), true
	case <-time.After(bound):
		return bound, false
	}
}

// TestNotifyAcrossStores: a Notify on one store wakes the subscribers of
// that channel on another store of the same schema (another node), not
// those of another channel, nor a store of another schema.
func TestNotifyAcrossStores(t *testing.T) {
	a := pgtest.Open(t, postgres.Options{})
	b := openSame(t, a, pgtest.DSN())
	other := pgtest.Open(t, postgres.Options{})

	feed, unsub := b.Subscribe("feed")
	defer unsub()
	elsewhere, unsub2 := b.Subscribe("elsewhere")
	defer unsub2()
	stranger, unsub3 := other.Subscribe("feed")
	defer unsub3()
	local, unsub4 := a.Subscribe("feed")
	defer unsub4()
	waitFor(t, 5*time.Second, "LISTEN connections", func() bool { return b.Listens() == 1 && other.Listens() == 1 && a.Listens() == 1 })

	var lat []time.Duration
	for i := 0; i < 50; i++ {
		drain(feed)
		drain(local)
		start := time.Now()
		if err := a.Notify(t.Context(), "feed"); err != nil {
			t.Fatal(err)
		}
		if _, ok := received(local, time.Second); !ok {
			t.Fatal("the notifying store's own subscriber was not signalled")
		}
		if _, ok := received(feed, 2*time.Second); !ok {
			t.Fatalf("notification %d not received by the other store within 2 s", i)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("Notify on store A to subscriber on store B: p50 %v, p99 %v, max %v over %d", lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1], len(lat))
	if lat[len(lat)/2] > 100*time.Millisecond {
		t.Errorf("p50 %v: a LISTEN wake-up should take milliseconds", lat[len(lat)/2])
	}
	if _, ok := received(elsewhere, 100*time.Millisecond); ok {
		t.Error("a subscriber of another channel was woken")
	}
	if _, ok := received(stranger, 100*time.Millisecond); ok {
		t.Error("a store of another schema was woken")
	}
}

// TestListenReconnects: the LISTEN connection comes back after the database
// went away (its connections cut, new ones refused for a while), wakes its
// subscribers once on reconnecting (what was sent meanwhile is lost), and
// delivers notifications again.
func TestListenReconnects(t *testing.T) {
	a := pgtest.Open(t, postgres.Options{})
	p := newProxy(t, pgtest.DSN())
	b := openSame(t, a, p.dsn(t, pgtest.DSN()))
	feed, unsub := b.Subscribe("feed")
	defer unsub()
	waitFor(t, 5*time.Second, "LISTEN connection", func() bool { return b.Listens() == 1 })

	addr := p.addr
	p.down()
	time.Sleep(500 * time.Millisecond) // a couple of failed reconnects
	if b.Listens() != 1 {
		t.Fatalf("listening %d times while the database is away", b.Listens())
	}
	drain(feed)
	p.up(addr)
	waitFor(t, 5*time.Second, "LISTEN again after the database is back", func() bool { return b.Listens() == 2 })
	if _, ok := received(feed, time.Second); !ok {
		t.Fatal("no wake-up after reconnecting: followers would not re-read what they missed")
	}
	drain(feed)
	if err := a.Notify(t.Context(), "feed"); err != nil {
		t.Fatal(err)
	}
	if _, ok := received(feed, 2*time.Second); !ok {
		t.Fatal("no notification after reconnecting")
	}
}
