package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
)

// Spec describes one workload and its defaults, after minio/warp's
// workloads of the same names so results compare with published figures.
type Spec struct {
	Name        string
	Desc        string
	Concurrency int   // clients
	Size        int64 // object size in bytes
	Objects     int   // objects written before the timed phase (list: in all, one prefix per client)
	Metric      string
}

// Metric names: which throughput figure a workload is judged by.
const (
	MetricOps  = "ops/s"
	MetricMiB  = "MiB/s"
	MetricKeys = "keys/s"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// Specs lists the workloads in the order "all" runs them. Object counts
// are warp's defaults where the machine can hold them (minio/warp
// cli/get.go and cli/mixed.go: --objects 2500; cli/list.go: --objects
// 10000, "rounded to have equal concurrent objects", one prefix per
// client); get16m keeps 48 objects, since warp's 2,500 would be 40 GiB.
var Specs = []Spec{
	{Name: "put4k", Desc: "PUT 4 KiB objects, new key each time", Concurrency: 16, Size: 4 * kib, Metric: MetricOps},
	{Name: "get4k", Desc: "GET random 4 KiB objects out of 2,500 pre-written", Concurrency: 16, Size: 4 * kib, Objects: 2500, Metric: MetricOps},
	{Name: "put16m", Desc: "PUT 16 MiB objects, single PUT", Concurrency: 4, Size: 16 * mib, Metric: MetricMiB},
	{Name: "get16m", Desc: "GET random 16 MiB objects out of 48 pre-written", Concurrency: 4, Size: 16 * mib, Objects: 48, Metric: MetricMiB},
	{Name: "mixed", Desc: "1 MiB objects, 2,500 pre-written: 45% GET, 30% HEAD, 15% PUT, 10% DELETE", Concurrency: 8, Size: 1 * mib, Objects: 2500, Metric: MetricOps},
	{Name: "list", Desc: "ListObjectsV2 of a whole prefix (1,000-key pages), 10,000 1 KiB objects over one prefix per client", Concurrency: 4, Size: 1 * kib, Objects: 10000, Metric: MetricKeys},
}

// writes reports whether a workload's timed phase PUTs, so that its
// result depends on the payload mode.
func writes(workload string) bool {
	return workload == "put4k" || workload == "put16m" || workload == "mixed"
}

// SpecByName returns the named workload.
func SpecByName(name string) (Spec, bool) {
	for _, s := range Specs {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Operation kinds, the index into per-kind counters.
const (
	opGet = iota
	opHead
	opPut
	opDelete
	opList
	numOpKinds
)

var opNames = [numOpKinds]string{"GET", "HEAD", "PUT", "DELETE", "LIST"}

// makeBodies returns n distinct random bodies of size bytes, hashed in
// parallel for every payload mode.
func makeBodies(n int, size int64, chunkSize int, seed uint64) []*Body {
	out := make([]*Body, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			src := rand.NewChaCha8([32]byte{byte(i), byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
			data := make([]byte, size)
			_, _ = src.Read(data)
			out[i] = NewBody(data, chunkSize)
		})
	}
	wg.Wait()
	return out
}

// warpLetters is warp's alphabet for random names
// (pkg/generator/generator.go asciiLetters): '(' and ')' are not unreserved,
// so names exercise the servers' percent-decoding and canonical URIs.
const warpLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890()"

func randLetters(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = warpLetters[rng.IntN(len(warpLetters))]
	}
	return string(b)
}

// opOutcome is what one operation did.
type opOutcome struct {
	kind  int
	bytes int64 // payload bytes moved (PUT sent, GET received)
	keys  int   // keys listed
}

// prepare writes the objects a workload reads before its timed phase, each
// under the prefix of the worker that will read (and, in mixed, delete)
// it.
func (r *runner) prepare(ctx context.Context) error {
	s := r.spec
	var all []string
	switch s.Name {
	case "get4k", "get16m":
		for i := range s.Objects {
			all = append(all, r.nextKey(r.workers[i%len(r.workers)]))
		}
		r.objKeys = all
	case "mixed":
		for i := range s.Objects {
			w := r.workers[i%len(r.workers)]
			k := r.nextKey(w)
			w.owned = append(w.owned, k)
			all = append(all, k)
		}
	case "list":
		per := s.Objects / len(r.workers)
		for _, w := range r.workers {
			for range per {
				all = append(all, r.nextKey(w))
			}
			w.listWant = per
		}
	default:
		return nil
	}
	return r.parallelPut(ctx, all)
}

// nextKey returns a new key of w, named as warp names them: the worker's
// random prefix, a counter and 16 random letters,
// "<prefix>/<n>.<letters>.rnd" (pkg/generator/random.go).
func (r *runner) nextKey(w *worker) string {
	w.seq++
	return w.prefix + strconv.Itoa(w.seq) + "." + randLetters(w.rng, 16) + ".rnd"
}

// parallelPut writes keys with the workload's concurrency (at least 8).
func (r *runner) parallelPut(ctx context.Context, keys []string) error {
	conc := max(r.conc, 8)
	ch := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range conc {
		wg.Go(func() {
			buf := make([]byte, 64*kib)
			for i := range ch {
				if err := r.client.Put(ctx, r.cfg.Bucket, keys[i], r.bodies[i%len(r.bodies)], buf); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range keys {
		select {
		case ch <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return fmt.Errorf("pre-writing %d objects: %w", len(keys), firstErr)
	}
	return ctx.Err()
}

// op runs one operation of the workload for worker w.
func (r *runner) op(ctx context.Context, w *worker) (opOutcome, error) {
	s := r.spec
	c, bucket := r.client, r.cfg.Bucket
	switch s.Name {
	case "put4k", "put16m":
		b := r.bodies[w.rng.IntN(len(r.bodies))]
		return opOutcome{kind: opPut, bytes: s.Size}, c.Put(ctx, bucket, r.nextKey(w), b, w.buf)
	case "get4k", "get16m":
		n, err := c.Get(ctx, bucket, r.objKeys[w.rng.IntN(len(r.objKeys))], s.Size, w.buf)
		return opOutcome{kind: opGet, bytes: n}, err
	case "mixed":
		return r.mixedOp(ctx, w)
	case "list":
		// As warp's list: one operation lists the worker's whole prefix,
		// and a count other than what was written is an error.
		l, err := c.ListAll(ctx, bucket, w.prefix, 1000, &w.list)
		out := opOutcome{kind: opList, keys: l.Keys}
		switch {
		case err != nil:
		case l.Duplicates > 0 || l.Unordered > 0:
			err = fmt.Errorf("ListObjectsV2 %s: %d keys listed twice, %d out of order", w.prefix, l.Duplicates, l.Unordered)
		case l.Keys != w.listWant:
			err = fmt.Errorf("ListObjectsV2 %s: %d keys, want %d", w.prefix, l.Keys, w.listWant)
		}
		return out, err
	}
	return opOutcome{}, fmt.Errorf("unknown workload %q", s.Name)
}

// mixedOp draws GET 45%, HEAD 30%, PUT 15%, DELETE 10% (warp's mixed
// defaults). Each worker reads, overwrites and deletes only keys it owns,
// so no operation races another worker's DELETE and every error is the
// server's.
func (r *runner) mixedOp(ctx context.Context, w *worker) (opOutcome, error) {
	c, bucket, size := r.client, r.cfg.Bucket, r.spec.Size
	d := w.rng.IntN(100)
	if len(w.owned) == 0 {
		d = 80 // nothing to read or delete: PUT
	}
	switch {
	case d < 45:
		n, err := c.Get(ctx, bucket, w.owned[w.rng.IntN(len(w.owned))], size, w.buf)
		return opOutcome{kind: opGet, bytes: n}, err
	case d < 75:
		n, err := c.Head(ctx, bucket, w.owned[w.rng.IntN(len(w.owned))], w.buf)
		if err == nil && n != size {
			err = fmt.Errorf("HeadObject: Content-Length %d, want %d", n, size)
		}
		return opOutcome{kind: opHead}, err
	case d < 90:
		b := r.bodies[w.rng.IntN(len(r.bodies))]
		k := r.nextKey(w)
		err := c.Put(ctx, bucket, k, b, w.buf)
		if err == nil {
			w.owned = append(w.owned, k)
		}
		return opOutcome{kind: opPut, bytes: size}, err
	default:
		i := w.rng.IntN(len(w.owned))
		k := w.owned[i]
		w.owned[i] = w.owned[len(w.owned)-1]
		w.owned = w.owned[:len(w.owned)-1]
		return opOutcome{kind: opDelete}, c.Delete(ctx, bucket, k, w.buf)
	}
}
