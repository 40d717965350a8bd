// Command walceiling measures what the data directory's device and the
// metadata engine give a durable commit, with nothing of Coffer on the path
// (no HTTP, no signatures, no objects layer): the ceiling that put4k and
// mixed are measured against.
//
//	go run ./bench/walceiling -dir /var/tmp/walceiling              # every mode, 2 rounds
//	go run ./bench/walceiling -dir DIR -modes engine,kv -rounds 3 -duration 10s
//
// Modes, alternated within each round:
//
//   - engine: W goroutines (16) each commit one record with a V-byte value
//     (4 KiB, a fresh key per commit) into Pebble opened with
//     internal/kv/pebble's options for the server's default memory budget,
//     WAL sync on: commits/s, CPU per commit, commits per WAL sync (the
//     group-commit depth), the latency of a commit and of each WAL sync,
//     the latter split by whether the WAL file was sparse (fresh, only
//     preallocated) or written (recycled), and
//     what Pebble wrote. -engine picks diagnostics beside the server's
//     options: nocompact, noflush, nosep (no value separation).
//   - kv: the same through internal/kv/pebble's Store.Update (its conflict
//     checks and commit lock), so the difference is what that layer costs.
//   - fsync: one writer appends 4 KiB and fdatasyncs, to a file that grows
//     ("append"), to one preallocated with fallocate(KEEP_SIZE) as Pebble
//     preallocates a fresh WAL ("fallocated"), and overwrites 4 KiB inside
//     a file already written and synced ("overwrite", a recycled WAL).
//   - mixed: 8 clients over a blob store and a kv store opened as the
//     server opens them, mixed's operation mix (45% GET: read a 1 MiB blob;
//     30% HEAD: a point read; 15% PUT: commit a 1 MiB blob, then a record;
//     10% DELETE: commit a record's deletion): ops/s with everything but
//     Coffer, and the latency of a blob Commit and of a record commit.
//
// Every mode starts on a fresh directory, as a benchmark's fresh server does.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"golang.org/x/sys/unix"

	"coffer/internal/blob"
	"coffer/internal/kv"
	kvpebble "coffer/internal/kv/pebble"
	"coffer/internal/loadgen"
	"coffer/internal/server"
)

// config is what the flags choose.
type config struct {
	dir      string
	writers  int
	value    int
	duration time.Duration
	syncs    int
	budget   int64
	prefill  int
	variant  string
}

func main() {
	var c config
	flag.StringVar(&c.dir, "dir", filepath.Join(os.TempDir(), "coffer-walceiling"), "directory on the device to measure (emptied first, removed after)")
	modes := flag.String("modes", "engine,kv,fsync,mixed", "modes to run, comma-separated, in this order within each round")
	flag.IntVar(&c.writers, "writers", 16, "committing goroutines (engine, kv)")
	flag.IntVar(&c.value, "value", 4096, "value bytes per record (engine, kv)")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "time per mode and round (engine, kv, mixed)")
	flag.IntVar(&c.syncs, "syncs", 1000, "fdatasyncs per file kind and round (fsync)")
	flag.Int64Var(&c.budget, "memory-budget", 0, "the server's --memory-budget in bytes that sizes Pebble (0: the server's default)")
	flag.IntVar(&c.prefill, "prefill", 64, "objects written before mixed starts")
	flag.StringVar(&c.variant, "engine", "server", "engine mode's Pebble: server (the server's options), nocompact (automatic compactions off), noflush (256 MiB memtables: little flushed within a run), nosep (every value in its sstable, kv/pebble.Options.SeparateValuesFrom -1, the default before 2026-12-01 21:30); nocompact and noflush are diagnostics, not configurations")
	rounds := flag.Int("rounds", 2, "rounds (every mode once per round)")
	flag.Parse()

	run := map[string]func(config) error{"engine": runEngine, "kv": runKV, "fsync": runFsync, "mixed": runMixed}
	var order []string
	for _, m := range strings.Split(*modes, ",") {
		if run[m] == nil {
			log.Fatalf("unknown mode %q (engine, kv, fsync, mixed)", m)
		}
		order = append(order, m)
	}
	for r := 1; r <= *rounds; r++ {
		for _, m := range order {
			fmt.Printf("## round %d, %s, %s, load %s\n", r, m, time.Now().UTC().Format("15:04:05"), loadgen.LoadAvg())
			if err := os.RemoveAll(c.dir); err != nil {
				log.Fatal(err)
			}
			if err := run[m](c); err != nil {
				log.Fatalf("%s: %v", m, err)
			}
		}
	}
	os.RemoveAll(c.dir)
}

