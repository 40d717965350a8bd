package s3api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/reqlog"
	"coffer/internal/sigv4"
)

// newLoggedHandler is an S3 handler over a fake backend, as testPrincipal,
// logging to log, with bucket "bkt" holding "dir/key".
func newLoggedHandler(tb testing.TB, log *slog.Logger) http.Handler {
	tb.Helper()
	h, err := New(Options{Backend: newFakeBackend(), Authorizer: &fakeAuthz{}, Logger: log,
		authenticate: func(r *http.Request) (core.Principal, *sigv4.Auth, error) {
			return testPrincipal, &sigv4.Auth{AccessKey: testPrincipal.AccessKey, Mode: sigv4.PayloadUnsigned, DecodedLength: -1}, nil
		}})
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range []string{"/bkt", "/bkt/dir/key"} {
		w := httptest.NewRecorder()
		body := ""
		if p != "/bkt" {
			body = "hello, world"
		}
		h.ServeHTTP(w, httptest.NewRequest("PUT", p, strings.NewReader(body)))
		if w.Code != 200 {
			tb.Fatalf("PUT %s: %d %s", p, w.Code, w.Body)
		}
	}
	return h
}

// Every S3 request logs one JSON line at info with the request's fields.
func TestRequestLog_s3Line(t *testing.T) {
	var buf bytes.Buffer
	h := newLoggedHandler(t, slog.New(slog.NewJSONHandler(&buf, nil)))
	buf.Reset()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/bkt/dir/key", nil))
	w2 := httptest.NewRecorder()
	h.ServeHTTP(w2, httptest.NewRequest("GET", "/bkt/missing", nil))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %d:\n%s", len(lines), buf.String())
	}
	var ok, missing map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &ok); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &missing); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"level": "INFO", "msg": "request", "dialect": "s3", "listener": "s3", "op": "GetObject",
		"tenant": "t1", "bucket": "bkt", "key": "dir/key", "principal": "alice", "status": 200.0,
		"bytes_out": 12.0, "error_code": "", "request_id": w.Header().Get("X-Amz-Request-Id")}
	for k, v := range want {
		if ok[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, ok[k], v, lines[0])
		}
	}
	if _, has := ok["duration_ms"]; !has {
		t.Errorf("no duration_ms: %s", lines[0])
	}
	if missing["error_code"] != "NoSuchKey" || missing["status"] != 404.0 {
		t.Errorf("error line: %s", lines[1])
	}
}

// The request log's cost on the hot path: GetObject of a small object
// with the line off (level warn: what a debug line cost before) and on
// (info, JSON to /dev/null through a real file descriptor: a write(2) per
// request; and through reqlog.AsyncWriter, as cmd/coffer does).
func BenchmarkServeHTTP_requestLog(b *testing.B) {
	for _, c := range []struct {
		name  string
		level slog.Level
		async bool
	}{{"off", slog.LevelWarn, false}, {"info", slog.LevelInfo, false}, {"info-async", slog.LevelInfo, true}} {
		b.Run(c.name, func(b *testing.B) {
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			var w io.Writer = f
			if c.async { // as cmd/coffer writes its log
				aw := reqlog.NewAsyncWriter(f, 100*time.Millisecond)
				defer aw.Close()
				w = aw
			}
			h := newLoggedHandler(b, slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.level})))
			req := httptest.NewRequest("GET", "/bkt/dir/key", nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
