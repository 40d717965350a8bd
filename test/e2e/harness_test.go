// Package e2e is Coffer's black-box end-to-end suite for the S3 data plane.
//
// It talks to an S3 endpoint only through public protocols (aws-sdk-go-v2, the
// aws CLI, boto3, curl and raw HTTP), so it runs against any S3 implementation:
//
//   - Peer mode: COFFER_E2E_ENDPOINT (+ COFFER_E2E_ACCESS_KEY, COFFER_E2E_SECRET_KEY)
//     points the suite at an already running endpoint (for example MinIO).
//   - Coffer mode (default): TestMain builds ./cmd/coffer once, starts
//     `coffer server` on free loopback ports with a fresh data dir and stops it
//     with SIGTERM at the end. If the build or the start fails every test FAILS.
//
// Tests that need to control the server process (crash, path prefix) skip in
// peer mode.
package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithymw "github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// Root credentials handed to a Coffer server started by the harness
	// (20 and 40 characters, like AWS access keys).
	cofferRootAccessKey = "COFFERE2EROOTKEY0001"
	cofferRootSecretKey = "cofferE2eRootSecretKey0000000000000000001"

	// The management plane's cluster administrator (HTTP Basic on the
	// admin listener) of a Coffer server started by the harness.
	cofferAdminUser     = "admin"
	cofferAdminPassword = "coffer-e2e-admin-password"

	region = "us-east-1"
)

// target describes the S3 endpoint under test.
type target struct {
	endpoint  string // http://host:port, no trailing slash
	accessKey string
	secretKey string
	peer      bool // true when COFFER_E2E_ENDPOINT is set
}

var (
	suite       target
	suiteErr    error         // non-nil when the Coffer server could not be built or started
	cofferBin   string        // path of the built binary (Coffer mode)
	sharedSrv   *cofferServer // the suite's shared server (Coffer mode)
	suiteTmpDir string

	suiteCleanupMu sync.Mutex
	suiteCleanups  []func()
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The suite is network bound: run more tests at once than GOMAXPROCS
	// (2 on CI) unless -parallel was given explicitly.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			parallelSet = true
		}
	})
	if !parallelSet {
		_ = flag.Set("test.parallel", "12")
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	suiteTmpDir, err = os.MkdirTemp("", "coffer-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: mkdtemp:", err)
		return 1
	}
	defer os.RemoveAll(suiteTmpDir)

	if ep := os.Getenv("COFFER_E2E_ENDPOINT"); ep != "" {
		if !strings.Contains(ep, "://") {
			ep = "http://" + ep
		}
		suite = target{
			endpoint:  strings.TrimRight(ep, "/"),
			accessKey: os.Getenv("COFFER_E2E_ACCESS_KEY"),
			secretKey: os.Getenv("COFFER_E2E_SECRET_KEY"),
			peer:      true,
		}
		if suite.accessKey == "" || suite.secretKey == "" {
			suiteErr = errors.New("COFFER_E2E_ENDPOINT is set but COFFER_E2E_ACCESS_KEY / COFFER_E2E_SECRET_KEY are not")
		}
	} else {
		suiteErr = setupCoffer()
	}
	if suiteErr != nil {
		fmt.Fprintf(os.Stderr, "e2e: endpoint unavailable, every test will fail: %v\n", suiteErr)
	}

	code := m.Run()

	suiteCleanupMu.Lock()
	for i := len(suiteCleanups) - 1; i >= 0; i-- {
		suiteCleanups[i]()
	}
	suiteCleanupMu.Unlock()
	if sharedSrv != nil {
		if err := sharedSrv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping coffer:", err)
		}
	}
	return code
}

// registerSuiteCleanup runs fn after all tests finished (for fixtures shared
// between tests).
func registerSuiteCleanup(fn func()) {
	suiteCleanupMu.Lock()
	defer suiteCleanupMu.Unlock()
	suiteCleanups = append(suiteCleanups, fn)
}

func setupCoffer() error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("go env GOMOD: not inside a module")
	}
	root := filepath.Dir(gomod)
	cofferBin = filepath.Join(suiteTmpDir, "coffer")
	build := exec.Command("go", "build", "-o", cofferBin, "./cmd/coffer")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/coffer failed:\n%s\n", out)
		return fmt.Errorf("go build ./cmd/coffer: %v", err)
	}
	// The shared server serves every test at once from 127.0.0.1, and many
	// tests send wrong passwords on purpose: its lockout limits are lifted so
	// that one test's bad guesses never lock another's administrator out. The
	// lockout itself is tested on private servers with the default policy.
	env := []string{"COFFER_LOGIN_MAX_FAILURES=1000000", "COFFER_LOGIN_MAX_ADDRESS_FAILURES=1000000"}
	if n := os.Getenv("COFFER_E2E_NODES"); n != "" && n != "1" {
		return setupCluster(n, env)
	}
	srv, err := startCofferServer(filepath.Join(suiteTmpDir, "shared-data"), env...)
	if err != nil {
		return err
	}
	sharedSrv = srv
	suite = target{endpoint: srv.Endpoint(), accessKey: cofferRootAccessKey, secretKey: cofferRootSecretKey}
	return nil
}

