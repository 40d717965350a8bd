package main

import (
	"bytes"
	"encoding/json"
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
