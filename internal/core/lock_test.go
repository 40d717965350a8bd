package core

import (
	"errors"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// The core's jobs act through the object layer and never bypass Object
// Lock: data aging keeps locked noncurrent versions (without failing), and
// a forced vault deletion is refused while any version is locked.
func TestVaultJobsHonourObjectLock(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p", RetentionDays: 1}))
	v := vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "worm", Plan: EntityRef{ID: p.ID}}))
	if err := e.obj.PutObjectLockConfig(vtCtx, e.tenant, "worm", objects.ObjectLockConfig{Enabled: true,
		DefaultMode: objects.LockCompliance, DefaultDays: 30}); err != nil {
		t.Fatal(err)
	}
	e.put("worm", "a", "1")
	e.put("worm", "a", "2") // a/1 noncurrent, locked for 30 days
	e.clock.Advance(3 * time.Hour)
	res, err := e.s.AgeVault(vtCtx, e.tenant, "worm", time.Hour, nil)
	if err != nil || res.Removed != 0 {
		t.Fatalf("aging a locked vault: %+v %v", res, err)
	}
	if got := strings.Join(e.versions("worm"), " "); got != "a a" {
		t.Fatalf("versions after aging: %q", got)
	}
	_, err = e.s.DeleteVault(vtCtx, e.tenant, v.Vault.Bucket.ID, true)
	if !errors.Is(err, errs.BucketNotEmpty) || !strings.Contains(errs.Message(err), "Object Lock") {
		t.Fatalf("forced delete of a locked vault: %v", err)
	}
	// Once the retention has passed, aging removes the noncurrent version.
	e.clock.Advance(31 * 24 * time.Hour)
	res, err = e.s.AgeVault(vtCtx, e.tenant, "worm", time.Hour, nil)
	if err != nil || res.Removed != 1 {
		t.Fatalf("aging after the retention: %+v %v", res, err)
	}
}