// storeOptions are internal/kv/pebble's options as the server sets them for
// the memory budget (internal/server's plan and OpenMetadata), with fs.
func storeOptions(c config, dir string, fs vfs.FS) (kvpebble.Options, error) {
	plan, err := server.PlanMemory(c.budget)
	if err != nil {
		return kvpebble.Options{}, err
	}
	return kvpebble.Options{Dir: dir, FS: fs, CacheSize: plan.PebbleCache, MemTableSize: plan.PebbleMemTable,
		ConflictLogBytes: plan.PebbleConflictLog}, nil
}

// commitLoop runs writers goroutines, each calling commit with a fresh key
// until d has passed, and returns every commit's latency.
func commitLoop(writers int, d time.Duration, commit func(key []byte) error) ([]time.Duration, time.Duration, error) {
	lats := make([][]time.Duration, writers)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				t := time.Now()
				if !t.Before(end) {
					return
				}
				key := fmt.Appendf(nil, "bench/%02d/%012d", g, i)
				if err := commit(key); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lats[g] = append(lats[g], time.Since(t))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if e, ok := firstErr.Load().(error); ok {
		return nil, 0, e
	}
	return slices.Concat(lats...), el, nil
}

func runEngine(c config) error {
	rec := &syncRecorder{}
	o, err := storeOptions(c, c.dir, timingFS{FS: vfs.Default, rec: rec})
	if err != nil {
		return err
	}
	po, cache, err := o.PebbleOptions()
	if err != nil {
		return err
	}
	switch c.variant {
	case "server":
	case "nocompact":
		po.DisableAutomaticCompactions = true
		po.L0StopWritesThreshold = 1 << 20 // else writes stop at 24 sublevels
	case "noflush":
		po.MemTableSize = 256 << 20
	case "nosep":
		po.Experimental.ValueSeparationPolicy = nil // Pebble's default: off
	default:
		return fmt.Errorf("unknown -engine %q", c.variant)
	}
	db, err := pebble.Open(c.dir, po)
	cache.Unref()
	if err != nil {
		return err
	}
	val := randBytes(c.value)
	rec.reset()
	cpu0 := loadgen.ProcessCPU()
	lats, el, err := commitLoop(c.writers, c.duration, func(key []byte) error {
		b := db.NewBatch()
		defer b.Close()
		if err := b.Set(key, val, nil); err != nil {
			return err
		}
		return b.Commit(pebble.Sync)
	})
	syncs := rec.snapshot()
	cpu := loadgen.ProcessCPU() - cpu0
	m := db.Metrics()
	t := m.Total()
	fmt.Printf("engine %s: written WAL %.0f MiB, flushes %.0f MiB, compactions %.0f MiB\n", c.variant,
		float64(m.WAL.BytesWritten)/(1<<20), float64(t.TableBytesFlushed-t.TableBytesIn)/(1<<20), float64(t.TableBytesCompacted)/(1<<20))
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	report(lats, el, syncs, cpu)
	return nil
}

func runKV(c config) error {
	rec := &syncRecorder{}
	o, err := storeOptions(c, c.dir, timingFS{FS: vfs.Default, rec: rec})
	if err != nil {
		return err
	}
	st, err := kvpebble.Open(o)
	if err != nil {
		return err
	}
	val := randBytes(c.value)
	ctx := context.Background()
	rec.reset()
	cpu0 := loadgen.ProcessCPU()
	lats, el, err := commitLoop(c.writers, c.duration, func(key []byte) error {
		return st.Update(ctx, func(tx kv.Txn) error { return tx.Set(key, val) })
	})
	syncs := rec.snapshot()
	cpu := loadgen.ProcessCPU() - cpu0
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	report(lats, el, syncs, cpu)
	return nil
}

