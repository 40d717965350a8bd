package commvault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/core"
)

// A node that is not one of a vault's endpoints refuses its requests with
// an S3 AccessDenied naming the nodes that serve it; registering the node
// as an endpoint (a job) makes it serve the vault.
func TestEndpoint_otherNodeRefusesUntilRegistered(t *testing.T) {
	e := newTestEnv(t, "node-a", "node-b")
	a, b := e.node("node-a"), e.node("node-b")
	f := e.fixture(t)
	r := a.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("served-by-a", f.nodeID)).must(t, 200)
	vault := r.num("response.entity.clientId")
	a.waitJob(t, f.token, r.num("addEndpointJob.jobId")).must(t, 200)
	ak, sk := a.keys(t, f.token, f.owner)

	if err := put(a.s3client(ak, sk), "served-by-a", "k", "v"); err != nil {
		t.Fatalf("PutObject on the endpoint: %v", err)
	}
	_, err := getBody(b.s3client(ak, sk), "served-by-a", "k")
	if s3code(err) != "AccessDenied" {
		t.Fatalf("GetObject on another node: want AccessDenied, got %v", err)
	}
	msg := s3message(err)
	if !strings.Contains(msg, "node-b") || !strings.Contains(msg, "node-a ("+a.s3.URL+"/S3)") {
		t.Fatalf("the refusal does not say where the vault is served: %q", msg)
	}
	// Other vaults (no endpoints) are served by every node.
	a.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("everywhere")).must(t, 200)
	ak, sk = a.keys(t, f.token, f.owner)
	if err := put(b.s3client(ak, sk), "everywhere", "k", "v"); err != nil {
		t.Fatalf("a vault without endpoints on node-b: %v", err)
	}

	// Register node-b as an endpoint of every vault that has endpoints.
	bID := b.h.Node().ID
	j := a.call(t, "POST", fmt.Sprintf("/commandcenter/api/V4/Client/%d/CVS3endpoint", bID), f.token, nil).must(t, 200)
	done := a.waitJob(t, f.token, j.num("jobId"))
	if done.str("jobs.0.jobSummary.status") != "Completed" {
		t.Fatalf("endpoint job: %s", done.Raw)
	}
	if got, err := getBody(b.s3client(ak, sk), "served-by-a", "k"); err != nil || got != "v" {
		t.Fatalf("GetObject on node-b after registration: %q %v", got, err)
	}
	d := a.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", vault), f.token, nil).must(t, 200)
	if len(d.list("cvs3Endpoints")) != 2 || d.str("cvs3Endpoints.1.status") != "active" {
		t.Fatalf("vault endpoints: %s", d.Raw)
	}
	// The "everywhere" vault did not become restricted.
	if err := put(a.s3client(ak, sk), "everywhere", "k2", "v"); err != nil {
		t.Fatalf("a vault without endpoints after registering node-b: %v", err)
	}
	// Clients: both nodes, running; a vault id is a client too.
	c := a.call(t, "GET", "/commandcenter/api/Client", f.token, nil).must(t, 200)
	if len(c.list("clientProperties")) != 2 || c.str("clientProperties.0.clientProps.isRunning") != "true" ||
		c.str("clientProperties.1.client.clientEntity.clientName") != "node-b" {
		t.Fatalf("clients: %s", c.Raw)
	}
	one := a.call(t, "GET", fmt.Sprintf("/commandcenter/api/Client/%d", bID), f.token, nil).must(t, 200)
	if one.num("clientProperties.0.client.clientEntity.clientId") != int64(bID) {
		t.Fatalf("client: %s", one.Raw)
	}
	pv := a.call(t, "GET", fmt.Sprintf("/commandcenter/api/Client/%d", vault), f.token, nil).must(t, 200)
	if pv.str("clientProperties.0.clientProps.CVS3BucketName") != "served-by-a" {
		t.Fatalf("vault as a client: %s", pv.Raw)
	}
	// A node that stops shows as not running.
	b.h.Close()
	c = a.call(t, "GET", "/commandcenter/api/Client", f.token, nil).must(t, 200)
	if c.str("clientProperties.1.clientProps.isRunning") != "false" {
		t.Fatalf("stopped node still running: %s", c.Raw)
	}
}

