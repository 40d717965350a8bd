package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The seed (shared/seeds/000_db823d220257708c.txt) is the contract for
// POST /V4/CVS3Store: these tests send its request shape with real ids and
// check its response shape.

// The whole story, end to end: a plan, users and a group; a vault with the
// seed's body (owners, a group, this node as endpoint, rotateKeys); the
// endpoint job seen through /Job/{jobId} until Completed; the owner's keys;
// S3 at /S3 with aws-sdk-go-v2 and the aws CLI for owners and group
// members, AccessDenied for everyone else.
func TestCommvault_CreateVault_seedBody(t *testing.T) {
	t.Parallel()
	c := cvAPI(t)
	f := c.fixture(t)
	vault := "cv-" + randHex(6)
	r := c.do(t, "POST", "/V4/CVS3Store", f.seedBody(vault, f.nodeID)).must(t, 200)
	if r.num("response.entity.clientId") <= 0 || r.str("response.entity.clientName") != vault ||
		r.str("response.errorCode") != "0" || r.str("addEndpointJob.response.errorCode") != "NO_ERROR" {
		t.Fatalf("create vault: %s", r.Raw)
	}
	clientID := r.num("response.entity.clientId")
	t.Cleanup(func() {
		c.do(t, "DELETE", fmt.Sprintf("/V4/CVS3Store/%d?forceDelete=true", clientID), nil)
	})
	j, seen := c.waitJob(t, r.num("addEndpointJob.jobId"))
	if j.str("jobs.0.jobSummary.status") != "Completed" || seen[len(seen)-1] != "Completed" {
		t.Fatalf("endpoint job: statuses %v: %s", seen, j.Raw)
	}
	for _, s := range seen {
		if s != "Pending" && s != "Running" && s != "Completed" {
			t.Fatalf("endpoint job went through %v", seen)
		}
	}

	ownerAK, ownerSK := c.keys(t, f.owner)
	memberAK, memberSK := c.keys(t, f.member)
	outAK, outSK := c.keys(t, f.outsider)
	// The node the seed body names serves the vault (the shared server,
	// node 1 when the suite runs on a cluster, where the others refuse it).
	endpoint := sharedSrv.Endpoint() + "/S3"
	owner, member, outsider := newClient(t, endpoint, ownerAK, ownerSK), newClient(t, endpoint, memberAK, memberSK), newClient(t, endpoint, outAK, outSK)
	for who, cl := range map[string]*s3.Client{"owner": owner, "member": member} {
		body := randBytes(2000)
		if _, err := cl.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(vault), Key: aws.String(who), Body: strings.NewReader(string(body))}); err != nil {
			t.Fatalf("%s PutObject: %v", who, err)
		}
		got, _ := getBytes(t, cl, &s3.GetObjectInput{Bucket: aws.String(vault), Key: aws.String(who)})
		mustEqualBytes(t, who+" GetObject", got, body)
		if _, err := cl.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(vault)}); err != nil {
			t.Fatalf("%s ListObjectsV2: %v", who, err)
		}
		if _, err := cl.GetBucketPolicy(ctxT(t), &s3.GetBucketPolicyInput{Bucket: aws.String(vault)}); errCode(err) != "AccessDenied" {
			t.Fatalf("%s GetBucketPolicy: want AccessDenied, got %v", who, err)
		}
	}
	if _, err := member.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(vault), Key: aws.String("member")}); err != nil {
		t.Fatalf("member DeleteObject: %v", err)
	}
	_, err := outsider.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(vault), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantErr(t, "outsider PutObject", err, "AccessDenied", 403)
	_, err = outsider.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(vault), Key: aws.String("owner")})
	wantErr(t, "outsider GetObject", err, "AccessDenied", 403)

	// The aws CLI at /S3 with the owner's keys.
	if _, lerr := exec.LookPath("aws"); lerr == nil {
		run := func(args ...string) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint}, args...)...)
			cmd.Env = toolEnv("AWS_ACCESS_KEY_ID="+ownerAK, "AWS_SECRET_ACCESS_KEY="+ownerSK)
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		file := filepath.Join(t.TempDir(), "cli.txt")
		if err := os.WriteFile(file, []byte("from the aws CLI"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := run("s3", "cp", file, "s3://"+vault+"/cli.txt"); err != nil {
			t.Fatalf("aws s3 cp: %v\n%s", err, out)
		}
		out, err := run("s3", "ls", "s3://"+vault+"/")
		if err != nil || !strings.Contains(out, "cli.txt") {
			t.Fatalf("aws s3 ls: %v\n%s", err, out)
		}
	}

	// Details and listing.
	d := c.do(t, "GET", fmt.Sprintf("/V4/CVS3Store/%d", clientID), nil).must(t, 200)
	if d.str("versioning") != "ENABLED" || d.num("plan.planId") != f.planID || d.str("cvs3Endpoints.0.status") != "active" {
		t.Fatalf("vault details: %s", d.Raw)
	}
	l := c.do(t, "GET", "/V4/cvS3Stores?start=0&limit=1000", nil).must(t, 200)
	if !strings.Contains(l.Raw, `"`+vault+`"`) {
		t.Fatalf("vault not listed: %s", l.Raw)
	}
}