// report prints a commit loop's figures.
func report(lats []time.Duration, el time.Duration, s syncStats, cpu time.Duration) {
	n := len(lats)
	fmt.Printf("commits %d in %.1f s: %.0f commits/s, %.0f µs of CPU per commit (%.2f cores, Pebble's background work included); commit latency %s\n",
		n, el.Seconds(), float64(n)/el.Seconds(), float64(cpu.Microseconds())/float64(n), cpu.Seconds()/el.Seconds(), dist(lats))
	all := slices.Concat(s.fresh, s.recycled)
	if len(all) > 0 {
		fmt.Printf("WAL syncs %d: %.1f commits per sync; %.0f%% of the time syncing; all %s\n",
			len(all), float64(n)/float64(len(all)), 100*sum(all).Seconds()/el.Seconds(), dist(all))
	}
	fmt.Printf("  on sparse WAL files (fresh, only preallocated; %d): %d syncs %s\n", s.created, len(s.fresh), dist(s.fresh))
	fmt.Printf("  on written WAL files (recycled; %d): %d syncs %s\n", s.reused, len(s.recycled), dist(s.recycled))
}

// runFsync measures one writer's 4 KiB write plus fdatasync on three kinds
// of file, interleaved sync by sync so that the device's changes of speed
// move all three alike.
func runFsync(c config) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	const blk = 4096
	size := int64(c.syncs) * blk
	kinds := []struct {
		name string
		prep func(f *os.File) error
	}{
		{"append (file grows)", func(*os.File) error { return nil }},
		{"fallocated KEEP_SIZE (a fresh Pebble WAL)", func(f *os.File) error {
			return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, 0, size)
		}},
		{"overwrite (written and synced before)", func(f *os.File) error {
			if _, err := f.Write(make([]byte, size)); err != nil {
				return err
			}
			return f.Sync()
		}},
	}
	files := make([]*os.File, len(kinds))
	for i, k := range kinds {
		f, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("f%d", i)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := k.prep(f); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		files[i] = f
	}
	if err := syncDir(c.dir); err != nil {
		return err
	}
	buf := randBytes(blk)
	// Half the syncs alone, half beside a writer committing 1 MiB blobs
	// (a mixed PUT's), whose data the filesystem's journal commit may
	// have to write out first.
	for _, background := range []bool{false, true} {
		stop, bgErr := func() {}, func() error { return nil }
		label := "alone"
		if background {
			label = "beside 1 MiB blob commits"
			var err error
			if stop, bgErr, err = blobCommits(filepath.Join(c.dir, "blobs"), 1<<20); err != nil {
				return err
			}
		}
		lats := make([][]time.Duration, len(kinds))
		base := 0
		if background {
			base = c.syncs / 2
		}
		for n := base; n < base+c.syncs/2; n++ {
			for i, f := range files {
				t := time.Now()
				if _, err := f.WriteAt(buf, int64(n)*blk); err != nil {
					return err
				}
				if err := unix.Fdatasync(int(f.Fd())); err != nil {
					return err
				}
				lats[i] = append(lats[i], time.Since(t))
			}
		}
		stop()
		if err := bgErr(); err != nil {
			return err
		}
		for i, k := range kinds {
			fmt.Printf("%-42s %-26s %d x (4 KiB write + fdatasync): %s\n", k.name, label, len(lats[i]), dist(lats[i]))
		}
	}
	return nil
}

