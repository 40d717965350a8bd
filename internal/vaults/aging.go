package vaults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
	"coffer/internal/objects"
)

// Data aging (Commvault's name for pruning what retention no longer
// protects): a vault created with a plan is versioned, so an overwritten
// or deleted object leaves a noncurrent version. Once a version has been
// noncurrent for the plan's RetentionDays, a data-aging job deletes it; a
// delete marker that is the only thing left of a key, and is itself older
// than the retention, goes too. Current versions are never removed.
//
// A version is noncurrent since the next newer version of its key was
// written (that version's LastModified). A "day" is DataAgingInput.Day
// long: 24 hours, or less in tests.

// AgingResult counts what one vault's aging did.
type AgingResult struct {
	Examined int // versions and delete markers looked at
	Removed  int // versions and delete markers deleted
}

// AgeVault deletes the versions of a bucket that have been noncurrent for
// keep or longer (and expired delete markers). check is called between
// pages; its error stops the work.
func (s *Service) AgeVault(ctx context.Context, tenant, bucket string, keep time.Duration, check func() error) (AgingResult, error) {
	var res AgingResult
	now := s.now()
	type keyState struct {
		key         string
		newer       time.Time           // LastModified of the previous (newer) version of key
		marker      *objects.ObjectInfo // the latest entry, when it is a delete marker
		olderRemain bool                // some older version is kept
	}
	var st keyState
	remove := func(v objects.ObjectInfo) error {
		_, err := s.obj.DeleteObject(ctx, objects.DeleteInput{Tenant: tenant, Bucket: bucket, Key: v.Key, VersionID: v.VersionID})
		switch errs.KindOf(err) {
		case errs.NoSuchVersion, errs.NoSuchKey: // gone meanwhile
			return nil
		}
		if errors.Is(err, objects.ErrObjectLocked) {
			return nil // Object Lock keeps it: aging never bypasses a lock
		}
		if err == nil {
			res.Removed++
		}
		return err
	}
	finishKey := func() error {
		if st.marker != nil && !st.olderRemain && now.Sub(st.marker.LastModified) >= keep {
			return remove(*st.marker)
		}
		return nil
	}
	in := objects.ListVersionsInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1000}
	first := true
	for {
		if check != nil {
			if err := check(); err != nil {
				return res, err
			}
		}
		page, err := s.obj.ListObjectVersions(ctx, in)
		if err != nil {
			return res, err
		}
		var doomed []objects.ObjectInfo
		for _, v := range page.Versions {
			res.Examined++
			if first || v.Key != st.key {
				if err := finishKey(); err != nil {
					return res, err
				}
				st, first = keyState{key: v.Key}, false
				if v.DeleteMarker {
					m := v
					st.marker = &m
				}
				st.newer = v.LastModified
				continue
			}
			if now.Sub(st.newer) >= keep {
				doomed = append(doomed, v)
			} else {
				st.olderRemain = true
			}
			st.newer = v.LastModified
		}
		for _, v := range doomed {
			if err := remove(v); err != nil {
				return res, err
			}
		}
		if !page.IsTruncated {
			if !first {
				if err := finishKey(); err != nil {
					return res, err
				}
			}
			return res, nil
		}
		in.KeyMarker, in.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
}

// DataAgingInput schedules data aging.
type DataAgingInput struct {
	// Node is the node asking (recorded with the run).
	Node string
	// Day is the length of one retention day. Default 24 h.
	Day time.Duration
	// Every is the least time between two runs, over every node sharing
	// the store. Default 1 h.
	Every time.Duration
}

type agingRecord struct {
	Schema int       `json:"_v"`
	Last   time.Time `json:"last"`
	Node   string    `json:"node,omitempty"`
	Job    int64     `json:"job,omitempty"`
}

