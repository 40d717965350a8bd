package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// kmsKey is the admin API's key shape (docs/kms.md).
type kmsKey struct {
	ID             string `json:"id"`
	ARN            string `json:"arn"`
	Alias          string `json:"alias"`
	Description    string `json:"description"`
	State          string `json:"state"`
	CurrentVersion int    `json:"current_version"`
	Versions       []struct {
		Version int `json:"version"`
	} `json:"versions"`
}

func kmsCall(t *testing.T, base, method, path, body string, auth bool, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth(cofferAdminUser, cofferAdminPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func requireSharedCoffer(t *testing.T) *cofferServer {
	t.Helper()
	requireTarget(t)
	if suite.peer || sharedSrv == nil {
		t.Skip("the KMS admin API is Coffer's own")
	}
	return sharedSrv
}

func TestKMSAPI_keys_createListRotateDisable(t *testing.T) {
	srv := requireSharedCoffer(t)
	base := srv.AdminEndpoint()
	alias := "e2e-" + randHex(8)

	// Create with curl, as an operator would.
	code, body := curl(t, "-u", cofferAdminUser+":"+cofferAdminPassword, "-X", "POST",
		"-H", "Content-Type: application/json", "--data", `{"alias":"`+alias+`","description":"e2e"}`,
		base+"/api/coffer/kms/keys")
	var k kmsKey
	if code != 201 || json.Unmarshal(body, &k) != nil || k.ID == "" || k.Alias != alias || k.State != "enabled" || k.CurrentVersion != 1 {
		t.Fatalf("create: %d %s", code, body)
	}
	if !strings.HasSuffix(k.ARN, ":key/"+k.ID) {
		t.Fatalf("arn %q", k.ARN)
	}

	var list struct {
		Records    []kmsKey `json:"records"`
		NumRecords int      `json:"num_records"`
	}
	if st := kmsCall(t, base, "GET", "/api/coffer/kms/keys", "", true, &list); st != 200 {
		t.Fatalf("list: %d", st)
	}
	found := false
	for _, r := range list.Records {
		found = found || r.ID == k.ID
	}
	if !found || list.NumRecords != len(list.Records) || list.Records[0].ID != "coffer-default" {
		t.Fatalf("list: %+v", list)
	}

	var rot kmsKey
	if st := kmsCall(t, base, "POST", "/api/coffer/kms/keys/"+k.ID+"/rotate", "", true, &rot); st != 200 || rot.CurrentVersion != 2 || len(rot.Versions) != 2 {
		t.Fatalf("rotate: %d %+v", st, rot)
	}
	var dis kmsKey
	if st := kmsCall(t, base, "PATCH", "/api/coffer/kms/keys/"+alias, `{"enabled":false}`, true, &dis); st != 200 || dis.State != "disabled" {
		t.Fatalf("disable: %d %+v", st, dis)
	}
	var got kmsKey
	if st := kmsCall(t, base, "GET", "/api/coffer/kms/keys/alias%2F"+alias, "", true, &got); st != 200 || got.State != "disabled" || got.CurrentVersion != 2 {
		t.Fatalf("get: %d %+v", st, got)
	}
	if st := kmsCall(t, base, "POST", "/api/coffer/kms/keys/"+k.ID+"/rotate", "", true, nil); st != 404 {
		t.Fatalf("rotating a disabled key: %d, want 404", st)
	}
}

func TestKMSAPI_unauthenticated_401(t *testing.T) {
	srv := requireSharedCoffer(t)
	base := srv.AdminEndpoint()
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/coffer/kms/keys"},
		{"POST", "/api/coffer/kms/keys"},
		{"POST", "/api/coffer/kms/keys/coffer-default/rotate"},
		{"GET", "/api/coffer/kms/unknown"},
	} {
		code, body := curl(t, "-X", c.method, base+c.path)
		if code != 401 || !strings.Contains(string(body), `"code":"6"`) {
			t.Errorf("%s %s without credentials: %d %s", c.method, c.path, code, body)
		}
		code, _ = curl(t, "-u", cofferAdminUser+":wrong-password", "-X", c.method, base+c.path)
		if code != 401 {
			t.Errorf("%s %s with a wrong password: %d", c.method, c.path, code)
		}
	}
}

// runCoffer starts the binary on dataDir with extra environment and returns
// its stop function, or the error output when it exits during startup.
func runCoffer(t *testing.T, dataDir string, env ...string) (stop func(), failure string) {
	t.Helper()
	stop, _, failure = runCofferAt(t, dataDir, env...)
	return stop, failure
}

// runCofferAt is runCoffer that also returns the S3 endpoint.
func runCofferAt(t *testing.T, dataDir string, env ...string) (stop func(), endpoint, failure string) {
	t.Helper()
	s3Addr, _ := freePort()
	adminAddr, _ := freePort()
	var out bytes.Buffer
	cmd := exec.Command(cofferBin, "server", "--data-dir", dataDir, "--s3-addr", s3Addr, "--admin-addr", adminAddr)
	cmd.Env = append(os.Environ(), "COFFER_ROOT_ACCESS_KEY="+cofferRootAccessKey, "COFFER_ROOT_SECRET_KEY="+cofferRootSecretKey,
		"COFFER_ADMIN_USER="+cofferAdminUser, "COFFER_ADMIN_PASSWORD="+cofferAdminPassword)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		select {
		case <-exited:
			return nil, "", out.String()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get("http://" + adminAddr + "/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return stop, "http://" + s3Addr, ""
			}
		}
	}
	stop()
	t.Fatalf("coffer not ready in 30 s: %s", out.String())
	return nil, "", ""
}

