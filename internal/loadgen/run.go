// Package loadgen is Coffer's S3 load generator: warp-like workloads
// (put4k, get4k, put16m, get16m, mixed, list) driven by a lean client (its
// own SigV4 signer, one keep-alive connection per worker, precomputed
// payload hashes), reporting ops/s, MiB/s, latency quantiles, the client's
// own CPU time and the server's peak RSS. It is stdlib only, so it adds
// nothing to what it measures but HTTP.
package loadgen

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config is one workload run.
type Config struct {
	// Endpoint is the S3 endpoint, "http://host:port".
	Endpoint  string
	AccessKey string
	SecretKey string
	// Region defaults to us-east-1.
	Region string
	// Bucket is created if missing; objects are left in place.
	Bucket string
	// Workload is one of Specs' names.
	Workload string
	// Duration of the timed phase; default 25s.
	Duration time.Duration
	// Concurrency overrides the workload's number of clients when > 0.
	Concurrency int
	// Size overrides the workload's object size when > 0.
	Size int64
	// Objects overrides the number of pre-written objects when > 0.
	Objects int
	// ServerPID, when > 0, is the server process whose RSS is sampled
	// from /proc/PID/status during the timed phase.
	ServerPID int
	// Label names the system under test in the result ("minio", "coffer").
	Label string
	// SSE, when set, asks for server-side encryption on every PUT:
	// "AES256" (SSE-S3) or "aws:kms" (SSE-KMS, default key). The result's
	// workload is then named "<workload>/sse".
	SSE string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// ContentMD5 sends Content-MD5 with every PUT (for a bucket with a
	// default Object Lock retention, and its unlocked baseline).
	ContentMD5 bool
}

// Validate reports every problem with c at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("endpoint is required"))
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		errs = append(errs, errors.New("access key and secret key are required"))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("bucket is required"))
	}
	if _, ok := SpecByName(c.Workload); !ok {
		errs = append(errs, fmt.Errorf("unknown workload %q", c.Workload))
	}
	if c.SSE != "" && c.SSE != "AES256" && c.SSE != "aws:kms" {
		errs = append(errs, fmt.Errorf("sse %q: want AES256 or aws:kms", c.SSE))
	}
	if c.Duration < 0 || c.Concurrency < 0 || c.Size < 0 || c.Objects < 0 {
		errs = append(errs, errors.New("duration, concurrency, size and objects must not be negative"))
	}
	return errors.Join(errs...)
}

// Result is one workload run's measurements. Throughputs are over the timed
// phase: from its start until the last in-flight operation finished.
type Result struct {
	Workload    string           `json:"workload"`
	Label       string           `json:"label,omitempty"`
	Endpoint    string           `json:"endpoint"`
	Bucket      string           `json:"bucket"`
	Metric      string           `json:"metric"`
	Concurrency int              `json:"concurrency"`
	ObjectSize  int64            `json:"object_size"`
	Prewritten  int              `json:"prewritten"`
	Started     time.Time        `json:"started"`
	PrepareS    float64          `json:"prepare_s"`
	DurationS   float64          `json:"duration_s"`
	Ops         int64            `json:"ops"`
	OpsByType   map[string]int64 `json:"ops_by_type"`
	Errors      int64            `json:"errors"`
	FirstError  string           `json:"first_error,omitempty"`
	OpsPerSec   float64          `json:"ops_per_sec"`
	MiBPerSec   float64          `json:"mib_per_sec"`
	KeysPerSec  float64          `json:"keys_per_sec,omitempty"`
	P50Ms       float64          `json:"p50_ms"`
	P99Ms       float64          `json:"p99_ms"`
	MeanMs      float64          `json:"mean_ms"`
	MaxMs       float64          `json:"max_ms"`
	// ClientCPUS is this process's user+system CPU time during the timed
	// phase; ClientCores is that over the wall time (2.0 = both cores).
	ClientCPUS  float64 `json:"client_cpu_s"`
	ClientCores float64 `json:"client_cores"`
	ServerPID   int     `json:"server_pid,omitempty"`
	// ServerRSSMaxMiB is the largest VmRSS sampled during the timed phase;
	// ServerHWMMiB is the process's lifetime VmHWM read at the end.
	ServerRSSMaxMiB float64 `json:"server_rss_max_mib,omitempty"`
	ServerHWMMiB    float64 `json:"server_hwm_mib,omitempty"`
	// LoadAvg1 is the machine's 1-minute load average at the end of the
	// timed phase: well above the core count means other work competed.
	LoadAvg1 float64 `json:"loadavg_1m"`
}

