// Package loadgen is Coffer's S3 load generator: warp's workloads (put4k,
// get4k, put16m, get16m, mixed, list) with warp's layout (random names under
// a random prefix per client, warp's object counts), sending PUTs as the
// clients users run send them (aws-chunked with chunk signatures as
// minio-go and warp, unsigned with a CRC trailer as the AWS SDKs, or one
// signed payload), driven by a lean client (its own SigV4 signer, keep-alive
// connections, payload digests computed once), reporting ops/s, MiB/s,
// latency quantiles, the client's own CPU, and the server's CPU per
// operation, byte and key and its peak RSS. The client is stdlib only, so it
// adds nothing to what it measures but HTTP; the fake server verifies with
// Coffer's own internal/sigv4.
package loadgen

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
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
	// Payload is the PUT payload mode, one of PayloadModes; default
	// PayloadChunked (what warp, through minio-go, sends over http). A
	// workload that PUTs in its timed phase is reported as
	// "<workload>/<payload>" in any other mode.
	Payload string
	// Checksum is PayloadTrailer's algorithm: ChecksumCRC32 (default) or
	// ChecksumCRC64NVME.
	Checksum string
	// ChunkSize is the aws-chunked chunk size: of PayloadChunked (default
	// DefaultChunkSize, minio-go's) and of PayloadTrailer (default: one
	// chunk, as aws-sdk-go-v2 sends a body of known length).
	ChunkSize int
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
	if err := validPayload(c.Payload, c.Checksum, c.ChunkSize); err != nil {
		errs = append(errs, err)
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
	Payload     string           `json:"payload"`
	Checksum    string           `json:"checksum,omitempty"`
	ChunkSize   int              `json:"chunk_size,omitempty"`
	Started     time.Time        `json:"started"`
	PrepareS    float64          `json:"prepare_s"`
	DurationS   float64          `json:"duration_s"`
	Ops         int64            `json:"ops"`
	OpsByType   map[string]int64 `json:"ops_by_type"`
	Errors      int64            `json:"errors"`
	FirstError  string           `json:"first_error,omitempty"`
	Bytes       int64            `json:"bytes"`
	Keys        int64            `json:"keys,omitempty"`
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
	// ClientCPUUsPerOp is the client's CPU per operation, in microseconds.
	ClientCPUUsPerOp float64 `json:"client_cpu_us_per_op"`
	// ClientConns is the number of TCP connections the client opened during
	// the timed phase: with keep-alive working, 0 once the pre-fill has
	// warmed the pool, at most Concurrency otherwise.
	ClientConns int64 `json:"client_conns"`
	ServerPID   int   `json:"server_pid,omitempty"`
	// ServerCPUS is the server's user+system CPU time over the timed phase
	// (utime+stime of /proc/PID/stat), ServerCores that over the wall time;
	// per operation in microseconds, per byte moved in nanoseconds, per key
	// listed in microseconds. Unlike ops/s, these do not depend on how much
	// of the shared cores the client takes.
	ServerCPUS         float64 `json:"server_cpu_s,omitempty"`
	ServerCores        float64 `json:"server_cores,omitempty"`
	ServerCPUUsPerOp   float64 `json:"server_cpu_us_per_op,omitempty"`
	ServerCPUNsPerByte float64 `json:"server_cpu_ns_per_byte,omitempty"`
	ServerCPUUsPerKey  float64 `json:"server_cpu_us_per_key,omitempty"`
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
	client  *Client
	bodies  []*Body
	objKeys []string
	workers []*worker
}

