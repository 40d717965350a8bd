package commvault

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"coffer/internal/core"
	"coffer/internal/objects"
	"coffer/internal/s3api"
	"coffer/internal/testkit"
)

// The integration tests run the Commvault handler over a real core (Pebble
// and the object layer in a temporary directory) with the real S3 adapter
// authorizing through core.EndpointAuthorizer, each on an httptest server:
// the whole flow a lead-mounted server runs, in process. Several "nodes"
// share the one core, as coffer servers share one store.

const (
	testAdmin    = "admin"
	testPassword = "commvault-test-password"
)

var bg = context.Background()

// testEnv is a core with nodes.
type testEnv struct {
	t     testing.TB
	core  *core.Service
	obj   *objects.Service
	nodes map[string]*testNode
}

// testNode is one coffer node: its Commvault handler and its S3 adapter.
type testNode struct {
	name string
	h    *Handler
	api  *httptest.Server // the admin listener (Commvault API)
	s3   *httptest.Server // the S3 listener
}

type envOpts struct {
	jobWorkers int
	tweak      func(*Options)
	coreTweak  func(*core.Options)
}

func newTestEnv(t testing.TB, nodeNames ...string) *testEnv {
	return newTestEnvWith(t, envOpts{}, nodeNames...)
}

func newTestEnvWith(t testing.TB, eo envOpts, nodeNames ...string) *testEnv {
	t.Helper()
	if len(nodeNames) == 0 {
		nodeNames = []string{"node-a"}
	}
	st := testkit.NewStore(t, nil)
	kv, obj := st.KV, st.Objects
	co := core.Options{KV: kv, Objects: obj, PasswordIterations: 1000, ClusterName: "cluster1",
		JobWorkers: eo.jobWorkers}
	if eo.coreTweak != nil {
		eo.coreTweak(&co)
	}
	c, err := core.New(co)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bootstrap(bg, core.BootstrapInput{TenantName: "default"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BootstrapAdmin(bg, testAdmin, testPassword); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, core: c, obj: obj, nodes: map[string]*testNode{}}
	t.Cleanup(func() {
		for _, n := range e.nodes {
			n.api.Close()
			n.s3.Close()
			n.h.Close()
		}
		c.Close()
	})
	for _, name := range nodeNames {
		e.addNode(name, eo.tweak)
	}
	return e
}

// addNode starts a node: an S3 adapter whose authorizer checks endpoints
// for this node, and a Commvault handler registering it.
func (e *testEnv) addNode(name string, tweak func(*Options)) *testNode {
	e.t.Helper()
	be := e.core.S3Backend()
	s3h, err := s3api.New(s3api.Options{Backend: be, BucketPolicies: be, Credentials: e.core,
		Authorizer: e.core.EndpointAuthorizer(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	n := &testNode{name: name, s3: httptest.NewServer(s3h)}
	o := Options{Core: e.core, Tenant: "default", NodeName: name, S3Endpoint: n.s3.URL + "/S3", Version: "test",
		Heartbeat: 200 * time.Millisecond, UpkeepInterval: time.Hour}
	if tweak != nil {
		tweak(&o)
	}
	n.h, err = New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	n.api = httptest.NewServer(n.h)
	e.nodes[name] = n
	return n
}

func (e *testEnv) node(name string) *testNode {
	n, ok := e.nodes[name]
	if !ok {
		e.t.Fatalf("no node %q", name)
	}
	return n
}

// api is the first node's Commvault API.
func (e *testEnv) api() *testNode { return e.node("node-a") }

// reply is a decoded response.
type reply struct{ testkit.Reply }

// call sends a request to a node's API. body: nil, string (as is) or any
// value (JSON-encoded). token "" sends no Authtoken.
func (n *testNode) call(t testing.TB, method, path, token string, body any) reply {
	t.Helper()
	req, err := http.NewRequest(method, n.api.URL+path, testkit.JSONBody(t, body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authtoken", token)
	}
	r := reply{testkit.Send(t, nil, path, req)}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

func (r reply) must(t testing.TB, status int) reply {
	t.Helper()
	r.Reply.Must(t, status)
	return r
}

// mustError checks an error reply: status and errorCode (an int for
// 4xx other than 404, the enum name for 404 and 500).
func (r reply) mustError(t testing.TB, status int, code any) reply {
	t.Helper()
	r.MustCommvaultError(t, status, code)
	return r
}

// get walks a dotted path ("response.entity.clientId", "jobs.0.jobSummary").
func (r reply) get(path string) any { return testkit.Lookup(r.Body, path) }

func (r reply) str(path string) string { return r.Text(path) }

func (r reply) num(path string) int64 { return r.Int(path) }

func (r reply) list(path string) []any { return r.List(path) }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// login logs in and returns the token as Login answered it.
func (n *testNode) login(t testing.TB, user, password string) string {
	t.Helper()
	r := n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"username": user, "password": b64(password)}).must(t, 200)
	tok := r.str("token")
	if !strings.HasPrefix(tok, "QSDK ") {
		t.Fatalf("token %q lacks the QSDK prefix", tok)
	}
	return tok
}

func (n *testNode) admin(t testing.TB) string { return n.login(t, testAdmin, testPassword) }

// fixture: a plan, users and a group through the API.
type fixture struct {
	token            string
	planID           int64
	planName         string
	owner, member    int64 // user ids
	outsider         int64
	groupID          int64
	ownerName        string
	memberName       string
	outsiderName     string
	nodeID           int64
	ownerPassword    string
	memberPassword   string
	outsiderPassword string
}

func (n *testNode) mkUser(t testing.TB, tok, name, password string) int64 {
	t.Helper()
	r := n.call(t, "POST", "/commandcenter/api/V4/user", tok, map[string]any{"users": []any{map[string]any{
		"name": name, "email": name + "@example.com", "fullName": "User " + name, "password": b64(password)}}}).must(t, 200)
	id := r.num("users.0.id")
	if id <= 0 || r.str("users.0.name") != name || r.str("users.0.GUID") == "" {
		t.Fatalf("create user: %s", r.Raw)
	}
	return id
}

func (n *testNode) mkPlan(t testing.TB, tok, name string, days int) int64 {
	t.Helper()
	r := n.call(t, "POST", "/commandcenter/api/V4/ServerPlan", tok, map[string]any{"planName": name,
		"backupDestinations": []any{map[string]any{"backupDestinationName": "Primary", "retentionPeriodDays": days,
			"storagePool": map[string]any{"name": "pool1"}}}}).must(t, 200)
	if r.num("plan.id") <= 0 || r.str("plan.name") != name {
		t.Fatalf("create plan: %s", r.Raw)
	}
	return r.num("plan.id")
}

func (e *testEnv) fixture(t testing.TB) fixture {
	t.Helper()
	n := e.api()
	f := fixture{token: n.admin(t), planName: "S3 vault plan", ownerName: "owner1", memberName: "member1",
		outsiderName: "outsider1", ownerPassword: "owner-password-1", memberPassword: "member-password-1",
		outsiderPassword: "outsider-password-1"}
	f.planID = n.mkPlan(t, f.token, f.planName, 7)
	f.owner = n.mkUser(t, f.token, f.ownerName, f.ownerPassword)
	f.member = n.mkUser(t, f.token, f.memberName, f.memberPassword)
	f.outsider = n.mkUser(t, f.token, f.outsiderName, f.outsiderPassword)
	r := n.call(t, "POST", "/commandcenter/api/V4/UserGroup", f.token, map[string]any{"name": "backup-operators",
		"description": "operators", "users": []any{map[string]any{"id": f.member}}}).must(t, 200)
	f.groupID = r.num("id")
	f.nodeID = int64(n.h.Node().ID)
	return f
}

// seedBody is the seed's request body with real ids.
func (f fixture) seedBody(vault string, endpoints ...int64) map[string]any {
	var eps []any
	for _, id := range endpoints {
		eps = append(eps, map[string]any{"clientId": id, "clientName": ""})
	}
	b := map[string]any{
		"bucket":     map[string]any{"clientName": vault},
		"plan":       map[string]any{"planId": f.planID, "planName": f.planName},
		"owners":     []any{map[string]any{"userId": f.owner, "__type__": 13}},
		"userGroups": []any{map[string]any{"userGroupId": f.groupID, "__type__": 15}},
		"rotateKeys": true,
	}
	if len(eps) > 0 {
		b["cvs3Endpoints"] = eps
	}
	return b
}

// waitJob polls GET /Job/{id} until the job ends and returns its summary
// reply; it fails the test after 20 s.
func (n *testNode) waitJob(t testing.TB, tok string, id int64) reply {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := n.call(t, "GET", "/commandcenter/api/Job/"+strconv.FormatInt(id, 10), tok, nil).must(t, 200)
		if r.num("totalRecordsWithoutPaging") != 1 {
			t.Fatalf("job %d not found: %s", id, r.Raw)
		}
		switch r.str("jobs.0.jobSummary.status") {
		case "Completed", "Failed", "Killed":
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d did not end: %s", id, r.Raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keys rotates a user's keys through the API and returns them.
func (n *testNode) keys(t testing.TB, tok string, user int64) (string, string) {
	t.Helper()
	r := n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/V4/User/%d/S3AccessKey", user), tok, nil).must(t, 200)
	ak, sk := r.str("accessKeyID"), r.str("secretAccessKey")
	if ak == "" || sk == "" || r.num("response.errorCode") != 200 {
		t.Fatalf("rotate keys: %s", r.Raw)
	}
	return ak, sk
}

// s3 returns an S3 client for a node's /S3 endpoint (path style, no
// retries).
func (n *testNode) s3client(ak, sk string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(n.s3.URL + "/S3"), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider(ak, sk, ""),
		RetryMaxAttempts: 1,
	})
}

func s3code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func s3message(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func put(c *s3.Client, bucket, key, body string) error {
	_, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

func getBody(c *s3.Client, bucket, key string) (string, error) {
	out, err := c.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}
