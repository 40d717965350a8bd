package core

import (
	"sync"
	"testing"
	"time"

	"coffer/internal/errs"
)

// Concurrent wrong logins must not get more guesses than MaxFailures
// before the name locks: the lock check and the failure count were in
// separate transactions, with the slow password check between them.
func TestReview_loginLockoutConcurrent(t *testing.T) {
	e := vtNewWith(t, func(o *Options) { o.LoginMaxFailures, o.LoginLockout = 3, time.Minute })
	if _, _, _, err := e.s.CreateUserWithProfile(vtCtx, CreateUserInput{Tenant: e.tenant, Name: "alice"},
		ProfileInput{Password: ptrTo("alice-password")}); err != nil {
		t.Fatal(err)
	}
	in := LoginInput{Tenant: e.tenant, Name: "alice", Password: "wrong"}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = e.s.Login(vtCtx, in)
		}()
	}
	wg.Wait()
	r, err := e.s.Login(vtCtx, in)
	vtWant(t, "locked", err, errs.Unauthenticated, ReasonAccountLocked)
	if r.Failures > 3 {
		t.Fatalf("%d password guesses were checked, want at most 3", r.Failures)
	}
	// The right password on the last allowed attempt still logs in, and
	// resets the count.
	e.clock.Advance(time.Minute)
	in.Password = "alice-password"
	for i := 0; i < 2; i++ {
		in.Password = "wrong"
		_, err = e.s.Login(vtCtx, in)
		vtWant(t, "wrong", err, errs.Unauthenticated, ReasonBadCredentials)
	}
	in.Password = "alice-password"
	vtMust(e.s.Login(vtCtx, in))
	vtMust(e.s.Login(vtCtx, in))
}

// A plan deleted while a vault is being created with it must not leave a
// vault whose plan is gone (its retention would never run): DeletePlan
// checked the vaults in one transaction and deleted in another, and
// CreateVault never re-checked the plan when it recorded the vault.
func TestReview_deletePlanRacesCreateVault(t *testing.T) {
	e := vtNew(t)
	for i := 0; i < 30; i++ {
		p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)), RetentionDays: 3}))
		name := "race-vault-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		var wg sync.WaitGroup
		var cerr, derr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, cerr = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: name, Plan: EntityRef{ID: p.ID}})
		}()
		go func() {
			defer wg.Done()
			derr = e.s.DeletePlan(vtCtx, p.ID)
		}()
		wg.Wait()
		if cerr == nil && derr == nil {
			t.Fatalf("iteration %d: vault %s was created with plan %d, which was deleted meanwhile", i, name, p.ID)
		}
	}
}

// A forced delete of a plain (unversioned, then suspended) bucket of the
// tenant finishes.
func TestReview_forceDeletePlainBucket(t *testing.T) {
	e := vtNew(t)
	b := vtMust(e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: "plain-bucket"}))
	e.put("plain-bucket", "a", "1")
	e.put("plain-bucket", "b", "2")
	v := VersioningEnabled
	vtMust(e.s.UpdateBucket(vtCtx, e.tenant, "plain-bucket", BucketPatch{Versioning: &v}))
	e.put("plain-bucket", "a", "3")
	v = VersioningSuspended
	vtMust(e.s.UpdateBucket(vtCtx, e.tenant, "plain-bucket", BucketPatch{Versioning: &v}))
	e.put("plain-bucket", "b", "4")
	j := vtMust(e.s.DeleteVault(vtCtx, e.tenant, b.ID, true))
	j = vtMust(e.s.WaitJob(vtCtx, j.UUID, 10*time.Second))
	if j.State != JobSuccess {
		t.Fatalf("job %+v", j)
	}
}

// Renaming a group that holds a vault's role: the vault keeps showing the
// group, so its members must keep the role, and a new group that takes the
// old name must not get it.
func TestReview_groupRenameKeepsVaultRole(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p", RetentionDays: 3}))
	e.user("member")
	e.user("outsider")
	g := vtMust(e.s.CreateGroup(vtCtx, CreateGroupInput{Tenant: e.tenant, Name: "ops", Users: []string{"member"}}))
	vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault1", Plan: EntityRef{ID: p.ID},
		Groups: []EntityRef{{ID: g.ID}}}))
	can := func(user string) bool {
		return e.s.Authorize(vtCtx, Request{Principal: Principal{Tenant: e.tenant, UserName: user},
			Action: "s3:GetObject", Bucket: "vault1", Key: "k"}) == nil
	}
	if !can("member") || can("outsider") {
		t.Fatal("before rename")
	}
	newName := "ops-renamed"
	vtMust(e.s.UpdateGroup(vtCtx, e.tenant, g.ID, GroupPatch{Name: &newName}))
	vtMust(e.s.CreateGroup(vtCtx, CreateGroupInput{Tenant: e.tenant, Name: "ops", Users: []string{"outsider"}}))
	v := vtMust(e.s.GetVault(vtCtx, e.tenant, vtMust(e.s.GetBucket(vtCtx, e.tenant, "vault1")).ID))
	if len(v.Groups) != 1 || v.Groups[0].Name != newName {
		t.Fatalf("vault groups %+v", v.Groups)
	}
	if !can("member") {
		t.Error("a member of the renamed group lost the vault role the vault still shows")
	}
	if can("outsider") {
		t.Error("a new group reusing the old name got the vault role")
	}
}

// A vault owner deleted and a new user created with the same name: the
// vault no longer lists an owner of that name, so the newcomer must not
// hold the role.
func TestReview_deletedOwnerNameReused(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p", RetentionDays: 3}))
	o := e.user("owner")
	vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault1", Plan: EntityRef{ID: p.ID},
		Owners: []EntityRef{{ID: o.ID}}}))
	can := func(user string) bool {
		return e.s.Authorize(vtCtx, Request{Principal: Principal{Tenant: e.tenant, UserName: user},
			Action: "s3:GetObject", Bucket: "vault1", Key: "k"}) == nil
	}
	if !can("owner") {
		t.Fatal("owner")
	}
	if err := e.s.DeleteUser(vtCtx, e.tenant, "owner"); err != nil {
		t.Fatal(err)
	}
	e.user("owner")
	v := vtMust(e.s.GetVault(vtCtx, e.tenant, vtMust(e.s.GetBucket(vtCtx, e.tenant, "vault1")).ID))
	if len(v.Owners) != 0 {
		t.Fatalf("owners %+v", v.Owners)
	}
	if can("owner") {
		t.Error("a new user reusing a deleted owner's name got the vault role")
	}
}
