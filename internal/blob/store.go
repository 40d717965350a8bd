package blob

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"coffer/internal/errs"
)

const (
	idLen         = 32 // hex characters
	defaultFanout = 2
	maxFanout     = 3
	dirPerm       = 0o700 // object data is for the server alone
	filePerm      = 0o600
	tmpSuffix     = ".tmp"
)

// Options configures a Store.
type Options struct {
	// Dir is the root directory; it is created if missing.
	Dir string
	// FS is the filesystem; nil means OSFS.
	FS FS
	// Fanout is how many leading hex characters of an ID name its directory
	// under blobs/ (1 → 16 dirs, 2 → 256, 3 → 4096). 0 means 2. It must not
	// change once Dir holds blobs; Open refuses a mismatching layout.
	Fanout int
	// CacheKept is how many bytes at the start of each blob stay in the
	// page cache once the blob is durable; the pages past it are handed to
	// writeback while the blob is written and dropped from the cache once
	// written (see writebackWindow). 0 means DefaultCacheKept; negative
	// means every page stays (the kernel's choice, as for any file).
	CacheKept int64
}

// DefaultCacheKept is Options.CacheKept's default: objects up to 4 MiB
// (all of mixed's 1 MiB bodies, every inline-sized part) stay in the page
// cache, where a GET soon after the PUT finds them; of larger ones only the
// first 4 MiB do, which is where a ranged or resumed read starts.
const DefaultCacheKept = 4 << 20

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	if o.Dir == "" {
		return errs.Field(errs.InvalidArgument, "Dir", "blob: Options.Dir is empty")
	}
	if o.Fanout < 0 || o.Fanout > maxFanout {
		return errs.Field(errs.InvalidArgument, "Fanout", "blob: Options.Fanout %d not in 0..%d", o.Fanout, maxFanout)
	}
	return nil
}

// Store keeps immutable blobs under <Dir>/blobs/<prefix>/<id>, staging them
// in <Dir>/tmp/. It is safe for concurrent use and takes no lock of its own:
// every blob has its own temp file and final name.
type Store struct {
	fs     FS
	dir    string
	blobs  string
	tmp    string
	fanout int
	// cacheKept: bytes of a blob kept in the page cache; <0: all.
	cacheKept int64
	st        *opStats    // operation latencies (stats.go)
	order     commitOrder // how Commit orders its syncs (tests and benchmarks change it)
}

// Open prepares Dir (tmp/, blobs/ and every fan-out directory, durably) and
// returns the Store. It does not sweep tmp/; call SweepTemp for that.
func Open(opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		fs:        opts.FS,
		dir:       filepath.Clean(opts.Dir),
		fanout:    opts.Fanout,
		cacheKept: opts.CacheKept,
		st:        newOpStats(),
	}
	if s.cacheKept == 0 {
		s.cacheKept = DefaultCacheKept
	}
	if s.fs == nil {
		s.fs = OSFS{}
	}
	if s.fanout == 0 {
		s.fanout = defaultFanout
	}
	s.blobs = filepath.Join(s.dir, "blobs")
	s.tmp = filepath.Join(s.dir, "tmp")
	for _, d := range []string{s.tmp, s.blobs} {
		if err := mkdirDurable(s.fs, d); err != nil {
			return nil, ioErr(err, "create %s", d)
		}
	}
	ents, err := s.fs.ReadDir(s.blobs)
	if err != nil {
		return nil, ioErr(err, "read %s", s.blobs)
	}
	have := make(map[string]bool, len(ents))
	for _, e := range ents {
		if !e.IsDir() || !isHex(e.Name()) {
			continue
		}
		if len(e.Name()) != s.fanout {
			return nil, errs.Field(errs.InvalidArgument, "Fanout",
				"blob: %s is laid out with fan-out %d, not %d", s.blobs, len(e.Name()), s.fanout)
		}
		have[e.Name()] = true
	}
	created := false
	for i := range 1 << (4 * s.fanout) {
		name := fmt.Sprintf("%0*x", s.fanout, i)
		if have[name] {
			continue
		}
		if err := s.fs.MkdirAll(filepath.Join(s.blobs, name), dirPerm); err != nil {
			return nil, ioErr(err, "create fan-out directory")
		}
		created = true
	}
	if created {
		if err := s.fs.SyncDir(s.blobs); err != nil {
			return nil, ioErr(err, "sync %s", s.blobs)
		}
	}
	return s, nil
}

