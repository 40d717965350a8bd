package core_test

import (
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// The management plane's jobs resume on another node and repeat no work
// the dead run committed: node A is stuck in a job's first step (an hour,
// Options.JobStepDelay) when it dies, after what the step would do was
// committed (the test commits it through node B, as A's run would have
// just before its checkpoint). Node B takes the job over once A's lease
// expires: a bucket creation adopts the bucket made after the job was
// submitted instead of failing on the duplicate, and a deletion whose
// bucket is already gone succeeds.
func TestMultiNodeManagementJobsResume(t *testing.T) {
	const lease = 300 * time.Millisecond
	stuck := nodeOpts{jobLease: lease, tweak: func(o *core.Options) { o.JobStepDelay = time.Hour }}
	c := newCluster(t, 1, stuck)
	a := c.nodes[0]
	b := c.add("node-b", nodeOpts{jobLease: lease})
	tenant := c.boot.Tenant.UUID

	job, err := a.core.SubmitCreateBuckets(ctx, core.JobSpec{Tenant: tenant, Description: "create two buckets"},
		[]core.CreateBucketInput{{Tenant: tenant, Name: "mj-first"}, {Tenant: tenant, Name: "mj-second"}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := b.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: tenant, Name: "mj-first"})
	if err != nil {
		t.Fatal(err)
	}
	if j, _ := b.core.GetJob(ctx, job.UUID); j.Terminal() || j.Node != "node-a" {
		t.Fatalf("job before node A died: %+v", j)
	}
	a.core.SimulateCrash()
	got, err := b.core.WaitJob(ctx, job.UUID, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.core.GetBucket(ctx, tenant, "mj-second")
	if err != nil {
		t.Fatalf("second bucket after the resumed job: %v (job %+v)", err, got)
	}
	if got.State != core.JobSuccess || got.Node != "node-b" || got.Result != first.UUID+","+second.UUID {
		t.Fatalf("resumed creation: %+v, want success on node-b with result %s,%s", got, first.UUID, second.UUID)
	}

	// A deletion: node C is stuck in its step when it dies, the bucket
	// already deleted.
	cn := c.add("node-c", stuck)
	del, err := cn.core.SubmitDeleteBucket(ctx, core.JobSpec{Tenant: tenant, Description: "delete"}, second, "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.core.DeleteBucket(ctx, tenant, "mj-second"); err != nil {
		t.Fatal(err)
	}
	cn.core.SimulateCrash()
	got, err = b.core.WaitJob(ctx, del.UUID, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != core.JobSuccess || got.Node != "node-b" {
		t.Fatalf("resumed deletion of a bucket already gone: %+v (%v)", got, got.Err())
	}
	// Without a crash, the same deletion is refused as it should be.
	fresh, err := b.core.SubmitDeleteBucket(ctx, core.JobSpec{Tenant: tenant, Description: "delete again"}, second, "default")
	if err != nil {
		t.Fatal(err)
	}
	got, err = b.core.WaitJob(ctx, fresh.UUID, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != core.JobFailure || errs.KindOf(got.Err()) != errs.NoSuchBucket {
		t.Fatalf("deletion of a missing bucket, not resumed: %+v, want NoSuchBucket", got)
	}
}
