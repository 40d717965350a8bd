package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/lease"
)

// Jobs across nodes. Every job record names the process that runs it
// (Job.Holder, Job.Node) and a lease (Job.Lease) that process renews every
// Options.Lease/3 while the job is queued or running. Every node scans
// the unfinished jobs as often: a job whose lease has expired belongs to a
// node that died (or lost the store). If its kind is registered
// (RegisterKind: a resumable job, submitted with SubmitResumable), the
// node claims it in one transaction and runs it again from its persisted
// Params and Checkpoint; otherwise (a job whose work is a closure, which
// only its own process had) it fails it with ReasonInterrupted, naming
// the node that stopped. A process writes a job's progress and end only
// while it still holds the job (save checks Holder in the same
// transaction), so a stalled node that wakes after its job was taken over
// changes nothing.
//
// A clean shutdown hands resumable jobs over at once (their lease is
// cleared, another node resumes them) and fails the others, as before.

// Resumable is the work of a resumable job. It may run more than once
// (on another node after a crash): it must resume from run.Checkpoint and
// save its progress with run.Save as it goes.
type Resumable func(ctx context.Context, run *Run) (result string, err error)

// Run is one run of a resumable job.
type Run struct {
	r *Runner
	p Progress
	// UUID and ID are the job's.
	UUID string
	ID   int64
	// Created is when the job was submitted.
	Created time.Time
	// Params is the JSON the job was submitted with.
	Params json.RawMessage
	// Checkpoint is the progress the last run saved ("" at first).
	Checkpoint string
	// Resumed is set when an earlier run (another node's, or this node's
	// previous process) was interrupted.
	Resumed bool
}

// Update implements Progress.
func (run *Run) Update(percent int, message string) { run.p.Update(percent, message) }

// Save persists the job's checkpoint; it fails with lease.ReasonLost when
// another node has taken the job over (stop then).
func (run *Run) Save(ctx context.Context, checkpoint string) error {
	err := run.r.save(context.WithoutCancel(ctx), run.UUID, func(j *Job) { j.Checkpoint = checkpoint })
	if err == nil {
		run.Checkpoint = checkpoint
	}
	return err
}

// RegisterKind registers the work of a resumable job kind. Register
// every kind on every node, before submitting: a node resumes only kinds it
// knows, and fails jobs of unknown kinds whose node died.
func (r *Runner) RegisterKind(kind string, fn Resumable) {
	r.mu.Lock()
	r.kinds[kind] = fn
	r.mu.Unlock()
}

func (r *Runner) kind(kind string) (Resumable, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn, ok := r.kinds[kind]
	return fn, ok && kind != ""
}

// SubmitResumable submits a job of a registered kind with params (any
// JSON-encodable value); another node resumes it if this one dies.
func (r *Runner) SubmitResumable(ctx context.Context, spec Spec, kind string, params any) (Job, error) {
	fn, ok := r.kind(kind)
	if !ok {
		return Job{}, errs.New(errs.Internal, "job kind %q is not registered", kind)
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return Job{}, err
	}
	spec.kind, spec.params = kind, raw
	return r.Submit(ctx, spec, r.resumable(fn, false))
}

// resumable adapts a Resumable to the runner.
func (r *Runner) resumable(fn Resumable, resumed bool) Func {
	return func(ctx context.Context, p Progress) (string, error) {
		uuid := p.(progress).uuid
		j, err := r.Get(context.WithoutCancel(ctx), uuid)
		if err != nil {
			return "", err
		}
		return fn(ctx, &Run{r: r, p: p, UUID: uuid, ID: j.ID, Created: j.Created, Params: j.Params, Checkpoint: j.Checkpoint, Resumed: resumed})
	}
}

// orphaned reports whether a job was left by an earlier process of this
// node (or predates job leases): nobody else will finish it.
func (r *Runner) orphaned(j *Job) bool {
	return j.Holder == "" || j.Node == r.o.Node && j.Holder != r.o.Holder
}

// hold records that this process runs a job and returns the job's context.
func (r *Runner) hold(uuid string) context.Context {
	ctx, cancel := context.WithCancel(r.ctx)
	r.mu.Lock()
	r.held[uuid] = cancel
	r.mu.Unlock()
	return ctx
}

func (r *Runner) drop(uuid string) {
	r.mu.Lock()
	if c := r.held[uuid]; c != nil {
		c()
	}
	delete(r.held, uuid)
	r.mu.Unlock()
}

// leases renews the leases of this process's jobs and takes over the jobs
// of dead nodes.
func (r *Runner) leases() {
	defer r.wg.Done()
	every := max(r.o.Lease/3, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-r.ctx.Done():
				return
			case <-t.C:
			}
		}
		if r.dead.Load() {
			continue
		}
		r.renew()
		if err := r.takeOver(r.ctx); err != nil && r.ctx.Err() == nil {
			r.o.Log.Warn("job takeover scan failed", "err", err)
		}
	}
}

