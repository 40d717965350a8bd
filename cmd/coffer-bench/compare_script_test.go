package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain lets the test binary act as coffer-bench for the script.
func TestMain(m *testing.M) {
	if os.Getenv("COFFER_BENCH_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// bench/compare.sh --check runs the guard on a results file: its exit status
// must be the guard's (0 at or above every floor, 3 below one), so that a
// caller of the script sees a regression.
func TestCompareScriptGuardExitStatus(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	floors := filepath.Join(dir, "floors.md")
	if err := os.WriteFile(floors, []byte("| floor | workload | ratio |\n|---|---|---|\n| floor | put4k | 2.0 |\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		coffer float64
		code   int
		want   string
	}{
		{2100, 0, "| guard | put4k | 2.10 | 2.00 | ok |"},
		{1900, 3, "| guard | put4k | 1.90 | 2.00 | FAIL: below the floor |"},
	} {
		results := filepath.Join(dir, "r.jsonl")
		body := `{"workload":"put4k","label":"minio","metric":"ops/s","ops_per_sec":1000}` + "\n" +
			`{"workload":"put4k","label":"coffer","metric":"ops/s","ops_per_sec":` + strconv.FormatFloat(c.coffer, 'f', -1, 64) + "}\n"
		if err := os.WriteFile(results, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "../../bench/compare.sh", "--check", results, "--floors", floors)
		// The test binary stands in for coffer-bench (see TestMain).
		cmd.Env = append(os.Environ(), "COFFER_BENCH="+os.Args[0], "COFFER_BENCH_TEST_MAIN=1")
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(string(out), c.want) {
			t.Errorf("coffer %v ops/s: exit %d (want %d), output:\n%s", c.coffer, code, c.code, out)
		}
	}
}
