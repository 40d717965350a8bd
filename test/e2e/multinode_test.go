package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The 3-node suite: three `coffer server` processes on one PostgreSQL
// schema and one data directory, as docs/operations.md deploys them, with
// a round-robin reverse proxy in front of their S3 listeners (each request
// to the next node). The servers are shared by the subtests, which run in
// order; the kill -9 comes last.

type threeNodes struct {
	nodes []*cofferServer
	rr    *httptest.Server // round-robin over the nodes' S3 listeners
}

func startThreeNodes(t *testing.T) *threeNodes {
	t.Helper()
	dsn := needPG(t)
	meta := pgURL(t, dsn)
	dir := filepath.Join(t.TempDir(), "data")
	c := &threeNodes{}
	for i := 1; i <= 3; i++ {
		srv, err := startCofferServer(dir, "COFFER_METADATA="+meta, fmt.Sprintf("COFFER_NODE_NAME=node%d", i))
		if err != nil {
			t.Fatalf("start node %d: %v", i, err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		c.nodes = append(c.nodes, srv)
	}
	c.rr = roundRobin(c.nodes)
	t.Cleanup(c.rr.Close)
	return c
}

// roundRobin is a reverse proxy that sends each request to the next of the
// nodes' S3 listeners.
func roundRobin(nodes []*cofferServer) *httptest.Server {
	var next atomic.Uint64
	var targets []*url.URL
	for _, n := range nodes {
		u, _ := url.Parse(n.Endpoint())
		targets = append(targets, u)
	}
	// The Host header stays the proxy's: SigV4 signed it, and each node
	// checks it as received.
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(targets[next.Add(1)%uint64(len(targets))])
		r.Out.Host = r.In.Host
	}, ErrorLog: log.New(io.Discard, "", 0)} // a killed node's 502s are expected
	return httptest.NewServer(rp)
}

func (c *threeNodes) root(t *testing.T, endpoint string) *s3.Client {
	return newClient(t, endpoint, cofferRootAccessKey, cofferRootSecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
}

func (c *threeNodes) ontap(n int) *ontapClient {
	srv := c.nodes[n]
	return &ontapClient{base: srv.AdminEndpoint(), user: cofferAdminUser, pass: cofferAdminPassword, hc: srv.AdminClient(2 * time.Minute)}
}

// eventually polls cond every 5 ms up to bound and returns how long it took.
func eventually(t *testing.T, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func TestMultiNode_threeNodesOnePostgres(t *testing.T) {
	t.Parallel() // a schema of its own
	c := startThreeNodes(t)
	ctx := context.Background()
	rr := c.root(t, c.rr.URL)
	b := "e2e-3n-" + randHex(6)
	if _, err := rr.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}

	t.Run("s3 written through one node read on the others", func(t *testing.T) {
		// Through the round-robin: each PUT lands on the next node, and so
		// does the GET that follows it (another node).
		for i := range 9 {
			key := fmt.Sprintf("rr/obj-%d", i)
			body := randBytes(1000 + i*3000)
			if _, err := rr.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("PUT %s: %v", key, err)
			}
			got, _, err := readAll(ctx, rr, b, key)
			if err != nil {
				t.Fatalf("GET %s on the next node: %v", key, err)
			}
			mustEqualBytes(t, key, got, body)
		}
		// Each node lists all nine.
		for i, n := range c.nodes {
			out, err := c.root(t, n.Endpoint()).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("rr/")})
			if err != nil || len(out.Contents) != 9 {
				t.Fatalf("node %d lists %d objects (%v), want 9", i+1, len(out.Contents), err)
			}
		}
	})

	t.Run("ontap user made on node 1 works on node 2 at once, deleted refused at once", func(t *testing.T) {
		on1 := c.ontap(0)
		svm := on1.mkSVM(t)
		name := ontapName(t, "u")
		ak, sk := on1.mkUser(t, svm.UUID, name)
		n2 := newClient(t, c.nodes[1].Endpoint(), ak, sk, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		d := eventually(t, time.Second, "new key accepted on node 2", func() bool {
			_, err := n2.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err == nil
		})
		t.Logf("key created on node 1 accepted on node 2 after %v", d)
		// Node 2 has the credential cached now; node 1 deletes the user.
		on1.do(t, "DELETE", usersPath(svm.UUID)+"/"+name, nil).must(t, 200)
		d = eventually(t, time.Second, "deleted user's key refused on node 2", func() bool {
			_, err := n2.ListBuckets(ctx, &s3.ListBucketsInput{})
			return errCode(err) == "InvalidAccessKeyId"
		})
		t.Logf("key deleted on node 1 refused on node 2 after %v", d)
		// The SVM made on node 1 is seen by node 3's ONTAP API.
		c.ontap(2).do(t, "GET", "/api/svm/svms/"+svm.UUID, nil).must(t, 200)
	})

	t.Run("commvault user made on node 1 logs in and uses S3 on node 3 at once; lockout counted across nodes", func(t *testing.T) {
		cv1 := cvLogin(t, c.nodes[0].AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
		name, pw := "cv3n-"+randHex(4), "pw-"+randHex(6)+"-long-enough"
		id := cv1.mkUser(t, name, pw)
		ak, sk := cv1.keys(t, id)
		n3 := newClient(t, c.nodes[2].Endpoint(), ak, sk, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		d := eventually(t, time.Second, "Commvault user's key accepted on node 3", func() bool {
			_, err := n3.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err == nil
		})
		t.Logf("key made through Commvault on node 1 accepted on node 3 after %v", d)
		cvLogin(t, c.nodes[2].AdminEndpoint(), name, pw) // the user's own login on node 3

		// Five bad passwords spread over the three nodes lock the user
		// (from this address) on every node: the count is the cluster's.
		login := func(n int, password string) int {
			anon := &cvClient{base: c.nodes[n].AdminEndpoint(), hc: adminHTTPClient(time.Minute)}
			return anon.do(t, "POST", "/Login", map[string]any{"username": name, "password": b64s(password)}).Status
		}
		for i := range 5 {
			if st := login(i%3, "wrong-password"); st == 200 {
				t.Fatalf("bad password %d accepted", i+1)
			}
		}
		for n := range 3 {
			if st := login(n, pw); st == 200 {
				t.Fatalf("node %d lets the right password in after 5 failures spread over the nodes: the lockout is not shared", n+1)
			}
		}
		// The client list names the three nodes on any node.
		r := cvLogin(t, c.nodes[1].AdminEndpoint(), cofferAdminUser, cofferAdminPassword).do(t, "GET", "/Client", nil).must(t, 200)
		if n := len(r.list("clientProperties")); n != 3 {
			t.Fatalf("GET /Client on node 2 lists %d clients, want the 3 nodes: %s", n, r.Raw)
		}
	})

	t.Run("cluster nodes listed by every node", func(t *testing.T) {
		eventually(t, 10*time.Second, "three nodes in /api/cluster/nodes", func() bool {
			r := c.ontap(1).do(t, "GET", "/api/cluster/nodes", nil).must(t, 200)
			return len(r.records()) == 3
		})
	})

	t.Run("bucket deleted on one node not served by another", func(t *testing.T) {
		gone := "e2e-3n-gone-" + randHex(6)
		n1, n2, n3 := c.root(t, c.nodes[0].Endpoint()), c.root(t, c.nodes[1].Endpoint()), c.root(t, c.nodes[2].Endpoint())
		if _, err := n1.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(gone)}); err != nil {
			t.Fatal(err)
		}
		if _, err := n2.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(gone), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}); err != nil {
			t.Fatal(err)
		}
		if _, err := n3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(gone), Key: aws.String("k")}); err != nil {
			t.Fatal(err)
		}
		if _, err := n3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(gone)}); err != nil {
			t.Fatal(err)
		}
		for i, n := range []*s3.Client{n1, n2} {
			_, err := n.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(gone), Key: aws.String("k2"), Body: bytes.NewReader([]byte("y"))})
			if errCode(err) != "NoSuchBucket" {
				t.Fatalf("PUT into the deleted bucket on node %d: %v, want NoSuchBucket", i+1, err)
			}
		}
	})

	t.Run("kill -9 of one node under 8 writers loses no acknowledged write", func(t *testing.T) {
		kb := "e2e-3n-kill-" + randHex(6)
		if _, err := rr.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(kb)}); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		w := startWriters(rr, kb, 8, 128<<10, stop)
		time.Sleep(1500 * time.Millisecond)
		c.nodes[1].Kill9()
		time.Sleep(1500 * time.Millisecond) // the survivors keep acknowledging
		close(stop)
		w.wg.Wait()
		if len(w.acked) == 0 {
			t.Fatal("no PUT acknowledged")
		}
		t.Logf("node 2 killed under load: %d PUTs acknowledged of %d attempted; failures by status %v", len(w.acked), len(w.attempted), w.statuses)
		// Every acknowledged object is whole on a survivor, and nothing
		// half-written is listed.
		verifyAcked(t, c.root(t, c.nodes[2].Endpoint()), kb, w)
		// The killed node comes back and serves them too.
		if err := c.nodes[1].Restart(); err != nil {
			t.Fatal(err)
		}
		verifyAcked(t, c.root(t, c.nodes[1].Endpoint()), kb, w)
	})
}

