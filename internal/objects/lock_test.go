package objects

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/errs"
)

// clock is a test clock the object layer reads through Options.Now.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func lockEnv(t *testing.T) (*env, *clock) {
	c := newClock()
	e := newEnv(t, func(o *Options) { o.Now = c.now })
	return e, c
}

func (e *env) lockBucket(name string, cfg ObjectLockConfig) {
	e.t.Helper()
	cfg.Enabled = true
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: name, ObjectLock: &cfg}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) putLocked(bucket, key string, spec LockSpec) ObjectInfo {
	e.t.Helper()
	data := []byte("locked data of " + key)
	info, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: bucket, Key: key, Body: body(e.t, data), Size: int64(len(data)), Lock: spec})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

// The rules of lock.go as a table: each lock state × each operation that
// could remove or weaken it × who asks (the S3 adapter turns "header sent
// and s3:BypassGovernanceRetention granted" into bypass; the root user has
// every permission; the core's retention and lifecycle jobs never bypass).
func TestLockRulesTable(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	future, past := now.Add(24*time.Hour), now.Add(-time.Hour)
	rec := func(m LockMode, until time.Time, hold LegalHold) *lockRecord {
		l := &lockRecord{Mode: m, Hold: hold}
		if m != LockNone {
			l.Until = until.UnixMilli()
		}
		return l
	}
	type principal struct {
		name             string
		header, permited bool
	}
	principals := []principal{
		{"root with bypass header", true, true},
		{"root without header", false, true},
		{"user with header, no permission", true, false},
		{"user with permission, no header", false, true},
		{"retention job", false, false},
	}
	states := []struct {
		name string
		lock *lockRecord
		// removable: may the version be deleted (bypassing or not)?
		removable, removableBypass bool
	}{
		{"no lock", nil, true, true},
		{"governance, unexpired", rec(LockGovernance, future, ""), false, true},
		{"governance, expired", rec(LockGovernance, past, ""), true, true},
		{"compliance, unexpired", rec(LockCompliance, future, ""), false, false},
		{"compliance, expired", rec(LockCompliance, past, ""), true, true},
		{"legal hold on", rec(LockNone, time.Time{}, LegalHoldOn), false, false},
		{"legal hold off", rec(LockNone, time.Time{}, LegalHoldOff), true, true},
		{"governance + hold", rec(LockGovernance, future, LegalHoldOn), false, false},
		{"compliance expired + hold", rec(LockCompliance, past, LegalHoldOn), false, false},
	}
	for _, st := range states {
		for _, p := range principals {
			bypass := p.header && p.permited
			want := st.removable
			if bypass {
				want = st.removableBypass
			}
			err := checkRemoval(st.lock, now, bypass)
			if (err == nil) != want {
				t.Errorf("delete version, %s, %s: err %v, want allowed=%v", st.name, p.name, err, want)
			}
			if err != nil && (!errors.Is(err, ErrObjectLocked) || !errors.Is(err, errs.AccessDenied)) {
				t.Errorf("%s: error %v is not AccessDenied/ErrObjectLocked", st.name, err)
			}
		}
	}

	// Retention changes.
	longer, shorter := future.Add(time.Hour), future.Add(-time.Hour)
	changes := []struct {
		name    string
		old     *lockRecord
		mode    LockMode
		until   time.Time
		plain   bool // allowed without bypass
		bypassd bool // allowed with bypass
	}{
		{"set on unlocked", nil, LockCompliance, future, true, true},
		{"compliance lengthen", rec(LockCompliance, future, ""), LockCompliance, longer, true, true},
		{"compliance same date", rec(LockCompliance, future, ""), LockCompliance, future, true, true},
		{"compliance shorten", rec(LockCompliance, future, ""), LockCompliance, shorter, false, false},
		{"compliance remove", rec(LockCompliance, future, ""), LockNone, time.Time{}, false, false},
		{"compliance to governance", rec(LockCompliance, future, ""), LockGovernance, longer, false, false},
		{"compliance expired: anything", rec(LockCompliance, past, ""), LockGovernance, future, true, true},
		{"governance lengthen", rec(LockGovernance, future, ""), LockGovernance, longer, true, true},
		{"governance shorten", rec(LockGovernance, future, ""), LockGovernance, shorter, false, true},
		{"governance remove", rec(LockGovernance, future, ""), LockNone, time.Time{}, false, true},
		{"governance to compliance", rec(LockGovernance, future, ""), LockCompliance, longer, false, true},
		{"legal hold only: set retention", rec(LockNone, time.Time{}, LegalHoldOn), LockGovernance, future, true, true},
	}
	for _, c := range changes {
		for _, p := range principals {
			bypass := p.header && p.permited
			want := c.plain
			if bypass {
				want = c.bypassd
			}
			err := checkRetentionChange(c.old, c.mode, c.until, now, bypass)
			if (err == nil) != want {
				t.Errorf("retention %s, %s: err %v, want allowed=%v", c.name, p.name, err, want)
			}
		}
	}
}

func TestLockConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  ObjectLockConfig
		kind errs.Kind // Internal: valid
	}{
		{ObjectLockConfig{Enabled: true}, errs.Internal},
		{ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance, DefaultDays: 1}, errs.Internal},
		{ObjectLockConfig{Enabled: true, DefaultMode: LockCompliance, DefaultYears: 3}, errs.Internal},
		{ObjectLockConfig{}, errs.MalformedXML},
		{ObjectLockConfig{Enabled: true, DefaultMode: "WORM", DefaultDays: 1}, errs.MalformedXML},
		{ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance, DefaultDays: 1, DefaultYears: 1}, errs.MalformedXML},
		{ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance}, errs.MalformedXML},
		{ObjectLockConfig{Enabled: true, DefaultDays: 3}, errs.MalformedXML},
		{ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance, DefaultDays: -1}, errs.InvalidArgument},
		{ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance, DefaultYears: 101}, errs.InvalidArgument},
	} {
		err := c.cfg.Validate()
		if c.kind == errs.Internal {
			if err != nil {
				t.Errorf("%+v: %v", c.cfg, err)
			}
			continue
		}
		if errs.KindOf(err) != c.kind {
			t.Errorf("%+v: %v, want %v", c.cfg, err, c.kind)
		}
	}
}

