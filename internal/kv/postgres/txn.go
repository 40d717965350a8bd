package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"coffer/internal/kv"
)

const (
	beginView = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	// The commit's isolation comes from its locks (locks.go), not from
	// SERIALIZABLE, whose page-grained predicate locks failed commits of
	// neighbouring keys.
	beginCommit = "BEGIN ISOLATION LEVEL READ COMMITTED"
)

// errStale is what a transaction that saw one key change under it between
// two of its own reads fails with; it is retried like a serialization
// failure.
var errStale = &pgconn.PgError{Code: "40001", Message: "kv: a key changed between two reads of one transaction"}

// txn is a View's kv.Reader (view true: one REPEATABLE READ transaction on
// a held connection) or an Update's kv.Txn (single-statement reads through
// the pool, recorded in the read set; writes buffered until commit). Not
// safe for concurrent use.
type txn struct {
	s    *Store
	ctx  context.Context
	view bool

	conn  *pgxpool.Conn // View
	begun bool

	done      bool
	err       error // sticky: the first failed statement
	retryable bool  // err is a read that may be retried on a fresh connection

	writes   map[string]pending
	sorted   []string // keys of writes, sorted; valid while sortedOK
	sortedOK bool
	// rdels are the ranges deleted (DeleteRange), applied at commit before
	// the writes, which hold only what was written after them.
	rdels []keyRange

	points map[string]*int64 // read keys: their row's version, nil if absent
	spans  []span            // scanned key spans with the rows in them
	iters  []*iterator
}

// keyRange is [lo, hi), hi not nil.
type keyRange struct{ lo, hi []byte }

func (r keyRange) has(k []byte) bool {
	return bytes.Compare(k, r.lo) >= 0 && bytes.Compare(k, r.hi) < 0
}

// inRanges reports whether k is in one of rs.
func inRanges(rs []keyRange, k []byte) bool {
	for _, r := range rs {
		if r.has(k) {
			return true
		}
	}
	return false
}

type pending struct {
	val []byte
	del bool
}

// span is a scanned interval [lo, hi) (hi nil: unbounded) with the keys and
// versions of the rows that were in it.
type span struct {
	lo, hi []byte
	keys   [][]byte
	vers   []int64
}

var _ kv.Txn = (*txn)(nil)

// fail records the first failure of a statement and returns it, classified,
// for fn.
func (t *txn) fail(err error) error {
	if t.err == nil {
		t.err = err
		t.retryable = !isConflict(err) && unavailable(err) && t.ctx.Err() == nil
	}
	if isConflict(t.err) {
		return t.err
	}
	return classify(t.ctx, t.err)
}

// run executes one read statement and hands each row to scan. A read that
// meets a broken connection (one that died idle in the pool, the database
// restarted) is sent again on a fresh one, a couple of times, when nothing
// depends on that connection: any read of an Update, the first of a View.
func (t *txn) run(sql string, args []any, scan func(pgx.Rows) error) error {
	for try := 0; ; try++ {
		first := t.view && !t.begun
		rows := 0
		err := t.runOnce(sql, args, func(r pgx.Rows) error { rows++; return scan(r) })
		if err == nil || try >= 2 || rows > 0 || !(first || !t.view) || !brokenConn(t.ctx, t.err) {
			return err
		}
		// Start over on a fresh connection. The others idle in the pool
		// most likely died the same way (a database restart): drop them.
		t.s.pool.Reset()
		t.err, t.retryable = nil, false
		if t.view {
			if t.conn != nil {
				rollback(t.conn)
				t.conn.Release()
				t.conn = nil
			}
			t.begun = false
		}
	}
}

// brokenConn reports a connection failure (not a timeout, not a server
// error) while the caller is still waiting.
func brokenConn(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || isConflict(err) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "08")
	}
	return unavailable(err)
}

func (t *txn) runOnce(sql string, args []any, scan func(pgx.Rows) error) error {
	if t.err != nil {
		return t.fail(t.err)
	}
	var (
		rows pgx.Rows
		br   pgx.BatchResults
		err  error
	)
	if t.view {
		if t.conn == nil {
			if t.conn, err = t.s.pool.Acquire(t.ctx); err != nil {
				t.conn = nil
				return t.fail(err)
			}
		}
		if !t.begun {
			// BEGIN rides in the same round trip as the first read.
			b := &pgx.Batch{}
			b.Queue(beginView)
			b.Queue(sql, args...)
			br = t.conn.SendBatch(t.ctx, b)
			t.begun = true
			if _, err := br.Exec(); err != nil {
				br.Close()
				return t.fail(err)
			}
			rows, err = br.Query()
		} else {
			rows, err = t.conn.Query(t.ctx, sql, args...)
		}
	} else {
		rows, err = t.s.pool.Query(t.ctx, sql, args...)
	}
	if err != nil {
		if rows != nil {
			rows.Close()
		}
		if br != nil {
			br.Close()
		}
		return t.fail(err)
	}
	var serr error
	for serr == nil && rows.Next() {
		serr = scan(rows)
	}
	rows.Close()
	if serr == nil {
		serr = rows.Err()
	}
	if br != nil {
		if cerr := br.Close(); serr == nil {
			serr = cerr
		}
	}
	if serr != nil {
		return t.fail(serr)
	}
	return nil
}

