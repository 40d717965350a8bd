// Command scale fills one bucket with many small objects through the object
// layer (internal/objects over the embedded Pebble store on disk, no HTTP)
// and, each time the bucket reaches a checkpoint size, measures listing and
// read latency, so that a latency growing with the bucket's size shows up
// (issue 12, scale checks).
//
//	go run ./bench/scale -objects 10000000 -dir /tmp/scale
//
// Keys are spread uniformly over the key space (a bijective mix of the
// object's index names it, under one of -dirs "directories"), so that a
// smaller bucket is a uniform sample of a larger one and a listing at any
// position sees a bucket of the current size, not an appended tail.
//
// At each checkpoint, one client (sequential calls, no other load) measures:
//
//	list-first   ListObjects, max-keys 1000, from the start
//	list-middle  ListObjects, max-keys 1000, after a random existing key
//	list-delim   ListObjects, delimiter "/", max-keys 1000, from the start
//	             (one common prefix per directory: a seek past each)
//	head         HeadObject of a random existing key
//	get          GetObject of a random existing key, body read and checked
//
// The fill runs unsynced (-fill-sync=false, the default; pebble.Options.NoSync)
// and puts each segment between checkpoints one slice of the key space after
// the other (-pass-objects); before each measurement the store is closed,
// which syncs it, and reopened with the server's options, so every figure is
// the server's configuration's. See docs/benchmarks.md, "To 10 million
// objects".
//
// The data directory is created fresh (refused when not empty) and removed
// at the end unless -keep.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/kv/pebble"
	"coffer/internal/loadgen"
	"coffer/internal/objects"
	"coffer/internal/server"

	"github.com/cockroachdb/pebble/v2/vfs"
)

const (
	tenant     = "scale"
	bucketName = "scale"
)

// Config is one run.
type Config struct {
	Dir         string // fresh data directory (created)
	Objects     int    // objects to put in total
	Checkpoints []int  // bucket sizes to measure at (those <= Objects; Objects itself always)
	Dirs        int    // directories the keys spread over
	BodySize    int    // bytes per object (inline in its record when small)
	Concurrency int    // concurrent PutObject calls while filling
	Samples     int    // HEAD and GET samples per checkpoint
	ListSamples int    // samples of each listing per checkpoint
	Seed        uint64 // of the random choice of sampled keys
	// MemoryBudget sizes Pebble's cache, memtables and conflict log as
	// the server's --memory-budget does (server.PlanMemory); 0: the
	// server's default.
	MemoryBudget int64
	// BlockSize is Pebble's data block size (pebble.Options.BlockSize);
	// 0: the store's default. For comparing block sizes only.
	BlockSize int
	// FoldEvery: the fill pauses after this many objects to fold the
	// bucket's usage deltas (objects.Service.FoldUsage) with no write
	// running. The collector's own periodic fold is turned off: under a
	// sustained write load into one bucket it conflicts with every PUT and
	// gives up (see docs/benchmarks.md, "Scale checks").
	FoldEvery  int
	ProfileDir string // when set: a CPU profile of each fill and of each operation measured, per checkpoint
	// SettleMax bounds the wait for the process to go idle after a fill
	// (0: no wait).
	SettleMax time.Duration
	// PassObjects is about how many objects the fill puts into one slice
	// of the key space before the next (fill); the slices are whole
	// directories, so there are at most Dirs of them.
	PassObjects int
	Progress    io.Writer
	// Stop, when closed, ends the fill early: the run measures once more
	// at the size reached and ends (main closes it on SIGINT/SIGTERM).
	Stop <-chan struct{}
	// FillSync: every PutObject of the fill waits for its WAL fsync, as on
	// the server. Off (the default), the fill runs on a store opened with
	// pebble.Options.NoSync, which is closed (syncing its WAL) and reopened
	// with the server's options before each measurement: the read latency
	// against the bucket's size does not depend on how the bucket was
	// filled, and the fsyncs made the fill of 10M objects take hours.
	FillSync bool
	// FillMemTable, when set (with FillSync off only), is the memtable
	// size the fill runs with instead of the server's: fewer flushes and
	// L0 tables for its reads to look through and compact. The
	// measurements run with the server's all the same.
	FillMemTable int64

	// Test hooks. metaFS is the Pebble store's filesystem (nil: the
	// operating system's); beforeMeasure, when set, is called with the
	// store about to be measured.
	metaFS        vfs.FS
	beforeMeasure func(n int, e *env) error
}

