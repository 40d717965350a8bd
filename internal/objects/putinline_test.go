package objects

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/kv"
)

// A small PUT reads the bucket in its commit only, so the bucket's default
// encryption must be honoured there: a bucket whose cached record says
// "no default encryption" and which got one since is still encrypted into,
// and one whose default was removed is written plain again.
func TestInlinePutFollowsDefaultEncryptionChanges(t *testing.T) {
	e, _ := sseEnv(t)
	if info := e.putEnc("before", []byte("plain"), Encryption{}); info.Encryption.Mode != SSENone {
		t.Fatalf("no default yet, got %+v", info.Encryption)
	}
	if err := e.s.PutBucketConfig(ctx, tenant, "enc", ConfigEncryption, BucketEncryption{Algorithm: SSEKMS, KMSKeyID: "k1"}.Encode()); err != nil {
		t.Fatal(err)
	}
	// The cache still holds the record read by the first PUT's commit until
	// the next read; the commit reads the new one.
	info := e.putEnc("after", []byte("sealed by default"), Encryption{})
	if info.Encryption.Mode != SSEKMS || info.Encryption.KMSKeyID != "k1" {
		t.Fatalf("default encryption not applied: %+v", info.Encryption)
	}
	if info.ETag == md5hex([]byte("sealed by default")) {
		t.Fatal("an SSE-KMS object's ETag is not the MD5 of its plaintext")
	}
	got, out, err := e.getEnc("after", GetInput{})
	if err != nil || string(got) != "sealed by default" || out.Info.Encryption.Mode != SSEKMS {
		t.Fatalf("get: %q %+v %v", got, out, err)
	}
	if err := e.s.PutBucketConfig(ctx, tenant, "enc", ConfigEncryption, nil); err != nil {
		t.Fatal(err)
	}
	if info := e.putEnc("removed", []byte("plain again"), Encryption{}); info.Encryption.Mode != SSENone {
		t.Fatalf("default removed, got %+v", info.Encryption)
	}
	if got, _, err := e.getEnc("removed", GetInput{}); err != nil || string(got) != "plain again" {
		t.Fatalf("get: %q %v", got, err)
	}
}

// countingStore counts the read-only transactions run on a real store.
type countingStore struct {
	kv.Store
	views atomic.Int64
}

func (c *countingStore) View(ctx context.Context, fn func(kv.Reader) error) error {
	c.views.Add(1)
	return c.Store.View(ctx, fn)
}

// A small unencrypted PUT runs no read-only transaction before its commit
// (it was one snapshot and one read of the bucket record per PUT); a large
// one still checks the bucket before storing the body.
func TestInlinePutRunsNoPrecheck(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, func(o *Options) {
		cs = &countingStore{Store: o.KV}
		o.KV = cs
	})
	e.bucket("bkt")
	before := cs.views.Load()
	e.put("bkt", "small", []byte("four"))
	if n := cs.views.Load() - before; n != 0 {
		t.Fatalf("small PUT ran %d read-only transactions, want 0", n)
	}
	before = cs.views.Load()
	e.put("bkt", "large", pattern(int(e.s.opts.InlineMax)+1))
	if n := cs.views.Load() - before; n != 1 {
		t.Fatalf("large PUT ran %d read-only transactions, want 1 (the bucket check)", n)
	}
	if got, _, err := e.get("bkt", "small", ""); err != nil || string(got) != "four" {
		t.Fatalf("get: %q %v", got, err)
	}
}

// Without the pre-check the body is read first; a missing bucket must still
// be the answer when the body is bad too, as it was.
func TestInlinePutMissingBucketBeforeBadBody(t *testing.T) {
	e := newEnv(t, nil)
	bad, err := checksum.NewReader(strings.NewReader("data"), checksum.Expect{ContentMD5: "AAAAAAAAAAAAAAAAAAAAAA=="})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "nosuch", Key: "k", Body: bad, Size: 4})
	if !errors.Is(err, errs.NoSuchBucket) {
		t.Fatalf("got %v, want NoSuchBucket", err)
	}
	e.bucket("bkt")
	bad, _ = checksum.NewReader(strings.NewReader("data"), checksum.Expect{ContentMD5: "AAAAAAAAAAAAAAAAAAAAAA=="})
	_, err = e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bkt", Key: "k", Body: bad, Size: 4})
	if !errors.Is(err, errs.BadDigest) {
		t.Fatalf("got %v, want BadDigest", err)
	}
}

// Usage deltas are written in their binary form and read in both: deltas
// written as JSON by an earlier version still count, before and after a
// fold.
func TestUsageDeltaForms(t *testing.T) {
	for _, d := range []usageRecord{{}, {Bytes: 4096, Objects: 1}, {Bytes: -1 << 40, Objects: -3}} {
		got, err := decodeDelta(encodeDelta(d))
		if err != nil || got != d {
			t.Fatalf("round trip of %+v: %+v %v", d, got, err)
		}
		js, err := decodeDelta(marshal(&d))
		if err != nil || js != d {
			t.Fatalf("JSON form of %+v: %+v %v", d, js, err)
		}
	}
	for _, bad := range [][]byte{{deltaBinary}, {deltaBinary, 0x80}, append(encodeDelta(usageRecord{Bytes: 1}), 0), []byte("{")} {
		if _, err := decodeDelta(bad); err == nil {
			t.Fatalf("%q decoded", bad)
		}
	}

	e := newEnv(t, nil)
	e.bucket("usage")
	e.put("usage", "a", []byte("12345"))
	b, err := e.s.GetBucket(ctx, tenant, "usage")
	if err != nil {
		t.Fatal(err)
	}
	// An old delta: JSON, as marshal wrote them.
	var bid uint64
	if err := e.kv.View(ctx, func(tx kv.Reader) error {
		r, err := e.s.readBucket(tx, tenant, "usage")
		bid = r.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	old := usageRecord{Bytes: 100, Objects: 2}
	if err := e.kv.Update(ctx, func(tx kv.Txn) error {
		k := append(bidPrefix(nsDelta, bid), 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9)
		return tx.Set(k, marshal(&old))
	}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, err := e.s.GetBucket(ctx, tenant, "usage")
		if err != nil {
			t.Fatal(err)
		}
		if got.UsedBytes != b.UsedBytes+100 || got.Objects != b.Objects+2 {
			t.Fatalf("%s: %d bytes %d objects, want %d and %d", when, got.UsedBytes, got.Objects, b.UsedBytes+100, b.Objects+2)
		}
	}
	check("before the fold")
	if err := e.s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	check("after the fold")
}
