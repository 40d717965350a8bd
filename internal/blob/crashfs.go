package blob

import (
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CrashFS is an in-memory FS that remembers, for every file, the content
// last made durable by File.Sync next to the current content, and for every
// directory the entry set last made durable by SyncDir (or Sync on an open
// directory) next to the current one. Crash returns what a power cut would
// leave behind.
//
// The model is deliberately pessimistic: a create, rename, remove or mkdir
// is durable only once the parent directory is synced, and file data only
// once the file is synced (an unsynced new file comes back empty). Crash
// drops every unsynced change; CrashKeepingEntries keeps the unsynced
// directory changes but not the unsynced data, the reordering POSIX allows. A file
// renamed between two directories of which both were synced, at different
// times, may come back under both names (the same file, like a hard link).
//
// Paths are slash-separated; relative paths are taken from the root "/".
// All methods are safe for concurrent use (one mutex guards everything).
type CrashFS struct {
	mu   sync.Mutex
	root *cnode
}

var _ FS = (*CrashFS)(nil)

// cnode is a file or directory ("inode").
type cnode struct {
	dir   bool
	mode  os.FileMode
	mtime time.Time

	// files: data is the current content; synced is the durable content. The
	// two never share a backing array.
	data, synced []byte

	// directories: the current entries and the durable ones.
	entries, syncedEntries map[string]*cnode
}

// NewCrashFS returns an empty CrashFS holding only the root directory.
func NewCrashFS() *CrashFS {
	return &CrashFS{root: newDirNode(0o755)}
}

func newDirNode(perm os.FileMode) *cnode {
	return &cnode{dir: true, mode: fs.ModeDir | perm.Perm(), mtime: time.Now(), entries: map[string]*cnode{}}
}

// Crash simulates a power cut: it returns a new CrashFS holding only what
// was durable in c, discarding unsynced file data and directory changes. c
// itself is left untouched, so Crash can also be used to take a snapshot.
func (c *CrashFS) Crash() *CrashFS { return c.crash(false) }

// CrashKeepingEntries simulates the other extreme of a power cut: every
// directory change made so far (create, rename, remove, mkdir) survives,
// synced or not, while file data is still only what File.Sync made durable.
// POSIX lets a filesystem write metadata back whenever it likes, before
// the data it names (ext4 commits its journal every few seconds, and an
// fsync of any file commits every pending directory change with it), so a
// name can reach the disk ahead of its content. Crash models the loss of
// what was not synced; this models the reordering. Any real outcome for a
// single file lies between the two.
func (c *CrashFS) CrashKeepingEntries() *CrashFS { return c.crash(true) }

func (c *CrashFS) crash(keepEntries bool) *CrashFS {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[*cnode]*cnode{}
	var copyNode func(n *cnode) *cnode
	copyNode = func(n *cnode) *cnode {
		if m, ok := seen[n]; ok {
			return m
		}
		m := &cnode{dir: n.dir, mode: n.mode, mtime: n.mtime}
		seen[n] = m
		if n.dir {
			ents := n.syncedEntries
			if keepEntries {
				ents = n.entries
			}
			m.entries = make(map[string]*cnode, len(ents))
			m.syncedEntries = make(map[string]*cnode, len(ents))
			for name, child := range ents {
				cc := copyNode(child)
				m.entries[name] = cc
				m.syncedEntries[name] = cc
			}
		} else {
			m.data = slices.Clone(n.synced)
			m.synced = slices.Clone(n.synced)
		}
		return m
	}
	return &CrashFS{root: copyNode(c.root)}
}

// splitPath cleans name into its components from the root.
func splitPath(name string) []string {
	p := path.Clean("/" + name)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

func pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: name, Err: err}
}

// walk returns the node at the components parts; c.mu is held.
func (c *CrashFS) walk(op, name string, parts []string) (*cnode, error) {
	n := c.root
	for _, p := range parts {
		if !n.dir {
			return nil, pathErr(op, name, syscall.ENOTDIR)
		}
		child, ok := n.entries[p]
		if !ok {
			return nil, pathErr(op, name, fs.ErrNotExist)
		}
		n = child
	}
	return n, nil
}

// parent returns the directory holding name and name's base; c.mu is held.
// The root has no parent.
func (c *CrashFS) parent(op, name string) (*cnode, string, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return nil, "", pathErr(op, name, syscall.EINVAL)
	}
	dir, err := c.walk(op, name, parts[:len(parts)-1])
	if err != nil {
		return nil, "", err
	}
	if !dir.dir {
		return nil, "", pathErr(op, name, syscall.ENOTDIR)
	}
	return dir, parts[len(parts)-1], nil
}

