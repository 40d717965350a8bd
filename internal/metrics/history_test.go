package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/objects"
)

func TestHistory_minutes(t *testing.T) {
	h := newHistory()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	h.add(t0.Add(5*time.Second), 200, 10, 20)
	h.add(t0.Add(50*time.Second), 404, 0, 5)
	// Nothing in 12:01; two in 12:02, one a server error.
	h.add(t0.Add(2*time.Minute+time.Second), 503, 1, 0)
	h.add(t0.Add(2*time.Minute+30*time.Second), 200, 0, 0)
	s := h.snapshot(t0.Add(2*time.Minute + 40*time.Second))
	if s.IntervalSeconds != 60 || len(s.Minutes) != historyMinutes {
		t.Fatalf("interval %d, %d minutes", s.IntervalSeconds, len(s.Minutes))
	}
	last := s.Minutes[len(s.Minutes)-3:]
	if !last[0].Start.Equal(t0) || !last[2].Start.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("starts %v %v", last[0].Start, last[2].Start)
	}
	want := []counts{{Requests: 2, ClientErrors: 1, BytesIn: 10, BytesOut: 25}, {}, {Requests: 2, ServerErrors: 1, BytesIn: 1}}
	for i, w := range want {
		if last[i].counts != w {
			t.Errorf("minute %v: %+v, want %+v", last[i].Start, last[i].counts, w)
		}
	}
	if s.Minutes[0].Requests != 0 || s.Totals.Requests != 4 {
		t.Errorf("oldest %+v, totals %+v", s.Minutes[0], s.Totals)
	}
	// An hour later the window holds none of it, but the totals do.
	s = h.snapshot(t0.Add(2 * time.Hour))
	for _, m := range s.Minutes {
		if m.Requests != 0 {
			t.Errorf("minute %v still counts %+v", m.Start, m.counts)
		}
	}
	if s.Totals.Requests != 4 {
		t.Errorf("totals %+v", s.Totals)
	}
}

func TestStatsHandler_json(t *testing.T) {
	now := time.Now()
	m, err := New(Options{Auth: Auth{Public: true}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m.history.add(now, 500, 0, 0)
	w := httptest.NewRecorder()
	m.StatsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/api/coffer/stats", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc struct {
		IntervalSeconds int `json:"interval_seconds"`
		Minutes         []struct {
			Start        time.Time `json:"start"`
			Requests     uint64    `json:"requests"`
			ServerErrors uint64    `json:"server_errors"`
		} `json:"minutes"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if n := len(doc.Minutes); n != 60 || doc.Minutes[n-1].Requests != 1 || doc.Minutes[n-1].ServerErrors != 1 {
		t.Errorf("document %s", w.Body)
	}
	w = httptest.NewRecorder()
	m.StatsHandler().ServeHTTP(w, httptest.NewRequest("POST", "/api/coffer/stats", nil))
	if w.Code != 405 {
		t.Errorf("POST: %d", w.Code)
	}
}

// The stats document carries every tenant's usage (by name, from the
// buckets' counters) and the capacity, for the console's dashboard.
func TestStatsHandler_usageAndCapacity(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	for name, size := range map[string]int{"beta": 2000, "alpha": 1000} {
		tn, err := st.core.CreateTenant(ctx, core.CreateTenantInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.obj.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tn.UUID, Name: "b-" + name}); err != nil {
			t.Fatal(err)
		}
		st.put(t, tn.UUID, "b-"+name, "a", size/2)
		st.put(t, tn.UUID, "b-"+name, "b", size/2)
	}
	if _, err := st.core.CreateTenant(ctx, core.CreateTenantInput{Name: "empty"}); err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Core: st.core, Objects: st.obj, Auth: Auth{Public: true},
		DiskSpace: func() (int64, int64, error) { return 1000_000, 400_000, nil }})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	m.StatsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/api/coffer/stats", nil))
	var doc Stats
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
		t.Fatalf("%d %v %s", w.Code, err, w.Body)
	}
	var got []string
	for _, tn := range doc.Tenants {
		got = append(got, fmt.Sprintf("%s:%d/%d/%d", tn.Name, tn.Buckets, tn.Objects, tn.Bytes))
		if tn.UUID == "" {
			t.Errorf("tenant %s without uuid", tn.Name)
		}
	}
	if want := "alpha:1/2/1000 beta:1/2/2000 empty:0/0/0"; strings.Join(got, " ") != want {
		t.Errorf("tenants %q, want %q", got, want)
	}
	if c := doc.Capacity; c == nil || *c != (Capacity{TotalBytes: 1000_000, FreeBytes: 400_000, UsedBytes: 600_000, StoredBytes: 3000}) {
		t.Errorf("capacity %+v", c)
	}
}
