// Package postgres is the shared kv.Store, on PostgreSQL through pgx. Several
// Coffer nodes use one database; CockroachDB and YugabyteDB speak the same
// protocol.
//
// Records live in one table, kv(k bytea PRIMARY KEY, v bytea, ver bigint).
// bytea compares bytewise (memcmp, then length), so the primary key's order
// is kv's order, and every range scan is an index range scan with keyset
// pagination (k >= $from AND k < $end ORDER BY k LIMIT n): its cost does not
// grow with the table.
//
// Transactions are serializable through optimistic concurrency control, as in
// kv/pebble: inside Update, fn's reads are single statements that see the
// latest committed state, and the transaction remembers what it read (each
// key with the version stamp of its row, or its absence; each scanned span
// with the rows in it), while its writes are buffered in the client and
// overlaid on its reads. The commit is one pipelined round trip: BEGIN
// (READ COMMITTED); kv_lock, which takes the commit's advisory locks in one
// global order (locks.go: shared on the keys read, exclusive on the keys
// written, and range granules that make a write into a scanned span wait
// for its validating reader); kv_validate(read set), which fails with a
// serialization failure if any of it changed; the writes (one upsert, one
// delete); COMMIT. The locks make validation and writes atomic (locks.go
// has the argument), so commits that touch different keys never conflict,
// however close their keys are. A serialization failure or deadlock
// (SQLSTATE 40001, 40P01) runs fn again, up to Options.MaxAttempts, then
// Update returns kv.ErrConflict; Stats counts them. A PUT costs one
// transaction: its Gets plus one commit round trip.
//
// The commit used to be a SERIALIZABLE transaction instead of the locks;
// PostgreSQL's serializable isolation tracks reads by index page, and PUTs
// of neighbouring keys failed as if dependent (a third of them retried,
// some gave up; see docs/benchmarks.md).
//
// View runs in a REPEATABLE READ READ ONLY transaction: one snapshot. BEGIN
// rides with its first read; its COMMIT is sent after fn returns without
// the caller waiting for it. GetMulti (kv.MultiGetter) reads a few keys in
// one statement without a transaction: a GET of a known bucket costs one
// statement and one round trip.
//
// A read that meets a dead pooled connection (the database restarted) is
// resent on a fresh connection, and the pool's idle connections are dropped:
// any read of an Update, the first read of a View. fn never runs again for
// that (a View's fn runs once).
//
// Several nodes: the store is shared as it is. It is a kv.Notifier over
// LISTEN/NOTIFY (notify.go): the change feed's wake-up reaches every node
// sharing the schema. Options.BeforeCommit lets a caller add statements to
// each commit's transaction.
//
// Durability: Update returns after COMMIT returned with synchronous_commit
// on (set for Coffer's sessions whatever the server's default).
//
// Failures: an unreachable or failing database, or a call exceeding
// Options.OpTimeout, is kv.ErrUnavailable (S3 answers 503 SlowDown); the pool
// reconnects by itself when the database is back.
package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"coffer/internal/kv"
)

// Store is the PostgreSQL-backed kv.Store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	opts Options
	id   string
	sql  statements

	notify *notifier // kv.Notifier: LISTEN/NOTIFY (notify.go)
	gets   *getBatcher

	gate kv.Gate // calls in flight, for Close

	commits, conflicts, gaveUp atomic.Uint64 // Stats
}

// Stats counts the store's read-write transactions since Open.
type Stats struct {
	// Commits is the number of Updates that committed writes.
	Commits uint64
	// Conflicts is the number of attempts that conflicted (a key read
	// changed before the commit, a serialization failure, a deadlock) and
	// ran fn again; GaveUp the Updates that returned kv.ErrConflict.
	Conflicts, GaveUp uint64
}

// Stats returns the counters; it is cheap (atomic loads).
func (s *Store) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Conflicts: s.conflicts.Load(), GaveUp: s.gaveUp.Load()}
}

var _ kv.Store = (*Store)(nil)

// errTxnDone is returned by a Txn or Reader used after its fn returned.
var errTxnDone = errors.New("kv/postgres: transaction already ended")

