package objects

import (
	"context"
	"encoding/json"
	"time"

	"coffer/internal/blob"
	"coffer/internal/kv"
)

func (s *Service) kickGC() {
	select {
	case s.gcKick <- struct{}{}:
	default:
	}
}

// gateRetry is how soon the collector looks again after a write's kick
// found the gate closed (a lease renewal late under load): the garbage of
// that write should not wait for the next GCInterval.
const gateRetry = time.Second

// gcCoalesce is the least time between two collection passes that writes
// kicked. A pass costs a kv commit (a WAL sync) and a directory sync per
// directory it removed from; under a steady stream of deletes, one pass per
// delete doubled the syncs of a DELETE. Space still comes back within a
// fraction of a second.
const gcCoalesce = 200 * time.Millisecond

// collector deletes garbage blobs and folds usage deltas, when kicked by a
// write (a delete's or overwrite's commit: deleted space comes back within
// moments) and every GCInterval; it also folds usage deltas after every
// foldEvery deltas written (chargeUsage), so that summing them stays cheap.
func (s *Service) collector() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.GCInterval)
	defer t.Stop()
	gated := func() bool { g := s.gcGate.Load(); return g != nil && !(*g)() }
	var retry <-chan time.Time
	var last time.Time // when the last pass started
	for {
		kicked := false
		select {
		case <-s.stop:
			return
		case <-s.gcKick:
			if wait := gcCoalesce - time.Since(last); wait > 0 {
				if retry == nil {
					retry = time.After(wait)
				}
				continue
			}
			kicked = true
		case <-s.foldKick:
			if gated() {
				continue // another node folds
			}
			if err := s.FoldUsage(context.Background()); err != nil {
				s.log.Warn("usage fold failed", "err", err)
			}
			continue
		case <-retry:
		case <-t.C:
			if gated() {
				continue // another node collects
			}
			if err := s.FoldUsage(context.Background()); err != nil {
				s.log.Warn("usage fold failed", "err", err)
			}
		}
		retry = nil
		if gated() {
			if kicked {
				retry = time.After(gateRetry)
			}
			continue
		}
		last = time.Now()
		if _, err := s.CollectGarbage(context.Background()); err != nil {
			s.log.Warn("garbage collection failed", "err", err)
		}
	}
}

// CollectGarbage deletes the blob files of retired versions and parts. It
// returns how many blobs it removed.
//
// A reader may see a commit whose WAL sync has not completed, and a power
// cut would undo it, bringing back the version whose blob it retired. So the
// 'G' records read are deleted, durably, before any file is removed: that
// commit comes after every commit the read saw in the WAL, so once it is
// durable, so are they. A crash between it and the removals leaves
// unreferenced blobs, which the startup sweep removes.
func (s *Service) CollectGarbage(ctx context.Context) (int, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	s.gcPasses.Add(1)
	total := 0
	for {
		var ids []string
		err := s.view(ctx, "gc", func(tx kv.Reader) error {
			ids = ids[:0]
			p := []byte{nsGarbage}
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			defer it.Close()
			for ok := it.First(); ok && len(ids) < 1000; ok = it.Next() {
				ids = append(ids, string(it.Key()[1:]))
			}
			return it.Err()
		})
		if err != nil || len(ids) == 0 {
			return total, err
		}
		err = s.update(ctx, "gc", func(tx kv.Txn) error {
			for _, id := range ids {
				if err := tx.Delete(garbageKey(id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		bids := make([]blob.ID, len(ids))
		for i, id := range ids {
			bids[i] = blob.ID(id)
		}
		// One directory sync per directory, not per blob: a bulk delete
		// frees thousands of blobs at once.
		done, err := s.blobs.RemoveMany(bids)
		total += done
		s.gcRemoved.Add(uint64(done))
		if err != nil {
			s.requeueGarbage(ids[done:])
			return total, err
		}
	}
}

// requeueGarbage puts back the 'G' records of blobs a collection pass took
// but could not remove, so a later pass retries them (best effort: failing
// that, the startup sweep finds them unreferenced).
func (s *Service) requeueGarbage(ids []string) {
	_ = s.update(context.Background(), "gc", func(tx kv.Txn) error {
		for _, id := range ids {
			if err := tx.Set(garbageKey(id), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// SweepResult reports what Sweep removed.
type SweepResult struct {
	Orphans int // unreferenced blobs (a crash between blob and metadata commit)
	Garbage int // retired blobs whose deletion a crash interrupted
}

// Sweep removes what a crash can leave behind: temp files, blobs that no
// record references, and pending garbage. Run it at startup before serving;
// blobs and temp files younger than minAge are spared (another node may be
// writing them when the data directory is shared: there, run it only with
// a grace period longer than any request, from one node at a time).
func (s *Service) Sweep(ctx context.Context, minAge time.Duration) (SweepResult, error) {
	var res SweepResult
	cutoff := s.opts.Now().Add(-minAge)
	tempCutoff := time.Time{}
	if minAge > 0 {
		tempCutoff = cutoff
	}
	if err := s.blobs.SweepTempBefore(tempCutoff); err != nil {
		return res, err
	}
	var batch []blob.BlobInfo
	flush := func() error {
		var orphans []blob.ID
		err := s.view(ctx, "sweep", func(tx kv.Reader) error {
			orphans = orphans[:0]
			for _, b := range batch {
				if _, err := tx.Get(refKey(string(b.ID))); err == nil {
					continue
				} else if err != kv.ErrNotFound {
					return err
				}
				if _, err := tx.Get(garbageKey(string(b.ID))); err == nil {
					continue // the collector will take it
				}
				orphans = append(orphans, b.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range orphans {
			if err := s.blobs.Remove(id); err != nil {
				return err
			}
		}
		res.Orphans += len(orphans)
		batch = batch[:0]
		return nil
	}
	err := s.blobs.Walk(func(b blob.BlobInfo) error {
		if minAge > 0 && b.ModTime.After(cutoff) {
			return nil
		}
		batch = append(batch, b)
		if len(batch) == 1000 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := flush(); err != nil {
		return res, err
	}
	n, err := s.CollectGarbage(ctx)
	res.Garbage = n
	return res, err
}

var _ = json.Marshal

// SetCollectorGate makes the background collector (garbage collection and
// usage folding) run only while gate returns true: with several nodes
// sharing the store, the core gates it on a lease so one node collects.
// CollectGarbage and Sweep called directly are not gated.
func (s *Service) SetCollectorGate(gate func() bool) { s.gcGate.Store(&gate) }