// Value is the workload's headline throughput, in r.Metric units.
func (r *Result) Value() float64 {
	switch r.Metric {
	case MetricMiB:
		return r.MiBPerSec
	case MetricKeys:
		return r.KeysPerSec
	}
	return r.OpsPerSec
}

type runner struct {
	cfg     Config
	spec    Spec
	conc    int
	prefix  string
	client  *Client
	bodies  []body
	objKeys []string
	workers []*worker
}

type worker struct {
	id        int
	rng       *rand.Rand
	buf       []byte       // drain buffer
	list      bytes.Buffer // ListObjectsV2 response
	seq       int
	owned     []string // mixed: keys this worker may read and delete
	listPref  int
	listToken string

	hist     Histogram
	ops      int64
	errs     int64
	bytes    int64
	keys     int64
	byKind   [numOpKinds]int64
	firstErr error
}

// Run creates the bucket, pre-writes what the workload reads, runs the timed
// phase and returns the measurements. Operation errors are counted, not
// returned; Run fails only when setup fails or ctx is cancelled early.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	spec, _ := SpecByName(cfg.Workload)
	if cfg.Size > 0 {
		spec.Size = cfg.Size
	}
	if cfg.Objects > 0 {
		spec.Objects = cfg.Objects
	}
	if cfg.Duration == 0 {
		cfg.Duration = 25 * time.Second
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	r := &runner{cfg: cfg, spec: spec, conc: spec.Concurrency}
	if cfg.Concurrency > 0 {
		r.conc = cfg.Concurrency
	}
	var id [3]byte
	_, _ = crand.Read(id[:])
	r.prefix = spec.Name + "-" + hex.EncodeToString(id[:]) + "/"
	var err error
	r.client, err = NewClient(cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Region, r.conc)
	if err != nil {
		return nil, err
	}
	defer r.client.Close()
	r.client.ContentMD5 = cfg.ContentMD5
	r.client.SSE = cfg.SSE

	prepStart := time.Now()
	// A few distinct bodies per size: enough that no two consecutive PUTs of
	// a worker carry the same bytes, few enough to hash once up front.
	nb := 16
	if spec.Size >= 4*mib {
		nb = 4
	}
	r.bodies = makeBodies(nb, spec.Size, uint64(time.Now().UnixNano()))
	for i := range r.conc {
		r.workers = append(r.workers, &worker{
			id:  i,
			rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))),
			buf: make([]byte, 256*kib),
		})
	}
	if err := r.client.CreateBucket(ctx, cfg.Bucket); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", cfg.Bucket, err)
	}
	prewritten := 0
	switch spec.Name {
	case "get4k", "get16m", "mixed", "list":
		prewritten = spec.Objects * prefixCount(spec.Name)
		fmt.Fprintf(logw, "%s: pre-writing %d objects of %s to %s/%s\n", spec.Name, prewritten, humanBytes(spec.Size), cfg.Bucket, r.prefix)
	}
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	prepS := time.Since(prepStart).Seconds()

	fmt.Fprintf(logw, "%s: %d clients for %s against %s\n", spec.Name, r.conc, cfg.Duration, cfg.Endpoint)
	samp := startRSSSampler(cfg.ServerPID)
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(func() { r.work(ctx, w, deadline) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	rssMax, hwm := samp.stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	name := spec.Name
	if cfg.SSE != "" {
		name += "/sse"
	}
	res := &Result{
		Workload:    name,
		Label:       cfg.Label,
		Endpoint:    cfg.Endpoint,
		Bucket:      cfg.Bucket,
		Metric:      spec.Metric,
		Concurrency: r.conc,
		ObjectSize:  spec.Size,
		Prewritten:  prewritten,
		Started:     start.UTC().Truncate(time.Second),
		PrepareS:    round(prepS, 2),
		DurationS:   round(elapsed.Seconds(), 3),
		OpsByType:   map[string]int64{},
		ClientCPUS:  round(cpu.Seconds(), 2),
		ClientCores: round(cpu.Seconds()/elapsed.Seconds(), 2),
		ServerPID:   cfg.ServerPID,
	}
	var h Histogram
	var bytesMoved, keys int64
	for _, w := range r.workers {
		h.Merge(&w.hist)
		res.Ops += w.ops
		res.Errors += w.errs
		bytesMoved += w.bytes
		keys += w.keys
		for k, n := range w.byKind {
			if n > 0 {
				res.OpsByType[opNames[k]] += n
			}
		}
		if w.firstErr != nil && res.FirstError == "" {
			res.FirstError = w.firstErr.Error()
		}
	}
	secs := elapsed.Seconds()
	res.OpsPerSec = round(float64(res.Ops)/secs, 1)
	res.MiBPerSec = round(float64(bytesMoved)/mib/secs, 1)
	if spec.Name == "list" {
		res.KeysPerSec = round(float64(keys)/secs, 0)
	}
	ms := func(d time.Duration) float64 { return round(float64(d)/1e6, 3) }
	res.P50Ms, res.P99Ms = ms(h.Quantile(0.50)), ms(h.Quantile(0.99))
	res.MeanMs, res.MaxMs = ms(h.Mean()), ms(h.Max())
	res.LoadAvg1 = loadAvg1()
	if cfg.ServerPID > 0 {
		res.ServerRSSMaxMiB = round(float64(rssMax)/1024, 1)
		res.ServerHWMMiB = round(float64(hwm)/1024, 1)
	}
	return res, nil
}

// work runs operations back to back until the deadline. An operation in
// flight at the deadline completes and counts.
func (r *runner) work(ctx context.Context, w *worker, deadline time.Time) {
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(deadline) {
			return
		}
		out, err := r.op(ctx, w)
		lat := time.Since(t0)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.errs++
			if w.firstErr == nil {
				w.firstErr = err
			}
			time.Sleep(10 * time.Millisecond) // do not spin on a failing server
			continue
		}
		w.hist.Record(lat)
		w.ops++
		w.bytes += out.bytes
		w.keys += int64(out.keys)
		w.byKind[out.kind]++
	}
}