// statements are the SQL texts, with the schema filled in.
type statements struct {
	get, getMulti, scan, scanOpen, validate, lock, upsert, del, delRange string
	// getIn[n] reads n keys with one bytea parameter each (k IN ($1, ...,
	// $n)), for n in batchSizes (getbatch.go). PostgreSQL plans a prepared
	// statement for its parameters' values (a custom plan) until a generic
	// plan costs no more; for k = ANY($1::bytea[]) the generic plan assumes
	// ten elements, so it never does and every execution was planned again,
	// about as much of the backend's CPU as the lookup itself. With one
	// parameter per key the generic plan costs the same as the custom one
	// and is kept after the fifth execution (TestGetMultiGenericPlan).
	getIn [maxBatchKeys + 1]string
}

func newStatements(schema string) statements {
	t := pgx.Identifier{schema, "kv"}.Sanitize()
	st := statements{
		get:      `SELECT v, ver FROM ` + t + ` WHERE k = $1`,
		getMulti: `SELECT k, v FROM ` + t + ` WHERE k = ANY($1::bytea[])`,
		scan:     `SELECT k, v, ver FROM ` + t + ` WHERE k >= $1 AND k < $2 ORDER BY k LIMIT $3`,
		scanOpen: `SELECT k, v, ver FROM ` + t + ` WHERE k >= $1 ORDER BY k LIMIT $2`,
		validate: `SELECT ` + pgx.Identifier{schema, "kv_validate"}.Sanitize() + `($1, $2, $3, $4, $5, $6, $7)`,
		lock:     `SELECT ` + pgx.Identifier{schema, "kv_lock"}.Sanitize() + `($1, $2)`,
		upsert: `INSERT INTO ` + t + ` (k, v, ver) SELECT k, v, $3 FROM unnest($1::bytea[], $2::bytea[]) AS u(k, v)
			ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, ver = EXCLUDED.ver`,
		del:      `DELETE FROM ` + t + ` WHERE k = ANY($1::bytea[])`,
		delRange: `DELETE FROM ` + t + ` WHERE k >= $1 AND k < $2`,
	}
	for _, n := range batchSizes {
		var in strings.Builder
		for i := 1; i <= n; i++ {
			if i > 1 {
				in.WriteString(", ")
			}
			in.WriteString("$" + strconv.Itoa(i))
		}
		st.getIn[n] = `SELECT k, v FROM ` + t + ` WHERE k IN (` + in.String() + `)`
	}
	return st
}

// Open connects to the database, creates or migrates Coffer's schema and
// returns the store. It fails with kv.ErrUnavailable when the database
// cannot be reached within ConnectTimeout.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if s, dsn := splitSchema(opts.DSN); s != "" {
		opts.DSN = dsn
		if opts.Schema == "" {
			opts.Schema = s
		}
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("kv/postgres: DSN: %w", redact(err))
	}
	if opts.MaxConns != 0 || !strings.Contains(o.DSN, "pool_max_conns") {
		// The DSN's pool_max_conns (pgxpool's own) stands unless set here.
		cfg.MaxConns = o.MaxConns
	}
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 10 * time.Second
	cc := cfg.ConnConfig
	if o.Tracer != nil {
		cc.Tracer = o.Tracer
	}
	if cc.ConnectTimeout == 0 || cc.ConnectTimeout > o.ConnectTimeout {
		cc.ConnectTimeout = o.ConnectTimeout
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	rp := cc.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "coffer"
	}
	rp["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	// A session left in a transaction by a vanished client is closed.
	rp["idle_in_transaction_session_timeout"] = strconv.FormatInt((o.OpTimeout + o.StatementTimeout).Milliseconds(), 10)
	// An acknowledged write is durable whatever the server's default.
	rp["synchronous_commit"] = "on"
	// Every statement is a primary-key lookup or range: never a sequential
	// scan.
	rp["enable_seqscan"] = "off"
	rp["default_transaction_isolation"] = "read committed"

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("kv/postgres: %w", redact(err))
	}
	s := &Store{pool: pool, opts: o, sql: newStatements(o.Schema)}
	s.gets = newGetBatcher(s)
	s.notify = newNotifier(s)
	mctx, cancel := context.WithTimeout(ctx, o.OpTimeout+time.Minute)
	defer cancel()
	s.id, err = migrate(mctx, pool, o.Schema)
	if err != nil {
		pool.Close()
		if c := classify(ctx, err); errors.Is(c, kv.ErrUnavailable) {
			return nil, c
		}
		return nil, fmt.Errorf("kv/postgres: preparing schema %s: %w", o.Schema, err)
	}
	return s, nil
}

