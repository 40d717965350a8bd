package pebble

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
	"coffer/internal/kv/kvmetrics"
)

// A transaction that started before a DeleteRange committed and writes into
// the range runs again (the fence the usage fold relies on, see
// kv.FencesRangeDeletes); one writing outside it, or starting after it, does
// not.
func TestDeleteRangeFencesWriters(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	if !kv.FencesRangeDeletes(s) || !kv.FencesRangeDeletes(kvmetrics.New(s)) {
		t.Fatal("the Pebble store, or the metrics wrapper the server puts around it, does not report fencing")
	}
	deleteRange := func() {
		err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.DeleteRange([]byte("d/"), []byte("d/m")) })
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		key  string
		want int
	}{{"d/c", 2}, {"d/m", 1}, {"e/a", 1}} {
		attempts := 0
		err := s.Update(t.Context(), func(tx kv.Txn) error {
			attempts++
			if attempts == 1 {
				deleteRange() // commits while this transaction runs
			}
			return tx.Set([]byte(tc.key), []byte("x")) // a blind write
		})
		if err != nil || attempts != tc.want {
			t.Fatalf("write of %s across a DeleteRange of [d/, d/m): err=%v attempts=%d, want %d", tc.key, err, attempts, tc.want)
		}
		var found bool
		if err := s.View(t.Context(), func(tx kv.Reader) error {
			_, err := tx.Get([]byte(tc.key))
			found = err == nil
			return nil
		}); err != nil || !found {
			t.Fatalf("%s lost after its retry: %v", tc.key, err)
		}
	}
}
