package e2e

// Backup tools against a Commvault vault, as its owner with the owner's
// keys and the tools' default settings: rclone (which creates the bucket
// as an existence check, reads GetBucketLocation, and HEADs every object
// by versionId after writing it), restic, and `aws s3 sync`. The vault
// role (internal/core VaultRoleActions) must let each of them finish
// without a single failure, and nothing outside the vault.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vaultOwner creates a plan, a user and a vault it owns, and returns the
// vault's name and the owner's keys.
func vaultOwner(t *testing.T) (vault, ak, sk string) {
	t.Helper()
	cv := cvAPI(t)
	suffix := randHex(4)
	plan := cv.mkPlan(t, "tools-"+suffix, 30)
	user := cv.mkUser(t, "tools-"+suffix, "tools-password-"+suffix)
	vault = "tools-vault-" + suffix
	cv.do(t, "POST", "/V4/CVS3Store", map[string]any{"bucket": map[string]any{"clientName": vault},
		"plan": map[string]any{"planId": plan}, "owners": []any{map[string]any{"userId": user, "__type__": 13}}}).must(t, 200)
	ak, sk = cv.keys(t, user)
	return vault, ak, sk
}

// toolTree writes a small directory tree with files of several sizes (one
// over rclone's and the aws CLI's multipart thresholds).
func toolTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]int{"a.txt": 10, "b/c.bin": 70_000, "b/d/e.bin": 1, "big.bin": 9 << 20, "empty": 0}
	for name, size := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, randBytes(size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runTool runs a command with env and returns its combined output; it
// fails the test on a non-zero exit.
func runTool(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed (scripts/test.sh installs it from Debian)", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func TestCommvaultTools_rclone(t *testing.T) {
	t.Parallel() // a vault of its own on the shared server
	vault, ak, sk := vaultOwner(t)
	src := toolTree(t)
	conf := filepath.Join(t.TempDir(), "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := toolEnv("RCLONE_CONFIG="+conf, "RCLONE_CONFIG_VAULT_TYPE=s3", "RCLONE_CONFIG_VAULT_PROVIDER=Other",
		"RCLONE_CONFIG_VAULT_ACCESS_KEY_ID="+ak, "RCLONE_CONFIG_VAULT_SECRET_ACCESS_KEY="+sk,
		"RCLONE_CONFIG_VAULT_ENDPOINT="+suite.endpoint, "RCLONE_CONFIG_VAULT_REGION="+region)
	out := runTool(t, env, "rclone", "copy", "-v", src, "vault:"+vault+"/backup")
	if strings.Contains(out, "ERROR") || strings.Contains(out, "Failed") {
		t.Fatalf("rclone copy reported failures:\n%s", out)
	}
	runTool(t, env, "rclone", "check", src, "vault:"+vault+"/backup")
	// A second copy changes nothing and fails nothing; a sync that deletes
	// works too.
	if out := runTool(t, env, "rclone", "copy", "-v", src, "vault:"+vault+"/backup"); strings.Contains(out, "ERROR") {
		t.Fatalf("second rclone copy:\n%s", out)
	}
	if err := os.Remove(filepath.Join(src, "a.txt")); err != nil {
		t.Fatal(err)
	}
	runTool(t, env, "rclone", "sync", src, "vault:"+vault+"/backup")
	runTool(t, env, "rclone", "check", src, "vault:"+vault+"/backup")
	dst := t.TempDir()
	runTool(t, env, "rclone", "copy", "vault:"+vault+"/backup", dst)
	runTool(t, env, "rclone", "check", src, dst)
}

func TestCommvaultTools_restic(t *testing.T) {
	t.Parallel() // a vault of its own on the shared server
	vault, ak, sk := vaultOwner(t)
	src := toolTree(t)
	env := toolEnv("AWS_ACCESS_KEY_ID="+ak, "AWS_SECRET_ACCESS_KEY="+sk, "RESTIC_PASSWORD=restic-test-password",
		"RESTIC_REPOSITORY=s3:"+suite.endpoint+"/"+vault+"/restic", "RESTIC_CACHE_DIR="+t.TempDir())
	runTool(t, env, "restic", "init")
	runTool(t, env, "restic", "backup", src)
	runTool(t, env, "restic", "backup", src) // a second snapshot: dedup, no new data
	runTool(t, env, "restic", "check")
	dst := t.TempDir()
	runTool(t, env, "restic", "restore", "latest", "--target", dst)
	got, err := os.ReadFile(filepath.Join(dst, src, "b/c.bin"))
	want, _ := os.ReadFile(filepath.Join(src, "b/c.bin"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("restored file differs: %v", err)
	}
	out := runTool(t, env, "restic", "snapshots")
	if strings.Count(out, src) < 2 {
		t.Fatalf("snapshots:\n%s", out)
	}
	runTool(t, env, "restic", "forget", "--keep-last", "1", "--prune")
}

func TestCommvaultTools_awsS3Sync(t *testing.T) {
	t.Parallel() // a vault of its own on the shared server
	vault, ak, sk := vaultOwner(t)
	src := toolTree(t)
	env := toolEnv("AWS_ACCESS_KEY_ID="+ak, "AWS_SECRET_ACCESS_KEY="+sk)
	aws := func(args ...string) string {
		return runTool(t, env, "aws", append([]string{"--endpoint-url", suite.endpoint}, args...)...)
	}
	aws("s3", "sync", src, "s3://"+vault+"/sync/")
	if out := aws("s3", "sync", src, "s3://"+vault+"/sync/"); strings.TrimSpace(out) != "" {
		t.Fatalf("a second sync uploaded again:\n%s", out)
	}
	dst := t.TempDir()
	aws("s3", "sync", "s3://"+vault+"/sync/", dst)
	for _, name := range []string{"a.txt", "b/c.bin", "big.bin", "empty"} {
		got, err := os.ReadFile(filepath.Join(dst, name))
		want, _ := os.ReadFile(filepath.Join(src, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s differs after the round trip: %v", name, err)
		}
	}
	if err := os.Remove(filepath.Join(src, "a.txt")); err != nil {
		t.Fatal(err)
	}
	aws("s3", "sync", "--delete", src, "s3://"+vault+"/sync/")
	if out := aws("s3", "ls", "s3://"+vault+"/sync/"); strings.Contains(out, "a.txt") {
		t.Fatalf("sync --delete left a.txt:\n%s", out)
	}
	// The vault's versions and tags are the owner's too.
	aws("s3api", "list-object-versions", "--bucket", vault, "--prefix", "sync/a.txt")
	aws("s3api", "put-object-tagging", "--bucket", vault, "--key", "sync/b/c.bin", "--tagging", "TagSet=[{Key=k,Value=v}]")
	aws("s3api", "get-bucket-versioning", "--bucket", vault)
	aws("s3api", "get-bucket-location", "--bucket", vault)
	// CreateBucket of its own vault: BucketAlreadyOwnedByYou, not 403.
	cmd := exec.Command("aws", "--endpoint-url", suite.endpoint, "s3api", "create-bucket", "--bucket", vault)
	cmd.Env = env
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "BucketAlreadyOwnedByYou") {
		t.Fatalf("create-bucket of the own vault: %s", out)
	}
	// Nothing outside the vault.
	other := newBucket(t)
	for _, args := range [][]string{{"s3", "ls", "s3://" + other}, {"s3api", "create-bucket", "--bucket", "tools-new-" + randHex(4)},
		{"s3api", "put-bucket-versioning", "--bucket", vault, "--versioning-configuration", "Status=Suspended"}} {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", suite.endpoint}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "AccessDenied") {
			t.Fatalf("aws %s as the vault owner: %v %s", strings.Join(args, " "), err, out)
		}
	}
}
