package core

import (
	"errors"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// The management plane's retention model over Object Lock (bucketlock.go)
// and Commvault's WORM storage lock on plans (planlock.go), over a real
// Pebble store and object layer.

func TestParseRetentionPeriod(t *testing.T) {
	for _, c := range []struct {
		in   string
		want RetentionPeriod
		bad  bool
	}{
		{in: "P30D", want: RetentionPeriod{Days: 30}},
		{in: "p1y", want: RetentionPeriod{Years: 1}},
		{in: " P10Y ", want: RetentionPeriod{Years: 10}},
		{in: "P36500D", want: RetentionPeriod{Days: 36500}},
		{in: "P100Y", want: RetentionPeriod{Years: 100}},
		{in: "", want: RetentionPeriod{}},
		{in: "none", want: RetentionPeriod{}},
		{in: "0", want: RetentionPeriod{}},
		{in: "P0D", want: RetentionPeriod{}},
		{in: "P1Y10D", bad: true},
		{in: "P2W", bad: true},
		{in: "P1M", bad: true},
		{in: "PT12H", bad: true},
		{in: "P1DT1H", bad: true},
		{in: "30D", bad: true},
		{in: "P", bad: true},
		{in: "PD", bad: true},
		{in: "P-1D", bad: true},
		{in: "P36501D", bad: true},
		{in: "P101Y", bad: true},
		{in: "P9999999D", bad: true},
	} {
		got, err := ParseRetentionPeriod(c.in)
		if c.bad {
			if ReasonOf(err) != ReasonRetentionPeriodInvalid || errs.KindOf(err) != errs.InvalidArgument {
				t.Errorf("%q: got %v %v, want ReasonRetentionPeriodInvalid", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
	if s := (RetentionPeriod{Days: 30}).String(); s != "P30D" {
		t.Errorf("String: %q", s)
	}
	if s := (RetentionPeriod{Years: 2}).String(); s != "P2Y" {
		t.Errorf("String: %q", s)
	}
}

func TestParseRetentionMode(t *testing.T) {
	for in, want := range map[string]RetentionMode{"no_lock": RetentionNone, "none": RetentionNone, "": RetentionNone,
		"governance": RetentionGovernance, "COMPLIANCE": RetentionCompliance} {
		if got, err := ParseRetentionMode(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseRetentionMode("enterprise"); ReasonOf(err) != ReasonRetentionModeInvalid {
		t.Errorf("enterprise: %v", err)
	}
}

// The mapping table: what a bucket is created with, the Object Lock
// configuration it gets, and what the management plane reads back.
func TestBucketRetention_createMapping(t *testing.T) {
	e := vtNew(t)
	for i, c := range []struct {
		in       BucketRetention
		ver      Versioning
		wantLock objects.ObjectLockConfig
		want     BucketRetention
		reason   Reason
	}{
		{in: BucketRetention{}, want: BucketRetention{Mode: RetentionNone}},
		{in: BucketRetention{Mode: RetentionNone}, want: BucketRetention{Mode: RetentionNone}},
		{in: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 1}},
			wantLock: objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockCompliance, DefaultDays: 1},
			want:     BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 1}}},
		{in: BucketRetention{Mode: RetentionGovernance, Period: RetentionPeriod{Years: 2}}, ver: VersioningDisabled,
			wantLock: objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockGovernance, DefaultYears: 2},
			want:     BucketRetention{Mode: RetentionGovernance, Period: RetentionPeriod{Years: 2}}},
		{in: BucketRetention{Mode: RetentionCompliance}, ver: VersioningEnabled,
			wantLock: objects.ObjectLockConfig{Enabled: true},
			want:     BucketRetention{Mode: RetentionCompliance}},
		{in: BucketRetention{Mode: RetentionNone, Period: RetentionPeriod{Days: 5}}, reason: ReasonRetentionPeriodNoMode},
		{in: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 5}}, ver: VersioningSuspended,
			reason: ReasonRetentionVersioning},
		{in: BucketRetention{Mode: "enterprise"}, reason: ReasonRetentionModeInvalid},
		{in: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 1, Years: 1}}, reason: ReasonRetentionPeriodInvalid},
		{in: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 40000}}, reason: ReasonRetentionPeriodInvalid},
	} {
		name := "lock-map-" + string(rune('a'+i))
		b, err := e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: name, Versioning: c.ver, Retention: c.in})
		if c.reason != "" {
			vtWant(t, name, err, errs.InvalidArgument, c.reason)
			if _, err := e.s.GetBucket(vtCtx, e.tenant, name); errs.KindOf(err) != errs.NoSuchBucket {
				t.Fatalf("%s: refused bucket exists: %v", name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b.Retention != c.want {
			t.Errorf("%s: retention %+v, want %+v", name, b.Retention, c.want)
		}
		info := vtMust(e.obj.GetBucket(vtCtx, e.tenant, name))
		if info.ObjectLock != c.wantLock {
			t.Errorf("%s: object lock %+v, want %+v", name, info.ObjectLock, c.wantLock)
		}
		if c.want.Mode.Locked() && b.Versioning != VersioningEnabled {
			t.Errorf("%s: a locked bucket has versioning %q", name, b.Versioning)
		}
		// Read back as the management plane sees it.
		got := vtMust(e.s.GetBucket(vtCtx, e.tenant, name))
		if got.Retention != c.want {
			t.Errorf("%s: GetBucket retention %+v, want %+v", name, got.Retention, c.want)
		}
	}
}

func TestBucketRetention_patchRules(t *testing.T) {
	e := vtNew(t)
	mode := func(m RetentionMode) *RetentionMode { return &m }
	period := func(p RetentionPeriod) *RetentionPeriod { return &p }
	vtMust(e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: "plain"}))
	vtMust(e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: "locked",
		Retention: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 3}}}))

	for _, c := range []struct {
		bucket string
		p      RetentionPatch
		reason Reason
		want   BucketRetention
	}{
		// Locking is chosen at creation.
		{bucket: "plain", p: RetentionPatch{Mode: mode(RetentionCompliance)}, reason: ReasonRetentionModeImmutable},
		{bucket: "plain", p: RetentionPatch{Period: period(RetentionPeriod{Days: 1})}, reason: ReasonRetentionPeriodNoMode},
		{bucket: "plain", p: RetentionPatch{Mode: mode(RetentionNone)}, want: BucketRetention{Mode: RetentionNone}},
		// The mode never changes, either way.
		{bucket: "locked", p: RetentionPatch{Mode: mode(RetentionGovernance)}, reason: ReasonRetentionModeImmutable},
		{bucket: "locked", p: RetentionPatch{Mode: mode(RetentionNone)}, reason: ReasonRetentionModeImmutable},
		// The period changes, up or down, and can be removed.
		{bucket: "locked", p: RetentionPatch{Mode: mode(RetentionCompliance), Period: period(RetentionPeriod{Years: 1})},
			want: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Years: 1}}},
		{bucket: "locked", p: RetentionPatch{Period: period(RetentionPeriod{Days: 2})},
			want: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 2}}},
		{bucket: "locked", p: RetentionPatch{Period: period(RetentionPeriod{})},
			want: BucketRetention{Mode: RetentionCompliance}},
		{bucket: "locked", p: RetentionPatch{Period: period(RetentionPeriod{Days: 7})},
			want: BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 7}}},
	} {
		b, err := e.s.UpdateBucket(vtCtx, e.tenant, c.bucket, BucketPatch{Retention: &c.p})
		if c.reason != "" {
			vtWant(t, c.bucket, err, errs.InvalidArgument, c.reason)
			continue
		}
		if err != nil {
			t.Fatalf("%s %+v: %v", c.bucket, c.p, err)
		}
		if b.Retention != c.want {
			t.Errorf("%s %+v: retention %+v, want %+v", c.bucket, c.p, b.Retention, c.want)
		}
	}
	// Versioning cannot be suspended under the lock.
	s := VersioningSuspended
	if _, err := e.s.UpdateBucket(vtCtx, e.tenant, "locked", BucketPatch{Versioning: &s}); errs.KindOf(err) != errs.InvalidBucketState {
		t.Fatalf("suspend a locked bucket: %v", err)
	}
	// New versions get the default retention in the bucket's mode.
	e.put("locked", "k", "v")
	li, _, err := e.obj.GetObjectLock(vtCtx, e.tenant, "locked", "k", "")
	if err != nil || li.Mode != objects.LockCompliance || !li.Locked(e.clock.Now()) ||
		li.RetainUntil.Sub(e.clock.Now()) < 7*24*time.Hour-time.Minute {
		t.Fatalf("default retention of a new version: %+v %v", li, err)
	}
	// A bucket holding locked versions cannot be deleted, and says why.
	err = e.s.DeleteBucket(vtCtx, e.tenant, "locked")
	if errs.KindOf(err) != errs.BucketNotEmpty || !strings.Contains(errs.Message(err), "object locking") {
		t.Fatalf("delete a locked bucket: %v", err)
	}
}

