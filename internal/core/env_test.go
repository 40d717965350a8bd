package core_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
	"coffer/internal/s3api"
	"coffer/internal/testkit"
)

var ctx = context.Background()

type kvStore = *pebble.Store

// env is a real core over real Pebble and a real object layer, with the S3
// adapter on an httptest server.
type env struct {
	t     *testing.T
	dir   string
	kv    *pebble.Store
	obj   *objects.Service
	core  *core.Service
	clock *testkit.Clock
	url   string
	boot  core.BootstrapResult
}

func newEnv(t *testing.T) *env { return newEnvSeeded(t, nil) }

// newEnvSeeded lets seed write records into the store before the core
// opens it (records of older schemas).
func newEnvSeeded(t *testing.T, seed func(kvStore)) *env {
	t.Helper()
	e := &env{t: t, clock: testkit.NewClock(time.Now().UTC())}
	st := testkit.NewStore(t, nil)
	e.dir, e.kv, e.obj = st.Dir, st.KV, st.Objects
	if seed != nil {
		seed(e.kv)
	}
	e.core = e.openCore()
	var err error
	e.boot, err = e.core.Bootstrap(ctx, core.BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	be := e.core.S3Backend()
	h, err := s3api.New(s3api.Options{Backend: be, BucketPolicies: be, Credentials: e.core, Authorizer: e.core})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		e.core.Close()
	})
	return e
}

func (e *env) openCore() *core.Service {
	e.t.Helper()
	c, err := core.New(core.Options{KV: e.kv, Objects: e.obj, Now: e.clock.Now, ClusterName: "cluster1",
		Version: "test", PasswordIterations: 1000, MinBucketSize: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// tenant creates a data tenant with an S3 service and returns it with its
// root key.
func (e *env) tenant(name string) (core.Tenant, core.NewKey) {
	e.t.Helper()
	t, err := e.core.CreateTenant(ctx, core.CreateTenantInput{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: t.UUID})
	if err != nil {
		e.t.Fatal(err)
	}
	return t, *out.RootKey
}

func (e *env) user(tenant, name string) core.NewKey {
	e.t.Helper()
	_, k, err := e.core.CreateUser(ctx, core.CreateUserInput{Tenant: tenant, Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func (e *env) client(k core.NewKey) *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.url),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""),
		RetryMaxAttempts: 1,
	})
}

// code returns the S3 error code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("%s: got %q (%v), want %q", what, got, err, want)
	}
}

func wantReason(t *testing.T, what string, err error, kind errs.Kind, r core.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s/%s", what, kind, r)
	}
	if !errors.Is(err, kind) || (r != "" && !errors.Is(err, r)) {
		t.Fatalf("%s: got %v (kind %s, reason %q), want %s/%s", what, err, errs.KindOf(err), core.ReasonOf(err), kind, r)
	}
}

// must returns v, or panics (failing the test with a stack) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
