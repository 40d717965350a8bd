package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
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
				cfg.Objects = 4400 // 1,100 per client prefix: more than a page, so continuation is followed
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
				if res.KeysPerSec <= 0 || res.Keys != res.Ops*1100 {
					t.Errorf("keys/s = %v, %d keys in %d listings (want 1,100 each)", res.KeysPerSec, res.Keys, res.Ops)
				}
			case "put4k":
				if n := fake.ObjectCount(cfg.Bucket); int64(n) != res.Ops {
					t.Errorf("server holds %d objects after %d PUTs", n, res.Ops)
				}
			}
			// Keep-alive: the pre-fill (or the first operations) open the
			// connections, the timed phase reuses them. The transport may
			// dial a spare when many workers wait at once, never one per
			// operation.
			if c := res.ClientConns; c > 2*int64(res.Concurrency) || c*2 > res.Ops {
				t.Errorf("%d connections opened during the timed phase by %d clients in %d operations", res.ClientConns, res.Concurrency, res.Ops)
			}
			if res.Payload != PayloadChunked {
				t.Errorf("default payload %q", res.Payload)
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

// Every payload mode through whole workloads against the verifying fake
// (Coffer's internal/sigv4 decodes each PUT and checks its trailer).
func TestPayloadModesAgainstFakeS3(t *testing.T) {
	for _, m := range []struct{ payload, checksum string }{
		{PayloadSigned, ""}, {PayloadChunked, ""}, {PayloadTrailer, ChecksumCRC32}, {PayloadTrailer, ChecksumCRC64NVME}, {PayloadUnsigned, ""},
	} {
		for _, w := range []string{"put4k", "mixed"} {
			t.Run(m.payload+m.checksum+"/"+w, func(t *testing.T) {
				fake, url := newFake(t)
				cfg := Config{
					Endpoint: url, AccessKey: testAK, SecretKey: testSK, Bucket: "b", Workload: w,
					Duration: 300 * time.Millisecond, Payload: m.payload, Checksum: m.checksum, ContentMD5: true,
				}
				if w == "mixed" {
					cfg.Size, cfg.Objects = 200*kib, 16 // several 64 KiB chunks per PUT
				}
				res, err := Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if res.Ops == 0 || res.Errors != 0 || res.OpsByType["PUT"] == 0 {
					t.Fatalf("ops %v errors %d (first: %s)", res.OpsByType, res.Errors, res.FirstError)
				}
				wantName := w
				if m.payload != PayloadChunked {
					wantName += "/" + m.payload
				}
				if res.Workload != wantName || res.Payload != m.payload {
					t.Errorf("workload %q payload %q", res.Workload, res.Payload)
				}
				if w == "put4k" && int64(fake.ObjectCount("b")) != res.Ops {
					t.Errorf("server holds %d objects after %d PUTs", fake.ObjectCount("b"), res.Ops)
				}
			})
		}
	}
}

// A fake that breaks the checks the list workload relies on: the fake
// itself must pass them, and the broken versions must not.
func TestListAllCountsDuplicatesAndDisorder(t *testing.T) {
	pages := map[string]string{
		"":   "<IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken><Contents><Key>p/a</Key></Contents><Contents><Key>p/b</Key></Contents>",
		"t1": "<IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken><Contents><Key>p/b</Key></Contents><Contents><Key>p/c</Key></Contents>",
		"t2": "<IsTruncated>false</IsTruncated><Contents><Key>p/a2</Key></Contents>",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<ListBucketResult>" + pages[r.URL.Query().Get("continuation-token")] + "</ListBucketResult>"))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, testAK, testSK, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l, err := c.ListAll(context.Background(), "b", "p/", 2, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if l.Pages != 3 || l.Keys != 4 || l.Duplicates != 1 || l.Unordered != 1 {
		t.Errorf("listing %+v, want 3 pages, 4 distinct keys, 1 duplicate (p/b across pages), 1 out of order (p/a2)", l)
	}

	// The verifying fake, over several pages: every key once, in order.
	_, url := newFake(t)
	c, _ = NewClient(url, testAK, testSK, "", 4)
	if err := c.CreateBucket(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	c.Payload = PayloadChunked
	body := NewBody([]byte("x"), 0)
	for i := range 25 {
		if err := c.Put(context.Background(), "b", "q/"+strconv.Itoa(i), body, make([]byte, 512)); err != nil {
			t.Fatal(err)
		}
	}
	l, err = c.ListAll(context.Background(), "b", "q/", 10, &buf)
	if err != nil || l.Keys != 25 || l.Pages != 3 || l.Duplicates+l.Unordered != 0 {
		t.Errorf("fake listing %+v, %v", l, err)
	}
}

// ProcCPU reads this process's CPU: after burning some, it must have grown
// by about what getrusage says (the tick is 10 ms).
func TestProcCPUSelf(t *testing.T) {
	before, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	ru0 := ProcessCPU()
	x := uint64(1)
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		for range 10000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	after, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ru := ProcessCPU() - ru0
	got := after - before
	if x == 0 || got < ru/2 || got > ru+50*time.Millisecond {
		t.Errorf("/proc/self/stat CPU grew %v, getrusage %v", got, ru)
	}
	if _, err := ProcCPU(0); err == nil {
		t.Error("ProcCPU(0) succeeded")
	}
}
