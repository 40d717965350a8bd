// Package objects implements S3 object semantics once, above storage:
// buckets, versions and delete markers, the null version, conditional
// writes, listings, multipart uploads and quotas. It stores metadata in kv
// and object data in blob (or inline in the metadata record when small).
//
// Durability: a write first makes its data durable (blob.Commit fsyncs the
// file and its directory), then commits one kv transaction holding the
// version record, the 'R' reference of each new blob and a 'G' garbage entry
// for each blob it replaces; the kv commit is durable before the call
// returns. A crash before the commit leaves an unreferenced blob, which the
// startup sweep removes; a crash after it leaves garbage entries, which the
// collector finishes.
package objects

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kms"
	"coffer/internal/kv"
	"coffer/internal/md5x"
)

// Options configures the object layer.
type Options struct {
	// KV holds the metadata. Required.
	KV kv.Store
	// Blobs holds object data. Required.
	Blobs *blob.Store
	// InlineMax is the largest object (or part) kept inside its metadata
	// record instead of a blob file. Default 64 KiB; -1 disables inlining.
	InlineMax int64
	// MinPartSize is the smallest size of a multipart part other than the
	// last. Default 5 MiB (AWS's limit); tests may lower it.
	MinPartSize int64
	// MaxParts is the largest part number. Default 10,000.
	MaxParts int
	// GCInterval is how often the collector looks for garbage even when no
	// write signalled any. Default 30 s.
	GCInterval time.Duration
	// Logger receives background errors. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Keys seals and opens the data keys of encrypted objects (SSE-S3,
	// SSE-KMS). Nil: requests for those modes fail with NotImplemented.
	Keys kms.Service
	// UsageFoldBatch is how many usage delta records FoldUsage folds in one
	// transaction: a bucket written a million times between two folds is
	// folded in bounded batches rather than one transaction the stores
	// refuse. Default 10,000; tests lower it.
	UsageFoldBatch int
	// DeleteBatch is how many keys of a DeleteObjects share one
	// transaction (one commit, one WAL sync). Default 1,000, S3's limit per
	// request; tests lower it.
	DeleteBatch int
	// MD5 hashes the ETag MD5 of large copies side by side (md5x); nil:
	// crypto/md5. Not closed by Close: the process owns it.
	MD5 *md5x.Server
}

func (o *Options) withDefaults() Options {
	out := *o
	if out.InlineMax == 0 {
		out.InlineMax = 64 << 10
	}
	if out.MinPartSize == 0 {
		out.MinPartSize = 5 << 20
	}
	if out.MaxParts == 0 {
		out.MaxParts = 10000
	}
	if out.GCInterval == 0 {
		out.GCInterval = 30 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	if out.UsageFoldBatch == 0 {
		out.UsageFoldBatch = 10000
	}
	if out.DeleteBatch == 0 {
		out.DeleteBatch = 1000
	}
	return out
}

// Validate reports every problem with the options at once.
func (o *Options) Validate() error {
	var problems []error
	if o.KV == nil {
		problems = append(problems, errors.New("objects: Options.KV is required"))
	}
	if o.Blobs == nil {
		problems = append(problems, errors.New("objects: Options.Blobs is required"))
	}
	if o.InlineMax > 1<<20 {
		problems = append(problems, errors.New("objects: InlineMax must be at most 1 MiB"))
	}
	if o.MinPartSize < 0 {
		problems = append(problems, errors.New("objects: MinPartSize must not be negative"))
	}
	if o.MaxParts < 0 || o.MaxParts > 10000 {
		problems = append(problems, errors.New("objects: MaxParts must be within 1..10000"))
	}
	if o.UsageFoldBatch < 0 {
		problems = append(problems, errors.New("objects: UsageFoldBatch must not be negative"))
	}
	if o.DeleteBatch < 0 {
		problems = append(problems, errors.New("objects: DeleteBatch must not be negative"))
	}
	return errors.Join(problems...)
}

// Service is the object layer. It is safe for concurrent use.
type Service struct {
	opts  Options
	kv    kv.Store
	blobs *blob.Store
	log   *slog.Logger

	lastSeq atomic.Uint64 // the clock's monotonic floor

	// gcMu serializes collection passes: a pass takes its 'G' records before
	// removing their files, so a concurrent pass must wait for it to finish
	// rather than find nothing left and return while files remain.
	gcMu sync.Mutex
	// gcRemoved counts the garbage blobs deleted (metrics, stats.go).
	gcRemoved atomic.Uint64
	// gcPasses counts collection passes (metrics, stats.go).
	gcPasses atomic.Uint64

	// testHookBeforeOpen, when set (by tests, before any request), runs
	// between a read's lookup and the open of its blobs, to interleave a
	// concurrent write and collection.
	testHookBeforeOpen func()

	buckets bucketCache // decoded bucket records of the read paths (bucketcache.go)

	gcKick chan struct{}
	// foldKick asks the collector for a usage fold; deltas counts the
	// usage deltas written (chargeUsage), which kick it every foldEvery.
	foldKick chan struct{}
	deltas   atomic.Uint64
	// testHookFold, when set (by tests), runs inside a folding transaction
	// after its first delta is read.
	testHookFold func()
	gcGate       atomic.Pointer[func() bool] // SetCollectorGate
	stop         chan struct{}
	wg           sync.WaitGroup
}

// New opens the object layer and starts its background collector. Call
// Sweep once at startup, before serving, to remove what a crash left.
func New(opts Options) (*Service, error) {
	o := opts.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Service{opts: o, kv: o.KV, blobs: o.Blobs, log: o.Logger,
		gcKick: make(chan struct{}, 1), foldKick: make(chan struct{}, 1), stop: make(chan struct{})}
	if err := s.seqPastFolds(context.Background()); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go s.collector()
	return s, nil
}

// Close stops the background work. It does not close KV or Blobs.
func (s *Service) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
	return nil
}

// nextSeq returns a strictly increasing timestamp (Unix nanoseconds) that is
// also greater than floor, so a key's versions are ordered even when the
// wall clock steps back or another node's clock is ahead.
func (s *Service) nextSeq(floor uint64) uint64 {
	now := uint64(s.opts.Now().UnixNano())
	for {
		last := s.lastSeq.Load()
		next := max(now, last+1, floor+1)
		if s.lastSeq.CompareAndSwap(last, next) {
			return next
		}
	}
}

func internal(err error, what string) error { return errs.FromStorage(err, what, kv.ErrConflict) }

func (s *Service) view(ctx context.Context, what string, fn func(tx kv.Reader) error) error {
	return internal(s.kv.View(ctx, fn), what)
}

func (s *Service) update(ctx context.Context, what string, fn func(tx kv.Txn) error) error {
	return internal(s.kv.Update(ctx, fn), what)
}
