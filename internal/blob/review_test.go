package blob

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// shortDirectFS hands out files that accept O_DIRECT (in name only) and make
// the first write issued in O_DIRECT mode a short one that fails, as a full
// disk does.
type shortDirectFS struct {
	OSFS
}

type shortDirectFile struct {
	File
	direct, failed bool
}

var errShortWrite = errors.New("injected short write")

func (f *shortDirectFile) SetDirect(on bool) error { f.direct = on; return nil }

func (f *shortDirectFile) Write(p []byte) (int, error) {
	if f.direct && !f.failed {
		f.failed = true
		n, _ := f.File.Write(p[:len(p)/2])
		return n, errShortWrite
	}
	return f.File.Write(p)
}

func (s shortDirectFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := s.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &shortDirectFile{File: f}, nil
}

// A write error is sticky: Commit after it must fail and publish nothing,
// also when the writer had switched to O_DIRECT (the tail flush must not
// write past the error and commit a blob with a hole or duplicated bytes).
func TestReviewCommitAfterDirectWriteError(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), FS: shortDirectFS{}, DirectAfter: directAlign})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("abcdefgh"), (smallBufSize+bigBufSize+100)/8)
	var werr error
	for off := 0; off < len(data) && werr == nil; off += 1000 {
		_, werr = w.Write(data[off:min(off+1000, len(data))])
	}
	if !errors.Is(werr, errShortWrite) {
		t.Fatalf("write error = %v, want the injected one (direct=%v)", werr, w.direct)
	}
	id, err := w.Commit()
	if err == nil {
		h, _ := s.Open(id)
		size := int64(-1)
		if h != nil {
			size = h.Size()
			h.Close()
		}
		t.Fatalf("Commit after a failed write succeeded: blob %s of %d bytes (%d written)", id, size, len(data))
	}
	n := 0
	s.Walk(func(BlobInfo) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs visible after a failed write", n)
	}
}
