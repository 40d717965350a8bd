package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/jackc/pgx/v5"

	"coffer/internal/kv/postgres/pgtest"
)

// Coffer with its metadata on PostgreSQL (--metadata / COFFER_METADATA).
// scripts/test.sh starts a throwaway PostgreSQL and sets COFFER_TEST_PG_DSN
// (each test gets a schema of its own), and COFFER_TEST_PG_BIN (and, as
// root, COFFER_TEST_PG_USER) for the test that restarts a private cluster.

// pgURL is a --metadata URL for a fresh schema of the test database.
func pgURL(t *testing.T, dsn string) string {
	t.Helper()
	schema := pgtest.NewSchema(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "schema=" + schema
}

func needPG(t *testing.T) string {
	t.Helper()
	requireTarget(t)
	if suite.peer {
		t.Skip("needs a Coffer server controlled by the harness (peer mode)")
	}
	dsn := pgtest.Skip(t)
	if !strings.HasPrefix(dsn, "postgres") {
		t.Skip("COFFER_TEST_PG_DSN is not a postgres:// URL")
	}
	return dsn
}

// awsAt runs the aws CLI against endpoint with the harness's root keys.
func awsAt(t *testing.T, endpoint string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint}, args...)...)
	cmd.Env = toolEnv()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s\n%s", strings.Join(args, " "), err, o.String(), e.String())
	}
	return o.String()
}

