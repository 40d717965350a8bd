package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Floor is the lowest acceptable subject/peer throughput ratio of one
// workload, from a row "| floor | WORKLOAD | RATIO |" of a Markdown table
// (docs/benchmarks.md keeps them; bench/compare.sh enforces them).
type Floor struct {
	Workload string
	Min      float64
	Line     int
}

// ParseFloors reads every "| floor | WORKLOAD | RATIO |" row of r (other
// lines, rows whose first cell is not "floor", and the header row
// "| floor | workload | ratio |" are skipped). A floor row
// with a bad ratio, an unknown workload or a workload seen twice is an
// error, so that a typo cannot silently disable the guard.
func ParseFloors(r io.Reader) ([]Floor, error) {
	var out []Floor
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
			continue
		}
		cells := strings.Split(line[1:len(line)-1], "|")
		if len(cells) < 1 || strings.TrimSpace(cells[0]) != "floor" {
			continue
		}
		if len(cells) != 3 {
			return nil, fmt.Errorf("line %d: a floor row is | floor | WORKLOAD | RATIO |, got %q", n, line)
		}
		w, v := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
		if w == "workload" {
			continue // the table's header row, "| floor | workload | ratio |"
		}
		if _, ok := SpecByName(strings.SplitN(w, "/", 2)[0]); !ok {
			return nil, fmt.Errorf("line %d: unknown workload %q", n, w)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return nil, fmt.Errorf("line %d: floor %q of %s is not a positive number", n, v, w)
		}
		if prev, dup := seen[w]; dup {
			return nil, fmt.Errorf("line %d: second floor for %s (first on line %d)", n, w, prev)
		}
		seen[w] = n
		out = append(out, Floor{Workload: w, Min: f, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no floor rows (| floor | WORKLOAD | RATIO |)")
	}
	return out, nil
}

// GuardReport checks the ratios of results against floors. It returns a
// printable report and whether every workload that ran and has a floor met
// it. A workload with a floor that ran on one side only fails (a server
// that failed is not a pass); a workload with a floor that did not run at
// all is reported and skipped, so that a partial run checks what it ran.
func GuardReport(results []Result, floors []Floor, o CompareOptions) (string, bool) {
	ratios := map[string]Ratio{}
	for _, r := range Ratios(results, o) {
		ratios[r.Workload] = r
	}
	var b strings.Builder
	ok := true
	fmt.Fprintf(&b, "| guard | workload | ratio %s/%s | floor | verdict |\n|---|---|---:|---:|---|\n", o.Subject, o.Peer)
	for _, f := range floors {
		r, ran := ratios[f.Workload]
		verdict, ratio := "", "–"
		switch {
		case !ran:
			verdict = "not run"
		case !r.OK:
			verdict, ratio, ok = "FAIL: no result on one side", "pending", false
		case r.Value < f.Min:
			verdict, ratio, ok = "FAIL: below the floor", fmt.Sprintf("%.2f", r.Value), false
		default:
			verdict, ratio = "ok", fmt.Sprintf("%.2f", r.Value)
		}
		if ran && r.SubjectErrors > 0 {
			verdict += fmt.Sprintf(" (%s had %d errors)", o.Subject, r.SubjectErrors)
		}
		fmt.Fprintf(&b, "| guard | %s | %s | %.2f | %s |\n", f.Workload, ratio, f.Min, verdict)
	}
	return b.String(), ok
}
