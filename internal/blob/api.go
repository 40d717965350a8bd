// Package blob stores object data as immutable files in a directory (local
// disk, or a shared filesystem for several nodes). Object keys never become
// file paths: a blob is named by a random ID. A blob is acknowledged (Commit
// returns its ID) only once it is durable: written to a temp file, renamed
// into place, then the file fdatasynced and the directory fsynced at once. A
// crash before that may leave an unacknowledged, possibly torn file under a
// blob name, which no metadata references: the orphan sweep removes it. All
// disk I/O goes through the FS seam so that a test can simulate a power cut
// (drop every write that was not synced, or keep directory changes while
// dropping unsynced data).
package blob

import (
	"io"
	"os"
	"time"
)

// ID names a blob: 32 lowercase hex characters.
type ID string

// ReadHandle reads a committed blob.
type ReadHandle interface {
	io.ReaderAt
	io.Closer
	Size() int64
	// File returns the underlying *os.File when the blob lives on the real
	// OS filesystem (so HTTP can sendfile it), or nil.
	File() *os.File
}

// BlobInfo is what Walk reports of each committed blob.
type BlobInfo struct {
	ID      ID
	Size    int64
	ModTime time.Time
}

// The methods of *Store (see store.go):
//
//	Open(opts Options) (*Store, error)
//	(*Store).Create() (*Writer, error)          // a new blob, not yet visible
//	(*Writer).Write(p []byte) (int, error)
//	(*Writer).Commit() (ID, error)              // durable and visible on return
//	(*Writer).Abort() error                     // discards; safe after Commit (no-op)
//	(*Store).Open(id ID) (ReadHandle, error)    // errs.NotFound-kind error when absent
//	(*Store).Remove(id ID) error                // idempotent; durable on return
//	(*Store).Walk(fn func(BlobInfo) error) error
//	(*Store).SweepTemp() error                  // removes leftover temp files (startup)
var _ = io.EOF
