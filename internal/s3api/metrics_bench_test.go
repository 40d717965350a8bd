package s3api_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"coffer/internal/metrics"
	"coffer/internal/reqlog"
	"coffer/internal/s3api"
)

// BenchmarkServeHTTP_requestLogMetrics is BenchmarkServeHTTP_requestLog's
// info-async case with the metrics observer, as the server runs: the
// difference between the two is the request metrics' cost.
func BenchmarkServeHTTP_requestLogMetrics(b *testing.B) {
	for _, observed := range []bool{false, true} {
		name := "without"
		if observed {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			aw := reqlog.NewAsyncWriter(f, 100*time.Millisecond)
			defer aw.Close()
			var obs s3api.RequestObserver
			if observed {
				m, err := metrics.New(metrics.Options{Auth: metrics.Auth{Public: true}})
				if err != nil {
					b.Fatal(err)
				}
				obs = m
			}
			h := s3api.NewObservedHandler(b, slog.New(slog.NewJSONHandler(io.Writer(aw), nil)), obs)
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

// The observer sees every request: a GET counted under GetObject.
func TestObserver_seesRequests(t *testing.T) {
	m, err := metrics.New(metrics.Options{Auth: metrics.Auth{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	h := s3api.NewObservedHandler(t, slog.New(slog.NewJSONHandler(io.Discard, nil)), m)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/bkt/dir/key", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/bkt/missing", nil))
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`coffer_requests_total{dialect="s3",op="GetObject",status_class="2xx"} 1`,
		`coffer_requests_total{dialect="s3",op="GetObject",status_class="4xx"} 1`,
		`coffer_requests_total{dialect="s3",op="PutObject",status_class="2xx"} 1`,
		`coffer_requests_total{dialect="s3",op="CreateBucket",status_class="2xx"} 1`,
		`coffer_request_sent_bytes_total{dialect="s3",op="GetObject"} `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in:\n%s", want, grepCoffer(body))
		}
	}
}

func grepCoffer(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "coffer_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