// setupCluster makes the suite's shared server a cluster (COFFER_E2E_NODES=N,
// not in CI: it doubles the suite's time): N nodes on one PostgreSQL schema
// (COFFER_TEST_PG_DSN) and one data directory, the S3 requests of the suite
// through a round-robin over them, the management plane on node 1 (the
// tests that need a node of their own still start one).
func setupCluster(n string, env []string) error {
	nodes, err := strconv.Atoi(n)
	if err != nil || nodes < 2 || nodes > 9 {
		return fmt.Errorf("COFFER_E2E_NODES=%q: want a number of nodes from 1 to 9", n)
	}
	dsn := os.Getenv("COFFER_TEST_PG_DSN")
	if !strings.HasPrefix(dsn, "postgres") {
		return errors.New("COFFER_E2E_NODES needs COFFER_TEST_PG_DSN (a postgres:// URL) for the nodes' shared metadata")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	env = append(env, "COFFER_METADATA="+dsn+sep+"schema=e2e_cluster_"+randHex(8))
	var srvs []*cofferServer
	for i := 1; i <= nodes; i++ {
		srv, err := startCofferServer(filepath.Join(suiteTmpDir, "shared-data"), append(env, fmt.Sprintf("COFFER_NODE_NAME=node%d", i))...)
		if err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		if i > 1 {
			registerSuiteCleanup(func() { _ = srv.Stop() })
		}
		srvs = append(srvs, srv)
	}
	addr, stop, err := tcpRoundRobin(srvs)
	if err != nil {
		return err
	}
	registerSuiteCleanup(stop)
	sharedSrv, suiteNodes = srvs[0], nodes
	suite = target{endpoint: "http://" + addr, accessKey: cofferRootAccessKey, secretKey: cofferRootSecretKey}
	return nil
}

// suiteNodes is the number of nodes of the suite's shared server (0 or 1:
// one server).
var suiteNodes int

// awaitCoherence waits, when the suite runs on a cluster, for the bound
// within which every node sees a committed change to what its caches hold
// (keys, policies, ACLs: at most 1 s, docs/operations.md), so that a test
// that changes a permission and uses it at once through another node tests
// the rule, not the propagation (tested on its own, multinode_test.go). On
// one server it returns at once.
func awaitCoherence() {
	if suiteNodes > 1 {
		time.Sleep(time.Second)
	}
}

// tcpRoundRobin is a load balancer in TCP mode (as HAProxy's or a cloud
// L4 balancer): each new connection goes to the next node's S3 listener
// and its bytes pass untouched. The suite's clients open many connections
// (SDK pools, one per CLI or python run), so their requests spread over the
// nodes; an HTTP proxy would rewrite what the suite checks (net/http
// canonicalises the response's header names, x-amz-meta-lang becoming
// X-Amz-Meta-Lang).
func tcpRoundRobin(nodes []*cofferServer) (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var next atomic.Uint64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			backend := nodes[next.Add(1)%uint64(len(nodes))].s3Addr
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				done := make(chan struct{}, 2)
				pipe := func(dst, src net.Conn) {
					_, _ = io.Copy(dst, src)
					if tc, ok := dst.(*net.TCPConn); ok {
						_ = tc.CloseWrite()
					}
					done <- struct{}{}
				}
				go pipe(b, c)
				go pipe(c, b)
				<-done
				<-done
			}()
		}
	}()
	return l.Addr().String(), func() { _ = l.Close() }, nil
}

// ---------------------------------------------------------------------------
// Coffer server process control.

