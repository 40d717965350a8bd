package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Spec describes one workload and its defaults, after minio/warp's
// workloads of the same names so results compare with published figures.
type Spec struct {
	Name        string
	Desc        string
	Concurrency int   // clients
	Size        int64 // object size in bytes
	Objects     int   // objects written before the timed phase (per prefix for list)
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

// Specs lists the workloads in the order "all" runs them.
var Specs = []Spec{
	{Name: "put4k", Desc: "PUT 4 KiB objects, new key each time, signed payload", Concurrency: 16, Size: 4 * kib, Metric: MetricOps},
	{Name: "get4k", Desc: "GET random 4 KiB objects out of 2,000 pre-written", Concurrency: 16, Size: 4 * kib, Objects: 2000, Metric: MetricOps},
	{Name: "put16m", Desc: "PUT 16 MiB objects, single PUT, signed payload", Concurrency: 4, Size: 16 * mib, Metric: MetricMiB},
	{Name: "get16m", Desc: "GET random 16 MiB objects out of 48 pre-written", Concurrency: 4, Size: 16 * mib, Objects: 48, Metric: MetricMiB},
	{Name: "mixed", Desc: "1 MiB objects: 45% GET, 30% HEAD, 15% PUT, 10% DELETE", Concurrency: 8, Size: 1 * mib, Objects: 200, Metric: MetricOps},
	{Name: "list", Desc: "ListObjectsV2, max-keys 1000, over 4 prefixes of 1,000 keys", Concurrency: 4, Size: 1 * kib, Objects: 1000, Metric: MetricKeys},
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

const listPrefixes = 4

// body is a precomputed random payload and its hex SHA-256, so a PUT's
// signed payload hash costs nothing at request time.
type body struct {
	data []byte
	sha  string
}

// makeBodies returns n distinct random bodies of size bytes, hashed in
// parallel.
func makeBodies(n int, size int64, seed uint64) []body {
	out := make([]body, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			src := rand.NewChaCha8([32]byte{byte(i), byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
			data := make([]byte, size)
			_, _ = src.Read(data)
			sum := sha256.Sum256(data)
			out[i] = body{data: data, sha: hex.EncodeToString(sum[:])}
		})
	}
	wg.Wait()
	return out
}

// opOutcome is what one operation did.
type opOutcome struct {
	kind  int
	bytes int64 // payload bytes moved (PUT sent, GET received)
	keys  int   // keys listed
}

// prepare writes the objects a workload reads before its timed phase.
func (r *runner) prepare(ctx context.Context) error {
	s := r.spec
	switch s.Name {
	case "get4k", "get16m":
		r.objKeys = make([]string, s.Objects)
		for i := range r.objKeys {
			r.objKeys[i] = fmt.Sprintf("%sobj-%06d", r.prefix, i)
		}
		return r.parallelPut(ctx, r.objKeys)
	case "mixed":
		var all []string
		for i, w := range r.workers {
			for j := i; j < s.Objects; j += len(r.workers) {
				k := r.nextKey(w)
				w.owned = append(w.owned, k)
				all = append(all, k)
			}
		}
		return r.parallelPut(ctx, all)
	case "list":
		var all []string
		for p := range listPrefixes {
			for i := range s.Objects {
				all = append(all, fmt.Sprintf("%s%s%06d", r.prefix, listPrefix(p), i))
			}
		}
		return r.parallelPut(ctx, all)
	}
	return nil
}

func listPrefix(p int) string { return fmt.Sprintf("p%d/", p) }

// nextKey returns a key no other worker will use.
func (r *runner) nextKey(w *worker) string {
	w.seq++
	return fmt.Sprintf("%sw%02d/%08d", r.prefix, w.id, w.seq)
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
				b := r.bodies[i%len(r.bodies)]
				if err := r.client.Put(ctx, r.cfg.Bucket, keys[i], b.data, b.sha, buf); err != nil {
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
		return opOutcome{kind: opPut, bytes: s.Size}, c.Put(ctx, bucket, r.nextKey(w), b.data, b.sha, w.buf)
	case "get4k", "get16m":
		n, err := c.Get(ctx, bucket, r.objKeys[w.rng.IntN(len(r.objKeys))], s.Size, w.buf)
		return opOutcome{kind: opGet, bytes: n}, err
	case "mixed":
		return r.mixedOp(ctx, w)
	case "list":
		if w.listToken == "" {
			w.listPref = (w.listPref + 1) % listPrefixes
		}
		page, err := c.List(ctx, bucket, r.prefix+listPrefix(w.listPref), w.listToken, 1000, &w.list)
		w.listToken = page.NextToken
		if err == nil && page.Keys == 0 {
			err = errors.New("ListObjectsV2: empty page for a prefix holding objects")
		}
		return opOutcome{kind: opList, keys: page.Keys}, err
	}
	return opOutcome{}, fmt.Errorf("unknown workload %q", s.Name)
}

// mixedOp draws GET 45%, HEAD 30%, PUT 15%, DELETE 10%. Each worker reads,
// overwrites and deletes only keys it owns, so no operation races another
// worker's DELETE and every error is the server's.
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
		err := c.Put(ctx, bucket, k, b.data, b.sha, w.buf)
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

// prefixCount is how many prefixes a workload pre-writes Objects into.
func prefixCount(workload string) int {
	if workload == "list" {
		return listPrefixes
	}
	return 1
}