// mkdirDurable creates dir and any missing parents, syncing the parent of
// each directory it creates so that the new entries survive a power cut.
func mkdirDurable(fsys FS, dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := fsys.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return &os.PathError{Op: "mkdir", Path: d, Err: errors.New("not a directory")}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := fsys.MkdirAll(missing[i], dirPerm); err != nil {
			return err
		}
		if err := fsys.SyncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

func ioErr(err error, format string, args ...any) *errs.Error {
	return errs.Wrap(errs.Internal, err, "blob: "+format, args...)
}

func notFound(id ID, cause error) *errs.Error {
	return &errs.Error{Kind: errs.NotFound, Msg: fmt.Sprintf("blob %q not found", string(id)), Err: cause}
}

// Valid reports whether id is well formed: 32 lowercase hex characters.
func (id ID) Valid() bool { return len(id) == idLen && isHex(string(id)) }

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func newID() ID {
	var b [idLen / 2]byte
	rand.Read(b[:]) // never fails (crashes the program instead)
	return ID(hex.EncodeToString(b[:]))
}

// path returns the final location of a valid id.
func (s *Store) path(id ID) (dir, file string) {
	dir = filepath.Join(s.blobs, string(id[:s.fanout]))
	return dir, filepath.Join(dir, string(id))
}

// Create starts a new blob. Nothing is visible until Commit; the caller
// must end every Writer with Commit or Abort. A Writer is not safe for
// concurrent use.
func (s *Store) Create() (*Writer, error) {
	id := newID()
	tmp := filepath.Join(s.tmp, string(id)+tmpSuffix)
	f, err := s.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, ioErr(err, "create temp file")
	}
	return &Writer{s: s, id: id, tmp: tmp, f: f}, nil
}

// Open returns a handle on a committed blob, or an errs.NotFound error when
// there is none (including for any malformed id, which never reaches the
// filesystem).
func (s *Store) Open(id ID) (ReadHandle, error) {
	if !id.Valid() {
		return nil, notFound(id, nil)
	}
	_, p := s.path(id)
	defer s.st.open.Since(time.Now())
	f, err := s.fs.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(id, err)
		}
		return nil, ioErr(err, "open blob %s", id)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, ioErr(err, "stat blob %s", id)
	}
	h := &handle{f: f, size: fi.Size(), st: s.st}
	if of, ok := f.(osFiler); ok {
		h.osf = of.OSFile()
	}
	return h, nil
}

// Remove deletes a blob durably. Removing an absent blob (or a malformed
// id) succeeds.
func (s *Store) Remove(id ID) error {
	if !id.Valid() {
		return nil
	}
	dir, p := s.path(id)
	defer s.st.remove.Since(time.Now())
	if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ioErr(err, "remove blob %s", id)
	}
	// Sync even when the blob was already gone: an earlier Remove may have
	// failed between the unlink and the sync.
	if err := s.syncDir(dir); err != nil {
		return ioErr(err, "sync %s", dir)
	}
	return nil
}

