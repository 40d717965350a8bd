package vaults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
	"coffer/internal/nodes"
	"coffer/internal/objects"
	"coffer/internal/policy"
	"coffer/internal/testkit"
	"coffer/internal/vaults"
)

// The vault plane's records and jobs on real parts: Pebble, the object
// layer, a job runner and the node registry on one store, as the core
// wires them.

var ctx = context.Background()

const tenant = "tenant-1"

type env struct {
	t       *testing.T
	v       *vaults.Service
	obj     *objects.Service
	jobs    *jobs.Runner
	nodes   *nodes.Registry
	clock   *testkit.Clock // shared by every part of an env (and their goroutines)
	changed int
}

// counter is a kv counter under "i"+name, as the core draws its int ids.
func counter(tx kv.Txn, name string) (int64, error) {
	k := []byte("i" + name)
	var n int64
	if ok, err := kv.GetJSON(tx, k, &n); err != nil {
		return 0, err
	} else if !ok {
		n = 0
	}
	n++
	return n, kv.SetJSON(tx, k, n)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := testkit.NewClock(time.Now().UTC())
	store := testkit.NewStore(t, c.Now)
	st, obj := store.KV, store.Objects
	runner, err := jobs.New(jobs.Options{Store: st, JobPrefix: 'j', IDPrefix: 'q',
		NextID: func(tx kv.Txn) (int64, error) { return counter(tx, "job") },
		Node:   "n1", Holder: "n1/1", Workers: 2, Retention: time.Minute, Lease: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := nodes.New(nodes.Options{Store: st, Prefix: []byte{'v'}, Now: c.Now,
		NextID: func(tx kv.Txn) (int32, error) { n, err := counter(tx, "node"); return int32(n), err }})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, obj: obj, jobs: runner, nodes: reg, clock: c}
	e.v, err = vaults.New(vaults.Options{Store: st, Prefix: []byte{'v'}, Objects: obj, Jobs: runner, Nodes: reg,
		NextPlanID: func(tx kv.Txn) (int32, error) { n, err := counter(tx, "plan"); return int32(n), err },
		Changed:    func() { e.changed++ }, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	runner.RegisterKind(vaults.JobKindEndpoints, func(ctx context.Context, run *jobs.Run) (string, error) {
		var p vaults.EndpointParams
		if err := jsonParams(run, &p); err != nil {
			return "", err
		}
		return e.v.ConfigureEndpoints(ctx, run, p.Pairs, func() error { return e.v.CheckKill(ctx, run.ID) })
	})
	runner.RegisterKind(vaults.JobKindDataAging, e.v.RunDataAging)
	if err := runner.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	runner.Start()
	t.Cleanup(runner.Stop)
	return e
}

func jsonParams(run *jobs.Run, v any) error { return json.Unmarshal(run.Params, v) }

// must returns v, and panics (failing the test) on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func want(t *testing.T, what string, err error, kind errs.Kind, r errs.Reason) {
	t.Helper()
	if errs.KindOf(err) != kind || !errors.Is(err, r) {
		t.Fatalf("%s: got %v, want %v %s", what, err, kind, r)
	}
}

// vault creates a versioned bucket and binds it to plan as a vault.
func (e *env) vault(name string, plan int32) (objects.BucketInfo, vaults.Record) {
	e.t.Helper()
	b := must(e.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: name, Versioning: objects.VersioningEnabled}))
	rec := vaults.Record{Schema: vaults.RecordSchema, Tenant: tenant, Bucket: name, BucketUUID: b.UUID, BucketID: int32(b.ID),
		PlanID: plan, Created: e.clock.Now()}
	must(e.v.Bind(ctx, rec))
	return b, rec
}

func (e *env) put(bucket, key, data string, lock objects.LockSpec) {
	e.t.Helper()
	body, err := checksum.NewReader(bytes.NewReader([]byte(data)), checksum.Expect{})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.obj.PutObject(ctx, objects.PutInput{Tenant: tenant, Bucket: bucket, Key: key, Body: body,
		Size: int64(len(data)), Lock: lock}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) versions(bucket string) int {
	e.t.Helper()
	out := must(e.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1000}))
	return len(out.Versions)
}

