package blob_test

import (
	"io/fs"
	"path/filepath"
	"testing"

	"coffer/internal/blob"
)

// Object data is readable by the server's user alone: directories 0700,
// files 0600, whatever the process umask lets through (it can only remove
// bits).
func TestModesAreOwnerOnly(t *testing.T) {
	root := filepath.Join(t.TempDir(), "data")
	s, err := blob.Open(blob.Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	ids := []blob.ID{commit(t, s, []byte("one")), commit(t, s, make([]byte, 300<<10))}
	w, err := s.Create() // a temp file, not committed
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("pending"))
	defer w.Abort()
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v", p, perm)
		}
		if !d.IsDir() {
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < len(ids) {
		t.Fatalf("walked %d files, want at least %d", files, len(ids))
	}
}
