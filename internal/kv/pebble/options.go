package pebble

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Options configures a Store. The zero value of every field but Dir is valid.
type Options struct {
	// Dir is the database directory (created if missing). Required.
	Dir string
	// FS is the filesystem; nil means vfs.Default (the operating system's).
	// Tests use vfs.NewMem or vfs.NewCrashableMem.
	FS vfs.FS
	// CacheSize is the block cache size in bytes. Default 64 MiB.
	CacheSize int64
	// MemTableSize is the size of one memtable in bytes. Default 64 MiB.
	// Up to MemTableStopWritesThreshold (4) of them may be in memory while
	// flushes fall behind, and Pebble preallocates each write-ahead log
	// file to 110% of it, so it also sets the size of a fresh database.
	MemTableSize int64
	// BlockSize is the target uncompressed size of an sstable data block,
	// in bytes: what a point read or a seek that misses the block cache
	// reads, checksums and decompresses. Default 4 KiB (Pebble's own
	// default). Larger blocks make the index smaller (the index and bloom
	// filter blocks, which every Get reads, must stay in the cache: about
	// 3 bytes per key at 4 KiB) but every miss dearer: once the metadata
	// outgrew the cache, 32 KiB blocks made HEAD and GET cost 1.6 to 2.5
	// times the CPU and a delimiter listing (one seek per common prefix)
	// 1.7 to 5 times (docs/benchmarks.md, "Scale checks").
	BlockSize int
	// SeparateValuesFrom is the value size in bytes from which Pebble keeps
	// a value in a blob file beside the sstables, the sstable holding only
	// the key and a reference, so that compactions rewrite the reference
	// and not the value. Default 1 KiB: the records that carry a small
	// object's body (4 KiB objects are inline) go to blob files, the
	// metadata records (a few hundred bytes) stay in the sstables. With
	// 4 KiB records compactions wrote 3.7 times what the WAL did and, on
	// the same disk, doubled the WAL's sync latency (docs/benchmarks.md,
	// "The WAL's ceiling"). -1 keeps every value in its sstable.
	SeparateValuesFrom int
	// ConflictLogBytes bounds the key bytes of recent commits kept for the
	// conflict checks (occ.go); a transaction older than what it holds is
	// retried. Default 64 MiB.
	ConflictLogBytes int
	// Logger receives Pebble's messages: informational ones at debug level,
	// errors at error level. nil: informational messages are dropped and
	// errors go to slog.Default().
	Logger *slog.Logger
	// ReadOnly opens the database without writing to it (offline checks:
	// coffer fsck); Update fails. The directory lock is taken all the same,
	// so a database a running server holds is refused.
	ReadOnly bool
	// DeleteCompaction compacts a key range soon after many point deletes
	// in it (compact.go), so that a bulk delete's space comes back.
	DeleteCompaction DeleteCompactionOptions
	// NoSync commits without asking for the WAL fsync: Update returns once
	// its commit is applied and handed to the WAL writer, so a power cut
	// may lose the latest acknowledged commits (a process crash loses
	// nothing the kernel received). Close still syncs the WAL. It exists
	// for bulk loads whose durability does not matter and whose cost would
	// otherwise be the fsync (bench/scale fills a bucket of millions of
	// objects with it, then reopens the store without it before
	// measuring); the server never sets it.
	NoSync bool

	// Test knobs (zero means the default).
	maxAttempts   int  // Update attempts before ErrConflict; default 50
	logEntries    int  // commits retained for conflict checks; default 64k
	syncUnderLock bool // benchmark baseline: hold the commit lock across the fsync
}

const (
	defaultCacheSize    = 64 << 20
	defaultMemTableSize = 64 << 20
	defaultBlockSize    = 4 << 10
	minBlockSize        = 1 << 10
	maxBlockSize        = 1 << 20
	defaultSeparateFrom = 1 << 10
	defaultMaxAttempts  = 50
	defaultLogEntries   = 1 << 16
	defaultLogBytes     = 64 << 20
)

// Validate reports every problem with the options at once.
func (o *Options) Validate() error {
	var problems []error
	if o.Dir == "" {
		problems = append(problems, errors.New("kv/pebble: Options.Dir is required"))
	}
	if o.CacheSize < 0 {
		problems = append(problems, fmt.Errorf("kv/pebble: Options.CacheSize %d is negative", o.CacheSize))
	}
	if o.MemTableSize != 0 && (o.MemTableSize < 1<<20 || o.MemTableSize >= 4<<30) {
		problems = append(problems, fmt.Errorf("kv/pebble: Options.MemTableSize %d is outside [1 MiB, 4 GiB)", o.MemTableSize))
	}
	if o.BlockSize != 0 && (o.BlockSize < minBlockSize || o.BlockSize > maxBlockSize) {
		problems = append(problems, fmt.Errorf("kv/pebble: Options.BlockSize %d is outside [1 KiB, 1 MiB]", o.BlockSize))
	}
	if o.SeparateValuesFrom < -1 || o.SeparateValuesFrom > 0 && o.SeparateValuesFrom < 64 {
		problems = append(problems, fmt.Errorf("kv/pebble: Options.SeparateValuesFrom %d must be -1 (off), 0 (default) or at least 64", o.SeparateValuesFrom))
	}
	if o.ConflictLogBytes != 0 && o.ConflictLogBytes < 1<<20 {
		problems = append(problems, fmt.Errorf("kv/pebble: Options.ConflictLogBytes %d is below 1 MiB", o.ConflictLogBytes))
	}
	if o.NoSync && o.ReadOnly {
		problems = append(problems, errors.New("kv/pebble: Options.NoSync with ReadOnly: a read-only store commits nothing"))
	}
	problems = append(problems, o.DeleteCompaction.validate()...)
	return errors.Join(problems...)
}

