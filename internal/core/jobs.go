package core

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/lease"
	"coffer/internal/uuid"
)

// JobState is a job's state (ONTAP's words; success and failure are
// terminal).
type JobState string

// Job states.
const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	JobSuccess JobState = "success"
	JobFailure JobState = "failure"
)

// Job is an asynchronous operation (ONTAP /api/cluster/jobs/{uuid};
// Commvault /Job/{jobId}). Finished jobs stay visible for
// Options.JobRetention (300 s by default) after they end, then GetJob
// answers ReasonJobNotFound.
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
	Operation string   `json:"op,omitempty"`
	State     JobState `json:"state"`
	// Message is "success" on success, the error's message on failure, and
	// the latest progress message while running.
	Message string `json:"message,omitempty"`
	// Percent is the progress, 0..100.
	Percent int `json:"percent,omitempty"`
	// Error describes a failure; Err() rebuilds it as an error value that
	// adapters map with their one table (ONTAP code, Commvault errorCode).
	Error *JobError `json:"error,omitempty"`
	// Result is an optional small value the job returned (e.g. a created
	// bucket's uuid), opaque to the core.
	Result  string    `json:"result,omitempty"`
	Created time.Time `json:"created"`
	// Start and End are zero until the job starts and ends.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`

	// The lease of an unfinished job (jobleases.go): the process running
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

// JobError is the persisted form of a job's failure.
type JobError struct {
	Kind    errs.Kind `json:"kind"`
	Reason  Reason    `json:"reason,omitempty"`
	Field   string    `json:"field,omitempty"`
	Message string    `json:"message"`
}

// Terminal reports whether the job has ended.
func (j Job) Terminal() bool { return j.State == JobSuccess || j.State == JobFailure }

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

const jobSchema = 1

// JobSpec describes a job to run.
type JobSpec struct {
	Tenant      string
	Description string
	Operation   string

	kind   string // SubmitResumable
	params json.RawMessage
}

// JobProgress lets a running job report progress.
type JobProgress interface {
	// Update records a percentage (0..100) and a message.
	Update(percent int, message string)
}

// JobFunc is a job's work. Its error becomes the job's failure; its result
// string is kept in Job.Result. ctx is cancelled when the server shuts
// down. It runs once: a job interrupted by a restart is not resumed but
// ends in failure (ReasonJobInterrupted).
type JobFunc func(ctx context.Context, p JobProgress) (result string, err error)

// JobFilter selects jobs for ListJobs.
type JobFilter struct {
	// Tenant, when set, keeps that tenant's jobs.
	Tenant string
	// State, when set, keeps jobs in that state.
	State JobState
}

// jobRunner runs jobs in goroutines, at most Options.JobWorkers at once,
// persists every state change, and deletes jobs past their retention.
type jobRunner struct {
	s      *Service
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
	kinds map[string]ResumableJob
	dead  atomic.Bool // tests: simulate a crash (no more writes, no renewals)
}

func newJobRunner(s *Service) *jobRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobRunner{s: s, sem: make(chan struct{}, s.opts.JobWorkers), ctx: ctx, cancel: cancel,
		waiters: map[string][]chan struct{}{}, held: map[string]context.CancelFunc{}, kinds: map[string]ResumableJob{}}
}

