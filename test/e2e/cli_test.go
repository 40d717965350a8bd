package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cliBucket creates a bucket with `aws s3 mb` and registers its cleanup.
func cliBucket(t *testing.T) string {
	t.Helper()
	b := bucketName(t)
	out := awsCLI(t, "s3", "mb", "s3://"+b)
	if !strings.Contains(out, "make_bucket: "+b) {
		t.Fatalf("aws s3 mb: unexpected output %q", out)
	}
	c := s3c(t)
	t.Cleanup(func() { destroyBucket(t.Logf, c, b) })
	return b
}

func TestAWSCLI_mb_cp_ls_rm(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := cliBucket(t)
	if _, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("HeadBucket after aws s3 mb: %v", err)
	}
	dir := t.TempDir()
	data := randBytes(300_000)
	src := filepath.Join(dir, "file one.bin")
	os.WriteFile(src, data, 0o644)

	awsCLI(t, "s3", "cp", "--only-show-errors", src, "s3://"+b+"/docs/file one.bin")
	mustEqualBytes(t, "object uploaded by aws s3 cp", getObject(t, b, "docs/file one.bin"), data)

	ls := awsCLI(t, "s3", "ls", "s3://"+b+"/docs/")
	if !strings.Contains(ls, "300000 file one.bin") {
		t.Fatalf("aws s3 ls: output %q lacks %q", ls, "300000 file one.bin")
	}
	top := awsCLI(t, "s3", "ls", "s3://"+b+"/")
	if !strings.Contains(top, "PRE docs/") {
		t.Fatalf("aws s3 ls top level: output %q lacks PRE docs/", top)
	}
	buckets := awsCLI(t, "s3", "ls")
	if !strings.Contains(buckets, " "+b+"\n") {
		t.Fatalf("aws s3 ls (buckets): %s missing", b)
	}

	dst := filepath.Join(dir, "down.bin")
	awsCLI(t, "s3", "cp", "--only-show-errors", "s3://"+b+"/docs/file one.bin", dst)
	got, _ := os.ReadFile(dst)
	mustEqualBytes(t, "aws s3 cp download", got, data)

	awsCLI(t, "s3", "rm", "--only-show-errors", "s3://"+b+"/docs/file one.bin")
	assertKeys(t, b, "", nil)
	if out, _, err := awsCLIResult(t, "s3", "ls", "s3://"+b+"/docs/"); err == nil && strings.TrimSpace(out) != "" {
		t.Fatalf("aws s3 ls after rm: %q", out)
	}
	awsCLI(t, "s3", "rb", "s3://"+b)
	if _, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String(b)}); errStatus(err) != 404 {
		t.Fatalf("HeadBucket after aws s3 rb: got %v, want 404", err)
	}
}

func TestAWSCLI_sync_smallDir(t *testing.T) {
	t.Parallel()
	b := cliBucket(t)
	src := t.TempDir()
	files := map[string][]byte{
		"a.txt":            []byte("alpha"),
		"b.bin":            randBytes(20_000),
		"sub/c.txt":        []byte("charlie"),
		"sub/deep/d e.txt": []byte("delta echo"),
		"sub/deep/f+g.txt": []byte("foxtrot"),
	}
	writeTree(t, src, files)
	awsCLI(t, "s3", "sync", "--only-show-errors", src, "s3://"+b+"/mirror")
	assertKeys(t, b, "mirror/", prefixed("mirror/", files))
	for rel, data := range files {
		mustEqualBytes(t, "synced "+rel, getObject(t, b, "mirror/"+rel), data)
	}

	// Change one file (different size), add one, remove one; sync --delete.
	files["a.txt"] = []byte("alpha, changed")
	files["new.txt"] = []byte("new file")
	os.Remove(filepath.Join(src, "sub", "c.txt"))
	delete(files, "sub/c.txt")
	writeTree(t, src, files)
	awsCLI(t, "s3", "sync", "--only-show-errors", "--delete", src, "s3://"+b+"/mirror")
	assertKeys(t, b, "mirror/", prefixed("mirror/", files))
	mustEqualBytes(t, "re-synced a.txt", getObject(t, b, "mirror/a.txt"), files["a.txt"])

	// Sync back down into an empty directory and compare the trees.
	dst := t.TempDir()
	awsCLI(t, "s3", "sync", "--only-show-errors", "s3://"+b+"/mirror", dst)
	got := readTree(t, dst)
	if len(got) != len(files) {
		t.Fatalf("sync down: got %d files %v, want %d", len(got), keysOf(got), len(files))
	}
	for rel, data := range files {
		mustEqualBytes(t, "synced down "+rel, got[rel], data)
	}
	// A second sync is a no-op.
	if out := awsCLI(t, "s3", "sync", src, "s3://"+b+"/mirror"); strings.TrimSpace(out) != "" {
		t.Fatalf("second sync should transfer nothing, printed %q", out)
	}
}

