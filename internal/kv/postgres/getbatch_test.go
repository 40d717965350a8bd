package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/kv"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// TestGetMultiBatches: GetMultis that wait at the same time share
// statements (fewer statements than calls), and each caller still gets its
// own keys' values, in its order, its own copies.
func TestGetMultiBatches(t *testing.T) {
	var trips pgtest.Trips
	s := pgtest.Open(t, postgres.Options{Tracer: &trips})
	const callers, rounds = 24, 40
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Set([]byte("bucket"), []byte("B")); err != nil {
			return err
		}
		for c := range callers {
			if err := tx.Set(fmt.Appendf(nil, "obj-%02d", c), fmt.Appendf(nil, "value of %d", c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before := trips.Total()
	var wg sync.WaitGroup
	var failures atomic.Int64
	for c := range callers {
		wg.Go(func() {
			for r := range rounds {
				own := fmt.Appendf(nil, "obj-%02d", c)
				keys := [][]byte{[]byte("bucket"), own, fmt.Appendf(nil, "absent-%d-%d", c, r)}
				if r%2 == 1 {
					keys = [][]byte{own, []byte("bucket")}
				}
				vals, err := s.GetMulti(t.Context(), keys)
				if err != nil {
					t.Error(err)
					failures.Add(1)
					return
				}
				want := map[string]string{"bucket": "B", string(own): fmt.Sprintf("value of %d", c)}
				for i, k := range keys {
					w, ok := want[string(k)]
					if !ok {
						if vals[i] != nil {
							t.Errorf("caller %d: absent key %q = %q", c, k, vals[i])
							failures.Add(1)
						}
						continue
					}
					if string(vals[i]) != w {
						t.Errorf("caller %d: %q = %q, want %q", c, k, vals[i], w)
						failures.Add(1)
					}
				}
				// The values are the caller's: scribbling on them must not
				// reach another caller's.
				for _, v := range vals {
					for j := range v {
						v[j] = 'x'
					}
				}
				if failures.Load() > 10 {
					return
				}
			}
		})
	}
	wg.Wait()
	stmts := trips.Total() - before
	t.Logf("%d GetMultis in %d statements", callers*rounds, stmts)
	if stmts >= callers*rounds {
		t.Errorf("%d statements for %d concurrent GetMultis: none shared a statement", stmts, callers*rounds)
	}
}

// TestGetMultiBatchedReadsAreFresh: a GetMulti sees every write committed
// before it was called, batched or not (a shared statement's snapshot is
// taken after each of its callers called). One writer counts up; readers
// that saw the count committed must read at least that count.
func TestGetMultiBatchedReadsAreFresh(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	if err := put(s, "n", "0"); err != nil {
		t.Fatal(err)
	}
	var committed atomic.Int64
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := int64(1); ctx.Err() == nil; i++ {
			if err := put(s, "n", strconv.FormatInt(i, 10)); err != nil {
				if ctx.Err() == nil {
					t.Error(err)
				}
				return
			}
			committed.Store(i)
		}
	})
	var reads, stale atomic.Int64
	for c := range 16 {
		wg.Go(func() {
			for ctx.Err() == nil {
				floor := committed.Load()
				vals, err := s.GetMulti(ctx, [][]byte{[]byte("n"), fmt.Appendf(nil, "other-%d", c)})
				if err != nil {
					if ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				got, err := strconv.ParseInt(string(vals[0]), 10, 64)
				if err != nil {
					t.Errorf("n = %q", vals[0])
					return
				}
				reads.Add(1)
				if got < floor {
					stale.Add(1)
					t.Errorf("read n = %d after %d was committed", got, floor)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d reads, %d writes, %d stale", reads.Load(), committed.Load(), stale.Load())
	if reads.Load() == 0 || committed.Load() == 0 {
		t.Fatalf("%d reads, %d writes: the test did not run", reads.Load(), committed.Load())
	}
}

// TestGetMultiQueuedCancel: a caller whose context ends while its read is
// queued returns at once with its context's error; the others are served.
func TestGetMultiQueuedCancel(t *testing.T) {
	s := pgtest.Open(t, postgres.Options{})
	if err := put(s, "k", "v"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var cancelled, served atomic.Int64
	for c := range 32 {
		wg.Go(func() {
			ctx := t.Context()
			if c%2 == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(c)*50*time.Microsecond)
				defer cancel()
			}
			for range 20 {
				vals, err := s.GetMulti(ctx, [][]byte{[]byte("k")})
				switch {
				case err == nil && string(vals[0]) == "v":
					served.Add(1)
				case err != nil && ctx.Err() != nil:
					cancelled.Add(1)
					return
				default:
					t.Errorf("caller %d: %q, %v (context %v)", c, vals, err, ctx.Err())
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d served, %d cancelled", served.Load(), cancelled.Load())
	if served.Load() < 16*20 {
		t.Errorf("%d reads served, want at least the %d of the callers never cancelled", served.Load(), 16*20)
	}
	// The store is still whole.
	if vals, err := s.GetMulti(t.Context(), [][]byte{[]byte("k")}); err != nil || string(vals[0]) != "v" {
		t.Errorf("after the cancellations: %q, %v", vals, err)
	}
}
