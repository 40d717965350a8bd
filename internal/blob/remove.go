package blob

import (
	"errors"
	"io/fs"
	"sync"
	"time"
)

// removeSyncers is how many directory syncs RemoveMany runs at once: the
// filesystem's journal commits concurrent syncs together.
const removeSyncers = 8

// RemoveMany removes the blobs ids (missing ones are fine), unlinking them
// all first and then syncing each directory they were in once, instead of
// once per blob as Remove does: the garbage collector frees thousands of
// blobs after a bulk delete, and a directory sync per blob, behind the
// writers' fsyncs, made that take minutes (issue 12).
//
// done is how many of ids, from the start, are removed durably: on error
// the caller retries ids[done:] (an unlink error stops at that blob; a
// failed directory sync makes done 0, every removal being repeatable).
func (s *Store) RemoveMany(ids []ID) (done int, err error) {
	dirs := make(map[string]struct{})
	for i, id := range ids {
		if !id.Valid() {
			continue
		}
		dir, p := s.path(id)
		start := time.Now()
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if serr := s.syncDirs(dirs); serr != nil {
				return 0, serr
			}
			return i, ioErr(err, "remove blob %s", id)
		}
		s.st.remove.Since(start)
		dirs[dir] = struct{}{}
	}
	if err := s.syncDirs(dirs); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// syncDirs syncs dirs, a few at a time, and returns the first error.
func (s *Store) syncDirs(dirs map[string]struct{}) error {
	work := make(chan string)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(removeSyncers, len(dirs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				if err := s.syncDir(d); err != nil {
					mu.Lock()
					if first == nil {
						first = ioErr(err, "sync %s", d)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for d := range dirs {
		work <- d
	}
	close(work)
	wg.Wait()
	return first
}
