package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Memory and disk (issue 12): a fresh data directory is small, a bulk
// delete's space comes back within seconds, and the server stays within
// its default memory budget.

// diskUsage is what du reports for dir: allocated blocks of its files.
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err == nil {
			n += st.Blocks * 512
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func pebbleMetadata(srv *cofferServer) bool {
	for _, kv := range srv.env {
		if strings.HasPrefix(kv, "COFFER_METADATA=postgres") {
			return false
		}
	}
	return true
}

func serverHWM(t *testing.T, srv *cofferServer) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

func TestMemDisk_FreshDataDirSmall(t *testing.T) {
	srv := startPrivateCoffer(t)
	if !pebbleMetadata(srv) {
		t.Skip("the metadata is in PostgreSQL")
	}
	n := diskUsage(t, srv.dataDir)
	t.Logf("fresh data directory: %.1f MiB", float64(n)/(1<<20))
	// Pebble preallocates its write-ahead log to 110% of a memtable: 64 MiB
	// memtables made a fresh directory 72 MB, 424-474 MB once its logs
	// were recycled.
	if n > 16<<20 {
		t.Fatalf("a fresh data directory takes %d bytes, want at most 16 MiB", n)
	}
}

func TestMemDisk_BulkDeleteReturnsSpace(t *testing.T) {
	srv := startPrivateCoffer(t)
	c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	ctx := ctxT(t)
	b := bucketName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	const n = 400
	body := randBytes(128 << 10) // above the inline limit: one blob each
	blobs := filepath.Join(srv.dataDir, "data", "blobs")
	before := diskUsage(t, blobs)
	for i := range n {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(fmt.Sprintf("k/%04d", i)),
			Body: strings.NewReader(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	full := diskUsage(t, blobs)
	if full-before < n*int64(len(body)) {
		t.Fatalf("blob dir grew by %d bytes for %d objects of %d", full-before, n, len(body))
	}
	for start := 0; start < n; start += 200 {
		var ids []types.ObjectIdentifier
		for i := start; i < start+200; i++ {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("k/%04d", i))})
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil || len(out.Errors) > 0 {
			t.Fatalf("DeleteObjects: %v %v", err, out)
		}
	}
	t0 := time.Now()
	for {
		left := diskUsage(t, blobs) - before
		if left < int64(len(body)) {
			break
		}
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("%d bytes of deleted blobs still on disk 10s after the deletes", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("space of %d deleted objects back %v after the last DeleteObjects", n, time.Since(t0))
	if hwm := serverHWM(t, srv); hwm > 128<<20 {
		t.Fatalf("server VmHWM %d MiB, over the default 128 MiB budget", hwm>>20)
	}
}
