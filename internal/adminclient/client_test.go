package adminclient

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"coffer/internal/server"
)

// The client against a real in-process node (internal/server: Pebble, the
// object layer, the core and both dialects on an HTTPS listener with its
// self-signed certificate).

const testPassword = "adminclient-test-password"

type testNode struct {
	srv      *server.Server
	endpoint string
	fp       string // the certificate's fingerprint
	caPEM    string
}

func startNode(t *testing.T) *testNode {
	t.Helper()
	dir := t.TempDir()
	srv, err := server.Start(context.Background(), server.Options{DataDir: dir, S3Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		AdminPassword: testPassword, NodeName: "node1", Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	b, err := os.ReadFile(filepath.Join(dir, "tls", "admin.crt"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	return &testNode{srv: srv, endpoint: "https://" + srv.AdminAddr(), fp: Fingerprint(blk.Bytes), caPEM: string(b)}
}

func login(t *testing.T, n *testNode, tlsOpts TLSOptions) Config {
	t.Helper()
	cfg, err := Login(context.Background(), LoginOptions{Endpoint: n.endpoint, User: "admin", Password: testPassword, TLS: tlsOpts})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLoginTrustAndErrors(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	// The self-signed certificate fails verification against the system
	// roots, passes against itself; the probe reports its fingerprint.
	p, err := ProbeTLS(ctx, n.endpoint, "")
	if err != nil || p.VerifyErr == nil || p.Fingerprint != n.fp {
		t.Fatalf("probe without CA: %+v, %v", p, err)
	}
	if p, err := ProbeTLS(ctx, n.endpoint, n.caPEM); err != nil || p.VerifyErr != nil {
		t.Fatalf("probe with the certificate as CA: %+v, %v", p, err)
	}
	// Unverified TLS fails; a pin or the CA works.
	if _, err := Login(ctx, LoginOptions{Endpoint: n.endpoint, User: "admin", Password: testPassword}); err == nil {
		t.Fatal("login without trust succeeded")
	}
	var uerr x509.UnknownAuthorityError
	_, err = Login(ctx, LoginOptions{Endpoint: n.endpoint, User: "admin", Password: testPassword})
	if !errors.As(err, &uerr) {
		t.Fatalf("login without trust: %v, want an unknown-authority error", err)
	}
	for _, o := range []TLSOptions{{Fingerprint: n.fp}, {CACert: n.caPEM}, {Fingerprint: strings.ToLower(strings.ReplaceAll(n.fp, ":", ""))}} {
		cfg := login(t, n, o)
		cl, err := New(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := cl.Cluster(ctx); err != nil || c.Name == "" {
			t.Fatalf("cluster with %+v: %+v, %v", o, c, err)
		}
	}
	// Another pinned certificate is refused with a clear error.
	cfg := login(t, n, TLSOptions{Fingerprint: n.fp})
	cfg.TLS.Fingerprint = strings.Repeat("00:", 31) + "00"
	cl, _ := New(cfg, Options{})
	var cc *CertificateChangedError
	if _, err := cl.Cluster(ctx); !errors.As(err, &cc) || cc.Got != n.fp {
		t.Fatalf("changed certificate: %v", err)
	}
	// A wrong password: Commvault's code and message.
	_, err = Login(ctx, LoginOptions{Endpoint: n.endpoint, User: "admin", Password: "wrong-password", TLS: TLSOptions{Fingerprint: n.fp}})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Dialect != Commvault || ae.Status != 401 || ae.Code != "6" {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestTokenRenewal(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	cfg := login(t, n, TLSOptions{Fingerprint: n.fp})
	if cfg.RefreshToken == "" || !cfg.Expires.After(time.Now()) || !cfg.RenewableUntil.After(cfg.Expires) {
		t.Fatalf("login config: %+v", cfg)
	}
	path := filepath.Join(t.TempDir(), "c", "config.json")
	if err := SaveConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode %v", fi.Mode())
	}
	// An expired token is renewed before the call and saved.
	cfg.Expires = time.Now().Add(-time.Minute)
	var saved []Config
	cl, _ := New(cfg, Options{Save: func(c Config) error { saved = append(saved, c); return SaveConfig(path, c) }})
	if _, err := cl.Tenants(ctx); err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || saved[0].AccessToken == cfg.AccessToken || saved[0].RefreshToken == cfg.RefreshToken {
		t.Fatalf("renewal saved %d configs", len(saved))
	}
	// A second process holding the old (spent) pair rereads the file and
	// uses the token renewed there instead of failing.
	stale, _ := New(cfg, Options{Load: func() (Config, error) { return LoadConfig(path) }})
	if _, err := stale.Tenants(ctx); err != nil {
		t.Fatalf("stale client: %v", err)
	}
	// A spent refresh token without a newer file: log in again.
	spent, _ := New(cfg, Options{})
	if _, err := spent.Tenants(ctx); err == nil || !strings.Contains(err.Error(), "login again") {
		t.Fatalf("spent refresh token: %v", err)
	}
	// A revoked token.
	cur, _ := New(saved[0], Options{})
	if err := cur.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Tenants(ctx); err == nil {
		t.Fatal("revoked token still works")
	}
}

func TestResources(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	cl, _ := New(login(t, n, TLSOptions{Fingerprint: n.fp}), Options{})

	ch, err := cl.CreateTenant(ctx, "tenant1", "c", false)
	if err != nil || ch.JobUUID == "" || ch.Done {
		t.Fatalf("create tenant without waiting: %+v, %v", ch, err)
	}
	var states []string
	j, err := cl.WaitJob(ctx, ch.JobUUID, 50*time.Millisecond, func(j Job) { states = append(states, j.State) })
	if err != nil || j.State != "success" || !j.Done || j.Percent != 100 {
		t.Fatalf("wait: %+v %v (%v)", j, err, states)
	}
	tn, err := cl.Tenant(ctx, "tenant1")
	if err != nil {
		t.Fatal(err)
	}
	users, err := cl.CreateS3Server(ctx, tn.UUID, "tenant1", "")
	if err != nil || len(users) != 1 || users[0].SecretKey == "" {
		t.Fatalf("S3 server: %+v, %v", users, err)
	}
	u, err := cl.CreateUser(ctx, tn.UUID, "bob", "")
	if err != nil || u.SecretKey == "" {
		t.Fatalf("user: %+v %v", u, err)
	}
	_, err = cl.CreateUser(ctx, tn.UUID, "bob", "")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Dialect != ONTAP || ae.Code != "1" || ae.Status != 409 {
		t.Fatalf("duplicate user: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "ONTAP error 1: ") {
		t.Fatalf("error text %q", err)
	}
	if _, err := cl.CreateBucket(ctx, BucketInput{SVMName: "tenant1", Name: "bucket-one", Size: 1 << 30}, true); err != nil {
		t.Fatal(err)
	}
	b, err := cl.Bucket(ctx, "tenant1", "bucket-one")
	if err != nil || b.Size != 1<<30 || b.SVM.UUID != tn.UUID {
		t.Fatalf("bucket: %+v %v", b, err)
	}
	// A job failing: deleting the tenant while its S3 server exists is
	// refused at once.
	if _, err := cl.DeleteTenant(ctx, tn.UUID, true); !errors.As(err, &ae) || ae.Code != "8" {
		t.Fatalf("delete a tenant with an S3 server: %v", err)
	}

	// Commvault: plan, vault, the endpoint job by number.
	id, err := cl.CreatePlan(ctx, "plan-a", 3, "")
	if err != nil || id == 0 {
		t.Fatal(err)
	}
	if _, err := cl.CreateUser(ctx, mustTenant(t, cl, "default"), "owner1", ""); err != nil {
		t.Fatal(err)
	}
	v, err := cl.CreateVault(ctx, VaultInput{Name: "vault-a", Plan: "plan-a", Owners: []string{"owner1"}, Endpoints: []string{"node1"}})
	if err != nil || v.EndpointJob == 0 {
		t.Fatalf("vault: %+v %v", v, err)
	}
	j, err = cl.WaitJob(ctx, strconv.FormatInt(v.EndpointJob, 10), 50*time.Millisecond, nil)
	if err != nil || j.State != "Completed" || j.Dialect != Commvault {
		t.Fatalf("endpoint job: %+v %v", j, err)
	}
	got, err := cl.VaultByName(ctx, "vault-a")
	if err != nil || got.Plan.PlanName != "plan-a" || len(got.Owners) != 1 || got.Endpoints[0].Status != "active" {
		t.Fatalf("vault read: %+v %v", got, err)
	}
	if err := cl.DeletePlan(ctx, id); !errors.As(err, &ae) || ae.Dialect != Commvault || ae.Code != "7" {
		t.Fatalf("delete a plan in use: %v", err)
	}
	if _, err := cl.VaultByName(ctx, "nope"); !IsNotFound(err) {
		t.Fatalf("missing vault: %v", err)
	}
	if _, err := cl.Job(ctx, "999999"); !IsNotFound(err) {
		t.Fatalf("missing job: %v", err)
	}
}

func mustTenant(t *testing.T, cl *Client, name string) string {
	tn, err := cl.Tenant(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tn.UUID
}

func TestNormalizeFingerprint(t *testing.T) {
	fp := strings.Repeat("AB:", 31) + "CD"
	for _, in := range []string{fp, strings.ToLower(fp), strings.ReplaceAll(fp, ":", ""), "SHA256:" + fp, "sha256 Fingerprint=" + fp} {
		if got := NormalizeFingerprint(in); got != fp {
			t.Errorf("%q → %q", in, got)
		}
	}
	for _, in := range []string{"", "AB:CD", strings.Repeat("ZZ", 32)} {
		if got := NormalizeFingerprint(in); got != "" {
			t.Errorf("%q → %q, want invalid", in, got)
		}
	}
}
