package objects

import (
	"slices"
	"testing"
)

func TestTenantsOfBucket(t *testing.T) {
	e := newEnv(t, nil)
	for _, b := range []struct{ tenant, name string }{
		{"t-a", "shared"}, {"t-a", "only-a"}, {"t-a", "zzz"},
		{"t-b", "shared"}, {"t-b", "aaa"},
		{"t-c", "sharedx"}, {"t-c", "only-c"},
	} {
		if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: b.tenant, Name: b.name}); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string][]string{
		"shared": {"t-a", "t-b"}, "only-a": {"t-a"}, "only-c": {"t-c"}, "sharedx": {"t-c"},
		"missing": nil, "aaa": {"t-b"}, "zzz": {"t-a"}, "": nil,
	} {
		got, err := e.s.TenantsOfBucket(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("TenantsOfBucket(%q) = %q, want %q", name, got, want)
		}
	}
	if err := e.s.DeleteBucket(ctx, "t-a", "shared"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.s.TenantsOfBucket(ctx, "shared"); !slices.Equal(got, []string{"t-b"}) {
		t.Errorf("after delete: %q", got)
	}
}