func TestOptionsValidate(t *testing.T) {
	err := vaults.Options{}.Validate()
	for _, name := range []string{"Store", "Prefix", "Objects", "Jobs", "Nodes", "NextPlanID"} {
		if err == nil || !strings.Contains(err.Error(), "Options."+name) {
			t.Errorf("empty options: %v does not name %s", err, name)
		}
	}
}

func TestPlans(t *testing.T) {
	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "Gold"}))
	if p.ID != 1 || p.RetentionDays != vaults.DefaultRetentionDays || p.Type != vaults.PlanTypeServer {
		t.Fatalf("plan %+v", p)
	}
	_, err := e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "Gold"})
	want(t, "duplicate", err, errs.AlreadyExists, vaults.ReasonPlanExists)
	_, err = e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "x", RetentionDays: vaults.MaxRetentionDays + 1})
	want(t, "retention", err, errs.InvalidArgument, vaults.ReasonPlanRetention)
	_, err = e.v.GetPlanByName(ctx, "nope")
	want(t, "by name", err, errs.NotFound, vaults.ReasonPlanNotFound)

	// A live vault holds its plan; once its bucket is gone, it does not.
	e.vault("uses-gold", p.ID)
	want(t, "in use", e.v.DeletePlan(ctx, p.ID), errs.InUse, vaults.ReasonPlanInUse)
	if u := must(e.v.PlanUsage(ctx)); u[p.ID] != 1 {
		t.Fatalf("usage %v", u)
	}
	if err := e.obj.DeleteBucket(ctx, tenant, "uses-gold"); err != nil {
		t.Fatal(err)
	}
	if err := e.v.DeletePlan(ctx, p.ID); err != nil {
		t.Fatalf("delete a plan whose vault is gone: %v", err)
	}
	if l := must(e.v.ListPlans(ctx)); len(l) != 0 {
		t.Fatalf("plans left: %+v", l)
	}
	// Binding a vault to a deleted plan fails.
	b := must(e.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: "late"}))
	_, err = e.v.Bind(ctx, vaults.Record{Tenant: tenant, Bucket: "late", BucketUUID: b.UUID, PlanID: p.ID})
	want(t, "bind to a deleted plan", err, errs.NotFound, vaults.ReasonPlanNotFound)
}

func TestPlanWORMRules(t *testing.T) {
	days := func(n int) *int { return &n }
	on, off := true, false
	worm := vaults.Plan{Name: "w", RetentionDays: 30, WORM: true}
	for _, c := range []struct {
		name   string
		plan   vaults.Plan
		patch  vaults.PlanPatch
		reason errs.Reason
		days   int
	}{
		{"raise under the lock", worm, vaults.PlanPatch{RetentionDays: days(40)}, "", 40},
		{"lower under the lock", worm, vaults.PlanPatch{RetentionDays: days(29)}, vaults.ReasonPlanRetentionLocked, 0},
		{"turn the lock off", worm, vaults.PlanPatch{WORM: &off}, vaults.ReasonPlanWORMPermanent, 0},
		{"lower without the lock", vaults.Plan{RetentionDays: 30}, vaults.PlanPatch{RetentionDays: days(1)}, "", 1},
		{"lock and lower at once", vaults.Plan{RetentionDays: 30}, vaults.PlanPatch{WORM: &on, RetentionDays: days(1)}, vaults.ReasonPlanRetentionLocked, 0},
	} {
		got, err := vaults.ApplyPatch(c.plan, c.patch)
		if c.reason != "" {
			want(t, c.name, err, errs.InvalidArgument, c.reason)
			continue
		}
		if err != nil || got.RetentionDays != c.days {
			t.Errorf("%s: %+v %v, want %d days", c.name, got, err, c.days)
		}
	}
	want(t, "validate", vaults.ValidatePatch(vaults.PlanPatch{RetentionDays: days(0)}), errs.InvalidArgument, vaults.ReasonPlanRetention)

	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "p", RetentionDays: 10}))
	p = must(e.v.PatchPlan(ctx, p.ID, vaults.PlanPatch{WORM: &on, RetentionDays: days(20)}))
	if got := must(e.v.GetPlan(ctx, p.ID)); !got.WORM || got.RetentionDays != 20 {
		t.Fatalf("stored %+v", got)
	}
	_, err := e.v.PatchPlan(ctx, p.ID, vaults.PlanPatch{RetentionDays: days(5)})
	want(t, "stored plan lowered", err, errs.InvalidArgument, vaults.ReasonPlanRetentionLocked)
	_, err = e.v.PatchPlan(ctx, 99, vaults.PlanPatch{WORM: &on})
	want(t, "unknown plan", err, errs.NotFound, vaults.ReasonPlanNotFound)
}