func (o *Options) withDefaults() Options {
	out := *o
	if out.FS == nil {
		out.FS = vfs.Default
	}
	if out.CacheSize == 0 {
		out.CacheSize = defaultCacheSize
	}
	if out.MemTableSize == 0 {
		out.MemTableSize = defaultMemTableSize
	}
	if out.BlockSize == 0 {
		out.BlockSize = defaultBlockSize
	}
	if out.SeparateValuesFrom == 0 {
		out.SeparateValuesFrom = defaultSeparateFrom
	}
	if out.maxAttempts <= 0 {
		out.maxAttempts = defaultMaxAttempts
	}
	if out.logEntries <= 0 {
		out.logEntries = defaultLogEntries
	}
	if out.ConflictLogBytes <= 0 {
		out.ConflictLogBytes = defaultLogBytes
	}
	out.DeleteCompaction = out.DeleteCompaction.withDefaults()
	return out
}

// PebbleOptions returns the pebble.Options that Open uses for o (defaults
// filled in) and the block cache they point at, which the caller must Unref
// after pebble.Open. It is for tools that measure Pebble under the store's
// own configuration without its transaction layer (bench/walceiling); the
// store itself opens through Open.
func (o Options) PebbleOptions() (*pebble.Options, *pebble.Cache, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	d := o.withDefaults()
	cache := pebble.NewCache(d.CacheSize)
	return d.pebbleOptions(cache), cache, nil
}

// pebbleOptions tunes Pebble for a metadata workload: many small point reads
// and prefix scans, small transactions, sync commits. The caller owns cache
// and must Unref it after pebble.Open.
func (o *Options) pebbleOptions(cache *pebble.Cache) *pebble.Options {
	compactions := min(max(runtime.GOMAXPROCS(0)/2, 1), 4)
	po := &pebble.Options{
		FS:                 o.FS,
		Cache:              cache,
		FormatMajorVersion: pebble.FormatNewest,
		ReadOnly:           o.ReadOnly,
		Logger:             newPebbleLogger(o.Logger),
		// Large memtables absorb bursts of metadata writes; up to 4 of them
		// may queue for flushing before writes stall.
		MemTableSize:                uint64(o.MemTableSize),
		MemTableStopWritesThreshold: 4,
		// Compact L0 early (reads of point keys pay for every L0 sublevel),
		// stall only when compactions fall far behind.
		L0CompactionThreshold: 2,
		L0StopWritesThreshold: 24,
		LBaseMaxBytes:         64 << 20,
		CompactionConcurrencyRange: func() (int, int) {
			return 1, compactions
		},
	}
	if from := o.SeparateValuesFrom; from > 0 {
		po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
			return pebble.ValueSeparationPolicy{
				Enabled:     true,
				MinimumSize: from,
				// A table may reference up to 10 overlapping blob files
				// before a compaction rewrites its values into new ones:
				// it bounds the files a read of a key range touches.
				MaxBlobReferenceDepth: 10,
				// Deleted values stay in their blob file until it is
				// rewritten: once a fifth of a file is garbage and the
				// file is a minute old. A file none of whose values is
				// referenced any more goes at once.
				RewriteMinimumAge:  time.Minute,
				TargetGarbageRatio: 0.2,
			}
		}
	}
	for i := range po.Levels {
		// Bloom filters make Gets of absent keys (very common: existence
		// checks, conditional writes) cheap, and let a Get of a present
		// key skip every level but the one holding it. Filter and index
		// blocks are read on every Get of their table, the hottest blocks
		// of the cache; data blocks of a bucket much larger than the cache
		// miss.
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		// Small data blocks: a uniformly spread point read (HEAD, GET)
		// or a seek (a delimiter listing seeks past every common prefix)
		// that misses the cache decompresses one small block, not 32 KiB
		// for one record. The index blocks follow BlockSize (Pebble's
		// default), so a miss on one is as cheap.
		po.Levels[i].BlockSize = o.BlockSize
	}
	return po
}

// pebbleLogger routes Pebble's logging to slog.
type pebbleLogger struct {
	l       *slog.Logger
	verbose bool // informational messages are wanted (at debug level)
}

func newPebbleLogger(l *slog.Logger) pebbleLogger {
	if l == nil {
		return pebbleLogger{l: slog.Default()}
	}
	return pebbleLogger{l: l, verbose: true}
}

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.verbose && p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf is called by Pebble when it cannot continue safely (e.g. a failed
// WAL write); it must not return.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble", "fatal", true)
	panic("kv/pebble: " + msg)
}
