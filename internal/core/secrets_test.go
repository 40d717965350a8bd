package core_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/blob"
	"coffer/internal/core"
	"coffer/internal/kms"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
	"coffer/internal/s3api"
)

// sealedStack is a real store, object layer and KMS; core opens on it.
type sealedStack struct {
	t   *testing.T
	dir string
	kv  *pebble.Store
	obj *objects.Service
	kms *kms.Local
}

func newSealedStack(t *testing.T) *sealedStack {
	t.Helper()
	st := &sealedStack{t: t, dir: t.TempDir()}
	var err error
	if st.kv, err = pebble.Open(pebble.Options{Dir: filepath.Join(st.dir, "meta")}); err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(st.dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	if st.obj, err = objects.New(objects.Options{KV: st.kv, Blobs: bl}); err != nil {
		t.Fatal(err)
	}
	st.kms, _, err = kms.Open(ctx, kms.Options{KV: st.kv, MasterKeyFile: filepath.Join(t.TempDir(), "master.key"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (st *sealedStack) core(sealer core.SecretSealer) *core.Service {
	st.t.Helper()
	c, err := core.New(core.Options{KV: st.kv, Objects: st.obj, Secrets: sealer, ClusterName: "cluster1",
		PasswordIterations: 1000, MinBucketSize: 1})
	if err != nil {
		st.t.Fatal(err)
	}
	return c
}

func (st *sealedStack) close() {
	st.obj.Close()
	st.kv.Close()
}

// keyRecords returns the raw 'k' records.
func (st *sealedStack) keyRecords() map[string]map[string]any {
	st.t.Helper()
	out := map[string]map[string]any{}
	err := st.kv.View(ctx, func(tx kv.Reader) error {
		it := tx.NewIterator([]byte{'k'}, kv.PrefixEnd([]byte{'k'}))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var m map[string]any
			if err := json.Unmarshal(it.Value(), &m); err != nil {
				return err
			}
			out[string(it.Key()[1:])] = m
		}
		return it.Err()
	})
	if err != nil {
		st.t.Fatal(err)
	}
	return out
}

// listBuckets signs a real S3 request with k against c.
func listBuckets(t *testing.T, c *core.Service, k core.NewKey) error {
	t.Helper()
	be := c.S3Backend()
	h, err := s3api.New(s3api.Options{Backend: be, BucketPolicies: be, Credentials: c, Authorizer: c})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cl := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""), RetryMaxAttempts: 1})
	_, err = cl.ListBuckets(ctx, &s3.ListBucketsInput{})
	return err
}

// filesContain reports which files under dir hold needle.
func filesContain(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}

func TestSecretsSealedAtRest(t *testing.T) {
	st := newSealedStack(t)
	c := st.core(st.kms)
	rootSecret := "root-secret-for-the-sealing-test-0123456789"
	boot, err := c.Bootstrap(ctx, core.BootstrapInput{TenantName: "default", AccessKey: "ROOTKEYSEALTEST", SecretKey: rootSecret})
	if err != nil {
		t.Fatal(err)
	}
	_, uk, err := c.CreateUser(ctx, core.CreateUserInput{Tenant: boot.Tenant.UUID, Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	_, given, err := c.CreateUser(ctx, core.CreateUserInput{Tenant: boot.Tenant.UUID, Name: "bob",
		AccessKey: "BOBKEY", SecretKey: "bob-chose-this-secret-9876"})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := c.RotateUserKeys(ctx, boot.Tenant.UUID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{rootSecret, uk.SecretKey, given.SecretKey, rot.SecretKey}
	recs := st.keyRecords()
	if len(recs) != 3 {
		t.Fatalf("%d key records, want 3", len(recs))
	}
	for ak, r := range recs {
		if _, clear := r["sk"]; clear || r["ssk"] == nil || r["_v"] != 3.0 {
			t.Fatalf("record %s is not sealed: %v", ak, r)
		}
	}
	for _, k := range []core.NewKey{{AccessKey: "ROOTKEYSEALTEST", SecretKey: rootSecret}, uk, rot} {
		if err := listBuckets(t, c, k); err != nil {
			t.Fatalf("key %s does not authenticate: %v", k.AccessKey, err)
		}
	}
	// Bootstrap again with the same root key: it recognises the sealed secret.
	if _, err := c.Bootstrap(ctx, core.BootstrapInput{TenantName: "default", AccessKey: "ROOTKEYSEALTEST", SecretKey: rootSecret}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	st.close()
	for _, s := range secrets {
		if hits := filesContain(t, st.dir, []byte(s)); len(hits) > 0 {
			t.Errorf("secret %q in clear in %v", s, hits)
		}
	}
}

func TestSecretsMigratedFromClear(t *testing.T) {
	st := newSealedStack(t)
	// The old code: no sealer, secrets in clear.
	old := st.core(nil)
	boot, err := old.Bootstrap(ctx, core.BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	_, uk, err := old.CreateUser(ctx, core.CreateUserInput{Tenant: boot.Tenant.UUID, Name: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	for ak, r := range st.keyRecords() {
		if r["sk"] == nil {
			t.Fatalf("test setup: record %s has no clear secret: %v", ak, r)
		}
	}
	old.Close()
	// The grep of TestSecretsSealedAtRest does see records in clear.
	if hits := filesContain(t, filepath.Join(st.dir, "meta"), []byte(uk.SecretKey)); len(hits) == 0 {
		t.Fatal("test setup: a clear secret is not found in the Pebble files")
	}

	c := st.core(st.kms)
	defer c.Close()
	recs := st.keyRecords()
	if len(recs) != 2 {
		t.Fatalf("%d key records, want 2", len(recs))
	}
	for ak, r := range recs {
		if _, clear := r["sk"]; clear || r["ssk"] == nil {
			t.Fatalf("record %s not migrated: %v", ak, r)
		}
	}
	for _, k := range []core.NewKey{boot.Key, uk} {
		if err := listBuckets(t, c, k); err != nil {
			t.Fatalf("migrated key %s does not authenticate: %v", k.AccessKey, err)
		}
	}
	// A sealed secret does not open under another access key: the record
	// moved onto another name fails closed.
	var sealed []byte
	for _, r := range recs {
		if r["ak"] == uk.AccessKey {
			json.Unmarshal(must(json.Marshal(r["ssk"])), &sealed)
		}
	}
	if _, err := st.kms.OpenSecret(boot.Key.AccessKey, sealed); err == nil {
		t.Fatal("a sealed secret opened for another access key")
	}
	// Without its sealer, a core refuses sealed keys instead of accepting anything.
	bare := st.core(nil)
	defer bare.Close()
	if _, err := bare.Credential(ctx, uk.AccessKey); err == nil {
		t.Fatal("a core without a sealer resolved a sealed key")
	}
	st.close()
}

func TestResealSecrets(t *testing.T) {
	st := newSealedStack(t)
	c := st.core(st.kms)
	boot, err := c.Bootstrap(ctx, core.BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	newBox, err := kms.NewSecretBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.kv.Update(ctx, func(tx kv.Txn) error {
		var err error
		n, err = core.ResealSecretsTx(tx, st.kms, newBox)
		return err
	}); err != nil || n != 1 {
		t.Fatalf("reseal: %d %v", n, err)
	}
	// The new sealer opens it, the old one no longer does.
	withNew := st.core(newBox)
	defer withNew.Close()
	if cred, err := withNew.Credential(ctx, boot.Key.AccessKey); err != nil || cred.Secret != boot.Key.SecretKey {
		t.Fatalf("credential under the new sealer: %v", err)
	}
	withOld := st.core(st.kms)
	defer withOld.Close()
	if _, err := withOld.Credential(ctx, boot.Key.AccessKey); err == nil {
		t.Fatal("the old sealer still opens a resealed secret")
	}
	st.close()
}
