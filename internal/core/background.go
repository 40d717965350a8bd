package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/lease"
	"coffer/internal/loginguard"
)

// Background work that runs on one node at a time (leases.go):
//   - the object layer's collector (garbage blobs, usage folding) runs on
//     the node holding the "gc" lease, which its holder renews every
//     JobLease/3 and another node takes when it expires;
//   - the orphan sweep (blobs no record references, stale temp files, older
//     than OrphanGrace) runs every OrphanSweepEvery over all nodes
//     (RunPeriodic "orphan-sweep");
//   - the gc lease's holder also removes expired login lockout records
//     every loginguard.SweepEvery (internal/loginguard).
// Data aging is a resumable job (internal/vaults), claimed once per interval.

// Defaults of the background options.
const (
	DefaultOrphanGrace      = time.Hour
	DefaultOrphanSweepEvery = time.Hour
)

const (
	leaseGC          = "gc"
	leaseOrphanSweep = "orphan-sweep"
)

type background struct {
	gcHeld atomic.Bool
	gcTil  atomic.Int64 // unix nanos the held gc lease lasts until
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (s *Service) startBackground() {
	if s.opts.OrphanGrace <= 0 {
		s.opts.OrphanGrace = DefaultOrphanGrace
	}
	if s.opts.OrphanSweepEvery == 0 {
		s.opts.OrphanSweepEvery = DefaultOrphanSweepEvery
	}
	b := &background{stop: make(chan struct{})}
	s.bg = b
	ctx, cancel := context.WithCancel(context.Background())
	// The first lease attempt is synchronous: a lone node collects from its
	// first write on.
	s.holdGC(ctx)
	s.obj.SetCollectorGate(func() bool {
		return b.gcHeld.Load() && s.now().UnixNano() < b.gcTil.Load()
	})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer cancel()
		t := time.NewTicker(max(s.opts.JobLease/3, 10*time.Millisecond))
		defer t.Stop()
		guardSweep := time.NewTicker(loginguard.SweepEvery)
		defer guardSweep.Stop()
		var sweep <-chan time.Time
		if s.opts.OrphanSweepEvery > 0 {
			st := time.NewTicker(min(s.opts.OrphanSweepEvery, time.Minute))
			defer st.Stop()
			sweep = st.C
		}
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				if !s.jobs.Crashed() {
					s.holdGC(ctx)
				}
			case <-guardSweep.C:
				if s.jobs.Crashed() || !s.CollectsGarbage() {
					continue // the node holding the "gc" lease sweeps
				}
				if err := s.sweepLoginRecords(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("login lockout sweep failed", "err", err)
				}
			case <-sweep:
				if s.jobs.Crashed() {
					continue
				}
				if _, err := s.SweepOrphans(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("orphan sweep failed", "err", err)
				}
			}
		}
	}()
}

func (s *Service) stopBackground() {
	b := s.bg
	if b == nil {
		return
	}
	close(b.stop)
	b.wg.Wait()
	if b.gcHeld.Load() && !s.jobs.Crashed() {
		if l, err := s.leases.Get(context.Background(), leaseGC); err == nil && l.Holder == s.node.holder {
			_ = s.leases.Release(context.Background(), l, false)
		}
	}
}

// holdGC takes or renews the "gc" lease.
func (s *Service) holdGC(ctx context.Context) {
	l, ok, err := s.leases.Acquire(ctx, leaseGC, s.opts.JobLease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("gc lease not renewed", "err", err)
		}
		return // keep the state: the lease lasts until gcTil
	}
	s.bg.gcHeld.Store(ok)
	if ok {
		s.bg.gcTil.Store(l.Expires.UnixNano())
	}
}

// CollectsGarbage reports whether this node holds the "gc" lease.
func (s *Service) CollectsGarbage() bool {
	return s.bg != nil && s.bg.gcHeld.Load() && s.now().UnixNano() < s.bg.gcTil.Load()
}

// sweepLoginRecords removes the expired records of the shared login
// lockout (internal/loginguard).
func (s *Service) sweepLoginRecords(ctx context.Context) error {
	n, err := s.guard.Sweep(ctx, s.now())
	if n > 0 {
		s.log.Info("login lockout sweep", "expired_records_removed", n)
	}
	return err
}

// SweepOrphans runs the orphan sweep (objects.Service.Sweep with
// Options.OrphanGrace) if it is due and no other node runs it; ran is false
// otherwise.
func (s *Service) SweepOrphans(ctx context.Context) (ran bool, err error) {
	every := s.opts.OrphanSweepEvery
	if every < 0 {
		every = 0
	}
	return s.leases.RunPeriodic(ctx, leaseOrphanSweep, every, s.opts.JobLease, func(ctx context.Context, _ lease.Lease) error {
		res, err := s.obj.Sweep(ctx, s.opts.OrphanGrace)
		if err == nil && res.Orphans+res.Garbage > 0 {
			s.log.Info("orphan sweep", "orphans_removed", res.Orphans, "garbage_removed", res.Garbage)
		}
		return err
	})
}