// The S3 server's min_lock_retention_period and max_lock_retention_period
// bound a bucket's default retention.
func TestBucketRetention_serviceBounds(t *testing.T) {
	e := vtNew(t)
	min, max := "P2D", "P1Y"
	if _, err := e.s.UpdateS3Service(vtCtx, e.tenant, S3ServicePatch{MinLockRetention: &min, MaxLockRetention: &max}); err != nil {
		t.Fatal(err)
	}
	try := func(name string, p RetentionPeriod) error {
		_, err := e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: name,
			Retention: BucketRetention{Mode: RetentionGovernance, Period: p}})
		return err
	}
	vtWant(t, "below min", try("b-low", RetentionPeriod{Days: 1}), errs.InvalidArgument, ReasonRetentionBelowMin)
	vtWant(t, "above max", try("b-high", RetentionPeriod{Days: 366}), errs.InvalidArgument, ReasonRetentionAboveMax)
	vtWant(t, "above max (years)", try("b-high2", RetentionPeriod{Years: 2}), errs.InvalidArgument, ReasonRetentionAboveMax)
	if err := try("b-ok", RetentionPeriod{Days: 365}); err != nil {
		t.Fatal(err)
	}
	if err := try("b-ok2", RetentionPeriod{Years: 1}); err != nil {
		t.Fatal(err)
	}
	p := RetentionPeriod{Days: 400}
	_, err := e.s.UpdateBucket(vtCtx, e.tenant, "b-ok", BucketPatch{Retention: &RetentionPatch{Period: &p}})
	vtWant(t, "patch above max", err, errs.InvalidArgument, ReasonRetentionAboveMax)
	// Without a period the bounds do not apply.
	if _, err := e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: "b-none",
		Retention: BucketRetention{Mode: RetentionCompliance}}); err != nil {
		t.Fatal(err)
	}
}

