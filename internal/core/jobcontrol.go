package core

import (
	"context"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Jobs of the vault plane (endpoint configuration, vault deletion, data
// aging: resumable jobs, submitTrackedResumable; lifecycle passes: a
// closure job, submitTracked) are core jobs with a jobMeta record beside
// them: the clients they concern (Commvault filters jobs by clientId) and
// a kill request. Such a job checks for the request between steps and then
// ends in failure with ReasonJobKilled, which Commvault shows as "Killed".

// Job-control reasons.
const (
	ReasonJobKilled      Reason = "job.killed"       // Internal (the job's failure)
	ReasonJobNotKillable Reason = "job.not_killable" // InvalidArgument
	ReasonJobFinished    Reason = "job.finished"     // InvalidArgument (already ended)
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

// trackedFunc is the work of a tracked job. check returns ReasonJobKilled
// once a kill was requested; call it between steps.
type trackedFunc func(ctx context.Context, p JobProgress, check func() error) (string, error)

// submitTracked submits a job with its jobMeta record.
func (s *Service) submitTracked(ctx context.Context, spec JobSpec, info JobInfo, fn trackedFunc) (Job, error) {
	idc := make(chan int64, 1)
	job, err := s.SubmitJob(ctx, spec, func(ctx context.Context, p JobProgress) (string, error) {
		var id int64
		select {
		case id = <-idc:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		check := func() error { return s.checkKill(ctx, id) }
		if err := check(); err != nil {
			return "", err
		}
		return fn(ctx, p, check)
	})
	if err != nil {
		return Job{}, err
	}
	meta := jobMeta{Schema: jobMetaSchema, JobID: job.ID, Clients: info.Clients, ClientName: info.ClientName,
		Created: s.now().UTC()}
	err = s.update(context.WithoutCancel(ctx), "record job", func(tx kv.Txn) error {
		return kv.SetJSON(tx, vkey64('j', job.ID), &meta)
	})
	idc <- job.ID // the job runs even if its meta could not be saved
	if err != nil {
		s.log.Warn("job metadata not saved", "job", job.ID, "err", err)
	}
	return job, nil
}

func (s *Service) checkKill(ctx context.Context, id int64) error {
	var m jobMeta
	var ok bool
	err := s.view(context.WithoutCancel(ctx), "read job", func(tx kv.Reader) error {
		var err error
		ok, err = kv.GetJSON(tx, vkey64('j', id), &m)
		return err
	})
	if err != nil {
		return err
	}
	if ok && m.Kill {
		return fail(errs.Internal, ReasonJobKilled, "", "The job was killed by a user.")
	}
	return ctx.Err()
}

// JobInfo returns the vault-plane facts of a job; ok is false for jobs the
// vault plane did not start (ONTAP's, for example).
func (s *Service) JobInfo(ctx context.Context, id int64) (JobInfo, bool, error) {
	var m jobMeta
	var ok bool
	err := s.view(ctx, "read job", func(tx kv.Reader) error {
		var err error
		ok, err = kv.GetJSON(tx, vkey64('j', id), &m)
		return err
	})
	return JobInfo{Clients: m.Clients, ClientName: m.ClientName, Kill: m.Kill}, ok, err
}

// KillJob asks a running or queued vault-plane job to stop. Errors:
// ReasonJobNotFound, ReasonJobFinished, ReasonJobNotKillable (a job of
// another plane).
func (s *Service) KillJob(ctx context.Context, id int64) error {
	j, err := s.GetJobByID(ctx, id)
	if err != nil {
		return err
	}
	if j.Terminal() {
		return fail(errs.InvalidArgument, ReasonJobFinished, "jobId", "Job %d has already finished.", id)
	}
	return s.update(ctx, "kill job", func(tx kv.Txn) error {
		var m jobMeta
		if ok, err := kv.GetJSON(tx, vkey64('j', id), &m); err != nil {
			return err
		} else if !ok {
			return fail(errs.InvalidArgument, ReasonJobNotKillable, "jobId", "Job %d cannot be killed.", id)
		}
		m.Kill = true
		return kv.SetJSON(tx, vkey64('j', id), &m)
	})
}

// pruneJobMeta deletes the metadata of jobs the core no longer keeps.
func (s *Service) pruneJobMeta(ctx context.Context) error {
	var ids []int64
	if err := s.view(ctx, "list job metadata", func(tx kv.Reader) error {
		ids = ids[:0]
		return scanJSON(tx, vkey('j'), func(m jobMeta) error { ids = append(ids, m.JobID); return nil })
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.GetJobByID(ctx, id); errs.KindOf(err) == errs.NotFound {
			if err := s.update(ctx, "prune job metadata", func(tx kv.Txn) error {
				return tx.Delete(vkey64('j', id))
			}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// submitTrackedResumable submits a resumable job (SubmitResumable) with its
// jobMeta record.
func (s *Service) submitTrackedResumable(ctx context.Context, spec JobSpec, info JobInfo, kind string, params any) (Job, error) {
	job, err := s.SubmitResumable(ctx, spec, kind, params)
	if err != nil {
		return Job{}, err
	}
	meta := jobMeta{Schema: jobMetaSchema, JobID: job.ID, Clients: info.Clients, ClientName: info.ClientName,
		Created: s.now().UTC()}
	if err := s.update(context.WithoutCancel(ctx), "record job", func(tx kv.Txn) error {
		return kv.SetJSON(tx, vkey64('j', job.ID), &meta)
	}); err != nil {
		s.log.Warn("job metadata not saved", "job", job.ID, "err", err)
	}
	return job, nil
}
