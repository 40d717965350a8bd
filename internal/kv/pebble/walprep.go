package pebble

import (
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// prewrittenWALs makes every fresh write-ahead log look like a recycled one:
// the file is written with zeros and synced once when Pebble creates it, then
// handed back open at offset 0 (as Pebble's own recycling hands back an old
// log). Pebble only preallocates a fresh log (fallocate with KEEP_SIZE), so
// each sync of it grows the file and turns preallocated extents into written
// ones, metadata that ext4 must commit through its journal on every
// fdatasync; that commit also waits for other files' data in its transaction
// (a blob being written beside it). Overwriting blocks already written needs
// no journal commit. Pebble reads the zeros after the last record as the
// log's end, as it reads a recycled log's stale tail.
type prewrittenWALs struct {
	vfs.FS
	size int64 // Pebble's preallocation: 110% of a memtable
}

func (fs prewrittenWALs) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	if !strings.HasSuffix(name, ".log") || cat != "pebble-wal" {
		return fs.FS.Create(name, cat)
	}
	f, err := fs.FS.Create(name, cat)
	if err != nil {
		return nil, err
	}
	if err := fs.fill(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return fs.FS.ReuseForWrite(name, name, cat)
}

func (fs prewrittenWALs) fill(f vfs.File) error {
	zeros := make([]byte, min(fs.size, 1<<20))
	for left := fs.size; left > 0; left -= int64(len(zeros)) {
		if _, err := f.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
			return err
		}
	}
	return f.SyncData()
}