func TestKMS_masterKey_generatedThenChecked(t *testing.T) {
	requireTarget(t)
	if suite.peer {
		t.Skip("needs the Coffer binary")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	stop, fail := runCoffer(t, dataDir)
	if stop == nil {
		t.Fatalf("first start failed: %s", fail)
	}
	stop()
	keyFile := filepath.Join(dataDir, "master.key")
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	text, _ := os.ReadFile(keyFile)

	// A wrong key (in the environment) is refused with a clear error.
	wrong := strings.Repeat("ab", 32)
	if stop, fail := runCoffer(t, dataDir, "COFFER_KMS_MASTER_KEY="+wrong); stop != nil {
		stop()
		t.Fatal("started with a wrong master key")
	} else if !strings.Contains(fail, "master key does not match") {
		t.Fatalf("wrong master key: %s", fail)
	}
	// A missing key file on a keyed data directory is refused, not regenerated.
	moved := filepath.Join(t.TempDir(), "backup.key")
	if err := os.Rename(keyFile, moved); err != nil {
		t.Fatal(err)
	}
	if stop, fail := runCoffer(t, dataDir); stop != nil {
		stop()
		t.Fatal("started without the master key file")
	} else if !strings.Contains(fail, "does not exist") {
		t.Fatalf("missing key file: %s", fail)
	}
	// The key moved elsewhere (the documented advice) works through the flag's env.
	stop, fail = runCoffer(t, dataDir, "COFFER_KMS_MASTER_KEY_FILE="+moved)
	if stop == nil {
		t.Fatalf("start with the moved key file: %s", fail)
	}
	stop()
	// And the key itself in the environment.
	stop, fail = runCoffer(t, dataDir, "COFFER_KMS_MASTER_KEY="+strings.TrimSpace(string(text)))
	if stop == nil {
		t.Fatalf("start with COFFER_KMS_MASTER_KEY: %s", fail)
	}
	stop()
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatal(fmt.Sprint("a key file was recreated: ", err))
	}
}

func TestKMS_dataDir_ownerOnlyModes_noSecretInClear(t *testing.T) {
	requireTarget(t)
	if suite.peer {
		t.Skip("needs the Coffer binary")
	}
	dataDir := filepath.Join(t.TempDir(), "fresh", "data") // created by the server
	stop, endpoint, fail := runCofferAt(t, dataDir)
	if stop == nil {
		t.Fatalf("start: %s", fail)
	}
	c := newClient(t, endpoint, cofferRootAccessKey, cofferRootSecretKey)
	ctx := ctxT(t)
	bucket := bucketName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		stop()
		t.Fatal(err)
	}
	for key, size := range map[string]int{"small": 100, "large": 1 << 20} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(bytes.Repeat([]byte("x"), size))}); err != nil {
			stop()
			t.Fatal(err)
		}
	}
	stop()

	files, dirs := 0, 0
	err := filepath.WalkDir(dataDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v, want owner-only", p, perm)
		}
		if d.IsDir() {
			dirs++
			return nil
		}
		files++
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(cofferRootSecretKey)) {
			t.Errorf("%s holds the root secret key in clear", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 || dirs < 3 {
		t.Fatalf("walked only %d files and %d directories", files, dirs)
	}
}

func TestKMS_dataDir_openDirectoryRestricted(t *testing.T) {
	requireTarget(t)
	if suite.peer {
		t.Skip("needs the Coffer binary")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dataDir, "meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dataDir, 0o755)
	stop, fail := runCoffer(t, dataDir)
	if stop == nil {
		t.Fatalf("start: %s", fail)
	}
	stop()
	for _, d := range []string{dataDir, filepath.Join(dataDir, "meta"), filepath.Join(dataDir, "data")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, want 0700", d, fi.Mode().Perm())
		}
	}
}

func TestKMS_rekey_masterKeyReplacedOffline(t *testing.T) {
	requireTarget(t)
	if suite.peer {
		t.Skip("needs the Coffer binary")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	stop, endpoint, fail := runCofferAt(t, dataDir)
	if stop == nil {
		t.Fatalf("start: %s", fail)
	}
	bucket := bucketName(t)
	c := newClient(t, endpoint, cofferRootAccessKey, cofferRootSecretKey)
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		stop()
		t.Fatal(err)
	}
	stop()

	newKey := filepath.Join(t.TempDir(), "secrets", "new.key")
	rekey := func(env ...string) (string, error) {
		cmd := exec.Command(cofferBin, "kms", "rekey", "--data-dir", dataDir, "--new-master-key-file", newKey)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// A wrong current key is refused, and the new key file is not left behind.
	if out, err := rekey("COFFER_KMS_MASTER_KEY=" + strings.Repeat("cd", 32)); err == nil || !strings.Contains(out, "does not match") {
		t.Fatalf("rekey with a wrong key: %v %s", err, out)
	}
	if _, err := os.Stat(newKey); !os.IsNotExist(err) {
		t.Fatalf("a failed rekey left %s", newKey)
	}
	out, err := rekey()
	if err != nil || !strings.Contains(out, "resealed 1 S3 secret keys") {
		t.Fatalf("rekey: %v %s", err, out)
	}
	if fi, err := os.Stat(newKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", fi, err)
	}
	// The old key (still at the default place) is now refused.
	if stop, fail := runCoffer(t, dataDir); stop != nil {
		stop()
		t.Fatal("started with the replaced master key")
	} else if !strings.Contains(fail, "does not match") {
		t.Fatalf("old key: %s", fail)
	}
	stop, endpoint, fail = runCofferAt(t, dataDir, "COFFER_KMS_MASTER_KEY_FILE="+newKey)
	if stop == nil {
		t.Fatalf("start with the new key: %s", fail)
	}
	defer stop()
	c = newClient(t, endpoint, cofferRootAccessKey, cofferRootSecretKey)
	if _, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("root key after rekey: %v", err)
	}
}
