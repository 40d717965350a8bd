package core

import (
	"context"
	"time"

	"coffer/internal/jobs"
	"coffer/internal/kv"
)

// Jobs (internal/jobs) are the asynchronous operations of both dialects
// (ONTAP /api/cluster/jobs/{uuid}, Commvault /Job/{jobId}): kv records
// under 'j' uuid and 'q' id, run by this node's runner, resumed by another
// node when theirs dies (resumable kinds: mgmtjobs.go, vaultjobs.go, and
// internal/vaults' data aging and endpoint jobs). The names below are the
// adapters' view of them.

type (
	// Job is an asynchronous operation; finished jobs stay visible for
	// Options.JobRetention.
	Job = jobs.Job
	// JobState is a job's state (ONTAP's words).
	JobState = jobs.State
	// JobError is the persisted form of a job's failure.
	JobError = jobs.ErrorInfo
	// JobSpec describes a job to run.
	JobSpec = jobs.Spec
	// JobProgress lets a running job report progress.
	JobProgress = jobs.Progress
	// JobFunc is a job's work (run once; not resumed after a restart).
	JobFunc = jobs.Func
	// JobFilter selects jobs for ListJobs.
	JobFilter = jobs.Filter
	// ResumableJob is the work of a resumable job kind.
	ResumableJob = jobs.Resumable
	// JobRun is one run of a resumable job.
	JobRun = jobs.Run
)

// Job states.
const (
	JobQueued  = jobs.Queued
	JobRunning = jobs.Running
	JobSuccess = jobs.Success
	JobFailure = jobs.Failure
)

// Job reasons (internal/jobs).
const (
	ReasonJobNotFound    = jobs.ReasonNotFound    // NotFound          4
	ReasonJobInterrupted = jobs.ReasonInterrupted // Internal          - (a restart or shutdown ended the job)
)

func (s *Service) newJobs() (*jobs.Runner, error) {
	return jobs.New(jobs.Options{Store: s.kv, JobPrefix: 'j', IDPrefix: 'q',
		NextID: func(tx kv.Txn) (int64, error) { return nextID(tx, "job") },
		Node:   s.node.name, Holder: s.node.holder,
		Workers: s.opts.JobWorkers, Retention: s.opts.JobRetention, Lease: s.opts.JobLease,
		Now: s.now, Log: s.log})
}

// SubmitJob records a queued job and runs fn in the background. It returns
// the queued job at once; poll with GetJob or WaitJob.
func (s *Service) SubmitJob(ctx context.Context, spec JobSpec, fn JobFunc) (Job, error) {
	return s.jobs.Submit(ctx, spec, fn)
}

// RegisterJobKind registers the work of a resumable job kind, on every
// node, before submitting.
func (s *Service) RegisterJobKind(kind string, fn ResumableJob) { s.jobs.RegisterKind(kind, fn) }

// SubmitResumable submits a job of a registered kind with params (any
// JSON-encodable value); another node resumes it if this one dies.
func (s *Service) SubmitResumable(ctx context.Context, spec JobSpec, kind string, params any) (Job, error) {
	return s.jobs.SubmitResumable(ctx, spec, kind, params)
}

// GetJob returns a job by uuid (ReasonJobNotFound once past retention).
func (s *Service) GetJob(ctx context.Context, uuid string) (Job, error) { return s.jobs.Get(ctx, uuid) }

// GetJobByID returns a job by its int id (Commvault jobId).
func (s *Service) GetJobByID(ctx context.Context, id int64) (Job, error) {
	return s.jobs.GetByID(ctx, id)
}

// ListJobs returns the retained jobs matching f, by int id.
func (s *Service) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	return s.jobs.List(ctx, f)
}

// WaitJob waits up to timeout for a job to end (ONTAP return_timeout) and
// returns its latest state, terminal or not.
func (s *Service) WaitJob(ctx context.Context, uuid string, timeout time.Duration) (Job, error) {
	return s.jobs.Wait(ctx, uuid, timeout)
}
