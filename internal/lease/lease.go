// Package lease lets nodes sharing a kv store divide work without a
// coordinator: a lease is a kv record naming its holder (a node's process)
// and an expiry, taken, renewed and released in kv transactions. Whoever
// holds an unexpired lease does the work; when its node dies the lease
// expires and another node takes it (and the work resumes from what the
// work itself persisted). Every acquisition by a new holder increments the
// lease's Token, a fencing token: work that commits results checks, inside
// its own transaction, that its lease is still held (Manager.Check), so a
// holder that stalled past its expiry cannot overwrite its successor's
// results.
//
//	Options.Prefix name   record (JSON: holder, node, expiry, token, last done)
//
// Expiry compares the holder's clock (which wrote Expires) with the
// reader's: nodes need synchronized clocks (NTP), with a skew well under
// the lease's duration.
//
// Run runs a function under a lease (renewing it, cancelling the function
// when the lease is lost); RunPeriodic runs work at most once per interval
// over all nodes (data aging, the orphan sweep, lifecycle).
package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// ReasonLost is the reason of a Conflict when another process holds the
// lease now.
const ReasonLost errs.Reason = "lease.lost"

// DefaultTTL is Options.DefaultTTL's default.
const DefaultTTL = 10 * time.Second

// Lease is a held (or observed) lease.
type Lease struct {
	Name string
	// Holder is the holding process (node name "/" instance), Node its node
	// name.
	Holder, Node string
	Expires      time.Time
	// Token increases with every change of holder (fencing).
	Token uint64
	// LastDone is when a holder last released the lease with its work done
	// (RunPeriodic's schedule).
	LastDone time.Time
}

