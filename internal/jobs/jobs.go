// Package jobs runs Coffer's asynchronous operations (ONTAP
// /api/cluster/jobs, Commvault /Job) as kv records: each job is queued,
// run by at most Options.Workers goroutines, its progress and end
// persisted, and it stays visible for Options.Retention after it ends.
// Across nodes, every unfinished job names the process that runs it and a
// lease it renews; a node that finds a job whose lease expired resumes it
// (a registered resumable kind) or fails it (see "Jobs across nodes").
//
//	Options.JobPrefix uuid           Job (JSON)
//	Options.IDPrefix id(8, big-endian)  job uuid (the int id index)
package jobs

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/lease"
	"coffer/internal/uuid"
)

// Reasons.
const (
	ReasonNotFound    errs.Reason = "job.not_found"   // NotFound
	ReasonInterrupted errs.Reason = "job.interrupted" // Internal (a restart or shutdown ended the job)
)

// Options configures a Runner.
type Options struct {
	// Store holds the job records (required).
	Store kv.Store
	// JobPrefix and IDPrefix are the key namespaces of the records and of
	// the int id index (required, distinct; they must not change once jobs
	// exist).
	JobPrefix, IDPrefix byte
	// NextID allocates a new job's int id inside the submitting
	// transaction (required).
	NextID func(tx kv.Txn) (int64, error)
	// Node is this node's name, Holder this process's identity (node name
	// and instance id). Both required.
	Node, Holder string
	// Workers is how many jobs run at once (required, at least 1).
	Workers int
	// Retention is how long a finished job stays visible; Lease is the
	// lease of an unfinished one, renewed every Lease/3. Both required.
	Retention, Lease time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log; nil means slog.Default().
	Log *slog.Logger
}

// Validate reports whether the options are usable.
func (o Options) Validate() error {
	switch {
	case o.Store == nil || o.NextID == nil:
		return errors.New("jobs: Options.Store and Options.NextID are required")
	case o.JobPrefix == 0 || o.IDPrefix == 0 || o.JobPrefix == o.IDPrefix:
		return errors.New("jobs: Options.JobPrefix and Options.IDPrefix must be set and distinct")
	case o.Node == "" || o.Holder == "":
		return errors.New("jobs: Options.Node and Options.Holder are required")
	case o.Workers < 1:
		return errors.New("jobs: Options.Workers must be at least 1")
	case o.Retention <= 0 || o.Lease <= 0:
		return errors.New("jobs: Options.Retention and Options.Lease must be positive")
	}
	return nil
}

// New returns a Runner; Recover, then Start it.
func New(o Options) (*Runner, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{o: o, sem: make(chan struct{}, o.Workers), ctx: ctx, cancel: cancel,
		waiters: map[string][]chan struct{}{}, held: map[string]context.CancelFunc{}, kinds: map[string]Resumable{}}, nil
}

func (r *Runner) jobKey(id string) []byte { return append([]byte{r.o.JobPrefix}, id...) }

func (r *Runner) idKey(id int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{r.o.IDPrefix}, uint64(id))
}

// scan calls fn with every job record.
func (r *Runner) scan(tx kv.Reader, fn func(raw []byte) error) error {
	p := []byte{r.o.JobPrefix}
	it := tx.NewIterator(p, kv.PrefixEnd(p))
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Value()); err != nil {
			return err
		}
	}
	return it.Err()
}

func (r *Runner) view(ctx context.Context, what string, fn func(tx kv.Reader) error) error {
	return errs.FromStorage(r.o.Store.View(ctx, fn), what, kv.ErrConflict)
}

func (r *Runner) update(ctx context.Context, what string, fn func(tx kv.Txn) error) error {
	return errs.FromStorage(r.o.Store.Update(ctx, fn), what, kv.ErrConflict)
}

// State is a job's state (ONTAP's words; success and failure are
// terminal).
type State string

// Job states.
const (
	Queued  State = "queued"
	Running State = "running"
	Success State = "success"
	Failure State = "failure"
)