// ID is the store's identity, generated when its schema was created. The
// data directory's ownership marker records it.
func (s *Store) ID() string { return s.id }

// Ping checks that the database answers, within the context's deadline (or
// ConnectTimeout). /health/ready uses it.
func (s *Store) Ping(ctx context.Context) error {
	pctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, s.opts.ConnectTimeout)
		defer cancel()
	}
	if err := s.pool.Ping(pctx); err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The caller's own deadline (a health check's) means the
			// database did not answer in time: unavailable too.
			return fmt.Errorf("%w: %v", kv.ErrUnavailable, redact(err))
		}
		return classify(ctx, err)
	}
	return nil
}

// Pool is the connection pool, for components that need PostgreSQL itself
// (a change feed's LISTEN, migrations of their own tables) rather than kv.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema is the PostgreSQL schema holding the store's tables.
func (s *Store) Schema() string { return s.opts.Schema }

// Close waits for running View and Update calls, then closes the pool.
// Later calls return kv.ErrClosed, as does a second Close.
func (s *Store) Close() error {
	if err := s.gate.Shut(); err != nil {
		return err
	}
	s.notify.close()
	s.pool.Close()
	return nil
}

func (s *Store) begin() error { return s.gate.Enter() }

func (s *Store) end() { s.gate.Leave() }

// View runs fn in a REPEATABLE READ READ ONLY transaction, begun with fn's
// first read (in the same round trip).
func (s *Store) View(ctx context.Context, fn func(tx kv.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	opCtx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	r := &txn{s: s, ctx: opCtx, view: true}
	ferr := fn(r)
	r.finish()
	r.endView()
	if r.err != nil {
		// fn may have swallowed it; its result rests on a failed read.
		if isConflict(r.err) {
			return fmt.Errorf("kv/postgres: %w", r.err)
		}
		return classify(ctx, r.err)
	}
	return ferr
}

// GetMulti reads keys in one statement: one snapshot (a statement sees one
// in READ COMMITTED), one round trip, and no transaction around it, so no
// BEGIN and no COMMIT for the database to run. A GET whose bucket record is
// known reads the record and the object's in it (kv.MultiGetter). vals[i]
// is nil when keys[i] does not exist; the values are the caller's. Under
// load, GetMultis that wait at the same time share a statement (getbatch.go:
// one snapshot still, taken after each was called).
func (s *Store) GetMulti(ctx context.Context, keys [][]byte) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	if len(keys) == 0 {
		return [][]byte{}, nil
	}
	if len(keys) <= maxBatchKeys {
		vals, err := s.gets.get(ctx, keys)
		if err != nil {
			return nil, classify(ctx, err)
		}
		return vals, nil
	}
	opCtx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	arg := make([][]byte, len(keys))
	for i, k := range keys {
		arg[i] = nonNil(k)
	}
	vals := make([][]byte, len(keys))
	// Not a View: single statements through the pool, resent on a fresh
	// connection if a pooled one turns out dead (txn.run).
	t := &txn{s: s, ctx: opCtx}
	_ = t.run(s.sql.getMulti, []any{arg}, func(r pgx.Rows) error {
		var k, v []byte
		if err := r.Scan(&k, &v); err != nil {
			return err
		}
		v = nonNil(v)
		for i := range keys {
			if vals[i] == nil && bytes.Equal(keys[i], k) {
				vals[i] = v
			}
		}
		return nil
	})
	if t.err != nil {
		return nil, classify(ctx, t.err)
	}
	return vals, nil
}

var _ kv.MultiGetter = (*Store)(nil)

