// Package pgtest gives tests a fresh PostgreSQL-backed kv store. The
// database is named by COFFER_TEST_PG_DSN (scripts/test.sh starts a
// throwaway cluster and sets it); without it, tests that need PostgreSQL
// skip. Each store lives in a schema of its own, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"coffer/internal/kv/postgres"
)

// EnvDSN is the environment variable naming the test database.
const EnvDSN = "COFFER_TEST_PG_DSN"

// DSN returns the test database's DSN, or "" when none is configured.
func DSN() string { return os.Getenv(EnvDSN) }

// Skip skips t unless a test database is configured, and returns its DSN.
func Skip(t testing.TB) string {
	t.Helper()
	dsn := DSN()
	if dsn == "" {
		t.Skip(EnvDSN + " is not set: no PostgreSQL to test against (scripts/test.sh starts one)")
	}
	return dsn
}

// NewSchema returns a fresh schema name and drops that schema when t ends.
func NewSchema(t testing.TB) string {
	t.Helper()
	dsn := Skip(t)
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	schema := "t_" + hex.EncodeToString(raw[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Logf("pgtest: dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("pgtest: dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

// Open returns a store in a fresh schema; it is closed (before its schema
// is dropped) when t ends. o's Schema is filled in, and its DSN when empty.
func Open(t testing.TB, o postgres.Options) *postgres.Store {
	t.Helper()
	o.Schema = NewSchema(t)
	if o.DSN == "" {
		o.DSN = DSN()
	}
	s, err := postgres.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
