package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// proxy forwards TCP connections to the test database and can cut them
// (down: connections refused), or hold them (blackhole: accepted, never
// answered), to play an unreachable or a hung PostgreSQL.
type proxy struct {
	t      *testing.T
	target func() (net.Conn, error)
	addr   string

	mu        sync.Mutex
	ln        net.Listener
	conns     []net.Conn
	blackhole bool
}

func newProxy(t *testing.T, dsn string) *proxy {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t}
	if filepath.IsAbs(cfg.Host) {
		sock := filepath.Join(cfg.Host, ".s.PGSQL."+strconv.Itoa(int(cfg.Port)))
		p.target = func() (net.Conn, error) { return net.Dial("unix", sock) }
	} else {
		hp := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
		p.target = func() (net.Conn, error) { return net.Dial("tcp", hp) }
	}
	p.up("127.0.0.1:0")
	t.Cleanup(p.down)
	return p
}

// up listens on addr and forwards.
func (p *proxy) up(addr string) { p.listen(addr, false) }

// listen listens on addr; with blackhole, it accepts and never answers.
// The mode is set before the first Accept: a connection the pool opens at
// once (it reconnects in the background) must not be forwarded by a proxy
// that is about to hang.
func (p *proxy) listen(addr string, blackhole bool) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr, p.blackhole = ln, ln.Addr().String(), blackhole
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			hole := p.blackhole
			p.mu.Unlock()
			if hole {
				continue // accepted, never answered
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	s, err := p.target()
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, s)
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

// down refuses new connections and breaks the open ones.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// hang breaks the open connections and accepts new ones without answering.
func (p *proxy) hang() {
	addr := p.addr
	p.down()
	p.listen(addr, true)
}

func (p *proxy) dsn(t *testing.T, dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(p.addr)
	s := fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable", host, port, cfg.User, cfg.Database)
	if cfg.Password != "" {
		s += " password=" + cfg.Password
	}
	return s
}

func put(s kv.Store, k, v string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte(k), []byte(v)) })
}

func read(s kv.Store, k string) (string, error) {
	var out string
	err := s.View(context.Background(), func(r kv.Reader) error {
		v, err := r.Get([]byte(k))
		out = string(v)
		return err
	})
	return out, err
}

// TestOutage: with the database unreachable, calls fail fast with
// kv.ErrUnavailable (an errs.Unavailable: S3 answers 503); with it hung,
// they fail within OpTimeout; once it is back, the store recovers by itself.
//
// Only the bounds of the failures are what the test checks; the calls that
// must succeed (Open, the first write, the recovery) get room, because on
// a starved machine (load far above the cores) a healthy PostgreSQL takes
// seconds to start a backend or run a statement: StatementTimeout keeps
// its default (no statement reaches the server while it is down or hung),
// ConnectTimeout is OpTimeout (Ping without a deadline waits that long on
// a hung server, as Update and View do), and the recovery may take up to
// a minute (it is the store's own, with no reopen, that is checked).
func TestOutage(t *testing.T) {
	dsn := pgtest.Skip(t)
	p := newProxy(t, dsn)
	schema := pgtest.NewSchema(t)
	const opTimeout = 2 * time.Second
	s, err := postgres.Open(t.Context(), postgres.Options{DSN: p.dsn(t, dsn), Schema: schema,
		OpTimeout: opTimeout, ConnectTimeout: opTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := put(s, "a", "1"); err != nil {
		t.Fatal(err)
	}

	check := func(what string, bound time.Duration) {
		t.Helper()
		start := time.Now()
		err := put(s, "b", "2")
		if !errors.Is(err, kv.ErrUnavailable) || errs.KindOf(err) != errs.Unavailable {
			t.Fatalf("%s: Update err = %v, want kv.ErrUnavailable", what, err)
		}
		if _, err := read(s, "a"); !errors.Is(err, kv.ErrUnavailable) {
			t.Fatalf("%s: View err = %v, want kv.ErrUnavailable", what, err)
		}
		if err := s.Ping(t.Context()); !errors.Is(err, kv.ErrUnavailable) {
			t.Fatalf("%s: Ping err = %v, want kv.ErrUnavailable", what, err)
		}
		d := time.Since(start)
		if d > bound {
			t.Fatalf("%s: the failures took %v, want at most %v", what, d, bound)
		}
		t.Logf("%s: Update, View and Ping failed in %v (bound %v)", what, d.Round(time.Millisecond), bound)
	}
	addr := p.addr
	p.down()
	check("database down", 3*time.Second)
	p.hang()
	check("database hung", 3*opTimeout+3*time.Second)

	// Back: the pool reconnects; the first calls may still meet a broken
	// connection and are retried inside the store.
	p.down()
	p.up(addr)
	back := time.Now()
	deadline := back.Add(time.Minute)
	for {
		err := put(s, "b", "3")
		if err == nil {
			t.Logf("recovered %v after the database returned", time.Since(back).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database returned: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := read(s, "b"); err != nil || v != "3" {
		t.Fatalf("after recovery: b = %q, %v", v, err)
	}
	if v, err := read(s, "a"); err != nil || v != "1" {
		t.Fatalf("after recovery: a = %q, %v", v, err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after recovery: %v", err)
	}
}

// TestOpenUnreachable: Open fails fast, as unavailable, when nothing listens.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	start := time.Now()
	_, err = postgres.Open(t.Context(), postgres.Options{DSN: fmt.Sprintf("host=127.0.0.1 port=%d user=x dbname=x sslmode=disable", addr.Port)})
	if !errors.Is(err, kv.ErrUnavailable) {
		t.Fatalf("Open = %v, want kv.ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open took %v", d)
	}
}

// TestStaleConnections: connections that died in the pool (the server
// terminated them, as a restart does) are replaced under the caller: a View
// and an Update succeed, and the View's fn runs once.
func TestStaleConnections(t *testing.T) {
	staleRounds(t, "coffer_stale_", func(s *postgres.Store) { read(s, "k") }, func(s *postgres.Store, round, n int) {
		runs := 0
		err := s.View(t.Context(), func(r kv.Reader) error {
			runs++
			_, err := r.Get([]byte("k"))
			return err
		})
		if err != nil || runs != 1 {
			t.Fatalf("round %d: View after %d connections were terminated: %v (fn ran %d times)", round, n, err, runs)
		}
		if err := put(s, "k", fmt.Sprint(round)); err != nil {
			t.Fatalf("round %d: Update after the connections were terminated: %v", round, err)
		}
	})
}

// staleRounds opens a store whose connections carry an application name
// of their own (app prefix), stores k = v, and three times warms several
// pooled connections with warm, terminates them all from another
// connection, as a database restart does, and calls check with the number
// terminated.
func staleRounds(t *testing.T, app string, warm func(s *postgres.Store), check func(s *postgres.Store, round, n int)) {
	t.Helper()
	dsn := pgtest.Skip(t)
	if !strings.HasPrefix(dsn, "postgres") {
		t.Skip("COFFER_TEST_PG_DSN is not a URL")
	}
	app += strings.TrimPrefix(pgtest.NewSchema(t), "t_")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s := pgtest.Open(t, postgres.Options{DSN: dsn + sep + "application_name=" + app})
	ctx := t.Context()
	if err := put(s, "k", "v"); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	for round := range 3 {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { warm(s) })
		}
		wg.Wait()
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no pooled connection to terminate")
		}
		time.Sleep(50 * time.Millisecond)
		check(s, round, n)
	}
}