// A bucket whose lock was enabled through S3 shows the mode of its default
// retention, or governance when it has none.
func TestBucketRetention_fromS3(t *testing.T) {
	e := vtNew(t)
	vtMust(e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: "s3lock", Versioning: VersioningEnabled}))
	if err := e.obj.PutObjectLockConfig(vtCtx, e.tenant, "s3lock", objects.ObjectLockConfig{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if b := vtMust(e.s.GetBucket(vtCtx, e.tenant, "s3lock")); b.Retention != (BucketRetention{Mode: RetentionGovernance}) {
		t.Fatalf("lock without default: %+v", b.Retention)
	}
	if err := e.obj.PutObjectLockConfig(vtCtx, e.tenant, "s3lock", objects.ObjectLockConfig{Enabled: true,
		DefaultMode: objects.LockCompliance, DefaultYears: 3}); err != nil {
		t.Fatal(err)
	}
	if b := vtMust(e.s.GetBucket(vtCtx, e.tenant, "s3lock")); b.Retention != (BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Years: 3}}) {
		t.Fatalf("lock with default: %+v", b.Retention)
	}
}

func TestPlanWORM(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "worm", RetentionDays: 7, WORM: true}))
	if !p.WORM || !vtMust(e.s.GetPlan(vtCtx, p.ID)).WORM {
		t.Fatalf("plan: %+v", p)
	}
	v := vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "wvault", Plan: EntityRef{ID: p.ID}}))
	want := BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 7}}
	if v.Vault.Bucket.Retention != want {
		t.Fatalf("vault of a WORM plan: %+v", v.Vault.Bucket.Retention)
	}
	info := vtMust(e.obj.GetBucket(vtCtx, e.tenant, "wvault"))
	if info.ObjectLock != (objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockCompliance, DefaultDays: 7}) {
		t.Fatalf("vault object lock: %+v", info.ObjectLock)
	}
	e.put("wvault", "chunk", "1")
	e.put("wvault", "chunk", "2") // chunk/1 noncurrent, locked for 7 days

	// Lowering is refused, raising is not; the vault follows.
	six, ten := 6, 10
	_, err := e.s.UpdatePlan(vtCtx, p.ID, PlanPatch{RetentionDays: &six})
	vtWant(t, "lower a WORM plan's retention", err, errs.InvalidArgument, ReasonPlanRetentionLocked)
	if got := vtMust(e.s.GetPlan(vtCtx, p.ID)); got.RetentionDays != 7 {
		t.Fatalf("refused lowering changed the plan: %+v", got)
	}
	if got := vtMust(e.s.UpdatePlan(vtCtx, p.ID, PlanPatch{RetentionDays: &ten})); got.RetentionDays != 10 {
		t.Fatalf("raise: %+v", got)
	}
	if b := vtMust(e.s.GetBucket(vtCtx, e.tenant, "wvault")); b.Retention.Period.Days != 10 || b.Retention.Mode != RetentionCompliance {
		t.Fatalf("vault after raising the plan: %+v", b.Retention)
	}
	off := false
	_, err = e.s.UpdatePlan(vtCtx, p.ID, PlanPatch{WORM: &off})
	vtWant(t, "turn the WORM lock off", err, errs.InvalidArgument, ReasonPlanWORMPermanent)

	// Data aging keeps the locked noncurrent version; a forced delete is refused.
	e.clock.Advance(3 * time.Hour)
	res, err := e.s.AgeVault(vtCtx, e.tenant, "wvault", time.Hour, nil)
	if err != nil || res.Removed != 0 || len(e.versions("wvault")) != 2 {
		t.Fatalf("aging a WORM vault: %+v %v %v", res, err, e.versions("wvault"))
	}
	if _, err := e.s.DeleteVault(vtCtx, e.tenant, v.Vault.Bucket.ID, true); !errors.Is(err, errs.BucketNotEmpty) {
		t.Fatalf("forced delete of a WORM vault: %v", err)
	}
	// The lock ends with the retention the version got (7 days).
	e.clock.Advance(8 * 24 * time.Hour)
	if res, err := e.s.AgeVault(vtCtx, e.tenant, "wvault", time.Hour, nil); err != nil || res.Removed != 1 {
		t.Fatalf("aging after the retention: %+v %v", res, err)
	}

	// A plan without the lock: its retention goes down freely; turning the
	// lock on locks its existing vaults.
	q := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "plain", RetentionDays: 5}))
	vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "pvault", Plan: EntityRef{ID: q.ID}}))
	if b := vtMust(e.s.GetBucket(vtCtx, e.tenant, "pvault")); b.Retention.Mode != RetentionNone {
		t.Fatalf("vault of a plain plan: %+v", b.Retention)
	}
	three := 3
	vtMust(e.s.UpdatePlan(vtCtx, q.ID, PlanPatch{RetentionDays: &three}))
	on := true
	if got := vtMust(e.s.UpdatePlan(vtCtx, q.ID, PlanPatch{WORM: &on})); !got.WORM || got.RetentionDays != 3 {
		t.Fatalf("turn the lock on: %+v", got)
	}
	if b := vtMust(e.s.GetBucket(vtCtx, e.tenant, "pvault")); b.Retention != (BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: 3}}) {
		t.Fatalf("existing vault after the lock: %+v", b.Retention)
	}
	zero := 0
	_, err = e.s.UpdatePlan(vtCtx, q.ID, PlanPatch{RetentionDays: &zero})
	vtWant(t, "retention 0", err, errs.InvalidArgument, ReasonPlanRetention)
	_, err = e.s.UpdatePlan(vtCtx, 9999, PlanPatch{RetentionDays: &ten})
	vtWant(t, "unknown plan", err, errs.NotFound, ReasonPlanNotFound)
}

// FuzzParseRetentionPeriod: any input either parses to a period that
// renders back to an equivalent one, or is refused with
// ReasonRetentionPeriodInvalid; it never panics.
func FuzzParseRetentionPeriod(f *testing.F) {
	for _, s := range []string{"P30D", "P1Y", "P1Y10D", "", "none", "P0D", "PT1H", "p999999y", "P-1D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRetentionPeriod(s)
		if err != nil {
			if ReasonOf(err) != ReasonRetentionPeriodInvalid {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if p.Days < 0 || p.Years < 0 || p.Days > 0 && p.Years > 0 {
			t.Fatalf("%q: %+v", s, p)
		}
		back, err := ParseRetentionPeriod(p.String())
		if err != nil || back != p {
			t.Fatalf("%q: %+v renders %q, reads back %+v %v", s, p, p.String(), back, err)
		}
	})
}
