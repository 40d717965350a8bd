package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// directory stands in for the core's read side: the console's handler is
// under test, not the core (the e2e tests run both for real).
type directory struct{}

func (directory) VerifyAdmin(_ context.Context, name, password string) (core.Admin, error) {
	if name == "admin" && password == "good-password" {
		return core.Admin{Name: name}, nil
	}
	return core.Admin{}, errs.New(errs.Unauthenticated, "no")
}

func newTestHandler(t *testing.T, s3 http.Handler) *Handler {
	t.Helper()
	h, err := New(Options{Core: directory{}, S3: s3, S3Endpoint: "http://127.0.0.1:9000", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func do(h http.Handler, method, path string, auth bool) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	if auth {
		r.SetBasicAuth("admin", "good-password")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestStaticPages(t *testing.T) {
	h := newTestHandler(t, nil)
	w := do(h, "GET", "/console/", false)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "js/app.js") || w.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("/console/: %d %s", w.Code, w.Body.String())
	}
	if w := do(h, "GET", "/console/js/pages/objects.js", false); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("module: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := do(h, "GET", "/console/js/", false); w.Code != 404 {
		t.Errorf("a directory: %d (no listings)", w.Code)
	}
	if w := do(h, "POST", "/console/", false); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST a page: %d", w.Code)
	}
	if w := do(h, "GET", "/console/api/nope", true); w.Code != 404 {
		t.Errorf("unknown API: %d", w.Code)
	}
}

func TestAdminAndInfoAPI(t *testing.T) {
	h := newTestHandler(t, nil)
	r := httptest.NewRequest("GET", "/console/api/admin", nil)
	r.SetBasicAuth("admin", "wrong")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("wrong password: %d", w.Code)
	}
	if w := do(h, "GET", "/console/api/admin", true); w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"admin"`) {
		t.Errorf("admin check: %d %s", w.Code, w.Body.String())
	}
	if w := do(h, "GET", "/console/api/admin", false); w.Code != 401 || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("admin check without credentials: %d, challenge %q (a browser would prompt)", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := do(h, "GET", "/console/api/info", false); w.Code != 200 || !strings.Contains(w.Body.String(), `"s3_proxy":"/S3"`) {
		t.Errorf("info: %d %s", w.Code, w.Body.String())
	}
	if w := do(h, "DELETE", "/console/api/admin", true); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", w.Code)
	}
	// The dashboard reads the metrics' /api/coffer/stats: the console
	// keeps no counters of its own.
	if w := do(h, "GET", "/console/api/stats", true); w.Code != 404 {
		t.Errorf("/console/api/stats: %d, want 404", w.Code)
	}
}

func TestS3PassThroughKeepsThePath(t *testing.T) {
	var got *http.Request
	h := newTestHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		io.WriteString(w, "ok")
	}))
	w := do(h, "PUT", "/S3/bucket/a%2Fb%20c?partNumber=1&uploadId=x", false)
	if w.Code != 200 || got == nil {
		t.Fatalf("%d", w.Code)
	}
	if got.URL.EscapedPath() != "/S3/bucket/a%2Fb%20c" || got.URL.RawQuery != "partNumber=1&uploadId=x" {
		t.Errorf("S3 saw %s ? %s", got.URL.EscapedPath(), got.URL.RawQuery)
	}
	if w := do(newTestHandler(t, nil), "GET", "/S3/b", false); w.Code != 404 {
		t.Errorf("without S3: %d", w.Code)
	}
}

func TestDocsHandler(t *testing.T) {
	h := DocsHandler([]APIDoc{{Name: "b.json", Title: "B <api>", JSON: []byte(`{"openapi":"3.0.3"}`)}, {Name: "a.json", Title: "A", JSON: []byte(`{}`)}})
	w := do(h, "GET", "/docs/api", false)
	body := w.Body.String()
	if w.Code != 200 || strings.Index(body, "a.json") > strings.Index(body, "b.json") || !strings.Contains(body, "B &lt;api&gt;") {
		t.Errorf("index: %d %s", w.Code, body)
	}
	if w := do(h, "GET", "/docs/api/b.json", false); w.Body.String() != `{"openapi":"3.0.3"}` || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("document: %s %q", w.Body.String(), w.Header().Get("Content-Type"))
	}
	if w := do(h, "GET", "/docs/api/c.json", false); w.Code != 404 {
		t.Errorf("unknown: %d", w.Code)
	}
}
