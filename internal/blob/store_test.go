package blob_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/errs"
)

func TestRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 64<<10 + 1, 5 << 20}
	// How the bytes reach the Writer.
	modes := []struct {
		name  string
		write func(w *blob.Writer, data []byte) error
	}{
		{"one-write", func(w *blob.Writer, data []byte) error {
			_, err := w.Write(data)
			return err
		}},
		{"odd-chunks", func(w *blob.Writer, data []byte) error {
			chunks := []int{1, 4093, 65536, 700001, 32 << 10}
			for i := 0; len(data) > 0; i++ {
				n := min(chunks[i%len(chunks)], len(data))
				if m, err := w.Write(data[:n]); err != nil || m != n {
					return fmt.Errorf("Write = %d, %v; want %d", m, err, n)
				}
				data = data[n:]
			}
			return nil
		}},
		{"io.Copy-ReadFrom", func(w *blob.Writer, data []byte) error {
			n, err := io.Copy(w, onlyReader{bytes.NewReader(data)})
			if err == nil && n != int64(len(data)) {
				err = fmt.Errorf("copied %d of %d", n, len(data))
			}
			return err
		}},
	}
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		for _, size := range sizes {
			for _, m := range modes {
				t.Run(fmt.Sprintf("%d/%s", size, m.name), func(t *testing.T) {
					data := payload(uint64(size), size)
					w, err := s.Create()
					if err != nil {
						t.Fatal(err)
					}
					if err := m.write(w, data); err != nil {
						t.Fatal(err)
					}
					if w.Size() != int64(size) {
						t.Errorf("Writer.Size = %d, want %d", w.Size(), size)
					}
					id, err := w.Commit()
					if err != nil {
						t.Fatal(err)
					}
					if !id.Valid() {
						t.Fatalf("Commit returned malformed id %q", id)
					}
					if got := readBlob(t, s, id); !bytes.Equal(got, data) {
						t.Fatalf("content mismatch (%d bytes read, %d written)", len(got), len(data))
					}
					h, err := s.Open(id)
					if err != nil {
						t.Fatal(err)
					}
					defer h.Close()
					if h.Size() != int64(size) {
						t.Errorf("Size = %d, want %d", h.Size(), size)
					}
					f := h.File()
					if _, isOS := fsys.(blob.OSFS); isOS != (f != nil) {
						t.Fatalf("File() = %v on %T", f, fsys)
					}
					if f != nil { // what sendfile would see
						got, err := io.ReadAll(f)
						if err != nil || !bytes.Equal(got, data) {
							t.Fatalf("via File(): %d bytes, %v", len(got), err)
						}
					}
				})
			}
		}
	})
}

func TestReadAtRanges(t *testing.T) {
	const size = 100_000
	data := payload(7, size)
	cases := []struct {
		off, n  int64
		wantN   int
		wantEOF bool // required; a full read may also report io.EOF
	}{
		{0, 0, 0, false},
		{0, 10, 10, false},
		{12345, 4096, 4096, false},
		{size - 10, 10, 10, false},
		{size - 5, 10, 5, true},
		{0, size, size, false},
		{0, size + 1, size, true},
		{size, 1, 0, true},
		{size + 1000, 1, 0, true},
	}
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		h, err := s.Open(commit(t, s, data))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		for _, c := range cases {
			p := make([]byte, c.n)
			n, err := h.ReadAt(p, c.off)
			if n != c.wantN {
				t.Errorf("ReadAt(%d, off %d) n = %d, want %d", c.n, c.off, n, c.wantN)
			}
			switch {
			case c.wantEOF && err != io.EOF:
				t.Errorf("ReadAt(%d, off %d) err = %v, want io.EOF", c.n, c.off, err)
			case !c.wantEOF && err != nil && err != io.EOF:
				t.Errorf("ReadAt(%d, off %d) err = %v", c.n, c.off, err)
			}
			if n > 0 && !bytes.Equal(p[:n], data[c.off:c.off+int64(n)]) {
				t.Errorf("ReadAt(%d, off %d) wrong bytes", c.n, c.off)
			}
		}
	})
}