func TestObjectLockBucket(t *testing.T) {
	e, _ := lockEnv(t)
	e.lockBucket("worm", ObjectLockConfig{})
	b, err := e.s.GetBucket(ctx, tenant, "worm")
	if err != nil || !b.ObjectLock.Enabled || b.Versioning != VersioningEnabled {
		t.Fatalf("lock bucket: %+v %v", b, err)
	}
	if err := e.s.SetVersioning(ctx, tenant, "worm", VersioningSuspended); !errors.Is(err, errs.InvalidBucketState) {
		t.Fatalf("suspend: %v", err)
	}
	susp := VersioningSuspended
	if _, err := e.s.UpdateBucket(ctx, tenant, "worm", BucketUpdate{Versioning: &susp}); !errors.Is(err, errs.InvalidBucketState) {
		t.Fatalf("suspend through UpdateBucket: %v", err)
	}
	// Enabling on an existing bucket needs versioning Enabled.
	e.bucket("plain")
	if err := e.s.PutObjectLockConfig(ctx, tenant, "plain", ObjectLockConfig{Enabled: true}); !errors.Is(err, errs.InvalidBucketState) {
		t.Fatalf("lock on unversioned: %v", err)
	}
	if _, err := e.s.GetObjectLockConfig(ctx, tenant, "plain"); !errors.Is(err, errs.ObjectLockConfigurationNotFound) {
		t.Fatalf("get on unlocked: %v", err)
	}
	if _, err := e.s.PutObjectRetention(ctx, PutRetentionInput{Tenant: tenant, Bucket: "plain", Key: "k",
		Mode: LockGovernance, RetainUntil: e.s.opts.Now().Add(time.Hour)}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("retention on unlocked bucket: %v", err)
	}
	e.put("plain", "k", []byte("x"))
	if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "plain", Key: "k2", Body: body(t, nil),
		Lock: LockSpec{LegalHold: LegalHoldOn}}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("lock header on unlocked bucket: %v", err)
	}
	if err := e.s.SetVersioning(ctx, tenant, "plain", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	cfg := ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance, DefaultDays: 2}
	if err := e.s.PutObjectLockConfig(ctx, tenant, "plain", cfg); err != nil {
		t.Fatalf("lock on versioned: %v", err)
	}
	got, err := e.s.GetObjectLockConfig(ctx, tenant, "plain")
	if err != nil || got != cfg {
		t.Fatalf("config %+v %v", got, err)
	}
	// The old null version has no retention; a new version gets the default.
	if l, _, err := e.s.GetObjectLock(ctx, tenant, "plain", "k", NullVersionID); err != nil || l.Mode != LockNone {
		t.Fatalf("null version lock %+v %v", l, err)
	}
	info := e.put("plain", "k", []byte("y"))
	want := info.LastModified.AddDate(0, 0, 2).Truncate(time.Millisecond)
	if info.Lock.Mode != LockGovernance || !info.Lock.RetainUntil.Equal(want) {
		t.Fatalf("default retention %+v, want until %v", info.Lock, want)
	}
	// Lock cannot be disabled.
	if err := e.s.PutObjectLockConfig(ctx, tenant, "plain", ObjectLockConfig{}); !errors.Is(err, errs.MalformedXML) {
		t.Fatalf("disable: %v", err)
	}
}

func TestObjectLockDeletes(t *testing.T) {
	e, clk := lockEnv(t)
	e.lockBucket("worm", ObjectLockConfig{})
	until := clk.now().Add(48 * time.Hour)
	comp := e.putLocked("worm", "c", LockSpec{Mode: LockCompliance, RetainUntil: until})
	gov := e.putLocked("worm", "g", LockSpec{Mode: LockGovernance, RetainUntil: until})
	held := e.putLocked("worm", "h", LockSpec{LegalHold: LegalHoldOn})
	if !comp.Lock.Locked(clk.now()) || comp.Lock.Mode != LockCompliance || !comp.Lock.RetainUntil.Equal(until.Truncate(time.Millisecond)) {
		t.Fatalf("put lock %+v", comp.Lock)
	}
	del := func(key, vid string, bypass bool) error {
		_, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "worm", Key: key, VersionID: vid, BypassGovernance: bypass})
		return err
	}
	for _, v := range []ObjectInfo{comp, held} {
		for _, bypass := range []bool{false, true} {
			if err := del(v.Key, v.VersionID, bypass); !errors.Is(err, ErrObjectLocked) {
				t.Fatalf("delete %s bypass=%v: %v", v.Key, bypass, err)
			}
		}
	}
	if err := del("g", gov.VersionID, false); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("delete governance without bypass: %v", err)
	}
	// Deleting the key only adds a delete marker; the version stays.
	out, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "worm", Key: "c"})
	if err != nil || !out.DeleteMarker {
		t.Fatalf("delete key: %+v %v", out, err)
	}
	if data, _, err := e.get("worm", "c", comp.VersionID); err != nil || len(data) == 0 {
		t.Fatalf("locked version after delete marker: %v", err)
	}
	// The marker itself can go.
	if err := del("c", out.VersionID, false); err != nil {
		t.Fatalf("delete marker: %v", err)
	}
	// The bucket cannot be deleted, and the management planes learn why.
	if err := e.s.DeleteBucket(ctx, tenant, "worm"); !errors.Is(err, errs.BucketNotEmpty) {
		t.Fatalf("delete bucket: %v", err)
	}
	if ok, err := e.s.HasLockedVersions(ctx, tenant, "worm"); err != nil || !ok {
		t.Fatalf("HasLockedVersions %v %v", ok, err)
	}
	// Governance yields to bypass.
	if err := del("g", gov.VersionID, true); err != nil {
		t.Fatalf("delete governance with bypass: %v", err)
	}
	// Retention ends: compliance versions may go; the legal hold stays
	// until it is lifted.
	clk.advance(49 * time.Hour)
	if err := del("c", comp.VersionID, false); err != nil {
		t.Fatalf("delete expired compliance: %v", err)
	}
	if err := del("h", held.VersionID, true); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("delete held: %v", err)
	}
	if _, err := e.s.PutObjectLegalHold(ctx, tenant, "worm", "h", held.VersionID, LegalHoldOff); err != nil {
		t.Fatal(err)
	}
	if l, _, err := e.s.GetObjectLock(ctx, tenant, "worm", "h", held.VersionID); err != nil || l.LegalHold != LegalHoldOff {
		t.Fatalf("hold off: %+v %v", l, err)
	}
	if ok, err := e.s.HasLockedVersions(ctx, tenant, "worm"); err != nil || ok {
		t.Fatalf("HasLockedVersions after release %v %v", ok, err)
	}
	if err := del("h", held.VersionID, false); err != nil {
		t.Fatalf("delete released: %v", err)
	}
}