// Error paths of POST /V4/CVS3Store over the wire.
func TestCommvault_CreateVault_errors(t *testing.T) {
	t.Parallel()
	c := cvAPI(t)
	f := c.fixture(t)
	taken := "cv-taken-" + randHex(4)
	r := c.do(t, "POST", "/V4/CVS3Store", f.seedBody(taken)).must(t, 200)
	t.Cleanup(func() {
		c.do(t, "DELETE", fmt.Sprintf("/V4/CVS3Store/%d?forceDelete=true", r.num("response.entity.clientId")), nil)
	})
	with := func(edit func(map[string]any)) map[string]any {
		b := f.seedBody("cv-new-" + randHex(4))
		edit(b)
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   any
	}{
		{"malformed JSON", `{"bucket":`, 400, 1},
		{"missing bucket.clientName", with(func(b map[string]any) { b["bucket"] = map[string]any{} }), 400, 1},
		{"missing plan", with(func(b map[string]any) { delete(b, "plan") }), 400, 1},
		{"bad name", with(func(b map[string]any) { b["bucket"] = map[string]any{"clientName": "Not_Valid"} }), 400, 1},
		{"wrong __type__", with(func(b map[string]any) { b["owners"] = []any{map[string]any{"userId": f.owner, "__type__": 3}} }), 400, 1},
		{"unknown plan", with(func(b map[string]any) { b["plan"] = map[string]any{"planId": 987654} }), 404, "VALUE_NOT_FOUND"},
		{"unknown client", with(func(b map[string]any) { b["cvs3Endpoints"] = []any{map[string]any{"clientId": 1999999999}} }), 404, "VALUE_NOT_FOUND"},
		{"unknown user", with(func(b map[string]any) { b["owners"] = []any{map[string]any{"userId": 987654, "__type__": 13}} }), 404, "VALUE_NOT_FOUND"},
		{"unknown group", with(func(b map[string]any) { b["userGroups"] = []any{map[string]any{"userGroupId": 987654, "_type_": 15}} }), 404, "VALUE_NOT_FOUND"},
		{"existing name", f.seedBody(taken), 409, 1},
	}
	for _, tc := range cases {
		c.do(t, "POST", "/V4/CVS3Store", tc.body).mustError(t, tc.status, tc.code)
	}
	// 403: a user (not an administrator) may not create vaults.
	u := cvLogin(t, sharedSrv.AdminEndpoint(), f.ownerName, f.password)
	u.do(t, "POST", "/V4/CVS3Store", f.seedBody("cv-user-"+randHex(4))).mustError(t, 403, 9)
	// 401: no token, and case-insensitive paths.
	anon := &cvClient{base: c.base, hc: c.hc}
	anon.do(t, "POST", "/v4/cvs3store", f.seedBody("cv-anon")).mustError(t, 401, 6)
	c.doAt(t, "/webconsole/api", "GET", "/v4/CVS3STORES", nil).must(t, 200)
}