func TestRecordsLiveAndPrune(t *testing.T) {
	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "p"}))
	_, rec := e.vault("vault-1", p.ID)
	e.vault("vault-2", p.ID)
	if live := must(e.v.Live(ctx, rec)); !live {
		t.Fatal("a vault just made is not live")
	}
	// Deleted and re-created under the same name: the old record binds nothing.
	if err := e.obj.DeleteBucket(ctx, tenant, "vault-1"); err != nil {
		t.Fatal(err)
	}
	must(e.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: "vault-1"}))
	if live := must(e.v.Live(ctx, rec)); live {
		t.Fatal("the record of a deleted bucket is live for its namesake")
	}
	if err := e.v.PruneRecords(ctx); err != nil {
		t.Fatal(err)
	}
	recs := must(e.v.Records(ctx, tenant))
	if len(recs) != 1 || recs[0].Bucket != "vault-2" {
		t.Fatalf("records after pruning: %+v", recs)
	}
	if _, ok, err := e.v.Record(ctx, "get", tenant, "vault-1"); err != nil || ok {
		t.Fatalf("pruned record still there: %v %v", ok, err)
	}
	// DeleteRecord spares a record of another bucket uuid.
	if err := e.v.DeleteRecord(ctx, "delete", tenant, "vault-2", "other-uuid"); err != nil {
		t.Fatal(err)
	}
	if len(must(e.v.Records(ctx, ""))) != 1 {
		t.Fatal("DeleteRecord removed the record of another bucket")
	}
}

func TestEndpointJob(t *testing.T) {
	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "p"}))
	b, _ := e.vault("vault-ep", p.ID)
	up := must(e.nodes.Register(ctx, nodes.RegisterInput{Name: "up", Interval: time.Hour}))
	down := must(e.nodes.Register(ctx, nodes.RegisterInput{Name: "down", Interval: time.Second}))
	e.clock.Advance(time.Minute) // down has missed its heartbeats; up has not
	pairs := []vaults.EndpointPair{{Tenant: tenant, Bucket: "vault-ep", UUID: b.UUID, Node: up.ID}, {Tenant: tenant, Bucket: "vault-ep", UUID: b.UUID, Node: down.ID}}
	j := must(e.v.SubmitEndpointJob(ctx, "configure", tenant, vaults.JobInfo{Clients: []int32{int32(b.ID)}}, pairs))
	j = must(e.jobs.Wait(ctx, j.UUID, 10*time.Second))
	if j.State != jobs.Failure || !errors.Is(j.Err(), nodes.ReasonDown) {
		t.Fatalf("job with a node down: %+v", j)
	}
	rec, ok, err := e.v.Record(ctx, "get", tenant, "vault-ep")
	if err != nil || !ok || len(rec.Endpoints) != 2 {
		t.Fatalf("record %+v %v %v", rec, ok, err)
	}
	if rec.Endpoints[0].State != vaults.EndpointActive || rec.Endpoints[1].State != vaults.EndpointFailed ||
		!strings.Contains(rec.Endpoints[1].Reason, "not running") {
		t.Fatalf("endpoints %+v", rec.Endpoints)
	}
	if e.changed == 0 {
		t.Fatal("endpoint changes were not reported to Changed")
	}
	// Only the active endpoint serves the vault; other buckets are served by every node.
	if err := e.v.CheckEndpoint(ctx, tenant, "vault-ep", "up"); err != nil {
		t.Fatalf("the active endpoint: %v", err)
	}
	err = e.v.CheckEndpoint(ctx, tenant, "vault-ep", "down")
	if errs.KindOf(err) != errs.AccessDenied || !strings.Contains(errs.Message(err), "Use one of its S3 endpoints: up.") {
		t.Fatalf("the failed endpoint: %v", err)
	}
	if err := e.v.CheckEndpoint(ctx, tenant, "no-such-bucket", "down"); err != nil {
		t.Fatalf("a bucket that is no vault: %v", err)
	}
	if info, ok := must2(e.v.JobInfo(ctx, j.ID)); !ok || info.Clients[0] != int32(b.ID) {
		t.Fatalf("job info %+v %v", info, ok)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

func TestKillJob(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	j := must(e.v.SubmitTracked(ctx, jobs.Spec{Description: "slow"}, vaults.JobInfo{ClientName: "x"},
		func(ctx context.Context, _ jobs.Progress, check func() error) (string, error) {
			close(started)
			for {
				if err := check(); err != nil {
					return "", err
				}
				time.Sleep(5 * time.Millisecond)
			}
		}))
	<-started
	if err := e.v.KillJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	done := must(e.jobs.Wait(ctx, j.UUID, 10*time.Second))
	if done.State != jobs.Failure || !errors.Is(done.Err(), vaults.ReasonJobKilled) {
		t.Fatalf("killed job %+v", done)
	}
	want(t, "finished", e.v.KillJob(ctx, j.ID), errs.InvalidArgument, vaults.ReasonJobFinished)
	other := must(e.jobs.Submit(ctx, jobs.Spec{Description: "not tracked"}, func(ctx context.Context, _ jobs.Progress) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}))
	want(t, "untracked", e.v.KillJob(ctx, other.ID), errs.InvalidArgument, vaults.ReasonJobNotKillable)
}

