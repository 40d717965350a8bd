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
