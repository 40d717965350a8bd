package core_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/core"
	"coffer/internal/kv"
	"coffer/internal/lifecycle"
	"coffer/internal/objects"
)

// cursorGate is node A's view of the shared store: once a lifecycle cursor
// has been saved it signals reached and holds that Update (after its
// commit) until release is closed, so the pass stands still mid-bucket
// while its lease is renewed.
type cursorGate struct {
	kv.Store
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

type cursorTxn struct {
	kv.Txn
	cursor bool
}

func (t *cursorTxn) Set(k, v []byte) error {
	if bytes.HasPrefix(k, []byte("lc\x00")) {
		t.cursor = true
	}
	return t.Txn.Set(k, v)
}

func (g *cursorGate) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	var cursor bool
	err := g.Store.Update(ctx, func(tx kv.Txn) error {
		ct := &cursorTxn{Txn: tx}
		err := fn(ct)
		cursor = ct.cursor
		return err
	})
	if err == nil && cursor {
		first := false
		g.once.Do(func() { first = true; close(g.reached) })
		if first {
			<-g.release
		}
	}
	return err
}

// A lifecycle pass runs on one node only: while node A runs it (held in
// the middle of a bucket), node B is refused, again and again; when node A
// dies (no more lease renewals), node B is still refused until the lease
// expires, then runs the pass, resuming the bucket at node A's cursor, and
// node A's job is failed as interrupted.
func TestMultiNodeLifecycleLease(t *testing.T) {
	const lease = 300 * time.Millisecond
	const keys, batch = 40, 10
	gate := &cursorGate{reached: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	c := newCluster(t, 2, nodeOpts{jobLease: lease, tweak: func(o *core.Options) {
		o.LifecycleInterval = -1 // passes start only when the test asks
		o.LifecycleBatch = batch
		o.Day = time.Millisecond
		if o.NodeName == "node-a" {
			once.Do(func() { gate.Store = o.KV; o.KV = gate })
		}
	}})
	a, b := c.nodes[0], c.nodes[1]
	tenant := c.boot.Tenant.UUID
	if _, err := a.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: "lc-lease"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < keys; i++ {
		data := []byte(fmt.Sprint("data ", i))
		r, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.obj.PutObject(ctx, objects.PutInput{Tenant: tenant, Bucket: "lc-lease", Key: fmt.Sprintf("k%03d", i), Body: r, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := lifecycle.Parse([]byte(`<LifecycleConfiguration><Rule><ID>all</ID><Filter></Filter><Status>Enabled</Status>`+
		`<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.core.PutBucketLifecycle(ctx, tenant, "lc-lease", cfg); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a lifecycle day

	ja, started, err := a.core.StartLifecycle(ctx)
	if err != nil || !started {
		t.Fatalf("node A: started %v, %v", started, err)
	}
	select {
	case <-gate.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("node A's pass saved no cursor")
	}
	// Node A holds the lease and renews it: node B never starts a pass,
	// nor does node A start a second one.
	for end := time.Now().Add(3 * lease); time.Now().Before(end); time.Sleep(lease / 6) {
		for _, nd := range []*mnode{a, b} {
			if _, started, err := nd.core.StartLifecycle(ctx); err != nil || started {
				t.Fatalf("%s started a second pass while node A runs one (%v)", nd.name, err)
			}
		}
	}
	if l, err := b.core.Leases().Get(ctx, "lifecycle"); err != nil || l.Node != "node-a" {
		t.Fatalf("lifecycle lease %+v %v", l, err)
	}

	died := time.Now()
	a.core.SimulateCrash()
	close(gate.release)
	var jb core.Job
	within(t, 10*time.Second, "node B takes the pass over", func() bool {
		j, started, err := b.core.StartLifecycle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if started {
			jb = j
		}
		return started
	})
	if d := time.Since(died); d < lease/2 {
		t.Fatalf("node B started a pass %v after node A died: before the %v lease could expire", d, lease)
	}
	jb, err = b.core.WaitJob(ctx, jb.UUID, 10*time.Second)
	if err != nil || jb.State != core.JobSuccess || jb.Node != "node-b" {
		t.Fatalf("node B's pass: %+v %v", jb, err)
	}
	// Node A expired the first batch and saved its cursor: node B resumes
	// after it, so it examines and expires only the rest.
	want := fmt.Sprintf("%d examined, %d expired", keys-batch, keys-batch)
	if !strings.Contains(jb.Result, want) {
		t.Fatalf("node B's pass %q, want %q (resumed at node A's cursor)", jb.Result, want)
	}
	out, err := b.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: tenant, Bucket: "lc-lease", MaxKeys: 1000})
	if err != nil || len(out.Versions) != 0 {
		t.Fatalf("left after the pass: %d versions, %v", len(out.Versions), err)
	}
	// The pass is done: within the interval nobody starts another.
	if _, started, err := b.core.StartLifecycle(ctx); err != nil || started {
		t.Fatalf("a pass right after a completed one: %v %v", started, err)
	}
	aj, err := b.core.WaitJob(ctx, ja.UUID, 10*time.Second)
	if err != nil || aj.State != core.JobFailure || !strings.Contains(aj.Message, "node-a") {
		t.Fatalf("node A's pass after node A died: %+v %v", aj, err)
	}
}
