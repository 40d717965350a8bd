package postgres

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/jackc/pgx/v5"
)

// getBatcher coalesces the GetMultis that wait at the same time into one
// statement. Small GETs are many and each costs PostgreSQL a statement
// (executor start-up, a snapshot, the socket's wake-ups) and Coffer a round
// trip (a write, reads, a pooled connection): under load, when every
// statement slot is busy, the GetMultis that arrive queue up, and the next
// free slot reads all their keys at once (each key once: the bucket's
// record that every GET of a bucket reads is fetched once per statement).
// A GetMulti that finds a slot free sends its statement at once, alone: no
// wait is ever added to wait for company.
//
// Consistency is a GetMulti's own: a statement sees one snapshot, taken
// when it starts, which is after every GetMulti in it was called and before
// any of them returns; so each sees every write committed before it was
// called, as if it had sent its statement alone. (A shared snapshot is
// never older than the caller: there is no caching.)
type getBatcher struct {
	s   *Store
	max int // statements in flight at most

	mu      sync.Mutex
	running int // statements in flight (slots taken)
	queue   []*getReq
}

type getReq struct {
	keys [][]byte
	vals [][]byte
	err  error
	done chan struct{} // closed when vals or err is set
}

// maxBatchKeys bounds the distinct keys of one statement (a GET reads two,
// one of them its bucket's, which GETs of one bucket share).
const maxBatchKeys = 64

// batchSizes are the statements' sizes (keys, padded with repeats of the
// first key up to the next size): few statements to prepare and keep
// planned per connection.
var batchSizes = [...]int{1, 2, 4, 8, 16, 32, 64}

func newGetBatcher(s *Store) *getBatcher {
	// A statement in flight per two cores. More slots split the queue
	// into smaller batches: each statement costs PostgreSQL and the node a
	// fixed part, so CPU per GET grows with them (get4k on 2 cores, 16
	// clients: 1 slot 238-254 us of Coffer's CPU and 41-51 of PostgreSQL's
	// per GET; 2 slots 281 and 61-64; 4 slots 291-294 and 84). The batch
	// grows with the queue, so one slot does not cap throughput: a
	// statement of 64 keys costs a fraction of 32 of one key each.
	n := max(1, runtime.GOMAXPROCS(0)/2)
	n = min(n, max(1, int(s.pool.Config().MaxConns)/2)) // the DSN's pool_max_conns may stand
	return &getBatcher{s: s, max: n}
}

// get reads keys alone or with the GetMultis queued with it.
func (b *getBatcher) get(ctx context.Context, keys [][]byte) ([][]byte, error) {
	r := &getReq{keys: keys, done: make(chan struct{})}
	b.mu.Lock()
	if b.running < b.max {
		// A free slot: send now. (The queue is empty: a slot is freed
		// only when nothing is queued.)
		b.running++
		b.mu.Unlock()
		b.exec(ctx, []*getReq{r})
		b.next()
		return r.vals, r.err
	}
	b.queue = append(b.queue, r)
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.vals, r.err
	case <-ctx.Done():
		// The batch runs without it; its result is dropped.
		return nil, ctx.Err()
	}
}

// next gives the slot just used to the queued requests (in a goroutine of
// their own, so the caller that held it returns now), or frees it.
func (b *getBatcher) next() {
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.running--
		b.mu.Unlock()
		return
	}
	batch := b.take()
	b.mu.Unlock()
	go func() {
		for batch != nil {
			b.exec(context.Background(), batch)
			b.mu.Lock()
			if len(b.queue) == 0 {
				b.running--
				batch = nil
			} else {
				batch = b.take()
			}
			b.mu.Unlock()
		}
	}()
}

// take removes from the queue's head the requests whose keys fit in one
// statement (at least one). b.mu is held.
func (b *getBatcher) take() []*getReq {
	n, keys := 0, 0
	for n < len(b.queue) && (n == 0 || keys+len(b.queue[n].keys) <= maxBatchKeys) {
		keys += len(b.queue[n].keys)
		n++
	}
	batch := b.queue[:n:n]
	rest := b.queue[n:]
	b.queue = append(make([]*getReq, 0, max(len(rest), 8)), rest...)
	return batch
}

// exec reads the batch's keys in one statement and hands each request its
// values. ctx is the caller's when the batch is its own alone; a queued
// batch runs under the store's OpTimeout only (its callers may stop
// waiting, the others still want the answer).
func (b *getBatcher) exec(ctx context.Context, batch []*getReq) {
	s := b.s
	opCtx, cancel := context.WithTimeout(ctx, s.opts.OpTimeout)
	defer cancel()
	// The distinct keys, and where each value goes.
	type slot struct{ req, i int }
	var (
		uniq  [][]byte
		index = make(map[string]int, 2*len(batch))
		dest  [][]slot
	)
	for ri, r := range batch {
		r.vals = make([][]byte, len(r.keys))
		for i, k := range r.keys {
			u, ok := index[string(k)]
			if !ok {
				u = len(uniq)
				index[string(k)] = u
				uniq = append(uniq, nonNil(k))
				dest = append(dest, nil)
			}
			dest[u] = append(dest[u], slot{ri, i})
		}
	}
	size := batchSizes[len(batchSizes)-1]
	for _, n := range batchSizes {
		if n >= len(uniq) {
			size = n
			break
		}
	}
	args := make([]any, size)
	for i := range args {
		args[i] = uniq[0] // padding: a repeated key matches its row once
		if i < len(uniq) {
			args[i] = uniq[i]
		}
	}
	// Not a View: single statements through the pool, resent on a fresh
	// connection if a pooled one turns out dead (txn.run).
	t := &txn{s: s, ctx: opCtx}
	_ = t.run(s.sql.getIn[size], args, func(r pgx.Rows) error {
		raw := r.RawValues()
		if len(raw) != 2 {
			return errColumns
		}
		u, ok := index[string(raw[0])]
		if !ok {
			return nil
		}
		// Each requester gets a copy of its own (the values are the
		// caller's): pgx reuses the row's buffer.
		for _, d := range dest[u] {
			batch[d.req].vals[d.i] = append(make([]byte, 0, len(raw[1])), raw[1]...)
		}
		return nil
	})
	for _, r := range batch {
		if t.err != nil {
			r.vals, r.err = nil, t.err
		}
		close(r.done)
	}
}

// errColumns is a result of unexpected shape (not k, v).
var errColumns = errors.New("kv/postgres: GetMulti: unexpected result columns")
