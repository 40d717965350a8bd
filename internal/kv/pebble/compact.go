package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Compaction of deleted ranges.
//
// A point delete writes a tombstone; the record it shadows keeps its space
// until a compaction carries the tombstone down to the level holding the
// record, and every read of the range steps over both until then. Pebble
// compacts by level size, and a bulk delete adds little size: the
// tombstones of 60,000 deleted 4 KiB objects fit in one 8 MiB memtable,
// which is never flushed while no more writes come, so the 250 MiB of
// records they shadow stayed on disk indefinitely and a listing of the
// emptied bucket stepped over 60,000 tombstones and records (0.5 to 1.6 s;
// docs/benchmarks.md, "Space after a bulk delete").
//
// So the Store counts the point deletes of its commits, grouped by key
// prefix (PrefixLen bytes: with the object layer's keys, one group per
// namespace and bucket), with the smallest and largest key of each group.
// A background goroutine compacts a group's span once it has MinDeletes
// deletes and no new delete for Quiet (or MaxWait after its first): a
// manual Pebble compaction, which flushes the memtables overlapping the
// span and rewrites it to the bottom level, dropping the tombstones and
// what they shadow. One compaction runs at a time, at most one per
// Interval; a span whose tables hold many more live entries than deletes
// (a few deletes spread over a large bucket) is left to Pebble, since
// rewriting it would cost far more than it returns. Nothing of this is on
// the request path but counting (one map lookup per delete, a mutex per
// committing transaction that deleted), and compaction is Pebble's own:
// crash safety does not change.

// DeleteCompactionOptions configures the compaction of deleted ranges. The
// zero value is the default.
type DeleteCompactionOptions struct {
	// Disabled turns it off: tombstones then wait for Pebble's own
	// compactions.
	Disabled bool
	// MinDeletes is how many point deletes a span needs before it is
	// compacted. Default 5,000.
	MinDeletes int
	// PrefixLen is the length of the key prefix deletes are grouped by;
	// each group's span (its smallest to largest deleted key) is compacted
	// on its own. Default 9 (the object layer's namespace byte and bucket
	// id, so one bucket's deletes never make a compaction of another's
	// records).
	PrefixLen int
	// Quiet is how long a span must go without a new delete before it is
	// compacted (a bulk delete still running is not compacted under it),
	// and MaxWait the longest a span that reached MinDeletes waits for
	// that. Defaults 1 s and 30 s.
	Quiet, MaxWait time.Duration
	// Interval is the least time between the starts of two compactions.
	// Default 2 s.
	Interval time.Duration
	// MinDensity is the least ratio of a span's deletes to the entries of
	// the sstables overlapping it for it to be compacted. Default 0.1.
	MinDensity float64
	// Skip lists key prefixes whose deletes are not counted: records the
	// store's user writes and deletes all the time, a few at once (the
	// object layer's usage deltas, folded as PUTs come in). Their span
	// lies in the newest tables, which hold every other record written
	// meanwhile, so compacting it rewrote those tables over and over: with
	// it counted, a listing after 100,000 PUTs ran 30% slower while the
	// compactions went on (docs/benchmarks.md).
	Skip [][]byte
}

