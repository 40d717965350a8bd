package metrics

import (
	"os"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

var metricName = regexp.MustCompile(`\bcoffer_[a-z0-9_]+`)

// baseName strips a histogram's series suffixes.
func baseName(n string, known map[string]bool) string {
	for _, suf := range []string{"_bucket", "_count", "_sum"} {
		if b, ok := strings.CutSuffix(n, suf); ok && known[b] {
			return b
		}
	}
	return n
}

// checkDocs fails when an exported coffer_ metric is missing from
// docs/operations.md, or the Grafana dashboard uses a name that is not
// exported.
func checkDocs(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	dash, err := os.ReadFile("../../docs/grafana-coffer.json")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	// Exported only when a read fails.
	fams["coffer_metrics_collect_errors"] = &dto.MetricFamily{}
	for name := range fams {
		if strings.HasPrefix(name, "coffer_") {
			exported[name] = true
			if !strings.Contains(string(ops), "`"+name+"`") {
				t.Errorf("%s is not documented in docs/operations.md", name)
			}
		}
	}
	for _, n := range metricName.FindAllString(string(dash), -1) {
		if b := baseName(n, exported); !exported[b] {
			t.Errorf("the dashboard uses %s, which is not exported", n)
		}
	}
	for _, n := range metricName.FindAllString(string(ops), -1) {
		if b := baseName(n, exported); !exported[b] && !strings.HasSuffix(n, "_") {
			t.Errorf("docs/operations.md names %s, which is not exported", n)
		}
	}
}
