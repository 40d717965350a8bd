package pebble

import (
	"sync/atomic"

	dto "github.com/prometheus/client_model/go"

	"coffer/internal/stats"
)

// commitStats counts the Store's commits for the metrics collector.
type commitStats struct {
	commits   atomic.Uint64 // read-write transactions applied
	conflicts atomic.Uint64 // attempts that conflicted and ran fn again
	gaveUp    atomic.Uint64 // Updates that returned ErrConflict
	// syncing is the number of commits waiting for the WAL fsync now.
	syncing atomic.Int64
	// waiters samples syncing as each commit starts waiting (itself
	// included): the size of the group of commits that share fsyncs.
	waiters *stats.Histogram
}

// groupBounds are the buckets of the group-commit histogram.
var groupBounds = []int64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256}

func newCommitStats() commitStats {
	return commitStats{waiters: stats.NewHistogram(groupBounds, 1)}
}

// Stats is what the Store and Pebble measured since Open.
type Stats struct {
	// Commits is the number of read-write transactions committed.
	Commits uint64
	// Conflicts is the number of transaction attempts that conflicted with
	// a concurrent commit and ran again; GaveUp the Updates that returned
	// kv.ErrConflict after the retry budget.
	Conflicts, GaveUp uint64
	// SyncWaiters is, for each commit, how many commits (itself included)
	// were waiting for a WAL fsync when it started waiting: Pebble syncs
	// them together (group commit). The mean number of commits per fsync
	// is Commits / WALFsync.Count over any interval.
	SyncWaiters stats.HistogramSnapshot
	// WALFsync is the latency of Pebble's WAL fsyncs, in seconds.
	WALFsync stats.HistogramSnapshot
	// WALSyncQueueMean is Pebble's mean sync-queue length at a WAL flush.
	WALSyncQueueMean float64
	// WALBytesIn is the logical bytes written to the WAL; WALBytesWritten
	// the physical ones; WALFiles the live WAL files.
	WALBytesIn, WALBytesWritten uint64
	WALFiles                    int64
	// DiskSpace is the bytes Pebble occupies on disk.
	DiskSpace uint64
	// TableBytes is the bytes of the live sstables (every level) and of
	// the blob files holding their separated values (BlobFileBytes, see
	// Options.SeparateValuesFrom), and MemTableBytes what the memtables
	// hold: after a bulk delete, the tombstones and the records they
	// shadow stay in TableBytes until a compaction drops them.
	TableBytes, BlobFileBytes, MemTableBytes uint64
	// ReadAmp is the read amplification (L0 sublevels plus non-empty levels).
	ReadAmp int
	// Flushes and Compactions count memtable flushes and compactions.
	Flushes, Compactions int64
	// CacheHits and CacheMisses count block-cache lookups.
	CacheHits, CacheMisses int64
	// DeleteCompactions counts the compactions of deleted ranges run
	// (compact.go), DeleteCompactionsSkipped the spans left to Pebble as
	// too sparse.
	DeleteCompactions, DeleteCompactionsSkipped uint64
}

// walFsyncBounds are the buckets WALFsync is reported in, in nanoseconds:
// each reported bound is the largest of Pebble's (100 µs steps to 5 ms,
// then exponential) not above it, so its count is exact.
var walFsyncBounds = []float64{1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7, 1e8, 2.5e8, 5e8, 1e9, 2.5e9, 1e10}

// Stats returns the Store's and Pebble's statistics. It takes Pebble's
// metrics lock briefly; call it per scrape, not per request.
func (s *Store) Stats() Stats {
	st := Stats{Commits: s.st.commits.Load(), Conflicts: s.st.conflicts.Load(), GaveUp: s.st.gaveUp.Load(),
		SyncWaiters: s.st.waiters.Snapshot()}
	m := s.db.Metrics()
	st.WALBytesIn, st.WALBytesWritten, st.WALFiles = m.WAL.BytesIn, m.WAL.BytesWritten, m.WAL.Files
	st.WALSyncQueueMean = m.LogWriter.SyncQueueLen.Mean()
	st.DiskSpace = m.DiskSpaceUsage()
	st.BlobFileBytes = m.BlobFiles.LiveSize
	if t := m.Total().TablesSize; t > 0 {
		st.TableBytes = uint64(t)
	}
	st.TableBytes += st.BlobFileBytes
	st.MemTableBytes = m.MemTable.Size
	st.ReadAmp = m.ReadAmp()
	st.Flushes, st.Compactions = m.Flush.Count, m.Compact.Count
	st.CacheHits, st.CacheMisses = m.BlockCache.Hits, m.BlockCache.Misses
	if s.dc != nil {
		st.DeleteCompactions, st.DeleteCompactionsSkipped = s.dc.runs.Load(), s.dc.skipped.Load()
	}
	if h := m.LogWriter.FsyncLatency; h != nil {
		var pm dto.Metric
		if err := h.Write(&pm); err == nil && pm.Histogram != nil {
			st.WALFsync = resample(pm.Histogram, walFsyncBounds, 1e-9)
		}
	}
	return st
}

// resample reports a Prometheus histogram at fewer bounds: each target
// bound takes the cumulative count of the largest source bound not above
// it (exact for that source bound), and is reported as that source bound.
func resample(h *dto.Histogram, targets []float64, scale float64) stats.HistogramSnapshot {
	out := stats.HistogramSnapshot{Count: h.GetSampleCount(), Sum: h.GetSampleSum() * scale}
	bs := h.GetBucket()
	j := -1
	for _, t := range targets {
		for j+1 < len(bs) && bs[j+1].GetUpperBound() <= t*(1+1e-9) {
			j++
		}
		if j < 0 {
			continue
		}
		b := bs[j].GetUpperBound() * scale
		if n := len(out.Bounds); n > 0 && out.Bounds[n-1] == b {
			continue
		}
		out.Bounds = append(out.Bounds, b)
		out.Cumulative = append(out.Cumulative, bs[j].GetCumulativeCount())
	}
	return out
}
