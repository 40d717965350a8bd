package console

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// Stats counts the S3 requests of the last hour, per minute: the
// dashboard's requests-per-second and errors chart. It is in-memory and
// per node (a restart starts empty); the Prometheus metrics are the
// durable, scrapeable view.
type Stats struct {
	mu    sync.Mutex
	slots [statsMinutes]minuteSlot
	now   func() time.Time
}

// statsMinutes is the window the dashboard draws.
const statsMinutes = 60

type minuteSlot struct {
	minute       int64 // Unix minute the counts belong to
	requests     int64
	clientErrors int64 // 4xx
	serverErrors int64 // 5xx
}

// NewStats returns empty counters.
func NewStats() *Stats { return &Stats{now: time.Now} }

// Record counts one finished request with its status.
func (s *Stats) Record(status int) {
	m := s.now().Unix() / 60
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := &s.slots[m%statsMinutes]
	if sl.minute != m {
		*sl = minuteSlot{minute: m}
	}
	sl.requests++
	switch {
	case status >= 500:
		sl.serverErrors++
	case status >= 400:
		sl.clientErrors++
	}
}

// Series is the last hour, oldest minute first: the JSON the dashboard
// reads (GET /console/api/stats).
type Series struct {
	// Start is the first minute's start; each point covers StepSeconds.
	Start        time.Time `json:"start"`
	StepSeconds  int       `json:"step_seconds"`
	Requests     []int64   `json:"requests"`
	ClientErrors []int64   `json:"client_errors"`
	ServerErrors []int64   `json:"server_errors"`
}

// Snapshot returns the last 60 minutes, the current (partial) one last.
func (s *Stats) Snapshot() Series {
	cur := s.now().Unix() / 60
	out := Series{Start: time.Unix((cur-statsMinutes+1)*60, 0).UTC(), StepSeconds: 60,
		Requests: make([]int64, statsMinutes), ClientErrors: make([]int64, statsMinutes), ServerErrors: make([]int64, statsMinutes)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range statsMinutes {
		m := cur - statsMinutes + 1 + int64(i)
		sl := s.slots[m%statsMinutes]
		if sl.minute != m {
			continue
		}
		out.Requests[i], out.ClientErrors[i], out.ServerErrors[i] = sl.requests, sl.clientErrors, sl.serverErrors
	}
	return out
}

// Wrap counts every request h serves.
func (s *Stats) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() { s.Record(sw.status()) }()
		h.ServeHTTP(sw, r)
	})
}

// statusWriter records the status a handler writes, passing through
// Flush, ReadFrom and (for http.ResponseController) Unwrap.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(w.ResponseWriter, r)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