func TestPostgres_awsCLI(t *testing.T) {
	t.Parallel()
	dsn := needPG(t)
	srv := startPrivateCoffer(t, "COFFER_METADATA="+pgURL(t, dsn))
	marker, err := os.ReadFile(filepath.Join(srv.dataDir, "metadata.id"))
	if err != nil || !strings.Contains(string(marker), "store: postgres") {
		t.Fatalf("ownership marker: %q, %v", marker, err)
	}
	if _, err := os.Stat(filepath.Join(srv.dataDir, "meta")); err == nil {
		t.Fatal("a PostgreSQL node created the embedded store's meta/")
	}
	dir := t.TempDir()
	small, large := randBytes(3000), randBytes(3<<20)
	os.WriteFile(filepath.Join(dir, "small"), small, 0o600)
	os.WriteFile(filepath.Join(dir, "large"), large, 0o600)
	b := "e2e-pg-cli-" + randHex(6)
	ep := srv.Endpoint()
	awsAt(t, ep, "s3", "mb", "s3://"+b)
	awsAt(t, ep, "s3", "cp", filepath.Join(dir, "small"), "s3://"+b+"/dir/small")
	awsAt(t, ep, "s3", "cp", filepath.Join(dir, "large"), "s3://"+b+"/dir/large") // multipart (8 MiB threshold not reached: one PUT)
	out := awsAt(t, ep, "s3", "ls", "--recursive", "s3://"+b)
	if !strings.Contains(out, "dir/small") || !strings.Contains(out, "dir/large") || !strings.Contains(out, fmt.Sprint(len(large))) {
		t.Fatalf("ls:\n%s", out)
	}
	awsAt(t, ep, "s3", "cp", "s3://"+b+"/dir/large", filepath.Join(dir, "large.back"))
	back, _ := os.ReadFile(filepath.Join(dir, "large.back"))
	mustEqualBytes(t, "large object read back", back, large)
	awsAt(t, ep, "s3", "rm", "s3://"+b+"/dir/small")
	if out := awsAt(t, ep, "s3", "ls", "--recursive", "s3://"+b); strings.Contains(out, "dir/small") {
		t.Fatalf("deleted object still listed:\n%s", out)
	}
	// The objects live in PostgreSQL: a second node on the same database and
	// directory serves them.
	srv2, err := startCofferServer(srv.dataDir, "COFFER_METADATA="+srv.envValue("COFFER_METADATA"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Stop()
	awsAt(t, srv2.Endpoint(), "s3", "cp", "s3://"+b+"/dir/large", filepath.Join(dir, "large.2"))
	back, _ = os.ReadFile(filepath.Join(dir, "large.2"))
	mustEqualBytes(t, "large object read from a second node", back, large)
}

func (s *cofferServer) envValue(name string) string {
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// writers runs n PUT loops against c until stop is closed and records what
// was attempted and acknowledged.
type writers struct {
	mu        sync.Mutex
	attempted map[string]string // key -> md5 of the body
	acked     map[string]string
	statuses  map[int]int // HTTP status of failed PUTs -> count
	slowest   time.Duration
	wg        sync.WaitGroup
}

func startWriters(c *s3.Client, b string, n, maxSize int, stop <-chan struct{}) *writers {
	w := &writers{attempted: map[string]string{}, acked: map[string]string{}, statuses: map[int]int{}}
	for g := range n {
		w.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d/obj-%05d", g, i)
				body := randBytes(1 + rand.IntN(maxSize))
				sum := md5hex(body)
				w.mu.Lock()
				w.attempted[key] = sum
				w.mu.Unlock()
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)})
				cancel()
				d := time.Since(start)
				w.mu.Lock()
				w.slowest = max(w.slowest, d)
				if err == nil {
					w.acked[key] = sum
				} else {
					w.statuses[errStatus(err)]++
				}
				w.mu.Unlock()
				if err != nil {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	return w
}

// verifyAcked checks that every acknowledged object reads back whole and
// that nothing listed is torn or unknown.
func verifyAcked(t *testing.T, c *s3.Client, b string, w *writers) {
	t.Helper()
	ctx := context.Background()
	for key, sum := range w.acked {
		data, etag, err := readAll(ctx, c, b, key)
		if err != nil {
			t.Fatalf("acknowledged object %s lost: %v", key, err)
		}
		if md5hex(data) != sum || etag != `"`+sum+`"` {
			t.Fatalf("acknowledged object %s corrupted: md5 %s etag %s, want %s", key, md5hex(data), etag, sum)
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	visible := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range out.Contents {
			visible++
			key := aws.ToString(o.Key)
			sum, ok := w.attempted[key]
			if !ok {
				t.Fatalf("listing shows a key never written: %q", key)
			}
			data, _, err := readAll(ctx, c, b, key)
			if err != nil || md5hex(data) != sum {
				t.Fatalf("listed object %s unreadable or torn: %v", key, err)
			}
		}
	}
	if visible < len(w.acked) {
		t.Fatalf("%d objects listed, fewer than the %d acknowledged", visible, len(w.acked))
	}
}

func TestPostgres_kill9UnderWriters(t *testing.T) {
	t.Parallel()
	dsn := needPG(t)
	srv := startPrivateCoffer(t, "COFFER_METADATA="+pgURL(t, dsn))
	c := crashClient(t, srv)
	b := "e2e-pg-kill-" + randHex(6)
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	w := startWriters(c, b, 8, 256<<10, stop)
	time.Sleep(2 * time.Second)
	close(stop)
	srv.Kill9()
	w.wg.Wait()
	if len(w.acked) == 0 {
		t.Fatal("no PUT acknowledged before the kill")
	}
	t.Logf("killed with %d acknowledged and %d attempted PUTs", len(w.acked), len(w.attempted))
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	verifyAcked(t, crashClient(t, srv), b, w)
}

// privatePG is a PostgreSQL cluster of the test's own, which it may stop
// and start.
type privatePG struct {
	t         *testing.T
	bin, dir  string
	as        []string // runuser prefix when running as root
	dsn       string
	startArgs string
}

func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	bin := os.Getenv("COFFER_TEST_PG_BIN")
	if bin == "" {
		t.Skip("COFFER_TEST_PG_BIN is not set (scripts/test.sh sets it)")
	}
	dir, err := os.MkdirTemp("", "coffer-e2e-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &privatePG{t: t, bin: bin, dir: dir}
	if user := os.Getenv("COFFER_TEST_PG_USER"); user != "" {
		p.as = []string{"runuser", "-u", user, "--"}
		if out, err := exec.Command("chown", user, dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	t.Cleanup(func() {
		p.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := p.cmd(filepath.Join(bin, "initdb"), "-D", dir+"/data", "-U", "coffer", "--auth=trust", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.startArgs = "-c listen_addresses='' -k " + dir + " -p 55434 -c fsync=off -c max_connections=100"
	p.start()
	p.dsn = "postgres://coffer@/postgres?host=" + dir + "&port=55434"
	return p
}

func (p *privatePG) cmd(name string, args ...string) *exec.Cmd {
	all := append(append([]string{}, p.as...), name)
	all = append(all, args...)
	return exec.Command(all[0], all[1:]...)
}

func (p *privatePG) pgctl(args ...string) error {
	args = append([]string{"-D", p.dir + "/data", "-w", "-t", "60"}, args...)
	out, err := p.cmd(filepath.Join(p.bin, "pg_ctl"), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %v: %v\n%s", args, err, out)
	}
	return nil
}

func (p *privatePG) start() {
	p.t.Helper()
	if err := p.pgctl("-l", p.dir+"/log", "-o", p.startArgs, "start"); err != nil {
		p.t.Fatal(err)
	}
}

func (p *privatePG) stop() {
	p.t.Helper()
	if err := p.pgctl("stop", "-m", "fast"); err != nil {
		p.t.Fatal(err)
	}
}

func readyStatus(srv *cofferServer) int {
	resp, err := adminHTTPClient(5 * time.Second).Get(srv.AdminEndpoint() + "/health/ready")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestPostgres_restartUnderLoad: PostgreSQL stops under 4 writers: requests
// answer 503 SlowDown (never 500) within a bounded time, /health/ready is
// 503; it starts again: the node recovers by itself, and every acknowledged
// object is there.
func TestPostgres_restartUnderLoad(t *testing.T) {
	t.Parallel()
	needPG(t)
	pg := startPrivatePG(t)
	srv := startPrivateCoffer(t, "COFFER_METADATA="+pg.dsn)
	c := crashClient(t, srv)
	ctx := context.Background()
	b := "e2e-pg-restart-" + randHex(6)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	putObject := func(key string) error {
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		_, err := c.PutObject(rctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader("x")})
		return err
	}
	if err := putObject("before"); err != nil {
		t.Fatal(err)
	}
	cv := cvLogin(t, srv.AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
	stop := make(chan struct{})
	w := startWriters(c, b, 4, 64<<10, stop)
	time.Sleep(time.Second)
	pg.stop()

	// Down: every dialect's answer is "retry later", promptly.
	start := time.Now()
	err := putObject("during")
	if code, st := errCode(err), errStatus(err); code != "SlowDown" || st != http.StatusServiceUnavailable {
		t.Fatalf("PUT with PostgreSQL down: %v (code %q, status %d), want 503 SlowDown", err, code, st)
	}
	_, _, err = readAll(ctx, c, b, "before")
	if code, st := errCode(err), errStatus(err); code != "SlowDown" || st != http.StatusServiceUnavailable {
		t.Fatalf("GET with PostgreSQL down: %v (code %q, status %d), want 503 SlowDown", err, code, st)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("failing requests took %v", d)
	}
	if st := readyStatus(srv); st != http.StatusServiceUnavailable {
		t.Fatalf("/health/ready with PostgreSQL down = %d, want 503", st)
	}
	req, _ := http.NewRequest("GET", srv.AdminEndpoint()+"/api/svm/svms", nil)
	req.SetBasicAuth(cofferAdminUser, cofferAdminPassword)
	resp, err := adminHTTPClient(30 * time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body.String(), "92405811") {
		t.Fatalf("ONTAP request with PostgreSQL down: %d %s, want 503 with code 92405811", resp.StatusCode, body.String())
	}
	if r := cv.do(t, "GET", "/V4/cvS3Stores?start=0&limit=1000", nil); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Raw, "CONNECTION_PROBLEM") {
		t.Fatalf("Commvault request with PostgreSQL down: %d %s, want 503 CONNECTION_PROBLEM", r.Status, r.Raw)
	}
	time.Sleep(time.Second)
	pg.start()

	// Back: the node recovers by itself.
	deadline := time.Now().Add(30 * time.Second)
	for putObject("after") != nil {
		if time.Now().After(deadline) {
			t.Fatal("no recovery within 30 s of PostgreSQL's restart")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for readyStatus(srv) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/health/ready not 200 after recovery")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	close(stop)
	w.wg.Wait()
	t.Logf("writers: %d acknowledged, failures by status %v, slowest PUT %v", len(w.acked), w.statuses, w.slowest)
	for st, n := range w.statuses {
		if st != http.StatusServiceUnavailable {
			t.Errorf("%d PUTs failed with status %d during the restart, want only 503", n, st)
		}
	}
	if w.slowest > 45*time.Second {
		t.Errorf("a PUT took %v", w.slowest)
	}
	for _, k := range []string{"before", "after", "during"} {
		w.attempted[k] = md5hex([]byte("x"))
	}
	w.acked["before"], w.acked["after"] = md5hex([]byte("x")), md5hex([]byte("x"))
	verifyAcked(t, c, b, w)
}

// TestPostgres_migrate: a populated embedded deployment, moved with `coffer
// migrate`, serves the same objects from PostgreSQL; the embedded store is
// then refused on that directory.
func TestPostgres_migrate(t *testing.T) {
	t.Parallel()
	dsn := needPG(t)
	target := pgURL(t, dsn)
	srv := startPrivateCoffer(t)
	c := crashClient(t, srv)
	ctx := context.Background()
	b := "e2e-pg-migrate-" + randHex(6)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	objs := map[string][]byte{}
	for i := range 40 {
		size := 100 + rand.IntN(4000)
		if i%8 == 0 {
			size = 200<<10 + rand.IntN(1<<20) // blobs, not inline
		}
		key := fmt.Sprintf("d%d/obj-%03d", i%3, i)
		objs[key] = randBytes(size)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(objs[key])}); err != nil {
			t.Fatal(err)
		}
	}
	// An older version of one key.
	old := objs["d0/obj-000"]
	objs["d0/obj-000"] = randBytes(777)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("d0/obj-000"), Body: bytes.NewReader(objs["d0/obj-000"])}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cofferBin, "migrate", "--data-dir", srv.dataDir, "--metadata", target).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verified") {
		t.Fatalf("coffer migrate: %v\n%s", err, out)
	}
	// The embedded store is refused on the migrated directory.
	out, err = exec.Command(cofferBin, "server", "--data-dir", srv.dataDir, "--s3-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "shared with PostgreSQL") {
		t.Fatalf("embedded store on a migrated directory: %v\n%s", err, out)
	}
	srv.env = append(srv.env, "COFFER_METADATA="+target)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	c = crashClient(t, srv)
	for key, want := range objs {
		data, _, err := readAll(ctx, c, b, key)
		if err != nil {
			t.Fatalf("%s after migrate: %v", key, err)
		}
		mustEqualBytes(t, key+" after migrate", data, want)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("d0/obj-000")})
	if err != nil || len(vs.Versions) != 2 {
		t.Fatalf("versions after migrate: %v, %v", vs, err)
	}
	for _, v := range vs.Versions {
		if !aws.ToBool(v.IsLatest) {
			o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("d0/obj-000"), VersionId: v.VersionId})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(o.Body)
			o.Body.Close()
			mustEqualBytes(t, "old version after migrate", buf.Bytes(), old)
		}
	}
	// Listings are served from PostgreSQL, with delimiters.
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("/")})
	if err != nil || len(lo.CommonPrefixes) != 3 {
		t.Fatalf("delimited listing after migrate: %v, %v", lo, err)
	}
	// New writes land in PostgreSQL.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("new"), Body: strings.NewReader("n")}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := target[strings.LastIndex(target, "schema=")+len("schema="):]
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "kv"}.Sanitize()).Scan(&n); err != nil || n < 40 {
		t.Fatalf("records in PostgreSQL: %d, %v", n, err)
	}
}

// withPostgresMetadata gives a server started by the harness its own
// PostgreSQL store when COFFER_E2E_PG names a database (a postgres:// URL):
// a fresh schema per server, so that the whole suite runs with PostgreSQL
// metadata (COFFER_E2E_PG="$COFFER_TEST_PG_DSN" go test ./test/e2e/). A
// server whose env already names its metadata keeps it.
func withPostgresMetadata(env []string) []string {
	base := os.Getenv("COFFER_E2E_PG")
	if base == "" {
		return env
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "COFFER_METADATA=") {
			return env
		}
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return append(env, "COFFER_METADATA="+base+sep+"schema=e2e_"+randHex(6))
}