func TestObjectRetentionChanges(t *testing.T) {
	e, clk := lockEnv(t)
	e.lockBucket("worm", ObjectLockConfig{DefaultMode: LockCompliance, DefaultDays: 1})
	v := e.put("worm", "k", []byte("data"))
	if v.Lock.Mode != LockCompliance {
		t.Fatalf("default %+v", v.Lock)
	}
	ret := func(mode LockMode, until time.Time, bypass bool) error {
		_, err := e.s.PutObjectRetention(ctx, PutRetentionInput{Tenant: tenant, Bucket: "worm", Key: "k", VersionID: v.VersionID,
			Mode: mode, RetainUntil: until, BypassGovernance: bypass})
		return err
	}
	if err := ret(LockCompliance, clk.now().Add(time.Hour), true); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("shorten compliance: %v", err)
	}
	if err := ret(LockNone, time.Time{}, true); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("remove compliance: %v", err)
	}
	longer := clk.now().Add(72 * time.Hour)
	if err := ret(LockCompliance, longer, false); err != nil {
		t.Fatalf("lengthen compliance: %v", err)
	}
	if err := ret(LockCompliance, clk.now().Add(-time.Hour), false); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("past date: %v", err)
	}
	l, vid, err := e.s.GetObjectLock(ctx, tenant, "worm", "k", "")
	if err != nil || vid != v.VersionID || !l.RetainUntil.Equal(longer.Truncate(time.Millisecond)) {
		t.Fatalf("after lengthen %+v %s %v", l, vid, err)
	}
	// A legal hold is independent of retention.
	if _, err := e.s.PutObjectLegalHold(ctx, tenant, "worm", "k", "", LegalHoldOn); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := e.s.GetObjectLock(ctx, tenant, "worm", "k", ""); l.Mode != LockCompliance || l.LegalHold != LegalHoldOn {
		t.Fatalf("hold + retention %+v", l)
	}
	// A delete marker has no lock.
	dm, _ := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "worm", Key: "k"})
	if _, _, err := e.s.GetObjectLock(ctx, tenant, "worm", "k", dm.VersionID); !errors.Is(err, errs.MethodNotAllowed) {
		t.Fatalf("lock of a marker: %v", err)
	}

	// Governance: shortened and removed only with bypass.
	g := e.putLocked("worm", "g", LockSpec{Mode: LockGovernance, RetainUntil: clk.now().Add(10 * time.Hour)})
	gret := func(mode LockMode, until time.Time, bypass bool) error {
		_, err := e.s.PutObjectRetention(ctx, PutRetentionInput{Tenant: tenant, Bucket: "worm", Key: "g", VersionID: g.VersionID,
			Mode: mode, RetainUntil: until, BypassGovernance: bypass})
		return err
	}
	if err := gret(LockGovernance, clk.now().Add(time.Hour), false); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("shorten governance: %v", err)
	}
	if err := gret(LockGovernance, clk.now().Add(time.Hour), true); err != nil {
		t.Fatalf("shorten governance with bypass: %v", err)
	}
	if err := gret(LockNone, time.Time{}, true); err != nil {
		t.Fatalf("remove governance with bypass: %v", err)
	}
	if l, _, _ := e.s.GetObjectLock(ctx, tenant, "worm", "g", g.VersionID); l.Mode != LockNone {
		t.Fatalf("after remove %+v", l)
	}
	if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "worm", Key: "g", VersionID: g.VersionID}); err != nil {
		t.Fatalf("delete after removal: %v", err)
	}
}