// Job is an asynchronous operation (ONTAP /api/cluster/jobs/{uuid};
// Commvault /Job/{jobId}). Finished jobs stay visible for
// Options.Retention after they end, then Get
// answers ReasonNotFound.
type Job struct {
	Schema int `json:"_v"`
	// UUID identifies the job (ONTAP job uuid).
	UUID string `json:"uuid"`
	// ID is the int id (Commvault jobId).
	ID int64 `json:"id"`
	// Tenant is the uuid of the tenant the job works on, "" for none
	// (ONTAP job svm).
	Tenant string `json:"tenant,omitempty"`
	// Description says what the job does, e.g. "POST /api/protocols/s3/buckets".
	Description string `json:"description"`
	// Operation is a short operation name for faces that show one
	// (Commvault jobType), e.g. "CreateBucket".
	Operation string `json:"op,omitempty"`
	State     State  `json:"state"`
	// Message is "success" on success, the error's message on failure, and
	// the latest progress message while running.
	Message string `json:"message,omitempty"`
	// Percent is the progress, 0..100.
	Percent int `json:"percent,omitempty"`
	// Error describes a failure; Err() rebuilds it as an error value that
	// adapters map with their one table (ONTAP code, Commvault errorCode).
	Error *ErrorInfo `json:"error,omitempty"`
	// Result is an optional small value the job returned (e.g. a created
	// bucket's uuid), opaque to the runner.
	Result  string    `json:"result,omitempty"`
	Created time.Time `json:"created"`
	// Start and End are zero until the job starts and ends.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`

	// The lease of an unfinished job ("Jobs across nodes" below): the process running
	// it (Holder: node "/" instance; Node: the node's name) renews Lease;
	// past it, another node resumes the job (Kind set) or fails it.
	Holder string    `json:"holder,omitempty"`
	Node   string    `json:"node,omitempty"`
	Lease  time.Time `json:"lease,omitzero"`
	// Kind, Params and Checkpoint describe a resumable job: its registered
	// kind, its input and its persisted progress.
	Kind       string          `json:"kind,omitempty"`
	Params     json.RawMessage `json:"params,omitempty"`
	Checkpoint string          `json:"checkpoint,omitempty"`
}

// ErrorInfo is the persisted form of a job's failure.
type ErrorInfo struct {
	Kind    errs.Kind   `json:"kind"`
	Reason  errs.Reason `json:"reason,omitempty"`
	Field   string      `json:"field,omitempty"`
	Message string      `json:"message"`
}

// Terminal reports whether the job has ended.
func (j Job) Terminal() bool { return j.State == Success || j.State == Failure }

// Err returns the job's failure as an *errs.Error (with its Reason in the
// chain), or nil.
func (j Job) Err() error {
	if j.Error == nil {
		return nil
	}
	e := &errs.Error{Kind: j.Error.Kind, Field: j.Error.Field, Msg: j.Error.Message}
	if j.Error.Reason != "" {
		e.Err = j.Error.Reason
	}
	return e
}

const schema = 1

// Spec describes a job to run.
type Spec struct {
	Tenant      string
	Description string
	Operation   string

	kind   string // SubmitResumable
	params json.RawMessage
}

// Progress lets a running job report progress.
type Progress interface {
	// Update records a percentage (0..100) and a message.
	Update(percent int, message string)
}

// Func is a job's work. Its error becomes the job's failure; its result
// string is kept in Job.Result. ctx is cancelled when the server shuts
// down. It runs once: a job interrupted by a restart is not resumed but
// ends in failure (ReasonInterrupted).
type Func func(ctx context.Context, p Progress) (result string, err error)

// Filter selects jobs for List.
type Filter struct {
	// Tenant, when set, keeps that tenant's jobs.
	Tenant string
	// State, when set, keeps jobs in that state.
	State State
}

