package fsck

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
)

const tenant = "t1"

var ctx = context.Background()

// fixture writes, through the object layer, a small object (inline), a
// large one with a CRC32C checksum (one blob), a multipart object with
// SHA256 parts (COMPOSITE), a noncurrent version, a delete marker and a
// pending upload's part; it returns the data directory and the blob ids of
// the single-blob object, of the multipart object and of the pending part.
type fixture struct {
	dir                    string
	single, multi0, multi1 string
	pending                string
}

func body(t *testing.T, data []byte, a checksum.Algorithm) *checksum.Reader {
	t.Helper()
	r, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{Algorithm: a, Value: checksum.Sum(a, data)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randData(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(b)
	return b
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := objects.New(objects.Options{KV: st, Blobs: bl, MinPartSize: 5, InlineMax: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close(); st.Close() }()
	if _, err := s.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: "bkt1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVersioning(ctx, tenant, "bkt1", objects.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	put := func(key string, data []byte, a checksum.Algorithm) {
		t.Helper()
		if _, err := s.PutObject(ctx, objects.PutInput{Tenant: tenant, Bucket: "bkt1", Key: key, Body: body(t, data, a), Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
	}
	put("small", []byte("hello"), checksum.None)
	put("big", randData(100_000), checksum.CRC32C)
	put("old", randData(5000), checksum.None)
	put("old", randData(6000), checksum.SHA1) // "old"'s first version becomes noncurrent
	if _, err := s.DeleteObject(ctx, objects.DeleteInput{Tenant: tenant, Bucket: "bkt1", Key: "gone"}); err != nil {
		t.Fatal(err)
	}
	up, err := s.CreateMultipartUpload(ctx, objects.CreateUploadInput{Tenant: tenant, Bucket: "bkt1", Key: "multi",
		ChecksumAlgorithm: checksum.SHA256, ChecksumType: checksum.TypeComposite})
	if err != nil {
		t.Fatal(err)
	}
	var parts []objects.CompletedPart
	for i, n := range []int{70_000, 3000} {
		data := randData(n + i)
		p, err := s.UploadPart(ctx, objects.UploadPartInput{Tenant: tenant, Bucket: "bkt1", Key: "multi", UploadID: up.UploadID,
			PartNumber: i + 1, Body: body(t, data, checksum.SHA256), Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, objects.CompletedPart{Number: p.Number, ETag: p.ETag, Checksum: p.Checksum.Base64})
	}
	if _, err := s.CompleteMultipartUpload(ctx, objects.CompleteInput{Tenant: tenant, Bucket: "bkt1", Key: "multi", UploadID: up.UploadID, Parts: parts}); err != nil {
		t.Fatal(err)
	}
	up2, err := s.CreateMultipartUpload(ctx, objects.CreateUploadInput{Tenant: tenant, Bucket: "bkt1", Key: "pending"})
	if err != nil {
		t.Fatal(err)
	}
	data := randData(2000)
	if _, err := s.UploadPart(ctx, objects.UploadPartInput{Tenant: tenant, Bucket: "bkt1", Key: "pending", UploadID: up2.UploadID,
		PartNumber: 1, Body: body(t, data, checksum.CRC32), Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	f := fixture{dir: dir}
	err = objects.WalkStored(ctx, st, objects.StoredWalk{
		Version: func(v objects.StoredVersion) error {
			switch {
			case v.Key == "big":
				f.single = v.Blobs[0].ID
			case v.Key == "multi":
				f.multi0, f.multi1 = v.Blobs[0].ID, v.Blobs[1].ID
			}
			return nil
		},
		Part: func(p objects.StoredPart) error { f.pending = p.Blob.ID; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.single == "" || f.multi1 == "" || f.pending == "" {
		t.Fatalf("fixture: blobs not found: %+v", f)
	}
	return f
}

func (f fixture) blobPath(id string) string {
	return filepath.Join(f.dir, "data", "blobs", id[:2], id)
}

func run(t *testing.T, dir string) *Report {
	t.Helper()
	rep, err := Run(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("fsck: %v", err)
	}
	return rep
}

func kinds(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Damage {
			out = append(out, f.Kind+":"+f.Key+":"+f.Blob)
		}
	}
	sort.Strings(out)
	return out
}

func TestCleanDataDir(t *testing.T) {
	f := newFixture(t)
	rep := run(t, f.dir)
	if !rep.Clean() || len(rep.Findings) != 0 {
		t.Fatalf("clean dir: findings %+v", rep.Findings)
	}
	// small, big, old ×2, gone (marker), multi; one pending part.
	if rep.Versions != 6 || rep.Parts != 1 || rep.Blobs != 6 {
		t.Fatalf("counted %d versions, %d parts, %d blobs; want 6, 1, 6", rep.Versions, rep.Parts, rep.Blobs)
	}
	if rep.Bytes < 100_000+73_001+11_000+2000 {
		t.Fatalf("only %d bytes read", rep.Bytes)
	}
	if !strings.Contains(rep.Summary(), "clean") {
		t.Fatalf("summary %q", rep.Summary())
	}
}

func TestDamage(t *testing.T) {
	f := newFixture(t)
	// Flip one byte of the single-blob object: its ETag and CRC32C differ.
	flip(t, f.blobPath(f.single), 5000)
	// Truncate the multipart object's second part.
	if err := os.Truncate(f.blobPath(f.multi1), 100); err != nil {
		t.Fatal(err)
	}
	// Delete the pending part's blob.
	if err := os.Remove(f.blobPath(f.pending)); err != nil {
		t.Fatal(err)
	}
	// An orphan with a blob's name, and a stray file.
	orphan := "0123456789abcdef0123456789abcdef"
	os.WriteFile(f.blobPath(orphan), []byte("lost"), 0o600)
	os.WriteFile(filepath.Join(f.dir, "data", "blobs", "ab", "notes.txt"), []byte("x"), 0o600)

	rep := run(t, f.dir)
	got := kinds(rep)
	want := []string{
		"checksum:big:" + f.single,
		"etag:big:" + f.single,
		"missing:pending:" + f.pending,
		"orphan::" + orphan,
		"size:multi:" + f.multi1,
		"stray::",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Clean() || rep.Damaged != 6 || rep.Orphans != 2 {
		t.Fatalf("damaged %d orphans %d", rep.Damaged, rep.Orphans)
	}
}

func TestMultipartPartFlip(t *testing.T) {
	f := newFixture(t)
	flip(t, f.blobPath(f.multi0), 10)
	got := kinds(run(t, f.dir))
	// The part's MD5 and SHA256 differ; the object's ETag and composite
	// checksum, derived from the parts' data, too.
	want := []string{"checksum:multi:", "checksum:multi:" + f.multi0, "etag:multi:", "etag:multi:" + f.multi0}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("findings %v, want %v", got, want)
	}
}

func TestSkipContent(t *testing.T) {
	f := newFixture(t)
	flip(t, f.blobPath(f.single), 1)
	rep, err := Run(ctx, Options{DataDir: f.dir, SkipContent: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() || rep.Bytes != 0 {
		t.Fatalf("presence-only check read %d bytes, findings %+v", rep.Bytes, rep.Findings)
	}
}

func TestRefusesALockedDataDir(t *testing.T) {
	f := newFixture(t)
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(f.dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Run(ctx, Options{DataDir: f.dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("fsck of a held data dir: %v, want ErrLocked", err)
	}
}

func TestNotADataDir(t *testing.T) {
	if _, err := Run(ctx, Options{DataDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not a Coffer data directory") {
		t.Fatalf("empty dir: %v", err)
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
