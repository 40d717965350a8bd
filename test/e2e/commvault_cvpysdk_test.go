package e2e

// Commvault's Python SDK (cvpysdk), unmodified, against the harness's
// server: connect, users, user groups, plans, clients, storage pools, jobs.
// It runs when COFFER_CVPYSDK_DIR names a checkout of
// github.com/Commvault/cvpysdk (the directory holding the cvpysdk package)
// and python3 has its dependencies (Debian: python3-requests,
// python3-xmltodict, python3-future); otherwise it is skipped. The
// replay test in internal/commvault (TestSDKReplay) checks the same
// requests and fields in every run.

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCommvault_cvpysdk(t *testing.T) {
	dir := os.Getenv("COFFER_CVPYSDK_DIR")
	if dir == "" {
		t.Skip("COFFER_CVPYSDK_DIR is not set (a checkout of github.com/Commvault/cvpysdk)")
	}
	if _, err := os.Stat(dir + "/cvpysdk/commcell.py"); err != nil {
		t.Fatalf("COFFER_CVPYSDK_DIR=%s holds no cvpysdk/commcell.py: %v", dir, err)
	}
	cv := cvAPI(t)
	f := cv.fixture(t)
	vault := "sdk-vault-" + randHex(4)
	r := cv.do(t, "POST", "/V4/CVS3Store", f.seedBody(vault, f.nodeID)).must(t, 200)
	job := r.num("addEndpointJob.jobId")
	cv.waitJob(t, job)
	u, err := url.Parse(sharedSrv.AdminEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	node := cv.do(t, "GET", "/Client/"+strconv.FormatInt(f.nodeID, 10), nil).must(t, 200).str("clientProperties.0.client.clientEntity.clientName")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "testdata/cvpysdk_smoke.py", dir, u.Host, cofferAdminUser, cofferAdminPassword,
		node, f.ownerName, strconv.FormatInt(job, 10))
	cmd.Env = toolEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skipf("cvpysdk cannot be imported (install python3-requests python3-xmltodict python3-future):\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("cvpysdk: %v\n%s", err, out.String())
	}
	for _, step := range []string{"connect", "commserv", "users", "user_groups", "plans", "clients", "storage_pools", "jobs", "logout"} {
		if !strings.Contains(out.String(), "ok "+step) {
			t.Errorf("cvpysdk step %s did not run:\n%s", step, out.String())
		}
	}
}
