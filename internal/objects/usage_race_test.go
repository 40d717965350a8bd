package objects

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

// foldRace has writers PUT (new keys and overwrites, sizes varied) and
// DELETE in one bucket while two folders run (a loop of FoldUsage and the
// collector's kicked folds), in batches small enough that every fold commits
// several range deletions. At the end the bucket's usage, before and after a
// last fold, is exactly what its objects add up to: nothing lost, nothing
// counted twice.
func foldRace(t *testing.T, e *env) {
	e.bucket("race")
	const writers, ops, keys = 8, 120, 60
	var wg sync.WaitGroup
	stopFolds := foldLoop(t, e.s, "FoldUsage")
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range ops {
				key := fmt.Sprint("k", r.IntN(keys))
				if r.IntN(5) == 0 {
					if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "race", Key: key}); err != nil {
						t.Errorf("delete %s: %v", key, err)
					}
					continue
				}
				data := make([]byte, r.IntN(300))
				if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "race", Key: key, Body: body(t, data), Size: int64(len(data))}); err != nil {
					t.Errorf("put %s: %v", key, err)
				}
			}
		})
	}
	wg.Wait()
	folds := stopFolds()
	if t.Failed() {
		return
	}
	out, err := e.s.ListObjects(ctx, ListInput{Tenant: tenant, Bucket: "race", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var wantBytes int64
	for _, o := range out.Objects {
		wantBytes += o.Size
	}
	wantObjects := int64(len(out.Objects))
	check := func(when string) {
		bi, err := e.s.GetBucket(ctx, tenant, "race")
		if err != nil {
			t.Fatal(err)
		}
		if bi.Objects != wantObjects || bi.UsedBytes != wantBytes {
			t.Fatalf("%s: usage %d objects %d bytes, the objects add up to %d and %d", when, bi.Objects, bi.UsedBytes, wantObjects, wantBytes)
		}
	}
	check(fmt.Sprintf("after %d writes and %d folds alongside", writers*ops, folds))
	if err := e.s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a last fold")
	if n := e.deltaCount("race"); n != 0 {
		t.Fatalf("%d deltas left after the last fold", n)
	}
	t.Logf("%d writes by %d writers, %d folds alongside: usage exact (%d objects, %d bytes)", writers*ops, writers, folds, wantObjects, wantBytes)
}

func TestFoldRacePebble(t *testing.T) {
	foldRace(t, newEnv(t, func(o *Options) { o.UsageFoldBatch = 7 }))
}

func TestFoldRacePostgres(t *testing.T) {
	pgtest.Skip(t)
	foldRace(t, newPGEnv(t, postgres.Options{MaxConns: 32}, func(o *Options) { o.UsageFoldBatch = 7 }))
}

// foldLoop folds s's usage in a loop until the returned stop is called,
// which waits for the loop and returns how many folds it ran. A failing
// fold ends the loop with an error naming what (what the caller is doing).
func foldLoop(t *testing.T, s *Service, what string) (stop func() int) {
	t.Helper()
	done := make(chan struct{})
	folds := 0
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := s.FoldUsage(ctx); err != nil {
				t.Errorf("%s: %v", what, err)
				return
			}
			folds++
		}
	})
	return func() int {
		close(done)
		wg.Wait()
		return folds
	}
}