type record struct {
	Schema   int       `json:"_v"`
	Holder   string    `json:"holder,omitempty"`
	Node     string    `json:"node,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
	Token    uint64    `json:"token"`
	LastDone time.Time `json:"last_done,omitzero"`
}

const schema = 1

func (r record) lease(name string) Lease {
	return Lease{Name: name, Holder: r.Holder, Node: r.Node, Expires: r.Expires, Token: r.Token, LastDone: r.LastDone}
}

// Options configures a Manager.
type Options struct {
	// Store holds the lease records (required).
	Store kv.Store
	// Prefix is the key namespace of the records: a lease named n is the
	// key Prefix+n. It must not change once leases exist (required, non-zero).
	Prefix byte
	// Node is this node's name, Holder this process's identity (the node
	// name and an instance id, so a restarted node does not take its
	// previous process's leases for its own). Both required.
	Node, Holder string
	// DefaultTTL is the lease duration Run and RunPeriodic use for a ttl of
	// 0. 0 means DefaultTTL.
	DefaultTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives renewal failures; nil means slog.Default().
	Log *slog.Logger
	// Crashed, when set and true, makes a running lease stop renewing and
	// be left to expire instead of released: a simulated crash (tests).
	Crashed func() bool
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch {
	case o.Store == nil:
		return errors.New("lease: Options.Store is required")
	case o.Prefix == 0:
		return errors.New("lease: Options.Prefix is required")
	case o.Node == "" || o.Holder == "":
		return errors.New("lease: Options.Node and Options.Holder are required")
	case o.DefaultTTL < 0:
		return errors.New("lease: Options.DefaultTTL must not be negative")
	}
	return nil
}

// Manager takes, renews, releases and checks leases for one process.
type Manager struct{ o Options }

// New returns a Manager, with defaults filled in.
func New(o Options) (*Manager, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.DefaultTTL == 0 {
		o.DefaultTTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Crashed == nil {
		o.Crashed = func() bool { return false }
	}
	return &Manager{o: o}, nil
}

// Holder is this process's identity in lease records.
func (m *Manager) Holder() string { return m.o.Holder }

// Lost is the error of an operation on a lease another process holds.
func Lost(name string) error {
	return errs.Fail(errs.Conflict, ReasonLost, "", "The lease %q is held by another node.", name)
}

func (m *Manager) key(name string) []byte { return append([]byte{m.o.Prefix}, name...) }

func (m *Manager) get(tx kv.Reader, name string) (record, error) {
	var r record
	_, err := kv.GetJSON(tx, m.key(name), &r)
	return r, err
}

func (m *Manager) set(tx kv.Txn, name string, r *record) error { return kv.SetJSON(tx, m.key(name), r) }

func (m *Manager) update(ctx context.Context, what string, fn func(tx kv.Txn) error) error {
	return errs.FromStorage(m.o.Store.Update(ctx, fn), what, kv.ErrConflict)
}

// Acquire takes the named lease for ttl when it is free, expired, or
// already held by this process (then it is renewed). ok is false, with the
// current holder's lease, when another process holds it.
func (m *Manager) Acquire(ctx context.Context, name string, ttl time.Duration) (l Lease, ok bool, err error) {
	return m.acquire(ctx, name, ttl, 0)
}

// acquire with every > 0 also requires LastDone to be at least every old.
func (m *Manager) acquire(ctx context.Context, name string, ttl, every time.Duration) (l Lease, ok bool, err error) {
	err = m.update(ctx, "acquire lease", func(tx kv.Txn) error {
		r, err := m.get(tx, name)
		if err != nil {
			return err
		}
		now := m.o.Now().UTC()
		mine := r.Holder == m.o.Holder
		ok = mine || r.Holder == "" || !now.Before(r.Expires)
		if ok && !mine && every > 0 && !r.LastDone.IsZero() && now.Sub(r.LastDone) < every &&
			!r.LastDone.After(now.Add(every)) { // a clock that jumped back does not block forever
			ok = false
		}
		if !ok {
			l = r.lease(name)
			return nil
		}
		if !mine {
			r.Token++
		}
		r.Schema, r.Holder, r.Node, r.Expires = schema, m.o.Holder, m.o.Node, now.Add(ttl)
		l = r.lease(name)
		return m.set(tx, name, &r)
	})
	return l, ok, err
}

// Renew extends a held lease by ttl from now (ReasonLost when another
// process took it meanwhile).
func (m *Manager) Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	err := m.update(ctx, "renew lease", func(tx kv.Txn) error {
		r, err := m.get(tx, l.Name)
		if err != nil {
			return err
		}
		if r.Holder != m.o.Holder || r.Token != l.Token {
			return Lost(l.Name)
		}
		r.Expires = m.o.Now().UTC().Add(ttl)
		l = r.lease(l.Name)
		return m.set(tx, l.Name, &r)
	})
	return l, err
}

// Release frees a held lease; done records the work as finished now
// (RunPeriodic). Releasing a lease another process holds changes nothing.
func (m *Manager) Release(ctx context.Context, l Lease, done bool) error {
	return m.update(ctx, "release lease", func(tx kv.Txn) error {
		r, err := m.get(tx, l.Name)
		if err != nil {
			return err
		}
		if r.Holder != m.o.Holder || r.Token != l.Token {
			return nil
		}
		r.Holder, r.Node, r.Expires = "", "", time.Time{}
		if done {
			r.LastDone = m.o.Now().UTC()
		}
		return m.set(tx, l.Name, &r)
	})
}

// Get returns the named lease as stored (zero when never taken).
func (m *Manager) Get(ctx context.Context, name string) (Lease, error) {
	var r record
	err := m.o.Store.View(ctx, func(tx kv.Reader) error {
		var err error
		r, err = m.get(tx, name)
		return err
	})
	return r.lease(name), errs.FromStorage(err, "get lease", kv.ErrConflict)
}

// Check fails with ReasonLost unless l is still held, as of tx: call it
// inside the transaction that commits the leased work's results.
func (m *Manager) Check(tx kv.Reader, l Lease) error {
	r, err := m.get(tx, l.Name)
	if err != nil {
		return err
	}
	if r.Holder != l.Holder || r.Token != l.Token {
		return Lost(l.Name)
	}
	return nil
}

// Run runs fn while this process holds the named lease: it takes the lease
// (ran is false, and fn does not run, when another process holds it),
// renews it every ttl/3, and releases it when fn returns (done: fn returned
// nil). fn's ctx is cancelled when a renewal fails: the lease may be
// someone else's by then, so fn should stop and commit nothing more. A ttl
// of 0 means Options.DefaultTTL.
func (m *Manager) Run(ctx context.Context, name string, ttl time.Duration, fn func(ctx context.Context, l Lease) error) (ran bool, err error) {
	return m.run(ctx, name, ttl, 0, fn)
}

// RunPeriodic is Run for work due every interval over all nodes: fn runs
// only when no process holds the lease and the last completed run (by any
// node) is at least every old. A run that fails or whose node dies is not
// "done", so the next attempt (on any node) runs it again.
func (m *Manager) RunPeriodic(ctx context.Context, name string, every, ttl time.Duration, fn func(ctx context.Context, l Lease) error) (ran bool, err error) {
	return m.run(ctx, name, ttl, every, fn)
}

func (m *Manager) run(ctx context.Context, name string, ttl, every time.Duration, fn func(ctx context.Context, l Lease) error) (bool, error) {
	if ttl <= 0 {
		ttl = m.o.DefaultTTL
	}
	l, ok, err := m.acquire(ctx, name, ttl, every)
	if err != nil || !ok {
		return false, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	cur := l
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(ttl/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if m.o.Crashed() {
					return // a simulated crash: the lease is left to expire
				}
				mu.Lock()
				nl, err := m.Renew(runCtx, cur, ttl)
				if err == nil {
					cur = nl
				}
				mu.Unlock()
				if err != nil && runCtx.Err() == nil {
					if errs.ReasonOf(err) != ReasonLost {
						m.o.Log.Warn("lease renewal failed", "lease", name, "err", err)
						if m.o.Now().Before(cur.Expires) {
							continue // retry while the lease lasts
						}
					}
					cancel()
					return
				}
			}
		}
	}()
	err = fn(runCtx, l)
	cancel()
	wg.Wait()
	mu.Lock()
	final := cur
	mu.Unlock()
	if m.o.Crashed() {
		return true, err
	}
	if rerr := m.Release(context.WithoutCancel(ctx), final, err == nil); rerr != nil && err == nil {
		err = rerr
	}
	return true, err
}
