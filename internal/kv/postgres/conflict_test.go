package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"coffer/internal/kv"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// TestDistinctWritersNeverConflict: 32 writers of distinct neighbouring keys
// (the shape of PUTs into one bucket: each reads a shared record that nobody
// writes and its own key, then writes its key and a fresh neighbouring
// delta) never fail and never retry. Under the earlier SERIALIZABLE commit,
// PostgreSQL's predicate locks (index pages) made such neighbours look
// dependent: a third of the attempts failed and were retried.
func TestDistinctWritersNeverConflict(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{MaxConns: 32})
	ctx := t.Context()
	shared := []byte("B/tenant/bucket")
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set(shared, []byte("bucket record")) }); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 32, 40
	var calls atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	before := s.Stats()
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				// Neighbouring keys: writer w's i-th key sits between the
				// other writers' i-th keys.
				key := fmt.Appendf(nil, "C/bucket/obj-%04d-%02d", i, w)
				delta := fmt.Appendf(nil, "D/bucket/%04d%02d", i, w)
				err := s.Update(ctx, func(tx kv.Txn) error {
					calls.Add(1)
					if _, err := tx.Get(shared); err != nil {
						return err
					}
					if _, err := tx.Get(key); err != nil && !errors.Is(err, kv.ErrNotFound) {
						return err
					}
					if err := tx.Set(key, []byte("version record")); err != nil {
						return err
					}
					return tx.Set(delta, []byte("+1"))
				})
				if err != nil {
					errc <- fmt.Errorf("writer %d, PUT %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	st := s.Stats()
	retries := calls.Load() - writers*perWriter
	t.Logf("%d Updates by %d writers: %d retries (%.3f per Update); store counts %d conflicts, %d gave up",
		writers*perWriter, writers, retries, float64(retries)/(writers*perWriter), st.Conflicts-before.Conflicts, st.GaveUp-before.GaveUp)
	if retries != 0 || st.Conflicts != before.Conflicts {
		t.Errorf("writers of distinct keys retried %d times (store: %d conflicts); want none", retries, st.Conflicts-before.Conflicts)
	}
	if got := st.Commits - before.Commits; got != writers*perWriter {
		t.Errorf("store counts %d commits, want %d", got, writers*perWriter)
	}
	n := 0
	err := s.View(ctx, func(r kv.Reader) error {
		it := r.NewIterator([]byte("C/bucket/"), kv.PrefixEnd([]byte("C/bucket/")))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			n++
		}
		return it.Err()
	})
	if err != nil || n != writers*perWriter {
		t.Fatalf("%d keys written (%v), want %d", n, err, writers*perWriter)
	}
}