// Runner runs jobs in goroutines, at most Options.Workers at once,
// persists every state change, and deletes jobs past their retention.
type Runner struct {
	o      Options
	sem    chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// addMu orders wg.Add against stop: once stopped is set no job is
	// added, so stop's wg.Wait never races an Add.
	addMu   sync.Mutex
	stopped bool

	mu      sync.Mutex
	waiters map[string][]chan struct{} // closed when the job ends

	held map[string]context.CancelFunc // jobs this process holds (under mu)
	// kinds are the resumable job kinds (under mu).
	kinds map[string]Resumable
	dead  atomic.Bool // tests: simulate a crash (no more writes, no renewals)
}

// Recover ends in failure every job a previous process left queued or
// running.
func (r *Runner) Recover(ctx context.Context) error {
	now := r.o.Now().UTC()
	return r.update(ctx, "recover jobs", func(tx kv.Txn) error {
		var stale []Job
		if err := r.scan(tx, func(raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			if !j.Terminal() && r.orphaned(&j) {
				stale = append(stale, j)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, j := range stale {
			if j.Kind != "" {
				j.Lease = time.Time{} // resumable: the takeover scan resumes it at once
				if err := kv.SetJSON(tx, r.jobKey(j.UUID), &j); err != nil {
					return err
				}
				continue
			}
			j.State, j.End, j.Message = Failure, now, "The job was interrupted by a restart of the server."
			if j.Start.IsZero() {
				j.Start = now
			}
			j.Error = &ErrorInfo{Kind: errs.Internal, Reason: ReasonInterrupted, Message: j.Message}
			if err := kv.SetJSON(tx, r.jobKey(j.UUID), &j); err != nil {
				return err
			}
		}
		return nil
	})
}

func (r *Runner) Start() {
	r.wg.Add(2)
	go r.sweeper()
	go r.leases()
}

func (r *Runner) Stop() {
	r.addMu.Lock()
	r.stopped = true
	r.addMu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// sweeper deletes jobs past their retention.
func (r *Runner) sweeper() {
	defer r.wg.Done()
	every := min(max(r.o.Retention/5, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			if err := r.sweep(r.ctx); err != nil && r.ctx.Err() == nil {
				r.o.Log.Error("job sweep failed", "err", err)
			}
		}
	}
}

func (r *Runner) expired(j *Job, now time.Time) bool {
	return j.Terminal() && !j.End.IsZero() && now.Sub(j.End) >= r.o.Retention
}

// sweep deletes the jobs past their retention.
func (r *Runner) sweep(ctx context.Context) error {
	now := r.o.Now()
	return r.update(ctx, "sweep jobs", func(tx kv.Txn) error {
		var old []Job
		if err := r.scan(tx, func(raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			if r.expired(&j, now) {
				old = append(old, j)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, j := range old {
			if err := tx.Delete(r.jobKey(j.UUID)); err != nil {
				return err
			}
			if err := tx.Delete(r.idKey(j.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

type progress struct {
	r    *Runner
	uuid string
}

func (p progress) Update(percent int, message string) {
	percent = min(max(percent, 0), 100)
	err := p.r.save(context.Background(), p.uuid, func(j *Job) {
		j.Percent, j.Message = percent, message
	})
	if err != nil {
		p.r.o.Log.Warn("job progress not saved", "job", p.uuid, "err", err)
	}
}

func (r *Runner) save(ctx context.Context, uuid string, fn func(j *Job)) error {
	if r.dead.Load() {
		return errs.New(errs.Internal, "the node crashed (test)")
	}
	return r.update(ctx, "save job", func(tx kv.Txn) error {
		var j Job
		if ok, err := kv.GetJSON(tx, r.jobKey(uuid), &j); err != nil || !ok {
			return err
		}
		if j.Holder != "" && j.Holder != r.o.Holder {
			return lease.Lost("job " + uuid) // another node took the job over
		}
		fn(&j)
		return kv.SetJSON(tx, r.jobKey(uuid), &j)
	})
}

// Submit records a queued job and runs fn in the background. It returns
// the queued job at once; poll with Get or Wait.
func (r *Runner) Submit(ctx context.Context, spec Spec, fn Func) (Job, error) {
	if r.ctx.Err() != nil {
		return Job{}, errs.New(errs.Internal, "the server is shutting down")
	}
	j := Job{Schema: schema, UUID: uuid.New(), Tenant: spec.Tenant, Description: spec.Description,
		Operation: spec.Operation, State: Queued, Created: r.o.Now().UTC(),
		Holder: r.o.Holder, Node: r.o.Node, Lease: r.o.Now().UTC().Add(r.o.Lease),
		Kind: spec.kind, Params: spec.params}
	err := r.update(ctx, "submit job", func(tx kv.Txn) error {
		id, err := r.o.NextID(tx)
		if err != nil {
			return err
		}
		j.ID = id
		if err := kv.SetJSON(tx, r.jobKey(j.UUID), &j); err != nil {
			return err
		}
		return kv.SetJSON(tx, r.idKey(j.ID), j.UUID)
	})
	if err != nil {
		return Job{}, err
	}
	r.addMu.Lock()
	if r.stopped {
		r.addMu.Unlock()
		r.finish(context.Background(), j.UUID, "", errs.Fail(errs.Internal, ReasonInterrupted, "", "The job was interrupted by a shutdown of the server."))
		return Job{}, errs.New(errs.Internal, "the server is shutting down")
	}
	r.wg.Add(1)
	r.addMu.Unlock()
	go r.run(j.UUID, fn, j.Kind != "")
	return j, nil
}

func (r *Runner) run(uuid string, fn Func, resumable bool) {
	defer r.wg.Done()
	jctx := r.hold(uuid)
	defer r.drop(uuid)
	bg := context.Background() // state changes are saved even during shutdown
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	case <-r.ctx.Done():
		if resumable {
			r.handOver(uuid)
			return
		}
		r.finish(bg, uuid, "", errs.Fail(errs.Internal, ReasonInterrupted, "", "The job was interrupted by a shutdown of the server."))
		return
	}
	if err := r.save(bg, uuid, func(j *Job) { j.State, j.Start = Running, r.o.Now().UTC() }); err != nil {
		r.o.Log.Error("job start not saved", "job", uuid, "err", err)
	}
	result, err := func() (result string, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = errs.New(errs.Internal, "job panicked: %v", p)
			}
		}()
		return fn(jctx, progress{r, uuid})
	}()
	if r.dead.Load() {
		return // a simulated crash (tests): nothing more is written
	}
	if jctx.Err() != nil && r.ctx.Err() == nil || isLeaseLost(err) {
		r.o.Log.Warn("job lease lost: another node took the job over", "job", uuid)
		return
	}
	if resumable && r.ctx.Err() != nil && err != nil {
		r.handOver(uuid) // a shutdown: another node resumes it
		return
	}
	if err != nil && r.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = errs.Fail(errs.Internal, ReasonInterrupted, "", "The job was interrupted by a shutdown of the server.")
	}
	r.finish(bg, uuid, result, err)
}

func (r *Runner) finish(ctx context.Context, uuid, result string, err error) {
	saveErr := r.save(ctx, uuid, func(j *Job) {
		j.End, j.Result, j.Percent = r.o.Now().UTC(), result, 100
		if j.Start.IsZero() {
			j.Start = j.End
		}
		if err == nil {
			j.State, j.Message, j.Error = Success, "success", nil
			return
		}
		je := &ErrorInfo{Kind: errs.KindOf(err), Reason: errs.ReasonOf(err), Message: errs.Message(err)}
		var e *errs.Error
		if errors.As(err, &e) {
			je.Field = e.Field
		}
		if je.Kind == errs.Internal && je.Reason == "" {
			r.o.Log.Error("job failed", "job", uuid, "err", err)
			je.Message = "internal error"
		}
		if je.Message == "" {
			je.Message = je.Kind.String()
		}
		j.State, j.Message, j.Error = Failure, je.Message, je
	})
	if saveErr != nil {
		r.o.Log.Error("job end not saved", "job", uuid, "err", saveErr)
	}
	r.mu.Lock()
	for _, ch := range r.waiters[uuid] {
		close(ch)
	}
	delete(r.waiters, uuid)
	r.mu.Unlock()
}

func notFound() error {
	return errs.Fail(errs.NotFound, ReasonNotFound, "uuid", "entry doesn't exist")
}

// Get returns a job by uuid (ReasonNotFound once past retention).
func (r *Runner) Get(ctx context.Context, uuid string) (Job, error) {
	var j Job
	err := r.view(ctx, "get job", func(tx kv.Reader) error {
		ok, err := kv.GetJSON(tx, r.jobKey(uuid), &j)
		if err != nil {
			return err
		}
		if !ok || r.expired(&j, r.o.Now()) {
			return notFound()
		}
		return nil
	})
	return j, err
}

// GetByID returns a job by its int id (Commvault jobId).
func (r *Runner) GetByID(ctx context.Context, id int64) (Job, error) {
	var uuid string
	err := r.view(ctx, "get job", func(tx kv.Reader) error {
		ok, err := kv.GetJSON(tx, r.idKey(id), &uuid)
		if err == nil && !ok {
			err = errs.Fail(errs.NotFound, ReasonNotFound, "jobId", "entry doesn't exist")
		}
		return err
	})
	if err != nil {
		return Job{}, err
	}
	return r.Get(ctx, uuid)
}

// List returns the retained jobs matching f, by int id.
func (r *Runner) List(ctx context.Context, f Filter) ([]Job, error) {
	var out []Job
	now := r.o.Now()
	err := r.view(ctx, "list jobs", func(tx kv.Reader) error {
		out = nil
		return r.scan(tx, func(raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			if r.expired(&j, now) || f.Tenant != "" && j.Tenant != f.Tenant || f.State != "" && j.State != f.State {
				return nil
			}
			out = append(out, j)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Wait waits up to timeout for a job to end (ONTAP return_timeout) and
// returns its latest state, terminal or not.
func (r *Runner) Wait(ctx context.Context, uuid string, timeout time.Duration) (Job, error) {
	ch := make(chan struct{})
	r.mu.Lock()
	r.waiters[uuid] = append(r.waiters[uuid], ch)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		list := r.waiters[uuid]
		for i, c := range list {
			if c == ch {
				r.waiters[uuid] = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(r.waiters[uuid]) == 0 {
			delete(r.waiters, uuid)
		}
		r.mu.Unlock()
	}()
	j, err := r.Get(ctx, uuid)
	if err != nil || j.Terminal() || timeout <= 0 {
		return j, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	poll := time.NewTicker(200 * time.Millisecond) // a job another node runs ends there
	defer poll.Stop()
	for {
		select {
		case <-ch:
		case <-t.C:
		case <-poll.C:
			if j, err := r.Get(ctx, uuid); err != nil || !j.Terminal() {
				continue
			}
		case <-ctx.Done():
			return Job{}, ctx.Err()
		}
		return r.Get(ctx, uuid)
	}
}

// Crashed reports whether Crash was called (tests): other work of the
// process (leases, collection) stops writing too.
func (r *Runner) Crashed() bool { return r.dead.Load() }

// Go runs fn in a goroutine that Stop waits for, with a context that Stop
// cancels: background work that lives as long as the runner (the
// lifecycle loop). It reports false, and fn does not run, once Stop was
// called.
func (r *Runner) Go(fn func(ctx context.Context)) bool {
	r.addMu.Lock()
	if r.stopped {
		r.addMu.Unlock()
		return false
	}
	r.wg.Add(1)
	r.addMu.Unlock()
	go func() {
		defer r.wg.Done()
		fn(r.ctx)
	}()
	return true
}
