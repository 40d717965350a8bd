package commvault

import (
	"fmt"
	"math"
	"testing"
)

// Paging with a huge limit must not overflow start+limit (it panicked the
// handler: slice bounds out of range).
func TestReview_pagingHugeLimit(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("vault-one")).must(t, 200)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("vault-two")).must(t, 200)
	big := fmt.Sprint(math.MaxInt64)
	r := n.call(t, "GET", "/commandcenter/api/V4/cvS3Stores?start=1&limit="+big, f.token, nil).must(t, 200)
	if got := len(r.list("CVS3Stores")); got != 1 {
		t.Fatalf("got %d vaults, want 1: %s", got, r.Raw)
	}
	r = n.call(t, "GET", "/commandcenter/api/Job?offset=1&limit="+big, f.token, nil).must(t, 200)
	_ = r
}

// A session of an administrator account that was deleted must stop
// working, as a deleted user's does.
func TestReview_deletedAdminSessionEnds(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	if _, err := e.core.CreateAdmin(bg, "admin2", "admin2-password-long"); err != nil {
		t.Fatal(err)
	}
	tok := n.login(t, "admin2", "admin2-password-long")
	n.call(t, "GET", "/commandcenter/api/V4/user", tok, nil).must(t, 200)
	if err := e.core.DeleteAdmin(bg, "admin2"); err != nil {
		t.Fatal(err)
	}
	n.call(t, "GET", "/commandcenter/api/V4/user", tok, nil).mustError(t, 401, 6)
}

// A session of an administrator whose password was changed ends.
func TestReview_adminPasswordChangeEndsSessions(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	if _, err := e.core.CreateAdmin(bg, "admin2", "admin2-password-long"); err != nil {
		t.Fatal(err)
	}
	tok := n.login(t, "admin2", "admin2-password-long")
	if err := e.core.SetAdminPassword(bg, "admin2", "another-password-long"); err != nil {
		t.Fatal(err)
	}
	n.call(t, "GET", "/commandcenter/api/V4/user", tok, nil).mustError(t, 401, 6)
	tok = n.login(t, "admin2", "another-password-long")
	n.call(t, "GET", "/commandcenter/api/V4/user", tok, nil).must(t, 200)
}
