package core

import (
	"context"

	"coffer/internal/vaults"
)

// Jobs of the vault plane (endpoint configuration, vault deletion, data
// aging, lifecycle passes) carry a record of the clients they concern and
// a kill request beside them (internal/vaults: vaults.SubmitTracked). Such
// a job checks for the request between steps and then ends in failure
// with ReasonJobKilled, which Commvault shows as "Killed".

// Job-control reasons (internal/vaults).
const (
	ReasonJobKilled      = vaults.ReasonJobKilled      // Internal (the job's failure)
	ReasonJobNotKillable = vaults.ReasonJobNotKillable // InvalidArgument
	ReasonJobFinished    = vaults.ReasonJobFinished    // InvalidArgument (already ended)
)

// JobInfo is what the vault plane knows about one of its jobs.
type JobInfo = vaults.JobInfo

// submitTracked submits a job with its record of clients and kill request.
func (s *Service) submitTracked(ctx context.Context, spec JobSpec, info JobInfo, fn vaults.TrackedFunc) (Job, error) {
	return s.vaults.SubmitTracked(ctx, spec, info, fn)
}

// submitTrackedResumable submits a resumable job (SubmitResumable) with its
// record of clients and kill request.
func (s *Service) submitTrackedResumable(ctx context.Context, spec JobSpec, info JobInfo, kind string, params any) (Job, error) {
	return s.vaults.SubmitTrackedResumable(ctx, spec, info, kind, params)
}

func (s *Service) checkKill(ctx context.Context, id int64) error { return s.vaults.CheckKill(ctx, id) }

// JobInfo returns the vault-plane facts of a job; ok is false for jobs the
// vault plane did not start (ONTAP's, for example).
func (s *Service) JobInfo(ctx context.Context, id int64) (JobInfo, bool, error) {
	return s.vaults.JobInfo(ctx, id)
}

// KillJob asks a running or queued vault-plane job to stop. Errors:
// ReasonJobNotFound, ReasonJobFinished, ReasonJobNotKillable (a job of
// another plane).
func (s *Service) KillJob(ctx context.Context, id int64) error { return s.vaults.KillJob(ctx, id) }

// pruneJobMeta deletes the metadata of jobs the core no longer keeps.
func (s *Service) pruneJobMeta(ctx context.Context) error { return s.vaults.PruneJobMeta(ctx) }
