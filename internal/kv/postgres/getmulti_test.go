package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/kv"
	"coffer/internal/kv/kvmetrics"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// TestGetMulti: values in the order asked, nil for an absent key, an empty
// value present and not nil, a key asked twice answered twice; one round
// trip, and no transaction (no BEGIN, no COMMIT, even in the background).
func TestGetMulti(t *testing.T) {
	var trips pgtest.Trips
	var mu sync.Mutex
	var sqls []string
	trips.Log = func(sql string) { mu.Lock(); sqls = append(sqls, sql); mu.Unlock() }
	s := pgtest.Open(t, postgres.Options{Tracer: &trips})
	if mg := kv.MultiGetterOf(s); mg == nil {
		t.Fatal("the PostgreSQL store is not a native kv.MultiGetter")
	}
	if mg := kv.MultiGetterOf(kvmetrics.New(s)); mg == nil {
		t.Fatal("the measured PostgreSQL store is not a kv.MultiGetter")
	}
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Set([]byte("a"), []byte("1")); err != nil {
			return err
		}
		if err := tx.Set([]byte("e"), nil); err != nil {
			return err
		}
		return tx.Set([]byte{0x00, 0xff}, []byte("bin"))
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	sqls = nil
	mu.Unlock()
	before, bg := trips.Total(), trips.Background.Load()
	vals, err := s.GetMulti(t.Context(), [][]byte{[]byte("missing"), {0x00, 0xff}, []byte("a"), []byte("e"), []byte("a")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"<nil>", "bin", "1", "", "1"}
	for i, v := range vals {
		got := string(v)
		if v == nil {
			got = "<nil>"
		}
		if got != want[i] {
			t.Errorf("value %d: %q, want %q", i, got, want[i])
		}
	}
	if len(vals) != len(want) {
		t.Fatalf("%d values for %d keys", len(vals), len(want))
	}
	if n := trips.Total() - before; n != 1 {
		t.Errorf("GetMulti: %d round trips, want 1", n)
	}
	time.Sleep(20 * time.Millisecond) // a background COMMIT would have been sent by now
	if n := trips.Background.Load() - bg; n != 0 {
		t.Errorf("GetMulti: %d background statements, want none", n)
	}
	mu.Lock()
	for _, q := range sqls {
		if u := strings.ToUpper(q); strings.HasPrefix(u, "BEGIN") || u == "COMMIT" || u == "ROLLBACK" {
			t.Errorf("GetMulti sent %q", q)
		}
	}
	mu.Unlock()
	if vals, err := s.GetMulti(t.Context(), nil); err != nil || len(vals) != 0 {
		t.Errorf("no keys: %v, %v", vals, err)
	}
	s.Close()
	if _, err := s.GetMulti(context.Background(), [][]byte{[]byte("a")}); err != kv.ErrClosed {
		t.Errorf("after Close: %v, want kv.ErrClosed", err)
	}
}

// TestGetMultiSnapshot: the keys are read in one snapshot. Writers keep two
// keys equal, each Update setting both; a read of the two in two snapshots
// would see them differ.
func TestGetMultiSnapshot(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	ctx := t.Context()
	keys := [][]byte{[]byte("pair/a"), []byte("pair/b")}
	var n atomic.Int64
	setBoth := func() error {
		v := []byte(fmt.Sprint(n.Add(1)))
		return s.Update(ctx, func(tx kv.Txn) error {
			for _, k := range keys {
				if err := tx.Set(k, v); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := setBoth(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := setBoth(); err != nil {
					if ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
			}
		})
	}
	reads, changes := 0, 0
	last := ""
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && (reads < 300 || changes < 50) {
		vals, err := s.GetMulti(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		if string(vals[0]) != string(vals[1]) {
			t.Fatalf("read %d: a=%q b=%q: not one snapshot", reads, vals[0], vals[1])
		}
		if string(vals[0]) != last {
			changes++
			last = string(vals[0])
		}
	}
	close(stop)
	wg.Wait()
	if changes < 10 {
		t.Fatalf("only %d changes seen in %d reads: the writers did not interleave", changes, reads)
	}
	t.Logf("%d reads, %d changes seen, %d writes", reads, changes, n.Load())
}

// TestGetMultiStaleConnections: a GetMulti that meets pooled connections
// killed under it (a database restart) is sent again on a fresh one.
func TestGetMultiStaleConnections(t *testing.T) {
	staleRounds(t, "coffer_gm_", func(s *postgres.Store) { _, _ = s.GetMulti(t.Context(), [][]byte{[]byte("k")}) },
		func(s *postgres.Store, round, n int) {
			vals, err := s.GetMulti(t.Context(), [][]byte{[]byte("k")})
			if err != nil || string(vals[0]) != "v" {
				t.Fatalf("round %d: GetMulti after %d connections were terminated: %q, %v", round, n, vals, err)
			}
		})
}

// TestPoolSize: the DSN's pool_max_conns sizes the pool unless
// Options.MaxConns is set; without either, the default applies.
func TestPoolSize(t *testing.T) {
	dsn := pgtest.Skip(t)
	if !strings.HasPrefix(dsn, "postgres") {
		t.Skip("COFFER_TEST_PG_DSN is not a URL")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	for _, c := range []struct {
		dsn  string
		max  int32
		want int32
	}{
		{dsn + sep + "pool_max_conns=3", 0, 3},
		{dsn + sep + "pool_max_conns=3", 5, 5},
		{dsn, 0, 0},
	} {
		s := pgtest.Open(t, postgres.Options{DSN: c.dsn, MaxConns: c.max})
		got := s.Pool().Config().MaxConns
		if c.want != 0 && got != c.want || c.want == 0 && got < 8 {
			t.Errorf("DSN %q, MaxConns %d: pool of %d", c.dsn, c.max, got)
		}
	}
}
