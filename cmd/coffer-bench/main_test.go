package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coffer/internal/loadgen"
)

func TestParseSize(t *testing.T) {
	tests := map[string]int64{"": 0, "4096": 4096, "4KiB": 4096, "4k": 4096, "16MiB": 16 << 20, "1g": 1 << 30, "10b": 10}
	for in, want := range tests {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "-1", "0", "4KB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestRunJSONThenCompare(t *testing.T) {
	srv := httptest.NewServer(loadgen.NewFakeS3(loadgen.FakeS3Options{AccessKey: "ak", SecretKey: "sk", Verify: true, KeepData: true}))
	defer srv.Close()
	var out, errs bytes.Buffer
	code := run([]string{"-endpoint", srv.URL, "-access-key", "ak", "-secret-key", "sk", "-workload", "put4k,get4k",
		"-objects", "50", "-duration", "300ms", "-json", "-label", "minio", "-server-pid", "1"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON line per workload, got:\n%s", out.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal([]byte(lines[1]), &res); err != nil || res.Workload != "get4k" || res.Ops == 0 || res.Label != "minio" {
		t.Fatalf("%v %+v", err, res)
	}

	file := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"-compare", file}, &out, &errs); code != 0 {
		t.Fatalf("compare exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "| put4k | ops/s |") || !strings.Contains(out.String(), "pending") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-workload", "put5k", "-access-key", "a", "-secret-key", "b"}, &out, &errs); code != 2 {
		t.Errorf("exit %d for an unknown workload", code)
	}
	if !strings.Contains(errs.String(), "put5k") {
		t.Errorf("stderr: %s", errs.String())
	}
}

// The regression guard: -compare with -floors reads the "| floor | W | R |"
// rows, passes ratios at or above them and exits 3 on one below, or on a
// workload with a floor that has a result on one side only.
func TestCompareGuard(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "floors.md")
	if err := os.WriteFile(doc, []byte("# doc\n\n| floor | workload | ratio |\n|---|---|---|\n| floor | put4k | 2.0 |\n| floor | get4k | 1.5 |\n| floor | list | 3 |\n| other | table | row |\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	results := func(put4k, get4k float64, withCofferGet bool) string {
		file := filepath.Join(dir, "r.jsonl")
		var b strings.Builder
		line := func(w, label string, v float64) {
			fmt.Fprintf(&b, `{"workload":%q,"label":%q,"metric":"ops/s","ops_per_sec":%g,"server_cpu_us_per_op":%g}`+"\n", w, label, v, 1000/v)
		}
		line("put4k", "minio", 1000)
		line("put4k", "coffer", put4k)
		line("get4k", "minio", 1000)
		if withCofferGet {
			line("get4k", "coffer", get4k)
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	cases := []struct {
		name         string
		put4k, get4k float64
		cofferGet    bool
		code         int
		want         string
	}{
		{"above", 2500, 1500, true, 0, "| guard | put4k | 2.50 | 2.00 | ok |"},
		{"at the floor", 2000, 1500, true, 0, "| guard | get4k | 1.50 | 1.50 | ok |"},
		{"below", 1900, 1600, true, 3, "| guard | put4k | 1.90 | 2.00 | FAIL: below the floor |"},
		{"one side missing", 2500, 0, false, 3, "| guard | get4k | pending | 1.50 | FAIL: no result on one side |"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			code := run([]string{"-compare", results(c.put4k, c.get4k, c.cofferGet), "-floors", doc}, &out, &errs)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out.String(), errs.String())
			}
			if !strings.Contains(out.String(), c.want) || !strings.Contains(out.String(), "| guard | list | – | 3.00 | not run |") {
				t.Errorf("output lacks %q or the list row:\n%s", c.want, out.String())
			}
		})
	}
	// A malformed floor row must not silently disable the guard.
	if err := os.WriteFile(doc, []byte("| floor | put4k | fast |\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run([]string{"-compare", results(2500, 1500, true), "-floors", doc}, &out, &errs); code != 1 || !strings.Contains(errs.String(), "fast") {
		t.Errorf("bad floor: exit %d, %s", code, errs.String())
	}
}

// docs/benchmarks.md carries the floors bench/compare.sh enforces: they must
// parse, one per workload of the suite.
func TestDocFloorsParse(t *testing.T) {
	f, err := os.Open("../../docs/benchmarks.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	floors, err := loadgen.ParseFloors(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, fl := range floors {
		got[fl.Workload] = fl.Min
	}
	for _, s := range loadgen.Specs {
		if got[s.Name] <= 0 {
			t.Errorf("no floor for %s in docs/benchmarks.md (have %v)", s.Name, got)
		}
	}
}
