package blob_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/errs"
)

// recover reopens a store on a crashed filesystem the way the server
// starts: Open, then SweepTemp.
func recoverStore(t *testing.T, fsys blob.FS, dir string) *blob.Store {
	t.Helper()
	s := openStore(t, fsys, dir)
	if err := s.SweepTemp(); err != nil {
		t.Fatalf("SweepTemp: %v", err)
	}
	return s
}

func TestPowerCut(t *testing.T) {
	const dir = "/srv/coffer"
	cfs := blob.NewCrashFS()
	s := openStore(t, cfs, dir)

	// Committed: must survive byte for byte.
	committed := map[blob.ID][]byte{}
	for i, size := range []int{0, 1, 4096, 64<<10 + 1, 1<<20 + 3, 3 << 20} {
		data := payload(uint64(100+i), size)
		committed[commit(t, s, data)] = data
	}
	// Committed then removed: must stay removed.
	removed := commit(t, s, []byte("removed"))
	if err := s.Remove(removed); err != nil {
		t.Fatal(err)
	}

	// Written but not committed, some spilled to the temp file already.
	for _, size := range []int{0, 10, 2<<20 + 1} {
		w, err := s.Create()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(payload(7, size)); err != nil {
			t.Fatal(err)
		}
	}
	// Written, fsynced (file and tmp/ directory) but never renamed: the one
	// kind of leftover that is really on disk after the crash.
	synced := filepath.Join(dir, "tmp", "0123456789abcdef0123456789abcdef.tmp")
	f, err := cfs.Create(synced)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(payload(8, 5000))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := cfs.SyncDir(filepath.Join(dir, "tmp")); err != nil {
		t.Fatal(err)
	}
	// Renamed into place but the directory fsync failed: Commit reported an
	// error, so the blob must not come back.
	failing := &faultFS{FS: cfs, syncDir: func(string) error { return errInjected }}
	sf := openStore(t, failing, dir)
	w, _ := sf.Create()
	w.Write(payload(9, 70_000))
	if _, err := w.Commit(); err == nil {
		t.Fatal("Commit with failing SyncDir succeeded")
	}
	// Renamed into place, data synced, directory never synced (what a crash
	// leaves when the file's sync returned first and the directory's had not
	// yet): done by hand, as Commit never stops there.
	ghost := blob.ID("fedcba9876543210fedcba9876543210")
	gf, _ := cfs.Create(filepath.Join(dir, "tmp", string(ghost)+".tmp"))
	gf.Write([]byte("ghost"))
	gf.Sync()
	gf.Close()
	if err := cfs.Rename(filepath.Join(dir, "tmp", string(ghost)+".tmp"),
		filepath.Join(dir, "blobs", string(ghost[:2]), string(ghost))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ghost); err != nil {
		t.Fatalf("ghost not visible before the crash: %v", err)
	}

	// Power cut.
	after := cfs.Crash()
	// The synced temp file is there, whole (syncing tmp/ also made the open
	// writers' names durable, with whatever of their data was synced: none).
	mustContain(t, after, synced, string(payload(8, 5000)))
	if got := listDir(t, after, filepath.Join(dir, "tmp")); len(got) != 4 {
		t.Fatalf("tmp/ right after the crash = %v, want 4 leftovers", got)
	}
	s2 := recoverStore(t, after, dir)

	got := walkAll(t, s2)
	if len(got) != len(committed) {
		t.Errorf("Walk after crash found %d blobs, want %d", len(got), len(committed))
	}
	for id, data := range committed {
		if got[id].Size != int64(len(data)) {
			t.Errorf("Walk: %s %+v, want size %d", id, got[id], len(data))
		}
		if b := readBlob(t, s2, id); !bytes.Equal(b, data) {
			t.Errorf("blob %s corrupted by the crash (%d bytes, want %d)", id, len(b), len(data))
		}
	}
	for _, id := range []blob.ID{removed, ghost} {
		if _, err := s2.Open(id); !errors.Is(err, errs.NotFound) {
			t.Errorf("Open(%s) after crash: %v, want NotFound", id, err)
		}
	}
	if left := listDir(t, after, filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp/ after recovery: %v", left)
	}

	// The sweep itself is durable, and the recovered store works.
	again := after.Crash()
	if left := listDir(t, again, filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp/ after a second crash: %v", left)
	}
	s3 := recoverStore(t, again, dir)
	if len(walkAll(t, s3)) != len(committed) {
		t.Error("second crash changed the committed set")
	}
	id := commit(t, s3, []byte("life goes on"))
	if string(readBlob(t, s3, id)) != "life goes on" {
		t.Error("recovered store unusable")
	}
}

