package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema is Coffer's own: Open creates it and applies the migrations it
// lacks, in order, each in the transaction that records it in
// schema_version, under an advisory lock so that nodes starting together
// apply each migration once. A schema_version newer than this binary knows
// is refused (an older Coffer must not write a newer layout).
//
// Tables (in Options.Schema):
//
//	schema_version(version, applied_at)  one row per applied migration
//	store(id, created_at)                one row: the store's identity, generated
//	                                     at creation; the data directory's
//	                                     ownership marker names it
//	kv(k bytea PRIMARY KEY, v bytea, ver bigint)
//	                                     the records; ver is a random stamp of the
//	                                     transaction that wrote the row, compared
//	                                     by the commit-time validation
//
// and the functions kv_validate (txn.go) and kv_lock (locks.go).

// migrations[i] brings the schema from version i to i+1. {s} is the quoted
// schema name. Append only; never edit a released migration.
var migrations = []string{
	// 1: the records, the store's identity, the read-set validation.
	`CREATE TABLE {s}.store (id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE {s}.kv (k bytea PRIMARY KEY, v bytea NOT NULL, ver bigint NOT NULL) WITH (fillfactor = 90);
-- Values (inline object data, records) are mostly incompressible or small:
-- keep them out of line without trying pglz on every write.
ALTER TABLE {s}.kv ALTER COLUMN v SET STORAGE EXTERNAL;
CREATE FUNCTION {s}.kv_validate(pk bytea[], pv bigint[], rlo bytea[], rhi bytea[], rn int[], rk bytea[], rv bigint[])
RETURNS int LANGUAGE plpgsql STABLE AS $fn$
DECLARE
	bad int;
	off int := 0;
	gk bytea[];
	gv bigint[];
BEGIN
	IF cardinality(pk) > 0 THEN
		SELECT count(*) INTO bad FROM unnest(pk, pv) AS r(k, ver) LEFT JOIN {s}.kv t ON t.k = r.k
			WHERE t.ver IS DISTINCT FROM r.ver;
		IF bad > 0 THEN
			RAISE EXCEPTION 'kv: % key(s) read by the transaction changed', bad USING ERRCODE = 'serialization_failure';
		END IF;
	END IF;
	FOR i IN 1 .. coalesce(cardinality(rlo), 0) LOOP
		SELECT coalesce(array_agg(t.k ORDER BY t.k), '{}'), coalesce(array_agg(t.ver ORDER BY t.k), '{}') INTO gk, gv
			FROM {s}.kv t WHERE t.k >= rlo[i] AND (rhi[i] IS NULL OR t.k < rhi[i]);
		IF gk IS DISTINCT FROM coalesce(rk[off + 1 : off + rn[i]], '{}') OR gv IS DISTINCT FROM coalesce(rv[off + 1 : off + rn[i]], '{}') THEN
			RAISE EXCEPTION 'kv: a key range read by the transaction changed' USING ERRCODE = 'serialization_failure';
		END IF;
		off := off + rn[i];
	END LOOP;
	RETURN 0;
END
$fn$;`,
	// 2: the commit's locks (locks.go). kv_lock takes transaction-scoped
	// advisory locks in the order given (the caller sorts them: one order
	// for every transaction, so they cannot deadlock), exclusive where excl
	// is true. It is a statement of its own, before kv_validate: in READ
	// COMMITTED, kv_validate's snapshot is then taken after every lock is
	// held.
	`CREATE FUNCTION {s}.kv_lock(ids bigint[], excl boolean[])
RETURNS int LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
	FOR i IN 1 .. coalesce(cardinality(ids), 0) LOOP
		IF excl[i] THEN
			PERFORM pg_advisory_xact_lock(ids[i]);
		ELSE
			PERFORM pg_advisory_xact_lock_shared(ids[i]);
		END IF;
	END LOOP;
	RETURN coalesce(cardinality(ids), 0);
END
$fn$;`,
	// 3: rows up to a page stay whole. PostgreSQL moves a value out of
	// line into the TOAST table once its row passes toast_tuple_target
	// (about 2 KB by default): a 4 KiB object's record (inline data) then
	// cost every GET two more index descents and three chunk reads to
	// reassemble it, and every PUT the chunks' inserts. 8160 is the
	// largest target, so a row is toasted only when it would not fit in
	// a page anyway. Rows written before keep their layout until written
	// again.
	`ALTER TABLE {s}.kv SET (toast_tuple_target = 8160);`,
}

// SchemaVersion is the schema version this package writes.
var SchemaVersion = len(migrations)

// migrate creates the schema if needed and applies missing migrations. It
// returns the store's id.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (string, error) {
	s := pgx.Identifier{schema}.Sanitize()
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return "", err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// One migrator at a time per schema, across nodes (two concurrent
	// CREATE SCHEMA IF NOT EXISTS can collide).
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('coffer-kv-migrate:' || $1, 0))`, schema); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '60s'`); err != nil {
		return "", err
	}
	// Create the schema only if it is missing: CREATE SCHEMA checks the
	// CREATE privilege on the database even when the schema exists.
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+s); err != nil {
			return "", fmt.Errorf("creating schema %s: %w", schema, err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s+`.schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return "", fmt.Errorf("creating schema_version: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+s+`.schema_version`).Scan(&have); err != nil {
		return "", err
	}
	if have > len(migrations) {
		return "", fmt.Errorf("kv/postgres: schema %s is at version %d, newer than this Coffer knows (%d): upgrade Coffer", schema, have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, strings.ReplaceAll(migrations[v], "{s}", s)); err != nil {
			return "", fmt.Errorf("kv/postgres: migration %d: %w", v+1, err)
		}
		if v == 0 {
			var raw [16]byte
			_, _ = rand.Read(raw[:])
			if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.store (id) VALUES ($1)`, hex.EncodeToString(raw[:])); err != nil {
				return "", err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.schema_version (version) VALUES ($1)`, v+1); err != nil {
			return "", err
		}
	}
	var id string
	err = tx.QueryRow(ctx, `SELECT id FROM `+s+`.store`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("kv/postgres: schema %s has no store id", schema)
	}
	if err != nil {
		return "", err
	}
	return id, tx.Commit(ctx)
}
