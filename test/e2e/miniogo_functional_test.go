package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// minio-go's functional tests (functional_tests.go, build tag mint, package
// main) are the S3 conformance suite MinIO's mint runs. The file ships in the
// minio-go module; the test below takes it from the module cache (go mod
// download), builds it in a temporary module of its own and runs it the way
// mint does: SERVER_ENDPOINT, ACCESS_KEY, SECRET_KEY, ENABLE_HTTPS, MINT_MODE,
// MINT_DATA_DIR with the data files of the sizes it names, one JSON log line
// per test (and sub-test) with status PASS, FAIL or NA.
const (
	minioGoModule  = "github.com/minio/minio-go/v7"
	minioGoVersion = "v7.4.1"
	// The tests expected to pass against Coffer: a regression fails the
	// test, a newly passing test is reported so the list can grow.
	minioGoPassList = "testdata/miniogo_functional_pass.txt"
)

// minioGoDataFiles are the files mint creates in MINT_DATA_DIR (name → size).
var minioGoDataFiles = map[string]int{
	"datafile-0-b": 0, "datafile-1-b": 1, "datafile-1-kB": 1 << 10, "datafile-10-kB": 10 << 10,
	"datafile-33-kB": 33 << 10, "datafile-100-kB": 100 << 10, "datafile-1.03-MB": 1056 << 10,
	"datafile-1-MB": 1 << 20, "datafile-5-MB": 5 << 20, "datafile-6-MB": 6 << 20,
	"datafile-11-MB": 11 << 20, "datafile-65-MB": 65 << 20, "datafile-129-MB": 129 << 20,
}

// TestMinioGoFunctional runs minio-go's functional tests (MINT_MODE=full
// unless MINT_MODE is set; MINIO_GO_TESTS="testA testB" runs only those)
// against a fresh Coffer server, or the peer in peer mode, and prints a table
// of test, status and error. Against Coffer every test in minioGoPassList
// must pass.
func TestMinioGoFunctional(t *testing.T) {
	t.Parallel() // a private server (or the peer) and buckets of its own
	requireTarget(t)
	bin, tlsTests := buildMinioGoFunctional(t)
	dataDir := t.TempDir()
	writeMinioGoDataFiles(t, dataDir)
	mode := os.Getenv("MINT_MODE")
	if mode == "" {
		mode = "full"
	}
	selected := os.Getenv("MINIO_GO_TESTS")

	endpoint, ak, sk := suite.endpoint, suite.accessKey, suite.secretKey
	if !suite.peer {
		srv := startPrivateCoffer(t)
		endpoint, ak, sk = srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey
	}
	start := time.Now()
	var (
		tlsRun sync.WaitGroup
		tlsOut []byte
	)
	if !suite.peer && mode == "full" {
		// The SSE-C tests run only over HTTPS (the suite's main skips them
		// with ENABLE_HTTPS=0): a second, TLS-serving Coffer for them,
		// run at the same time as the plain run (servers, buckets and
		// working directories of their own; the data files are only read).
		if tls := minioGoSelect(tlsTests, selected); len(tls) > 0 {
			dir := t.TempDir()
			cert, key := selfSignedCert(t, dir, "localhost")
			srv := startPrivateCoffer(t, "COFFER_TLS_CERT="+cert, "COFFER_TLS_KEY="+key)
			tlsRun.Go(func() {
				tlsOut = runMinioGo(t, bin, dataDir, srv.Endpoint(), ak, sk, true, mode, strings.Join(tls, " "))
			})
		}
	}
	stdout := runMinioGo(t, bin, dataDir, endpoint, ak, sk, false, mode, selected)
	tlsRun.Wait()
	stdout = append(stdout, tlsOut...)
	elapsed := time.Since(start)
	if log := os.Getenv("MINIO_GO_LOG"); log != "" {
		if err := os.WriteFile(log, stdout, 0o644); err != nil {
			t.Errorf("write MINIO_GO_LOG: %v", err)
		}
	}
	results, order := parseMinioGoLog(t, stdout)
	counts := map[string]int{}
	var table strings.Builder
	fmt.Fprintf(&table, "%-52s %-5s %s\n", "TEST", "STATUS", "ERROR")
	for _, name := range order {
		r := results[name]
		counts[r.status]++
		fmt.Fprintf(&table, "%-52s %-5s %s\n", name, r.status, oneLine(r.detail, 160))
	}
	t.Logf("minio-go %s functional tests (MINT_MODE=%s) against %s in %s:\n%sminio-go totals: PASS=%d FAIL=%d NA=%d",
		minioGoVersion, mode, endpoint, elapsed.Round(time.Second), table.String(),
		counts["PASS"], counts["FAIL"], counts["NA"])
	if suite.peer {
		return // the pass list is Coffer's
	}
	want := readMinioGoPassList(t)
	if len(want) == 0 {
		t.Fatalf("%s lists no test", minioGoPassList)
	}
	filtered := selected != "" || mode != "full"
	for _, name := range want {
		r, ok := results[name]
		switch {
		case !ok && filtered:
			// not selected in this run
		case !ok:
			t.Errorf("%s: expected PASS, did not run", name)
		case r.status != "PASS":
			t.Errorf("%s: expected PASS, got %s: %s", name, r.status, oneLine(r.detail, 400))
		}
	}
	listed := map[string]bool{}
	for _, name := range want {
		listed[name] = true
	}
	for _, name := range order {
		if results[name].status == "PASS" && !listed[name] {
			t.Logf("newly passing: %s (add it to %s)", name, minioGoPassList)
		}
	}
}

