package loadgen

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testAK, testSK = "testaccess", "testsecret123"

func newFake(t *testing.T) (*FakeS3, string) {
	t.Helper()
	fake := NewFakeS3(FakeS3Options{AccessKey: testAK, SecretKey: testSK, Verify: true, KeepData: true})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// Every workload runs for about a second against a fake server that
// verifies each signature and payload hash: the tool works without MinIO.
func TestWorkloadsAgainstFakeS3(t *testing.T) {
	if testing.Short() {
		t.Skip("runs each workload for a second")
	}
	for _, spec := range Specs {
		t.Run(spec.Name, func(t *testing.T) {
			fake, url := newFake(t)
			cfg := Config{
				Endpoint: url, AccessKey: testAK, SecretKey: testSK,
				Bucket: "bench-" + spec.Name, Workload: spec.Name,
				Duration: time.Second, ServerPID: 0,
			}
			// Keep the test's memory small; the logic is the same.
			switch spec.Name {
			case "put16m", "get16m", "mixed":
				cfg.Size = 256 * kib
				cfg.Objects = 16
			case "get4k":
				cfg.Objects = 200
			case "list":
				cfg.Objects = 1200 // more than a page: exercises continuation
			}
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops == 0 || res.Errors != 0 {
				t.Fatalf("ops %d errors %d (first: %s)", res.Ops, res.Errors, res.FirstError)
			}
			if res.P50Ms <= 0 || res.P99Ms < res.P50Ms || res.DurationS < 1 {
				t.Errorf("p50 %v p99 %v duration %v", res.P50Ms, res.P99Ms, res.DurationS)
			}
			if res.Value() <= 0 {
				t.Errorf("%s = %v", res.Metric, res.Value())
			}
			switch spec.Name {
			case "mixed":
				for _, k := range []string{"GET", "HEAD", "PUT", "DELETE"} {
					if res.OpsByType[k] == 0 {
						t.Errorf("mixed ran no %s: %v", k, res.OpsByType)
					}
				}
			case "list":
				if res.KeysPerSec <= 0 {
					t.Errorf("keys/s = %v", res.KeysPerSec)
				}
			case "put4k":
				if n := fake.ObjectCount(cfg.Bucket); int64(n) != res.Ops {
					t.Errorf("server holds %d objects after %d PUTs", n, res.Ops)
				}
			}
			if !strings.Contains(res.Text(), spec.Name) {
				t.Errorf("Text() lacks the workload name:\n%s", res.Text())
			}
		})
	}
}

func TestRunRejectsBadCredentials(t *testing.T) {
	_, url := newFake(t)
	_, err := Run(context.Background(), Config{
		Endpoint: url, AccessKey: testAK, SecretKey: "wrong", Bucket: "b", Workload: "put4k", Duration: time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("err = %v, want SignatureDoesNotMatch", err)
	}
}

func TestCreateBucketTwice(t *testing.T) {
	_, url := newFake(t)
	c, err := NewClient(url, testAK, testSK, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.CreateBucket(context.Background(), "twice"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConfigValidateReportsAll(t *testing.T) {
	err := (&Config{Workload: "nope", Concurrency: -1}).Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"endpoint", "secret key", "bucket", "nope", "negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from %v", want, err)
		}
	}
}

func TestProcMemorySelf(t *testing.T) {
	rss, hwm, err := ProcMemory(1)
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if rss < 0 || hwm < rss {
		t.Errorf("rss %d hwm %d", rss, hwm)
	}
}
