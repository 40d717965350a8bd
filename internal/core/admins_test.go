package core_test

import (
	"bytes"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/kv"
)

func TestAdmins(t *testing.T) {
	e := newEnv(t)
	res := must(e.core.BootstrapAdmin(ctx, "", ""))
	if !res.Created || res.Admin.Name != "admin" || len(res.GeneratedPassword) != 24 {
		t.Fatalf("bootstrap = %+v", res)
	}
	pw := res.GeneratedPassword
	if a := must(e.core.VerifyAdmin(ctx, "admin", pw)); a.Role != core.AdminRole {
		t.Fatal(a)
	}
	must(e.core.VerifyAdmin(ctx, "admin", pw)) // cached
	_, err := e.core.VerifyAdmin(ctx, "admin", pw+"x")
	wantReason(t, "wrong password", err, errs.Unauthenticated, core.ReasonBadCredentials)
	_, err = e.core.VerifyAdmin(ctx, "nobody", pw)
	wantReason(t, "unknown account", err, errs.Unauthenticated, core.ReasonBadCredentials)
	// The password is not stored in clear.
	_ = e.kv.View(ctx, func(tx kv.Reader) error {
		v, err := tx.Get(append([]byte{'a'}, "admin"...))
		if err != nil || bytes.Contains(v, []byte(pw)) {
			t.Fatalf("admin record: %s %v", v, err)
		}
		return nil
	})
	// Bootstrapping again with no password changes nothing; with one, it
	// resets the password, and the cached old one stops working at once.
	if r := must(e.core.BootstrapAdmin(ctx, "admin", "")); r.Created || r.PasswordReset || r.GeneratedPassword != "" {
		t.Fatal(r)
	}
	if r := must(e.core.BootstrapAdmin(ctx, "admin", "from-env-pass")); !r.PasswordReset {
		t.Fatal(r)
	}
	_, err = e.core.VerifyAdmin(ctx, "admin", pw)
	wantReason(t, "old password after reset", err, errs.Unauthenticated, core.ReasonBadCredentials)
	must(e.core.VerifyAdmin(ctx, "admin", "from-env-pass"))
	if r := must(e.core.BootstrapAdmin(ctx, "admin", "from-env-pass")); r.PasswordReset || r.Created {
		t.Fatal(r)
	}
	// Other accounts; rules.
	_, err = e.core.CreateAdmin(ctx, "ops", "short")
	wantReason(t, "short password", err, errs.InvalidArgument, core.ReasonPasswordTooShort)
	_, err = e.core.CreateAdmin(ctx, "bad name", "long-enough")
	wantReason(t, "bad name", err, errs.InvalidArgument, core.ReasonAdminNameInvalid)
	must(e.core.CreateAdmin(ctx, "ops", "long-enough"))
	_, err = e.core.CreateAdmin(ctx, "ops", "long-enough")
	wantReason(t, "duplicate", err, errs.AlreadyExists, core.ReasonAdminExists)
	if list := must(e.core.ListAdmins(ctx)); len(list) != 2 {
		t.Fatal(list)
	}
	must(e.core.VerifyAdmin(ctx, "ops", "long-enough"))
	if err := e.core.DeleteAdmin(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	_, err = e.core.VerifyAdmin(ctx, "ops", "long-enough")
	wantReason(t, "deleted account", err, errs.Unauthenticated, core.ReasonBadCredentials)
	wantReason(t, "last account", e.core.DeleteAdmin(ctx, "admin"), errs.InUse, core.ReasonAdminLastAccount)
}

// TestBootstrap_migratesSchema1 opens a store written by the first
// identity code (tenant, root user and key of schema 1).
func TestBootstrap_migratesSchema1(t *testing.T) {
	recs := map[string]string{
		"tT1":          `{"_v":1,"id":"T1","name":"default","created":"2026-01-01T00:00:00Z"}`,
		"ndefault":     `"T1"`,
		"uT1\x00root":  `{"_v":1,"id":"U1","tenant":"T1","name":"root","root":true,"created":"2026-01-01T00:00:00Z"}`,
		"kOLDROOTKEY1": `{"_v":1,"ak":"OLDROOTKEY1","sk":"old-secret-0001","tenant":"T1","uid":"U1","user":"root","root":true,"status":"Active","created":"2026-01-01T00:00:00Z"}`,
	}
	e := newEnvSeeded(t, func(st kvStore) {
		err := st.Update(ctx, func(tx kv.Txn) error {
			for k, v := range recs {
				if err := tx.Set([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if e.boot.Created || e.boot.Tenant.UUID != "T1" || e.boot.Tenant.ID == 0 || e.boot.Root.ID == 0 ||
		len(e.boot.Root.Keys) != 1 || e.boot.Root.Keys[0].AccessKey != "OLDROOTKEY1" || e.boot.Root.Keys[0].Slot != 1 {
		t.Fatalf("migrated = %+v", e.boot)
	}
	if _, err := e.core.GetS3Service(ctx, "T1"); err != nil {
		t.Fatal("service not created for the old tenant:", err)
	}
	if _, err := e.client(core.NewKey{AccessKey: "OLDROOTKEY1", SecretKey: "old-secret-0001"}).ListBuckets(ctx, nil); err != nil {
		t.Fatal("old root key:", err)
	}
}
