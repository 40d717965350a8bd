package loadgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CompareOptions names the two systems of a comparison table.
type CompareOptions struct {
	// Peer and Subject are Result.Label values, e.g. "minio" and "coffer".
	Peer, Subject string
	// PeerTitle and SubjectTitle head the columns; default to the labels.
	PeerTitle, SubjectTitle string
}

// ReadResults parses JSON lines of Results (what -json prints), skipping
// blank lines and lines that do not start with '{'.
func ReadResults(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*kib), 4*mib)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var res Result
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return nil, fmt.Errorf("result line %q: %w", line, err)
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// agg sums one system's rounds of one workload.
type agg struct {
	n               int
	sum, lo, hi     float64
	p50, p99, cores float64
	errors          int64
	hwm, rssMax     float64
	// srvCPU sums the server's CPU per unit of the metric over the srvN
	// rounds that measured it.
	srvCPU float64
	srvN   int
}

func (a *agg) add(r *Result) {
	v := r.Value()
	if a.n == 0 || v < a.lo {
		a.lo = v
	}
	if a.n == 0 || v > a.hi {
		a.hi = v
	}
	a.n++
	a.sum += v
	a.p50 += r.P50Ms
	a.p99 += r.P99Ms
	a.cores += r.ClientCores
	a.errors += r.Errors
	a.hwm = max(a.hwm, r.ServerHWMMiB)
	a.rssMax = max(a.rssMax, r.ServerRSSMaxMiB)
	if v, _ := r.ServerCPUPerUnit(); v > 0 {
		a.srvCPU += v
		a.srvN++
	}
}

// ServerCPUPerUnit is the server's CPU per unit of the workload's metric:
// microseconds per operation (ops/s), nanoseconds per byte (MiB/s),
// microseconds per key (keys/s); 0 when not measured.
func (r *Result) ServerCPUPerUnit() (float64, string) {
	switch r.Metric {
	case MetricMiB:
		return r.ServerCPUNsPerByte, "ns/B"
	case MetricKeys:
		return r.ServerCPUUsPerKey, "µs/key"
	}
	return r.ServerCPUUsPerOp, "µs/op"
}

func (a *agg) serverCPU() (float64, bool) {
	if a == nil || a.srvN == 0 {
		return 0, false
	}
	return a.srvCPU / float64(a.srvN), true
}