// recover ends in failure every job a previous process left queued or
// running.
func (r *jobRunner) recover(ctx context.Context) error {
	now := r.s.now().UTC()
	return r.s.update(ctx, "recover jobs", func(tx kv.Txn) error {
		var stale []Job
		if err := scan(tx, []byte{'j'}, func(_, raw []byte) error {
			var j Job
			if err := jsonUnmarshal(raw, &j); err != nil {
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
				if err := kv.SetJSON(tx, key('j', j.UUID), &j); err != nil {
					return err
				}
				continue
			}
			j.State, j.End, j.Message = JobFailure, now, "The job was interrupted by a restart of the server."
			if j.Start.IsZero() {
				j.Start = now
			}
			j.Error = &JobError{Kind: errs.Internal, Reason: ReasonJobInterrupted, Message: j.Message}
			if err := kv.SetJSON(tx, key('j', j.UUID), &j); err != nil {
				return err
			}
		}
		return nil
	})
}

func (r *jobRunner) start() {
	r.wg.Add(2)
	go r.sweeper()
	go r.leases()
}

func (r *jobRunner) stop() {
	r.addMu.Lock()
	r.stopped = true
	r.addMu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// sweeper deletes jobs past their retention.
func (r *jobRunner) sweeper() {
	defer r.wg.Done()
	every := min(max(r.s.opts.JobRetention/5, time.Second), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			if err := r.s.sweepJobs(r.ctx); err != nil && r.ctx.Err() == nil {
				r.s.log.Error("job sweep failed", "err", err)
			}
		}
	}
}

func (s *Service) expired(j *Job, now time.Time) bool {
	return j.Terminal() && !j.End.IsZero() && now.Sub(j.End) >= s.opts.JobRetention
}

// sweepJobs deletes the jobs past their retention.
func (s *Service) sweepJobs(ctx context.Context) error {
	now := s.now()
	return s.update(ctx, "sweep jobs", func(tx kv.Txn) error {
		var old []Job
		if err := scan(tx, []byte{'j'}, func(_, raw []byte) error {
			var j Job
			if err := jsonUnmarshal(raw, &j); err != nil {
				return err
			}
			if s.expired(&j, now) {
				old = append(old, j)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, j := range old {
			if err := tx.Delete(key('j', j.UUID)); err != nil {
				return err
			}
			if err := tx.Delete(key64('q', j.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

type progress struct {
	s    *Service
	uuid string
}

func (p progress) Update(percent int, message string) {
	percent = min(max(percent, 0), 100)
	err := p.s.saveJob(context.Background(), p.uuid, func(j *Job) {
		j.Percent, j.Message = percent, message
	})
	if err != nil {
		p.s.log.Warn("job progress not saved", "job", p.uuid, "err", err)
	}
}

func (s *Service) saveJob(ctx context.Context, uuid string, fn func(j *Job)) error {
	if s.jobs != nil && s.jobs.dead.Load() {
		return errs.New(errs.Internal, "the node crashed (test)")
	}
	return s.update(ctx, "save job", func(tx kv.Txn) error {
		var j Job
		if ok, err := kv.GetJSON(tx, key('j', uuid), &j); err != nil || !ok {
			return err
		}
		if j.Holder != "" && j.Holder != s.node.holder {
			return lease.Lost("job " + uuid) // another node took the job over
		}
		fn(&j)
		return kv.SetJSON(tx, key('j', uuid), &j)
	})
}

// SubmitJob records a queued job and runs fn in the background. It returns
// the queued job at once; poll with GetJob or WaitJob.
func (s *Service) SubmitJob(ctx context.Context, spec JobSpec, fn JobFunc) (Job, error) {
	r := s.jobs
	if r.ctx.Err() != nil {
		return Job{}, errs.New(errs.Internal, "the server is shutting down")
	}
	j := Job{Schema: jobSchema, UUID: uuid.New(), Tenant: spec.Tenant, Description: spec.Description,
		Operation: spec.Operation, State: JobQueued, Created: s.now().UTC(),
		Holder: s.node.holder, Node: s.node.name, Lease: s.now().UTC().Add(s.opts.JobLease),
		Kind: spec.kind, Params: spec.params}
	err := s.update(ctx, "submit job", func(tx kv.Txn) error {
		id, err := nextID(tx, "job")
		if err != nil {
			return err
		}
		j.ID = id
		if err := kv.SetJSON(tx, key('j', j.UUID), &j); err != nil {
			return err
		}
		return kv.SetJSON(tx, key64('q', j.ID), j.UUID)
	})
	if err != nil {
		return Job{}, err
	}
	r.addMu.Lock()
	if r.stopped {
		r.addMu.Unlock()
		r.finish(context.Background(), j.UUID, "", fail(errs.Internal, ReasonJobInterrupted, "", "The job was interrupted by a shutdown of the server."))
		return Job{}, errs.New(errs.Internal, "the server is shutting down")
	}
	r.wg.Add(1)
	r.addMu.Unlock()
	go r.run(j.UUID, fn, j.Kind != "")
	return j, nil
}

func (r *jobRunner) run(uuid string, fn JobFunc, resumable bool) {
	defer r.wg.Done()
	jctx := r.hold(uuid)
	defer r.drop(uuid)
	s := r.s
	bg := context.Background() // state changes are saved even during shutdown
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	case <-r.ctx.Done():
		if resumable {
			r.handOver(uuid)
			return
		}
		r.finish(bg, uuid, "", fail(errs.Internal, ReasonJobInterrupted, "", "The job was interrupted by a shutdown of the server."))
		return
	}
	if err := s.saveJob(bg, uuid, func(j *Job) { j.State, j.Start = JobRunning, s.now().UTC() }); err != nil {
		s.log.Error("job start not saved", "job", uuid, "err", err)
	}
	result, err := func() (result string, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = errs.New(errs.Internal, "job panicked: %v", p)
			}
		}()
		return fn(jctx, progress{s, uuid})
	}()
	if r.dead.Load() {
		return // a simulated crash (tests): nothing more is written
	}
	if jctx.Err() != nil && r.ctx.Err() == nil || isLeaseLost(err) {
		s.log.Warn("job lease lost: another node took the job over", "job", uuid)
		return
	}
	if resumable && r.ctx.Err() != nil && err != nil {
		r.handOver(uuid) // a shutdown: another node resumes it
		return
	}
	if err != nil && r.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = fail(errs.Internal, ReasonJobInterrupted, "", "The job was interrupted by a shutdown of the server.")
	}
	r.finish(bg, uuid, result, err)
}

func (r *jobRunner) finish(ctx context.Context, uuid, result string, err error) {
	s := r.s
	saveErr := s.saveJob(ctx, uuid, func(j *Job) {
		j.End, j.Result, j.Percent = s.now().UTC(), result, 100
		if j.Start.IsZero() {
			j.Start = j.End
		}
		if err == nil {
			j.State, j.Message, j.Error = JobSuccess, "success", nil
			return
		}
		je := &JobError{Kind: errs.KindOf(err), Reason: ReasonOf(err), Message: errs.Message(err)}
		var e *errs.Error
		if errors.As(err, &e) {
			je.Field = e.Field
		}
		if je.Kind == errs.Internal && je.Reason == "" {
			s.log.Error("job failed", "job", uuid, "err", err)
			je.Message = "internal error"
		}
		if je.Message == "" {
			je.Message = je.Kind.String()
		}
		j.State, j.Message, j.Error = JobFailure, je.Message, je
	})
	if saveErr != nil {
		s.log.Error("job end not saved", "job", uuid, "err", saveErr)
	}
	r.mu.Lock()
	for _, ch := range r.waiters[uuid] {
		close(ch)
	}
	delete(r.waiters, uuid)
	r.mu.Unlock()
}

func jobNotFound() error {
	return fail(errs.NotFound, ReasonJobNotFound, "uuid", "entry doesn't exist")
}

// GetJob returns a job by uuid (ReasonJobNotFound once past retention).
func (s *Service) GetJob(ctx context.Context, uuid string) (Job, error) {
	var j Job
	err := s.view(ctx, "get job", func(tx kv.Reader) error {
		ok, err := kv.GetJSON(tx, key('j', uuid), &j)
		if err != nil {
			return err
		}
		if !ok || s.expired(&j, s.now()) {
			return jobNotFound()
		}
		return nil
	})
	return j, err
}

// GetJobByID returns a job by its int id (Commvault jobId).
func (s *Service) GetJobByID(ctx context.Context, id int64) (Job, error) {
	var uuid string
	err := s.view(ctx, "get job", func(tx kv.Reader) error {
		ok, err := kv.GetJSON(tx, key64('q', id), &uuid)
		if err == nil && !ok {
			err = fail(errs.NotFound, ReasonJobNotFound, "jobId", "entry doesn't exist")
		}
		return err
	})
	if err != nil {
		return Job{}, err
	}
	return s.GetJob(ctx, uuid)
}

// ListJobs returns the retained jobs matching f, by int id.
func (s *Service) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	var out []Job
	now := s.now()
	err := s.view(ctx, "list jobs", func(tx kv.Reader) error {
		out = nil
		return scan(tx, []byte{'j'}, func(_, raw []byte) error {
			var j Job
			if err := jsonUnmarshal(raw, &j); err != nil {
				return err
			}
			if s.expired(&j, now) || f.Tenant != "" && j.Tenant != f.Tenant || f.State != "" && j.State != f.State {
				return nil
			}
			out = append(out, j)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// WaitJob waits up to timeout for a job to end (ONTAP return_timeout) and
// returns its latest state, terminal or not.
func (s *Service) WaitJob(ctx context.Context, uuid string, timeout time.Duration) (Job, error) {
	ch := make(chan struct{})
	r := s.jobs
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
	j, err := s.GetJob(ctx, uuid)
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
			if j, err := s.GetJob(ctx, uuid); err != nil || !j.Terminal() {
				continue
			}
		case <-ctx.Done():
			return Job{}, ctx.Err()
		}
		return s.GetJob(ctx, uuid)
	}
}