func TestRemoveIdempotent(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		keep := commit(t, s, []byte("keep"))
		id := commit(t, s, []byte("doomed"))
		for i := range 3 {
			if err := s.Remove(id); err != nil {
				t.Fatalf("Remove #%d: %v", i+1, err)
			}
		}
		if _, err := s.Open(id); !errors.Is(err, errs.NotFound) {
			t.Fatalf("Open after Remove: %v, want NotFound", err)
		}
		if err := s.Remove("00000000000000000000000000000000"); err != nil {
			t.Fatalf("Remove of a never-written id: %v", err)
		}
		if err := s.Remove("not-an-id"); err != nil {
			t.Fatalf("Remove of a malformed id: %v", err)
		}
		got := walkAll(t, s)
		if _, ok := got[keep]; len(got) != 1 || !ok {
			t.Fatalf("Walk = %v, want only %s", got, keep)
		}
	})
}

func TestWalk(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		start := time.Now().Add(-time.Minute)
		want := map[blob.ID]int{}
		for i, size := range []int{0, 1, 100, 70_000, 2 << 20} {
			want[commit(t, s, payload(uint64(i), size))] = size
		}
		// Not committed: open writers (one big enough to have spilled into
		// its temp file), an aborted one, a removed one.
		for _, size := range []int{10, 3 << 20} {
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if _, err := w.Write(payload(9, size)); err != nil {
				t.Fatal(err)
			}
		}
		w, _ := s.Create()
		w.Write([]byte("aborted"))
		w.Abort()
		if err := s.Remove(commit(t, s, []byte("removed"))); err != nil {
			t.Fatal(err)
		}
		if len(listDir(t, fsys, filepath.Join(dir, "tmp"))) != 2 {
			t.Fatalf("tmp/ = %v, want the 2 open writers", listDir(t, fsys, filepath.Join(dir, "tmp")))
		}

		got := walkAll(t, s)
		if len(got) != len(want) {
			t.Errorf("Walk found %d blobs, want %d", len(got), len(want))
		}
		for id, size := range want {
			bi, ok := got[id]
			switch {
			case !ok:
				t.Errorf("Walk missed %s", id)
			case bi.Size != int64(size):
				t.Errorf("Walk %s size %d, want %d", id, bi.Size, size)
			case bi.ModTime.Before(start) || bi.ModTime.After(time.Now().Add(time.Minute)):
				t.Errorf("Walk %s ModTime %v", id, bi.ModTime)
			}
		}

		// An error from fn stops the walk and comes back unchanged.
		stop := errors.New("stop")
		calls := 0
		err := s.Walk(func(blob.BlobInfo) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Errorf("Walk with failing fn: err %v after %d calls", err, calls)
		}
	})
}

func TestSweepTemp(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		kept := commit(t, s, []byte("committed"))
		var stale []*blob.Writer
		for _, size := range []int{0, 5, 2 << 20} {
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			w.Write(payload(1, size))
			stale = append(stale, w)
		}
		// Junk of any name left in tmp/ goes too.
		f, err := fsys.Create(filepath.Join(dir, "tmp", "junk"))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if n := len(listDir(t, fsys, filepath.Join(dir, "tmp"))); n != 4 {
			t.Fatalf("tmp/ holds %d entries before the sweep, want 4", n)
		}

		if err := s.SweepTemp(); err != nil {
			t.Fatal(err)
		}
		if left := listDir(t, fsys, filepath.Join(dir, "tmp")); len(left) != 0 {
			t.Fatalf("tmp/ after SweepTemp: %v", left)
		}
		for _, w := range stale { // their temp files are gone: Commit must fail
			if id, err := w.Commit(); err == nil {
				t.Errorf("Commit of a swept writer succeeded: %s", id)
			}
		}
		if got := walkAll(t, s); len(got) != 1 {
			t.Fatalf("Walk after SweepTemp = %v, want only %s", got, kept)
		}
		if err := s.SweepTemp(); err != nil { // empty tmp/
			t.Fatal(err)
		}
		if id := commit(t, s, []byte("after")); string(readBlob(t, s, id)) != "after" {
			t.Fatal("store unusable after SweepTemp")
		}
	})
}

