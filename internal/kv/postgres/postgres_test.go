package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"coffer/internal/kv"
	"coffer/internal/kv/kvtest"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

func TestConformance(t *testing.T) {
	pgtest.Skip(t)
	kvtest.Run(t, func(t *testing.T) kv.Store {
		return pgtest.Open(t, postgres.Options{})
	})
}

func TestOptionsValidate(t *testing.T) {
	if err := (&postgres.Options{DSN: "postgres://x/y"}).Validate(); err != nil {
		t.Fatalf("minimal options: %v", err)
	}
	err := (&postgres.Options{Schema: "Bad-Name", MaxConns: 1, OpTimeout: -1, MaxAttempts: -1}).Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"DSN", "schema", "MaxConns", "OpTimeout", "MaxAttempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// TestByteaOrder checks PostgreSQL's own ordering of bytea keys, the
// property the store's range scans rest on: bytewise, 0x00 and 0xff
// included, a prefix before its extensions.
func TestByteaOrder(t *testing.T) {
	dsn := pgtest.Skip(t)
	ctx := t.Context()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	want := [][]byte{{}, {0x00}, {0x00, 0x00}, {0x00, 0xff}, {0x01}, {0x7f}, {0x80}, {0xfe, 0xff}, {0xff}, {0xff, 0x00}, {0xff, 0xff}}
	rows, err := c.Query(ctx, `SELECT k FROM unnest($1::bytea[]) AS u(k) ORDER BY k`,
		[][]byte{{0xff}, {0x80}, {0x00, 0xff}, {}, {0xff, 0xff}, {0x01}, {0x00}, {0xfe, 0xff}, {0x7f}, {0xff, 0x00}, {0x00, 0x00}})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d keys", len(got))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("ORDER BY bytea: position %d is %x, want %x (all: %x)", i, got[i], want[i], got)
		}
	}
}

