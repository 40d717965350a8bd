package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The coffer CLI (docs/cli.md) run as a program: `coffer login` against a
// private server, then tenants, users, buckets, plans, vaults and jobs
// through the management API, and `coffer fsck` on a data directory this
// test damages.

// cofferCLI runs the built binary with a private config file; it returns
// stdout, stderr and the exit code.
type cofferCLI struct {
	t   *testing.T
	cfg string
	env []string
}

func newCofferCLI(t *testing.T) *cofferCLI {
	return &cofferCLI{t: t, cfg: filepath.Join(t.TempDir(), "conf", "config.json")}
}

func (c *cofferCLI) run(args ...string) (string, string, int) {
	c.t.Helper()
	return c.runIn("", args...)
}

func (c *cofferCLI) runIn(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	cmd := exec.Command(cofferBin, args...)
	cmd.Env = append(os.Environ(), "COFFER_CONFIG="+c.cfg, "COFFER_ADMIN_PASSWORD=", "COFFER_TENANT=")
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("coffer %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (c *cofferCLI) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("coffer %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// json runs a command with --json and decodes its output into v.
func (c *cofferCLI) json(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("coffer %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must fail with code and one stderr line
// containing want.
func (c *cofferCLI) fails(code int, want string, args ...string) {
	c.t.Helper()
	out, errs, got := c.run(args...)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if got != code || !strings.Contains(errs, want) || !strings.HasPrefix(lines[len(lines)-1], "coffer: ") {
		c.t.Fatalf("coffer %s: exit %d (want %d), stderr %q (want a 'coffer: ' line with %q), stdout %q",
			strings.Join(args, " "), got, code, errs, want, out)
	}
}

func certFingerprint(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	sum := sha256.Sum256(blk.Bytes)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestCLI_admin_login_tenant_user_bucket_vault_job(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t, "COFFER_NODE_NAME=clinode")
	c := newCofferCLI(t)
	ep := srv.AdminEndpoint()

	// Not logged in yet.
	c.fails(1, "not logged in", "tenant", "list")
	// The self-signed certificate is not trusted without a decision.
	c.fails(1, "fingerprint", "login", "--endpoint", ep, "--password", cofferAdminPassword)
	// A wrong pin, and a wrong password: the dialect's code and message.
	c.fails(1, "certificate", "login", "--endpoint", ep, "--password", cofferAdminPassword,
		"--fingerprint", strings.Repeat("AB:", 31)+"AB")
	fp := certFingerprint(t, srv.AdminCertFile())
	c.fails(1, "Commvault error 6", "login", "--endpoint", ep, "--fingerprint", fp, "--password", "wrong-password-123")

	// Log in with the password on stdin and the printed fingerprint pinned.
	out, errs, code := c.runIn(cofferAdminPassword+"\n", "login", "--endpoint", ep, "--fingerprint", fp, "--password-stdin")
	if code != 0 || !strings.Contains(out, "Logged in to "+ep) {
		t.Fatalf("login: exit %d\n%s\n%s", code, out, errs)
	}
	fi, err := os.Stat(c.cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v mode %v, want 0600", err, fi.Mode())
	}
	raw, _ := os.ReadFile(c.cfg)
	if bytes.Contains(raw, []byte(cofferAdminPassword)) || !bytes.Contains(raw, []byte(fp)) {
		t.Fatalf("config holds the password, or not the pin:\n%s", raw)
	}
	// --ca-file works as well (the certificate verifies for 127.0.0.1).
	c2 := newCofferCLI(t)
	c2.ok("login", "--endpoint", ep, "--ca-file", srv.AdminCertFile(), "--password", cofferAdminPassword)
	c2.ok("status")

	// A tenant: its root user's secret is printed once.
	tenant := "cli" + randHex(4)
	var created struct {
		UUID  string `json:"uuid"`
		Users []struct {
			Name, AccessKey, SecretKey string
		} `json:"users"`
	}
	c.json(&created, "tenant", "create", tenant, "--comment", "made by the CLI test")
	if created.UUID == "" || len(created.Users) != 1 || created.Users[0].Name != "root" {
		t.Fatalf("tenant create: %+v", created)
	}
	var tenants []struct{ Name, UUID string }
	c.json(&tenants, "tenant", "list")
	if !hasName(tenants, tenant) {
		t.Fatalf("tenant list lacks %s: %+v", tenant, tenants)
	}
	if out := c.ok("tenant", "list"); !strings.Contains(out, "NAME") || !strings.Contains(out, tenant) {
		t.Fatalf("tenant list table:\n%s", out)
	}

	// A user, whose keys work on S3; the secret is never listed.
	var u struct {
		Name      string `json:"name"`
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	}
	c.json(&u, "user", "create", "alice", "--tenant", tenant)
	if u.AccessKey == "" || u.SecretKey == "" {
		t.Fatalf("user create printed no keys: %+v", u)
	}
	out = c.ok("user", "list", "-t", tenant, "--json")
	if strings.Contains(out, u.SecretKey) || !strings.Contains(out, u.AccessKey) {
		t.Fatalf("user list: %s", out)
	}
	s3u := newClient(t, srv.Endpoint(), u.AccessKey, u.SecretKey)
	if _, err := s3u.ListBuckets(ctxT(t), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("ListBuckets with the new user's keys: %v", err)
	}
	// Rotating the key: the old one stops working.
	var rotated struct {
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	}
	c.json(&rotated, "key", "rotate", "alice", "-t", tenant)
	if rotated.SecretKey == "" || rotated.AccessKey == u.AccessKey {
		t.Fatalf("key rotate: %+v", rotated)
	}
	if _, err := s3u.ListBuckets(ctxT(t), &s3.ListBucketsInput{}); errCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("old key after rotation: %v", err)
	}

	// A policy and a group.
	c.ok("policy", "create", "readall", "-t", tenant, "--action", "GetObject,ListBucket", "--resource", "*")
	c.ok("group", "create", "readers", "-t", tenant, "--user", "alice", "--policy", "readall")
	var groups []struct {
		Name     string
		Users    []struct{ Name string }
		Policies []struct{ Name string }
	}
	c.json(&groups, "group", "list", "-t", tenant)
	if len(groups) != 1 || groups[0].Users[0].Name != "alice" || groups[0].Policies[0].Name != "readall" {
		t.Fatalf("group list: %+v", groups)
	}
	c.fails(1, "ONTAP error 8", "policy", "delete", "readall", "-t", tenant) // in use by the group

	// Buckets: one waited for, one left to `coffer job wait` (an ONTAP uuid).
	c.ok("bucket", "create", "data-"+tenant, "-t", tenant, "--size", "1GiB", "--versioning")
	var job struct {
		Job string `json:"job"`
	}
	c.json(&job, "bucket", "create", "logs-"+tenant, "-t", tenant, "--no-wait")
	if job.Job == "" {
		t.Fatalf("bucket create --no-wait printed no job")
	}
	_, errs, code = c.run("job", "wait", job.Job)
	if code != 0 || !strings.Contains(errs, "100%") {
		t.Fatalf("job wait %s: exit %d, stderr %q", job.Job, code, errs)
	}
	var buckets []struct {
		Name            string
		Size            int64
		VersioningState string `json:"versioning_state"`
	}
	c.json(&buckets, "bucket", "list", "-t", tenant)
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	if len(buckets) != 2 || buckets[0].Name != "data-"+tenant || buckets[0].Size != 1<<30 || buckets[0].VersioningState != "enabled" {
		t.Fatalf("bucket list: %+v", buckets)
	}
	c.fails(1, "ONTAP error 1", "bucket", "create", "data-"+tenant, "-t", tenant) // duplicate
	c.fails(2, "usage", "bucket", "show")

	// The token renews itself once expired: the stored pair changes.
	var cfg map[string]any
	json.Unmarshal(raw, &cfg)
	cfg["expires"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	b, _ := json.Marshal(cfg)
	os.WriteFile(c.cfg, b, 0o600)
	c.ok("bucket", "show", "data-"+tenant, "-t", tenant)
	var renewed map[string]any
	raw2, _ := os.ReadFile(c.cfg)
	json.Unmarshal(raw2, &renewed)
	if renewed["access_token"] == cfg["access_token"] || renewed["refresh_token"] == cfg["refresh_token"] {
		t.Fatalf("the expired token was not renewed")
	}

	// Tear down through the CLI.
	c.ok("bucket", "delete", "data-"+tenant, "-t", tenant)
	c.ok("bucket", "delete", "logs-"+tenant, "-t", tenant)
	c.ok("group", "delete", "readers", "-t", tenant)
	c.ok("user", "delete", "alice", "-t", tenant)
	c.ok("tenant", "delete", tenant)
	c.json(&tenants, "tenant", "list")
	if hasName(tenants, tenant) {
		t.Fatalf("tenant %s still listed after delete", tenant)
	}
	c.fails(1, "ONTAP error 4", "tenant", "show", tenant)

	// Commvault: a plan and a vault with an owner and this node as its
	// endpoint; the endpoint job is waited for by number.
	c.ok("user", "create", "vowner") // the default tenant's, a Commvault user
	var plan struct {
		ID int64 `json:"id"`
	}
	c.json(&plan, "plan", "create", "cli-plan", "--retention-days", "7")
	var vault struct {
		ClientID    int64 `json:"clientId"`
		EndpointJob int64 `json:"endpointJobId"`
	}
	c.json(&vault, "vault", "create", "cli-vault", "--plan", "cli-plan", "--owner", "vowner", "--endpoint", "clinode", "--no-wait")
	if vault.ClientID == 0 || vault.EndpointJob == 0 {
		t.Fatalf("vault create: %+v", vault)
	}
	var j struct {
		State   string `json:"state"`
		Percent int    `json:"percent"`
	}
	c.json(&j, "job", "wait", jsonNumber(vault.EndpointJob))
	if j.State != "Completed" || j.Percent != 100 {
		t.Fatalf("job wait: %+v", j)
	}
	var vaults []struct {
		Name      string
		Plan      struct{ PlanName string }
		Owners    []struct{ UserName string }
		Endpoints []struct{ ClientName, Status string } `json:"cvs3Endpoints"`
	}
	c.json(&vaults, "vault", "list")
	if len(vaults) != 1 || vaults[0].Name != "cli-vault" || vaults[0].Plan.PlanName != "cli-plan" ||
		vaults[0].Owners[0].UserName != "vowner" || vaults[0].Endpoints[0].Status != "active" {
		t.Fatalf("vault list: %+v", vaults)
	}
	c.fails(1, "Commvault error 7", "plan", "delete", "cli-plan") // in use
	c.ok("vault", "delete", "cli-vault")
	c.ok("plan", "delete", "cli-plan")
	var plans []any
	c.json(&plans, "plan", "list")
	if len(plans) != 0 {
		t.Fatalf("plans left: %v", plans)
	}

	// Shell completion scripts.
	for _, sh := range []string{"bash", "zsh"} {
		if out := c.ok("completion", sh); !strings.Contains(out, "coffer") || len(out) < 1000 {
			t.Fatalf("completion %s: %d bytes", sh, len(out))
		}
	}

	// Logout revokes the token: a saved copy of the config stops working.
	c.ok("logout")
	os.WriteFile(c.cfg, raw2, 0o600)
	c.fails(1, "login again", "tenant", "list")
}

func hasName(ts []struct{ Name, UUID string }, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// blobFiles lists the blob files of a data directory, sorted.
func blobFiles(t *testing.T, dataDir string) []string {
	var out []string
	err := filepath.WalkDir(filepath.Join(dataDir, "data", "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestCLI_fsck_damaged_data_dir(t *testing.T) {
	t.Parallel()
	srv := startPrivateCoffer(t)
	cl := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	b := "fsck-" + randHex(4)
	if _, err := cl.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{200_000, 150_000, 120_000, 100} {
		if _, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("obj" + string(rune('a'+i))),
			Body: bytes.NewReader(randBytes(n))}); err != nil {
			t.Fatal(err)
		}
	}
	c := newCofferCLI(t)
	// A running server holds the data directory.
	c.fails(3, "in use", "fsck", "--data-dir", srv.dataDir)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	out := c.ok("fsck", "--data-dir", srv.dataDir)
	if !strings.Contains(out, "clean") || !strings.Contains(out, "4 versions") {
		t.Fatalf("fsck of a clean dir: %s", out)
	}
	type report struct {
		Damaged  int `json:"damaged"`
		Orphans  int `json:"orphans"`
		Findings []struct {
			Kind, Blob, Key, Path string
		} `json:"findings"`
	}
	var rep report
	c.json(&rep, "fsck", "--data-dir", srv.dataDir)
	if rep.Damaged != 0 {
		t.Fatalf("clean dir: %+v", rep)
	}

	files := blobFiles(t, srv.dataDir)
	if len(files) != 3 {
		t.Fatalf("%d blob files, want 3 (the small object is inline): %v", len(files), files)
	}
	if err := os.Truncate(files[0], 1000); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(files[2])
	data[12345] ^= 1
	os.WriteFile(files[2], data, 0o600)
	orphanID := strings.Repeat("ab", 16)
	os.WriteFile(filepath.Join(srv.dataDir, "data", "blobs", "ab", orphanID), []byte("orphan"), 0o600)

	out, _, code := c.run("fsck", "--data-dir", srv.dataDir)
	if code != 1 || !strings.Contains(out, "DAMAGED") {
		t.Fatalf("fsck of a damaged dir: exit %d\n%s", code, out)
	}
	out, _, code = c.run("fsck", "--data-dir", srv.dataDir, "--json")
	if code != 1 {
		t.Fatalf("fsck --json exit %d", code)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Blob] += f.Kind + " "
	}
	id := filepath.Base
	for blob, want := range map[string]string{id(files[0]): "size", id(files[1]): "missing", id(files[2]): "etag", orphanID: "orphan"} {
		if !strings.Contains(got[blob], want) {
			t.Errorf("blob %s: findings %q, want %s", blob, got[blob], want)
		}
	}
	if rep.Orphans != 1 || rep.Damaged < 4 {
		t.Errorf("damaged %d, orphans %d: %+v", rep.Damaged, rep.Orphans, rep.Findings)
	}
	c.fails(2, "--data-dir", "fsck")
	c.fails(3, "not a Coffer data directory", "fsck", "--data-dir", t.TempDir())
}
