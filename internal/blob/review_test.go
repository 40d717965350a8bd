package blob

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// shortWriteFS hands out files whose second write is a short one that
// fails, as a full disk does.
type shortWriteFS struct {
	OSFS
}

type shortWriteFile struct {
	File
	writes int
}

var errShortWrite = errors.New("injected short write")

func (f *shortWriteFile) Write(p []byte) (int, error) {
	if f.writes++; f.writes == 2 {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, errShortWrite
	}
	return f.File.Write(p)
}

func (s shortWriteFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := s.OSFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &shortWriteFile{File: f}, nil
}

// A write error is sticky: Commit after it must fail and publish nothing
// (the tail flush must not write past the error and commit a blob with a
// hole or duplicated bytes).
func TestReviewCommitAfterWriteError(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), FS: shortWriteFS{}})
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
		t.Fatalf("write error = %v, want the injected one", werr)
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