// Walk calls fn for every committed blob, in ID order. Temp files are never
// reported. A blob removed concurrently may or may not be reported. An error
// from fn stops the walk and is returned as is.
func (s *Store) Walk(fn func(BlobInfo) error) error {
	dirs, err := s.fs.ReadDir(s.blobs)
	if err != nil {
		return ioErr(err, "read %s", s.blobs)
	}
	for _, d := range dirs {
		prefix := d.Name()
		if !d.IsDir() || len(prefix) != s.fanout || !isHex(prefix) {
			continue
		}
		dir := filepath.Join(s.blobs, prefix)
		ents, err := s.fs.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return ioErr(err, "read %s", dir)
		}
		for _, e := range ents {
			id := ID(e.Name())
			if !id.Valid() || !strings.HasPrefix(string(id), prefix) || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return ioErr(err, "stat blob %s", id)
			}
			if err := fn(BlobInfo{ID: id, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SweepTemp removes everything in tmp/: the remains of writers that never
// committed or aborted. Call it at startup, before any Create; a Writer
// still open when it runs will fail to Commit.
func (s *Store) SweepTemp() error { return s.SweepTempBefore(time.Time{}) }

// SweepTempBefore removes the temp files last modified before cutoff (all of
// them for a zero cutoff). On a data directory that several nodes share,
// another node may be writing a recent one.
func (s *Store) SweepTempBefore(cutoff time.Time) error {
	ents, err := s.fs.ReadDir(s.tmp)
	if err != nil {
		return ioErr(err, "read %s", s.tmp)
	}
	var failed []error
	for _, e := range ents {
		if !cutoff.IsZero() {
			if fi, err := e.Info(); err != nil || !fi.ModTime().Before(cutoff) {
				continue
			}
		}
		p := filepath.Join(s.tmp, e.Name())
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, err)
		}
	}
	if len(ents) > 0 {
		if err := s.fs.SyncDir(s.tmp); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return ioErr(errors.Join(failed...), "sweep %s", s.tmp)
	}
	return nil
}

// handle is the ReadHandle of a committed blob.
type handle struct {
	f    File
	size int64
	osf  *os.File
	st   *opStats
}

func (h *handle) Size() int64    { return h.size }
func (h *handle) File() *os.File { return h.osf }

func (h *handle) ReadAt(p []byte, off int64) (int, error) {
	start := time.Now()
	n, err := h.f.ReadAt(p, off)
	h.st.read.Since(start)
	h.st.bytesRead.Add(uint64(n))
	if err != nil && err != io.EOF {
		err = ioErr(err, "read blob")
	}
	return n, err
}

func (h *handle) Close() error {
	if err := h.f.Close(); err != nil {
		return ioErr(err, "close blob")
	}
	return nil
}

// Write buffering: a small buffer first, so that many concurrent small
// objects stay cheap, then a big one once an object outgrows it. Writes at
// least a buffer long go straight to the file when nothing is buffered.
const (
	smallBufSize = 64 << 10
	bigBufSize   = 1 << 20
)

var (
	smallBufs = sync.Pool{New: func() any { b := make([]byte, 0, smallBufSize); return &b }}
	bigBufs   = sync.Pool{New: func() any { b := make([]byte, 0, bigBufSize); return &b }}
)

// writebackWindow is how often a large blob's new pages are handed to
// writeback. Blobs are written through the page cache: on the virtio disk
// we measure on, O_DIRECT (used until 2026-12-02 past the first 4 MiB) gave
// 190-200 MiB/s to 4 writers of 16 MiB where buffered writes gave 360-440.
// What buffered writes cost is the page cache growing: writing into pages
// the cache must grow for cost 2.6 ns/B of kernel time there, against
// 0.65 ns/B when the pages come back from a file dropped just before
// (docs/benchmarks.md, "Blob writes through the page cache"). So every
// window of a blob is handed to writeback as soon as it is written (the
// device works while the client still sends, and the final fdatasync finds
// at most one window dirty), and the window before it, once written, is
// dropped from the cache past Options.CacheKept: a large upload holds about
// two windows of memory, and the next upload's writes reuse those pages.
const writebackWindow = 4 << 20

// pageFile is a File that can steer its page cache (OSFS on Linux). Files
// without it (CrashFS, other systems) are left to the kernel's defaults;
// durability never depends on it: Commit's fdatasync does that.
type pageFile interface {
	// StartWriteback starts writing [off, off+n) to the device, no wait.
	StartWriteback(off, n int64) error
	// AwaitWriteback waits until [off, off+n) has been written (not
	// durable: no cache flush, no metadata), reporting a write error.
	AwaitWriteback(off, n int64) error
	// DropCache drops the clean pages of [off, off+n) from the cache.
	DropCache(off, n int64)
}

type writerState uint8

const (
	writing writerState = iota
	committed
	aborted
)

// Writer writes a new blob to its temp file. It implements io.ReaderFrom,
// so io.Copy reads straight into its buffer.
type Writer struct {
	s     *Store
	id    ID
	tmp   string
	f     File    // nil once closed
	buf   *[]byte // pooled; nil until the first buffered write and after the end
	n     int64   // bytes accepted
	err   error   // sticky write error
	state writerState
	// off is the bytes in the file; [prevKick, kicked) is the last window
	// handed to writeback, [kicked, off) what was written since.
	off, prevKick, kicked int64
}

// Size returns the number of bytes written so far.
func (w *Writer) Size() int64 { return w.n }

func (w *Writer) usable() error {
	switch {
	case w.state != writing:
		return errs.New(errs.Internal, "blob: write to a finished writer")
	case w.err != nil:
		return w.err
	}
	return nil
}

// buffer returns the buffer, acquiring a small one first.
func (w *Writer) buffer() []byte {
	if w.buf == nil {
		w.buf = smallBufs.Get().(*[]byte)
	}
	return *w.buf
}

// flush writes out the buffer, then trades a small buffer for a big one:
// an object that filled a small buffer is likely to be large.
func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if w.buf == nil {
		return nil
	}
	b := *w.buf
	if len(b) > 0 {
		if _, err := w.writeFile(b); err != nil {
			w.err = ioErr(err, "write temp file")
			return w.err
		}
		*w.buf = b[:0]
	}
	if cap(b) < bigBufSize && len(b) == cap(b) {
		smallBufs.Put(w.buf)
		w.buf = bigBufs.Get().(*[]byte)
	}
	return nil
}