// cofferServer is one `coffer server` process started by the harness.
type cofferServer struct {
	mu        sync.Mutex
	dataDir   string
	s3Addr    string
	adminAddr string
	logPath   string
	cmd       *exec.Cmd
	exited    chan struct{}
	env       []string // extra environment (NAME=value) for the server process
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

func startCofferServer(dataDir string, env ...string) (*cofferServer, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	s3Addr, err := freePort()
	if err != nil {
		return nil, err
	}
	adminAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	env = withPostgresMetadata(env)
	s := &cofferServer{dataDir: dataDir, s3Addr: s3Addr, adminAddr: adminAddr,
		logPath: dataDir + ".log", env: env}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *cofferServer) Endpoint() string { return "http://" + s.s3Addr }

// The management listener serves HTTPS (a self-signed certificate the
// server generates in its data directory) unless started with
// --admin-insecure-http. These helpers are the one place that knows it:
// every test reaches the admin listener through AdminEndpoint and an
// AdminClient (or adminHTTPClient, curlAdmin, adminRawConn).

// AdminEndpoint is the management listener's base URL (ONTAP REST under /api).
func (s *cofferServer) AdminEndpoint() string {
	for _, kv := range s.env {
		if kv == "COFFER_ADMIN_INSECURE_HTTP=1" {
			return "http://" + s.adminAddr
		}
	}
	return adminURL(s.adminAddr)
}

// adminURL is the base URL of a management listener at addr (host:port).
func adminURL(addr string) string { return "https://" + addr }

// AdminCertFile is the self-signed certificate the server generated (its
// clients pin it: curl --cacert FILE).
func (s *cofferServer) AdminCertFile() string { return filepath.Join(s.dataDir, "tls", "admin.crt") }

// AdminClient returns an HTTP client for this server's management listener
// that trusts exactly its generated certificate (and checks the name), so
// a test also proves the certificate covers 127.0.0.1. Before the
// certificate exists (startup), or for a server whose data directory is
// unknown, it falls back to adminHTTPClient.
func (s *cofferServer) AdminClient(timeout time.Duration) *http.Client {
	pem, err := os.ReadFile(s.AdminCertFile())
	if err != nil {
		return adminHTTPClient(timeout)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return adminHTTPClient(timeout)
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 16}}
}

// AdminCAEnv is the environment (NAME=value) that makes external tools
// trust exactly this server's management certificate: Python's requests
// (cvpysdk, Ansible's netapp.ontap), curl and OpenSSL-based clients.
func (s *cofferServer) AdminCAEnv() []string {
	f := s.AdminCertFile()
	return []string{"REQUESTS_CA_BUNDLE=" + f, "CURL_CA_BUNDLE=" + f, "SSL_CERT_FILE=" + f}
}

// adminTransport skips certificate verification: the test servers' certificates are self-signed.
var adminTransport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 16}

// adminHTTPClient returns a client for any management listener started by
// the tests (self-signed certificates, not verified; curl -k).
func adminHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: adminTransport}
}

// curlAdmin runs curl against a management listener: curl's -k, as the
// docs show for a self-signed certificate.
func curlAdmin(t testing.TB, args ...string) (int, []byte) {
	t.Helper()
	return curl(t, append([]string{"-k"}, args...)...)
}

// adminRawConn opens a TLS connection to a management listener (handshake
// done) for tests that write HTTP by hand, with a 30-s overall deadline.
func adminRawConn(t testing.TB, addr string) net.Conn {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

func (s *cofferServer) start() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(cofferBin, "server", "--data-dir", s.dataDir,
		"--s3-addr", s.s3Addr, "--admin-addr", s.adminAddr)
	cmd.Env = append(os.Environ(),
		"COFFER_ROOT_ACCESS_KEY="+cofferRootAccessKey,
		"COFFER_ROOT_SECRET_KEY="+cofferRootSecretKey,
		"COFFER_ADMIN_USER="+cofferAdminUser,
		"COFFER_ADMIN_PASSWORD="+cofferAdminPassword)
	cmd.Env = append(cmd.Env, s.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start coffer server: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	s.cmd, s.exited = cmd, exited

	ready := s.AdminEndpoint() + "/health/ready"
	deadline := time.Now().Add(30 * time.Second)
	hc := adminHTTPClient(2 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("coffer server exited during startup (%v); log tail:\n%s", cmd.ProcessState, s.logTail())
		default:
		}
		if resp, err := hc.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return fmt.Errorf("coffer server not ready at %s within 30s; log tail:\n%s", ready, s.logTail())
}

func (s *cofferServer) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop sends SIGTERM and waits (up to 20 s, then SIGKILL).
func (s *cofferServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
		return errors.New("coffer server ignored SIGTERM for 20s; killed")
	}
	s.cmd = nil
	return nil
}

// Kill9 kills the server with SIGKILL (crash simulation) and waits for it.
func (s *cofferServer) Kill9() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Restart starts the server again on the same data dir and ports (after Stop
// or Kill9) and waits until it is ready.
func (s *cofferServer) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("restart: server still running")
	}
	var err error
	for i := 0; i < 3; i++ { // the port may linger briefly after a kill
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return err
}