// TestMultiNode_listenAfterDatabaseRestart: two nodes on a private
// PostgreSQL that restarts: each node's LISTEN connection comes back by
// itself (its log says so), and a key made on node 1 afterwards is
// accepted on node 2 at once.
func TestMultiNode_listenAfterDatabaseRestart(t *testing.T) {
	t.Parallel() // a PostgreSQL of its own
	needPG(t)
	pg := startPrivatePG(t)
	dir := filepath.Join(t.TempDir(), "data")
	var nodes []*cofferServer
	for i := 1; i <= 2; i++ {
		srv, err := startCofferServer(dir, "COFFER_METADATA="+pg.dsn, fmt.Sprintf("COFFER_NODE_NAME=node%d", i))
		if err != nil {
			t.Fatalf("start node %d: %v", i, err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		nodes = append(nodes, srv)
	}
	logPath := nodes[0].logPath // both nodes share the data directory, hence the log file
	backs := func() int {
		raw, _ := os.ReadFile(logPath)
		return strings.Count(string(raw), "LISTEN connection back")
	}
	before := backs()
	pg.stop()
	time.Sleep(time.Second)
	pg.start()
	eventually(t, 30*time.Second, "both nodes listening again", func() bool { return backs() >= before+2 })

	on1 := &ontapClient{base: nodes[0].AdminEndpoint(), user: cofferAdminUser, pass: cofferAdminPassword, hc: nodes[0].AdminClient(2 * time.Minute)}
	svm := on1.mkSVM(t)
	ak, sk := on1.mkUser(t, svm.UUID, ontapName(t, "u"))
	n2 := newClient(t, nodes[1].Endpoint(), ak, sk, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	d := eventually(t, time.Second, "key made on node 1 after the restart accepted on node 2", func() bool {
		_, err := n2.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		return err == nil
	})
	t.Logf("after the database restart: key made on node 1 accepted on node 2 after %v", d)
}