func (c *Config) validate() error {
	var p []error
	if c.Dir == "" {
		p = append(p, errors.New("-dir is required"))
	}
	if c.Objects < 1 {
		p = append(p, errors.New("-objects must be at least 1"))
	}
	if c.Dirs < 1 || c.Dirs > 100000 {
		p = append(p, errors.New("-dirs must be within 1..100000"))
	}
	if c.BodySize < 1 {
		p = append(p, errors.New("-body must be at least 1"))
	}
	if c.Concurrency < 1 {
		p = append(p, errors.New("-concurrency must be at least 1"))
	}
	if c.PassObjects < 1 {
		p = append(p, errors.New("-pass-objects must be at least 1"))
	}
	if c.Samples < 1 || c.ListSamples < 1 {
		p = append(p, errors.New("-samples and -list-samples must be at least 1"))
	}
	if c.FillMemTable != 0 && c.FillSync {
		p = append(p, errors.New("-fill-memtable-mib needs an unsynced fill (-fill-sync=false): a synced fill is measured on the store it ran on"))
	}
	if _, err := server.PlanMemory(c.MemoryBudget); err != nil {
		p = append(p, err)
	}
	if err := (&pebble.Options{Dir: c.Dir, BlockSize: c.BlockSize, MemTableSize: c.FillMemTable}).Validate(); err != nil {
		p = append(p, err)
	}
	return errors.Join(p...)
}

