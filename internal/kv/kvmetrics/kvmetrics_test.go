package kvmetrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"

	"coffer/internal/kv"
	"coffer/internal/kv/kvmetrics"
	"coffer/internal/kv/kvtest"
	"coffer/internal/kv/pebble"
)

func open(t *testing.T) (*kvmetrics.Store, *prometheus.Registry) {
	t.Helper()
	inner, err := pebble.OpenOnFS(vfs.NewMem(), "db")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := kvmetrics.New(inner)
	if err := reg.Register(s); err != nil {
		t.Fatal(err)
	}
	return s, reg
}

// The wrapper keeps the kv.Store contract.
func TestConformance(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) kv.Store {
		s, _ := open(t)
		return s
	})
}

func TestMetrics_outcomes(t *testing.T) {
	s, reg := open(t)
	defer s.Close()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx kv.Reader) error { _, err := tx.Get([]byte("a")); return err }); err != nil {
		t.Fatal(err)
	}
	errNo := errors.New("precondition failed")
	if err := s.Update(ctx, func(tx kv.Txn) error { return errNo }); !errors.Is(err, errNo) {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx kv.Reader) error { _, err := tx.Get([]byte("missing")); return err }); !errors.Is(err, kv.ErrNotFound) {
		t.Fatal(err)
	}
	// One retry: a concurrent commit of the key fn read.
	first := true
	err := s.Update(ctx, func(tx kv.Txn) error {
		if _, err := tx.Get([]byte("a")); err != nil {
			return err
		}
		if first {
			first = false
			if err := s.Unwrap().Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte("a"), []byte("2")) }); err != nil {
				return err
			}
		}
		return tx.Set([]byte("b"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.View(cctx, func(tx kv.Reader) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}

	ops, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range ops {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[key] = m.Counter.GetValue()
			case m.Histogram != nil:
				got[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		"coffer_kv_operations_total,op=update,result=ok":       2,
		"coffer_kv_operations_total,op=update,result=aborted":  1,
		"coffer_kv_operations_total,op=view,result=ok":         1,
		"coffer_kv_operations_total,op=view,result=aborted":    1,
		"coffer_kv_operations_total,op=view,result=canceled":   1,
		"coffer_kv_operations_total,op=update,result=conflict": 0,
		"coffer_kv_update_retries_total":                       1,
		"coffer_kv_operation_duration_seconds,op=update":       3,
		"coffer_kv_operation_duration_seconds,op=view":         3,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	n := 0
	for k := range got {
		if strings.HasPrefix(k, "coffer_kv_operations_total,") {
			n++
		}
	}
	if n != 10 {
		t.Errorf("%d operation series, want 10 (pre-resolved)", n)
	}
}

// The wrapper's cost on a point read: compare with and without.
func BenchmarkView(b *testing.B) {
	inner, err := pebble.OpenOnFS(vfs.NewMem(), "db")
	if err != nil {
		b.Fatal(err)
	}
	defer inner.Close()
	if err := inner.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		b.Fatal(err)
	}
	for name, s := range map[string]kv.Store{"bare": inner, "measured": kvmetrics.New(inner)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := s.View(context.Background(), func(tx kv.Reader) error { _, err := tx.Get([]byte("k")); return err }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// GetMulti passes Pebble's GetMulti through (measured as a view), and
// kv.MultiGetterOf finds it through the wrapper.
func TestGetMulti(t *testing.T) {
	s, reg := open(t)
	defer s.Close()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("a"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	if mg := kv.MultiGetterOf(s); mg == nil {
		t.Error("MultiGetterOf(kvmetrics over Pebble) is nil")
	}
	vals, err := s.GetMulti(ctx, [][]byte{[]byte("missing"), []byte("a")})
	if err != nil || len(vals) != 2 || vals[0] != nil || string(vals[1]) != "1" {
		t.Fatalf("GetMulti: %q, %v", vals, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	views := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "coffer_kv_operations_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "op" && l.GetValue() == "view" {
					views += m.Counter.GetValue()
				}
			}
		}
	}
	if views != 1 {
		t.Errorf("GetMulti counted as %v views, want 1", views)
	}
}
