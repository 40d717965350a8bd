//go:build !linux

package blob

import (
	"errors"
	"os"
)

// fdatasync falls back to a full fsync (F_FULLFSYNC on darwin) where
// fdatasync is not available.
func fdatasync(f *os.File) error { return f.Sync() }

// SetDirect is unsupported here: writes stay buffered.
func (f osFile) SetDirect(on bool) error { return errors.ErrUnsupported }
