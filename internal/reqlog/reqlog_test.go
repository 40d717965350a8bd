package reqlog

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestMiddleware_logsOneLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var seenID string
	h := Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := From(r.Context())
		seenID = rec.ID()
		b, _ := io.ReadAll(r.Body)
		rec.SetOperation("POST svms")
		rec.SetPrincipal("admin")
		rec.SetTenant("svm-uuid")
		rec.SetErrorCode("2")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(append(b, "!!"...))
	}))
	req := httptest.NewRequest("POST", "/api/svm/svms", strings.NewReader(`{"name":"x"}`))
	req.RemoteAddr = "192.0.2.7:4321"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if got := w.Header().Get("X-Request-Id"); got == "" || got != seenID || len(got) != 16 {
		t.Fatalf("X-Request-Id %q, handler saw %q", got, seenID)
	}
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &m); err != nil {
		t.Fatalf("not one JSON line: %v\n%s", err, buf.String())
	}
	want := map[string]any{"level": "INFO", "msg": "request", "request_id": seenID, "listener": "admin",
		"dialect": "ontap", "op": "POST svms", "method": "POST", "path": "/api/svm/svms", "remote": "192.0.2.7",
		"tenant": "svm-uuid", "principal": "admin", "status": 400.0, "error_code": "2",
		"bytes_in": 12.0, "bytes_out": 14.0}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if d, ok := m["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms %v", m["duration_ms"])
	}
}

func TestDialectOf(t *testing.T) {
	for p, want := range map[string]string{"/api/cluster": "ontap", "/CommandCenter/API/Login": "commvault",
		"/webconsole/api/": "commvault", "/health/ready": "health", "/debug/pprof/": "pprof", "/": "admin",
		"/api/coffer/kms/keys": "coffer", "/metrics": "metrics", "/console/": "console", "/metricsx": "admin"} {
		if got := DialectOf(p); got != want {
			t.Errorf("DialectOf(%q) = %q, want %q", p, got, want)
		}
	}
}

// Setters on a nil Record (a dialect served without the middleware) do
// nothing; ids are unique.
func TestRecord_nilAndIDs(t *testing.T) {
	var r *Record
	r.SetOperation("x")
	r.SetPrincipal("x")
	if r.ID() != "" || r.Addr() != "" || From(httptest.NewRequest("GET", "/", nil).Context()) != nil {
		t.Fatal("nil record")
	}
	ids := NewIDs()
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				id := ids.Next()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestClientAddr(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	for in, want := range map[string]string{"10.1.2.3:80": "10.1.2.3", "[2001:db8::1]:443": "2001:db8::1", "weird": "weird"} {
		r.RemoteAddr = in
		if got := ClientAddr(r); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

type observed []Summary

func (o *observed) ObserveRequest(s Summary) { *o = append(*o, s) }

// Observers see each request's summary: what the dialect set, never the
// log's fallback operation.
func TestMiddleware_observers(t *testing.T) {
	var a, b observed
	h := Middleware(slog.New(slog.NewJSONHandler(io.Discard, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/svm/svms" {
			From(r.Context()).SetOperation("POST svms")
			io.ReadAll(r.Body)
			w.WriteHeader(http.StatusCreated)
		}
		w.Write([]byte("abc"))
	}), &a, &b)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/svm/svms", strings.NewReader("12345")))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/health/live", nil))
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("observed %d and %d requests, want 2", len(a), len(b))
	}
	s := a[0]
	if s.Dialect != "ontap" || s.Operation != "POST svms" || s.Status != 201 || s.BytesIn != 5 || s.BytesOut != 3 ||
		s.Path != "/api/svm/svms" || s.Duration < 0 || s.Start.IsZero() {
		t.Errorf("summary %+v", s)
	}
	if s := a[1]; s.Dialect != "health" || s.Operation != "" || s.Status != 200 {
		t.Errorf("health summary %+v", s)
	}
}
