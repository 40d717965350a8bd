package objects

import (
	"fmt"
	"testing"

	"coffer/internal/errs"
)

func TestGetBucketSettings(t *testing.T) {
	e := newEnv(t, nil)
	lock := &ObjectLockConfig{Enabled: true, DefaultMode: LockGovernance, DefaultDays: 1}
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "locked", Owner: "o", ObjectLock: lock,
		Configs: map[string][]byte{"cors": []byte("<x/>")}}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		e.put("locked", fmt.Sprintf("k%d", i), []byte("data"))
	}
	full, err := e.s.GetBucket(ctx, tenant, "locked")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetBucketSettings(ctx, tenant, "locked")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ObjectLock.HasDefaultRetention() || got.ObjectLock != full.ObjectLock || got.Versioning != VersioningEnabled ||
		got.Owner != "o" || got.ID != full.ID || string(got.Configs["cors"]) != "<x/>" {
		t.Errorf("settings %+v, want those of %+v", got, full)
	}
	// The usage is GetBucket's alone (the deltas of the 20 writes are not
	// read).
	if full.Objects != 20 || full.UsedBytes != 80 || got.Objects != 0 || got.UsedBytes != 0 {
		t.Errorf("usage: GetBucket %d objects %d bytes, GetBucketSettings %d, %d", full.Objects, full.UsedBytes, got.Objects, got.UsedBytes)
	}
	if _, err := e.s.GetBucketSettings(ctx, tenant, "nope"); errs.KindOf(err) != errs.NoSuchBucket {
		t.Errorf("missing bucket: %v, want NoSuchBucket", err)
	}
}