// An endpoint that does not run fails the job, with the reason; the vault
// is then served nowhere, and its refusal says so.
func TestEndpoint_nodeDownFailsTheJob(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	down, err := e.core.RegisterNode(bg, core.RegisterNodeInput{Name: "node-down", Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.core.StopNode(bg, "node-down"); err != nil {
		t.Fatal(err)
	}
	r := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("orphan", int64(down.ID))).must(t, 200)
	j := n.waitJob(t, f.token, r.num("addEndpointJob.jobId"))
	if j.str("jobs.0.jobSummary.status") != "Failed" || !strings.Contains(j.str("jobs.0.jobSummary.pendingReason"), "node-down") ||
		!strings.Contains(j.str("jobs.0.jobSummary.pendingReason"), "not running") {
		t.Fatalf("job with a down endpoint: %s", j.Raw)
	}
	ak, sk := n.keys(t, f.token, f.owner)
	err = put(n.s3client(ak, sk), "orphan", "k", "v")
	if s3code(err) != "AccessDenied" || !strings.Contains(s3message(err), "None of its S3 endpoints is running") {
		t.Fatalf("vault whose only endpoint failed: %v", err)
	}
	d := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", r.num("response.entity.clientId")), f.token, nil).must(t, 200)
	if d.str("cvs3Endpoints.0.status") != "failed" || d.str("cvs3Endpoints.0.reason") == "" {
		t.Fatalf("failed endpoint: %s", d.Raw)
	}
	// The job is listed with the filters Commvault's tools use.
	for _, q := range []string{
		fmt.Sprintf("clientId=%d", r.num("response.entity.clientId")),
		"jobFilter=Install%20Software", "jobCategory=Finished", "completedJobLookupTime=3600",
	} {
		l := n.call(t, "GET", "/commandcenter/api/Job?"+q, f.token, nil).must(t, 200)
		if l.num("totalRecordsWithoutPaging") < 1 || l.num("jobs.0.jobSummary.jobId") != r.num("addEndpointJob.jobId") {
			t.Fatalf("GET /Job?%s: %s", q, l.Raw)
		}
	}
	l := n.call(t, "GET", "/commandcenter/api/Job?jobCategory=Active", f.token, nil).must(t, 200)
	if l.num("totalRecordsWithoutPaging") != 0 {
		t.Fatalf("active jobs: %s", l.Raw)
	}
	jd := n.call(t, "POST", "/commandcenter/api/JobDetails", f.token, map[string]any{"jobId": r.num("addEndpointJob.jobId")}).must(t, 200)
	if jd.str("job.jobDetail.progressInfo.state") != "Failed" || jd.str("job.jobDetail.generalInfo.jobType") != "Install Software" {
		t.Fatalf("job details: %s", jd.Raw)
	}
	// Killing a finished job is refused.
	n.call(t, "POST", fmt.Sprintf("/commandcenter/api/Job/%d/Action/Kill", r.num("addEndpointJob.jobId")), f.token, nil).
		mustError(t, 400, int(codeInvalidOperationType))
}

// A queued job killed before it runs ends "Killed"; its endpoints fail.
func TestJob_kill(t *testing.T) {
	e := newTestEnvWith(t, envOpts{jobWorkers: 1})
	n := e.api()
	f := e.fixture(t)
	release := make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	if _, err := e.core.SubmitJob(bg, core.JobSpec{Description: "blocker"}, func(ctx context.Context, _ core.JobProgress) (string, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "", nil
	}); err != nil {
		t.Fatal(err)
	}
	r := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("killed", f.nodeID)).must(t, 200)
	id := r.num("addEndpointJob.jobId")
	s := n.call(t, "GET", "/commandcenter/api/Job/"+itoa64(id), f.token, nil).must(t, 200)
	if st := s.str("jobs.0.jobSummary.status"); st != "Pending" {
		t.Fatalf("job behind a blocker: %s", s.Raw)
	}
	n.call(t, "POST", "/commandcenter/api/Job/"+itoa64(id)+"/Action/Kill", f.token, nil).must(t, 200)
	close(release)
	j := n.waitJob(t, f.token, id)
	if j.str("jobs.0.jobSummary.status") != "Killed" || !strings.Contains(j.str("jobs.0.jobSummary.pendingReason"), "killed") {
		t.Fatalf("killed job: %s", j.Raw)
	}
	// Jobs of other planes cannot be killed.
	other, err := e.core.SubmitJob(bg, core.JobSpec{Description: "ontap-like"}, func(ctx context.Context, _ core.JobProgress) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	n.call(t, "POST", "/commandcenter/api/Job/"+itoa64(other.ID)+"/Action/Kill", f.token, nil).mustError(t, 400, int(codeInvalidOperationType))
}

// Deleting a vault: refused while not empty unless forced; a job.
func TestDeleteVault(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	r := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("to-delete")).must(t, 200)
	id := r.num("response.entity.clientId")
	ak, sk := n.keys(t, f.token, f.owner)
	c := n.s3client(ak, sk)
	for i := 0; i < 3; i++ {
		if err := put(c, "to-delete", fmt.Sprintf("k%d", i%2), "v"); err != nil { // versions too
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", id)
	n.call(t, "DELETE", path, f.token, nil).mustError(t, 409, int(codeInvalidOperationType))
	j := n.call(t, "DELETE", path+"?forceDelete=true", f.token, nil).must(t, 200)
	done := n.waitJob(t, f.token, j.num("jobId"))
	if done.str("jobs.0.jobSummary.status") != "Completed" || done.str("jobs.0.jobSummary.jobType") != "Delete S3 Vault" {
		t.Fatalf("delete job: %s", done.Raw)
	}
	n.call(t, "GET", path, f.token, nil).mustError(t, 404, "VALUE_NOT_FOUND")
	// The plan is free again once its vaults are gone.
	n.call(t, "DELETE", fmt.Sprintf("/commandcenter/api/V4/ServerPlan/%d", f.planID), f.token, nil).must(t, 200)
	// An empty vault needs no force.
	p := n.mkPlan(t, f.token, "plan2", 1)
	body := f.seedBody("empty-one")
	body["plan"] = map[string]any{"planId": p}
	r = n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, body).must(t, 200)
	j = n.call(t, "DELETE", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", r.num("response.entity.clientId")), f.token, nil).must(t, 200)
	if n.waitJob(t, f.token, j.num("jobId")).str("jobs.0.jobSummary.status") != "Completed" {
		t.Fatal("deleting an empty vault failed")
	}
}

// Rotating a user's key while a client uses it: the old key works until
// the rotation answers and fails from the next request on; the new key
// works at once.
func TestKeyRotation_whileInUse(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("busy-vault")).must(t, 200)
	ak, sk := n.keys(t, f.token, f.owner)
	old := n.s3client(ak, sk)

	var rotated atomic.Bool
	var okAfter, failed atomic.Int64
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
			wasRotated := rotated.Load()
			err := put(old, "busy-vault", fmt.Sprintf("obj-%d", i%5), "payload")
			switch {
			case err == nil && wasRotated:
				okAfter.Add(1) // started after the rotation answered: must not succeed
			case err != nil:
				if s3code(err) != "InvalidAccessKeyId" {
					t.Errorf("old key after rotation: %v", err)
				}
				failed.Add(1)
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	p := n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/V4/User/%d/S3AccessKey", f.owner), f.token, nil).must(t, 200)
	rotated.Store(true)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if okAfter.Load() != 0 {
		t.Fatalf("%d requests with the old key succeeded after the rotation", okAfter.Load())
	}
	if failed.Load() == 0 {
		t.Fatal("the old key was never refused")
	}
	if err := put(n.s3client(p.str("accessKeyID"), p.str("secretAccessKey")), "busy-vault", "new", "v"); err != nil {
		t.Fatalf("new key: %v", err)
	}
}
