package server

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/core"
	"coffer/internal/kv"
	"coffer/internal/kv/kvmetrics"
	"coffer/internal/kv/pebble"
)

// The object layer sees the embedded store through the server's wrappers
// (change feed, metrics, Metadata); it must still see that the store fences
// range deletes, or every usage read scans from the prefix again.
func TestWrappedStoreFencesRangeDeletes(t *testing.T) {
	st, err := pebble.OpenOnFS(vfs.NewMem(), "db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fed := core.ChangeFeed(kvmetrics.New(&Metadata{Store: st, Kind: MetadataPebble}))
	if !kv.FencesRangeDeletes(fed) {
		t.Fatal("the server's wrapped Pebble store does not report fencing range deletes")
	}
}