// skipped reports whether key's deletes are not counted (Skip).
func (o *DeleteCompactionOptions) skipped(key []byte) bool {
	for _, p := range o.Skip {
		if bytes.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

const (
	defaultDCMinDeletes = 5000
	defaultDCPrefixLen  = 9
	defaultDCQuiet      = time.Second
	defaultDCMaxWait    = 30 * time.Second
	defaultDCInterval   = 2 * time.Second
	defaultDCMinDensity = 0.1
	// maxGroups bounds the groups tracked (store-wide and per
	// transaction); when full, the group with the fewest deletes (the
	// least recently touched among equals) gives way.
	maxGroups = 64
)

func (o *DeleteCompactionOptions) validate() []error {
	var p []error
	if o.MinDeletes < 0 {
		p = append(p, fmt.Errorf("kv/pebble: DeleteCompaction.MinDeletes %d is negative", o.MinDeletes))
	}
	if o.PrefixLen < 0 || o.PrefixLen > 1024 {
		p = append(p, fmt.Errorf("kv/pebble: DeleteCompaction.PrefixLen %d is outside [0, 1024]", o.PrefixLen))
	}
	if o.Quiet < 0 || o.MaxWait < 0 || o.Interval < 0 {
		p = append(p, errors.New("kv/pebble: DeleteCompaction durations must not be negative"))
	}
	if o.MinDensity < 0 || o.MinDensity > 1 {
		p = append(p, fmt.Errorf("kv/pebble: DeleteCompaction.MinDensity %g is outside [0, 1]", o.MinDensity))
	}
	return p
}

func (o DeleteCompactionOptions) withDefaults() DeleteCompactionOptions {
	if o.MinDeletes == 0 {
		o.MinDeletes = defaultDCMinDeletes
	}
	if o.PrefixLen == 0 {
		o.PrefixLen = defaultDCPrefixLen
	}
	if o.Quiet == 0 {
		o.Quiet = defaultDCQuiet
	}
	if o.MaxWait == 0 {
		o.MaxWait = defaultDCMaxWait
	}
	if o.Interval == 0 {
		o.Interval = defaultDCInterval
	}
	if o.MinDensity == 0 {
		o.MinDensity = defaultDCMinDensity
	}
	return o
}

// delSpan is the deletes of one prefix group.
type delSpan struct {
	prefix      []byte
	lo, hi      []byte // smallest and largest deleted key (inclusive)
	n           int
	first, last time.Time // first and latest delete (store-wide groups)
	touched     uint64    // recency, for eviction
}

// delTally groups deleted keys by prefix, keeping at most max groups: when
// full, the group with the fewest deletes (the least recently touched among
// equals) gives way, its buffers reused. A linear scan over a few short
// prefixes is cheaper than a map here, and allocates nothing once the
// slots exist. Not safe for concurrent use.
type delTally struct {
	prefixLen, max int
	groups         []delSpan
	clock          uint64
}

// txnGroups is how many groups one transaction's tally keeps; the
// store-wide tally keeps maxGroups.
const txnGroups = 8

// find returns the group of prefix p, or nil.
func (t *delTally) find(p []byte) *delSpan {
	for i := range t.groups {
		if bytes.Equal(t.groups[i].prefix, p) {
			return &t.groups[i]
		}
	}
	return nil
}

// group returns the group of prefix p, making room for it if needed.
func (t *delTally) group(p []byte) *delSpan {
	t.clock++
	if g := t.find(p); g != nil {
		g.touched = t.clock
		return g
	}
	var g *delSpan
	if len(t.groups) < t.max {
		t.groups = append(t.groups, delSpan{})
		g = &t.groups[len(t.groups)-1]
	} else {
		g = &t.groups[0]
		for i := range t.groups[1:] {
			c := &t.groups[i+1]
			if c.n < g.n || c.n == g.n && c.touched < g.touched {
				g = c
			}
		}
	}
	g.prefix = append(g.prefix[:0], p...)
	g.n, g.touched = 0, t.clock
	return g
}

// add counts n deletes in [lo, hi], all of one group.
func (t *delTally) add(lo, hi []byte, n int, now time.Time) *delSpan {
	g := t.group(lo[:min(len(lo), t.prefixLen)])
	if g.n == 0 || bytes.Compare(lo, g.lo) < 0 {
		g.lo = append(g.lo[:0], lo...)
	}
	if g.n == 0 || bytes.Compare(hi, g.hi) > 0 {
		g.hi = append(g.hi[:0], hi...)
	}
	if g.n == 0 {
		g.first = now
	}
	g.n += n
	g.last = now
	return g
}

// remove drops group i (its buffers go with it).
func (t *delTally) remove(i int) {
	last := len(t.groups) - 1
	t.groups[i] = t.groups[last]
	t.groups[last] = delSpan{}
	t.groups = t.groups[:last]
}

// compactor runs the compactions of deleted ranges for one Store.
type compactor struct {
	opts DeleteCompactionOptions
	db   *pebble.DB
	log  *slog.Logger

	mu      sync.Mutex
	pending delTally

	kick   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	runs, skipped, failed atomic.Uint64
	now                   func() time.Time
}

func newCompactor(db *pebble.DB, o DeleteCompactionOptions, log *slog.Logger) *compactor {
	ctx, cancel := context.WithCancel(context.Background())
	c := &compactor{opts: o, db: db, log: log, pending: delTally{prefixLen: o.PrefixLen, max: maxGroups},
		kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}), now: time.Now}
	go c.loop()
	return c
}