// StartDataAging submits a data-aging job ("Data Aging") over every vault
// that has a plan, when the last run (by any node) is at least Every old
// and some vault has a plan; started is false otherwise. The run is
// claimed in one transaction, so nodes sharing the store do not run it
// twice.
func (s *Service) StartDataAging(ctx context.Context, in DataAgingInput) (job jobs.Job, started bool, err error) {
	if in.Day <= 0 {
		in.Day = 24 * time.Hour
	}
	if in.Every <= 0 {
		in.Every = time.Hour
	}
	recs, err := s.Records(ctx, "")
	if err != nil {
		return jobs.Job{}, false, err
	}
	var planned []Record
	var clients []int32
	for _, r := range recs {
		if r.PlanID != 0 {
			planned = append(planned, r)
			clients = append(clients, r.BucketID)
		}
	}
	if len(planned) == 0 {
		return jobs.Job{}, false, nil
	}
	now := s.now().UTC()
	claimed := false
	err = s.update(ctx, "claim data aging", func(tx kv.Txn) error {
		var a agingRecord
		if _, err := kv.GetJSON(tx, s.key('a', "aging"), &a); err != nil {
			return err
		}
		claimed = now.Sub(a.Last) >= in.Every || a.Last.After(now.Add(in.Every)) // a clock jump back
		if !claimed {
			return nil
		}
		a = agingRecord{Schema: 1, Last: now, Node: in.Node}
		return kv.SetJSON(tx, s.key('a', "aging"), &a)
	})
	if err != nil || !claimed {
		return jobs.Job{}, false, err
	}
	spec := jobs.Spec{Description: "Data aging of the vaults' noncurrent versions", Operation: "Data Aging"}
	job, err = s.SubmitTrackedResumable(ctx, spec, JobInfo{Clients: clients, ClientName: "data aging"},
		JobKindDataAging, agingParams{Day: in.Day, Vaults: planned})
	if err != nil {
		return jobs.Job{}, false, err
	}
	_ = s.update(ctx, "record data aging", func(tx kv.Txn) error {
		a := agingRecord{Schema: 1, Last: now, Node: in.Node, Job: job.ID}
		return kv.SetJSON(tx, s.key('a', "aging"), &a)
	})
	return job, true, nil
}

// JobKindDataAging is the resumable data-aging job (RunDataAging): its
// checkpoint is the number of vaults done, so a node resuming it skips
// them.
const JobKindDataAging = "data-aging"

type agingParams struct {
	Day    time.Duration `json:"day"`
	Vaults []Record      `json:"vaults"`
}

// RunDataAging is the work of a JobKindDataAging job.
func (s *Service) RunDataAging(ctx context.Context, run *jobs.Run) (string, error) {
	var in agingParams
	if err := json.Unmarshal(run.Params, &in); err != nil {
		return "", err
	}
	var total AgingResult
	var done int
	if run.Checkpoint != "" {
		if _, err := fmt.Sscanf(run.Checkpoint, "%d %d %d", &done, &total.Examined, &total.Removed); err != nil {
			return "", fmt.Errorf("data aging checkpoint %q: %w", run.Checkpoint, err)
		}
	}
	check := func() error { return s.CheckKill(ctx, run.ID) }
	for i := done; i < len(in.Vaults); i++ {
		r := in.Vaults[i]
		if err := check(); err != nil {
			return "", err
		}
		if live, err := s.Live(ctx, r); err != nil {
			return "", err
		} else if live {
			plan, err := s.GetPlan(ctx, r.PlanID)
			switch {
			case errs.KindOf(err) == errs.NotFound:
			case err != nil:
				return "", err
			default:
				res, err := s.AgeVault(ctx, r.Tenant, r.Bucket, time.Duration(plan.RetentionDays)*in.Day, check)
				total.Examined += res.Examined
				total.Removed += res.Removed
				if err != nil {
					return "", err
				}
			}
		}
		if err := run.Save(ctx, fmt.Sprintf("%d %d %d", i+1, total.Examined, total.Removed)); err != nil {
			return "", err
		}
		run.Update((i+1)*100/len(in.Vaults), fmt.Sprintf("%d of %d vaults aged, %d versions removed", i+1, len(in.Vaults), total.Removed))
	}
	return fmt.Sprintf("%d versions examined, %d removed", total.Examined, total.Removed), nil
}