// pageWindow hands the window written since the last call to writeback
// once it is writebackWindow long, then waits for the window before it and
// drops that one from the cache past Options.CacheKept. A writeback error
// is sticky like a write error: the kernel reports it to one waiter only,
// so the final fdatasync would not see it again.
func (w *Writer) pageWindow() error {
	if w.s.cacheKept < 0 || w.off-w.kicked < writebackWindow {
		return nil
	}
	pf, ok := w.f.(pageFile)
	if !ok {
		return nil
	}
	if err := pf.StartWriteback(w.kicked, w.off-w.kicked); err != nil {
		return err
	}
	if lo := max(w.prevKick, w.s.cacheKept); lo < w.kicked {
		if err := pf.AwaitWriteback(lo, w.kicked-lo); err != nil {
			return err
		}
		pf.DropCache(lo, w.kicked-lo)
	}
	w.prevKick, w.kicked = w.kicked, w.off
	return nil
}

// dropCommitted drops the durable blob's pages past Options.CacheKept.
func (w *Writer) dropCommitted() {
	if w.s.cacheKept < 0 || w.off <= w.s.cacheKept {
		return
	}
	if pf, ok := w.f.(pageFile); ok {
		lo := max(w.prevKick, w.s.cacheKept)
		pf.DropCache(lo, w.off-lo)
	}
}

func (w *Writer) releaseBuf() {
	if w.buf == nil {
		return
	}
	*w.buf = (*w.buf)[:0]
	if cap(*w.buf) >= bigBufSize {
		bigBufs.Put(w.buf)
	} else {
		smallBufs.Put(w.buf)
	}
	w.buf = nil
}