// A user rotates its own key while a client uses the old one: the old key
// fails from the request after the rotation on.
func TestCommvault_KeyRotation_whileInUse(t *testing.T) {
	t.Parallel()
	c := cvAPI(t)
	f := c.fixture(t)
	vault := "cv-rot-" + randHex(6)
	r := c.do(t, "POST", "/V4/CVS3Store", f.seedBody(vault)).must(t, 200)
	t.Cleanup(func() {
		c.do(t, "DELETE", fmt.Sprintf("/V4/CVS3Store/%d?forceDelete=true", r.num("response.entity.clientId")), nil)
	})
	ak, sk := c.keys(t, f.owner)
	old := newClient(t, suite.endpoint+"/S3", ak, sk, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	user := cvLogin(t, sharedSrv.AdminEndpoint(), f.ownerName, f.password)

	var rotated atomic.Bool
	var okAfter, refused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			after := rotated.Load()
			_, err := old.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(vault),
				Key: aws.String(fmt.Sprintf("k%d", i%3)), Body: strings.NewReader("v")})
			switch {
			case err == nil && after:
				okAfter.Add(1)
			case err != nil:
				if errCode(err) != "InvalidAccessKeyId" && !errors.Is(err, context.Canceled) {
					t.Errorf("old key: %v", err)
				}
				refused.Add(1)
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	p := user.do(t, "PUT", "/V4/User/S3AccessKey", nil).must(t, 200)
	rotated.Store(true)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if okAfter.Load() != 0 || refused.Load() == 0 {
		t.Fatalf("old key after rotation: %d successes, %d refusals", okAfter.Load(), refused.Load())
	}
	fresh := newClient(t, suite.endpoint+"/S3", p.str("accessKeyID"), p.str("secretAccessKey"))
	if _, err := fresh.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(vault), Key: aws.String("new"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("new key: %v", err)
	}
	// GET never shows the secret.
	g := user.do(t, "GET", "/V4/User/S3AccessKey", nil).must(t, 200)
	if g.str("accessKeyID") != p.str("accessKeyID") || strings.Contains(g.Raw, p.str("secretAccessKey")) {
		t.Fatalf("GET key: %s", g.Raw)
	}
	// A user acts only on itself.
	user.do(t, "PUT", fmt.Sprintf("/V4/User/%d/S3AccessKey", f.member), nil).mustError(t, 403, 9)
}

// Repeated failed logins lock the account.
func TestCommvault_Login_lockout(t *testing.T) {
	t.Parallel()
	// A private server: the shared one lifts the lockout (see setupCoffer).
	srv := startCofferWithEnv(t)
	c := cvLogin(t, srv.AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
	name := "locked-" + randHex(4)
	c.mkUser(t, name, "right-password-1")
	anon := &cvClient{base: c.base, hc: c.hc}
	var last cvReply
	for i := 0; i < 6; i++ {
		last = anon.do(t, "POST", "/Login", map[string]any{"username": name, "password": b64s("wrong")}).must(t, 401)
		if last.str("errList.0.errLogMessage") == "" {
			t.Fatalf("failed login without errList: %s", last.Raw)
		}
	}
	if last.str("isAccountLocked") != "true" {
		t.Fatalf("not locked after 6 failures: %s", last.Raw)
	}
	anon.do(t, "POST", "/Login", map[string]any{"username": name, "password": b64s("right-password-1")}).must(t, 401)
}

// A plan's retention removes overwritten versions after it runs out. The
// private server's day lasts one second (COFFER_TEST_DAY_SECONDS=1).
func TestCommvault_Retention_removesOldVersion(t *testing.T) {
	t.Parallel()
	srv := startCofferWithEnv(t, "COFFER_TEST_DAY_SECONDS=1")
	c := cvLogin(t, srv.AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
	f := c.fixture(t)
	plan := c.mkPlan(t, "one-day-"+randHex(4), 1)
	vault := "cv-ret-" + randHex(6)
	body := f.seedBody(vault)
	body["plan"] = map[string]any{"planId": plan}
	c.do(t, "POST", "/V4/CVS3Store", body).must(t, 200)
	ak, sk := c.keys(t, f.owner)
	owner := newClient(t, srv.Endpoint()+"/S3", ak, sk)
	for _, v := range []string{"first", "second"} {
		if _, err := owner.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(vault), Key: aws.String("doc"), Body: strings.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	root := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	count := func() int {
		out, err := root.ListObjectVersions(ctxT(t), &s3.ListObjectVersionsInput{Bucket: aws.String(vault)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Versions)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d versions before the retention, want 2", n)
	}
	deadline := time.Now().Add(60 * time.Second)
	for count() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the old version was not removed after the retention")
		}
		time.Sleep(250 * time.Millisecond)
	}
	got, _ := getBytes(t, owner, &s3.GetObjectInput{Bucket: aws.String(vault), Key: aws.String("doc")})
	mustEqualBytes(t, "current version", got, []byte("second"))
	l := c.do(t, "GET", "/Job?jobFilter=Data%20Aging", nil).must(t, 200)
	if l.num("totalRecordsWithoutPaging") < 1 {
		t.Fatalf("no Data Aging job listed: %s", l.Raw)
	}
}