type worker struct {
	id       int
	rng      *rand.Rand
	buf      []byte       // drain buffer
	list     bytes.Buffer // ListObjectsV2 response
	prefix   string       // "<8 random letters>/", as warp gives each client
	seq      int
	owned    []string // mixed: keys this worker may read and delete
	listWant int      // list: keys under prefix

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
	if cfg.Payload == "" {
		cfg.Payload = PayloadChunked
	}
	if cfg.Payload == PayloadTrailer && cfg.Checksum == "" {
		cfg.Checksum = ChecksumCRC32
	}
	if spec.Name == "list" && spec.Objects < r.conc {
		return nil, fmt.Errorf("list: %d objects over %d client prefixes leaves some empty", spec.Objects, r.conc)
	}
	var err error
	r.client, err = NewClient(cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Region, r.conc)
	if err != nil {
		return nil, err
	}
	defer r.client.Close()
	r.client.ContentMD5 = cfg.ContentMD5
	r.client.SSE = cfg.SSE
	r.client.Payload, r.client.Checksum = cfg.Payload, cfg.Checksum
	chunk := DefaultChunkSize
	if cfg.ChunkSize > 0 {
		chunk = cfg.ChunkSize
		if cfg.Payload == PayloadTrailer {
			r.client.TrailerChunkSize = cfg.ChunkSize
		}
	}

	prepStart := time.Now()
	// A few distinct bodies per size: enough that no two consecutive PUTs of
	// a worker carry the same bytes, few enough to hash once up front.
	nb := 16
	if spec.Size >= 4*mib {
		nb = 4
	}
	r.bodies = makeBodies(nb, spec.Size, chunk, uint64(time.Now().UnixNano()))
	var seed [8]byte
	_, _ = crand.Read(seed[:])
	for i := range r.conc {
		w := &worker{
			id:  i,
			rng: rand.New(rand.NewPCG(uint64(i), binary.LittleEndian.Uint64(seed[:]))),
			buf: make([]byte, 256*kib),
		}
		w.prefix = randLetters(w.rng, 8) + "/"
		r.workers = append(r.workers, w)
	}
	if err := r.client.CreateBucket(ctx, cfg.Bucket); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", cfg.Bucket, err)
	}
	prewritten := 0
	switch spec.Name {
	case "get4k", "get16m", "mixed":
		prewritten = spec.Objects
	case "list":
		prewritten = spec.Objects / r.conc * r.conc
	}
	if prewritten > 0 {
		fmt.Fprintf(logw, "%s: pre-writing %d objects of %s to %s under %d client prefixes (%s payload)\n",
			spec.Name, prewritten, humanBytes(spec.Size), cfg.Bucket, r.conc, cfg.Payload)
	}
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	prepS := time.Since(prepStart).Seconds()

	fmt.Fprintf(logw, "%s: %d clients for %s against %s\n", spec.Name, r.conc, cfg.Duration, cfg.Endpoint)
	samp := startRSSSampler(cfg.ServerPID)
	srvCPU0, srvErr := ProcCPU(cfg.ServerPID)
	dials0 := r.client.Dials()
	cpu0 := ProcessCPU()
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(func() { r.work(ctx, w, deadline) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := ProcessCPU() - cpu0
	srvCPU1, srvErr1 := ProcCPU(cfg.ServerPID)
	dials := r.client.Dials() - dials0
	rssMax, hwm := samp.stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	name := spec.Name
	if writes(spec.Name) && cfg.Payload != PayloadChunked {
		name += "/" + cfg.Payload
	}
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
		Payload:     cfg.Payload,
		Checksum:    cfg.Checksum,
		ChunkSize:   cfg.ChunkSize,
		ClientConns: dials,
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
	res.Bytes, res.Keys = bytesMoved, keys
	res.OpsPerSec = round(float64(res.Ops)/secs, 1)
	if res.Ops > 0 {
		res.ClientCPUUsPerOp = round(cpu.Seconds()*1e6/float64(res.Ops), 1)
	}
	if cfg.ServerPID > 0 && srvErr == nil && srvErr1 == nil {
		sc := (srvCPU1 - srvCPU0).Seconds()
		res.ServerCPUS = round(sc, 2)
		res.ServerCores = round(sc/secs, 2)
		if res.Ops > 0 {
			res.ServerCPUUsPerOp = round(sc*1e6/float64(res.Ops), 1)
		}
		if bytesMoved > 0 {
			res.ServerCPUNsPerByte = round(sc*1e9/float64(bytesMoved), 3)
		}
		if keys > 0 {
			res.ServerCPUUsPerKey = round(sc*1e6/float64(keys), 3)
		}
	}
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

// ProcessCPU is this process's user+system CPU time so far (the bench
// tools measure CPU per operation with it too).
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports (the kernel fixes it for user space).
const clockTicks = 100

// ProcCPU reads the user+system CPU time a process has used so far from
// /proc/PID/stat (fields 14 and 15, after the parenthesised command name,
// which may itself contain spaces and parentheses).
func ProcCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	// After ")": state(3) ppid(4) ... utime(14) stime(15).
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// LoadAvg is the 1-, 5- and 15-minute load averages from /proc/loadavg as
// the kernel writes them ("1.05 2.56 3.76"), "?" if unknown: what the bench
// tools print next to every figure.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
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
	if r.Payload != "" {
		fmt.Fprintf(&b, "  PUT payload %s", r.Payload)
		if r.Checksum != "" {
			fmt.Fprintf(&b, " (%s trailer)", r.Checksum)
		}
		fmt.Fprintf(&b, "; %d new connections during the run\n", r.ClientConns)
	}
	fmt.Fprintf(&b, "  client CPU %.2f s = %.2f cores, %.1f µs/op (client and server share this machine's cores; load average %.2f)\n",
		r.ClientCPUS, r.ClientCores, r.ClientCPUUsPerOp, r.LoadAvg1)
	if r.ServerCPUS > 0 {
		fmt.Fprintf(&b, "  server CPU %.2f s = %.2f cores, %.1f µs/op", r.ServerCPUS, r.ServerCores, r.ServerCPUUsPerOp)
		if r.ServerCPUNsPerByte > 0 {
			fmt.Fprintf(&b, ", %.3f ns/B", r.ServerCPUNsPerByte)
		}
		if r.ServerCPUUsPerKey > 0 {
			fmt.Fprintf(&b, ", %.3f µs/key", r.ServerCPUUsPerKey)
		}
		b.WriteByte('\n')
	}
	if r.ServerPID > 0 {
		fmt.Fprintf(&b, "  server pid %d: VmRSS max %.1f MiB during run, VmHWM %.1f MiB\n", r.ServerPID, r.ServerRSSMaxMiB, r.ServerHWMMiB)
	}
	if r.FirstError != "" {
		fmt.Fprintf(&b, "  first error: %s\n", r.FirstError)
	}
	return b.String()
}