// blobCommits commits blobs of size bytes into a blob store in dir, one
// after the other, until stop is called; errf reports the first error.
func blobCommits(dir string, size int) (stop func(), errf func() error, err error) {
	bs, err := blob.Open(blob.Options{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	data := randBytes(size)
	var quit atomic.Bool
	done := make(chan error, 1)
	go func() {
		var ids []blob.ID
		for !quit.Load() {
			w, err := bs.Create()
			if err == nil {
				_, err = w.ReadFrom(bytes.NewReader(data))
			}
			var id blob.ID
			if err == nil {
				id, err = w.Commit()
			}
			if err != nil {
				done <- err
				return
			}
			if ids = append(ids, id); len(ids) == 64 { // bound the disk used
				bs.RemoveMany(ids)
				ids = ids[:0]
			}
		}
		done <- nil
	}()
	var once sync.Once
	var res error
	return func() { quit.Store(true) }, func() error { once.Do(func() { res = <-done }); return res }, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// runMixed runs mixed's operation mix over the two stores with 8 clients.
func runMixed(c config) error {
	const clients, size = 8, 1 << 20
	bs, err := blob.Open(blob.Options{Dir: filepath.Join(c.dir, "blobs")})
	if err != nil {
		return err
	}
	rec := &syncRecorder{}
	o, err := storeOptions(c, filepath.Join(c.dir, "meta"), timingFS{FS: vfs.Default, rec: rec})
	if err != nil {
		return err
	}
	st, err := kvpebble.Open(o)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	data := randBytes(size)
	record := randBytes(300) // about an object record's size (key, version, etag, blob id, metadata)

	// live objects: name and blob; PUTs add, DELETEs remove.
	var mu sync.Mutex
	type object struct {
		key []byte
		id  blob.ID
	}
	var live []object
	var seq atomic.Int64
	put := func() (blobLat, walLat time.Duration, err error) {
		t := time.Now()
		w, err := bs.Create()
		if err != nil {
			return 0, 0, err
		}
		if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
			w.Abort()
			return 0, 0, err
		}
		id, err := w.Commit()
		if err != nil {
			return 0, 0, err
		}
		t2 := time.Now()
		key := binary.BigEndian.AppendUint64([]byte("obj/"), uint64(seq.Add(1)))
		val := append(slices.Clip(record), id...)
		if err := st.Update(ctx, func(tx kv.Txn) error { return tx.Set(key, val) }); err != nil {
			return 0, 0, err
		}
		t3 := time.Now()
		mu.Lock()
		live = append(live, object{key, id})
		mu.Unlock()
		return t2.Sub(t), t3.Sub(t2), nil
	}
	for range c.prefill {
		if _, _, err := put(); err != nil {
			return err
		}
	}
	pick := func(r *mrand.Rand, remove bool) (object, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(live) == 0 {
			return object{}, false
		}
		i := r.IntN(len(live))
		ob := live[i]
		if remove {
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		return ob, true
	}

	type tally struct {
		get, head, blobC, putWAL, delWAL []time.Duration
	}
	tallies := make([]tally, clients)
	var firstErr atomic.Value
	rec.reset()
	start := time.Now()
	end := start.Add(c.duration)
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			buf := make([]byte, size)
			tl := &tallies[g]
			fail := func(err error) { firstErr.CompareAndSwap(nil, err) }
			for time.Now().Before(end) {
				t := time.Now()
				switch p := r.IntN(100); {
				case p < 45: // GET: the kernel's copy of a blob from the page cache
					ob, ok := pick(r, false)
					if !ok {
						continue
					}
					h, err := bs.Open(ob.id)
					if err != nil {
						fail(err)
						return
					}
					_, err = h.ReadAt(buf, 0)
					h.Close()
					if err != nil && !errors.Is(err, io.EOF) {
						fail(err)
						return
					}
					tl.get = append(tl.get, time.Since(t))
				case p < 75: // HEAD: a point read
					ob, ok := pick(r, false)
					if !ok {
						continue
					}
					if err := st.View(ctx, func(tx kv.Reader) error { _, err := tx.Get(ob.key); return err }); err != nil {
						fail(err)
						return
					}
					tl.head = append(tl.head, time.Since(t))
				case p < 90: // PUT
					b, w, err := put()
					if err != nil {
						fail(err)
						return
					}
					tl.blobC = append(tl.blobC, b)
					tl.putWAL = append(tl.putWAL, w)
				default: // DELETE: the record goes; the blob is the collector's, later
					ob, ok := pick(r, true)
					if !ok {
						continue
					}
					if err := st.Update(ctx, func(tx kv.Txn) error { return tx.Delete(ob.key) }); err != nil {
						fail(err)
						return
					}
					tl.delWAL = append(tl.delWAL, time.Since(t))
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	syncs := rec.snapshot()
	if e, ok := firstErr.Load().(error); ok {
		return e
	}
	var all tally
	for _, tl := range tallies {
		all.get = append(all.get, tl.get...)
		all.head = append(all.head, tl.head...)
		all.blobC = append(all.blobC, tl.blobC...)
		all.putWAL = append(all.putWAL, tl.putWAL...)
		all.delWAL = append(all.delWAL, tl.delWAL...)
	}
	ops := len(all.get) + len(all.head) + len(all.blobC) + len(all.delWAL)
	fmt.Printf("ops %d in %.1f s: %.0f ops/s (GET %d, HEAD %d, PUT %d, DELETE %d)\n", ops, el.Seconds(), float64(ops)/el.Seconds(),
		len(all.get), len(all.head), len(all.blobC), len(all.delWAL))
	fmt.Printf("  GET (1 MiB read)      %s\n  HEAD (point read)     %s\n", dist(all.get), dist(all.head))
	fmt.Printf("  PUT blob Commit 1 MiB %s\n  PUT record commit     %s\n  DELETE record commit  %s\n",
		dist(all.blobC), dist(all.putWAL), dist(all.delWAL))
	wal := slices.Concat(syncs.fresh, syncs.recycled)
	fmt.Printf("  WAL syncs %d (%d on recycled files): %s\n", len(wal), len(syncs.recycled), dist(wal))
	// The bound: each client spends, per operation on average, the mix's
	// share of each operation's time; 8 clients can do no more than 8 over
	// that mean.
	perOp := 0.45*mean(all.get) + 0.30*mean(all.head) + 0.15*(mean(all.blobC)+mean(all.putWAL)) + 0.10*mean(all.delWAL)
	fmt.Printf("  bound from the means: 8 / (0.45 GET + 0.30 HEAD + 0.15 (blob + record) + 0.10 record) = 8 / %.2f ms = %.0f ops/s; the writes alone: %.0f ops/s\n",
		perOp*1e3, clients/perOp, clients/(0.15*(mean(all.blobC)+mean(all.putWAL))+0.10*mean(all.delWAL)))
	return nil
}

// syncRecorder times the WAL's syncs, by the kind of file synced: sparse
// (created and only preallocated: each sync grows it) or written (a
// recycled log: syncs overwrite written blocks).
type syncRecorder struct {
	mu sync.Mutex
	syncStats
}

type syncStats struct {
	fresh, recycled []time.Duration // sparse files, written files
	created, reused int             // WAL files by how they came
}

func (r *syncRecorder) add(d time.Duration, written bool) {
	r.mu.Lock()
	if written {
		r.recycled = append(r.recycled, d)
	} else {
		r.fresh = append(r.fresh, d)
	}
	r.mu.Unlock()
}

func (r *syncRecorder) count(n *int) {
	r.mu.Lock()
	*n++
	r.mu.Unlock()
}

// reset drops what opening the store did.
func (r *syncRecorder) reset() {
	r.mu.Lock()
	r.syncStats = syncStats{}
	r.mu.Unlock()
}

func (r *syncRecorder) snapshot() syncStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.syncStats
	st.fresh, st.recycled = slices.Clone(r.fresh), slices.Clone(r.recycled)
	return st
}

// timingFS times Sync and SyncData on the WAL files (*.log) Pebble creates
// or recycles. The wrapped file keeps Fd, so Pebble still preallocates it.
type timingFS struct {
	vfs.FS
	rec *syncRecorder
}

func (fs timingFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, cat)
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	fs.rec.count(&fs.rec.created)
	return &timedFile{File: f, rec: fs.rec}, nil
}

func (fs timingFS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	if err != nil || !strings.HasSuffix(newname, ".log") {
		return f, err
	}
	fs.rec.count(&fs.rec.reused)
	return &timedFile{File: f, rec: fs.rec, recycled: true}, nil
}

type timedFile struct {
	vfs.File
	rec      *syncRecorder
	recycled bool
}

func (f *timedFile) Sync() error {
	t := time.Now()
	err := f.File.Sync()
	f.rec.add(time.Since(t), f.recycled)
	return err
}

func (f *timedFile) SyncData() error {
	t := time.Now()
	err := f.File.SyncData()
	f.rec.add(time.Since(t), f.recycled)
	return err
}

// dist formats a latency distribution: mean and percentiles in ms.
func dist(ds []time.Duration) string {
	if len(ds) == 0 {
		return "(none)"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) float64 { return s[min(int(p*float64(len(s))), len(s)-1)].Seconds() * 1e3 }
	return fmt.Sprintf("mean %.2f ms, p50 %.2f, p90 %.2f, p99 %.2f, max %.2f", mean(s)*1e3, q(0.5), q(0.9), q(0.99), q(1))
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// mean in seconds.
func mean(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	return sum(ds).Seconds() / float64(len(ds))
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