// note adds a committed transaction's deletes.
func (c *compactor) note(t *delTally) {
	if t == nil || len(t.groups) == 0 {
		return
	}
	now := c.now()
	ready := false
	c.mu.Lock()
	for i := range t.groups {
		g := &t.groups[i]
		if c.pending.add(g.lo, g.hi, g.n, now).n >= c.opts.MinDeletes {
			ready = true
		}
	}
	c.mu.Unlock()
	if ready {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// stop ends the loop, abandoning a compaction that has not started
// (Pebble finishes one that has), and waits for it.
func (c *compactor) stop() {
	c.cancel()
	<-c.done
}

func (c *compactor) loop() {
	defer close(c.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var lastRun time.Time
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.kick:
		case <-timer.C:
		}
		lo, hi, n, wait := c.pick(lastRun)
		if lo == nil {
			if wait > 0 {
				timer.Reset(wait)
			}
			continue
		}
		lastRun = c.now()
		c.run(lo, hi, n)
		// Look again at once: another span may be ready (the Interval
		// check in pick spaces them out).
		timer.Reset(time.Millisecond)
	}
}

// pick takes the ready span with the most deletes out of the pending set,
// or returns how long to wait until one may be ready (0: none pending).
func (c *compactor) pick(lastRun time.Time) (lo, hi []byte, n int, wait time.Duration) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	best := -1
	for i := range c.pending.groups {
		g := &c.pending.groups[i]
		if g.n < c.opts.MinDeletes {
			continue
		}
		at := g.last.Add(c.opts.Quiet)
		if limit := g.first.Add(c.opts.MaxWait); limit.Before(at) {
			at = limit
		}
		if next := lastRun.Add(c.opts.Interval); !lastRun.IsZero() && next.After(at) {
			at = next
		}
		if d := at.Sub(now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		if best < 0 || g.n > c.pending.groups[best].n {
			best = i
		}
	}
	if best < 0 {
		return nil, nil, 0, wait
	}
	g := c.pending.groups[best]
	c.pending.remove(best)
	return g.lo, g.hi, g.n, 0
}

// run compacts [lo, hi] if its deletes are dense enough to be worth it.
func (c *compactor) run(lo, hi []byte, n int) {
	end := append(bytes.Clone(hi), 0) // the successor of hi: Compact's end is exclusive
	entries, err := c.entries(lo, end)
	if err != nil {
		c.failed.Add(1)
		c.log.Warn("kv/pebble: delete compaction: reading table stats failed", "err", err)
		return
	}
	if entries > 0 && float64(n) < c.opts.MinDensity*float64(entries) {
		c.skipped.Add(1)
		c.log.Debug("kv/pebble: delete compaction skipped: deletes too sparse",
			"deletes", n, "entries", entries)
		return
	}
	start := time.Now()
	if err := c.db.Compact(c.ctx, lo, end, false); err != nil {
		if c.ctx.Err() == nil {
			c.failed.Add(1)
			c.log.Warn("kv/pebble: delete compaction failed", "err", err)
		}
		return
	}
	c.runs.Add(1)
	c.log.Debug("kv/pebble: compacted a deleted range", "deletes", n, "entries", entries,
		"took", time.Since(start))
}

// entries sums the entries (live records and tombstones) of the sstables
// overlapping [lo, end), from their properties (Pebble's table statistics
// are loaded in the background and may not be there yet for new tables).
func (c *compactor) entries(lo, end []byte) (uint64, error) {
	levels, err := c.db.SSTables(pebble.WithKeyRangeFilter(lo, end), pebble.WithProperties())
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, l := range levels {
		for _, t := range l {
			if t.Properties != nil {
				n += t.Properties.NumEntries
			} else {
				n += t.TableStats.NumEntries
			}
		}
	}
	return n, nil
}
