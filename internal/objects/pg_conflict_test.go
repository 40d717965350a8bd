package objects

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// TestPostgresConcurrentPuts: 32 clients PUT distinct neighbouring keys into
// one bucket on the PostgreSQL store, while the usage fold runs, as in the
// put4k benchmark. No PUT fails, none retries (the store counts no
// conflict), the fold never gives up, and the usage adds up. It also states
// what a PUT costs the database: round trips and statements.
func TestPostgresConcurrentPuts(t *testing.T) {
	// Log is set before the store exists (the tracer runs on the store's
	// goroutines); record switches it on for one PUT.
	var (
		mu     sync.Mutex
		sqls   []string
		record atomic.Bool
	)
	trips := pgtest.Trips{Log: func(sql string) {
		if record.Load() {
			mu.Lock()
			sqls = append(sqls, sql)
			mu.Unlock()
		}
	}}
	e := newPGEnv(t, postgres.Options{Tracer: &trips, MaxConns: 32}, func(o *Options) { o.UsageFoldBatch = 100 })
	s, st := e.s, e.kv.(*postgres.Store)
	e.bucket("bkt")
	e.put("bkt", "warm", []byte("x")) // caches, prepared statements

	// The cost of one PUT, alone: every statement, and the round trips.
	record.Store(true)
	before, queued, commits := trips.Total(), trips.Queued.Load(), st.Stats().Commits
	e.put("bkt", "single", make([]byte, 4096))
	record.Store(false)
	mu.Lock()
	sqls = slices.Clone(sqls)
	mu.Unlock()
	rt, commitN := trips.Total()-before, st.Stats().Commits-commits
	inCommit := 0
	for i, q := range sqls {
		if strings.HasSuffix(q, "BEGIN ISOLATION LEVEL READ COMMITTED") {
			inCommit = len(sqls) - i
		}
	}
	t.Logf("one 4 KiB PUT: %d round trips, %d statements (%d batched), %d transaction committed, its commit %d statements in one round trip:\n%s",
		rt, len(sqls), trips.Queued.Load()-queued, commitN, inCommit, strings.Join(sqls, "\n"))
	if rt > 4 || commitN != 1 || inCommit == 0 || inCommit > 6 {
		t.Errorf("one PUT: %d round trips, %d commits, %d statements in its commit; want at most 4 round trips, one commit of at most 6 statements", rt, commitN, inCommit)
	}

	const clients, each = 32, 20
	data := make([]byte, 4096)
	base := st.Stats()
	stopFolds := foldLoop(t, s, "FoldUsage during PUTs")
	var failed atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("obj-%04d-%02d", i, c) // neighbours of the other clients' keys
				_, err := s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: key, Body: body(t, data), Size: int64(len(data))})
				if err != nil {
					failed.Add(1)
					t.Errorf("PUT %s: %v", key, err)
				}
			}
		})
	}
	wg.Wait()
	folds := stopFolds()
	if err := s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	got := st.Stats()
	conflicts := got.Conflicts - base.Conflicts
	t.Logf("%d PUTs by %d clients with %d usage folds alongside: %d failed, %d retries (%.3f per PUT), %d gave up",
		clients*each, clients, folds, failed.Load(), conflicts, float64(conflicts)/(clients*each), got.GaveUp-base.GaveUp)
	if failed.Load() != 0 || conflicts != 0 || got.GaveUp != base.GaveUp {
		t.Errorf("PUTs of distinct keys: %d failed, %d retried, %d gave up; want none", failed.Load(), conflicts, got.GaveUp-base.GaveUp)
	}
	info, err := s.GetBucket(ctx, tenant, "bkt")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(clients*each + 2); info.Objects != want {
		t.Errorf("bucket usage counts %d objects, want %d", info.Objects, want)
	}
	if e.deltaCount("bkt") != 0 {
		t.Errorf("%d usage deltas left after the last fold", e.deltaCount("bkt"))
	}
}

// TestPostgresConcurrentPutsSuspended: in a bucket with versioning
// Suspended, every PUT also scans its key's noncurrent versions (a range
// read), so its commit takes that range's granule exclusively: writers of
// neighbouring keys wait for it, and still none fails or retries.
func TestPostgresConcurrentPutsSuspended(t *testing.T) {
	e := newPGEnv(t, postgres.Options{MaxConns: 32}, nil)
	s, st := e.s, e.kv.(*postgres.Store)
	e.bucket("susp")
	if err := s.SetVersioning(ctx, tenant, "susp", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVersioning(ctx, tenant, "susp", VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	const clients, each = 16, 10
	base := st.Stats()
	var failed atomic.Int64
	var wg sync.WaitGroup
	data := make([]byte, 1024)
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				// Each key twice: the second PUT retires the first.
				key := fmt.Sprintf("k%02d-%02d", i, c)
				for range 2 {
					_, err := s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "susp", Key: key, Body: body(t, data), Size: int64(len(data))})
					if err != nil {
						failed.Add(1)
						t.Errorf("PUT %s: %v", key, err)
					}
				}
			}
		})
	}
	wg.Wait()
	got := st.Stats()
	t.Logf("%d PUTs (versioning Suspended) by %d clients: %d failed, %d retries, %d gave up",
		2*clients*each, clients, failed.Load(), got.Conflicts-base.Conflicts, got.GaveUp-base.GaveUp)
	if failed.Load() != 0 || got.Conflicts != base.Conflicts {
		t.Errorf("PUTs of distinct keys: %d failed, %d retried; want none", failed.Load(), got.Conflicts-base.Conflicts)
	}
	info, err := s.GetBucket(ctx, tenant, "susp")
	if err != nil {
		t.Fatal(err)
	}
	if info.Objects != clients*each {
		t.Errorf("bucket counts %d objects, want %d (each null version replaced)", info.Objects, clients*each)
	}
}
