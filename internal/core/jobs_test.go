package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/kv"
)

func TestJobs_lifecycleAndRetention(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	release := make(chan struct{})
	started := make(chan struct{})
	j, err := e.core.SubmitJob(ctx, core.JobSpec{Tenant: ten, Description: "POST /api/protocols/s3/buckets", Operation: "CreateBucket"},
		func(ctx context.Context, p core.JobProgress) (string, error) {
			p.Update(50, "half way")
			close(started)
			<-release
			return "bucket-uuid", nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if j.State != core.JobQueued || j.UUID == "" || j.ID == 0 {
		t.Fatalf("submitted = %+v", j)
	}
	<-started
	// Not finished within the timeout: the latest state comes back.
	r := must(e.core.WaitJob(ctx, j.UUID, 20*time.Millisecond))
	if r.State != core.JobRunning || r.Percent != 50 || r.Message != "half way" || r.Start.IsZero() {
		t.Fatalf("running = %+v", r)
	}
	close(release)
	r = must(e.core.WaitJob(ctx, j.UUID, 10*time.Second))
	if r.State != core.JobSuccess || r.Message != "success" || r.Result != "bucket-uuid" || r.End.IsZero() || r.Err() != nil {
		t.Fatalf("done = %+v", r)
	}
	if byID := must(e.core.GetJobByID(ctx, j.ID)); byID.UUID != j.UUID {
		t.Fatal("by id")
	}

	// A failure keeps the kind, reason and field for the adapters' tables.
	f := must(e.core.SubmitJob(ctx, core.JobSpec{Description: "fails"}, func(ctx context.Context, p core.JobProgress) (string, error) {
		return "", core.ValidateBucketName("ab")
	}))
	r = must(e.core.WaitJob(ctx, f.UUID, 10*time.Second))
	if r.State != core.JobFailure || r.Message == "" || r.Error == nil {
		t.Fatalf("failed = %+v", r)
	}
	var ee *errs.Error
	if err := r.Err(); !errors.Is(err, errs.InvalidBucketName) || !errors.Is(err, core.ReasonBucketNameLength) || !errors.As(err, &ee) || ee.Field != "name" {
		t.Fatalf("job error = %v", err)
	}
	if got := must(e.core.ListJobs(ctx, core.JobFilter{Tenant: ten})); len(got) != 1 || got[0].UUID != j.UUID {
		t.Fatalf("jobs of tenant = %+v", got)
	}

	// Kept 300 s after the end, then gone.
	e.clock.Advance(299 * time.Second)
	must(e.core.GetJob(ctx, j.UUID))
	e.clock.Advance(2 * time.Second)
	_, err = e.core.GetJob(ctx, j.UUID)
	wantReason(t, "expired", err, errs.NotFound, core.ReasonJobNotFound)
	_, err = e.core.GetJobByID(ctx, j.ID)
	wantReason(t, "expired by id", err, errs.NotFound, core.ReasonJobNotFound)
	if got := must(e.core.ListJobs(ctx, core.JobFilter{})); len(got) != 0 {
		t.Fatalf("expired jobs listed: %+v", got)
	}
}

// TestJobs_interrupted: a job a previous process left running ends in
// failure when the core opens; a job running at Close ends in failure too.
func TestJobs_interrupted(t *testing.T) {
	now := time.Now().UTC()
	stale := core.Job{Schema: 1, UUID: "0b5c1d7e-0000-4000-8000-000000000001", ID: 77, Description: "POST /x",
		State: core.JobRunning, Created: now, Start: now}
	e := newEnvSeeded(t, func(st kvStore) {
		b, _ := json.Marshal(&stale)
		err := st.Update(ctx, func(tx kv.Txn) error { return tx.Set(append([]byte{'j'}, stale.UUID...), b) })
		if err != nil {
			t.Fatal(err)
		}
	})
	r := must(e.core.GetJob(ctx, stale.UUID))
	if r.State != core.JobFailure || !errors.Is(r.Err(), core.ReasonJobInterrupted) || r.End.IsZero() || r.Message == "" {
		t.Fatalf("stale job = %+v", r)
	}

	c2 := e.openCore()
	started := make(chan struct{})
	j := must(c2.SubmitJob(ctx, core.JobSpec{Description: "long"}, func(ctx context.Context, p core.JobProgress) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}))
	<-started
	c2.Close()
	r = must(e.core.GetJob(ctx, j.UUID))
	if r.State != core.JobFailure || !errors.Is(r.Err(), core.ReasonJobInterrupted) {
		t.Fatalf("job at shutdown = %+v", r)
	}
}