func TestAbort(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		tmp := filepath.Join(dir, "tmp")
		for _, size := range []int{0, 10, 3 << 20} {
			w, err := s.Create()
			if err != nil {
				t.Fatal(err)
			}
			w.Write(payload(2, size))
			if err := w.Abort(); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			if err := w.Abort(); err != nil {
				t.Fatalf("second Abort: %v", err)
			}
			if _, err := w.Write([]byte("x")); err == nil {
				t.Error("Write after Abort succeeded")
			}
			if _, err := w.Commit(); err == nil {
				t.Error("Commit after Abort succeeded")
			}
		}
		if left := listDir(t, fsys, tmp); len(left) != 0 {
			t.Fatalf("tmp/ after Abort: %v", left)
		}
		if got := walkAll(t, s); len(got) != 0 {
			t.Fatalf("Walk after Abort: %v", got)
		}

		// After Commit, Abort is a no-op and a second Commit fails.
		w, _ := s.Create()
		w.Write([]byte("stays"))
		id, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort after Commit: %v", err)
		}
		if _, err := w.Commit(); err == nil {
			t.Error("second Commit succeeded")
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Error("Write after Commit succeeded")
		}
		if string(readBlob(t, s, id)) != "stays" {
			t.Fatal("blob changed by Abort after Commit")
		}
		if left := listDir(t, fsys, tmp); len(left) != 0 {
			t.Fatalf("tmp/ after Commit: %v", left)
		}
	})
}

func TestInvalidIDsNeverTouchFS(t *testing.T) {
	bad := []blob.ID{
		"",
		"../../etc/passwd",
		"../../../../../../../../etc/passwd",
		"0123456789ABCDEF0123456789ABCDEF", // upper case
		"0123456789abcdef0123456789abcde",  // 31
		"0123456789abcdef0123456789abcdef0",
		"01/3456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcde\x00",
		"0123456789abcdef0123456789abcdeg",
		"..3456789abcdef0123456789abcdef0",
		"0123456789abcdef0123456789abcdé",
		"/0123456789abcdef0123456789abcde",
		blob.ID(strings.Repeat("a", 1000)),
	}
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		cfs := &countingFS{FS: fsys}
		s := openStore(t, cfs, dir)
		cfs.calls.Store(0)
		for _, id := range bad {
			if id.Valid() {
				t.Errorf("ID(%q).Valid() = true", id)
			}
			h, err := s.Open(id)
			if h != nil || errs.KindOf(err) != errs.NotFound || !errors.Is(err, errs.NotFound) {
				t.Errorf("Open(%q) = %v, %v; want a NotFound *errs.Error", id, h, err)
			}
			if err := s.Remove(id); err != nil {
				t.Errorf("Remove(%q) = %v", id, err)
			}
		}
		if n := cfs.calls.Load(); n != 0 {
			t.Fatalf("malformed ids made %d filesystem calls", n)
		}
		// A well-formed but absent id does look, and says NotFound too.
		_, err := s.Open("0123456789abcdef0123456789abcdef")
		if errs.KindOf(err) != errs.NotFound || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open(absent) = %v", err)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		const workers, each = 16, 12
		var mu sync.Mutex
		want := map[blob.ID][]byte{}
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				for i := range each {
					data := payload(uint64(g*1000+i), (g*7919+i*104729)%(300<<10))
					w, err := s.Create()
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := io.Copy(w, onlyReader{bytes.NewReader(data)}); err != nil {
						t.Error(err)
						return
					}
					id, err := w.Commit()
					if err != nil {
						t.Error(err)
						return
					}
					h, err := s.Open(id)
					if err != nil {
						t.Error(err)
						return
					}
					got := make([]byte, len(data)+1)
					n, _ := h.ReadAt(got, 0)
					h.Close()
					if !bytes.Equal(got[:n], data) {
						t.Errorf("blob %s corrupted", id)
					}
					mu.Lock()
					want[id] = data
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(want) != workers*each {
			t.Fatalf("%d distinct ids, want %d", len(want), workers*each)
		}
		got := walkAll(t, s)
		for id, data := range want {
			if got[id].Size != int64(len(data)) {
				t.Errorf("Walk %s: %+v, want size %d", id, got[id], len(data))
			}
		}
		if len(got) != len(want) {
			t.Errorf("Walk found %d, want %d", len(got), len(want))
		}
	})
}

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		opts blob.Options
		ok   bool
	}{
		{blob.Options{}, false},
		{blob.Options{Dir: "d", Fanout: -1}, false},
		{blob.Options{Dir: "d", Fanout: 4}, false},
		{blob.Options{Dir: "d"}, true},
		{blob.Options{Dir: "d", CacheKept: 4097}, true},
		{blob.Options{Dir: "d", CacheKept: -1}, true},
		{blob.Options{Dir: "d", Fanout: 1}, true},
		{blob.Options{Dir: "d", Fanout: 3}, true},
	} {
		err := c.opts.Validate()
		if (err == nil) != c.ok || (err != nil && errs.KindOf(err) != errs.InvalidArgument) {
			t.Errorf("Validate(%+v) = %v", c.opts, err)
		}
		if _, err := blob.Open(blob.Options{FS: blob.NewCrashFS(), Dir: c.opts.Dir, Fanout: c.opts.Fanout, CacheKept: c.opts.CacheKept}); (err == nil) != c.ok {
			t.Errorf("Open(%+v) = %v", c.opts, err)
		}
	}
}