func fmtCPU(v float64, ok bool, unit string) string {
	if !ok {
		return "–"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 1:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.3f %s", v, unit)
}

func (a *agg) mean() float64 { return a.sum / float64(a.n) }

// fmtThroughput formats v with the scale chosen for ref, so that a mean
// and its range read alike: "18.4k (8.1k–28.7k)".
func fmtThroughput(v, ref float64) string {
	switch {
	case ref >= 10000:
		return fmt.Sprintf("%.1fk", v/1000)
	case ref >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func (a *agg) value() string {
	if a == nil {
		return "pending"
	}
	m := a.mean()
	s := fmtThroughput(m, m)
	if a.n > 1 {
		s += " (" + fmtThroughput(a.lo, m) + "–" + fmtThroughput(a.hi, m) + ")"
	}
	if a.errors > 0 {
		s += fmt.Sprintf(" [%d errors]", a.errors)
	}
	return s
}

func (a *agg) latency() string {
	if a == nil {
		return "pending"
	}
	return fmt.Sprintf("%.1f / %.1f", a.p50/float64(a.n), a.p99/float64(a.n))
}

func (a *agg) rss() string {
	if a == nil {
		return "pending"
	}
	peak := max(a.hwm, a.rssMax)
	if peak == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f", peak)
}

func (a *agg) clientCores() string {
	if a == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", a.cores/float64(a.n))
}

// compareKey identifies one system's rounds of one workload.
type compareKey struct{ workload, label string }

// aggregate groups results by workload and label, workloads in Specs order.
func aggregate(results []Result) (map[compareKey]*agg, []string) {
	aggs := map[compareKey]*agg{}
	var workloads []string
	for i := range results {
		r := &results[i]
		k := compareKey{r.Workload, r.Label}
		if aggs[k] == nil {
			aggs[k] = &agg{}
		}
		aggs[k].add(r)
		if !slices.Contains(workloads, r.Workload) {
			workloads = append(workloads, r.Workload)
		}
	}
	order := func(w string) int {
		base, _, _ := strings.Cut(w, "/")
		for i, s := range Specs {
			if s.Name == base {
				return i
			}
		}
		return len(Specs)
	}
	slices.SortStableFunc(workloads, func(a, b string) int { return order(a) - order(b) })
	return aggs, workloads
}

// Ratio is one workload's comparison: the subject's mean throughput over
// the peer's (OK false when either side has no result), and the same for
// the server's CPU per unit (CPUOK false when either side lacks it).
type Ratio struct {
	Workload      string
	Value         float64
	OK            bool
	CPU           float64
	CPUOK         bool
	SubjectErrors int64
}

// Ratios computes the subject/peer ratio of every workload in results.
func Ratios(results []Result, o CompareOptions) []Ratio {
	aggs, workloads := aggregate(results)
	var out []Ratio
	for _, w := range workloads {
		pa, sa := aggs[compareKey{w, o.Peer}], aggs[compareKey{w, o.Subject}]
		r := Ratio{Workload: w}
		if pa != nil && sa != nil && pa.mean() > 0 {
			r.Value, r.OK = sa.mean()/pa.mean(), true
		}
		pc, pok := pa.serverCPU()
		sc, sok := sa.serverCPU()
		if pok && sok {
			r.CPU, r.CPUOK = sc/pc, true
		}
		if sa != nil {
			r.SubjectErrors = sa.errors
		}
		out = append(out, r)
	}
	return out
}

// CompareTable renders results as a Markdown table, one row per workload:
// the mean throughput over rounds with its range, the ratio subject/peer,
// mean p50/p99, peak server RSS (the largest VmHWM or sampled VmRSS of any
// round), the server's mean CPU per unit of the metric and its ratio, and
// the client's mean CPU use. A missing side reads "pending".
func CompareTable(results []Result, o CompareOptions) string {
	if o.PeerTitle == "" {
		o.PeerTitle = o.Peer
	}
	if o.SubjectTitle == "" {
		o.SubjectTitle = o.Subject
	}
	aggs, workloads := aggregate(results)
	ratios := Ratios(results, o)

	var b strings.Builder
	P, S := o.PeerTitle, o.SubjectTitle
	fmt.Fprintf(&b, "| workload | metric | %s | %s | ratio %s/%s | %s p50/p99 ms | %s p50/p99 ms | %s peak RSS MiB | %s peak RSS MiB | server CPU per unit (%s / %s) | server CPU %s/%s | client CPU cores (%s/%s) |\n",
		P, S, S, P, P, S, P, S, P, S, S, P, P, S)
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, w := range workloads {
		pa, sa := aggs[compareKey{w, o.Peer}], aggs[compareKey{w, o.Subject}]
		metric := MetricOps
		if spec, ok := SpecByName(strings.SplitN(w, "/", 2)[0]); ok {
			metric = spec.Metric
		}
		_, unit := (&Result{Metric: metric}).ServerCPUPerUnit()
		ratio, cpuRatio := "pending", "–"
		if r := ratios[i]; r.OK {
			ratio = fmt.Sprintf("%.2f", r.Value)
		}
		if r := ratios[i]; r.CPUOK {
			cpuRatio = fmt.Sprintf("%.2f", r.CPU)
		}
		pc, pok := pa.serverCPU()
		sc, sok := sa.serverCPU()
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s |\n",
			w, metric, pa.value(), sa.value(), ratio, pa.latency(), sa.latency(), pa.rss(), sa.rss(),
			fmtCPU(pc, pok, unit), fmtCPU(sc, sok, unit), cpuRatio, pa.clientCores(), sa.clientCores())
	}
	return b.String()
}