func TestAgingKeepsLockedAndCurrent(t *testing.T) {
	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "p", RetentionDays: 1}))
	lock := objects.ObjectLockConfig{Enabled: true}
	b := must(e.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: "aged", Versioning: objects.VersioningEnabled, ObjectLock: &lock}))
	must(e.v.Bind(ctx, vaults.Record{Schema: vaults.RecordSchema, Tenant: tenant, Bucket: "aged", BucketUUID: b.UUID, BucketID: int32(b.ID), PlanID: p.ID}))
	e.put("aged", "plain", "1", objects.LockSpec{})
	e.put("aged", "plain", "2", objects.LockSpec{})
	e.put("aged", "held", "1", objects.LockSpec{Mode: objects.LockCompliance, RetainUntil: e.clock.Now().Add(100 * 24 * time.Hour)})
	e.put("aged", "held", "2", objects.LockSpec{})
	e.clock.Advance(2 * time.Hour)
	res := must(e.v.AgeVault(ctx, tenant, "aged", time.Hour, nil))
	// plain/1 goes; held/1 is locked and stays; both current versions stay.
	if res.Examined != 4 || res.Removed != 1 || e.versions("aged") != 3 {
		t.Fatalf("aging %+v, %d versions left", res, e.versions("aged"))
	}
	// The scheduled job: claimed once per interval, whatever the node.
	j, started, err := e.v.StartDataAging(ctx, vaults.DataAgingInput{Node: "n1", Day: time.Hour, Every: time.Minute})
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	if _, again, _ := e.v.StartDataAging(ctx, vaults.DataAgingInput{Node: "n2", Day: time.Hour, Every: time.Minute}); again {
		t.Fatal("aging ran twice within its interval")
	}
	if j = must(e.jobs.Wait(ctx, j.UUID, 10*time.Second)); j.State != jobs.Success || !strings.Contains(j.Result, "3 versions examined") {
		t.Fatalf("aging job %+v", j)
	}
}

