package core

import (
	"context"
	"fmt"

	"coffer/internal/errs"
	"coffer/internal/vaults"
)

// The vault plane's jobs on vaults: configuring endpoints (Commvault's
// "Install Software" job that installs the S3 endpoint package;
// vaults.JobKindEndpoints) and deleting a vault. Their work is in
// internal/vaults; the core adds its job steps (Options.JobStepDelay) and
// its bucket rules.

func (s *Service) runEndpointJob(ctx context.Context, run *JobRun) (string, error) {
	par, err := params[vaults.EndpointParams](run)
	if err != nil {
		return "", err
	}
	check := func() error {
		if err := s.jobStep(ctx); err != nil {
			return err
		}
		return s.checkKill(ctx, run.ID)
	}
	return s.vaults.ConfigureEndpoints(ctx, run, par.Pairs, check)
}

// AddVaultEndpoint makes a node an S3 endpoint (Commvault POST
// /V4/Client/{clientId}/CVS3endpoint) of the given vaults of a tenant, or,
// with none given, of every vault of the tenant that has endpoints (the
// others are served by every node already). It returns the endpoint job.
func (s *Service) AddVaultEndpoint(ctx context.Context, tenant string, node EntityRef, ids []int32) (Job, error) {
	n, err := s.vaults.ResolveNode(ctx, node, "clientId")
	if err != nil {
		return Job{}, err
	}
	var pairs []vaults.EndpointPair
	info := JobInfo{Clients: []int32{n.ID}, ClientName: n.Name}
	if len(ids) == 0 {
		recs, err := s.vaultRecords(ctx, tenant)
		if err != nil {
			return Job{}, err
		}
		for _, r := range recs {
			if len(r.Endpoints) > 0 {
				if live, err := s.vaults.Live(ctx, r); err != nil {
					return Job{}, err
				} else if live {
					pairs = append(pairs, vaults.EndpointPair{Tenant: tenant, Bucket: r.Bucket, UUID: r.BucketUUID, Node: n.ID})
					info.Clients = append(info.Clients, r.BucketID)
				}
			}
		}
	}
	for _, id := range ids {
		b, err := s.vaultBucket(ctx, tenant, id)
		if err != nil {
			return Job{}, err
		}
		pairs = append(pairs, vaults.EndpointPair{Tenant: tenant, Bucket: b.Name, UUID: b.UUID, Node: n.ID})
		info.Clients = append(info.Clients, b.ID)
	}
	return s.vaults.SubmitEndpointJob(ctx, fmt.Sprintf("Configure client %s as an S3 endpoint", n.Name), tenant, info, pairs)
}

// DeleteVault deletes a vault as a job. A vault holding objects (any
// version or delete marker) or pending uploads is refused with
// BucketNotEmpty (ReasonVaultNotEmpty) unless force is set; forced, the
// job deletes every version and upload first. The vault's role (its bucket
// policy) goes with it; users keep their keys.
func (s *Service) DeleteVault(ctx context.Context, tenant string, id int32, force bool) (Job, error) {
	b, err := s.vaultBucket(ctx, tenant, id)
	if err != nil {
		return Job{}, err
	}
	// Object Lock: the object layer refuses every delete of a locked
	// version, so a forced purge could only fail half-way; refuse it up
	// front (the check is a courtesy, not the enforcement).
	if force {
		if locked, err := s.obj.HasLockedVersions(ctx, tenant, b.Name); err != nil {
			return Job{}, err
		} else if locked {
			return Job{}, fail(errs.BucketNotEmpty, ReasonVaultNotEmpty, "forceDelete",
				"Vault %q holds versions protected by Object Lock: it cannot be deleted, not even with forceDelete, until their retention ends.", b.Name)
		}
	}
	if !force {
		empty, err := s.vaults.Empty(ctx, tenant, b.Name)
		if err != nil {
			return Job{}, err
		}
		if !empty {
			return Job{}, fail(errs.BucketNotEmpty, ReasonVaultNotEmpty, "forceDelete",
				"Vault %q is not empty: delete its objects first, or delete it with forceDelete=true.", b.Name)
		}
	}
	spec := JobSpec{Tenant: tenant, Description: "Delete vault " + b.Name, Operation: "Delete S3 Vault"}
	return s.submitTrackedResumable(ctx, spec, JobInfo{Clients: []int32{b.ID}, ClientName: b.Name}, jobKindDeleteVault,
		deleteVaultParams{Tenant: tenant, Bucket: b.Name, UUID: b.UUID, Force: force})
}

// jobKindDeleteVault is the resumable vault deletion. Each step repeats
// safely: the purge deletes what is left, and a resumed run that finds
// the bucket gone (or another of its name) only removes the vault record.
const jobKindDeleteVault = "vault.delete"

type deleteVaultParams struct {
	Tenant string `json:"tenant"`
	Bucket string `json:"bucket"`
	UUID   string `json:"uuid"`
	Force  bool   `json:"force,omitempty"`
}

func (s *Service) runDeleteVault(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[deleteVaultParams](run)
	if err != nil {
		return "", err
	}
	check := func() error {
		if err := s.jobStep(ctx); err != nil {
			return err
		}
		return s.checkKill(ctx, run.ID)
	}
	if err := check(); err != nil {
		return "", err
	}
	gone := false
	if run.Resumed {
		b, err := s.obj.GetBucket(ctx, p.Tenant, p.Bucket)
		switch {
		case errs.KindOf(err) == errs.NoSuchBucket || err == nil && b.UUID != p.UUID:
			gone = true // deleted by the run that died
		case err != nil:
			return "", err
		}
	}
	removed := 0
	for attempt := 0; !gone; attempt++ {
		if p.Force {
			n, err := s.vaults.Purge(ctx, p.Tenant, p.Bucket, run, check)
			removed += n
			if err != nil {
				return "", err
			}
		}
		if err := check(); err != nil {
			return "", err
		}
		err := s.DeleteBucket(ctx, p.Tenant, p.Bucket)
		if errs.KindOf(err) == errs.BucketNotEmpty && p.Force && attempt < 3 {
			continue // written to while we purged
		}
		if err != nil {
			return "", err
		}
		break
	}
	if err := s.vaults.DeleteRecord(ctx, "delete vault", p.Tenant, p.Bucket, p.UUID); err != nil {
		return "", err
	}
	s.bucketChanged()
	return fmt.Sprintf("vault %s deleted (%d versions removed)", p.Bucket, removed), nil
}
