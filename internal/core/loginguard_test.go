package core

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/loginguard"
)

// guardEnv is a core with a small lockout policy on a settable clock.
func guardEnv(t *testing.T) *vtEnv {
	t.Helper()
	return vtNewWith(t, func(o *Options) {
		o.LoginMaxFailures, o.LoginFailureWindow, o.LoginLockout, o.LoginMaxAddressFailures = 5, 10*time.Minute, 5*time.Minute, 20
	})
}

func adminAttempt(e *vtEnv, pw, addr string) (LockState, error) {
	_, ls, err := e.s.AuthenticateAdmin(vtCtx, Credentials{Name: "admin", Password: pw, Addr: addr})
	return ls, err
}

// Five bad passwords from A lock (admin, A) only; while locked nothing is
// hashed; B still logs in; the lock runs out.
func TestGuard_lockPerAccountAndAddress(t *testing.T) {
	e := guardEnv(t)
	for i := 1; i <= 5; i++ {
		ls, err := adminAttempt(e, "wrong-password", "10.0.0.1")
		want := ReasonBadCredentials
		if i == 5 {
			want = ReasonAccountLocked
		}
		vtWant(t, "bad guess", err, errs.Unauthenticated, want)
		if ls.Failures != i || ls.Locked != (i == 5) {
			t.Fatalf("attempt %d: %+v", i, ls)
		}
	}
	before := e.s.hashes.Load()
	for range 100 {
		ls, err := adminAttempt(e, "admin-password", "10.0.0.1") // even the right one
		vtWant(t, "locked", err, errs.Unauthenticated, ReasonAccountLocked)
		if !ls.Locked || ls.Remaining <= 0 || ls.Remaining > 5*time.Minute {
			t.Fatalf("lock state %+v", ls)
		}
	}
	if n := e.s.hashes.Load() - before; n != 0 {
		t.Fatalf("locked attempts computed %d hashes, want 0", n)
	}
	if _, err := adminAttempt(e, "admin-password", "10.0.0.2"); err != nil {
		t.Fatalf("login from another address: %v", err)
	}
	// Commvault's Login shares the policy: (admin, A) is locked there too.
	r, err := e.s.Login(vtCtx, LoginInput{Tenant: e.tenant, Name: "admin", Password: "admin-password", Addr: "10.0.0.1"})
	vtWant(t, "Login from A", err, errs.Unauthenticated, ReasonAccountLocked)
	if !r.Locked {
		t.Fatalf("Login result %+v", r)
	}
	vtMust(e.s.Login(vtCtx, LoginInput{Tenant: e.tenant, Name: "admin", Password: "admin-password", Addr: "10.0.0.3"}))
	e.clock.Advance(5 * time.Minute)
	if _, err := adminAttempt(e, "admin-password", "10.0.0.1"); err != nil {
		t.Fatalf("after the lock ran out: %v", err)
	}
}

// A success starts the pair over; failures older than the window do not
// count.
func TestGuard_successAndWindowReset(t *testing.T) {
	e := guardEnv(t)
	for range 4 {
		_, _ = adminAttempt(e, "wrong-password", "a")
	}
	if _, err := adminAttempt(e, "admin-password", "a"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		_, _ = adminAttempt(e, "wrong-password", "a")
	}
	e.clock.Advance(11 * time.Minute)
	ls, err := adminAttempt(e, "wrong-password", "a")
	vtWant(t, "after the window", err, errs.Unauthenticated, ReasonBadCredentials)
	if ls.Failures != 1 {
		t.Fatalf("failures after the window: %+v", ls)
	}
}

// One address trying many accounts is blocked for all of them, the
// administrator included; other addresses are not.
func TestGuard_addressLimit(t *testing.T) {
	e := guardEnv(t)
	for i := range 20 {
		_, _, err := e.s.AuthenticateAdmin(vtCtx, Credentials{Name: "user" + string(rune('a'+i)), Password: "x", Addr: "6.6.6.6"})
		if i < 19 {
			vtWant(t, "guess", err, errs.Unauthenticated, ReasonBadCredentials)
		} else {
			vtWant(t, "20th guess", err, errs.Unauthenticated, ReasonAccountLocked)
		}
	}
	before := e.s.hashes.Load()
	ls, err := adminAttempt(e, "admin-password", "6.6.6.6")
	vtWant(t, "blocked address", err, errs.Unauthenticated, ReasonAccountLocked)
	if !ls.Address {
		t.Fatalf("lock state %+v", ls)
	}
	_, err = e.s.Login(vtCtx, LoginInput{Tenant: e.tenant, Name: "someone", Password: "x", Addr: "6.6.6.6"})
	vtWant(t, "blocked address, Login", err, errs.Unauthenticated, ReasonAccountLocked)
	if n := e.s.hashes.Load() - before; n != 0 {
		t.Fatalf("blocked attempts computed %d hashes", n)
	}
	if _, err := adminAttempt(e, "admin-password", "7.7.7.7"); err != nil {
		t.Fatal(err)
	}
	// Bad tokens count against the address too.
	for range 20 {
		e.s.FailedToken("8.8.8.8")
	}
	if _, blocked := e.s.AddressBlocked("8.8.8.8"); !blocked {
		t.Fatal("20 bad tokens did not block the address")
	}
	if _, blocked := e.s.AddressBlocked("7.7.7.7"); blocked {
		t.Fatal("an innocent address is blocked")
	}
}

// A cached success costs no hash; a full gate makes a check wait,
// then fail busy, without hashing and without counting against the caller.
func TestGuard_cacheAndSemaphore(t *testing.T) {
	e := guardEnv(t)
	if _, err := adminAttempt(e, "admin-password", "a"); err != nil {
		t.Fatal(err)
	}
	before := e.s.hashes.Load()
	for range 10 {
		if _, err := adminAttempt(e, "admin-password", "a"); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.s.hashes.Load() - before; n != 0 {
		t.Fatalf("cached logins computed %d hashes", n)
	}
	e.s.checks = loginguard.NewGate(e.s.opts.PasswordChecks, 50*time.Millisecond)
	var held []func()
	for i := range e.s.opts.PasswordChecks { // every slot taken, by other addresses
		rel, err := e.s.checks.Acquire(context.Background(), fmt.Sprint("10.1.1.", i))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, rel)
	}
	start := time.Now()
	_, err := adminAttempt(e, "another-password", "a")
	vtWant(t, "busy", err, errs.Unauthenticated, ReasonLoginBusy)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("busy answer took %v", d)
	}
	if n := e.s.hashes.Load() - before; n != 0 {
		t.Fatalf("busy attempt hashed %d times", n)
	}
	for _, rel := range held {
		rel()
	}
	if ls, _ := e.s.guard.Locked("admin", "a", e.s.now()); ls.Failures != 0 {
		t.Fatalf("a busy refusal counted as a failure: %+v", ls)
	}
}

// Concurrent bad guesses from one address get at most MaxFailures hashes,
// and never more than PasswordChecks run at once.
func TestGuard_concurrentGuesses(t *testing.T) {
	e := guardEnv(t)
	before := e.s.hashes.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	locked := 0
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := adminAttempt(e, "wrong-password", "9.9.9.9")
			if ReasonOf(err) == ReasonAccountLocked {
				mu.Lock()
				locked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := e.s.hashes.Load() - before; n > 5 {
		t.Fatalf("64 concurrent guesses computed %d hashes, want at most 5", n)
	}
	if locked < 59 {
		t.Fatalf("%d of 64 guesses answered locked, want at least 59", locked)
	}
}
