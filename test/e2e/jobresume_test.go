package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A job survives its node's death: two `coffer server` processes on one
// PostgreSQL schema and one data directory; a job is started on node 1,
// node 1 is killed with SIGKILL in the middle of it, and node 2 takes the
// job over once its lease (10 s) expires and finishes it. Every step of
// the management plane's jobs waits COFFER_TEST_JOB_STEP_SECONDS (a test
// hook, docs/operations.md), which makes "the middle of the job" last long
// enough to kill the node in, deterministically.

const jobStepSeconds = 2

func startJobNodes(t *testing.T) []*cofferServer {
	t.Helper()
	dsn := needPG(t)
	meta := pgURL(t, dsn)
	dir := filepath.Join(t.TempDir(), "data")
	var nodes []*cofferServer
	for i := 1; i <= 2; i++ {
		srv, err := startCofferServer(dir, "COFFER_METADATA="+meta, fmt.Sprintf("COFFER_NODE_NAME=node%d", i),
			fmt.Sprintf("COFFER_TEST_JOB_STEP_SECONDS=%d", jobStepSeconds))
		if err != nil {
			t.Fatalf("start node %d: %v", i, err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		nodes = append(nodes, srv)
	}
	return nodes
}

func ontapOn(srv *cofferServer) *ontapClient {
	return &ontapClient{base: srv.AdminEndpoint(), user: cofferAdminUser, pass: cofferAdminPassword, hc: srv.AdminClient(2 * time.Minute)}
}

// resumedIn reports whether the nodes' log (the data directory's, shared)
// says a node other than node 1 resumed the job of node 1.
func resumedIn(t *testing.T, srv *cofferServer, job string) bool {
	t.Helper()
	raw, err := os.ReadFile(srv.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, `"resuming a job of a stopped node"`) && strings.Contains(line, `"job":"`+job+`"`) &&
			strings.Contains(line, `"previous_node":"node1"`) {
			return true
		}
	}
	return false
}

func TestJobResume_nodeKilledMidJob(t *testing.T) {
	t.Parallel() // private nodes and schema; most of its time is waiting for leases
	nodes := startJobNodes(t)
	on1, on2 := ontapOn(nodes[0]), ontapOn(nodes[1])

	// An SVM without an S3 server (its creation is a job: one step).
	svmName := ontapName(t, "svm")
	loc := on1.do(t, "POST", "/api/svm/svms?return_timeout=30", map[string]any{"name": svmName}).must(t, 201).Header.Get("Location")
	svm := loc[strings.LastIndex(loc, "/")+1:]
	bucketsPath := "/api/protocols/s3/services/" + svm + "/buckets"
	bucketByName := func(c *ontapClient, name string) (uuid, comment string, ok bool) {
		r := c.do(t, "GET", bucketsPath+"?fields=comment&name="+name, nil).must(t, 200)
		if len(r.records()) == 0 {
			return "", "", false
		}
		return r.str("records.0.uuid"), r.str("records.0.comment"), true
	}

	var firstUUID string
	names := []string{"jr-1-" + randHex(6), "jr-2-" + randHex(6), "jr-3-" + randHex(6)}

	t.Run("S3 server POST with three buckets: node 1 killed after the first, node 2 creates the rest", func(t *testing.T) {
		var buckets []any
		for _, n := range names {
			buckets = append(buckets, map[string]any{"name": n, "comment": "made by a resumed job"})
		}
		r := on1.do(t, "POST", "/api/protocols/s3/services", map[string]any{
			"svm": map[string]any{"uuid": svm}, "name": "s3." + svmName + ".example.com", "buckets": buckets,
		}).must(t, 201)
		job := r.str("records.0.job.uuid")
		if job == "" {
			t.Fatalf("no job for the buckets: %s", r.Raw)
		}
		// The first bucket exists: node 1 is in the middle of the job (the
		// second bucket comes a step, 2 s, later).
		eventually(t, 30*time.Second, "first bucket made by node 1", func() bool {
			var ok bool
			firstUUID, _, ok = bucketByName(on2, names[0])
			return ok
		})
		nodes[0].Kill9()
		killed := time.Now()
		if j := on2.do(t, "GET", "/api/cluster/jobs/"+job, nil).must(t, 200); j.str("state") != "running" {
			t.Fatalf("job after node 1 was killed: %s, want running", j.Raw)
		}
		if _, _, ok := bucketByName(on2, names[2]); ok {
			t.Fatalf("the last bucket exists before node 1 was killed: the job was not interrupted")
		}

		j := on2.waitJob(t, job)
		t.Logf("job finished by node 2 %v after node 1 was killed", time.Since(killed).Round(time.Millisecond))
		if j.str("state") != "success" {
			t.Fatalf("job on node 2: %s", j.Raw)
		}
		if !resumedIn(t, nodes[1], job) {
			t.Fatalf("no node logged resuming job %s of node1", job)
		}
		for i, n := range names {
			uuid, comment, ok := bucketByName(on2, n)
			if !ok || comment != "made by a resumed job" {
				t.Fatalf("bucket %d (%s) after the resumed job: exists %v, comment %q", i+1, n, ok, comment)
			}
			if i == 0 && uuid != firstUUID {
				t.Fatalf("the first bucket was made again by the resumed job: uuid %s, was %s", uuid, firstUUID)
			}
		}
		all := on2.do(t, "GET", bucketsPath, nil).must(t, 200)
		if n := len(all.records()); n != len(names) {
			t.Fatalf("%d buckets on the SVM, want %d: %s", n, len(names), all.Raw)
		}

		// Node 1 comes back and shows the job as node 2 ended it.
		if err := nodes[0].Restart(); err != nil {
			t.Fatal(err)
		}
		if j1 := on1.do(t, "GET", "/api/cluster/jobs/"+job, nil).must(t, 200); j1.str("state") != "success" {
			t.Fatalf("job on the restarted node 1: %s", j1.Raw)
		}
	})

	t.Run("bucket PATCH: node 1 killed before the change, node 2 applies it", func(t *testing.T) {
		if firstUUID == "" {
			t.Skip("needs the buckets of the previous subtest")
		}
		r := on1.do(t, "PATCH", bucketsPath+"/"+firstUUID, map[string]any{"comment": "patched after a crash"}).must(t, 202)
		job := jobUUID(t, r, "")
		nodes[0].Kill9() // within the job's first step (2 s)
		if _, comment, _ := bucketByName(on2, names[0]); comment == "patched after a crash" {
			t.Fatalf("the patch was applied before node 1 was killed: the job was not interrupted")
		}
		j := on2.waitJob(t, job)
		if j.str("state") != "success" {
			t.Fatalf("PATCH job on node 2: %s", j.Raw)
		}
		if !resumedIn(t, nodes[1], job) {
			t.Fatalf("no node logged resuming job %s of node1", job)
		}
		if _, comment, _ := bucketByName(on2, names[0]); comment != "patched after a crash" {
			t.Fatalf("bucket comment %q after the resumed PATCH", comment)
		}
		if err := nodes[0].Restart(); err != nil {
			t.Fatal(err)
		}
		if j1 := on1.do(t, "GET", "/api/cluster/jobs/"+job, nil).must(t, 200); j1.str("state") != "success" {
			t.Fatalf("job on the restarted node 1: %s", j1.Raw)
		}
	})

	t.Run("Commvault endpoint job: node 1 killed before it configured node 2, node 2 finishes it", func(t *testing.T) {
		cv1 := cvLogin(t, nodes[0].AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
		cv2 := cvLogin(t, nodes[1].AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
		f := cv1.fixture(t)
		node2 := cv2.thisNode(t)
		vault := "cv-jr-" + randHex(6)
		r := cv1.do(t, "POST", "/V4/CVS3Store", f.seedBody(vault, node2)).must(t, 200)
		jobID, clientID := r.num("addEndpointJob.jobId"), r.num("response.entity.clientId")
		if jobID <= 0 || clientID <= 0 {
			t.Fatalf("create vault: %s", r.Raw)
		}
		nodes[0].Kill9() // within the job's first step (2 s)
		d := cv2.do(t, "GET", fmt.Sprintf("/V4/CVS3Store/%d", clientID), nil).must(t, 200)
		if st := d.str("cvs3Endpoints.0.status"); st == "active" {
			t.Fatalf("endpoint active before node 1 was killed: the job was not interrupted: %s", d.Raw)
		}
		j, seen := cv2.waitJob(t, jobID)
		if j.str("jobs.0.jobSummary.status") != "Completed" {
			t.Fatalf("endpoint job on node 2: statuses %v: %s", seen, j.Raw)
		}
		d = cv2.do(t, "GET", fmt.Sprintf("/V4/CVS3Store/%d", clientID), nil).must(t, 200)
		if d.str("cvs3Endpoints.0.status") != "active" {
			t.Fatalf("vault endpoints after the resumed job: %s", d.Raw)
		}
		if err := nodes[0].Restart(); err != nil {
			t.Fatal(err)
		}
		cv1 = cvLogin(t, nodes[0].AdminEndpoint(), cofferAdminUser, cofferAdminPassword)
		if j1 := cv1.do(t, "GET", fmt.Sprintf("/Job/%d", jobID), nil).must(t, 200); j1.str("jobs.0.jobSummary.status") != "Completed" {
			t.Fatalf("endpoint job on the restarted node 1: %s", j1.Raw)
		}
	})
}