// startPrivateCoffer starts a server the calling test owns (crash tests kill
// it, so it must not be the shared one), with env (NAME=value) added to its
// environment. Skips in peer mode.
func startPrivateCoffer(t *testing.T, env ...string) *cofferServer {
	t.Helper()
	requireTarget(t)
	if suite.peer {
		t.Skip("needs a Coffer server controlled by the harness (peer mode)")
	}
	srv, err := startCofferServer(filepath.Join(t.TempDir(), "data"), env...)
	if err != nil {
		t.Fatalf("start private coffer server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("stop private server: %v", err)
		}
	})
	return srv
}

// ---------------------------------------------------------------------------
// Clients.

func requireTarget(t testing.TB) {
	t.Helper()
	if suiteErr != nil {
		t.Fatalf("S3 endpoint unavailable: %v", suiteErr)
	}
}

// newClient returns an S3 client with the SDK's default behaviour (default
// request checksums, default retryer), path-style addressing, us-east-1.
func newClient(t testing.TB, endpoint, ak, sk string, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	}}, optFns...)
	return s3.NewFromConfig(cfg, opts...)
}

var (
	clientOnce sync.Once
	clientVal  *s3.Client
)

// s3c returns the suite's shared client.
func s3c(t testing.TB) *s3.Client {
	t.Helper()
	requireTarget(t)
	clientOnce.Do(func() { clientVal = newClient(t, suite.endpoint, suite.accessKey, suite.secretKey) })
	return clientVal
}

// ctxT is a test's context: it ends with the test, or after 5 minutes, so
// that a hung call fails its test rather than the whole run. The bound is
// for the whole test, not one call: at a load average of 20 on 2 cores, a
// test of some thirty aws CLI runs took 140 s, and 2 minutes failed it.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------------
// Buckets and data.

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = crand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// bucketName returns a unique, valid bucket name derived from the test name.
func bucketName(t testing.TB) string {
	base := strings.ToLower(t.Name())
	var sb strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
	}
	s := strings.Trim(sb.String(), "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return "e2e-" + s + "-" + randHex(8)
}

// newBucket creates a fresh bucket that is emptied and deleted when the test ends.
func newBucket(t testing.TB) string {
	t.Helper()
	c := s3c(t)
	b := bucketName(t)
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", b, err)
	}
	t.Cleanup(func() { destroyBucket(t.Logf, c, b) })
	return b
}

// destroyBucket removes every version, delete marker and pending upload, then
// the bucket. Failures are logged, not fatal.
func destroyBucket(logf func(string, ...any), c *s3.Client, b string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var km, um *string
	for {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), KeyMarker: km, UploadIdMarker: um})
		if err != nil {
			break
		}
		for _, u := range out.Uploads {
			_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: u.Key, UploadId: u.UploadId})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		km, um = out.NextKeyMarker, out.NextUploadIdMarker
	}
	var keyMarker, verMarker *string
	for i := 0; i < 1000; i++ {
		// encoding-type=url so that keys with control characters survive XML.
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), KeyMarker: keyMarker, VersionIdMarker: verMarker, EncodingType: types.EncodingTypeUrl})
		if err != nil {
			break
		}
		dec := func(s *string) *string {
			if d, err := url.QueryUnescape(aws.ToString(s)); err == nil {
				return aws.String(d)
			}
			return s
		}
		var ids []types.ObjectIdentifier
		add := func(key, ver *string) {
			if strings.IndexFunc(aws.ToString(key), func(r rune) bool { return r < 0x20 }) >= 0 {
				// Not representable in the DeleteObjects XML body.
				_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: key, VersionId: ver})
				return
			}
			ids = append(ids, types.ObjectIdentifier{Key: key, VersionId: ver})
		}
		for _, v := range out.Versions {
			add(dec(v.Key), v.VersionId)
		}
		for _, d := range out.DeleteMarkers {
			add(dec(d.Key), d.VersionId)
		}
		for len(ids) > 0 {
			n := min(len(ids), 1000)
			_, _ = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)}})
			ids = ids[n:]
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		keyMarker, verMarker = dec(out.NextKeyMarker), out.NextVersionIdMarker
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil && errCode(err) != "NoSuchBucket" && errStatus(err) != 404 {
		logf("cleanup: DeleteBucket %s: %v", b, err)
	}
}

func stderrf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func randBytes(n int) []byte {
	b := make([]byte, n)
	// A fast non-crypto generator: the data only needs to be unpredictable
	// enough to catch mixed-up or truncated bodies.
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	_, _ = rand.NewChaCha8(seed).Read(b)
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func quotedMD5(b []byte) string { return `"` + md5hex(b) + `"` }

func putObject(t testing.TB, b, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := s3c(t).PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%q: %v", b, key, err)
	}
	return out
}

