package commvault

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var paramRE = regexp.MustCompile(`\{[A-Za-z]+\}`)

func uniq(l []string) []string {
	c := slices.Clone(l)
	slices.Sort(c)
	return slices.Compact(c)
}

// TestOpenAPIMatchesRoutes checks that the generated document lists each
// route once, and that every documented operation is answered by that
// route under both API roots.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI("test"), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" || len(doc.Servers) != 2 {
		t.Fatalf("openapi %q, servers %v", doc.OpenAPI, doc.Servers)
	}
	ops := 0
	for path, item := range doc.Paths {
		for m := range item {
			if m == "parameters" {
				continue
			}
			ops++
			method := strings.ToUpper(m)
			for _, srv := range doc.Servers {
				sample := srv.URL + paramRE.ReplaceAllString(path, "17")
				r, params, err := match(method, sample)
				if err != nil {
					t.Errorf("%s %s: %v", method, sample, err)
					continue
				}
				if "/"+r.pattern != path || r.method != method {
					t.Errorf("%s %s matched route %s %s", method, sample, r.method, r.pattern)
				}
				names := paramRE.FindAllString(path, -1)
				if len(names) != len(uniq(names)) {
					t.Errorf("%s: a path parameter named twice", path)
				}
				if got, want := len(params), len(names); got != want {
					t.Errorf("%s %s: %d params, want %d", method, sample, got, want)
				}
			}
		}
	}
	if ops != len(routes) {
		t.Errorf("%d operations documented, %d routes", ops, len(routes))
	}
}
