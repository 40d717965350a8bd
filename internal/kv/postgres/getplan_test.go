package postgres_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"coffer/internal/kv"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// TestGetMultiSizes: every key count, through the statements of one
// parameter per key (up to four) and the array beyond: values in the order
// asked, nil for an absent key, an empty value present, a key asked twice
// answered twice.
func TestGetMultiSizes(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	pool := []string{"a", "missing", "e", "a", "\x00\xff", "b", "missing2"}
	want := map[string]string{"a": "1", "e": "", "\x00\xff": "bin", "b": "2"}
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for k, v := range want {
			if err := tx.Set([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= len(pool); n++ {
		keys := make([][]byte, n)
		for i := range keys {
			keys[i] = []byte(pool[i])
		}
		vals, err := s.GetMulti(t.Context(), keys)
		if err != nil {
			t.Fatalf("%d keys: %v", n, err)
		}
		if len(vals) != n {
			t.Fatalf("%d keys: %d values", n, len(vals))
		}
		for i, v := range vals {
			w, ok := want[pool[i]]
			if !ok {
				if v != nil {
					t.Errorf("%d keys: key %q absent, got %q", n, pool[i], v)
				}
				continue
			}
			if v == nil || !bytes.Equal(v, []byte(w)) {
				t.Errorf("%d keys: key %q = %q (nil %v), want %q", n, pool[i], v, v == nil, w)
			}
		}
	}
}

// TestGetMultiGenericPlan: the statement a GET sends is planned once per
// connection, not at every execution. PostgreSQL gives a prepared
// statement custom plans for its first five executions, then keeps the
// generic plan if it costs no more; with the keys in one array parameter
// it never did (custom_plans grew with every GET, the backend planning
// each one).
func TestGetMultiGenericPlan(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{MaxConns: 2})
	if err := put(s, "bucket", "b"); err != nil {
		t.Fatal(err)
	}
	const runs = 30
	for i := range runs {
		if _, err := s.GetMulti(t.Context(), [][]byte{[]byte("bucket"), fmt.Appendf(nil, "obj-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Prepared statements are per session: hold both of the pool's
	// connections and read each one's.
	var generic, custom int64
	var conns []interface{ Release() }
	for range 2 {
		c, err := s.Pool().Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var g, cu int64
		err = c.QueryRow(t.Context(), `SELECT coalesce(sum(generic_plans), 0)::bigint, coalesce(sum(custom_plans), 0)::bigint
			FROM pg_prepared_statements WHERE statement LIKE 'SELECT k, v FROM %' || $1 || '%'`, pgx.Identifier{"kv"}.Sanitize()).Scan(&g, &cu)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("connection %d: %d generic plans, %d custom plans", len(conns), g, cu)
		if cu > 5 {
			t.Errorf("connection %d planned the GET statement %d times (custom plans), want at most 5", len(conns), cu)
		}
		generic, custom = generic+g, custom+cu
	}
	for _, c := range conns {
		c.Release()
	}
	if generic+custom != runs {
		t.Errorf("%d executions seen (%d generic, %d custom), want %d", generic+custom, generic, custom, runs)
	}
}

// TestPageSizedRowsStayInline: a 4 KiB value (a small object's record with
// its data) stays in its row, so reading it is one heap fetch; PostgreSQL's
// default moved it to the TOAST table (an index descent and three chunks
// more per read). A value larger than a page still goes out of line and
// reads back whole.
func TestPageSizedRowsStayInline(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	small := make([]byte, 4096+300)
	big := make([]byte, 64<<10)
	_, _ = rand.Read(small)
	_, _ = rand.Read(big)
	for i := range 20 {
		if err := put(s, fmt.Sprintf("small-%02d", i), string(small)); err != nil {
			t.Fatal(err)
		}
	}
	toast := func() int64 {
		var n int64
		err := s.Pool().QueryRow(t.Context(), `SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = $1::regclass`,
			pgx.Identifier{s.Schema(), "kv"}.Sanitize()).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := toast(); n != 0 {
		t.Errorf("TOAST table holds %d bytes after 20 values of %d bytes, want 0 (rows inline)", n, len(small))
	}
	if err := put(s, "big", string(big)); err != nil {
		t.Fatal(err)
	}
	if n := toast(); n == 0 {
		t.Errorf("a %d-byte value did not go to the TOAST table", len(big))
	}
	vals, err := s.GetMulti(t.Context(), [][]byte{[]byte("small-07"), []byte("big")})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(vals[0], small) || !bytes.Equal(vals[1], big) {
		t.Errorf("values read back differ: %d and %d bytes, want %d and %d", len(vals[0]), len(vals[1]), len(small), len(big))
	}
}