func getBytes(t testing.TB, c *s3.Client, in *s3.GetObjectInput) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(ctxT(t), in)
	if err != nil {
		t.Fatalf("GetObject %s/%q: %v", aws.ToString(in.Bucket), aws.ToString(in.Key), err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %q: read body: %v", aws.ToString(in.Key), err)
	}
	return data, out
}

func getObject(t testing.TB, b, key string) []byte {
	t.Helper()
	data, _ := getBytes(t, s3c(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	return data
}

func mustEqualBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: body mismatch: got %d bytes (md5 %s), want %d bytes (md5 %s)", what, len(got), md5hex(got), len(want), md5hex(want))
	}
}

// ---------------------------------------------------------------------------
// Errors.

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func errStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func errHeader(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// wantErr asserts err is an S3 error with the given code (skipped when "")
// and HTTP status (skipped when 0).
func wantErr(t testing.TB, what string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got success, want error %s (HTTP %d)", what, code, status)
	}
	if code != "" && errCode(err) != code {
		t.Fatalf("%s: got error code %q (HTTP %d), want %q (HTTP %d); err=%v", what, errCode(err), errStatus(err), code, status, err)
	}
	if status != 0 && errStatus(err) != status {
		t.Fatalf("%s: got HTTP %d (code %q), want HTTP %d; err=%v", what, errStatus(err), errCode(err), status, err)
	}
}

func rawResponse(md smithymw.Metadata) *http.Response {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && r != nil {
		return r.Response
	}
	return nil
}

func statusOf(md smithymw.Metadata) int {
	if r := rawResponse(md); r != nil {
		return r.StatusCode
	}
	return 0
}

// ---------------------------------------------------------------------------
// External tools.

func toolEnv(extra ...string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue // never inherit the caller's AWS profile/credentials
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID="+suite.accessKey,
		"AWS_SECRET_ACCESS_KEY="+suite.secretKey,
		"AWS_DEFAULT_REGION="+region,
		"AWS_REGION="+region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+awsConfigFile(),
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"COFFER_E2E_ENDPOINT_URL="+suite.endpoint,
	)
	return append(env, extra...)
}

var (
	awsCfgOnce sync.Once
	awsCfgPath string
)

// awsConfigFile writes an aws CLI/boto3 config forcing path-style addressing.
func awsConfigFile() string {
	awsCfgOnce.Do(func() {
		awsCfgPath = filepath.Join(suiteTmpDir, "aws-config")
		_ = os.WriteFile(awsCfgPath, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n"), 0o644)
	})
	return awsCfgPath
}

// awsCLI runs `aws --endpoint-url ENDPOINT args...` and returns stdout. It
// fails the test on a non-zero exit.
func awsCLI(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := awsCLIResult(t, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func awsCLIResult(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return awsCLIEnv(t, toolEnv(), args...)
}

// awsCLIEnv runs the aws CLI against the S3 endpoint with env as its
// environment (toolEnv and any extra variables).
func awsCLIEnv(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	requireTarget(t)
	if _, lerr := exec.LookPath("aws"); lerr != nil {
		t.Fatalf("aws CLI not found in PATH: %v", lerr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", suite.endpoint}, args...)...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

var (
	boto3Once sync.Once
	boto3Err  error
)

// runPython runs a python3 script file (path relative to this package) with
// the endpoint and credentials in its environment. Skips when boto3 is missing.
func runPython(t testing.TB, script string, args ...string) string {
	t.Helper()
	requireTarget(t)
	boto3Once.Do(func() {
		boto3Err = exec.Command("python3", "-c", "import boto3").Run()
	})
	if boto3Err != nil {
		t.Skipf("python3 -c 'import boto3' failed: %v", boto3Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", append([]string{script}, args...)...)
	cmd.Env = toolEnv()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3 %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, o.String(), e.String())
	}
	return o.String()
}

// curl runs curl with args and returns the HTTP status and body.
func curl(t testing.TB, args ...string) (int, []byte) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl not found: %v", err)
	}
	out := filepath.Join(t.TempDir(), "curl-body")
	full := append([]string{"-sS", "-o", out, "-w", "%{http_code}", "--max-time", "60"}, args...)
	cmd := exec.Command("curl", full...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl %v: %v: %s", args, err, e.String())
	}
	var code int
	fmt.Sscanf(o.String(), "%d", &code)
	body, _ := os.ReadFile(out)
	return code, body
}
