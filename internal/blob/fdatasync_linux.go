//go:build linux

package blob

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fdatasync flushes the file's data and the metadata needed to read it back
// (its size), skipping the mtime update a full fsync would also write.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// The page-cache steering of pageFile (store.go, writebackWindow).
func (f osFile) StartWriteback(off, n int64) error {
	return f.syncRange(off, n, unix.SYNC_FILE_RANGE_WRITE)
}

func (f osFile) AwaitWriteback(off, n int64) error {
	return f.syncRange(off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
}

func (f osFile) DropCache(off, n int64) {
	if rc, err := f.File.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.Fadvise(int(fd), off, n, unix.FADV_DONTNEED) })
	}
}

func (f osFile) syncRange(off, n int64, flags int) error {
	rc, err := f.File.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.SyncFileRange(int(fd), off, n, flags)
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "sync_file_range", Path: f.Name(), Err: serr}
	}
	return nil
}
