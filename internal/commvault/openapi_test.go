package commvault

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that the generated document lists each
// route once, and that every documented operation is answered by that
// route under both API roots.
var idParam = regexp.MustCompile(`\{id[0-9]*\}`)

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
				sample := srv.URL + idParam.ReplaceAllString(path, "17")
				r, params, err := match(method, sample)
				if err != nil {
					t.Errorf("%s %s: %v", method, sample, err)
					continue
				}
				if docPath(r.pattern) != path || r.method != method {
					t.Errorf("%s %s matched route %s %s", method, sample, r.method, r.pattern)
				}
				if got, want := len(params), len(idParam.FindAllString(path, -1)); got != want {
					t.Errorf("%s %s: %d params, want %d", method, sample, got, want)
				}
			}
		}
	}
	if ops != len(routes) {
		t.Errorf("%d operations documented, %d routes", ops, len(routes))
	}
}
