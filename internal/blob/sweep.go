package blob

import (
	"errors"
	"io/fs"
	"path/filepath"
	"time"
)

// SweepTempOlder removes the temp files (the remains of writers that never
// committed or aborted) last modified before cutoff, and keeps younger
// ones: with a data directory shared by several nodes, a young temp file
// may be another node's upload in progress (an upload keeps writing, so
// its file stays young). A zero cutoff removes every temp file, as
// SweepTemp does.
func (s *Store) SweepTempOlder(cutoff time.Time) error {
	if cutoff.IsZero() {
		return s.SweepTemp()
	}
	ents, err := s.fs.ReadDir(s.tmp)
	if err != nil {
		return ioErr(err, "read %s", s.tmp)
	}
	var failed []error
	removed := 0
	for _, e := range ents {
		p := filepath.Join(s.tmp, e.Name())
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			failed = append(failed, err)
			continue
		}
		if !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, err)
			continue
		}
		removed++
	}
	if removed > 0 {
		if err := s.fs.SyncDir(s.tmp); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return ioErr(errors.Join(failed...), "sweep %s", s.tmp)
	}
	return nil
}
