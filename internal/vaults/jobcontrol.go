package vaults

import (
	"context"
	"time"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
)

// Jobs of the vault plane (endpoint configuration, vault deletion, data
// aging: resumable jobs, SubmitTrackedResumable; the core's lifecycle
// passes: a closure job, SubmitTracked) are jobs of Options.Jobs with a
// jobMeta record beside them: the clients they concern (Commvault filters
// jobs by clientId) and a kill request. Such a job checks for the request
// between steps and then ends in failure with ReasonJobKilled, which
// Commvault shows as "Killed".

// Job-control reasons.
const (
	ReasonJobKilled      errs.Reason = "job.killed"       // Internal (the job's failure)
	ReasonJobNotKillable errs.Reason = "job.not_killable" // InvalidArgument
	ReasonJobFinished    errs.Reason = "job.finished"     // InvalidArgument (already ended)
)

// JobInfo is what the vault plane knows about one of its jobs.
type JobInfo struct {
	// Clients are the client ids (vaults and nodes) the job concerns.
	Clients []int32
	// ClientName names the main client (the vault), for display.
	ClientName string
	// Kill is set once a kill was requested.
	Kill bool
}

type jobMeta struct {
	Schema     int       `json:"_v"`
	JobID      int64     `json:"job"`
	Clients    []int32   `json:"clients,omitempty"`
	ClientName string    `json:"client_name,omitempty"`
	Kill       bool      `json:"kill,omitempty"`
	Created    time.Time `json:"created"`
}

const jobMetaSchema = 1

// TrackedFunc is the work of a tracked job. check returns ReasonJobKilled
// once a kill was requested; call it between steps.
type TrackedFunc func(ctx context.Context, p jobs.Progress, check func() error) (string, error)

// SubmitTracked submits a job with its jobMeta record.
func (s *Service) SubmitTracked(ctx context.Context, spec jobs.Spec, info JobInfo, fn TrackedFunc) (jobs.Job, error) {
	idc := make(chan int64, 1)
	job, err := s.o.Jobs.Submit(ctx, spec, func(ctx context.Context, p jobs.Progress) (string, error) {
		var id int64
		select {
		case id = <-idc:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		check := func() error { return s.CheckKill(ctx, id) }
		if err := check(); err != nil {
			return "", err
		}
		return fn(ctx, p, check)
	})
	if err != nil {
		return jobs.Job{}, err
	}
	err = s.saveMeta(ctx, job, info)
	idc <- job.ID // the job runs even if its meta could not be saved
	if err != nil {
		s.log.Warn("job metadata not saved", "job", job.ID, "err", err)
	}
	return job, nil
}

// SubmitTrackedResumable submits a resumable job (jobs.Runner's
// SubmitResumable) with its jobMeta record.
func (s *Service) SubmitTrackedResumable(ctx context.Context, spec jobs.Spec, info JobInfo, kind string, params any) (jobs.Job, error) {
	job, err := s.o.Jobs.SubmitResumable(ctx, spec, kind, params)
	if err != nil {
		return jobs.Job{}, err
	}
	if err := s.saveMeta(ctx, job, info); err != nil {
		s.log.Warn("job metadata not saved", "job", job.ID, "err", err)
	}
	return job, nil
}

func (s *Service) saveMeta(ctx context.Context, job jobs.Job, info JobInfo) error {
	meta := jobMeta{Schema: jobMetaSchema, JobID: job.ID, Clients: info.Clients, ClientName: info.ClientName,
		Created: s.now().UTC()}
	return s.update(context.WithoutCancel(ctx), "record job", func(tx kv.Txn) error {
		return kv.SetJSON(tx, s.key64('j', job.ID), &meta)
	})
}

func (s *Service) readMeta(ctx context.Context, id int64) (jobMeta, bool, error) {
	var m jobMeta
	var ok bool
	err := s.view(ctx, "read job", func(tx kv.Reader) error {
		var err error
		ok, err = kv.GetJSON(tx, s.key64('j', id), &m)
		return err
	})
	return m, ok, err
}

// CheckKill returns ReasonJobKilled once a kill of job id was requested,
// else ctx's error.
func (s *Service) CheckKill(ctx context.Context, id int64) error {
	m, ok, err := s.readMeta(context.WithoutCancel(ctx), id)
	if err != nil {
		return err
	}
	if ok && m.Kill {
		return errs.Fail(errs.Internal, ReasonJobKilled, "", "The job was killed by a user.")
	}
	return ctx.Err()
}

// JobInfo returns the vault-plane facts of a job; ok is false for jobs the
// vault plane did not start (ONTAP's, for example).
func (s *Service) JobInfo(ctx context.Context, id int64) (JobInfo, bool, error) {
	m, ok, err := s.readMeta(ctx, id)
	return JobInfo{Clients: m.Clients, ClientName: m.ClientName, Kill: m.Kill}, ok, err
}

// KillJob asks a running or queued vault-plane job to stop. Errors:
// jobs.ReasonNotFound, ReasonJobFinished, ReasonJobNotKillable (a job of
// another plane).
func (s *Service) KillJob(ctx context.Context, id int64) error {
	j, err := s.o.Jobs.GetByID(ctx, id)
	if err != nil {
		return err
	}
	if j.Terminal() {
		return errs.Fail(errs.InvalidArgument, ReasonJobFinished, "jobId", "Job %d has already finished.", id)
	}
	return s.update(ctx, "kill job", func(tx kv.Txn) error {
		var m jobMeta
		if ok, err := kv.GetJSON(tx, s.key64('j', id), &m); err != nil {
			return err
		} else if !ok {
			return errs.Fail(errs.InvalidArgument, ReasonJobNotKillable, "jobId", "Job %d cannot be killed.", id)
		}
		m.Kill = true
		return kv.SetJSON(tx, s.key64('j', id), &m)
	})
}

// PruneJobMeta deletes the metadata of jobs the runner no longer keeps.
func (s *Service) PruneJobMeta(ctx context.Context) error {
	var ids []int64
	if err := s.view(ctx, "list job metadata", func(tx kv.Reader) error {
		ids = ids[:0]
		return kv.ScanJSON(tx, s.key('j'), func(m jobMeta) error { ids = append(ids, m.JobID); return nil })
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.o.Jobs.GetByID(ctx, id); errs.KindOf(err) == errs.NotFound {
			if err := s.update(ctx, "prune job metadata", func(tx kv.Txn) error {
				return tx.Delete(s.key64('j', id))
			}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}