func TestObjectLockMultipartAndCopy(t *testing.T) {
	e, clk := lockEnv(t)
	e.lockBucket("worm", ObjectLockConfig{DefaultMode: LockGovernance, DefaultYears: 1})
	until := clk.now().Add(5 * 24 * time.Hour)
	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "worm", Key: "mp",
		Lock: LockSpec{Mode: LockCompliance, RetainUntil: until, LegalHold: LegalHoldOff}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.s.UploadPart(ctx, UploadPartInput{Tenant: tenant, Bucket: "worm", Key: "mp", UploadID: up.UploadID, PartNumber: 1, Body: body(t, []byte("part")), Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "worm", Key: "mp", UploadID: up.UploadID,
		Parts: []CompletedPart{{Number: 1, ETag: p.ETag}}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Lock.Mode != LockCompliance || !info.Lock.RetainUntil.Equal(until) || info.Lock.LegalHold != LegalHoldOff {
		t.Fatalf("multipart lock %+v", info.Lock)
	}
	// A copy gets the bucket default, not the source's lock.
	cp, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "worm", SrcKey: "mp", Tenant: tenant, Bucket: "worm", Key: "copy"})
	if err != nil {
		t.Fatal(err)
	}
	if cp.Info.Lock.Mode != LockGovernance || !cp.Info.Lock.RetainUntil.Equal(cp.Info.LastModified.AddDate(1, 0, 0).Truncate(time.Millisecond)) {
		t.Fatalf("copy lock %+v", cp.Info.Lock)
	}
	cp2, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "worm", SrcKey: "mp", Tenant: tenant, Bucket: "worm", Key: "copy2",
		Lock: LockSpec{LegalHold: LegalHoldOn}})
	if err != nil || cp2.Info.Lock.LegalHold != LegalHoldOn || cp2.Info.Lock.Mode != LockGovernance {
		t.Fatalf("copy with hold %+v %v", cp2.Info.Lock, err)
	}
	// Multipart uploads in an unlocked bucket refuse lock parameters.
	e.bucket("plain")
	if _, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "plain", Key: "x",
		Lock: LockSpec{LegalHold: LegalHoldOn}}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("mpu lock in plain bucket: %v", err)
	}
	if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "worm", Key: "bad", Body: body(t, nil),
		Lock: LockSpec{Mode: LockCompliance}}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("mode without date: %v", err)
	}
}

