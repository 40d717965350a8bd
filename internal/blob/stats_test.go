package blob_test

import (
	"testing"

	"coffer/internal/blob"
)

// Every operation shows in Stats: one commit of 100 KiB (two writes: a full
// small buffer, then the tail), one open, one read, one remove.
func TestStats_countOperations(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys blob.FS, dir string) {
		s := openStore(t, fsys, dir)
		if st := s.Stats(); st.Commit.Count != 0 || st.BytesWritten != 0 {
			t.Fatalf("fresh store: %+v", st)
		}
		w, err := s.Create()
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 100<<10)
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		id, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.ReadAt(make([]byte, 4096), 0); err != nil {
			t.Fatal(err)
		}
		h.Close()
		if err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		for name, c := range map[string]uint64{"commit": st.Commit.Count, "sync": st.Sync.Count, "open": st.Open.Count,
			"read": st.Read.Count, "remove": st.Remove.Count} {
			if c != 1 {
				t.Errorf("%s count %d, want 1", name, c)
			}
		}
		if st.Write.Count < 1 || st.SyncDir.Count < 2 { // commit and remove each sync a directory
			t.Errorf("write count %d, dir syncs %d", st.Write.Count, st.SyncDir.Count)
		}
		if st.BytesWritten != uint64(len(data)) || st.BytesRead != 4096 {
			t.Errorf("bytes written %d read %d, want %d and 4096", st.BytesWritten, st.BytesRead, len(data))
		}
		if st.Commit.Sum <= 0 || st.Commit.Sum < st.Sync.Sum {
			t.Errorf("commit took %v s, its sync %v s", st.Commit.Sum, st.Sync.Sum)
		}
	})
}
