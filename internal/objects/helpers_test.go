package objects

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

const tenant = "t1"

type env struct {
	t  *testing.T
	s  *Service
	kv kv.Store
}

// openKV opens the store the tests run on: the embedded Pebble store, or
// PostgreSQL (a fresh schema of COFFER_TEST_PG_DSN) when COFFER_TEST_KV is
// "postgres". scripts/test.sh runs this package both ways.
func openKV(t *testing.T, dir string) kv.Store {
	t.Helper()
	if os.Getenv("COFFER_TEST_KV") == "postgres" {
		if pgtest.DSN() == "" {
			t.Fatal("COFFER_TEST_KV=postgres needs COFFER_TEST_PG_DSN")
		}
		return pgtest.Open(t, postgres.Options{})
	}
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	st := openKV(t, t.TempDir())
	t.Cleanup(func() { st.Close() }) // after the service's Close (cleanups run last first)
	return newEnvOn(t, st, mod)
}

// newEnvOn is an object layer on st (closed by the caller) and a blob
// store in a temp dir, MinPartSize 5, mod applied.
func newEnvOn(t *testing.T, st kv.Store, mod func(*Options)) *env {
	t.Helper()
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(t.TempDir(), "data")})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{KV: st, Blobs: bl, MinPartSize: 5}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &env{t: t, s: s, kv: st}
}

var ctx = context.Background()

func body(t testing.TB, data []byte) *checksum.Reader {
	r, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) bucket(name string) {
	e.t.Helper()
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: name}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) put(bucket, key string, data []byte) ObjectInfo {
	e.t.Helper()
	info, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: bucket, Key: key, Body: body(e.t, data), Size: int64(len(data))})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

func (e *env) get(bucket, key, version string) ([]byte, *GetOutput, error) {
	out, err := e.s.GetObject(ctx, GetInput{Tenant: tenant, Bucket: bucket, Key: key, VersionID: version})
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, out.Body); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), out, nil
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func newBody(data []byte) (*checksum.Reader, error) {
	return checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
}
