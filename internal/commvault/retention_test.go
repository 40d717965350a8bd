package commvault

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/objects"
)

// versions lists a bucket's versions as "key:latest|old|marker" strings.
func (e *testEnv) versions(t *testing.T, bucket string) []string {
	t.Helper()
	tn, err := e.core.GetTenantByName(bg, "default")
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.obj.ListObjectVersions(bg, objects.ListVersionsInput{Tenant: tn.UUID, Bucket: bucket, MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, v := range out.Versions {
		kind := "old"
		switch {
		case v.DeleteMarker:
			kind = "marker"
		case v.IsLatest:
			kind = "latest"
		}
		list = append(list, v.Key+":"+kind)
	}
	sort.Strings(list)
	return list
}

// A plan's retention: versions overwritten or deleted are kept for the
// plan's days, then a data-aging job (a real job, listed under /Job)
// removes them. Here a day lasts 1 s (Options.Day; cmd/coffer reads
// COFFER_TEST_DAY_SECONDS).
func TestRetention_agingRemovesOldVersions(t *testing.T) {
	e := newTestEnvWith(t, envOpts{tweak: func(o *Options) {
		o.Day, o.AgingInterval = time.Second, 100*time.Millisecond
	}})
	n := e.api()
	f := e.fixture(t)
	short := n.mkPlan(t, f.token, "one-day", 1)
	long := n.mkPlan(t, f.token, "long", 10000)
	for name, plan := range map[string]int64{"aged": short, "kept": long} {
		body := f.seedBody(name)
		body["plan"] = map[string]any{"planId": plan}
		n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, body).must(t, 200)
	}
	ak, sk := n.keys(t, f.token, f.owner)
	c := n.s3client(ak, sk)
	want := []string{"k1:latest", "k1:old", "k2:marker", "k2:old", "k3:latest"}
	for _, b := range []string{"aged", "kept"} {
		start := time.Now()
		for _, step := range []struct{ key, body string }{{"k1", "v1"}, {"k1", "v2"}, {"k2", "v1"}, {"k3", "v1"}} {
			if err := put(c, b, step.key, step.body); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k2")}); err != nil {
			t.Fatal(err)
		}
		// Checked right away, within the day: aging may not have run yet
		// (on a machine too loaded to write five objects in a day, the
		// check proves nothing and is skipped).
		if got := e.versions(t, b); time.Since(start) < time.Second && strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: versions before aging: %v", b, got)
		}
	}
	// After the retention (1 day = 1 s) and an aging run, only the
	// current versions remain; k2, deleted, is gone entirely.
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := e.versions(t, "aged")
		if strings.Join(got, " ") == "k1:latest k3:latest" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versions after the retention: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, err := getBody(c, "aged", "k1"); err != nil || got != "v2" {
		t.Fatalf("current version after aging: %q %v", got, err)
	}
	// The vault with a long retention keeps everything.
	if got := e.versions(t, "kept"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("a long retention lost versions: %v", got)
	}
	// Aging is a job, visible with Commvault's job filters. The job that
	// removed the versions ends (and lists as Finished) just after its
	// removals are visible, so it is waited for.
	for {
		l := n.call(t, "GET", "/commandcenter/api/Job?jobFilter=Data%20Aging&jobCategory=Finished", f.token, nil).must(t, 200)
		found := false
		for i := range l.list("jobs") {
			p := fmt.Sprintf("jobs.%d.jobSummary.", i)
			if l.str(p+"status") == "Completed" && strings.Contains(l.str(p+"result"), "removed") &&
				!strings.Contains(l.str(p+"result"), " 0 removed") {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no completed Data Aging job removed anything: %s", l.Raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
