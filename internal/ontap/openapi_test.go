package ontap

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes parses every path of the generated document
// back through the router: each template names the resource it documents,
// with exactly the methods the router serves, and every resource is
// documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI("test"), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	for res := resource(1); int(res) < len(resourceNames); res++ {
		if _, ok := methods[res]; !ok {
			t.Errorf("resource %v has no methods", res)
		}
		if resourceDocs[res].path == "" {
			t.Errorf("resource %v has no documented path", res)
		}
	}
	if len(doc.Paths) != len(methods) {
		t.Errorf("%d paths documented, %d resources routed", len(doc.Paths), len(methods))
	}
	for path, item := range doc.Paths {
		sample := "/api" + strings.NewReplacer("{svm.uuid}", "svm-1", "{uuid}", "u-1", "{name}", "n-1", "{id}", "7").Replace(path)
		var got []string
		for m := range item {
			if m == "parameters" {
				continue
			}
			got = append(got, strings.ToUpper(m))
		}
		sort.Strings(got)
		var res resource
		for _, m := range got {
			rt, err := parseRoute(m, sample)
			if err != nil {
				t.Errorf("%s %s (documented as %s): router answers %v", m, sample, path, err)
				continue
			}
			res = rt.Res
		}
		if res == resNone {
			continue
		}
		if resourceDocs[res].path != path {
			t.Errorf("%s routes to %v, documented at %s", sample, res, resourceDocs[res].path)
		}
		want := append([]string(nil), methods[res]...)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: documented %v, routed %v", path, got, want)
		}
		// A method the document omits is not routed.
		for _, m := range []string{http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete} {
			if !contains(want, m) {
				if _, err := parseRoute(m, sample); err == nil {
					t.Errorf("%s %s routes but is not documented", m, path)
				}
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestOpenAPIBodiesFromFieldSets checks that request and record schemas
// are the field sets the handlers validate with.
func TestOpenAPIBodiesFromFieldSets(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI("test"), &doc); err != nil {
		t.Fatal(err)
	}
	at := func(keys ...string) map[string]any {
		var cur any = doc
		for _, k := range keys {
			m, _ := cur.(map[string]any)
			cur = m[k]
		}
		m, _ := cur.(map[string]any)
		return m
	}
	post := at("paths", "/protocols/s3/services/{svm.uuid}/users", "post", "requestBody", "content", "application/json", "schema", "properties")
	for _, f := range []string{"name", "comment", "key_time_to_live"} {
		if post[f] == nil {
			t.Errorf("POST users body lacks %q: %v", f, post)
		}
	}
	patch := at("paths", "/protocols/s3/services/{svm.uuid}/users/{name}", "patch", "requestBody", "content", "application/json", "schema", "properties")
	if patch["name"] != nil || patch["comment"] == nil {
		t.Errorf("PATCH user body: %v", patch)
	}
	rec := at("paths", "/protocols/s3/services/{svm.uuid}/users/{name}", "get", "responses", "200", "content", "application/hal+json", "schema", "properties")
	if rec["access_key"] == nil || at("paths", "/protocols/s3/services/{svm.uuid}/users/{name}", "get", "responses", "200", "content",
		"application/hal+json", "schema", "properties", "svm", "properties")["uuid"] == nil {
		t.Errorf("user record: %v", rec)
	}
	for _, f := range userPostFields.Paths() {
		if !userPostFields.Allows(strings.TrimSuffix(f, ".*")) {
			t.Errorf("Paths lists %q, which the set refuses", f)
		}
	}
}
