package objects

import (
	"errors"
	"testing"
	"time"

	"coffer/internal/errs"

	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// TestPostgresRoundTrips measures what S3 operations cost on PostgreSQL in
// database round trips (the benchmarks' "cost per PUT"), and holds a PUT to
// one transaction: its reads plus a single commit round trip.
func TestPostgresRoundTrips(t *testing.T) {
	var trips pgtest.Trips
	e := newPGEnv(t, postgres.Options{Tracer: &trips}, nil)
	e.bucket("bkt")
	e.put("bkt", "warm", []byte("x")) // caches, prepared statements
	measure := func(what string, max int64, fn func()) {
		t.Helper()
		before, batches := trips.Total(), trips.Batches.Load()
		fn()
		n, commits := trips.Total()-before, trips.Batches.Load()-batches
		t.Logf("%s: %d round trips (%d pipelined batches)", what, n, commits)
		if n > max {
			t.Errorf("%s: %d round trips, want at most %d", what, n, max)
		}
	}
	measure("PutObject (new key, 4 KiB inline)", 4, func() { e.put("bkt", "k1", make([]byte, 4096)) })
	measure("PutObject (overwrite)", 4, func() { e.put("bkt", "k1", make([]byte, 4096)) })
	// The bucket's record is cached from the GET before: one statement reads
	// it and the object's record in one snapshot, with no transaction (no
	// BEGIN, no COMMIT sent in the background).
	bg := trips.Background.Load()
	measure("GetObject (inline)", 1, func() {
		if _, _, err := e.get("bkt", "k1", ""); err != nil {
			t.Fatal(err)
		}
	})
	measure("HeadObject (missing key)", 1, func() {
		if _, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "bkt", Key: "nope"}); !errors.Is(err, errs.New(errs.NoSuchKey, "")) {
			t.Fatalf("HEAD of a missing key: %v", err)
		}
	})
	time.Sleep(20 * time.Millisecond) // a View's COMMIT goes out in the background
	if n := trips.Background.Load() - bg; n != 0 {
		t.Errorf("GET and HEAD sent %d background statements, want none", n)
	}
}

// newPGEnv is an object layer on a throwaway PostgreSQL store opened with
// pgOpts (and a blob store in a temp dir), MinPartSize 5, mod applied.
func newPGEnv(t *testing.T, pgOpts postgres.Options, mod func(*Options)) *env {
	t.Helper()
	return newEnvOn(t, pgtest.Open(t, pgOpts), mod)
}