// Write buffers p.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	written := 0
	for len(p) > 0 {
		b := w.buffer()
		if len(b) == 0 && len(p) >= cap(b) {
			m, err := w.writeFile(p)
			written += m
			w.n += int64(m)
			if err != nil {
				w.err = ioErr(err, "write temp file")
				return written, w.err
			}
			return written, nil
		}
		m := copy(b[len(b):cap(b)], p)
		*w.buf = b[:len(b)+m]
		p = p[m:]
		written += m
		w.n += int64(m)
		if len(*w.buf) == cap(*w.buf) {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// ReadFrom reads r to EOF straight into the write buffer. A read error is
// returned as is and does not poison the Writer; a write error does.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.usable(); err != nil {
		return 0, err
	}
	var total int64
	for {
		b := w.buffer()
		if len(b) == cap(b) {
			if err := w.flush(); err != nil {
				return total, err
			}
			continue
		}
		m, err := r.Read(b[len(b):cap(b)])
		*w.buf = b[:len(b)+m]
		total += int64(m)
		w.n += int64(m)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *Writer) closeFile() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// commitOrder is how Commit makes a blob durable and visible. The Store
// uses orderRenameFirst; orderSyncFirst, the order before it, is kept so
// that BenchmarkCommitOrder can measure the two side by side on the
// machine at hand (docs/benchmarks.md, "Blob writes", also has the figures
// of the other orders tried: rename, fdatasync, then fsync in series; the
// file created under its final name, no temp file).
type commitOrder uint8

const (
	// orderRenameFirst: rename into blobs/, then fdatasync the file and
	// fsync the directory at once (two goroutines). Durable and visible
	// once both returned.
	orderRenameFirst commitOrder = iota
	// orderSyncFirst: fdatasync the temp file, rename, fsync the directory
	// (until 2026-12-01): nothing torn is ever visible, at the cost of two
	// flushes in series.
	orderSyncFirst
)

// Commit makes the blob durable and visible: flush, then (orderRenameFirst)
// rename into blobs/ and, at once, fdatasync the file and fsync the
// directory. On error the blob is discarded (best effort) and never
// acknowledged. Commit after Commit or Abort is an error.
//
// Why the rename comes first: the fdatasync of a new file and the fsync of
// the directory naming it each wait for the device (on ext4, a journal
// commit and a cache flush). Issued one after the other, as before, a
// Commit waited for both in series; issued together after the rename, they
// overlap, and on ext4 the second mostly finds the journal transaction
// that holds the rename already committing (BenchmarkCommitOrder: one 1 MiB
// writer commits in the time of its fdatasync plus a millisecond, against
// fdatasync plus directory fsync before). POSIX promises nothing about
// that overlap, and correctness does not rest on it: it rests only on
// fdatasync making the file's data durable and fsync of the directory
// making an entry created before the call durable, and Commit returns
// only after both returned.
//
// What the order gives up is that a crash in the middle may leave a torn
// file under a blob name: POSIX lets the filesystem write the new entry
// back before the data (ext4 commits its journal every few seconds and on
// any other file's fsync; in data=ordered mode it writes a file's
// allocated blocks first, but delayed allocation leaves a renamed file's
// blocks unallocated until writeback, so an empty or short file can
// come back). Such a file was never acknowledged, so no metadata
// references it: it is an orphan like a blob whose metadata commit a crash
// prevented, and the orphan sweep (objects.Service.Sweep) removes it and
// fsck lists it as one. Its mtime is that of its last write, a moment
// before the rename, so on a shared directory the sweep's grace period
// spares it while a live node is still committing it, as it spared a
// committed blob waiting for its metadata before.
func (w *Writer) Commit() (ID, error) {
	if w.state != writing {
		return "", errs.New(errs.Internal, "blob: commit of a finished writer")
	}
	defer w.s.st.commit.Since(time.Now())
	err := w.flush()
	w.releaseBuf()
	if err != nil {
		w.Abort()
		return "", err
	}
	dir, final := w.s.path(w.id)
	if w.s.order == orderSyncFirst {
		err = w.syncFile()
		if cerr := w.closeFile(); err == nil && cerr != nil {
			err = ioErr(cerr, "close temp file")
		}
		if err != nil {
			w.Abort()
			return "", err
		}
	}
	if err := w.s.fs.Rename(w.tmp, final); err != nil {
		w.Abort()
		return "", ioErr(err, "rename blob %s into place", w.id)
	}
	if w.s.order == orderSyncFirst {
		if serr := w.s.syncDir(dir); serr != nil {
			err = ioErr(serr, "sync %s", dir)
		}
	} else {
		err = w.syncBoth(dir)
		if cerr := w.closeFile(); err == nil && cerr != nil {
			err = ioErr(cerr, "close blob file")
		}
	}
	if err != nil {
		// Visible but maybe not durable: take it back (best effort) rather
		// than leave a blob nobody was told about. Should the removal not
		// reach the disk, what a crash leaves is an orphan.
		w.state = aborted
		w.closeFile()
		w.s.fs.Remove(final)
		return "", err
	}
	w.state = committed
	return w.id, nil
}

// syncFile fdatasyncs the blob's file, measured.
func (w *Writer) syncFile() error {
	start := time.Now()
	err := w.f.Sync()
	w.s.st.sync.Since(start)
	if err != nil {
		return ioErr(err, "sync blob file")
	}
	w.dropCommitted()
	return nil
}

// syncBoth fdatasyncs the (renamed) blob file and fsyncs dir concurrently
// and returns the first error. The directory sync runs on a goroutine of
// its own so that both wait on the device at once.
func (w *Writer) syncBoth(dir string) error {
	done := make(chan error, 1)
	go func() { done <- w.s.syncDir(dir) }()
	err := w.syncFile()
	if derr := <-done; err == nil && derr != nil {
		err = ioErr(derr, "sync %s", dir)
	}
	return err
}

// Abort discards the blob and its temp file. It is a no-op after Commit or
// Abort.
func (w *Writer) Abort() error {
	if w.state != writing {
		return nil
	}
	w.state = aborted
	w.releaseBuf()
	w.closeFile()
	if err := w.s.fs.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ioErr(err, "remove temp file")
	}
	return nil
}
