package blob

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

// pageLog records what a Writer asks of the page cache, and passes it on
// to the real file, so the windows can be checked against the contract.
type pageLog struct {
	mu                     sync.Mutex
	started, awaited, drop [][2]int64
	// failAwait makes the first AwaitWriteback fail, as a device error
	// seen by sync_file_range does.
	failAwait bool
}

type pageLogFS struct {
	OSFS
	log *pageLog
}

type pageLogFile struct {
	File
	log *pageLog
}

func (s pageLogFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := s.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &pageLogFile{File: f, log: s.log}, nil
}

func (f *pageLogFile) StartWriteback(off, n int64) error {
	f.log.mu.Lock()
	f.log.started = append(f.log.started, [2]int64{off, n})
	f.log.mu.Unlock()
	return f.File.(pageFile).StartWriteback(off, n)
}

func (f *pageLogFile) AwaitWriteback(off, n int64) error {
	f.log.mu.Lock()
	f.log.awaited = append(f.log.awaited, [2]int64{off, n})
	fail := f.log.failAwait
	f.log.failAwait = false
	f.log.mu.Unlock()
	if fail {
		return errInjectedWriteback
	}
	return f.File.(pageFile).AwaitWriteback(off, n)
}

func (f *pageLogFile) DropCache(off, n int64) {
	f.log.mu.Lock()
	f.log.drop = append(f.log.drop, [2]int64{off, n})
	f.log.mu.Unlock()
	f.File.(pageFile).DropCache(off, n)
}

var errInjectedWriteback = errors.New("injected writeback error")

// TestPageWindows writes blobs of sizes around the window and the kept
// prefix, fed every way a caller can, and checks that they read back
// exactly, that writeback was started for every window in order without
// gaps, that nothing before CacheKept is ever dropped, and that every page
// past it is dropped by the end of Commit (or none with CacheKept < 0).
func TestPageWindows(t *testing.T) {
	if _, ok := any(osFile{}).(pageFile); !ok {
		t.Skip("no page-cache steering on this system")
	}
	for _, kept := range []int64{4096, 2 << 20, 0, -1} {
		t.Run(fmt.Sprint("CacheKept=", kept), func(t *testing.T) {
			log := &pageLog{}
			s, err := Open(Options{Dir: t.TempDir(), FS: pageLogFS{log: log}, CacheKept: kept})
			if err != nil {
				t.Fatal(err)
			}
			limit := kept
			if limit == 0 {
				limit = DefaultCacheKept
			}
			// Every size and way of feeding for the default; the other
			// prefixes only change what is dropped, so two sizes suffice.
			sizes := []int{smallBufSize*3 + 17, writebackWindow - 1, writebackWindow, writebackWindow + 1,
				2*writebackWindow + 4095, 3*writebackWindow + bigBufSize/2}
			modes := []string{"ReadFrom", "Write-small", "Write-large"}
			if kept != 0 {
				sizes, modes = sizes[len(sizes)-2:], []string{"Write-small"}
			}
			for _, size := range sizes {
				data := make([]byte, size)
				rand.Read(data)
				for _, mode := range modes {
					*log = pageLog{}
					w, err := s.Create()
					if err != nil {
						t.Fatal(err)
					}
					switch mode {
					case "ReadFrom":
						_, err = w.ReadFrom(bytes.NewReader(data))
					case "Write-small":
						// Writes smaller than a page and of an odd size, so no
						// window or buffer boundary falls on a write's.
						for off := 0; off < len(data) && err == nil; off += 4093 {
							_, err = w.Write(data[off:min(off+4093, len(data))])
						}
					case "Write-large":
						_, err = w.Write(data)
					}
					if err != nil {
						t.Fatalf("%s %d: %v", mode, size, err)
					}
					id, err := w.Commit()
					if err != nil {
						t.Fatalf("%s %d: commit: %v", mode, size, err)
					}
					h, err := s.Open(id)
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(io.NewSectionReader(h, 0, h.Size()))
					h.Close()
					if err != nil || !bytes.Equal(got, data) {
						t.Fatalf("%s %d: read back %d bytes, equal=%v, err %v", mode, size, len(got), bytes.Equal(got, data), err)
					}
					checkWindows(t, fmt.Sprint(mode, " ", size), log, int64(size), kept, limit)
				}
			}
		})
	}
}

func checkWindows(t *testing.T, what string, log *pageLog, size, kept, limit int64) {
	t.Helper()
	if kept < 0 {
		if len(log.started)+len(log.awaited)+len(log.drop) != 0 {
			t.Fatalf("%s: CacheKept < 0 but the writer steered the cache: %+v", what, log)
		}
		return
	}
	// Writeback started window after window from 0, each at least a window.
	next := int64(0)
	for _, r := range log.started {
		if r[0] != next || r[1] < writebackWindow {
			t.Fatalf("%s: writeback of %v after %d: windows must follow each other and be >= %d", what, r, next, writebackWindow)
		}
		next += r[1]
	}
	// What Commit's fdatasync finds unstarted is less than a window and the
	// buffer being filled.
	if size-next >= writebackWindow+bigBufSize+smallBufSize {
		t.Fatalf("%s: %d bytes but writeback started for only %d (%v)", what, size, next, log.started)
	}
	// Nothing before the kept prefix dropped; everything past it dropped.
	dropped := make(map[int64]bool) // page offsets
	for _, r := range log.drop {
		if r[0] < limit {
			t.Fatalf("%s: dropped %v, inside the first %d bytes that stay cached", what, r, limit)
		}
		for p := r[0]; p < r[0]+r[1]; p += 4096 {
			dropped[p] = true
		}
	}
	for p := (limit + 4095) / 4096 * 4096; p+4096 <= size; p += 4096 {
		if !dropped[p] {
			t.Fatalf("%s: page at %d (past the kept %d of %d bytes) never dropped; drops %v", what, p, limit, size, log.drop)
		}
	}
	if size <= limit && len(log.drop) != 0 {
		t.Fatalf("%s: a blob within the kept prefix had pages dropped: %v", what, log.drop)
	}
}

// A writeback error seen while waiting for a window is sticky: the kernel
// reports it to one waiter only, so the final fdatasync would succeed.
// Commit must fail and publish nothing.
func TestWritebackErrorIsSticky(t *testing.T) {
	if _, ok := any(osFile{}).(pageFile); !ok {
		t.Skip("no page-cache steering on this system")
	}
	log := &pageLog{failAwait: true}
	s, err := Open(Options{Dir: t.TempDir(), FS: pageLogFS{log: log}, CacheKept: 4096})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("abcdefgh"), bigBufSize/8)
	var werr error
	for i := 0; i < 3*writebackWindow/bigBufSize+2 && werr == nil; i++ {
		_, werr = w.Write(data)
	}
	if !errors.Is(werr, errInjectedWriteback) {
		t.Fatalf("write error = %v, want the injected one (awaited %v)", werr, log.awaited)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Fatal("a write after a writeback error succeeded")
	}
	if id, err := w.Commit(); err == nil {
		t.Fatalf("Commit after a writeback error succeeded: blob %s", id)
	}
	n := 0
	s.Walk(func(BlobInfo) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs visible after a writeback error", n)
	}
}
