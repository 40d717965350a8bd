package core_test

import (
	"testing"
	"time"

	"coffer/internal/core"
)

// TestMultiNodeLockoutShared: failed logins spread over two nodes count
// together: the limit holds for the cluster, not per node (Pebble shared
// in process, and PostgreSQL with a store per node when configured).
func TestMultiNodeLockoutShared(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "pebble"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			c := newCluster(t, 2, nodeOpts{pg: pg, tweak: func(o *core.Options) { o.LoginMaxFailures = 4 }})
			a, b := c.nodes[0].core, c.nodes[1].core
			if _, err := a.CreateAdmin(ctx, "ops", "right-password-1"); err != nil {
				t.Fatal(err)
			}
			try := func(s *core.Service, pw, addr string) (core.LockState, error) {
				_, ls, err := s.AuthenticateAdmin(ctx, core.Credentials{Name: "ops", Password: pw, Addr: addr})
				return ls, err
			}
			// Four bad guesses alternating between the nodes lock the pair.
			for i := 1; i <= 4; i++ {
				s := a
				if i%2 == 0 {
					s = b
				}
				ls, err := try(s, "wrong", "10.1.1.1")
				if err == nil || ls.Failures != i || ls.Locked != (i == 4) {
					t.Fatalf("guess %d: %+v, %v (want %d failures counted across both nodes)", i, ls, err, i)
				}
			}
			for _, s := range []*core.Service{a, b} {
				if _, err := try(s, "right-password-1", "10.1.1.1"); core.ReasonOf(err) != core.ReasonAccountLocked {
					t.Fatalf("right password from the locked address: %v, want %s on both nodes", err, core.ReasonAccountLocked)
				}
			}
			// Another address is not locked, on either node; its success
			// leaves no count behind.
			if _, err := try(b, "right-password-1", "10.1.1.2"); err != nil {
				t.Fatalf("from another address: %v", err)
			}
			if ls, err := try(a, "wrong", "10.1.1.2"); ls.Failures != 1 || err == nil {
				t.Fatalf("first failure from the other address: %+v, %v", ls, err)
			}
			// An administrator resetting the password unlocks the pair on every node.
			if err := a.SetAdminPassword(ctx, "ops", "right-password-2"); err != nil {
				t.Fatal(err)
			}
			d := within(t, time.Second, "unlocked on the other node after the reset", func() bool {
				_, err := try(b, "right-password-2", "10.1.1.1")
				return err == nil
			})
			t.Logf("password reset on node A unlocked the pair on node B after %v", d)
		})
	}
}
