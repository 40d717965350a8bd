// Package kvmetrics measures a kv.Store: it wraps one and records, for
// every View and Update, its duration and outcome, and for Update how many
// times fn ran again after a conflict. It works over any implementation
// (Pebble, PostgreSQL): it sees only the kv.Store contract.
//
// A Store is a prometheus.Collector of its metrics; register it where they
// are exported (internal/metrics):
//
//	coffer_kv_operation_duration_seconds{op}      histogram, op = view | update
//	coffer_kv_operations_total{op, result}        counter, result = ok | aborted | conflict | canceled | error
//	coffer_kv_update_retries_total                counter, re-runs of an Update's fn
//
// "aborted" is an Update or View whose fn returned an error (a business
// outcome such as a failed precondition, not a storage failure); "conflict"
// an Update that exhausted its retries (kv.ErrConflict); "canceled" one whose
// context ended; "error" anything else the store returned.
package kvmetrics

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"coffer/internal/kv"
)

// Store is a kv.Store that measures the one it wraps, and the
// prometheus.Collector of those measurements.
type Store struct {
	inner         kv.Store
	dur           *prometheus.HistogramVec
	ops           *prometheus.CounterVec
	view, update  prometheus.Observer
	viewResults   [numResults]prometheus.Counter
	updateResults [numResults]prometheus.Counter
	retries       prometheus.Counter
}

var (
	_ kv.Store             = (*Store)(nil)
	_ prometheus.Collector = (*Store)(nil)
)

type result int

const (
	resultOK result = iota
	resultAborted
	resultConflict
	resultCanceled
	resultError
	numResults
)

var resultNames = [numResults]string{"ok", "aborted", "conflict", "canceled", "error"}

// Buckets are the latency buckets of kv operations, in seconds: 25 µs (a
// cached read) to 10 s.
var Buckets = []float64{.000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// New wraps inner.
func New(inner kv.Store) *Store {
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coffer_kv_operation_duration_seconds",
		Help: "Duration of metadata store transactions (View; Update with its retries and commit fsync).", Buckets: Buckets},
		[]string{"op"})
	ops := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_kv_operations_total",
		Help: "Metadata store transactions by outcome."}, []string{"op", "result"})
	retries := prometheus.NewCounter(prometheus.CounterOpts{Name: "coffer_kv_update_retries_total",
		Help: "Times an Update's function ran again after a transaction conflict."})
	s := &Store{inner: inner, dur: dur, ops: ops, view: dur.WithLabelValues("view"), update: dur.WithLabelValues("update"), retries: retries}
	for r := range numResults {
		s.viewResults[r] = ops.WithLabelValues("view", resultNames[r])
		s.updateResults[r] = ops.WithLabelValues("update", resultNames[r])
	}
	return s
}

// Describe implements prometheus.Collector.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	s.dur.Describe(ch)
	s.ops.Describe(ch)
	s.retries.Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	s.dur.Collect(ch)
	s.ops.Collect(ch)
	s.retries.Collect(ch)
}

// Unwrap returns the measured store.
func (s *Store) Unwrap() kv.Store { return s.inner }

// call carries one View or Update's function and what it returned. Calls
// are pooled with their bound method values, so that measuring a
// transaction allocates nothing.
type call struct {
	view      func(kv.Reader) error
	update    func(kv.Txn) error
	fnErr     error
	runs      int
	runView   func(kv.Reader) error
	runUpdate func(kv.Txn) error
}

var calls = sync.Pool{New: func() any {
	c := &call{}
	c.runView = func(tx kv.Reader) error { c.fnErr = c.view(tx); return c.fnErr }
	c.runUpdate = func(tx kv.Txn) error { c.runs++; c.fnErr = c.update(tx); return c.fnErr }
	return c
}}

func getCall() *call { return calls.Get().(*call) }

func putCall(c *call) {
	c.view, c.update, c.fnErr, c.runs = nil, nil, nil, 0
	calls.Put(c)
}

// View runs inner.View, measured.
func (s *Store) View(ctx context.Context, fn func(tx kv.Reader) error) error {
	c := getCall()
	defer putCall(c)
	c.view = fn
	start := time.Now()
	err := s.inner.View(ctx, c.runView)
	s.view.Observe(time.Since(start).Seconds())
	s.viewResults[classify(err, c.fnErr)].Inc()
	return err
}

// Update runs inner.Update, measured; every run of fn after the first is
// a retry.
func (s *Store) Update(ctx context.Context, fn func(tx kv.Txn) error) error {
	c := getCall()
	defer putCall(c)
	c.update = fn
	start := time.Now()
	err := s.inner.Update(ctx, c.runUpdate)
	s.update.Observe(time.Since(start).Seconds())
	if c.runs > 1 {
		s.retries.Add(float64(c.runs - 1))
	}
	s.updateResults[classify(err, c.fnErr)].Inc()
	return err
}

// WatchKey passes the inner store's kv.KeyWatcher through.
func (s *Store) WatchKey(key []byte) *atomic.Uint64 { return kv.WatchKey(s.inner, key) }

// GetMulti runs the inner store's GetMulti, measured as a view; over a
// store without one it reads the keys in a View.
func (s *Store) GetMulti(ctx context.Context, keys [][]byte) ([][]byte, error) {
	start := time.Now()
	vals, err := kv.GetMulti(ctx, s.inner, keys)
	s.view.Observe(time.Since(start).Seconds())
	s.viewResults[classify(err, nil)].Inc()
	return vals, err
}

var _ kv.MultiGetter = (*Store)(nil)

// Close closes inner.
func (s *Store) Close() error { return s.inner.Close() }

func classify(err, fnErr error) result {
	switch {
	case err == nil:
		return resultOK
	case fnErr != nil && errors.Is(err, fnErr):
		return resultAborted
	case errors.Is(err, kv.ErrConflict):
		return resultConflict
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return resultCanceled
	}
	return resultError
}

// Notify passes a wake-up to the inner store when it is a kv.Notifier (the
// change feed's wake-up must not stop at the measuring wrapper); otherwise
// it does nothing, which Notifier's best-effort contract allows.
func (s *Store) Notify(ctx context.Context, channel string) error {
	if n, ok := s.inner.(kv.Notifier); ok {
		return n.Notify(ctx, channel)
	}
	return nil
}

// Subscribe subscribes to the inner store's wake-ups; without a Notifier
// underneath, the channel never fires (readers poll).
func (s *Store) Subscribe(channel string) (<-chan struct{}, func()) {
	if n, ok := s.inner.(kv.Notifier); ok {
		return n.Subscribe(channel)
	}
	return make(chan struct{}), func() {}
}

var _ kv.Notifier = (*Store)(nil)