func (r *Runner) renew() {
	r.mu.Lock()
	uuids := make([]string, 0, len(r.held))
	for u := range r.held {
		uuids = append(uuids, u)
	}
	r.mu.Unlock()
	for _, u := range uuids {
		err := r.save(r.ctx, u, func(j *Job) { j.Lease = r.o.Now().UTC().Add(r.o.Lease) })
		if errs.ReasonOf(err) == lease.ReasonLost {
			r.o.Log.Warn("job lease lost: another node took the job over", "job", u)
			r.mu.Lock()
			if c := r.held[u]; c != nil {
				c()
			}
			r.mu.Unlock()
		} else if err != nil && r.ctx.Err() == nil {
			r.o.Log.Warn("job lease not renewed", "job", u, "err", err)
		}
	}
}

func leaseExpired(j *Job, now time.Time) bool { return j.Lease.IsZero() || !now.Before(j.Lease) }

// takeOver resumes or fails the unfinished jobs whose lease expired.
func (r *Runner) takeOver(ctx context.Context) error {
	now := r.o.Now().UTC()
	var cands []Job
	err := r.view(ctx, "scan jobs", func(tx kv.Reader) error {
		cands = cands[:0]
		return r.scan(tx, func(raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			if !j.Terminal() && j.Holder != r.o.Holder && leaseExpired(&j, now) {
				cands = append(cands, j)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, c := range cands {
		fn, known := r.kind(c.Kind)
		r.addMu.Lock()
		stopped := r.stopped
		if known && !stopped {
			r.wg.Add(1) // released below unless the job is launched
		}
		r.addMu.Unlock()
		if stopped {
			return nil
		}
		var claimed bool
		err := r.update(ctx, "take over job", func(tx kv.Txn) error {
			claimed = false
			var j Job
			if ok, err := kv.GetJSON(tx, r.jobKey(c.UUID), &j); err != nil || !ok {
				return err
			}
			if j.Terminal() || j.Holder != c.Holder || !leaseExpired(&j, r.o.Now().UTC()) {
				return nil // finished, renewed or taken meanwhile
			}
			prev := j.Node
			if prev == "" {
				prev = "unknown"
			}
			now := r.o.Now().UTC()
			if !known {
				j.State, j.End, j.Percent = Failure, now, 100
				if j.Start.IsZero() {
					j.Start = now
				}
				j.Message = fmt.Sprintf("The job was interrupted: its node (%s) stopped before the job ended.", prev)
				j.Error = &ErrorInfo{Kind: errs.Internal, Reason: ReasonInterrupted, Message: j.Message}
				return kv.SetJSON(tx, r.jobKey(j.UUID), &j)
			}
			j.Holder, j.Node, j.Lease = r.o.Holder, r.o.Node, now.Add(r.o.Lease)
			j.State = Running
			if j.Start.IsZero() {
				j.Start = now
			}
			if prev != r.o.Node {
				j.Message = fmt.Sprintf("Resumed on node %s after node %s stopped.", r.o.Node, prev)
			} else {
				j.Message = fmt.Sprintf("Resumed on node %s after a restart.", r.o.Node)
			}
			claimed = true
			return kv.SetJSON(tx, r.jobKey(j.UUID), &j)
		})
		if !known {
			if err != nil {
				return err
			}
			continue
		}
		if err != nil || !claimed {
			r.wg.Done()
			if err != nil {
				return err
			}
			continue
		}
		r.o.Log.Info("resuming a job of a stopped node", "job", c.UUID, "kind", c.Kind, "previous_node", c.Node)
		go r.run(c.UUID, r.resumable(fn, true), true)
	}
	return nil
}

// handOver clears the lease of a resumable job this process stops running
// (a shutdown), so another node resumes it at once.
func (r *Runner) handOver(uuid string) {
	err := r.save(context.Background(), uuid, func(j *Job) {
		j.Holder, j.Lease = "", time.Time{}
		j.Message = fmt.Sprintf("Node %s stopped; the job waits for another node.", r.o.Node)
	})
	if err != nil {
		r.o.Log.Warn("job not handed over", "job", uuid, "err", err)
	}
}

// Crash simulates a kill -9 of this process's job work (tests): no lease
// is renewed and no job state is written any more.
func (r *Runner) Crash() {
	r.dead.Store(true)
	r.mu.Lock()
	for _, c := range r.held {
		c()
	}
	r.mu.Unlock()
}

func isLeaseLost(err error) bool { return errors.Is(err, lease.ReasonLost) }