// runMinioGo runs the functional test binary once, as mint does, and
// returns its log (one JSON line per result).
func runMinioGo(t *testing.T, bin, dataDir, endpoint, ak, sk string, https bool, mode, tests string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	host, enable := strings.TrimPrefix(endpoint, "http://"), "0"
	if https {
		enable = "1"
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = t.TempDir() // its temporary files
	cmd.Env = append(os.Environ(),
		"SERVER_ENDPOINT="+host, "ACCESS_KEY="+ak, "SECRET_KEY="+sk,
		"ENABLE_HTTPS="+enable, "SKIP_CERT_VALIDATION="+enable,
		"MINT_MODE="+mode, "MINT_DATA_DIR="+dataDir, "MINIO_GO_TESTS="+tests,
		// Report every failure instead of stopping at the first (mint's
		// own runs stop; the table is the point here).
		"RUN_ON_FAIL=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// A panic outside logError (or a timeout) ends the run early: every
		// test after it is missing from the log, which the list check shows.
		t.Errorf("functional test binary (ENABLE_HTTPS=%s): %v\nstderr tail:\n%s", enable, err, tail(stderr.String(), 3000))
	}
	return stdout.Bytes()
}

// minioGoSelect is the tests of names that MINIO_GO_TESTS selects (all when
// it is empty).
func minioGoSelect(names []string, selected string) []string {
	if selected == "" {
		return names
	}
	var out []string
	for _, n := range names {
		for _, s := range strings.Fields(strings.ReplaceAll(selected, ",", " ")) {
			if n == s {
				out = append(out, n)
			}
		}
	}
	return out
}

type minioGoResult struct {
	status string // PASS, FAIL or NA: a test that logged any FAIL failed
	detail string // the first failure's function and error, or the NA alert
}

// parseMinioGoLog folds the JSON lines (a test may log several, e.g. one per
// case) into one result per test, in the order the tests ran.
func parseMinioGoLog(t *testing.T, out []byte) (map[string]minioGoResult, []string) {
	t.Helper()
	results := map[string]minioGoResult{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e struct {
			Name, Function, Status, Alert, Message string
			Error                                  any
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Status == "" {
			continue // not a result line
		}
		name := strings.TrimPrefix(e.Name, "minio-go: ")
		detail := e.Alert
		if e.Status == "FAIL" {
			detail = strings.TrimSpace(fmt.Sprintf("%s: %s %v", e.Function, e.Message, e.Error))
		}
		prev, seen := results[name]
		if !seen {
			order = append(order, name)
			results[name] = minioGoResult{e.Status, detail}
			continue
		}
		rank := map[string]int{"NA": 0, "PASS": 1, "FAIL": 2}
		if rank[e.Status] > rank[prev.status] {
			results[name] = minioGoResult{e.Status, detail}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the functional tests' log: %v", err)
	}
	return results, order
}

func readMinioGoPassList(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(minioGoPassList)
	if err != nil {
		t.Fatalf("read %s: %v", minioGoPassList, err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	return names
}

// buildMinioGoFunctional builds functional_tests.go of the minio-go module
// (downloaded into the module cache when missing) in a temporary module and
// returns the binary. The file's main becomes upstreamMain; a small main of
// ours runs it, or only the tests MINIO_GO_TESTS names.
func buildMinioGoFunctional(t *testing.T) (bin string, tlsTests []string) {
	t.Helper()
	dl := exec.Command("go", "mod", "download", "-json", minioGoModule+"@"+minioGoVersion)
	dl.Dir = os.TempDir() // outside Coffer's module: no go.mod change
	out, err := dl.Output()
	if err != nil {
		t.Fatalf("go mod download %s@%s: %v\n%s", minioGoModule, minioGoVersion, err, out)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v %s\n%s", err, mod.Error, out)
	}
	src, err := os.ReadFile(filepath.Join(mod.Dir, "functional_tests.go"))
	if err != nil {
		t.Fatalf("functional_tests.go: %v", err)
	}
	// Built as the only package of its directory, without the build tag
	// (with -tags mint, minio-go's own package would include the file too).
	src = bytes.Replace(src, []byte("//go:build mint\n"), nil, 1)
	if n := bytes.Count(src, []byte("\nfunc main() {\n")); n != 1 {
		t.Fatalf("functional_tests.go: %d func main, want 1", n)
	}
	src = bytes.Replace(src, []byte("\nfunc main() {\n"), []byte("\nfunc upstreamMain() {\n"), 1)
	body := src[bytes.Index(src, []byte("\nfunc upstreamMain() {\n")):]
	body = body[:bytes.Index(body, []byte("\n}\n"))]
	var names []string
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\t+(test\w+)\(\)$`).FindAllSubmatch(body, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) < 50 {
		t.Fatalf("functional_tests.go: only %d tests found in main", len(names))
	}
	// The SSE-C tests: main's "if tls {" block.
	if i := bytes.Index(body, []byte("if tls {\n")); i >= 0 {
		block := body[i:]
		block = block[:bytes.Index(block, []byte("\n\t\t}\n"))]
		for _, m := range regexp.MustCompile(`(?m)^\t+(test\w+)\(\)$`).FindAllSubmatch(block, -1) {
			tlsTests = append(tlsTests, string(m[1]))
		}
	}
	if len(tlsTests) == 0 {
		t.Fatalf("functional_tests.go: no SSE-C (if tls) tests found in main")
	}
	sort.Strings(names)
	var table strings.Builder
	for _, n := range names {
		fmt.Fprintf(&table, "\t%q: %s,\n", n, n)
	}

	dir := t.TempDir()
	files := map[string]string{
		"functional_tests.go": string(src),
		"select.go":           fmt.Sprintf(minioGoSelectMain, table.String()),
		"go.mod":              "module miniogofunctional\n\ngo 1.26.0\n\nrequire " + minioGoModule + " " + minioGoVersion + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin = filepath.Join(dir, "minio-go-functional")
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
		c := exec.Command("go", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go %s (minio-go functional tests): %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin, tlsTests
}

// minioGoSelectMain is the binary's main: upstream's, or the tests named in
// MINIO_GO_TESTS, each in turn. %s is the name → function table.
const minioGoSelectMain = `package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

var byName = map[string]func(){
%s}

func main() {
	names := strings.Fields(strings.ReplaceAll(os.Getenv("MINIO_GO_TESTS"), ",", " "))
	if len(names) == 0 {
		upstreamMain()
		return
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.MessageKey || a.Value.String() == "" {
				return slog.Attr{}
			}
			return a
		},
	})))
	for _, n := range names {
		f, ok := byName[n]
		if !ok {
			fmt.Fprintln(os.Stderr, "unknown test:", n)
			os.Exit(2)
		}
		f()
	}
}
`

// writeMinioGoDataFiles creates mint's data files. Their content is what the
// suite generates itself without MINT_DATA_DIR (math/rand seeded with the
// size), since some tests compare checksums against values computed from it.
func writeMinioGoDataFiles(t *testing.T, dir string) {
	t.Helper()
	for name, size := range minioGoDataFiles {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		src := io.LimitReader(mrand.New(mrand.NewSource(int64(size))), int64(size))
		if _, err := io.Copy(f, src); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
