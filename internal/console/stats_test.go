package console

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStatsWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 30, 0, time.UTC)
	s := &Stats{now: func() time.Time { return now }}
	s.Record(200)
	s.Record(404)
	s.Record(503)
	now = now.Add(time.Minute)
	s.Record(204)
	snap := s.Snapshot()
	if len(snap.Requests) != statsMinutes || snap.StepSeconds != 60 {
		t.Fatalf("snapshot %+v", snap)
	}
	last := statsMinutes - 1
	if snap.Requests[last] != 1 || snap.Requests[last-1] != 3 || snap.ClientErrors[last-1] != 1 || snap.ServerErrors[last-1] != 1 {
		t.Errorf("last minutes: requests %v, 4xx %v, 5xx %v", snap.Requests[last-1:], snap.ClientErrors[last-1:], snap.ServerErrors[last-1:])
	}
	if want := time.Date(2026, 1, 1, 9, 2, 0, 0, time.UTC); !snap.Start.Equal(want) {
		t.Errorf("start %v, want %v", snap.Start, want)
	}
	// An hour later the old slots are gone, though they share the ring's index.
	now = now.Add(time.Hour)
	s.Record(200)
	snap = s.Snapshot()
	var total int64
	for _, n := range snap.Requests {
		total += n
	}
	if total != 1 || snap.Requests[last] != 1 {
		t.Errorf("after an hour: %v", snap.Requests)
	}
}

func TestStatsWrapStatus(t *testing.T) {
	s := NewStats()
	h := s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/broken":
			http.Error(w, "x", http.StatusInternalServerError)
		case "/flush":
			w.Write([]byte("a"))
			http.NewResponseController(w).Flush()
		}
	}))
	for _, p := range []string{"/", "/missing", "/broken", "/flush"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if p == "/flush" && !rec.Flushed {
			t.Error("Flush did not reach the writer")
		}
	}
	snap := s.Snapshot()
	last := statsMinutes - 1
	if snap.Requests[last] != 4 || snap.ClientErrors[last] != 1 || snap.ServerErrors[last] != 1 {
		t.Errorf("requests %d, 4xx %d, 5xx %d", snap.Requests[last], snap.ClientErrors[last], snap.ServerErrors[last])
	}
}
