package e2e

// Helpers for the Commvault S3 Vault API tests (commvault_*_test.go): a
// client for /commandcenter/api on the admin listener that logs in with
// POST /Login and sends the token as Authtoken, JSON decoding with dotted
// paths, fixtures (plan, users, group, this node's client id), job
// polling, and a private server started with extra environment (for
// COFFER_TEST_DAY_SECONDS).
//
// These tests need the Commvault handler mounted on the admin listener
// (internal/commvault, mounted by internal/server).

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"coffer/internal/testkit"
)

// cvClient calls the Commvault API of a server under test.
type cvClient struct {
	base  string // https://host:port of the admin listener
	token string // "QSDK ..." as Login answered it
	hc    *http.Client
}

// cvAPI returns a client for the shared server's Commvault API, logged in
// as the harness's administrator. Skips in peer mode.
func cvAPI(t testing.TB) *cvClient {
	t.Helper()
	requireTarget(t)
	if suite.peer || sharedSrv == nil {
		t.Skip("the Commvault API tests need a Coffer server started by the harness (peer mode)")
	}
	return cvLogin(t, sharedSrv.AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
}

func cvLogin(t testing.TB, base, user, password string) *cvClient {
	t.Helper()
	c := &cvClient{base: base, hc: adminHTTPClient(2 * time.Minute)}
	r := c.do(t, "POST", "/Login", map[string]any{"username": user, "password": base64.StdEncoding.EncodeToString([]byte(password))})
	r.must(t, 200)
	c.token = r.str("token")
	if !strings.HasPrefix(c.token, "QSDK ") {
		t.Fatalf("Login token %q lacks the QSDK prefix: %s", c.token, r.Raw)
	}
	return c
}

// cvReply is a decoded response.
type cvReply struct{ testkit.Reply }

// do sends a request under /commandcenter/api. body: nil, a string (as is)
// or a value (JSON).
func (c *cvClient) do(t testing.TB, method, path string, body any) cvReply {
	t.Helper()
	return c.doAt(t, "/commandcenter/api", method, path, body)
}

func (c *cvClient) doAt(t testing.TB, root, method, path string, body any) cvReply {
	t.Helper()
	req, err := http.NewRequest(method, c.base+root+path, testkit.JSONBody(t, body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authtoken", c.token)
	}
	return cvReply{testkit.Send(t, c.hc, path, req)}
}

func (r cvReply) must(t testing.TB, status int) cvReply {
	t.Helper()
	r.Reply.Must(t, status)
	return r
}

// mustError checks status, errorCode (int, or the enum name for 404 and
// 500) and that errorMessage is set.
func (r cvReply) mustError(t testing.TB, status int, code any) cvReply {
	t.Helper()
	r.MustCommvaultError(t, status, code)
	return r
}

func (r cvReply) get(path string) any { return testkit.Lookup(r.Body, path) }

func (r cvReply) str(path string) string { return r.Text(path) }

func (r cvReply) num(path string) int64 { return r.Int(path) }

func (r cvReply) list(path string) []any { return r.List(path) }

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// cvFixture is a plan, three users (owner, group member, outsider) with
// passwords, a group holding the member, and this node's client id, all
// with names unique to the test.
type cvFixture struct {
	planID                  int64
	planName                string
	owner, member, outsider int64
	ownerName, memberName   string
	outsiderName            string
	groupID                 int64
	nodeID                  int64
	password                string
}

func (c *cvClient) mkUser(t testing.TB, name, password string) int64 {
	t.Helper()
	r := c.do(t, "POST", "/V4/user", map[string]any{"users": []any{map[string]any{
		"name": name, "email": name + "@example.com", "fullName": name, "password": b64s(password)}}}).must(t, 200)
	if r.num("users.0.id") <= 0 {
		t.Fatalf("create user: %s", r.Raw)
	}
	return r.num("users.0.id")
}

func (c *cvClient) mkPlan(t testing.TB, name string, days int) int64 {
	t.Helper()
	r := c.do(t, "POST", "/V4/ServerPlan", map[string]any{"planName": name, "backupDestinations": []any{
		map[string]any{"backupDestinationName": "Primary", "retentionPeriodDays": days}}}).must(t, 200)
	if r.num("plan.id") <= 0 {
		t.Fatalf("create plan: %s", r.Raw)
	}
	return r.num("plan.id")
}

// thisNode returns the client id of the node answering the API.
func (c *cvClient) thisNode(t testing.TB) int64 {
	t.Helper()
	r := c.do(t, "GET", "/Client", nil).must(t, 200)
	for i := range r.list("clientProperties") {
		p := fmt.Sprintf("clientProperties.%d.", i)
		if r.str(p+"clientProps.thisNode") == "true" {
			return r.num(p + "client.clientEntity.clientId")
		}
	}
	t.Fatalf("GET /Client lists no client for this node: %s", r.Raw)
	return 0
}

func (c *cvClient) fixture(t testing.TB) cvFixture {
	t.Helper()
	sfx := randHex(4)
	f := cvFixture{planName: "plan-" + sfx, ownerName: "owner-" + sfx, memberName: "member-" + sfx,
		outsiderName: "outsider-" + sfx, password: "pw-" + sfx + "-long-enough"}
	f.planID = c.mkPlan(t, f.planName, 30)
	f.owner = c.mkUser(t, f.ownerName, f.password)
	f.member = c.mkUser(t, f.memberName, f.password)
	f.outsider = c.mkUser(t, f.outsiderName, f.password)
	r := c.do(t, "POST", "/V4/UserGroup", map[string]any{"name": "group-" + sfx,
		"users": []any{map[string]any{"id": f.member}}}).must(t, 200)
	f.groupID = r.num("id")
	f.nodeID = c.thisNode(t)
	return f
}

// seedBody is the seed's request body (POST /V4/CVS3Store) with real ids:
// owners, a group, optional endpoints, rotateKeys.
func (f cvFixture) seedBody(vault string, endpoints ...int64) map[string]any {
	b := map[string]any{
		"bucket":     map[string]any{"clientName": vault},
		"plan":       map[string]any{"planId": f.planID, "planName": f.planName},
		"owners":     []any{map[string]any{"userId": f.owner, "__type__": 13}},
		"userGroups": []any{map[string]any{"userGroupId": f.groupID, "__type__": 15}},
		"rotateKeys": true,
	}
	if len(endpoints) > 0 {
		var eps []any
		for _, id := range endpoints {
			eps = append(eps, map[string]any{"clientId": id})
		}
		b["cvs3Endpoints"] = eps
	}
	return b
}

// waitJob polls GET /Job/{id} until the job ends (60 s at most) and
// returns the last reply; it records every status seen.
func (c *cvClient) waitJob(t testing.TB, id int64) (cvReply, []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var seen []string
	for {
		r := c.do(t, "GET", "/Job/"+strconv.FormatInt(id, 10), nil).must(t, 200)
		st := r.str("jobs.0.jobSummary.status")
		if r.num("totalRecordsWithoutPaging") == 1 && (len(seen) == 0 || seen[len(seen)-1] != st) {
			seen = append(seen, st)
		}
		switch st {
		case "Completed", "Failed", "Killed":
			return r, seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not end: %s", id, r.Raw)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// keys rotates a user's keys (PUT .../S3AccessKey) and returns them.
func (c *cvClient) keys(t testing.TB, user int64) (string, string) {
	t.Helper()
	r := c.do(t, "PUT", fmt.Sprintf("/V4/User/%d/S3AccessKey", user), nil).must(t, 200)
	if r.str("accessKeyID") == "" || r.str("secretAccessKey") == "" {
		t.Fatalf("rotate keys: %s", r.Raw)
	}
	return r.str("accessKeyID"), r.str("secretAccessKey")
}

// startCofferWithEnv starts a private `coffer server` with extra
// environment variables (the harness's own start takes none) and stops it
// at the end of the test. Skips in peer mode.
func startCofferWithEnv(t *testing.T, extraEnv ...string) *cofferServer {
	t.Helper()
	requireTarget(t)
	if suite.peer || cofferBin == "" {
		t.Skip("needs a Coffer server controlled by the harness (peer mode)")
	}
	dir := filepath.Join(t.TempDir(), "data")
	s3Addr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	adminAddr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	logPath := dir + ".log"
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cofferBin, "server", "--data-dir", dir, "--s3-addr", s3Addr, "--admin-addr", adminAddr)
	cmd.Env = append(os.Environ(),
		"COFFER_ROOT_ACCESS_KEY="+cofferRootAccessKey, "COFFER_ROOT_SECRET_KEY="+cofferRootSecretKey,
		"COFFER_ADMIN_USER="+cofferAdminUser, "COFFER_ADMIN_PASSWORD="+cofferAdminPassword)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	srv := &cofferServer{dataDir: dir, s3Addr: s3Addr, adminAddr: adminAddr, logPath: logPath, cmd: cmd, exited: exited}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("stop private server: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := adminHTTPClient(2 * time.Second).Get(adminURL(adminAddr) + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return srv
			}
		}
		select {
		case <-exited:
			t.Fatalf("coffer server exited during startup; log:\n%s", srv.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coffer server not ready; log:\n%s", srv.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