// TestScanPlans: every statement the store runs is an index lookup or an
// index range scan in key order (no sequential scan, no sort), so a scan
// costs what it returns, whatever the table's size.
func TestScanPlans(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	// Enough rows, and fresh statistics, for the planner to choose freely.
	for i := range 4 {
		err := s.Update(t.Context(), func(tx kv.Txn) error {
			for j := range 2500 {
				if err := tx.Set([]byte{byte(i), byte(j >> 8), byte(j)}, []byte("value")); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := t.Context()
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tbl := pgx.Identifier{s.Schema(), "kv"}.Sanitize()
	if _, err := conn.Exec(ctx, "ANALYZE "+tbl); err != nil {
		t.Fatal(err)
	}
	// Plans without the session's enable_seqscan=off, to see what the planner
	// prefers on its own.
	if _, err := conn.Exec(ctx, "SET enable_seqscan = on"); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), "RESET enable_seqscan")
	for _, q := range []string{
		`SELECT k, v, ver FROM ` + tbl + ` WHERE k >= '\x0100'::bytea AND k < '\x02'::bytea ORDER BY k LIMIT 1024`,
		`SELECT k, v, ver FROM ` + tbl + ` WHERE k >= '\x0100'::bytea ORDER BY k LIMIT 16`,
		`SELECT v, ver FROM ` + tbl + ` WHERE k = '\x010203'::bytea`,
		`SELECT k, v FROM ` + tbl + ` WHERE k = ANY('{"\\x010203","\\x0200"}'::bytea[])`,
	} {
		var plan strings.Builder
		rows, err := conn.Query(ctx, "EXPLAIN "+q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		p := plan.String()
		if !strings.Contains(p, "Index Scan using kv_pkey") || strings.Contains(p, "Seq Scan") || strings.Contains(p, "Sort") {
			t.Errorf("plan of %s:\n%s", q, p)
		}
	}
}

// TestSchema: the schema is created once, versioned, and its store id is
// stable; a schema newer than the binary is refused.
func TestSchema(t *testing.T) {
	schema := pgtest.NewSchema(t)
	o := postgres.Options{DSN: pgtest.DSN(), Schema: schema}
	s1, err := postgres.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	id := s1.ID()
	if len(id) != 32 {
		t.Fatalf("store id %q", id)
	}
	if err := s1.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2, err := postgres.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s2.ID() != id {
		t.Fatalf("store id changed on reopen: %s, was %s", s2.ID(), id)
	}
	var versions []int
	rows, err := s2.Pool().Query(t.Context(), "SELECT version FROM "+pgx.Identifier{schema, "schema_version"}.Sanitize()+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		rows.Scan(&v)
		versions = append(versions, v)
	}
	if len(versions) != postgres.SchemaVersion || versions[len(versions)-1] != postgres.SchemaVersion {
		t.Fatalf("schema_version rows %v, want 1..%d", versions, postgres.SchemaVersion)
	}
	err = s2.View(t.Context(), func(r kv.Reader) error {
		v, err := r.Get([]byte("k"))
		if err == nil && string(v) != "v" {
			err = errors.New("wrong value")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Pool().Exec(t.Context(), "INSERT INTO "+pgx.Identifier{schema, "schema_version"}.Sanitize()+" VALUES (999)"); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := postgres.Open(t.Context(), o); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opening a newer schema: %v", err)
	}
}

// TestRoundTrips: a read-modify-write costs its reads plus one round trip
// for BEGIN, validation, writes and COMMIT; a blind write one round trip; a
// View its reads (BEGIN rides with the first, COMMIT is not waited for).
func TestRoundTrips(t *testing.T) {
	var trips pgtest.Trips
	s := pgtest.Open(t, postgres.Options{Tracer: &trips})
	before := trips.Total() // after the schema's creation
	if err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if n := trips.Total() - before; n != 1 {
		t.Errorf("blind write: %d round trips, want 1", n)
	}
	before = trips.Total()
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if _, err := tx.Get([]byte("a")); err != nil {
			return err
		}
		if _, err := tx.Get([]byte("b")); !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		for _, k := range []string{"a", "b", "c", "d"} {
			if err := tx.Set([]byte(k), []byte("2")); err != nil {
				return err
			}
		}
		return tx.Delete([]byte("e"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := trips.Total() - before; n != 3 {
		t.Errorf("two reads, four sets and a delete: %d round trips, want 3", n)
	}
	before = trips.Total()
	err = s.View(t.Context(), func(r kv.Reader) error {
		_, err := r.Get([]byte("a"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := trips.Total() - before; n != 1 {
		t.Errorf("a View with one Get: %d round trips waited for, want 1", n)
	}
}

// TestBeforeCommit: statements from the hook run in the commit's
// transaction; a pg_notify there reaches a listener once the transaction
// commits, with the written keys, and never for a failed one.
func TestBeforeCommit(t *testing.T) {
	ctx := t.Context()
	channel := "coffer_test_" + strings.ReplaceAll(pgtest.NewSchema(t), "t_", "")
	s := pgtest.Open(t, postgres.Options{BeforeCommit: func(keys []string) []postgres.Statement {
		return []postgres.Statement{{SQL: "SELECT pg_notify($1, $2)", Args: []any{channel, strings.Join(keys, ",")}}}
	}})
	l, err := pgx.Connect(ctx, pgtest.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	if _, err := l.Exec(ctx, "LISTEN "+channel); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.Update(ctx, func(tx kv.Txn) error { tx.Set([]byte("x"), nil); return boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx kv.Txn) error {
		tx.Set([]byte("b"), []byte("1"))
		return tx.Delete([]byte("a"))
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := l.WaitForNotification(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != "a,b" {
		t.Fatalf("notification payload %q, want a,b (the failed Update must not notify)", n.Payload)
	}
}

// TestConcurrentOpen: nodes starting together on an empty database create
// the schema once and agree on the store id.
func TestConcurrentOpen(t *testing.T) {
	schema := pgtest.NewSchema(t)
	ids := make([]string, 4)
	errc := make(chan error, len(ids))
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), postgres.Options{DSN: pgtest.DSN(), Schema: schema})
			if err != nil {
				errc <- err
				return
			}
			ids[i] = s.ID()
			s.Close()
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("store ids differ: %v", ids)
		}
	}
}
