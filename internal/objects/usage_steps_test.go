package objects

import (
	"fmt"
	"testing"
	"time"

	cpebble "github.com/cockroachdb/pebble/v2"

	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

// statsReader hands out iterators that keep Pebble's iterator statistics
// when they are closed: what a scan stepped over, counted, not timed.
type statsReader struct {
	kv.Reader
	stats []cpebble.IteratorStats
}

func (r *statsReader) NewIterator(start, end []byte) kv.Iterator {
	return &statsIter{Iterator: r.Reader.NewIterator(start, end), r: r}
}

type statsIter struct {
	kv.Iterator
	r *statsReader
}

func (i *statsIter) Close() error {
	if s, ok := i.Iterator.(interface{ Stats() cpebble.IteratorStats }); ok {
		i.r.stats = append(i.r.stats, s.Stats())
	}
	return i.Iterator.Close()
}

// usageScanCost reads the bucket's usage as GetBucket does and returns it
// with the points Pebble's iterators stepped over (live, deleted or
// covered by a range deletion) and their seeks.
func usageScanCost(t *testing.T, st kv.Store, bucket string) (usageRecord, uint64, int) {
	t.Helper()
	var (
		u      usageRecord
		points uint64
		seeks  int
	)
	err := st.View(ctx, func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		r := &statsReader{Reader: tx}
		if u, err = readUsage(r, b.ID); err != nil {
			return err
		}
		if len(r.stats) == 0 {
			return fmt.Errorf("readUsage opened no iterator")
		}
		for _, s := range r.stats {
			points += s.InternalStats.PointCount // covered points included
			seeks += s.ForwardSeekCount[cpebble.InternalIterCall] + s.ForwardStepCount[cpebble.InternalIterCall]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return u, points, seeks
}

// After many folded deltas, reading a bucket's usage steps over the live
// deltas, not over every delta ever written: the fold's deletions must not
// leave a tombstone per delta in the prefix readUsage scans. (Each fold
// deleted its deltas one by one: after 300,000 writes a GetBucket took
// 120-405 ms.)
func TestReadUsageCostBoundedByLiveDeltas(t *testing.T) {
	st, err := pebble.Open(pebble.Options{Dir: t.TempDir(), MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, st, func(o *Options) { o.GCInterval = 1 << 40 })
	e.s.SetCollectorGate(func() bool { return false }) // only the test folds
	e.bucket("steps")
	const folded, every, live = 2000, 500, 7
	for i := range folded {
		e.put("steps", fmt.Sprint("k", i), []byte("x"))
		if (i+1)%every == 0 {
			if err := e.s.FoldUsage(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range live {
		e.put("steps", fmt.Sprint("live", i), []byte("yy"))
	}
	u, points, seeks := usageScanCost(t, st, "steps")
	t.Logf("usage %+v: readUsage stepped over %d points (%d internal seeks and steps) for %d live deltas after %d folded", u, points, seeks, live, folded)
	if u.Objects != folded+live || u.Bytes != folded+2*live {
		t.Fatalf("usage %+v, want %d objects, %d bytes", u, folded+live, folded+2*live)
	}
	if points > 2*live+10 {
		t.Fatalf("readUsage stepped over %d points for %d live deltas after %d folded: it pays for the folded ones", points, live, folded)
	}
}

// A restart whose clock is behind the last run's still writes its deltas
// past the folds' ends, where readUsage starts: usage counted at once, not
// after the next fold.
func TestUsageAfterRestartWithClockBehind(t *testing.T) {
	st, err := pebble.Open(pebble.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, st, func(o *Options) { o.GCInterval = 1 << 40 })
	e.s.SetCollectorGate(func() bool { return false })
	e.bucket("clock")
	for i := range 20 {
		e.put("clock", fmt.Sprint("k", i), []byte("x"))
	}
	if err := e.s.FoldUsage(ctx); err != nil {
		t.Fatal(err)
	}
	e.s.Close()

	past := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	e2 := newEnvOn(t, st, func(o *Options) { o.GCInterval = 1 << 40; o.Now = func() time.Time { return past } })
	e2.s.SetCollectorGate(func() bool { return false })
	for i := range 3 {
		e2.put("clock", fmt.Sprint("after", i), []byte("yy"))
	}
	bi, err := e2.s.GetBucket(ctx, tenant, "clock")
	if err != nil || bi.Objects != 23 || bi.UsedBytes != 26 {
		t.Fatalf("usage after the restart: %d objects %d bytes %v, want 23 and 26", bi.Objects, bi.UsedBytes, err)
	}
}
