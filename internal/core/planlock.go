package core

import (
	"context"

	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/vaults"
)

// Commvault's WORM storage lock on a plan (Plan.WORM): "retention locked
// for the plan's retention period". Its rules, written once (the plan's in
// vaults.ApplyPatch, its buckets' here):
//
//   - a vault created with a WORM plan is a bucket with Object Lock in
//     Compliance mode whose default retention is the plan's RetentionDays
//     (CreateVault);
//   - turning the lock on for a plan that has vaults locks those vaults the
//     same way (they are versioned, as every vault is), as Commvault
//     enables Object Lock on the buckets of a pool it makes WORM;
//   - the lock is irreversible (ReasonPlanWORMPermanent);
//   - while it is on, RetentionDays can be raised, never lowered
//     (ReasonPlanRetentionLocked); raising it raises the default retention
//     of the plan's vaults (versions written before keep theirs);
//   - the data-aging job and lifecycle act through the object layer, which
//     refuses to remove a locked version: they skip it.

// Plan lock reasons (internal/vaults; Kind InvalidArgument).
const (
	ReasonPlanWORMPermanent   = vaults.ReasonPlanWORMPermanent   // the WORM storage lock cannot be turned off
	ReasonPlanRetentionLocked = vaults.ReasonPlanRetentionLocked // retention lowered under the WORM storage lock
)

// planRetention is the vault retention of a WORM plan.
func planRetention(p Plan) BucketRetention {
	return BucketRetention{Mode: RetentionCompliance, Period: RetentionPeriod{Days: p.RetentionDays}}
}

// UpdatePlan changes a plan's retention or turns its WORM storage lock on,
// then brings the Object Lock default retention of its vaults to the
// plan's. Errors: ReasonPlanNotFound, ReasonPlanRetention,
// ReasonPlanWORMPermanent, ReasonPlanRetentionLocked, and the object
// layer's refusal to lock a vault whose versioning is not Enabled
// (InvalidBucketState; the plan is then unchanged).
func (s *Service) UpdatePlan(ctx context.Context, id int32, in PlanPatch) (Plan, error) {
	if err := vaults.ValidatePatch(in); err != nil {
		return Plan{}, err
	}
	old, err := s.GetPlan(ctx, id)
	if err != nil {
		return Plan{}, err
	}
	next, err := vaults.ApplyPatch(old, in)
	if err != nil {
		return Plan{}, err
	}
	buckets, err := s.planVaults(ctx, id)
	if err != nil {
		return Plan{}, err
	}
	if next.WORM && !old.WORM {
		for _, b := range buckets { // lock needs versioning Enabled: check before changing anything
			if b.Versioning != VersioningEnabled && !b.Retention.Mode.Locked() {
				return Plan{}, errs.Field(errs.InvalidBucketState, "isWormStorage",
					"Vault %q does not have versioning enabled; the WORM storage lock cannot be applied to it.", b.Name)
			}
		}
	}
	p, err := s.vaults.PatchPlan(ctx, id, in)
	if err != nil {
		return Plan{}, err
	}
	if p.WORM && (!old.WORM || p.RetentionDays != old.RetentionDays) {
		for _, b := range buckets {
			if err := s.lockVault(ctx, b, p); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

// planVaults returns the live buckets of the vaults created with a plan.
func (s *Service) planVaults(ctx context.Context, planID int32) ([]Bucket, error) {
	recs, err := s.vaultRecords(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Bucket
	for _, r := range recs {
		if r.PlanID != planID {
			continue
		}
		info, err := s.obj.GetBucket(ctx, r.Tenant, r.Bucket)
		if errs.KindOf(err) == errs.NoSuchBucket {
			continue
		} else if err != nil {
			return nil, err
		}
		if info.UUID != r.BucketUUID {
			continue
		}
		b, err := bucketFromInfo(info)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// lockVault sets a vault's Object Lock to its WORM plan's: Compliance,
// the plan's retention as default.
func (s *Service) lockVault(ctx context.Context, b Bucket, p Plan) error {
	r := planRetention(p)
	cfg := lockConfig(r.Mode, r.Period)
	if err := s.obj.PutBucketConfig(ctx, b.Tenant, b.Name, lockModeConfig, []byte(r.Mode)); err != nil {
		return err
	}
	if _, err := s.obj.UpdateBucket(ctx, b.Tenant, b.Name, objects.BucketUpdate{ObjectLock: &cfg}); err != nil {
		return err
	}
	s.bucketChanged()
	return nil
}