func TestLayoutAndReopen(t *testing.T) {
	for _, fanout := range []int{0, 1, 3} {
		t.Run(fmt.Sprint("fanout", fanout), func(t *testing.T) {
			forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
				s, err := blob.Open(blob.Options{Dir: dir, FS: fsys, Fanout: fanout})
				if err != nil {
					t.Fatal(err)
				}
				n := fanout
				if n == 0 {
					n = 2 // the default
				}
				if got, want := len(listDir(t, fsys, filepath.Join(dir, "blobs"))), 1<<(4*n); got != want {
					t.Fatalf("%d fan-out dirs, want %d", got, want)
				}
				id := commit(t, s, []byte("hello"))
				if _, err := fsys.Stat(filepath.Join(dir, "blobs", string(id[:n]), string(id))); err != nil {
					t.Fatalf("blob not at blobs/<%d hex>/<id>: %v", n, err)
				}

				// Reopening with the same fan-out sees the blob; another one is refused.
				s2, err := blob.Open(blob.Options{Dir: dir, FS: fsys, Fanout: fanout})
				if err != nil {
					t.Fatal(err)
				}
				if string(readBlob(t, s2, id)) != "hello" {
					t.Fatal("blob lost on reopen")
				}
				other := n%3 + 1
				if _, err := blob.Open(blob.Options{Dir: dir, FS: fsys, Fanout: other}); errs.KindOf(err) != errs.InvalidArgument {
					t.Fatalf("reopen with fan-out %d over %d: %v", other, n, err)
				}
			})
		})
	}
}

// A failure anywhere in Commit, in any commit order, leaves nothing visible
// and nothing in tmp/.
func TestCommitFailures(t *testing.T) {
	cases := []struct {
		name string
		set  func(f *faultFS)
	}{
		{"rename", func(f *faultFS) {
			f.rename = func(_, _ string) error { return errInjected }
		}},
		{"syncfile", func(f *faultFS) {
			f.syncFile = func(string) error { return errInjected }
		}},
		{"syncdir", func(f *faultFS) {
			f.syncDir = func(dir string) error {
				if strings.Contains(dir, "blobs") {
					return errInjected
				}
				return nil
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, order := range []int{blob.OrderRenameFirst, blob.OrderSyncFirst} {
				forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
					ffs := &faultFS{FS: fsys}
					s := openStore(t, ffs, dir)
					blob.SetCommitOrder(s, order)
					c.set(ffs)
					w, _ := s.Create()
					w.Write(payload(3, 100_000))
					if id, err := w.Commit(); err == nil || errs.KindOf(err) != errs.Internal || !errors.Is(err, errInjected) {
						t.Fatalf("Commit = %q, %v; want an Internal error wrapping the fault", id, err)
					}
					*ffs = faultFS{FS: fsys}
					if got := walkAll(t, s); len(got) != 0 {
						t.Fatalf("visible after failed Commit: %v", got)
					}
					if left := listDir(t, fsys, filepath.Join(dir, "tmp")); len(left) != 0 {
						t.Fatalf("tmp/ after failed Commit: %v", left)
					}
				})
			}
		})
	}
}