// TestLostUpdate: transactions that read-modify-write the same key
// serialize: no increment is lost, and the conflicts are counted.
func TestLostUpdate(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{MaxAttempts: 1000})
	ctx := t.Context()
	key := []byte("counter")
	const workers, each = 16, 25
	var calls atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(ctx, func(tx kv.Txn) error {
					calls.Add(1)
					n := 0
					v, err := tx.Get(key)
					if err == nil {
						fmt.Sscan(string(v), &n)
					} else if !errors.Is(err, kv.ErrNotFound) {
						return err
					}
					return tx.Set(key, fmt.Append(nil, n+1))
				})
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var got string
	if err := s.View(ctx, func(r kv.Reader) error {
		v, err := r.Get(key)
		got = string(v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got != fmt.Sprint(workers*each) {
		t.Fatalf("counter = %s after %d increments: updates were lost", got, workers*each)
	}
	retries := calls.Load() - workers*each
	t.Logf("%d increments of one key by %d workers: %d retries; store counts %d conflicts",
		workers*each, workers, retries, s.Stats().Conflicts)
	if retries == 0 || s.Stats().Conflicts != uint64(retries) {
		t.Errorf("retries %d, store conflicts %d: want the same, above zero (the increments did contend)", retries, s.Stats().Conflicts)
	}
}

// rangeShapes are key ranges of the shapes the commit's range locks
// distinguish: a prefix shorter than the first lock level, prefixes between
// levels, a long one, a range that is not one prefix, and unbounded ones.
var rangeShapes = []struct {
	name   string
	lo, hi []byte // hi nil: unbounded; insert is a key inside
	insert []byte
}{
	{"short prefix", []byte("x"), []byte("y"), []byte("xq")},
	{"9-byte prefix", []byte("abcdefghi"), kv.PrefixEnd([]byte("abcdefghi")), []byte("abcdefghi\x00k")},
	{"12-byte prefix", []byte("abcdefghijkl"), kv.PrefixEnd([]byte("abcdefghijkl")), []byte("abcdefghijklm")},
	{"40-byte prefix", []byte("0123456789012345678901234567890123456789"), kv.PrefixEnd([]byte("0123456789012345678901234567890123456789")), []byte("0123456789012345678901234567890123456789zz")},
	{"two prefixes", []byte("m1"), []byte("m3"), []byte("m2")},
	{"unbounded", []byte("\xfe"), nil, []byte("\xfe\xfe")},
	{"everything", []byte{}, nil, []byte("\xff\xff\xff")},
}

// TestRangePhantoms: phantom write skew. T1 scans a range R and, if it is
// empty, inserts a key into a range Q; T2 scans Q and, if it is empty,
// inserts into R. They share no key, only ranges, so nothing but the
// commit's range locks orders them. Serially exactly one of R and Q ends up
// non-empty. Every range shape the locks distinguish is tried, with plain
// and escalated (many-key) transactions on either side.
func TestRangePhantoms(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	ctx := t.Context()
	const rounds = 12
	// empty reports whether [lo, hi) holds no key outside the tests'
	// bookkeeping ("~...", which the widest ranges include).
	empty := func(tx kv.Txn, lo, hi []byte) (bool, error) {
		it := tx.NewIterator(lo, hi)
		found := false
		for ok := it.First(); ok && !found; ok = it.Next() {
			found = it.Key()[0] != '~'
		}
		return !found, it.Close()
	}
	for _, shape := range rangeShapes {
		for _, bulk := range []string{"", "T1", "T2"} {
			t.Run(shape.name+"/bulk "+bulk, func(t *testing.T) {
				for r := range rounds {
					q := fmt.Appendf(nil, "~q/%s/%s/%d/", shape.name, bulk, r)
					clearRange(t, s, shape.lo, shape.hi)
					filler := func(tx kv.Txn, who string) error {
						for i := range 100 { // past the per-commit lock budget
							if err := tx.Set(fmt.Appendf(nil, "~bulk/%s/%d", who, i), []byte("x")); err != nil {
								return err
							}
						}
						return nil
					}
					br := newBarrier(2)
					var wg sync.WaitGroup
					var err1, err2 error
					wg.Go(func() {
						first := true
						err1 = s.Update(ctx, func(tx kv.Txn) error {
							isEmpty, err := empty(tx, shape.lo, shape.hi)
							if err != nil {
								return err
							}
							if first { // both read before either commits
								first = false
								br.arrive()
							}
							if bulk == "T1" {
								if err := filler(tx, "T1"); err != nil {
									return err
								}
							}
							if isEmpty {
								return tx.Set(append(slices.Clone(q), 'x'), []byte("from T1"))
							}
							return nil
						})
					})
					wg.Go(func() {
						first := true
						err2 = s.Update(ctx, func(tx kv.Txn) error {
							it := tx.NewIterator(q, kv.PrefixEnd(q))
							found := it.First()
							if err := it.Close(); err != nil {
								return err
							}
							if first {
								first = false
								br.arrive()
							}
							if bulk == "T2" {
								if err := filler(tx, "T2"); err != nil {
									return err
								}
							}
							if !found {
								return tx.Set(shape.insert, []byte("from T2"))
							}
							return nil
						})
					})
					wg.Wait()
					if err1 != nil || err2 != nil {
						t.Fatalf("round %d: T1 %v, T2 %v", r, err1, err2)
					}
					inQ := len(scanKeys(t, s, q))
					var inR bool
					err := s.View(ctx, func(rd kv.Reader) error {
						_, err := rd.Get(shape.insert)
						inR = err == nil
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					if (inQ > 0) == inR {
						t.Fatalf("round %d: %d keys in Q, T2's key in R %v: want exactly one range non-empty", r, inQ, inR)
					}
				}
			})
		}
	}
}

func scanKeys(t *testing.T, s kv.Store, prefix []byte) []string {
	t.Helper()
	var keys []string
	err := s.View(context.Background(), func(r kv.Reader) error {
		it := r.NewIterator(prefix, kv.PrefixEnd(prefix))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			keys = append(keys, string(it.Key()))
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// clearRange deletes every key in [lo, hi) except the tests' own
// bookkeeping ("~...") when the range would include it.
func clearRange(t *testing.T, s kv.Store, lo, hi []byte) {
	t.Helper()
	err := s.Update(context.Background(), func(tx kv.Txn) error {
		it := tx.NewIterator(lo, hi)
		defer it.Close()
		var keys [][]byte
		for ok := it.First(); ok; ok = it.Next() {
			if it.Key()[0] != '~' {
				keys = append(keys, slices.Clone(it.Key()))
			}
		}
		if err := it.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// barrier releases its parties once all have arrived.
type barrier struct{ wg sync.WaitGroup }

func newBarrier(n int) *barrier {
	b := &barrier{}
	b.wg.Add(n)
	return b
}

func (b *barrier) arrive() {
	b.wg.Done()
	b.wg.Wait()
}

// TestMigrateToLockedCommits: a schema at version 1 (SERIALIZABLE commits,
// no kv_lock) is brought to the current version by Open, keeping its
// records, and its commits work.
func TestMigrateToLockedCommits(t *testing.T) {
	schema := pgtest.NewSchema(t)
	ctx := t.Context()
	o := postgres.Options{DSN: pgtest.DSN(), Schema: schema}
	s, err := postgres.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v1")) }); err != nil {
		t.Fatal(err)
	}
	// Back to version 1: what a store created by the previous Coffer has.
	q := func(sql string) {
		t.Helper()
		if _, err := s.Pool().Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	sch := pgx.Identifier{schema}.Sanitize()
	q("DROP FUNCTION " + sch + ".kv_lock(bigint[], boolean[])")
	q("DELETE FROM " + sch + ".schema_version WHERE version > 1")
	s.Close()

	s, err = postgres.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var version int
	if err := s.Pool().QueryRow(ctx, "SELECT max(version) FROM "+sch+".schema_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != postgres.SchemaVersion || postgres.SchemaVersion < 2 {
		t.Fatalf("schema at version %d after Open, want %d (at least 2)", version, postgres.SchemaVersion)
	}
	err = s.Update(ctx, func(tx kv.Txn) error {
		v, err := tx.Get([]byte("k"))
		if err != nil || string(v) != "v1" {
			return fmt.Errorf("record after the migration: %q, %v", v, err)
		}
		return tx.Set([]byte("k"), []byte("v2"))
	})
	if err != nil {
		t.Fatal(err)
	}
}