func (c *CrashFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	parts := splitPath(name)
	var n *cnode
	base := "/"
	if len(parts) == 0 {
		n = c.root
	} else {
		dir, b, err := c.parent("open", name)
		if err != nil {
			return nil, err
		}
		base = b
		n = dir.entries[base]
		switch {
		case n == nil && flag&os.O_CREATE == 0:
			return nil, pathErr("open", name, fs.ErrNotExist)
		case n == nil:
			n = &cnode{mode: perm.Perm(), mtime: time.Now()}
			dir.entries[base] = n
		case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
			return nil, pathErr("open", name, fs.ErrExist)
		}
	}
	if n.dir && writable {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	if flag&os.O_TRUNC != 0 && writable && len(n.data) > 0 {
		n.data = nil
		n.mtime = time.Now()
	}
	return &crashFile{fs: c, n: n, name: name, base: base, flag: flag}, nil
}

func (c *CrashFS) Create(name string) (File, error) {
	return c.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (c *CrashFS) Open(name string) (File, error) {
	return c.OpenFile(name, os.O_RDONLY, 0)
}

func (c *CrashFS) Rename(oldpath, newpath string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	linkErr := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	odir, obase, err := c.parent("rename", oldpath)
	if err != nil {
		return linkErr(err.(*os.PathError).Err)
	}
	n, ok := odir.entries[obase]
	if !ok {
		return linkErr(fs.ErrNotExist)
	}
	ndir, nbase, err := c.parent("rename", newpath)
	if err != nil {
		return linkErr(err.(*os.PathError).Err)
	}
	if odir == ndir && obase == nbase {
		return nil
	}
	if n.dir {
		// No moving a directory into itself.
		op, np := path.Clean("/"+oldpath), path.Clean("/"+newpath)
		if strings.HasPrefix(np+"/", op+"/") {
			return linkErr(syscall.EINVAL)
		}
	}
	if dst, ok := ndir.entries[nbase]; ok {
		switch {
		case dst.dir && !n.dir:
			return linkErr(syscall.EISDIR)
		case !dst.dir && n.dir:
			return linkErr(syscall.ENOTDIR)
		case dst.dir && len(dst.entries) > 0:
			return linkErr(syscall.ENOTEMPTY)
		}
	}
	delete(odir.entries, obase)
	ndir.entries[nbase] = n
	return nil
}

func (c *CrashFS) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir, base, err := c.parent("remove", name)
	if err != nil {
		return err
	}
	n, ok := dir.entries[base]
	if !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if n.dir && len(n.entries) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(dir.entries, base)
	return nil
}

func (c *CrashFS) MkdirAll(name string, perm os.FileMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.root
	for _, p := range splitPath(name) {
		child, ok := n.entries[p]
		if !ok {
			child = newDirNode(perm)
			n.entries[p] = child
		} else if !child.dir {
			return pathErr("mkdir", name, syscall.ENOTDIR)
		}
		n = child
	}
	return nil
}

func (c *CrashFS) ReadDir(name string) ([]os.DirEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.walk("readdir", name, splitPath(name))
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	out := make([]os.DirEntry, 0, len(n.entries))
	for base, child := range n.entries {
		out = append(out, fs.FileInfoToDirEntry(child.info(base)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (c *CrashFS) Stat(name string) (os.FileInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts := splitPath(name)
	n, err := c.walk("stat", name, parts)
	if err != nil {
		return nil, err
	}
	base := "/"
	if len(parts) > 0 {
		base = parts[len(parts)-1]
	}
	return n.info(base), nil
}

func (c *CrashFS) SyncDir(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.walk("sync", dir, splitPath(dir))
	if err != nil {
		return err
	}
	if !n.dir {
		return pathErr("sync", dir, syscall.ENOTDIR)
	}
	n.syncDir()
	return nil
}

func (n *cnode) syncDir() { n.syncedEntries = maps.Clone(n.entries) }

// info snapshots n; c.mu is held.
func (n *cnode) info(base string) os.FileInfo {
	return &crashInfo{name: base, size: int64(len(n.data)), mode: n.mode, mtime: n.mtime}
}

type crashInfo struct {
	name  string
	size  int64
	mode  os.FileMode
	mtime time.Time
}

func (i *crashInfo) Name() string       { return i.name }
func (i *crashInfo) Size() int64        { return i.size }
func (i *crashInfo) Mode() os.FileMode  { return i.mode }
func (i *crashInfo) ModTime() time.Time { return i.mtime }
func (i *crashInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *crashInfo) Sys() any           { return nil }

// crashFile is an open CrashFS file; its offset and closed flag are guarded
// by the CrashFS mutex too.
type crashFile struct {
	fs     *CrashFS
	n      *cnode
	name   string
	base   string
	flag   int
	off    int64
	closed bool
}

// check reports whether the handle may be used; c.fs.mu is held.
func (f *crashFile) check(op string, write bool) error {
	switch {
	case f.closed:
		return pathErr(op, f.name, os.ErrClosed)
	case f.n.dir:
		return pathErr(op, f.name, syscall.EISDIR)
	case write && f.flag&(os.O_WRONLY|os.O_RDWR) == 0:
		return pathErr(op, f.name, syscall.EBADF)
	case !write && f.flag&os.O_WRONLY != 0:
		return pathErr(op, f.name, syscall.EBADF)
	}
	return nil
}

func (f *crashFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if f.flag&os.O_APPEND != 0 {
		f.off = int64(len(f.n.data))
	}
	end := f.off + int64(len(p))
	if end > int64(len(f.n.data)) {
		f.n.data = slices.Grow(f.n.data, int(end)-len(f.n.data))[:end]
	}
	copy(f.n.data[f.off:], p)
	f.off = end
	f.n.mtime = time.Now()
	return len(p), nil
}

func (f *crashFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if f.off >= int64(len(f.n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.off:])
	f.off += int64(n)
	return n, nil
}

func (f *crashFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *crashFile) Seek(offset int64, whence int) (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, pathErr("seek", f.name, os.ErrClosed)
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += int64(len(f.n.data))
	default:
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	if offset < 0 {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	f.off = offset
	return offset, nil
}

// Sync makes the file's current content durable; on a directory it makes
// the current entry set durable (like fsync on a directory fd).
func (f *crashFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, os.ErrClosed)
	}
	if f.n.dir {
		f.n.syncDir()
	} else {
		f.n.synced = slices.Clone(f.n.data)
	}
	return nil
}

func (f *crashFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, os.ErrClosed)
	}
	f.closed = true
	return nil
}

func (f *crashFile) Stat() (os.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return nil, pathErr("stat", f.name, os.ErrClosed)
	}
	return f.n.info(f.base), nil
}