// hookFS calls after() once every call into the filesystem (or a file of
// it) has returned.
type hookFS struct {
	blob.FS
	after func()
}

func (h *hookFS) wrap(f blob.File, err error) (blob.File, error) {
	h.after()
	if err != nil {
		return nil, err
	}
	return &hookFile{File: f, after: h.after}, nil
}

func (h *hookFS) OpenFile(name string, flag int, perm os.FileMode) (blob.File, error) {
	return h.wrap(h.FS.OpenFile(name, flag, perm))
}
func (h *hookFS) Create(name string) (blob.File, error) { return h.wrap(h.FS.Create(name)) }
func (h *hookFS) Open(name string) (blob.File, error)   { return h.wrap(h.FS.Open(name)) }
func (h *hookFS) Rename(o, n string) error {
	defer h.after()
	return h.FS.Rename(o, n)
}
func (h *hookFS) Remove(name string) error { defer h.after(); return h.FS.Remove(name) }
func (h *hookFS) MkdirAll(p string, m os.FileMode) error {
	defer h.after()
	return h.FS.MkdirAll(p, m)
}
func (h *hookFS) SyncDir(dir string) error { defer h.after(); return h.FS.SyncDir(dir) }

type hookFile struct {
	blob.File
	after func()
}

func (f *hookFile) Write(p []byte) (int, error) { defer f.after(); return f.File.Write(p) }
func (f *hookFile) Sync() error                 { defer f.after(); return f.File.Sync() }
func (f *hookFile) Close() error                { defer f.after(); return f.File.Close() }

// TestPowerCutAtEveryStep cuts the power after every single filesystem
// operation of a workload (Open, commits, removes, an abort, a sweep), in
// both crash models (Crash: unsynced changes lost; CrashKeepingEntries:
// unsynced directory changes kept, unsynced data lost) for the commit order
// the store uses, and checks each wreck: every acknowledged blob is intact, every
// acknowledged removal holds, tmp/ is empty after recovery, and whatever
// else is visible is either a complete blob or (orders that rename before
// the data is synced) a torn file that was never acknowledged, which no
// metadata can reference and the orphan sweep removes.
//
// The sync-first order is kept only as BenchmarkCommitOrder's baseline, so
// it is cut in one model only, the one where the orders differ: with
// unsynced names kept and unsynced data lost, rename-first may leave a torn
// file under a blob name and sync-first must never. Under Crash the two
// orders lose the same things (neither name nor data of a commit whose
// directory sync had not returned), which the rename-first run covers.
// Both models for both orders doubled the cost of the blob package's tests.
func TestPowerCutAtEveryStep(t *testing.T) {
	for _, o := range []struct {
		name      string
		order     int
		tornAllow bool // a crash mid-Commit may leave a torn file under a blob name
		models    []crashModel
	}{
		{"renamefirst", blob.OrderRenameFirst, true, []crashModel{modelLost, modelKept}},
		{"syncfirst", blob.OrderSyncFirst, false, []crashModel{modelKept}},
	} {
		t.Run(o.name, func(t *testing.T) { powerCutAtEveryStep(t, o.order, o.tornAllow, o.models) })
	}
}

// crashModel is one way of cutting the power on a CrashFS.
type crashModel struct {
	name  string
	crash func(*blob.CrashFS) *blob.CrashFS
}

var (
	modelLost = crashModel{"lost", (*blob.CrashFS).Crash}
	modelKept = crashModel{"kept", (*blob.CrashFS).CrashKeepingEntries}
)