func (t *txn) Get(key []byte) ([]byte, error) {
	if t.done {
		return nil, errTxnDone
	}
	if p, ok := t.writes[string(key)]; ok {
		if p.del {
			return nil, kv.ErrNotFound
		}
		return p.val, nil
	}
	if inRanges(t.rdels, key) {
		return nil, kv.ErrNotFound // whatever the server holds, the commit deletes
	}
	var (
		val   []byte
		ver   int64
		found bool
	)
	err := t.run(t.s.sql.get, []any{nonNil(key)}, func(r pgx.Rows) error {
		found = true
		return r.Scan(&val, &ver)
	})
	if err != nil {
		return nil, err
	}
	if !t.view {
		t.notePoint(key, found, ver)
		if t.err != nil {
			return nil, t.fail(t.err)
		}
	}
	if !found {
		return nil, kv.ErrNotFound
	}
	if val == nil {
		val = []byte{}
	}
	return val, nil
}

// notePoint adds a read key to the read set; a key read twice with
// different outcomes fails the attempt at once.
func (t *txn) notePoint(key []byte, found bool, ver int64) {
	if t.points == nil {
		t.points = make(map[string]*int64)
	}
	var pv *int64
	if found {
		pv = &ver
	}
	old, seen := t.points[string(key)]
	if !seen {
		t.points[string(key)] = pv
		return
	}
	if (old == nil) != (pv == nil) || old != nil && *old != *pv {
		t.fail(errStale)
	}
}

func (t *txn) NewIterator(start, end []byte) kv.Iterator {
	if t.done {
		return &iterator{err: errTxnDone, closed: true}
	}
	it := newIterator(t, start, end)
	t.iters = append(t.iters, it)
	return it
}

func (t *txn) Set(key, value []byte) error {
	if t.done {
		return errTxnDone
	}
	t.put(key, pending{val: append(make([]byte, 0, len(value)), value...)})
	return nil
}

func (t *txn) Delete(key []byte) error {
	if t.done {
		return errTxnDone
	}
	t.put(key, pending{del: true})
	return nil
}

func (t *txn) DeleteRange(start, end []byte) error {
	if t.done {
		return errTxnDone
	}
	if end == nil {
		return errors.New("kv/postgres: DeleteRange needs an end")
	}
	if bytes.Compare(start, end) >= 0 {
		return nil
	}
	r := keyRange{lo: bytes.Clone(nonNil(start)), hi: bytes.Clone(end)}
	for k := range t.writes {
		if r.has([]byte(k)) {
			delete(t.writes, k) // the range delete covers it
			t.sortedOK = false
		}
	}
	t.rdels = append(t.rdels, r)
	return nil
}

// writesSomething reports whether the commit has anything to write.
func (t *txn) writesSomething() bool { return len(t.writes) > 0 || len(t.rdels) > 0 }

func (t *txn) put(key []byte, p pending) {
	if t.writes == nil {
		t.writes = make(map[string]pending)
	}
	k := string(key)
	if _, ok := t.writes[k]; !ok {
		t.sortedOK = false
	}
	t.writes[k] = p
}

// pendingIn returns the buffered writes in [lo, hi), sorted.
func (t *txn) pendingIn(lo, hi []byte) []pendEntry {
	if len(t.writes) == 0 {
		return nil
	}
	if !t.sortedOK {
		t.sorted = t.sorted[:0]
		for k := range t.writes {
			t.sorted = append(t.sorted, k)
		}
		slices.Sort(t.sorted)
		t.sortedOK = true
	}
	i := sort.SearchStrings(t.sorted, string(lo))
	var out []pendEntry
	for ; i < len(t.sorted); i++ {
		k := t.sorted[i]
		if hi != nil && k >= string(hi) {
			break
		}
		p := t.writes[k]
		out = append(out, pendEntry{k: []byte(k), val: p.val, del: p.del})
	}
	return out
}

// finish ends fn's use of the transaction and closes its iterators, which
// adds their last spans to the read set.
func (t *txn) finish() {
	t.done = true
	for _, it := range t.iters {
		_ = it.Close()
	}
	t.iters = nil
}

