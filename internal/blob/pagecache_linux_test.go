package blob

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestCommittedPagesLeaveTheCache checks with mincore(2) that what the
// kernel holds of a committed large blob is its kept prefix at most: the
// pages past Options.CacheKept are gone from the page cache once Commit
// returned, so large uploads do not grow it.
func TestCommittedPagesLeaveTheCache(t *testing.T) {
	dir := t.TempDir()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == unix.TMPFS_MAGIC {
		t.Skip("tmpfs: its pages are the file, they cannot be dropped")
	}
	const kept = 2 << 20
	s, err := Open(Options{Dir: dir, CacheKept: kept})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0xa5}, bigBufSize)
	size := 0
	for size < 3*writebackWindow+bigBufSize/2 {
		n, err := w.Write(chunk[:min(len(chunk), 3*writebackWindow+bigBufSize/2-size)])
		if err != nil {
			t.Fatal(err)
		}
		size += n
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	_, final := s.path(id)
	f, err := os.Open(filepath.Clean(final))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (size+page-1)/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	residentPast := 0
	for i := (kept + page - 1) / page; i < len(vec); i++ {
		if vec[i]&1 != 0 {
			residentPast++
		}
	}
	// The last page may be partial and kept by the kernel; allow it.
	if residentPast > 1 {
		t.Fatalf("%d of the %d pages past the kept %d bytes are still in the page cache", residentPast, len(vec)-kept/page, kept)
	}
}