func powerCutAtEveryStep(t *testing.T, order int, tornAllowed bool, models []crashModel) {
	const dir = "/srv/coffer"
	type snapshot struct {
		fs      *blob.CrashFS
		step    string
		acked   map[blob.ID][]byte // Commit returned
		removed map[blob.ID]bool   // Remove returned
	}
	cfs := blob.NewCrashFS()
	acked := map[blob.ID][]byte{}
	removed := map[blob.ID]bool{}
	step := "open"
	var (
		mu    sync.Mutex // Commit syncs the directory on a goroutine of its own
		snaps []snapshot
	)
	hfs := &hookFS{FS: cfs, after: func() {
		mu.Lock()
		defer mu.Unlock()
		a := make(map[blob.ID][]byte, len(acked))
		for k, v := range acked {
			a[k] = v
		}
		r := make(map[blob.ID]bool, len(removed))
		for k := range removed {
			r[k] = true
		}
		n := len(snaps) / len(models)
		for _, m := range models {
			snaps = append(snaps, snapshot{m.crash(cfs), fmt.Sprintf("%s #%d %s", step, n, m.name), a, r})
		}
	}}
	setStep := func(s string) { mu.Lock(); step = s; mu.Unlock() }

	s := openStore(t, hfs, dir)
	blob.SetCommitOrder(s, order)
	var ids []blob.ID
	for i, size := range []int{16, 100, 70_000, 200_000, 4096} {
		setStep(fmt.Sprint("commit ", i))
		data := selfDescribing(uint64(i), size)
		w, err := s.Create()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, onlyReader{bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		id, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		acked[id] = data
		mu.Unlock()
		ids = append(ids, id)
		if i == 2 {
			setStep("remove 0")
			mu.Lock()
			delete(acked, ids[0]) // in flight: may or may not be there
			mu.Unlock()
			if err := s.Remove(ids[0]); err != nil {
				t.Fatal(err)
			}
			removed[ids[0]] = true
		}
	}
	setStep("abort")
	w, _ := s.Create()
	w.Write(selfDescribing(99, 80_000))
	w.Abort()
	setStep("sweep")
	if err := s.SweepTemp(); err != nil {
		t.Fatal(err)
	}
	setStep("remove 3")
	mu.Lock()
	delete(acked, ids[3])
	mu.Unlock()
	if err := s.Remove(ids[3]); err != nil {
		t.Fatal(err)
	}
	removed[ids[3]] = true
	hfs.after() // the final state too

	if len(snaps) < 100 {
		t.Fatalf("only %d crash points", len(snaps))
	}
	torn := 0
	for _, sn := range snaps {
		t.Run(sn.step, func(t *testing.T) {
			s := recoverStore(t, sn.fs, dir)
			got := walkAll(t, s)
			for id, data := range sn.acked {
				if _, ok := got[id]; !ok {
					t.Fatalf("acknowledged blob %s lost", id)
				}
				if !bytes.Equal(readBlob(t, s, id), data) {
					t.Fatalf("acknowledged blob %s corrupted", id)
				}
			}
			for id := range got {
				if sn.removed[id] {
					t.Errorf("removed blob %s came back", id)
				}
				if checkSelfDescribing(readBlob(t, s, id)) {
					continue
				}
				if _, ok := sn.acked[id]; ok || !tornAllowed {
					t.Errorf("visible blob %s is torn", id)
				}
				torn++
				// The orphan sweep's part: an unreferenced blob goes.
				if err := s.Remove(id); err != nil {
					t.Fatal(err)
				}
			}
			if left := listDir(t, sn.fs, filepath.Join(dir, "tmp")); len(left) != 0 {
				t.Errorf("tmp/ after recovery: %v", left)
			}
			// What recovery left is durable and clean.
			again := recoverStore(t, sn.fs.Crash(), dir)
			for id := range walkAll(t, again) {
				if !checkSelfDescribing(readBlob(t, again, id)) {
					t.Errorf("torn blob %s back after a second crash", id)
				}
			}
		})
	}
	// The orders that rename before syncing the data must meet the torn
	// case (names kept, data lost), or this test does not exercise them.
	if tornAllowed && torn == 0 {
		t.Error("no crash point left a torn orphan: the reordering is not exercised")
	}
	t.Logf("checked %d crash points, %d torn orphans", len(snaps), torn)
}

// --- CrashFS itself ---

func readFile(t *testing.T, fsys blob.FS, name string) (string, error) {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

func mustContain(t *testing.T, fsys blob.FS, name, want string) {
	t.Helper()
	got, err := readFile(t, fsys, name)
	if err != nil || got != want {
		t.Fatalf("%s = %d bytes %.40q, %v; want %d bytes %.40q", name, len(got), got, err, len(want), want)
	}
}

func mustNotExist(t *testing.T, fsys blob.FS, name string) {
	t.Helper()
	if _, err := fsys.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Stat(%s) = %v, want not-exist", name, err)
	}
}

// newDurableDir returns a CrashFS holding /d, durably.
func newDurableDir(t *testing.T) *blob.CrashFS {
	c := blob.NewCrashFS()
	if err := c.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCrashFSUnsyncedWriteIsLost(t *testing.T) {
	c := newDurableDir(t)
	f, _ := c.Create("/d/f")
	c.SyncDir("/d") // the name is durable, the data is not
	f.Write([]byte("hello"))
	mustContain(t, c, "/d/f", "hello")
	mustContain(t, c.Crash(), "/d/f", "")

	f.Sync()
	f.Write([]byte(" world")) // after the sync: lost
	mustContain(t, c, "/d/f", "hello world")
	after := c.Crash()
	mustContain(t, after, "/d/f", "hello")
	// Crash left c alone: it is a snapshot, not a mutation.
	mustContain(t, c, "/d/f", "hello world")
	// And the two are independent from then on.
	g, _ := after.OpenFile("/d/f", os.O_WRONLY|os.O_APPEND, 0)
	g.Write([]byte("!"))
	mustContain(t, after, "/d/f", "hello!")
	mustContain(t, c, "/d/f", "hello world")
}

func TestCrashFSUnsyncedRenameIsLost(t *testing.T) {
	c := newDurableDir(t)
	c.MkdirAll("/d/a", 0o755)
	c.MkdirAll("/d/b", 0o755)
	c.SyncDir("/d")
	f, _ := c.Create("/d/a/f")
	f.Write([]byte("data"))
	f.Sync()
	f.Close()
	c.SyncDir("/d/a")

	if err := c.Rename("/d/a/f", "/d/b/f"); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, c, "/d/a/f")
	mustContain(t, c, "/d/b/f", "data")
	after := c.Crash() // rename not synced: undone
	mustContain(t, after, "/d/a/f", "data")
	mustNotExist(t, after, "/d/b/f")

	c.SyncDir("/d/b")
	c.SyncDir("/d/a")
	after = c.Crash()
	mustNotExist(t, after, "/d/a/f")
	mustContain(t, after, "/d/b/f", "data")
}

func TestCrashFSUnsyncedDirChangesAreLost(t *testing.T) {
	c := newDurableDir(t)
	keep, _ := c.Create("/d/keep")
	keep.Write([]byte("k"))
	keep.Sync()
	c.SyncDir("/d")

	c.Remove("/d/keep")                // unsynced remove: undone
	c.Create("/d/new")                 // unsynced create: lost
	c.MkdirAll("/d/sub/deeper", 0o755) // unsynced mkdir: lost
	c.SyncDir("/d/sub")                // syncing the child alone is not enough
	after := c.Crash()
	mustContain(t, after, "/d/keep", "k")
	mustNotExist(t, after, "/d/new")
	mustNotExist(t, after, "/d/sub")

	c.SyncDir("/d")
	after = c.Crash()
	mustNotExist(t, after, "/d/keep")
	mustContain(t, after, "/d/new", "")
	if _, err := after.Stat("/d/sub/deeper"); err != nil { // /d/sub was synced above
		t.Fatal(err)
	}
	// Sync on an open directory works like SyncDir.
	c.Create("/d/viafd")
	d, _ := c.Open("/d")
	d.Sync()
	d.Close()
	mustContain(t, c.Crash(), "/d/viafd", "")
}

// The semantics both filesystems must share, so tests on CrashFS say
// something about OSFS.
func TestFSConformance(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		p := func(s string) string { return filepath.Join(dir, s) }
		if err := fsys.MkdirAll(p("x/y"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := fsys.MkdirAll(p("x/y"), 0o755); err != nil {
			t.Fatalf("MkdirAll of an existing dir: %v", err)
		}
		f, err := fsys.OpenFile(p("x/f"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fsys.OpenFile(p("x/f"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, os.ErrExist) {
			t.Fatalf("O_EXCL on an existing file: %v", err)
		}
		f.Write([]byte("0123456789"))
		if pos, err := f.Seek(2, io.SeekStart); err != nil || pos != 2 {
			t.Fatalf("Seek = %d, %v", pos, err)
		}
		buf := make([]byte, 3)
		if n, err := f.Read(buf); n != 3 || err != nil || string(buf) != "234" {
			t.Fatalf("Read = %d %v %q", n, err, buf)
		}
		if n, err := f.ReadAt(buf, 8); n != 2 || err != io.EOF {
			t.Fatalf("ReadAt past end = %d, %v", n, err)
		}
		if pos, _ := f.Seek(0, io.SeekEnd); pos != 10 {
			t.Fatalf("Seek end = %d", pos)
		}
		if _, err := f.Seek(-1, io.SeekStart); err == nil {
			t.Fatal("negative Seek succeeded")
		}
		if fi, err := f.Stat(); err != nil || fi.Size() != 10 || fi.Name() != "f" || fi.IsDir() {
			t.Fatalf("Stat = %+v, %v", fi, err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err == nil {
			t.Fatal("second Close succeeded")
		}
		if _, err := f.Write([]byte("x")); err == nil {
			t.Fatal("Write after Close succeeded")
		}

		r, _ := fsys.Open(p("x/f"))
		if _, err := r.Write([]byte("x")); err == nil {
			t.Fatal("Write on a read-only file succeeded")
		}
		r.Close()
		c, _ := fsys.Create(p("x/f")) // truncates
		c.Close()
		mustContain(t, fsys, p("x/f"), "")

		if _, err := fsys.Open(p("x/missing")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open(missing) = %v", err)
		}
		if err := fsys.Remove(p("x/missing")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Remove(missing) = %v", err)
		}
		if err := fsys.Rename(p("x/missing"), p("x/g")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Rename(missing) = %v", err)
		}
		if err := fsys.Remove(p("x")); err == nil {
			t.Fatal("Remove of a non-empty dir succeeded")
		}
		if err := fsys.Rename(p("x/f"), p("x/y/g")); err != nil {
			t.Fatal(err)
		}
		if err := fsys.SyncDir(p("x/y")); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(listDir(t, fsys, p("x")), ","); got != "y" {
			t.Fatalf("ReadDir(x) = %s", got)
		}
		for _, name := range []string{"b", "a", "c"} {
			g, _ := fsys.Create(p("x/y/" + name))
			g.Close()
		}
		if got := strings.Join(listDir(t, fsys, p("x/y")), ","); got != "a,b,c,g" {
			t.Fatalf("ReadDir(x/y) = %s, want sorted", got)
		}
		if fi, err := fsys.Stat(p("x/y")); err != nil || !fi.IsDir() {
			t.Fatalf("Stat(dir) = %v, %v", fi, err)
		}
		if _, err := fsys.OpenFile(p("x/y"), os.O_RDWR, 0); err == nil {
			t.Fatal("opening a directory for writing succeeded")
		}
	})
}

// gateFS holds the blob file's Sync and the fan-out directory's SyncDir
// until the test lets each go, and reports when each has returned, so that
// a test can crash between the two syncs that Commit runs at once.
type gateFS struct {
	blob.FS
	fileGo, dirGo     chan struct{}
	fileDone, dirDone chan struct{}
}

func (g *gateFS) OpenFile(name string, flag int, perm os.FileMode) (blob.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &gateFile{File: f, g: g}, nil
}

func (g *gateFS) SyncDir(dir string) error {
	if !strings.Contains(dir, "/blobs/") {
		return g.FS.SyncDir(dir)
	}
	<-g.dirGo
	defer close(g.dirDone)
	return g.FS.SyncDir(dir)
}

type gateFile struct {
	blob.File
	g *gateFS
}

func (f *gateFile) Sync() error {
	<-f.g.fileGo
	defer close(f.g.fileDone)
	return f.File.Sync()
}

// TestCommitCrashBetweenSyncs crashes a rename-first Commit after exactly
// one of its two syncs returned, each way round, in both crash models. The
// directory synced first leaves the blob's name durable over data that is
// not (a torn file, never acknowledged: an orphan); the data synced first
// leaves a nameless inode, so nothing, or (the filesystem wrote the rename
// back on its own) the whole blob, also unacknowledged. Once Commit
// returned, the blob is whole and durable in both models.
func TestCommitCrashBetweenSyncs(t *testing.T) {
	const dir = "/srv/coffer"
	for _, dirFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("dirFirst=%v", dirFirst), func(t *testing.T) {
			cfs := blob.NewCrashFS()
			g := &gateFS{FS: cfs, fileGo: make(chan struct{}), dirGo: make(chan struct{}),
				fileDone: make(chan struct{}), dirDone: make(chan struct{})}
			s := openStore(t, g, dir)
			blob.SetCommitOrder(s, blob.OrderRenameFirst)
			data := selfDescribing(5, 300_000)
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			type result struct {
				id  blob.ID
				err error
			}
			res := make(chan result, 1)
			go func() { id, err := w.Commit(); res <- result{id, err} }()
			first, firstDone, second := g.dirGo, g.dirDone, g.fileGo
			if !dirFirst {
				first, firstDone, second = g.fileGo, g.fileDone, g.dirGo
			}
			close(first)
			<-firstDone
			select {
			case r := <-res:
				t.Fatalf("Commit returned %v, %v with one sync outstanding", r.id, r.err)
			default:
			}
			mid := []*blob.CrashFS{cfs.Crash(), cfs.CrashKeepingEntries()}
			close(second)
			r := <-res
			if r.err != nil {
				t.Fatal(r.err)
			}
			for i, wreck := range mid {
				rs := recoverStore(t, wreck, dir)
				got := walkAll(t, rs)
				if left := listDir(t, wreck, filepath.Join(dir, "tmp")); len(left) != 0 {
					t.Errorf("wreck %d: tmp/ after recovery: %v", i, left)
				}
				_, visible := got[r.id]
				switch {
				case dirFirst:
					// The name is on disk, the data is not: torn, and an
					// orphan, since Commit never returned.
					if !visible {
						t.Fatalf("wreck %d: the name synced first but the blob is not visible", i)
					}
					if checkSelfDescribing(readBlob(t, rs, r.id)) {
						t.Fatalf("wreck %d: data durable before its sync ran", i)
					}
				case i == 0 && visible:
					t.Fatalf("wreck %d: blob visible though its directory was never synced", i)
				case i == 1 && (!visible || !checkSelfDescribing(readBlob(t, rs, r.id))):
					// Name kept by the filesystem, data synced: whole.
					t.Fatalf("wreck %d: visible %v, want the whole blob", i, visible)
				}
			}
			for i, wreck := range []*blob.CrashFS{cfs.Crash(), cfs.CrashKeepingEntries()} {
				rs := recoverStore(t, wreck, dir)
				if b := readBlob(t, rs, r.id); !bytes.Equal(b, data) {
					t.Fatalf("wreck %d after Commit: %d bytes, want %d", i, len(b), len(data))
				}
			}
		})
	}
}

// TestMidCommitBlobLooksFresh: between the rename and the end of its syncs
// a blob is visible to Walk (the orphan sweep's view) before anything
// references it; on a shared directory another node's sweep must spare it,
// and it does so by age: the ModTime Walk reports is that of the blob's
// last write, not older than the upload (issue 10's rule).
func TestMidCommitBlobLooksFresh(t *testing.T) {
	const dir = "/srv/coffer"
	g := &gateFS{FS: blob.NewCrashFS(), fileGo: make(chan struct{}), dirGo: make(chan struct{}),
		fileDone: make(chan struct{}), dirDone: make(chan struct{})}
	s := openStore(t, g, dir)
	before := time.Now()
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(payload(6, 200_000))
	res := make(chan error, 1)
	go func() { _, err := w.Commit(); res <- err }()
	// Wait for the rename: the blob appears under its name.
	var seen blob.BlobInfo
	for deadline := time.Now().Add(10 * time.Second); seen.ID == ""; {
		for _, bi := range walkAll(t, s) {
			seen = bi
		}
		if time.Now().After(deadline) {
			t.Fatal("the blob never became visible during Commit")
		}
		time.Sleep(time.Millisecond)
	}
	if seen.ModTime.Before(before) {
		t.Errorf("mid-commit blob's ModTime %v is before its upload began (%v): a sweep with a grace period would take it",
			seen.ModTime, before)
	}
	close(g.fileGo)
	close(g.dirGo)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}
