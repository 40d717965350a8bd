package blob_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"coffer/internal/blob"
)

// TestSweepTempBefore: on a shared directory the sweep spares temp files
// newer than the cutoff (another node's uploads in progress).
func TestSweepTempBefore(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.Open(blob.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	old.Write([]byte("old"))
	tmp := filepath.Join(dir, "tmp")
	ents, _ := os.ReadDir(tmp)
	if len(ents) != 1 {
		t.Fatalf("tmp/ holds %d entries", len(ents))
	}
	long := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(tmp, ents[0].Name()), long, long); err != nil {
		t.Fatal(err)
	}
	fresh, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	fresh.Write([]byte("in progress on another node"))
	if err := s.SweepTempBefore(time.Now().Add(-24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 1 {
		t.Fatalf("tmp/ holds %d entries after the sweep, want the fresh one", len(ents))
	}
	if _, err := old.Commit(); err == nil {
		t.Error("the old temp file survived the sweep")
	}
	if _, err := fresh.Commit(); err != nil {
		t.Errorf("the fresh upload was swept: %v", err)
	}
}
