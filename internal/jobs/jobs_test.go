package jobs_test

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

var ctx = context.Background()

func openStore(t *testing.T) kv.Store {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(t.TempDir(), "meta")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// nextID is a kv counter, as the core allocates job ids.
func nextID(tx kv.Txn) (int64, error) {
	k := []byte("ijob")
	var n uint64
	v, err := tx.Get(k)
	if err == nil {
		n = binary.BigEndian.Uint64(v)
	} else if !errors.Is(err, kv.ErrNotFound) {
		return 0, err
	}
	n++
	return int64(n), tx.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

// runner is a started Runner for node name on st (stopped at cleanup).
func runner(t *testing.T, st kv.Store, name string, lease time.Duration) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(jobs.Options{Store: st, JobPrefix: 'j', IDPrefix: 'q', NextID: nextID,
		Node: name, Holder: name + "/1", Workers: 2, Retention: time.Minute, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

func TestOptionsValidate(t *testing.T) {
	st := openStore(t)
	good := jobs.Options{Store: st, JobPrefix: 'j', IDPrefix: 'q', NextID: nextID, Node: "n", Holder: "n/1",
		Workers: 1, Retention: time.Second, Lease: time.Second}
	if _, err := jobs.New(good); err != nil {
		t.Fatalf("good options refused: %v", err)
	}
	for _, bad := range []func(*jobs.Options){
		func(o *jobs.Options) { o.Store = nil },
		func(o *jobs.Options) { o.IDPrefix = 'j' },
		func(o *jobs.Options) { o.Holder = "" },
		func(o *jobs.Options) { o.Workers = 0 },
		func(o *jobs.Options) { o.Lease = 0 },
	} {
		o := good
		bad(&o)
		if _, err := jobs.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// A job runs, reports progress, ends with its result or its error (kind and
// reason kept), and is found by uuid, by id and in the list.
func TestSubmitWaitGetList(t *testing.T) {
	r := runner(t, openStore(t), "node-a", time.Second)
	ok, err := r.Submit(ctx, jobs.Spec{Description: "ok", Tenant: "t1"}, func(ctx context.Context, p jobs.Progress) (string, error) {
		p.Update(50, "half")
		return "done", nil
	})
	if err != nil || ok.State != jobs.Queued || ok.ID != 1 {
		t.Fatalf("submitted %+v %v", ok, err)
	}
	bad, err := r.Submit(ctx, jobs.Spec{Description: "bad"}, func(context.Context, jobs.Progress) (string, error) {
		return "", errs.Fail(errs.InvalidArgument, "x.bad", "field", "bad input")
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Wait(ctx, ok.UUID, 10*time.Second)
	if err != nil || got.State != jobs.Success || got.Result != "done" || got.Percent != 100 || got.Node != "node-a" {
		t.Fatalf("finished job %+v %v", got, err)
	}
	got, err = r.Wait(ctx, bad.UUID, 10*time.Second)
	if err != nil || got.State != jobs.Failure || errs.KindOf(got.Err()) != errs.InvalidArgument ||
		errs.ReasonOf(got.Err()) != "x.bad" || got.Error.Field != "field" {
		t.Fatalf("failed job %+v %v", got, err)
	}
	if byID, err := r.GetByID(ctx, bad.ID); err != nil || byID.UUID != bad.UUID {
		t.Fatalf("GetByID: %+v %v", byID, err)
	}
	if l, err := r.List(ctx, jobs.Filter{Tenant: "t1"}); err != nil || len(l) != 1 || l[0].UUID != ok.UUID {
		t.Fatalf("List(tenant t1): %+v %v", l, err)
	}
	if _, err := r.Get(ctx, "no-such-job"); !errors.Is(err, jobs.ReasonNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
}

// A resumable job whose node dies is resumed by another node from its last
// checkpoint; a closure job of the dead node is failed as interrupted.
func TestResumedOnAnotherNode(t *testing.T) {
	st := openStore(t)
	a, b := runner(t, st, "node-a", 300*time.Millisecond), runner(t, st, "node-b", 300*time.Millisecond)
	var runs atomic.Int32
	reached := make(chan struct{})
	work := func(ctx context.Context, run *jobs.Run) (string, error) {
		runs.Add(1)
		if run.Checkpoint == "" {
			if err := run.Save(ctx, "step-1"); err != nil {
				return "", err
			}
			close(reached)
			<-ctx.Done() // node A "dies" here
			return "", ctx.Err()
		}
		return "resumed from " + run.Checkpoint + " on a resumed run: " + map[bool]string{true: "yes", false: "no"}[run.Resumed], nil
	}
	a.RegisterKind("count", work)
	b.RegisterKind("count", work)
	j, err := a.SubmitResumable(ctx, jobs.Spec{Description: "resumable"}, "count", map[string]int{"n": 3})
	if err != nil {
		t.Fatal(err)
	}
	closure, err := a.Submit(ctx, jobs.Spec{Description: "closure"}, func(ctx context.Context, _ jobs.Progress) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	<-reached
	a.Crash()
	got, err := b.Wait(ctx, j.UUID, 10*time.Second)
	if err != nil || got.State != jobs.Success || got.Node != "node-b" || !strings.HasPrefix(got.Result, "resumed from step-1") ||
		!strings.HasSuffix(got.Result, "yes") || runs.Load() != 2 {
		t.Fatalf("resumable job after its node died: %+v %v (runs %d)", got, err, runs.Load())
	}
	if string(got.Params) != `{"n":3}` {
		t.Fatalf("params %s", got.Params)
	}
	got, err = b.Wait(ctx, closure.UUID, 10*time.Second)
	if err != nil || got.State != jobs.Failure || !errors.Is(got.Err(), jobs.ReasonInterrupted) || !strings.Contains(got.Message, "node-a") {
		t.Fatalf("closure job after its node died: %+v %v", got, err)
	}
}

// Stop fails a queued or running closure job as interrupted, and nothing
// runs after it (Go reports false).
func TestStopInterruptsAndRefuses(t *testing.T) {
	st := openStore(t)
	r, err := jobs.New(jobs.Options{Store: st, JobPrefix: 'j', IDPrefix: 'q', NextID: nextID,
		Node: "n", Holder: "n/1", Workers: 1, Retention: time.Minute, Lease: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	started := make(chan struct{})
	j, err := r.Submit(ctx, jobs.Spec{Description: "long"}, func(ctx context.Context, _ jobs.Progress) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	r.Stop()
	got, err := r.Get(ctx, j.UUID)
	if err != nil || got.State != jobs.Failure || !errors.Is(got.Err(), jobs.ReasonInterrupted) {
		t.Fatalf("after Stop: %+v %v", got, err)
	}
	if r.Go(func(context.Context) { t.Error("ran after Stop") }) {
		t.Fatal("Go accepted work after Stop")
	}
}