// A retention set concurrently with a delete of the same version can never
// be skipped: either the delete commits first (the retention then finds no
// version) or the retention does (the delete is then refused). Both
// succeeding would mean the check ran outside the delete's transaction.
func TestObjectLockConcurrentRetentionAndDelete(t *testing.T) {
	e, clk := lockEnv(t)
	e.lockBucket("worm", ObjectLockConfig{})
	const rounds = 60
	var retFirst, delFirst int
	for i := 0; i < rounds; i++ {
		key := fmt.Sprintf("k%d", i)
		v := e.put("worm", key, []byte("x"))
		var wg sync.WaitGroup
		var retErr, delErr error
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, retErr = e.s.PutObjectRetention(ctx, PutRetentionInput{Tenant: tenant, Bucket: "worm", Key: key, VersionID: v.VersionID,
				Mode: LockCompliance, RetainUntil: clk.now().Add(time.Hour)})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, delErr = e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "worm", Key: key, VersionID: v.VersionID})
		}()
		close(start)
		wg.Wait()
		switch {
		case retErr == nil && delErr == nil:
			t.Fatalf("round %d: both the retention and the delete succeeded", i)
		case retErr == nil:
			if !errors.Is(delErr, ErrObjectLocked) {
				t.Fatalf("round %d: delete after retention: %v", i, delErr)
			}
			if _, _, err := e.get("worm", key, v.VersionID); err != nil {
				t.Fatalf("round %d: locked version gone: %v", i, err)
			}
			retFirst++
		case delErr == nil:
			if !errors.Is(retErr, errs.NoSuchVersion) && !errors.Is(retErr, errs.NoSuchKey) {
				t.Fatalf("round %d: retention after delete: %v", i, retErr)
			}
			delFirst++
		default:
			t.Fatalf("round %d: both failed: %v / %v", i, retErr, delErr)
		}
	}
	t.Logf("retention first %d, delete first %d", retFirst, delFirst)
}

// Lock state is durable: it is in the version record, so a reopened store
// still refuses the delete.
func TestObjectLockSurvivesReopen(t *testing.T) {
	e, clk := lockEnv(t)
	e.lockBucket("worm", ObjectLockConfig{DefaultMode: LockCompliance, DefaultDays: 30})
	v := e.put("worm", "k", []byte("x"))
	s2, err := New(Options{KV: e.kv, Blobs: e.s.blobs, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "worm", Key: "k", VersionID: v.VersionID, BypassGovernance: true}); !errors.Is(err, ErrObjectLocked) {
		t.Fatalf("delete through a second service: %v", err)
	}
	cfg, err := s2.GetObjectLockConfig(ctx, tenant, "worm")
	if err != nil || cfg.DefaultDays != 30 {
		t.Fatalf("config %+v %v", cfg, err)
	}
}

func TestConditionalDelete(t *testing.T) {
	e, _ := lockEnv(t)
	e.bucket("cond")
	v := e.put("cond", "k", []byte("hello"))
	size, wrong := v.Size, v.Size+1
	mtime := v.LastModified
	other := mtime.Add(-time.Hour)
	del := func(in DeleteInput) error {
		in.Tenant, in.Bucket, in.Key = tenant, "cond", "k"
		_, err := e.s.DeleteObject(ctx, in)
		return err
	}
	for _, in := range []DeleteInput{
		{IfMatch: "0123"},
		{IfMatchSize: &wrong},
		{IfMatchLastModified: &other},
		{IfMatch: v.ETag, IfMatchSize: &wrong},
	} {
		if err := del(in); !errors.Is(err, errs.PreconditionFailed) {
			t.Fatalf("%+v: %v", in, err)
		}
	}
	if err := del(DeleteInput{IfMatch: `"` + v.ETag + `"`, IfMatchSize: &size, IfMatchLastModified: &mtime}); err != nil {
		t.Fatalf("matching delete: %v", err)
	}
	if _, _, err := e.get("cond", "k", ""); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("after delete: %v", err)
	}
	// On a missing key: If-Match fails, size/time alone succeed.
	if err := del(DeleteInput{IfMatch: "*"}); !errors.Is(err, errs.NoSuchKey) {
		t.Fatalf("If-Match on missing: %v", err)
	}
	if err := del(DeleteInput{IfMatchSize: &size}); err != nil {
		t.Fatalf("size on missing: %v", err)
	}
}
