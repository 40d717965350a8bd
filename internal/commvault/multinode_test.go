package commvault

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/core"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
	"coffer/internal/s3api"
)

// newMultiNodeEnv runs each node as its own process would: its own object
// layer, core (caches, change feed, jobs) and handlers, all on ONE Pebble
// store and ONE data directory (as nodes share PostgreSQL and a shared
// directory).
func newMultiNodeEnv(t *testing.T, names ...string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, nodes: map[string]*testNode{}}
	var closers []func()
	t.Cleanup(func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		st.Close()
	})
	for i, name := range names {
		fed := core.ChangeFeed(st)
		bl, err := blob.Open(blob.Options{Dir: filepath.Join(dir, "data")})
		if err != nil {
			t.Fatal(err)
		}
		obj, err := objects.New(objects.Options{KV: fed, Blobs: bl})
		if err != nil {
			t.Fatal(err)
		}
		c, err := core.New(core.Options{KV: fed, Objects: obj, PasswordIterations: 1000, ClusterName: "cluster1", NodeName: name})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := c.Bootstrap(bg, core.BootstrapInput{TenantName: "default"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.BootstrapAdmin(bg, testAdmin, testPassword); err != nil {
				t.Fatal(err)
			}
			e.core, e.obj = c, obj
		}
		be := c.S3Backend()
		s3h, err := s3api.New(s3api.Options{Backend: be, BucketPolicies: be, Credentials: c, Authorizer: c.EndpointAuthorizer(name)})
		if err != nil {
			t.Fatal(err)
		}
		n := &testNode{name: name, s3: httptest.NewServer(s3h)}
		n.h, err = New(Options{Core: c, Tenant: "default", NodeName: name, S3Endpoint: n.s3.URL + "/S3", Version: "test",
			Heartbeat: 200 * time.Millisecond, UpkeepInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		n.api = httptest.NewServer(n.h)
		e.nodes[name] = n
		closers = append(closers, func() { n.api.Close(); n.s3.Close(); n.h.Close(); c.Close(); obj.Close() })
	}
	return e
}

// The seed flow with two endpoint nodes, each a separate core on the
// shared store: the vault is created on node A naming A and B as its
// endpoints; the job is visible on every node; both endpoints serve the
// vault and share its objects; node C, not named, refuses with the
// endpoints' names; a key rotated on node A stops working on node B within
// the change feed's bound.
func TestMultiNodeSeedTwoEndpoints(t *testing.T) {
	e := newMultiNodeEnv(t, "node-a", "node-b", "node-c")
	a, b, c := e.node("node-a"), e.node("node-b"), e.node("node-c")
	f := e.fixture(t)
	r := a.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token,
		f.seedBody("vault1", int64(a.h.Node().ID), int64(b.h.Node().ID))).must(t, 200)
	tokB := b.admin(t)
	j := b.waitJob(t, tokB, r.num("addEndpointJob.jobId")) // the job, seen from node B
	if j.str("jobs.0.jobSummary.status") != "Completed" {
		t.Fatalf("endpoint job: %s", j.Raw)
	}
	d := c.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", r.num("response.entity.clientId")), c.admin(t), nil).must(t, 200)
	if len(d.list("cvs3Endpoints")) != 2 || d.str("cvs3Endpoints.0.status") != "active" || d.str("cvs3Endpoints.1.status") != "active" {
		t.Fatalf("endpoints seen from node C: %s", d.Raw)
	}
	cl := c.call(t, "GET", "/commandcenter/api/Client", c.admin(t), nil).must(t, 200)
	if n := len(cl.list("clientProperties")); n != 3 {
		t.Fatalf("GET /Client lists %d nodes, want 3: %s", n, cl.Raw)
	}

	ak, sk := b.keys(t, tokB, f.owner)
	if err := put(a.s3client(ak, sk), "vault1", "k", "written on node A"); err != nil {
		t.Fatal(err)
	}
	if got, err := getBody(b.s3client(ak, sk), "vault1", "k"); err != nil || got != "written on node A" {
		t.Fatalf("read on node B: %q %v", got, err)
	}
	err := put(c.s3client(ak, sk), "vault1", "k2", "x")
	if s3code(err) != "AccessDenied" || !strings.Contains(s3message(err), "node-a") || !strings.Contains(s3message(err), "node-b") {
		t.Fatalf("node C (not an endpoint): %v", err)
	}

	// Rotate on node A: the old key fails on node B within 1 s.
	a.keys(t, f.token, f.owner)
	start := time.Now()
	for {
		_, err := getBody(b.s3client(ak, sk), "vault1", "k")
		if s3code(err) == "InvalidAccessKeyId" {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("old key still works on node B after 1 s: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("rotated key refused on node B after %v", time.Since(start))
}
