package blob

import (
	"sync/atomic"
	"time"

	"coffer/internal/stats"
)

// opStats measures the Store's disk operations for the metrics collector:
// atomic adds on each operation, read by Stats on a scrape.
type opStats struct {
	write   *stats.Histogram // one write(2) of buffered data to a temp file
	sync    *stats.Histogram // the fdatasync of a blob's temp file at Commit
	syncDir *stats.Histogram // the fsync of a directory (Commit, Remove)
	commit  *stats.Histogram // a whole Commit: flush, sync, rename, directory sync
	open    *stats.Histogram // opening a committed blob for reading
	read    *stats.Histogram // one ReadAt of a committed blob
	remove  *stats.Histogram // a whole Remove (unlink and directory sync)

	bytesWritten atomic.Uint64
	bytesRead    atomic.Uint64
}

func newOpStats() *opStats {
	return &opStats{write: stats.NewDurationHistogram(nil), sync: stats.NewDurationHistogram(nil),
		syncDir: stats.NewDurationHistogram(nil), commit: stats.NewDurationHistogram(nil),
		open: stats.NewDurationHistogram(nil), read: stats.NewDurationHistogram(nil),
		remove: stats.NewDurationHistogram(nil)}
}

// Stats is what a Store measured since Open. Latencies are in seconds.
// Reads served by sendfile from ReadHandle.File bypass ReadAt and are in
// neither Read nor BytesRead.
type Stats struct {
	Write, Sync, SyncDir, Commit, Open, Read, Remove stats.HistogramSnapshot
	BytesWritten, BytesRead                          uint64
}

// Stats returns the Store's operation statistics.
func (s *Store) Stats() Stats {
	st := s.st
	return Stats{Write: st.write.Snapshot(), Sync: st.sync.Snapshot(), SyncDir: st.syncDir.Snapshot(),
		Commit: st.commit.Snapshot(), Open: st.open.Snapshot(), Read: st.read.Snapshot(),
		Remove: st.remove.Snapshot(), BytesWritten: st.bytesWritten.Load(), BytesRead: st.bytesRead.Load()}
}

// writeFile writes p to the temp file, measured.
func (w *Writer) writeFile(p []byte) (int, error) {
	start := time.Now()
	n, err := w.f.Write(p)
	w.off += int64(n)
	if err == nil {
		// The wait for the previous window is the write's backpressure:
		// measured with it.
		err = w.pageWindow()
	}
	w.s.st.write.Since(start)
	w.s.st.bytesWritten.Add(uint64(n))
	return n, err
}

// syncDir fsyncs dir, measured.
func (s *Store) syncDir(dir string) error {
	start := time.Now()
	err := s.fs.SyncDir(dir)
	s.st.syncDir.Since(start)
	return err
}
