package adminclient

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Job is a job of either dialect, as `coffer job` shows it: an ONTAP job
// is named by its uuid, a Commvault job by its number (the same core job
// has both).
type Job struct {
	ID          string `json:"id"`
	Dialect     string `json:"dialect"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
	// State is the dialect's state (queued, running, success, failure;
	// Pending, Running, Completed, Failed, Killed).
	State string `json:"state"`
	// Percent is the progress, 0..100 (ONTAP jobs: 0 until they end).
	Percent int `json:"percent"`
	// Message is the outcome or the reason of a failure.
	Message string `json:"message,omitempty"`
	// Code is a failed ONTAP job's error code.
	Code string `json:"code,omitempty"`
	Done bool   `json:"done"`
	// Failed is set when the job ended without success.
	Failed bool `json:"failed"`
}

// IsCommvaultJobID reports whether id names a Commvault job (a number).
func IsCommvaultJobID(id string) bool {
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

func fromOntap(j OntapJob) Job {
	out := Job{ID: j.UUID, Dialect: ONTAP, Description: j.Description, State: j.State, Message: j.Message}
	switch j.State {
	case "success":
		out.Done, out.Percent = true, 100
	case "failure":
		out.Done, out.Failed, out.Percent = true, true, 100
		if j.Error != nil {
			out.Code, out.Message = j.Error.Code, j.Error.Message
		}
	}
	return out
}

func fromCV(j CVJob) Job {
	out := Job{ID: strconv.FormatInt(j.JobID, 10), Dialect: Commvault, Type: j.JobType, Description: j.Description,
		State: j.Status, Percent: j.PercentComplete, Message: j.PendingReason}
	switch strings.ToLower(j.Status) {
	case "completed":
		out.Done, out.Percent = true, 100
	case "failed", "killed", "completed w/ one or more errors":
		out.Done, out.Failed = true, true
	}
	return out
}

// Job reads a job of either dialect.
func (c *Client) Job(ctx context.Context, id string) (Job, error) {
	if IsCommvaultJobID(id) {
		n, _ := strconv.ParseInt(id, 10, 64)
		j, err := c.CVJob(ctx, n)
		return fromCV(j), err
	}
	j, err := c.OntapJob(ctx, id)
	return fromOntap(j), err
}

// Jobs lists one dialect's view of the jobs: ONTAP's has every tenant's
// jobs (by uuid), Commvault's the default tenant's (by number, with
// progress).
func (c *Client) Jobs(ctx context.Context, dialect string) ([]Job, error) {
	var out []Job
	if dialect == ONTAP {
		js, err := c.OntapJobs(ctx)
		for _, j := range js {
			out = append(out, fromOntap(j))
		}
		return out, err
	}
	js, err := c.CVJobs(ctx)
	for _, j := range js {
		out = append(out, fromCV(j))
	}
	return out, err
}

// ErrJobFailed is returned by WaitJob for a job that ended without success.
var ErrJobFailed = errors.New("job failed")

// WaitJob polls a job every interval until it ends, calling progress with
// each state read. A failed job returns its last state and an error
// wrapping ErrJobFailed.
func (c *Client) WaitJob(ctx context.Context, id string, interval time.Duration, progress func(Job)) (Job, error) {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return j, err
		}
		if progress != nil {
			progress(j)
		}
		if j.Done {
			if j.Failed {
				msg := j.Message
				if j.Code != "" {
					msg = j.Dialect + " error " + j.Code + ": " + msg
				}
				return j, &JobError{Job: j, msg: msg}
			}
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// JobError is a failed job.
type JobError struct {
	Job Job
	msg string
}

func (e *JobError) Error() string {
	return "job " + e.Job.ID + " " + strings.ToLower(e.Job.State) + ": " + e.msg
}

func (e *JobError) Unwrap() error { return ErrJobFailed }
