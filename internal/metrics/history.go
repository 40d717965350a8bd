package metrics

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/objects"
	"coffer/internal/reqlog"
)

// history keeps the request counts of the last hour by minute, for the
// console's dashboard (GET /api/coffer/stats).
//
// Requests add to running totals (atomic adds); at the first request (or
// read) of each minute the totals are copied into that minute's slot, so a
// minute's counts are the difference between its slot and the next one
// taken (or the live totals). Nothing is ever lost; a request that ends
// just as a minute turns may count in the minute before.
type history struct {
	reqs, err4, err5, in, out atomic.Uint64

	last atomic.Int64 // the minute (Unix minutes) of the latest snapshot

	mu    sync.Mutex
	slots [historyMinutes + 1]minuteSlot // by minute modulo the ring
}

// historyMinutes is how far back the history goes.
const historyMinutes = 60

type minuteSlot struct {
	minute int64 // Unix minutes; 0 = never written
	totals counts
}

type counts struct {
	Requests     uint64 `json:"requests"`
	ClientErrors uint64 `json:"client_errors"`
	ServerErrors uint64 `json:"server_errors"`
	BytesIn      uint64 `json:"bytes_in"`
	BytesOut     uint64 `json:"bytes_out"`
}

func newHistory() *history { return &history{} }

func (h *history) totals() counts {
	return counts{Requests: h.reqs.Load(), ClientErrors: h.err4.Load(), ServerErrors: h.err5.Load(),
		BytesIn: h.in.Load(), BytesOut: h.out.Load()}
}

// tick snapshots the totals into minute m's slot if m has none yet.
func (h *history) tick(m int64) {
	if h.last.Load() >= m {
		return
	}
	h.mu.Lock()
	if h.last.Load() < m {
		h.slots[m%int64(len(h.slots))] = minuteSlot{minute: m, totals: h.totals()}
		h.last.Store(m)
	}
	h.mu.Unlock()
}

// add counts a request that ended at end.
func (h *history) add(end time.Time, status int, in, out int64) {
	h.tick(end.Unix() / 60)
	h.reqs.Add(1)
	switch {
	case status >= 500:
		h.err5.Add(1)
	case status >= 400:
		h.err4.Add(1)
	}
	h.in.Add(uint64(max(in, 0)))
	h.out.Add(uint64(max(out, 0)))
}

// Minute is one minute of the history.
type Minute struct {
	Start time.Time `json:"start"`
	counts
}

// Stats is the JSON document of GET /api/coffer/stats.
type Stats struct {
	// IntervalSeconds is the length of one entry (60).
	IntervalSeconds int `json:"interval_seconds"`
	// Minutes are the last 60 minutes, oldest first; the last is the
	// current, partial minute.
	Minutes []Minute `json:"minutes"`
	// Totals are the counts since the server started.
	Totals counts `json:"totals"`
	// Capacity is the data directory's file system and what the buckets
	// hold; absent without Options.DiskSpace.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Tenants are every tenant's usage, by name; absent without
	// Options.Core and Options.Objects.
	Tenants []TenantStats `json:"tenants,omitempty"`
}

// Capacity is the dashboard's capacity card.
type Capacity struct {
	TotalBytes int64 `json:"total_bytes"`
	FreeBytes  int64 `json:"free_bytes"`
	UsedBytes  int64 `json:"used_bytes"`
	// StoredBytes are the buckets' logical bytes (every version).
	StoredBytes int64 `json:"stored_bytes"`
}

// TenantStats is one tenant's usage, from the same counters as the
// coffer_tenant_* gauges (but every tenant: the dashboard's table is not
// a label set).
type TenantStats struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	State   string `json:"state"`
	Buckets int64  `json:"buckets"`
	Objects int64  `json:"objects"`
	Bytes   int64  `json:"bytes"`
}

// snapshot renders the last historyMinutes minutes ending with now's.
func (h *history) snapshot(now time.Time) Stats {
	cur := now.Unix() / 60
	h.tick(cur)
	h.mu.Lock()
	slots := h.slots
	h.mu.Unlock()
	live := h.totals()
	n := int64(len(slots))
	// at(m) is the snapshot taken at minute m, if the ring still holds it.
	at := func(m int64) (counts, bool) {
		s := slots[m%n]
		return s.totals, s.minute == m
	}
	out := Stats{IntervalSeconds: 60, Minutes: make([]Minute, 0, historyMinutes), Totals: live}
	for m := cur - historyMinutes + 1; m <= cur; m++ {
		e := Minute{Start: time.Unix(m*60, 0).UTC()}
		if start, ok := at(m); ok {
			end := live
			for k := m + 1; k <= cur; k++ { // the next snapshot taken
				if t, ok := at(k); ok {
					end = t
					break
				}
			}
			e.counts = counts{Requests: end.Requests - start.Requests, ClientErrors: end.ClientErrors - start.ClientErrors,
				ServerErrors: end.ServerErrors - start.ServerErrors, BytesIn: end.BytesIn - start.BytesIn,
				BytesOut: end.BytesOut - start.BytesOut}
		}
		out.Minutes = append(out.Minutes, e)
	}
	return out
}

// StatsHandler serves GET /api/coffer/stats: the per-minute request
// history of the last hour (both listeners), as JSON, after Auth.
func (m *Metrics) StatsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := reqlog.From(r.Context())
		rec.SetOperation("GET stats")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !m.opts.Auth.check(w, r, rec) {
			return
		}
		st, err := m.stats(r.Context())
		if err != nil {
			m.opts.Logger.Error("metrics: stats", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(st)
	})
}

// stats is the history with the capacity and the tenants' usage.
func (m *Metrics) stats(ctx context.Context) (Stats, error) {
	st := m.history.snapshot(m.opts.Now())
	if m.opts.Core != nil && m.opts.Objects != nil {
		usage, err := m.opts.Objects.UsageByTenant(ctx)
		if err != nil {
			return st, err
		}
		tenants, err := m.opts.Core.ListTenants(ctx)
		if err != nil {
			return st, err
		}
		byID := make(map[string]objects.TenantUsage, len(usage))
		for _, u := range usage {
			byID[u.Tenant] = u
		}
		st.Tenants = make([]TenantStats, 0, len(tenants))
		for _, t := range tenants {
			u := byID[t.UUID]
			st.Tenants = append(st.Tenants, TenantStats{Name: t.Name, UUID: t.UUID, State: string(t.State),
				Buckets: u.Buckets, Objects: u.Objects, Bytes: u.Bytes})
		}
		slices.SortFunc(st.Tenants, func(a, b TenantStats) int { return cmp.Compare(a.Name, b.Name) })
	}
	if m.opts.DiskSpace != nil {
		total, free, err := m.opts.DiskSpace()
		if err != nil {
			return st, err
		}
		st.Capacity = &Capacity{TotalBytes: total, FreeBytes: free, UsedBytes: total - free}
		for _, t := range st.Tenants {
			st.Capacity.StoredBytes += t.Bytes
		}
	}
	return st, nil
}
