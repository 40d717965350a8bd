package blob_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"sync/atomic"
	"testing"

	"coffer/internal/blob"
)

// fsCase is a filesystem to run a test on.
type fsCase struct {
	name string
	new  func(t testing.TB) (blob.FS, string) // the FS and a root dir in it
}

var fsCases = []fsCase{
	{"OSFS", func(t testing.TB) (blob.FS, string) { return blob.OSFS{}, t.TempDir() }},
	{"CrashFS", func(t testing.TB) (blob.FS, string) { return blob.NewCrashFS(), "/srv/coffer" }},
}

// forEachFS runs f on every filesystem as a subtest.
func forEachFS(t *testing.T, f func(t *testing.T, fsys blob.FS, dir string)) {
	t.Helper()
	for _, fc := range fsCases {
		t.Run(fc.name, func(t *testing.T) {
			fsys, dir := fc.new(t)
			f(t, fsys, dir)
		})
	}
}

func openStore(t testing.TB, fsys blob.FS, dir string) *blob.Store {
	t.Helper()
	s, err := blob.Open(blob.Options{Dir: dir, FS: fsys})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

// payload returns n deterministic pseudo-random bytes for seed.
func payload(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

// selfDescribing returns a payload of n >= 16 bytes whose first 16 bytes
// give its seed and length, so a reader can check it without knowing what
// was meant to be there.
func selfDescribing(seed uint64, n int) []byte {
	b := payload(seed, n)
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(n))
	return b
}

// checkSelfDescribing reports whether b is exactly a selfDescribing payload.
func checkSelfDescribing(b []byte) bool {
	if len(b) < 16 {
		return false
	}
	seed := binary.LittleEndian.Uint64(b[0:])
	n := binary.LittleEndian.Uint64(b[8:])
	return n == uint64(len(b)) && bytes.Equal(b, selfDescribing(seed, len(b)))
}

// commit writes data as a new blob and commits it.
func commit(t testing.TB, s *blob.Store, data []byte) blob.ID {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return id
}

// readBlob returns the content of a committed blob.
func readBlob(t testing.TB, s *blob.Store, id blob.ID) []byte {
	t.Helper()
	h, err := s.Open(id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer h.Close()
	b, err := io.ReadAll(io.NewSectionReader(h, 0, h.Size()))
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	if int64(len(b)) != h.Size() {
		t.Fatalf("read %s: %d bytes, Size %d", id, len(b), h.Size())
	}
	return b
}

// walkAll returns every blob Walk reports, checking the order.
func walkAll(t testing.TB, s *blob.Store) map[blob.ID]blob.BlobInfo {
	t.Helper()
	out := map[blob.ID]blob.BlobInfo{}
	var ids []string
	if err := s.Walk(func(bi blob.BlobInfo) error {
		if _, dup := out[bi.ID]; dup {
			t.Errorf("Walk reported %s twice", bi.ID)
		}
		out[bi.ID] = bi
		ids = append(ids, string(bi.ID))
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("Walk not in ID order: %v", ids)
	}
	return out
}

func listDir(t testing.TB, fsys blob.FS, dir string) []string {
	t.Helper()
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir(%s): %v", dir, err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// onlyReader hides any WriterTo so io.Copy takes the ReaderFrom path.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// countingFS counts every call that reaches the filesystem.
type countingFS struct {
	blob.FS
	calls atomic.Int64
}

func (c *countingFS) OpenFile(name string, flag int, perm os.FileMode) (blob.File, error) {
	c.calls.Add(1)
	return c.FS.OpenFile(name, flag, perm)
}
func (c *countingFS) Create(name string) (blob.File, error) {
	c.calls.Add(1)
	return c.FS.Create(name)
}
func (c *countingFS) Open(name string) (blob.File, error) { c.calls.Add(1); return c.FS.Open(name) }
func (c *countingFS) Rename(o, n string) error            { c.calls.Add(1); return c.FS.Rename(o, n) }
func (c *countingFS) Remove(name string) error            { c.calls.Add(1); return c.FS.Remove(name) }
func (c *countingFS) MkdirAll(p string, m os.FileMode) error {
	c.calls.Add(1)
	return c.FS.MkdirAll(p, m)
}
func (c *countingFS) ReadDir(name string) ([]os.DirEntry, error) {
	c.calls.Add(1)
	return c.FS.ReadDir(name)
}
func (c *countingFS) Stat(name string) (os.FileInfo, error) { c.calls.Add(1); return c.FS.Stat(name) }
func (c *countingFS) SyncDir(dir string) error              { c.calls.Add(1); return c.FS.SyncDir(dir) }

// faultFS fails the calls its hooks choose to fail.
type faultFS struct {
	blob.FS
	rename   func(oldpath, newpath string) error
	syncDir  func(dir string) error
	syncFile func(name string) error // File.Sync of a file opened through OpenFile
}

func (f *faultFS) OpenFile(name string, flag int, perm os.FileMode) (blob.File, error) {
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

type faultFile struct {
	blob.File
	fs   *faultFS
	name string
}

func (f *faultFile) Sync() error {
	if h := f.fs.syncFile; h != nil {
		if err := h(f.name); err != nil {
			return err
		}
	}
	return f.File.Sync()
}

func (f *faultFS) Rename(o, n string) error {
	if f.rename != nil {
		if err := f.rename(o, n); err != nil {
			return err
		}
	}
	return f.FS.Rename(o, n)
}

func (f *faultFS) SyncDir(dir string) error {
	if f.syncDir != nil {
		if err := f.syncDir(dir); err != nil {
			return err
		}
	}
	return f.FS.SyncDir(dir)
}

var errInjected = errors.New("injected fault")