func writeTree(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Old mtimes: sync decides by size and "local newer than remote".
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)], _ = os.ReadFile(p)
		}
		return nil
	})
	return out
}

func prefixed(prefix string, files map[string][]byte) []string {
	var out []string
	for rel := range files {
		out = append(out, prefix+rel)
	}
	sort.Strings(out)
	return out
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestAWSCLI_s3api_putHeadListVersions(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	f := filepath.Join(t.TempDir(), "body.txt")
	os.WriteFile(f, []byte("s3api body"), 0o644)

	awsCLI(t, "s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	var put struct{ ETag, VersionId string }
	for i := 0; i < 2; i++ {
		out := awsCLI(t, "s3api", "put-object", "--bucket", b, "--key", "api/obj.txt", "--body", f,
			"--content-type", "text/plain", "--metadata", "owner=e2e,run=cli")
		if err := json.Unmarshal([]byte(out), &put); err != nil {
			t.Fatalf("put-object output %q: %v", out, err)
		}
		if put.ETag != quotedMD5([]byte("s3api body")) || put.VersionId == "" {
			t.Fatalf("put-object: got ETag %s VersionId %q, want %s and a version id", put.ETag, put.VersionId, quotedMD5([]byte("s3api body")))
		}
	}

	var head struct {
		ContentLength int64
		ContentType   string
		ETag          string
		VersionId     string
		Metadata      map[string]string
	}
	out := awsCLI(t, "s3api", "head-object", "--bucket", b, "--key", "api/obj.txt")
	if err := json.Unmarshal([]byte(out), &head); err != nil {
		t.Fatalf("head-object output %q: %v", out, err)
	}
	if head.ContentLength != 10 || head.ContentType != "text/plain" || head.ETag != put.ETag || head.VersionId != put.VersionId ||
		head.Metadata["owner"] != "e2e" || head.Metadata["run"] != "cli" {
		t.Fatalf("head-object: got %+v", head)
	}

	var vers struct {
		Versions []struct {
			Key, VersionId string
			IsLatest       bool
		}
	}
	out = awsCLI(t, "s3api", "list-object-versions", "--bucket", b, "--prefix", "api/")
	if err := json.Unmarshal([]byte(out), &vers); err != nil {
		t.Fatalf("list-object-versions output %q: %v", out, err)
	}
	if len(vers.Versions) != 2 || !vers.Versions[0].IsLatest || vers.Versions[1].IsLatest || vers.Versions[0].VersionId != put.VersionId {
		t.Fatalf("list-object-versions: got %+v, want 2 versions, newest (%s) first and latest", vers.Versions, put.VersionId)
	}

	// Errors surface as a non-zero exit with the S3 error code.
	_, stderr, err := awsCLIResult(t, "s3api", "head-object", "--bucket", b, "--key", "missing")
	if err == nil || !strings.Contains(stderr, "404") {
		t.Fatalf("head-object missing: err=%v stderr=%q, want a 404 failure", err, stderr)
	}
	_, stderr, err = awsCLIResult(t, "s3api", "get-object", "--bucket", b, "--key", "missing", filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(stderr, "NoSuchKey") {
		t.Fatalf("get-object missing: err=%v stderr=%q, want NoSuchKey", err, stderr)
	}
}