func round(v float64, digits int) float64 {
	s := strconv.FormatFloat(v, 'f', digits, 64)
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg1 is the 1-minute load average from /proc/loadavg, 0 if unknown.
func loadAvg1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}

// rssSampler polls /proc/PID/status for VmRSS while the timed phase runs.
type rssSampler struct {
	pid  int
	done chan struct{}
	wg   sync.WaitGroup
	max  int64 // KiB
}

func startRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid, done: make(chan struct{})}
	if pid <= 0 {
		return s
	}
	s.wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := ProcMemory(pid); err == nil {
				s.max = max(s.max, rss)
			}
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// stop ends sampling and returns the largest VmRSS seen and the final
// VmHWM, in KiB.
func (s *rssSampler) stop() (rssMax, hwm int64) {
	close(s.done)
	s.wg.Wait()
	if s.pid <= 0 {
		return 0, 0
	}
	rss, hwm, err := ProcMemory(s.pid)
	if err == nil {
		s.max = max(s.max, rss)
	}
	return s.max, hwm
}

// ProcMemory reads VmRSS and VmHWM (KiB) of a process from /proc.
func ProcMemory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, name, err)
		}
		if name == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	return rss, hwm, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	}
	return fmt.Sprintf("%d B", n)
}

// Text renders r for a terminal.
func (r *Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %s  %d clients, %s objects, %.1fs (prepare %.1fs)\n",
		r.Workload, r.Endpoint, r.Concurrency, humanBytes(r.ObjectSize), r.DurationS, r.PrepareS)
	fmt.Fprintf(&b, "  %d ops  %.1f ops/s  %.1f MiB/s", r.Ops, r.OpsPerSec, r.MiBPerSec)
	if r.KeysPerSec > 0 {
		fmt.Fprintf(&b, "  %.0f keys/s", r.KeysPerSec)
	}
	fmt.Fprintf(&b, "  errors %d\n", r.Errors)
	if len(r.OpsByType) > 1 {
		b.WriteString("  by type:")
		for _, k := range opNames {
			if n, ok := r.OpsByType[k]; ok {
				fmt.Fprintf(&b, " %s %d", k, n)
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "  latency p50 %.2f ms  p99 %.2f ms  mean %.2f ms  max %.2f ms\n", r.P50Ms, r.P99Ms, r.MeanMs, r.MaxMs)
	fmt.Fprintf(&b, "  client CPU %.2f s = %.2f cores (client and server share this machine's cores; load average %.2f)\n", r.ClientCPUS, r.ClientCores, r.LoadAvg1)
	if r.ServerPID > 0 {
		fmt.Fprintf(&b, "  server pid %d: VmRSS max %.1f MiB during run, VmHWM %.1f MiB\n", r.ServerPID, r.ServerRSSMaxMiB, r.ServerHWMMiB)
	}
	if r.FirstError != "" {
		fmt.Fprintf(&b, "  first error: %s\n", r.FirstError)
	}
	return b.String()
}
