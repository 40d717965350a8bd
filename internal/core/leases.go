package core

import (
	"context"
	"os"
	"sync"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Leases let nodes sharing a store divide work without a coordinator: a
// lease is a kv record naming its holder (a node's process) and an expiry,
// taken, renewed and released in kv transactions. Whoever holds an
// unexpired lease does the work; when its node dies the lease expires and
// another node takes it (and the work resumes from what the work itself
// persisted). Every acquisition by a new holder increments the lease's
// Token, a fencing token: work that commits results checks, inside its own
// transaction, that its lease is still held (CheckLease), so a holder that
// stalled past its expiry cannot overwrite its successor's results.
//
//	'l' name   leaseRecord
//
// Expiry compares the holder's clock (which wrote Expires) with the
// reader's: nodes need synchronized clocks (NTP), with a skew well under
// the lease's duration.
//
// RunLeased runs a function under a lease (renewing it, cancelling the
// function when the lease is lost); RunPeriodic runs work at most once per
// interval over all nodes (data aging, the orphan sweep, lifecycle).

// Lease reasons.
const (
	ReasonLeaseLost Reason = "lease.lost" // Conflict: another node holds the lease now
)

// DefaultJobLease is the default Options.JobLease.
const DefaultJobLease = 10 * time.Second

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

type leaseRecord struct {
	Schema   int       `json:"_v"`
	Holder   string    `json:"holder,omitempty"`
	Node     string    `json:"node,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
	Token    uint64    `json:"token"`
	LastDone time.Time `json:"last_done,omitzero"`
}

const leaseSchema = 1

func leaseKey(name string) []byte { return key('l', name) }

// nodeIdentity names this process in leases and jobs: the node name and a
// random instance id, so a restarted node does not take its previous
// process's leases for its own.
type nodeIdentity struct{ name, holder string }

func newNodeIdentity(name string) nodeIdentity {
	return nodeIdentity{name: name, holder: name + "/" + newUUID()[:8]}
}

func (o *Options) multiNodeDefaults() {
	if o.NodeName == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.NodeName = h
		} else {
			o.NodeName = "coffer"
		}
	}
	if o.FeedPoll <= 0 {
		o.FeedPoll = DefaultFeedPoll
	}
	if o.JobLease <= 0 {
		o.JobLease = DefaultJobLease
	}
}

// NodeName returns the name this node uses in leases and jobs.
func (s *Service) NodeName() string { return s.node.name }

func (r leaseRecord) lease(name string) Lease {
	return Lease{Name: name, Holder: r.Holder, Node: r.Node, Expires: r.Expires, Token: r.Token, LastDone: r.LastDone}
}

func lostLease(name string) error {
	return fail(errs.Conflict, ReasonLeaseLost, "", "The lease %q is held by another node.", name)
}

// AcquireLease takes the named lease for ttl when it is free, expired, or
// already held by this process (then it is renewed). ok is false, with the
// current holder's lease, when another process holds it.
func (s *Service) AcquireLease(ctx context.Context, name string, ttl time.Duration) (l Lease, ok bool, err error) {
	return s.acquireLease(ctx, name, ttl, 0)
}

// acquireLease with every > 0 also requires LastDone to be at least every
// old.
func (s *Service) acquireLease(ctx context.Context, name string, ttl, every time.Duration) (l Lease, ok bool, err error) {
	err = s.update(ctx, "acquire lease", func(tx kv.Txn) error {
		var r leaseRecord
		if _, err := getJSON(tx, leaseKey(name), &r); err != nil {
			return err
		}
		now := s.now().UTC()
		mine := r.Holder == s.node.holder
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
		r.Schema, r.Holder, r.Node, r.Expires = leaseSchema, s.node.holder, s.node.name, now.Add(ttl)
		l = r.lease(name)
		return setJSON(tx, leaseKey(name), &r)
	})
	return l, ok, err
}

// RenewLease extends a held lease by ttl from now (ReasonLeaseLost when
// another process took it meanwhile).
func (s *Service) RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	err := s.update(ctx, "renew lease", func(tx kv.Txn) error {
		var r leaseRecord
		if _, err := getJSON(tx, leaseKey(l.Name), &r); err != nil {
			return err
		}
		if r.Holder != s.node.holder || r.Token != l.Token {
			return lostLease(l.Name)
		}
		r.Expires = s.now().UTC().Add(ttl)
		l = r.lease(l.Name)
		return setJSON(tx, leaseKey(l.Name), &r)
	})
	return l, err
}

// ReleaseLease frees a held lease; done records the work as finished now
// (RunPeriodic). Releasing a lease another process holds changes nothing.
func (s *Service) ReleaseLease(ctx context.Context, l Lease, done bool) error {
	return s.update(ctx, "release lease", func(tx kv.Txn) error {
		var r leaseRecord
		if _, err := getJSON(tx, leaseKey(l.Name), &r); err != nil {
			return err
		}
		if r.Holder != s.node.holder || r.Token != l.Token {
			return nil
		}
		r.Holder, r.Node, r.Expires = "", "", time.Time{}
		if done {
			r.LastDone = s.now().UTC()
		}
		return setJSON(tx, leaseKey(l.Name), &r)
	})
}

// GetLease returns the named lease as stored (zero when never taken).
func (s *Service) GetLease(ctx context.Context, name string) (Lease, error) {
	var r leaseRecord
	err := s.view(ctx, "get lease", func(tx kv.Reader) error {
		_, err := getJSON(tx, leaseKey(name), &r)
		return err
	})
	return r.lease(name), err
}

// CheckLease fails with ReasonLeaseLost unless l is still held, as of tx:
// call it inside the transaction that commits the leased work's results.
func CheckLease(tx kv.Reader, l Lease) error {
	var r leaseRecord
	if _, err := getJSON(tx, leaseKey(l.Name), &r); err != nil {
		return err
	}
	if r.Holder != l.Holder || r.Token != l.Token {
		return lostLease(l.Name)
	}
	return nil
}

// RunLeased runs fn while this process holds the named lease: it takes the
// lease (ran is false, and fn does not run, when another process holds
// it), renews it every ttl/3, and releases it when fn returns (done: fn
// returned nil). fn's ctx is cancelled when a renewal fails: the lease may
// be someone else's by then, so fn should stop and commit nothing more.
func (s *Service) RunLeased(ctx context.Context, name string, ttl time.Duration, fn func(ctx context.Context, l Lease) error) (ran bool, err error) {
	return s.runLeased(ctx, name, ttl, 0, fn)
}

// RunPeriodic is RunLeased for work due every interval over all nodes: fn
// runs only when no process holds the lease and the last completed run (by
// any node) is at least every old. A run that fails or whose node dies is
// not "done", so the next attempt (on any node) runs it again.
func (s *Service) RunPeriodic(ctx context.Context, name string, every, ttl time.Duration, fn func(ctx context.Context, l Lease) error) (ran bool, err error) {
	return s.runLeased(ctx, name, ttl, every, fn)
}

func (s *Service) runLeased(ctx context.Context, name string, ttl, every time.Duration, fn func(ctx context.Context, l Lease) error) (bool, error) {
	if ttl <= 0 {
		ttl = s.opts.JobLease
	}
	l, ok, err := s.acquireLease(ctx, name, ttl, every)
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
				if s.jobs.dead.Load() {
					return // a simulated crash (tests): the lease is left to expire
				}
				mu.Lock()
				nl, err := s.RenewLease(runCtx, cur, ttl)
				if err == nil {
					cur = nl
				}
				mu.Unlock()
				if err != nil && runCtx.Err() == nil {
					if ReasonOf(err) != ReasonLeaseLost {
						s.log.Warn("lease renewal failed", "lease", name, "err", err)
						if s.now().Before(cur.Expires) {
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
	if s.jobs.dead.Load() {
		return true, err
	}
	if rerr := s.ReleaseLease(context.WithoutCancel(ctx), final, err == nil); rerr != nil && err == nil {
		err = rerr
	}
	return true, err
}