func TestEmptyAndPurge(t *testing.T) {
	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "p"}))
	e.vault("full", p.ID)
	if empty := must(e.v.Empty(ctx, tenant, "full")); !empty {
		t.Fatal("a new vault is not empty")
	}
	for _, k := range []string{"a", "a", "b"} {
		e.put("full", k, "x", objects.LockSpec{})
	}
	if _, err := e.obj.DeleteObject(ctx, objects.DeleteInput{Tenant: tenant, Bucket: "full", Key: "b"}); err != nil {
		t.Fatal(err)
	}
	if empty := must(e.v.Empty(ctx, tenant, "full")); empty {
		t.Fatal("a vault with versions is empty")
	}
	var progress []string
	n, err := e.v.Purge(ctx, tenant, "full", progressFunc(func(_ int, m string) { progress = append(progress, m) }), func() error { return nil })
	if err != nil || n != 4 || len(progress) == 0 {
		t.Fatalf("purge removed %d (%v), progress %q", n, err, progress)
	}
	if empty := must(e.v.Empty(ctx, tenant, "full")); !empty {
		t.Fatal("purged vault is not empty")
	}
	if err := e.obj.DeleteBucket(ctx, tenant, "full"); err != nil {
		t.Fatalf("delete the purged bucket: %v", err)
	}
	stop := errors.New("stop")
	if _, err := e.v.Purge(ctx, tenant, "full", progressFunc(func(int, string) {}), func() error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("check's error did not stop the purge: %v", err)
	}
}

type progressFunc func(int, string)

func (f progressFunc) Update(p int, m string) { f(p, m) }

func TestRolePolicy(t *testing.T) {
	var users []string
	for i := 0; i < 15; i++ {
		users = append(users, "u"+strings.Repeat("x", i))
	}
	doc := vaults.RolePolicy("b", users, []string{"ops"}, 10)
	if len(doc.Statements) != 2 || len(doc.Statements[1].Principals) != 6 ||
		doc.Statements[1].Principals[5] != "group/ops" || doc.Statements[1].Sid != vaults.RoleSid+"2" {
		t.Fatalf("role %+v", doc.Statements)
	}
	// An old role statement gains the current actions; others stay.
	old := policy.Document{Version: policy.Version2012, Statements: []policy.Statement{
		{Sid: vaults.RoleSid + "1", Effect: policy.EffectAllow, Principals: []string{"u"}, Actions: []string{"s3:GetObject"}},
		{Sid: "Mine", Effect: policy.EffectAllow, Principals: []string{"u"}, Actions: []string{"s3:GetObject"}},
	}}
	up, changed := vaults.UpgradeRole(&old)
	if !changed || len(up.Statements[0].Actions) != len(vaults.RoleActions) || len(up.Statements[1].Actions) != 1 {
		t.Fatalf("upgraded %+v", up.Statements)
	}
	if _, again := vaults.UpgradeRole(&up); again {
		t.Fatal("an upgraded role changed again")
	}
}

func TestResolve(t *testing.T) {
	e := newEnv(t)
	p := must(e.v.CreatePlan(ctx, vaults.CreatePlanInput{Name: "gold"}))
	if got := must(e.v.ResolvePlan(ctx, vaults.EntityRef{Name: "gold"})); got.ID != p.ID {
		t.Fatalf("by name: %+v", got)
	}
	_, err := e.v.ResolvePlan(ctx, vaults.EntityRef{ID: p.ID, Name: "silver"})
	want(t, "mismatch", err, errs.InvalidArgument, vaults.ReasonVaultPlanMismatch)
	_, err = e.v.ResolvePlan(ctx, vaults.EntityRef{})
	want(t, "none", err, errs.InvalidArgument, vaults.ReasonVaultPlanRequired)
	n := must(e.nodes.Register(ctx, nodes.RegisterInput{Name: "n1", Interval: time.Hour}))
	if got := must(e.v.ResolveNode(ctx, vaults.EntityRef{ID: n.ID}, "clientId")); got.Name != "n1" {
		t.Fatalf("node by id: %+v", got)
	}
	_, err = e.v.ResolveNode(ctx, vaults.EntityRef{Name: "n2"}, "clientId")
	want(t, "unknown node", err, errs.NotFound, nodes.ReasonNotFound)
	if e := (*errs.Error)(nil); !errors.As(err, &e) || e.Field != "clientId" {
		t.Fatalf("unknown node's field: %v", err)
	}
	_, err = e.v.ResolveNode(ctx, vaults.EntityRef{}, "clientId")
	want(t, "empty ref", err, errs.InvalidArgument, vaults.ReasonVaultRefInvalid)
}