// Update runs fn in a serializable transaction (see the package doc and
// locks.go), retrying on conflict up to MaxAttempts (then kv.ErrConflict),
// and returns once the commit is durable. If fn returns an error, nothing is written and
// Update returns it, unless what fn read was already stale, in which case fn
// runs again.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	opCtx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	transient := 0
	committed := false
	err := kv.RetryConflicts(opCtx, kv.RetryPolicy{MaxAttempts: s.opts.MaxAttempts,
		BaseDelay: 200 * time.Microsecond, MaxDelay: 20 * time.Millisecond,
		WaitError: func(err error) error { return classify(ctx, err) },
	}, func() (bool, error) {
		done, retryable, err := s.attempt(opCtx, fn, &committed)
		if done {
			return true, err
		}
		if err == nil {
			s.conflicts.Add(1)
		} else {
			// Not a conflict: an infrastructure failure before anything was
			// committed. Retry a couple of times (stale pooled connections),
			// then report it.
			if !retryable || transient >= 2 || ctx.Err() != nil {
				return true, classify(ctx, err)
			}
			transient++
			s.pool.Reset()
		}
		return false, nil
	})
	if committed {
		s.commits.Add(1)
	}
	if errors.Is(err, kv.ErrConflict) {
		s.gaveUp.Add(1)
	}
	return err
}

// attempt runs fn once and commits. done is false if the attempt must be
// retried: after a conflict (err nil), or after an infrastructure error
// (err set; retryable says whether nothing can have been committed).
func (s *Store) attempt(ctx context.Context, fn func(tx kv.Txn) error, committed *bool) (done, retryable bool, err error) {
	t := &txn{s: s, ctx: ctx}
	ferr := fn(t)
	t.finish()
	if t.err != nil {
		// A read failed: whatever fn made of it, nothing is committed.
		if isConflict(t.err) {
			return false, false, nil
		}
		return false, t.retryable, t.err
	}
	if ferr != nil || !t.writesSomething() {
		// Nothing to commit, but fn's outcome must rest on a consistent view.
		if err := t.validateOnly(); err != nil {
			if isConflict(err) {
				return false, false, nil
			}
			return false, true, err
		}
		return true, false, ferr
	}
	err = t.commit()
	if err == nil {
		*committed = true
		return true, false, nil
	}
	if isConflict(err) {
		return false, false, nil
	}
	// The commit may or may not have happened if the connection broke after
	// COMMIT was sent: never retry that (fn is not idempotent in general).
	return false, pgconn.SafeToRetry(err), err
}

// isConflict reports a serialization failure, a deadlock or a lock timeout:
// fn must run again.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "55P03":
			return true
		}
	}
	return false
}

// classify maps a pgx error to the kv vocabulary: a cancelled caller gets its
// context's error; an unreachable, restarting, overloaded or too-slow
// database is kv.ErrUnavailable; anything else passes through.
func classify(caller context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, kv.ErrUnavailable) || errors.Is(err, kv.ErrConflict) || errors.Is(err, kv.ErrClosed) {
		return err
	}
	if cerr := caller.Err(); cerr != nil {
		return cerr
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %v", kv.ErrUnavailable, redact(err))
	}
	return fmt.Errorf("kv/postgres: %w", err)
}

func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),  // insufficient resources (too many connections, disk full)
			strings.HasPrefix(pe.Code, "57P"), // admin shutdown, crash shutdown, cannot connect now
			pe.Code == "57014",                // query canceled: statement_timeout
			pe.Code == "25006":                // read-only transaction: a standby, during a failover
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) {
		return true
	}
	var ee interface{ SafeToRetry() bool }
	if errors.As(err, &ee) {
		return true
	}
	return errors.Is(err, pgconn.ErrConnClosed)
}

// splitSchema removes the "schema" parameter from a URL DSN and returns it.
func splitSchema(dsn string) (schema, rest string) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return "", dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", dsn
	}
	q := u.Query()
	schema = q.Get("schema")
	if schema == "" {
		return "", dsn
	}
	q.Del("schema")
	u.RawQuery = q.Encode()
	return schema, u.String()
}

// redact strips a password from an error that quotes the DSN.
func redact(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return errors.New(ce.Error()) // pgconn's message already omits the password
	}
	return err
}
