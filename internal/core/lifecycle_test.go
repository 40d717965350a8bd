package core

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kv/pebble"
	"coffer/internal/lifecycle"
	"coffer/internal/objects"
	"coffer/internal/testkit"
)

// Lifecycle over a real Pebble store and object layer, with a settable
// clock, a one-hour day and batches of 10, restartable on the same
// directory.

type lcEnv struct {
	t      *testing.T
	dir    string
	clock  *testkit.Clock
	store  *pebble.Store
	obj    *objects.Service
	s      *Service
	tenant string
}

const lcDay = time.Hour

func lcNew(t *testing.T) *lcEnv {
	e := &lcEnv{t: t, dir: t.TempDir(), clock: testkit.NewClock(time.Now().UTC())}
	e.open()
	boot, err := e.s.Bootstrap(vtCtx, BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	e.tenant = boot.Tenant.UUID
	t.Cleanup(e.close)
	return e
}

func (e *lcEnv) open() {
	t := e.t
	var err error
	if e.store, err = pebble.Open(pebble.Options{Dir: filepath.Join(e.dir, "meta")}); err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(e.dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	if e.obj, err = objects.New(objects.Options{KV: e.store, Blobs: bl, Now: e.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if e.s, err = New(Options{KV: e.store, Objects: e.obj, Now: e.clock.Now, PasswordIterations: 1000,
		ClusterName: "cluster1", Day: lcDay, LifecycleInterval: -1, LifecycleBatch: 10}); err != nil {
		t.Fatal(err)
	}
}

func (e *lcEnv) close() {
	if e.s == nil {
		return
	}
	e.s.Close()
	e.obj.Close()
	e.store.Close()
	e.s = nil
}

// restart closes and reopens everything on the same directory.
func (e *lcEnv) restart() {
	e.close()
	e.open()
}

func (e *lcEnv) bucket(name string, versioned bool) {
	e.t.Helper()
	in := objects.CreateBucketInput{Tenant: e.tenant, Name: name}
	if versioned {
		in.Versioning = objects.VersioningEnabled
	}
	if _, err := e.obj.CreateBucket(vtCtx, in); err != nil {
		e.t.Fatal(err)
	}
}

func (e *lcEnv) rules(bucket, xml string) {
	e.t.Helper()
	c, err := lifecycle.Parse([]byte(`<LifecycleConfiguration>`+xml+`</LifecycleConfiguration>`), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.PutBucketLifecycle(vtCtx, e.tenant, bucket, c); err != nil {
		e.t.Fatal(err)
	}
}

func (e *lcEnv) put(bucket, key string) {
	e.t.Helper()
	(&vtEnv{t: e.t, obj: e.obj, tenant: e.tenant}).put(bucket, key, "data of "+key)
}

// listing is "key[(dm)]" per version, keys ascending, newest first.
func (e *lcEnv) listing(bucket string) string {
	e.t.Helper()
	var l []string
	in := objects.ListVersionsInput{Tenant: e.tenant, Bucket: bucket, MaxKeys: 1000}
	for {
		out, err := e.obj.ListObjectVersions(vtCtx, in)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, v := range out.Versions {
			s := v.Key
			if v.DeleteMarker {
				s += "(dm)"
			}
			l = append(l, s)
		}
		if !out.IsTruncated {
			return strings.Join(l, " ")
		}
		in.KeyMarker, in.VersionIDMarker = out.NextKeyMarker, out.NextVersionIDMarker
	}
}

func (e *lcEnv) run(bucket string) LifecycleResult {
	e.t.Helper()
	res, err := e.s.RunBucketLifecycle(vtCtx, e.tenant, bucket, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

const rule = `<Rule><ID>%s</ID><Filter><Prefix>%s</Prefix></Filter><Status>Enabled</Status>%s</Rule>`

func TestLifecycle_expireCurrentResumesAfterRestart(t *testing.T) {
	e := lcNew(t)
	e.bucket("flat", false)
	for i := 0; i < 95; i++ {
		e.put("flat", fmt.Sprintf("logs/%03d", i))
	}
	for i := 0; i < 5; i++ {
		e.put("flat", fmt.Sprintf("keep/%d", i))
	}
	e.rules("flat", fmt.Sprintf(rule, "logs", "logs/", `<Expiration><Days>1</Days></Expiration>`))
	if res := e.run("flat"); res.Expired != 0 || res.Examined != 100 {
		t.Fatalf("before a day: %+v", res)
	}
	e.clock.Advance(3 * lcDay)
	// Stop after three batches, as a kill or a shutdown would.
	calls := 0
	stop := errors.New("stop")
	first, err := e.s.RunBucketLifecycle(vtCtx, e.tenant, "flat", func() error {
		if calls++; calls > 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || first.Examined != 30 || first.Expired != 25 {
		t.Fatalf("interrupted walk: %+v %v", first, err)
	}
	e.restart()
	second := e.run("flat")
	if second.Examined != 70 || second.Expired != 70 {
		t.Fatalf("the walk did not resume where it stopped: %+v", second)
	}
	if got := e.listing("flat"); got != "keep/0 keep/1 keep/2 keep/3 keep/4" {
		t.Fatalf("left: %q", got)
	}
	// The cursor is gone: a new walk starts from the beginning.
	if res := e.run("flat"); res.Examined != 5 {
		t.Fatalf("next walk: %+v", res)
	}
	// x-amz-expiration's computation agrees with the job's.
	c, err := e.s.GetBucketLifecycle(vtCtx, e.tenant, "flat")
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC)
	if x, ok := c.CurrentExpiry(lifecycle.Object{Key: "logs/x"}, mtime, lcDay); !ok || !x.At.Equal(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("expiry %+v", x)
	}
}

func TestLifecycle_noncurrentKeepsNewer(t *testing.T) {
	e := lcNew(t)
	e.bucket("ver", true)
	// "big" has 25 versions: its walk straddles three batches of 10.
	for i := 0; i < 25; i++ {
		e.put("ver", "big")
		e.put("ver", "small")
		e.clock.Advance(time.Minute)
	}
	e.put("ver", "other/x")
	e.put("ver", "other/x")
	e.rules("ver", fmt.Sprintf(rule, "nc", "", `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>`))
	if res := e.run("ver"); res.NoncurrentRemoved != 0 {
		t.Fatalf("too early: %+v", res)
	}
	e.clock.Advance(2 * lcDay)
	res := e.run("ver")
	if res.NoncurrentRemoved != 44 {
		t.Fatalf("removed %d, want 2x22: %+v (%s)", res.NoncurrentRemoved, res, e.listing("ver"))
	}
	if got := e.listing("ver"); got != "big big big other/x other/x small small small" {
		t.Fatalf("left %q", got)
	}
}

func TestLifecycle_deleteMarkersAndCurrentInVersionedBucket(t *testing.T) {
	e := lcNew(t)
	e.bucket("dms", true)
	del := func(key string) {
		if _, err := e.obj.DeleteObject(vtCtx, objects.DeleteInput{Tenant: e.tenant, Bucket: "dms", Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	del("lonely") // a delete marker and nothing else
	e.put("dms", "hidden")
	del("hidden") // a marker over a version: kept
	e.put("dms", "exp/a")
	e.rules("dms", fmt.Sprintf(rule, "eodm", "", `<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`)+
		fmt.Sprintf(rule, "exp", "exp/", `<Expiration><Days>1</Days></Expiration>`))
	res := e.run("dms")
	if res.MarkersRemoved != 1 || res.Expired != 0 {
		t.Fatalf("%+v", res)
	}
	if got := e.listing("dms"); got != "exp/a hidden(dm) hidden" {
		t.Fatalf("left %q", got)
	}
	e.clock.Advance(2 * lcDay)
	if res := e.run("dms"); res.Expired != 1 {
		t.Fatalf("%+v", res)
	}
	// Expiring in a versioned bucket adds a delete marker.
	if got := e.listing("dms"); got != "exp/a(dm) exp/a hidden(dm) hidden" {
		t.Fatalf("left %q", got)
	}
}

func TestLifecycle_abortsStaleUploads(t *testing.T) {
	e := lcNew(t)
	e.bucket("mpu", false)
	for i := 0; i < 13; i++ {
		if _, err := e.obj.CreateMultipartUpload(vtCtx, objects.CreateUploadInput{Tenant: e.tenant, Bucket: "mpu", Key: fmt.Sprintf("up/%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(3 * lcDay)
	fresh, err := e.obj.CreateMultipartUpload(vtCtx, objects.CreateUploadInput{Tenant: e.tenant, Bucket: "mpu", Key: "up/fresh"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.obj.CreateMultipartUpload(vtCtx, objects.CreateUploadInput{Tenant: e.tenant, Bucket: "mpu", Key: "other"}); err != nil {
		t.Fatal(err)
	}
	e.rules("mpu", fmt.Sprintf(rule, "abort", "up/", `<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>`))
	res := e.run("mpu")
	if res.UploadsAborted != 13 || res.Examined != 15 {
		t.Fatalf("%+v", res)
	}
	out, err := e.obj.ListMultipartUploads(vtCtx, objects.ListUploadsInput{Tenant: e.tenant, Bucket: "mpu"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 2 || out.Uploads[1].UploadID != fresh.UploadID {
		t.Fatalf("left %+v", out.Uploads)
	}
}

func TestLifecycle_job(t *testing.T) {
	e := lcNew(t)
	e.bucket("job", false)
	e.put("job", "a")
	if _, started, err := e.s.StartLifecycle(vtCtx); err != nil || started {
		t.Fatalf("no bucket has rules: %v %v", started, err)
	}
	e.rules("job", fmt.Sprintf(rule, "all", "", `<Expiration><Days>1</Days></Expiration>`))
	e.clock.Advance(2 * lcDay)
	j, started, err := e.s.StartLifecycle(vtCtx)
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	if _, again, _ := e.s.StartLifecycle(vtCtx); again {
		t.Fatal("a second pass within the interval")
	}
	j, err = e.s.WaitJob(vtCtx, j.UUID, 10*time.Second)
	if err != nil || j.State != JobSuccess || j.Operation != "Lifecycle" || !strings.Contains(j.Result, "1 expired") {
		t.Fatalf("job %+v %v", j, err)
	}
	if got := e.listing("job"); got != "" {
		t.Fatalf("left %q", got)
	}
	if _, ok, err := e.s.JobInfo(vtCtx, j.ID); err != nil || !ok {
		t.Fatalf("the pass is a vault-plane job (killable, listed by client): %v %v", ok, err)
	}
	// One rule changed in place, as the ONTAP face does.
	err = e.s.UpdateBucketLifecycle(vtCtx, e.tenant, "job", func(c *lifecycle.Config) (*lifecycle.Config, error) {
		c.Rules = append(c.Rules, lifecycle.Rule{ID: "mpu", Status: lifecycle.Enabled, AbortUpload: &lifecycle.AbortUpload{DaysAfterInitiation: 1}})
		return c, nil
	})
	if c, _ := e.s.GetBucketLifecycle(vtCtx, e.tenant, "job"); err != nil || len(c.Rules) != 2 {
		t.Fatalf("UpdateBucketLifecycle: %v", err)
	}
	err = e.s.UpdateBucketLifecycle(vtCtx, e.tenant, "job", func(c *lifecycle.Config) (*lifecycle.Config, error) {
		c.Rules[1].AbortUpload.DaysAfterInitiation = 0
		return c, nil
	})
	if c, _ := e.s.GetBucketLifecycle(vtCtx, e.tenant, "job"); errs.KindOf(err) != errs.InvalidArgument || c.Rules[1].AbortUpload.DaysAfterInitiation != 1 {
		t.Fatalf("an invalid update must change nothing: %v", err)
	}
	if err := e.s.PutBucketLifecycle(vtCtx, e.tenant, "job", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.GetBucketLifecycle(vtCtx, e.tenant, "job"); err == nil {
		t.Fatal("deleted configuration still there")
	}
}

// A noncurrent version under an Object Lock retention is skipped (counted
// as locked) while the retention lasts, and removed by the first pass
// after it ends.
func TestLifecycle_skipsLockedVersions(t *testing.T) {
	e := lcNew(t)
	if _, err := e.obj.CreateBucket(vtCtx, objects.CreateBucketInput{Tenant: e.tenant, Name: "locked",
		ObjectLock: &objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockCompliance, DefaultDays: 10}}); err != nil {
		t.Fatal(err)
	}
	e.put("locked", "doc")
	e.clock.Advance(time.Minute)
	e.put("locked", "doc")
	e.rules("locked", fmt.Sprintf(rule, "nc", "", `<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>`))
	e.clock.Advance(2 * lcDay)
	res := e.run("locked")
	if res.NoncurrentRemoved != 0 || res.Locked != 1 {
		t.Fatalf("within the retention: %+v", res)
	}
	if got := e.listing("locked"); got != "doc doc" {
		t.Fatalf("within the retention, left %q", got)
	}
	e.clock.Advance(11 * 24 * time.Hour) // retention days are real days, whatever the test day
	if res := e.run("locked"); res.NoncurrentRemoved != 1 || res.Locked != 0 {
		t.Fatalf("after the retention: %+v", res)
	}
	if got := e.listing("locked"); got != "doc" {
		t.Fatalf("after the retention, left %q", got)
	}
}