// Latency summarizes the samples of one operation.
type Latency struct {
	Op      string  `json:"op"`
	Samples int     `json:"samples"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
	MaxUs   float64 `json:"max_us"`
	// Items is the mean number of keys and common prefixes per answer
	// (listings), which must not shrink as the bucket grows.
	Items float64 `json:"items,omitempty"`
	// CPUus is the process's CPU time (user+system, every goroutine,
	// Pebble's background work included) per call: unlike the wall
	// latency, it does not depend on how busy the machine is.
	CPUus float64 `json:"cpu_us"`
}

// Checkpoint is what was measured at one bucket size.
type Checkpoint struct {
	Objects    int     `json:"objects"`
	PutSeconds float64 `json:"put_seconds"` // filling from the previous checkpoint
	PutRate    float64 `json:"put_per_second"`
	MetaBytes  int64   `json:"meta_bytes"` // the Pebble directory on disk
	RSSBytes   int64   `json:"rss_bytes"`
	Load       string  `json:"load"` // /proc/loadavg when measured
	// ReadAmp is Pebble's read amplification (L0 sublevels plus
	// non-empty levels) when measured; GaveUp the Updates that failed
	// with a conflict so far (the usage fold's, under a write load).
	ReadAmp int `json:"read_amp"`
	// FoldSeconds is the time the fill spent in its usage folds.
	FoldSeconds float64 `json:"fold_seconds"`
	// GetBucketUnfoldedUs is the slowest GetBucket call timed just before
	// a fold, with UnfoldedDeltas usage deltas waiting.
	GetBucketUnfoldedUs float64 `json:"get_bucket_unfolded_us"`
	UnfoldedDeltas      int     `json:"unfolded_deltas"`
	// SettleSeconds is how long the process took to go idle after the
	// fill (background flushes and compactions), before measuring.
	SettleSeconds float64 `json:"settle_seconds"`
	// ReopenSeconds is the time taken to close the store the fill ran on
	// (unsynced) and open it with the server's options (0: a synced fill,
	// measured on the store it ran on).
	ReopenSeconds float64 `json:"reopen_seconds"`
	// Passes is the number of slices of the key space the segment was put
	// in, one after the other.
	Passes int `json:"passes"`
	// Stopped: the fill was stopped early and this is the size reached.
	Stopped bool      `json:"stopped,omitempty"`
	GaveUp  uint64    `json:"gave_up"`
	Ops     []Latency `json:"ops"`
}

// Report is a run.
type Report struct {
	Config Config `json:"-"`
	// FillSync: the fill's commits waited for their WAL fsync; false: it
	// ran unsynced and every measurement on the store reopened synced.
	FillSync bool `json:"fill_sync"`
	// Pebble is the store's configuration, defaults filled in.
	Pebble struct {
		CacheBytes    int64 `json:"cache_bytes"`
		MemTableBytes int64 `json:"memtable_bytes"`
		BlockSize     int   `json:"block_size"`
	} `json:"pebble"`
	Checkpoints []Checkpoint `json:"checkpoints"`
}

// mix is a bijection on uint64 (SplitMix64's finalizer): distinct indexes
// get distinct, uniformly spread names.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func objectKey(i, dirs int) string {
	m := mix(uint64(i))
	return fmt.Sprintf("d%05d/%016x", m%uint64(dirs), m)
}

// objectBody is object i's content, so a read can be checked.
func objectBody(i, size int) []byte {
	b := make([]byte, size)
	s := strconv.Itoa(i) + ":"
	for j := range b {
		b[j] = s[j%len(s)]
	}
	return b
}

type env struct {
	svc *objects.Service
	kv  *pebble.Store
	bl  *blob.Store
}

// storeOptions says how to open the object layer for a run.
type storeOptions struct {
	Dir string
	// MetaFS is the filesystem of the Pebble store (nil: the operating
	// system's); tests use a crashable one to check durability.
	MetaFS       vfs.FS
	MemoryBudget int64
	// MemTable, when set, overrides the memtable size planned from the
	// budget.
	MemTable  int64
	BlockSize int
	// NoSync: commits do not wait for a WAL fsync (pebble.Options.NoSync),
	// for the fill only; measurements run on a store opened without it.
	NoSync bool
}

// open opens the object layer in dir, with Pebble sized from the budget as
// the server sizes it, so that the cache the measurements miss is the
// server's.
func open(o storeOptions) (*env, error) {
	mem, err := server.PlanMemory(o.MemoryBudget)
	if err != nil {
		return nil, err
	}
	if o.MemTable != 0 {
		mem.PebbleMemTable = o.MemTable
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(o.Dir, "meta"), FS: o.MetaFS, Logger: logger,
		CacheSize: mem.PebbleCache, MemTableSize: mem.PebbleMemTable, ConflictLogBytes: mem.PebbleConflictLog,
		DeleteCompaction: pebble.DeleteCompactionOptions{Skip: objects.ChurnPrefixes()}, // as internal/server opens it
		BlockSize:        o.BlockSize, NoSync: o.NoSync})
	if err != nil {
		return nil, err
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(o.Dir, "data")})
	if err != nil {
		st.Close()
		return nil, err
	}
	svc, err := objects.New(objects.Options{KV: st, Blobs: bl, Logger: logger, GCInterval: 1000 * time.Hour})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &env{svc: svc, kv: st, bl: bl}, nil
}

func (e *env) close() error {
	return errors.Join(e.svc.Close(), e.kv.Close())
}

// Run fills the bucket and measures at each checkpoint.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(cfg.Dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s is not empty", cfg.Dir)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	// The server's configuration, and the fill's (the same but for the
	// WAL's fsync unless cfg.FillSync).
	measureOpts := storeOptions{Dir: cfg.Dir, MetaFS: cfg.metaFS, MemoryBudget: cfg.MemoryBudget, BlockSize: cfg.BlockSize}
	fillOpts := measureOpts
	fillOpts.NoSync, fillOpts.MemTable = !cfg.FillSync, cfg.FillMemTable
	e, err := open(fillOpts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if e != nil {
			e.close()
		}
	}()
	if _, err := e.svc.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: bucketName, Owner: "scale"}); err != nil {
		return nil, err
	}
	var points []int
	for _, c := range cfg.Checkpoints {
		if c > 0 && c < cfg.Objects {
			points = append(points, c)
		}
	}
	points = append(points, cfg.Objects)
	slices.Sort(points)
	points = slices.Compact(points)

	rep := &Report{Config: cfg, FillSync: cfg.FillSync}
	pc := e.kv.Config()
	rep.Pebble.CacheBytes, rep.Pebble.MemTableBytes, rep.Pebble.BlockSize = pc.CacheSize, pc.MemTableSize, pc.BlockSize
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "pebble: block cache %d MiB, memtable %d MiB, data blocks of %d bytes\n",
			pc.CacheSize>>20, pc.MemTableSize>>20, pc.BlockSize)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 12))
	last := false
	var done atomic.Int64 // objects put so far
	stopProgress := progress(cfg.Progress, &done)
	defer stopProgress()
	set := present{dirs: cfg.Dirs}
	for _, n := range points {
		if last {
			break
		}
		start := time.Now()
		stop := profile(cfg.ProfileDir, fmt.Sprintf("fill-%d", n))
		var foldTime time.Duration
		var cp0 struct {
			GetBucketMax    time.Duration
			GetBucketDeltas int
		}
		// The segment is put one slice of the key space (a run of
		// directories) after the other, cfg.PassObjects objects or so
		// each: then every memtable flushed holds a narrow key range,
		// which is compacted into the next level with the few tables
		// there that overlap it, where objects in index order (spread
		// over the whole key space) rewrote most of it each time. What the
		// bucket holds at each checkpoint is the same.
		set = present{have: set.count(), end: n, dirs: cfg.Dirs, passes: min(max((n-set.count()+cfg.PassObjects-1)/cfg.PassObjects, 1), cfg.Dirs)}
		sinceFold := 0
		for set.done < set.passes {
			select {
			case <-cfg.Stop:
				last = true
			default:
			}
			if last {
				break
			}
			k, err := fill(ctx, e.svc, cfg, set, &done)
			if err != nil {
				stop()
				return rep, err
			}
			set.done++
			set.put += k
			sinceFold += k
			if set.done < set.passes && (cfg.FoldEvery == 0 || sinceFold < cfg.FoldEvery) {
				continue
			}
			// GetBucket (which the S3 layer calls on every PUT without
			// Content-MD5 or a checksum, for the Object Lock check) reads
			// every unfolded usage delta: time it just before the fold.
			t := time.Now()
			if _, err := e.svc.GetBucket(ctx, tenant, bucketName); err != nil {
				stop()
				return rep, err
			}
			if d := time.Since(t); d > cp0.GetBucketMax {
				cp0.GetBucketMax, cp0.GetBucketDeltas = d, sinceFold
			}
			t = time.Now()
			if err := e.svc.FoldUsage(ctx); err != nil {
				stop()
				return rep, fmt.Errorf("fold usage at %d objects: %w", set.count(), err)
			}
			foldTime += time.Since(t)
			sinceFold = 0
		}
		stop()
		el := time.Since(start).Seconds()
		n = set.count()
		cp := Checkpoint{Objects: n, PutSeconds: el, PutRate: float64(set.put) / el, FoldSeconds: foldTime.Seconds(), Stopped: last,
			GetBucketUnfoldedUs: us(cp0.GetBucketMax), UnfoldedDeltas: cp0.GetBucketDeltas, Passes: set.done}
		if fillOpts != measureOpts {
			t := time.Now()
			if e, err = reopen(e, measureOpts); err != nil {
				return rep, err
			}
			cp.ReopenSeconds = time.Since(t).Seconds()
		}
		st := e.kv.Stats()
		cp.ReadAmp, cp.GaveUp = st.ReadAmp, st.GaveUp
		// The CPU per call counts the whole process: wait for the fill's
		// flushes and compactions to end first, so they are not charged to
		// the first operations measured.
		cp.SettleSeconds = settle(cfg.SettleMax).Seconds()
		if cfg.beforeMeasure != nil {
			if err := cfg.beforeMeasure(n, e); err != nil {
				return rep, err
			}
		}
		cp.Ops, err = measure(ctx, e.svc, cfg, set, rng)
		if err != nil {
			return rep, err
		}
		cp.MetaBytes = dirBytes(filepath.Join(cfg.Dir, "meta"))
		cp.RSSBytes = rss()
		cp.Load = loadgen.LoadAvg()
		rep.Checkpoints = append(rep.Checkpoints, cp)
		if cfg.Progress != nil {
			printCheckpoint(cfg.Progress, cp)
		}
		if fillOpts != measureOpts && !last && n < points[len(points)-1] {
			if e, err = reopen(e, fillOpts); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// reopen closes e (Pebble's Close syncs its WAL, so every commit of an
// unsynced fill is durable once it returns) and opens the directory again
// with o. On an error e is closed and nil is returned.
func reopen(e *env, o storeOptions) (*env, error) {
	if err := e.close(); err != nil {
		return nil, fmt.Errorf("close the store to reopen it: %w", err)
	}
	return open(o)
}

// present is the set of objects in the bucket: every index below have, and
// of [have, end) those in the first done of passes slices of the key space.
type present struct {
	have, end    int
	dirs, passes int
	done         int // slices put
	put          int // objects of [have, end) put
}

// slice is the slice of the key space object i's key falls in: its
// directory's share of passes.
func (p present) slice(i int) int {
	return int(mix(uint64(i))%uint64(p.dirs)) * p.passes / p.dirs
}

func (p present) contains(i int) bool {
	if i < p.have {
		return true
	}
	return i < p.end && p.slice(i) < p.done
}

func (p present) count() int { return p.have + p.put }

// pick returns a random object of the set (its index). The set holds at
// least one object.
func (p present) pick(rng *rand.Rand) int {
	for {
		if i := rng.IntN(p.end); p.contains(i) {
			return i
		}
	}
}

// fill puts the objects of [set.have, set.end) in slice set.done with
// cfg.Concurrency concurrent calls and returns how many it put; done counts
// them as they go.
func fill(ctx context.Context, svc *objects.Service, cfg Config, set present, done *atomic.Int64) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Workers claim runs of indexes (one atomic add per run, not per
	// index: most indexes of a run belong to other slices).
	const run = 1024
	var next atomic.Int64
	next.Store(int64(set.have))
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	var put atomic.Int64
	for range cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				lo := int(next.Add(run) - run)
				if lo >= set.end {
					return
				}
				for i := lo; i < min(lo+run, set.end) && ctx.Err() == nil; i++ {
					if set.slice(i) != set.done {
						continue
					}
					data := objectBody(i, cfg.BodySize)
					body, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
					if err == nil {
						_, err = svc.PutObject(ctx, objects.PutInput{Tenant: tenant, Bucket: bucketName,
							Key: objectKey(i, cfg.Dirs), Body: body, Size: int64(len(data)), Owner: "scale"})
					}
					if err != nil {
						once.Do(func() { firstErr = fmt.Errorf("put object %d: %w", i, err); cancel() })
						return
					}
					put.Add(1)
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(put.Load()), firstErr
}

// progress prints the number of objects put every 30 s until its stop is
// called (nothing when w is nil).
func progress(w io.Writer, done *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		start, last := time.Now(), done.Load()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				d := done.Load()
				fmt.Fprintf(w, "  filling: %d put (%.0f/s over the last 30 s, %.0f/s since the start), load %s\n", d,
					float64(d-last)/30, float64(d)/time.Since(start).Seconds(), loadgen.LoadAvg())
				last = d
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit) }) }
}

// measure samples each operation against a bucket of n objects.
func measure(ctx context.Context, svc *objects.Service, cfg Config, set present, rng *rand.Rand) ([]Latency, error) {
	n := set.count()
	if n == 0 {
		return nil, nil // a fill stopped before its first object
	}
	list := func(in objects.ListInput) (int, error) {
		in.Tenant, in.Bucket = tenant, bucketName
		out, err := svc.ListObjects(ctx, in)
		if err != nil {
			return 0, err
		}
		got := len(out.Objects) + len(out.CommonPrefixes)
		want := min(in.MaxKeys, n)
		if in.Delimiter != "" {
			want = min(in.MaxKeys, cfg.Dirs, n)
		}
		// A page after a key may end the listing; a full page is
		// required of the others (every directory exists once n is well
		// above cfg.Dirs; below, fewer prefixes are fine, as they are when
		// a fill stopped early put only some slices' directories after
		// fewer than that).
		switch {
		case in.After != "" && !out.IsTruncated:
		case in.Delimiter != "" && got < want && (n < 20*cfg.Dirs || set.done < set.passes && set.have < 20*cfg.Dirs):
		case got != want:
			return 0, fmt.Errorf("listing %+v of %d objects returned %d entries, want %d", in, n, got, want)
		}
		for j := 1; j < len(out.Objects); j++ {
			if out.Objects[j-1].Key >= out.Objects[j].Key {
				return 0, fmt.Errorf("listing out of order: %q before %q", out.Objects[j-1].Key, out.Objects[j].Key)
			}
		}
		if len(out.Objects) > 0 && out.Objects[0].Key <= in.After {
			return 0, fmt.Errorf("listing after %q began at %q", in.After, out.Objects[0].Key)
		}
		return got, nil
	}
	ops := []struct {
		name    string
		samples int
		fn      func() (int, error)
	}{
		{"list-first", cfg.ListSamples, func() (int, error) { return list(objects.ListInput{MaxKeys: 1000}) }},
		{"list-middle", cfg.ListSamples, func() (int, error) {
			return list(objects.ListInput{MaxKeys: 1000, After: objectKey(set.pick(rng), cfg.Dirs)})
		}},
		{"list-delim", cfg.ListSamples, func() (int, error) {
			return list(objects.ListInput{MaxKeys: 1000, Delimiter: "/"})
		}},
		{"head", cfg.Samples, func() (int, error) {
			i := set.pick(rng)
			out, err := svc.HeadObject(ctx, objects.GetInput{Tenant: tenant, Bucket: bucketName, Key: objectKey(i, cfg.Dirs)})
			if err != nil {
				return 0, fmt.Errorf("head object %d: %w", i, err)
			}
			if out.Info.Size != int64(cfg.BodySize) {
				return 0, fmt.Errorf("head object %d: size %d, want %d", i, out.Info.Size, cfg.BodySize)
			}
			return 0, nil
		}},
		{"get", cfg.Samples, func() (int, error) {
			i := set.pick(rng)
			out, err := svc.GetObject(ctx, objects.GetInput{Tenant: tenant, Bucket: bucketName, Key: objectKey(i, cfg.Dirs)})
			if err != nil {
				return 0, fmt.Errorf("get object %d: %w", i, err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				return 0, fmt.Errorf("get object %d: %w", i, err)
			}
			if !bytes.Equal(got, objectBody(i, cfg.BodySize)) {
				return 0, fmt.Errorf("get object %d: wrong content", i)
			}
			return 0, nil
		}},
	}
	var res []Latency
	for _, op := range ops {
		// A few calls first, so the first sample does not pay for a
		// cold start of the code path alone.
		for range min(10, op.samples) {
			if _, err := op.fn(); err != nil {
				return nil, err
			}
		}
		lat := make([]time.Duration, 0, op.samples)
		items := 0
		stop := profile(cfg.ProfileDir, fmt.Sprintf("measure-%d-%s", n, op.name))
		cpu0 := loadgen.ProcessCPU()
		for range op.samples {
			t := time.Now()
			k, err := op.fn()
			lat = append(lat, time.Since(t))
			if err != nil {
				stop()
				return nil, err
			}
			items += k
		}
		cpu := loadgen.ProcessCPU() - cpu0
		stop()
		slices.Sort(lat)
		l := Latency{Op: op.name, Samples: len(lat), P50us: us(pct(lat, 50)), P99us: us(pct(lat, 99)), MaxUs: us(lat[len(lat)-1]),
			CPUus: us(cpu) / float64(len(lat))}
		if strings.HasPrefix(op.name, "list") {
			l.Items = float64(items) / float64(len(lat))
		}
		res = append(res, l)
	}
	return res, nil
}

// profile starts a CPU profile in dir/name.pprof (nothing when dir is
// empty) and returns its stop.
func profile(dir, name string) func() {
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale: profile:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintln(os.Stderr, "scale: profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// settle waits, up to limit, until the process has used less than a tenth of
// a core over two successive quarter seconds, and returns how long it
// waited.
func settle(limit time.Duration) time.Duration {
	const tick = 250 * time.Millisecond
	start := time.Now()
	quiet := 0
	for prev := loadgen.ProcessCPU(); quiet < 2 && time.Since(start) < limit; {
		time.Sleep(tick)
		now := loadgen.ProcessCPU()
		if now-prev < tick/10 {
			quiet++
		} else {
			quiet = 0
		}
		prev = now
	}
	return time.Since(start)
}

// pct is the nearest-rank percentile of sorted samples.
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func printCheckpoint(w io.Writer, cp Checkpoint) {
	if cp.Stopped {
		fmt.Fprintf(w, "(fill stopped early) ")
	}
	fmt.Fprintf(w, "objects %d: filled at %.0f/s (%.1f s, %.1f s of it folding usage), meta %.1f MiB, RSS %.0f MiB, read amp %d, gave up %d, load %s\n",
		cp.Objects, cp.PutRate, cp.PutSeconds, cp.FoldSeconds, float64(cp.MetaBytes)/(1<<20), float64(cp.RSSBytes)/(1<<20), cp.ReadAmp, cp.GaveUp, cp.Load)
	fmt.Fprintf(w, "  GetBucket with %d unfolded usage deltas: %.1f us; reopened synced in %.1f s; idle %.1f s after the fill\n",
		cp.UnfoldedDeltas, cp.GetBucketUnfoldedUs, cp.ReopenSeconds, cp.SettleSeconds)
	for _, l := range cp.Ops {
		fmt.Fprintf(w, "  %-12s p50 %8.1f us  p99 %8.1f us  max %8.1f us  cpu %8.1f us/call  (%d samples", l.Op, l.P50us, l.P99us, l.MaxUs, l.CPUus, l.Samples)
		if l.Items > 0 {
			fmt.Fprintf(w, ", %.0f entries each", l.Items)
		}
		fmt.Fprintln(w, ")")
	}
}

// Markdown renders the report as one table: a row per operation and size.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintln(w, "| objects | op | p50 µs | p99 µs | CPU µs/call | fill rate (objects/s) | meta on disk | RSS | read amp | load |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, cp := range r.Checkpoints {
		for _, l := range cp.Ops {
			fmt.Fprintf(w, "| %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f MiB | %.0f MiB | %d | %s |\n", cp.Objects, l.Op, l.P50us, l.P99us, l.CPUus,
				cp.PutRate, float64(cp.MetaBytes)/(1<<20), float64(cp.RSSBytes)/(1<<20), cp.ReadAmp, cp.Load)
		}
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		mult := 1
		switch {
		case strings.HasSuffix(f, "k"):
			mult, f = 1000, strings.TrimSuffix(f, "k")
		case strings.HasSuffix(f, "M"):
			mult, f = 1000000, strings.TrimSuffix(f, "M")
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

func main() {
	var cfg Config
	var points, jsonOut string
	var keep bool
	flag.StringVar(&cfg.Dir, "dir", "", "fresh data directory (created; removed at the end unless -keep)")
	flag.IntVar(&cfg.Objects, "objects", 1000000, "objects in the bucket at the end")
	flag.StringVar(&points, "checkpoints", "10k,100k,1M,10M", "bucket sizes to measure at (k, M suffixes)")
	flag.IntVar(&cfg.Dirs, "dirs", 1000, "directories (key prefixes ending in /) the keys spread over")
	flag.IntVar(&cfg.BodySize, "body", 64, "bytes per object")
	flag.IntVar(&cfg.Concurrency, "concurrency", 64, "concurrent PutObject calls while filling (they share WAL syncs)")
	flag.IntVar(&cfg.Samples, "samples", 2000, "HEAD and GET samples per checkpoint")
	flag.IntVar(&cfg.ListSamples, "list-samples", 300, "samples of each listing per checkpoint")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the sampled keys")
	flag.IntVar(&cfg.BlockSize, "pebble-block-size", 0, "Pebble's sstable data block size in bytes (0: the store's default, 4096; 32768 was the default before)")
	budgetMiB := flag.Int64("memory-budget-mib", server.DefaultMemoryBudget>>20, "the server's --memory-budget, in MiB: sizes Pebble's cache and memtables and Go's soft memory limit as the server does")
	flag.StringVar(&jsonOut, "json", "", "also write the report as JSON to this file")
	flag.BoolVar(&keep, "keep", false, "keep the data directory")
	flag.IntVar(&cfg.FoldEvery, "fold-every", 250000, "fold the usage deltas after this many puts (0: at checkpoints only)")
	flag.BoolVar(&cfg.FillSync, "fill-sync", false, "fill with every PutObject waiting for its WAL fsync, as on the server (default: fill unsynced, then close the store, which syncs it, and reopen it with the server's options before each measurement)")
	fillMemMiB := flag.Int64("fill-memtable-mib", 0, "with -fill-sync=false: the memtable size the fill runs with, in MiB (0: the server's, from -memory-budget-mib); measurements always run with the server's")
	flag.IntVar(&cfg.PassObjects, "pass-objects", 100000, "put each segment between checkpoints one slice of the key space (a run of directories) of about this many objects after the other")
	flag.StringVar(&cfg.ProfileDir, "profile", "", "write CPU profiles of each fill and of each operation measured to this directory")
	flag.DurationVar(&cfg.SettleMax, "settle", 2*time.Minute, "before measuring, wait up to this long for the fill's background work (flushes, compactions) to end")
	flag.Parse()
	var err error
	if cfg.Checkpoints, err = parseInts(points); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(2)
	}
	cfg.Progress = os.Stdout
	cfg.MemoryBudget = *budgetMiB << 20
	cfg.FillMemTable = *fillMemMiB << 20
	goLimit, err := server.ApplyGoMemoryLimit(cfg.MemoryBudget)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(2)
	}
	// Only a directory this run creates (or found empty) is removed at
	// the end: never a directory that held something else.
	if ents, err := os.ReadDir(cfg.Dir); err == nil && len(ents) > 0 {
		fmt.Fprintf(os.Stderr, "scale: %s is not empty\n", cfg.Dir)
		os.Exit(2)
	}
	mem, _ := server.PlanMemory(cfg.MemoryBudget)
	fmt.Printf("scale: %d objects of %d bytes over %d dirs, %d concurrent puts, GOMAXPROCS %d, memory budget %d MiB (Go limit %d MiB), load %s\n",
		cfg.Objects, cfg.BodySize, cfg.Dirs, cfg.Concurrency, runtime.GOMAXPROCS(0), mem.Budget>>20, goLimit>>20, loadgen.LoadAvg())
	stopFill := make(chan struct{})
	cfg.Stop = stopFill
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Println("scale: stopping the fill; measuring at the size reached (signal again to abort)")
		close(stopFill)
		signal.Reset()
	}()
	rep, err := Run(context.Background(), cfg)
	if !keep && cfg.Dir != "" {
		if rmErr := os.RemoveAll(cfg.Dir); rmErr != nil {
			fmt.Fprintln(os.Stderr, "scale: remove data:", rmErr)
		}
	}
	if rep != nil && len(rep.Checkpoints) > 0 {
		fmt.Println()
		rep.Markdown(os.Stdout)
		if jsonOut != "" {
			b, _ := json.MarshalIndent(rep, "", "  ")
			if werr := os.WriteFile(jsonOut, b, 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "scale:", werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}
