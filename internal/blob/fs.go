package blob

import (
	"io"
	"os"
)

// FS is the seam through which the Store does all its disk I/O. OSFS is the
// real filesystem; CrashFS is an in-memory one that can simulate a power cut.
//
// Errors follow the os package conventions (*os.PathError,
// *os.LinkError), so errors.Is(err, fs.ErrNotExist) and
// errors.Is(err, fs.ErrExist) work on every implementation.
type FS interface {
	// OpenFile is os.OpenFile.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Create is os.Create: read-write, created if absent, truncated.
	Create(name string) (File, error)
	// Open is os.Open: read-only.
	Open(name string) (File, error)
	// Rename is os.Rename. It is durable only once SyncDir has been called
	// on both parent directories.
	Rename(oldpath, newpath string) error
	// Remove is os.Remove. It is durable only after SyncDir of the parent.
	Remove(name string) error
	// MkdirAll is os.MkdirAll. New directories are durable only after
	// SyncDir of their parents.
	MkdirAll(path string, perm os.FileMode) error
	// ReadDir is os.ReadDir (entries sorted by name).
	ReadDir(name string) ([]os.DirEntry, error)
	// Stat is os.Stat.
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the directory's entry set durable (open + fsync).
	SyncDir(dir string) error
}

// File is an open file of an FS.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Seeker
	io.Closer
	// Sync makes the file's data (and size) durable; it says nothing about
	// the directory entry naming the file (see FS.SyncDir).
	Sync() error
	Stat() (os.FileInfo, error)
}

// osFiler is implemented by File values backed by an *os.File; the
// ReadHandle hands that file out so HTTP can sendfile it.
type osFiler interface {
	OSFile() *os.File
}

// OSFS is the real operating-system filesystem.
type OSFS struct{}

var _ FS = OSFS{}

// osFile is an *os.File whose Sync is fdatasync (data and size, not mtime).
type osFile struct {
	*os.File
}

func (f osFile) Sync() error { return fdatasync(f.File) }

// OSFile returns the underlying *os.File.
func (f osFile) OSFile() *os.File { return f.File }

func (OSFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (o OSFS) Create(name string) (File, error) {
	return o.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
}

func (o OSFS) Open(name string) (File, error) {
	return o.OpenFile(name, os.O_RDONLY, 0)
}

func (OSFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (OSFS) Remove(name string) error                     { return os.Remove(name) }
func (OSFS) MkdirAll(path string, perm os.FileMode) error { return os.MkdirAll(path, perm) }
func (OSFS) ReadDir(name string) ([]os.DirEntry, error)   { return os.ReadDir(name) }
func (OSFS) Stat(name string) (os.FileInfo, error)        { return os.Stat(name) }

func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
