package objects

import (
	"bytes"
	"testing"
)

func TestUsageByTenant(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("aaa")
	e.bucket("bbb")
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: "t2", Name: "ccc"}); err != nil {
		t.Fatal(err)
	}
	e.put("aaa", "k1", []byte("hello"))
	e.put("bbb", "k2", []byte("world!"))
	e.put("bbb", "k3", []byte("x"))
	got, err := e.s.UsageByTenant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]TenantUsage{}
	for _, u := range got {
		by[u.Tenant] = u
	}
	if u := by[tenant]; len(got) != 2 || u.Buckets != 2 || u.Objects != 3 || u.Bytes != 12 {
		t.Errorf("usage %+v, want t1: 2 buckets, 3 objects, 12 bytes", got)
	}
	if u := by["t2"]; u.Buckets != 1 || u.Objects != 0 || u.Bytes != 0 {
		t.Errorf("t2 usage %+v", u)
	}
}

// Overwriting a blob-backed object makes its old blob garbage; once
// collected the backlog is empty and the removal counted.
func TestGarbageBacklog(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("aaa")
	big := bytes.Repeat([]byte("z"), 200<<10)
	e.put("aaa", "k", big)
	before := e.s.GarbageRemoved()
	e.put("aaa", "k", big)
	e.put("aaa", "k", big)
	n, err := e.s.GarbageBacklog(ctx, 1)
	if err != nil || n > 1 {
		t.Fatalf("backlog limited to 1: %d, %v", n, err)
	}
	if _, err := e.s.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := e.s.GarbageBacklog(ctx, 1000); err != nil || n != 0 {
		t.Fatalf("backlog after collection: %d, %v", n, err)
	}
	if d := e.s.GarbageRemoved() - before; d != 2 {
		t.Errorf("removed %d garbage blobs, want 2", d)
	}
}