// endView ends a View's transaction and returns its connection. fn's reads
// are complete and the transaction is read-only, so nothing waits for its
// COMMIT: it runs in the background before the connection goes back to the
// pool (the pool's Close waits for it).
func (t *txn) endView() error {
	c := t.conn
	if c == nil {
		return nil
	}
	t.conn = nil
	if !t.begun {
		c.Release()
		return nil
	}
	go func() {
		defer c.Release()
		if c.Conn().PgConn().TxStatus() != 'T' {
			rollback(c)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), t.s.opts.StatementTimeout)
		defer cancel()
		if _, err := c.Exec(ctx, "COMMIT"); err != nil {
			rollback(c)
		}
	}()
	return nil
}

// rollback ends a failed or abandoned transaction so that the connection
// returns to the pool clean (the pool discards one that is not idle).
func rollback(c *pgxpool.Conn) {
	pc := c.Conn().PgConn()
	if pc.IsClosed() || pc.TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = c.Exec(ctx, "ROLLBACK")
}

// readSetArgs are kv_validate's arguments.
func (t *txn) readSetArgs() []any {
	var pk [][]byte
	var pv []*int64
	keys := make([]string, 0, len(t.points))
	for k := range t.points {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		pk = append(pk, nonNil([]byte(k)))
		pv = append(pv, t.points[k])
	}
	var (
		rlo, rhi, rk [][]byte
		rn           []int32
		rv           []int64
	)
	for _, sp := range t.spans {
		rlo = append(rlo, nonNil(sp.lo))
		rhi = append(rhi, sp.hi) // nil: NULL, unbounded
		rn = append(rn, int32(len(sp.keys)))
		rk = append(rk, sp.keys...)
		rv = append(rv, sp.vers...)
	}
	return []any{pk, pv, rlo, rhi, rn, rk, rv}
}

func (t *txn) hasReads() bool { return len(t.points) > 0 || len(t.spans) > 0 }

// validateOnly checks, in one statement (one snapshot), that nothing fn read
// has changed; a serialization failure means it has.
func (t *txn) validateOnly() error {
	if !t.hasReads() {
		return nil
	}
	_, err := t.s.pool.Exec(t.ctx, t.s.sql.validate, t.readSetArgs()...)
	return err
}

// commit sends the transaction in one round trip: BEGIN READ COMMITTED,
// the locks (locks.go), validation of the read set, the upsert and the
// delete, COMMIT.
func (t *txn) commit() error {
	b := &pgx.Batch{}
	b.Queue(beginCommit)
	ids, excl := t.commitLocks()
	b.Queue(t.s.sql.lock, ids, excl)
	if t.hasReads() {
		b.Queue(t.s.sql.validate, t.readSetArgs()...)
	}
	keys := make([]string, 0, len(t.writes))
	for k := range t.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, r := range t.rdels {
		b.Queue(t.s.sql.delRange, r.lo, r.hi)
	}
	var upK, upV, delK [][]byte
	for _, k := range keys {
		p := t.writes[k]
		if p.del {
			delK = append(delK, nonNil([]byte(k)))
		} else {
			upK = append(upK, nonNil([]byte(k)))
			upV = append(upV, nonNil(p.val))
		}
	}
	if len(upK) > 0 {
		b.Queue(t.s.sql.upsert, upK, upV, newVersion())
	}
	if len(delK) > 0 {
		b.Queue(t.s.sql.del, delK)
	}
	if hook := t.s.opts.BeforeCommit; hook != nil {
		for _, st := range hook(keys) {
			b.Queue(st.SQL, st.Args...)
		}
	}
	b.Queue("COMMIT")

	// Once sent, the commit runs to its end even if the caller goes away (a
	// client disconnecting): its outcome is then known, not "maybe". The
	// operation's deadline still bounds it.
	ctx := context.WithoutCancel(t.ctx)
	if dl, ok := t.ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	conn, err := t.s.pool.Acquire(t.ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	br := conn.SendBatch(ctx, b)
	var first error
	for range b.Len() {
		if _, err := br.Exec(); err != nil && first == nil {
			first = err
		}
	}
	if err := br.Close(); first == nil {
		first = err
	}
	if first != nil {
		rollback(conn)
		return first
	}
	if st := conn.Conn().PgConn().TxStatus(); st != 'I' {
		// COMMIT of an aborted transaction answers ROLLBACK without error.
		rollback(conn)
		return errors.New("kv/postgres: commit did not complete")
	}
	return nil
}

// newVersion is a fresh row version stamp: random, so that a row rewritten
// by another transaction never carries the version a reader recorded.
func newVersion() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) &^ (1 << 63))
}

// nonNil makes an empty key or value an empty bytea rather than NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
