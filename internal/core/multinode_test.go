package core_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/blob"
	"coffer/internal/core"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
	"coffer/internal/policy"
	"coffer/internal/s3api"
)

// The multi-node tests run several nodes in one process on ONE Pebble
// store and ONE blob directory: each node has its own object layer, core
// (caches, change-feed follower, job runner, leases) and S3 adapter, as N
// coffer servers sharing PostgreSQL and a shared directory do, minus the
// network.

type cluster struct {
	t     *testing.T
	kv    *pebble.Store
	dir   string
	nodes []*mnode
	boot  core.BootstrapResult
}

type mnode struct {
	name string
	obj  *objects.Service
	core *core.Service
	url  string
	srv  *httptest.Server
	dead bool
}

// hideNotifier hides the store's Notifier: a node that only polls.
type hideNotifier struct{ kv.Store }

type nodeOpts struct {
	pollOnly bool
	jobLease time.Duration
	tweak    func(*core.Options)
}

func newCluster(t *testing.T, n int, no nodeOpts) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir()}
	var err error
	c.kv, err = pebble.Open(pebble.Options{Dir: filepath.Join(c.dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			c.stop(nd)
		}
		c.kv.Close()
	})
	for i := 0; i < n; i++ {
		c.add(fmt.Sprintf("node-%c", 'a'+i), no)
	}
	c.boot, err = c.nodes[0].core.Bootstrap(ctx, core.BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cluster) add(name string, no nodeOpts) *mnode {
	c.t.Helper()
	var st kv.Store = c.kv
	if no.pollOnly {
		st = hideNotifier{c.kv}
	}
	st = core.ChangeFeed(st)
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(c.dir, "data")})
	if err != nil {
		c.t.Fatal(err)
	}
	nd := &mnode{name: name}
	nd.obj, err = objects.New(objects.Options{KV: st, Blobs: bl})
	if err != nil {
		c.t.Fatal(err)
	}
	o := core.Options{KV: st, Objects: nd.obj, ClusterName: "cluster1", Version: "test", PasswordIterations: 1000,
		MinBucketSize: 1, NodeName: name, JobLease: no.jobLease}
	if no.tweak != nil {
		no.tweak(&o)
	}
	nd.core, err = core.New(o)
	if err != nil {
		c.t.Fatal(err)
	}
	be := nd.core.S3Backend()
	h, err := s3api.New(s3api.Options{Backend: be, BucketPolicies: be, Credentials: nd.core, Authorizer: nd.core})
	if err != nil {
		c.t.Fatal(err)
	}
	nd.srv = httptest.NewServer(h)
	nd.url = nd.srv.URL
	c.nodes = append(c.nodes, nd)
	return nd
}

func (c *cluster) stop(nd *mnode) {
	if nd.dead {
		return
	}
	nd.dead = true
	nd.srv.Close()
	nd.core.Close()
	nd.obj.Close()
}

func (nd *mnode) client(k core.NewKey) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(nd.url), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider(k.AccessKey, k.SecretKey, ""),
		RetryMaxAttempts: 1})
}

// within polls cond every millisecond until it holds or bound passes, and
// returns how long it took (failing the test past bound).
func within(t *testing.T, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not seen within %v", what, bound)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

func quantiles(d []time.Duration) (p50, p99, top time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[(len(d)*99)/100], d[len(d)-1]
}

// revokeLatency revokes n keys on node A and measures when node B refuses
// each (B caches the credential first).
func revokeLatency(t *testing.T, c *cluster, n int) []time.Duration {
	a, b := c.nodes[0], c.nodes[1]
	tenant := c.boot.Tenant.UUID
	var lat []time.Duration
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("revoke%d", i)
		_, k, err := a.core.CreateUser(ctx, core.CreateUserInput{Tenant: tenant, Name: user})
		if err != nil {
			t.Fatal(err)
		}
		within(t, time.Second, "new key on node B", func() bool {
			_, err := b.core.Credential(ctx, k.AccessKey)
			return err == nil
		})
		if err := a.core.DeleteKeys(ctx, tenant, user, 0); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, within(t, time.Second, "revoked key refused on node B", func() bool {
			_, err := b.core.Credential(ctx, k.AccessKey)
			return err != nil
		}))
	}
	return lat
}

func TestMultiNodeKeyRevokedWithinBound(t *testing.T) {
	c := newCluster(t, 2, nodeOpts{})
	lat := revokeLatency(t, c, 40)
	p50, p99, top := quantiles(lat)
	t.Logf("revoked key refused on the other node (notified): p50 %v, p99 %v, max %v over %d", p50, p99, top, len(lat))
	if p99 > 100*time.Millisecond {
		t.Errorf("p99 %v: a notified node should see a change in well under 100 ms", p99)
	}
}

func TestMultiNodeKeyRevokedPollOnly(t *testing.T) {
	// Node B misses every notification (a lost LISTEN connection): the
	// 200-ms poll of the durable counters still bounds the delay.
	c := newCluster(t, 1, nodeOpts{})
	c.add("node-b", nodeOpts{pollOnly: true})
	lat := revokeLatency(t, c, 20)
	p50, p99, top := quantiles(lat)
	t.Logf("revoked key refused on the other node (poll only): p50 %v, p99 %v, max %v over %d", p50, p99, top, len(lat))
	if top > core.DefaultFeedPoll+300*time.Millisecond {
		t.Errorf("max %v: the poll should bound the delay near %v", top, core.DefaultFeedPoll)
	}
}

func TestMultiNodeS3SeesRevocationDisableAndPolicy(t *testing.T) {
	c := newCluster(t, 2, nodeOpts{})
	a, b := c.nodes[0], c.nodes[1]
	tenant := c.boot.Tenant.UUID
	root := b.client(c.boot.Key)
	if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	_, k, err := a.core.CreateUser(ctx, core.CreateUserInput{Tenant: tenant, Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	alice := b.client(k)
	list := func() string {
		_, err := alice.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared")})
		return code(err)
	}
	if got := list(); got != "AccessDenied" {
		t.Fatalf("alice without a policy on node B: %q, want AccessDenied", got)
	}

	// A bucket policy set through node A's S3 API allows alice on node B.
	doc, err := policy.ParseAWS([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":["alice"]},"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::shared"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.core.S3Backend().PutBucketPolicy(ctx, tenant, "shared", doc); err != nil {
		t.Fatal(err)
	}
	d := within(t, time.Second, "bucket policy on node B", func() bool { return list() == "" })
	t.Logf("bucket policy seen on node B after %v", d)

	// Disabling alice on node A locks her out on node B.
	if _, err := a.core.SetUserEnabled(ctx, tenant, "alice", false); err != nil {
		t.Fatal(err)
	}
	d = within(t, time.Second, "disabled user refused on node B", func() bool { return list() == "InvalidAccessKeyId" })
	t.Logf("disabled user refused on node B after %v", d)
	if _, err := a.core.SetUserEnabled(ctx, tenant, "alice", true); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "re-enabled user on node B", func() bool { return list() == "" })

	// Deleting the policy on node A denies again on node B.
	if err := a.core.S3Backend().DeleteBucketPolicy(ctx, tenant, "shared"); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "deleted bucket policy on node B", func() bool { return list() == "AccessDenied" })

	// A revoked key fails on node B's S3 API.
	if err := a.core.DeleteKeys(ctx, tenant, "alice", 0); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "revoked key on node B's S3", func() bool { return list() == "InvalidAccessKeyId" })
}

var _ = context.Background
