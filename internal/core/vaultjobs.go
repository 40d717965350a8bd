package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/objects"
)

// The vault plane's jobs on vaults: configuring endpoints (Commvault's
// "Install Software" job that installs the S3 endpoint package) and
// deleting a vault.

// endpointPair is one node to configure as an endpoint of one vault.
type endpointPair struct {
	tenant, bucket, uuid string
	node                 int32
}

// jobKindEndpoints is the resumable endpoint job (mgmtjobs.go).
const jobKindEndpoints = "vault.endpoints"

// endpointParams are an endpoint job's parameters.
type endpointParams struct {
	Pairs []endpointParam `json:"pairs"`
}

type endpointParam struct {
	Tenant string `json:"tenant"`
	Bucket string `json:"bucket"`
	UUID   string `json:"uuid"`
	Node   int32  `json:"node"`
}

// submitEndpointJob records the pairs as pending (keeping endpoints that
// are already active) and submits the resumable job that activates them.
// Each step sets one endpoint's state, which a resumed run (another node,
// after this one died) sets again: the job runs its whole list each time.
func (s *Service) submitEndpointJob(ctx context.Context, desc, tenant string, info JobInfo, pairs []endpointPair) (Job, error) {
	for _, p := range pairs {
		if err := s.setEndpoint(ctx, p, VaultEndpoint{NodeID: p.node, State: EndpointPending}, true); err != nil {
			return Job{}, err
		}
	}
	s.bucketChanged()
	var par endpointParams
	for _, p := range pairs {
		par.Pairs = append(par.Pairs, endpointParam{Tenant: p.tenant, Bucket: p.bucket, UUID: p.uuid, Node: p.node})
	}
	spec := JobSpec{Tenant: tenant, Description: desc, Operation: "Install Software"}
	return s.submitTrackedResumable(ctx, spec, info, jobKindEndpoints, par)
}

func (s *Service) runEndpointJob(ctx context.Context, run *JobRun) (string, error) {
	par, err := params[endpointParams](run)
	if err != nil {
		return "", err
	}
	pairs := make([]endpointPair, 0, len(par.Pairs))
	for _, p := range par.Pairs {
		pairs = append(pairs, endpointPair{tenant: p.Tenant, bucket: p.Bucket, uuid: p.UUID, node: p.Node})
	}
	check := func() error {
		if err := s.jobStep(ctx); err != nil {
			return err
		}
		return s.checkKill(ctx, run.ID)
	}
	return s.configureEndpoints(ctx, run, pairs, check)
}

// configureEndpoints is the endpoint job's work.
func (s *Service) configureEndpoints(ctx context.Context, p JobProgress, pairs []endpointPair, check func() error) (string, error) {
	var failures, parts []string
	active := 0
	defer s.bucketChanged()
	for i, pair := range pairs {
		if err := check(); err != nil {
			if ReasonOf(err) == ReasonJobKilled {
				for _, rest := range pairs[i:] {
					_ = s.setEndpoint(ctx, rest, VaultEndpoint{NodeID: rest.node, State: EndpointFailed,
						Reason: "the job was killed"}, false)
				}
			}
			return "", err
		}
		st := VaultEndpoint{NodeID: pair.node, State: EndpointActive}
		n, err := s.GetNode(ctx, pair.node)
		now := s.now()
		switch {
		case errs.KindOf(err) == errs.NotFound:
			st.State, st.Reason = EndpointFailed, fmt.Sprintf("client %d no longer exists", pair.node)
		case err != nil:
			return "", err
		case !n.Alive(now):
			last := "never"
			if !n.Heartbeat.IsZero() {
				last = n.Heartbeat.UTC().Format(time.RFC3339)
			}
			st.State, st.Reason = EndpointFailed, fmt.Sprintf("client %q (%d) is not running (last heartbeat: %s)", n.Name, n.ID, last)
		}
		if err := s.setEndpoint(ctx, pair, st, false); err != nil {
			return "", err
		}
		name := fmt.Sprintf("client %d", pair.node)
		if err == nil {
			name = n.Name
		}
		if st.State == EndpointActive {
			active++
			parts = append(parts, fmt.Sprintf("%s (vault %s): active", name, pair.bucket))
		} else {
			failures = append(failures, fmt.Sprintf("vault %s: %s", pair.bucket, st.Reason))
			parts = append(parts, fmt.Sprintf("%s (vault %s): failed, %s", name, pair.bucket, st.Reason))
		}
		// Per-node progress: every node's part so far, in the job's message.
		p.Update((i+1)*100/len(pairs), fmt.Sprintf("%d of %d endpoints configured: %s", i+1, len(pairs), strings.Join(parts, "; ")))
	}
	if len(failures) > 0 {
		return "", fail(errs.Internal, ReasonNodeDown, "cvs3Endpoints",
			"The S3 endpoint could not be configured: %s.", strings.Join(failures, "; "))
	}
	return fmt.Sprintf("%d S3 endpoints configured", active), nil
}

// setEndpoint writes a node's endpoint state in a vault's record. With
// create (submitting a job), a bucket without a record gets one, and an
// active endpoint stays active; without (a job reporting), a record that
// is gone or belongs to another bucket of the same name (the vault was
// deleted, maybe re-created) is left alone.
func (s *Service) setEndpoint(ctx context.Context, p endpointPair, ep VaultEndpoint, create bool) error {
	var b objects.BucketInfo
	if create {
		var err error
		if b, err = s.obj.GetBucket(ctx, p.tenant, p.bucket); err != nil {
			return err
		}
		if p.uuid != "" && b.UUID != p.uuid {
			return errs.Field(errs.NoSuchBucket, "bucket", "The vault %q was deleted.", p.bucket)
		}
		p.uuid = b.UUID
	}
	return s.update(ctx, "set endpoint", func(tx kv.Txn) error {
		var rec vaultRecord
		ok, err := kv.GetJSON(tx, vaultKey(p.tenant, p.bucket), &rec)
		if err != nil {
			return err
		}
		if !ok || rec.BucketUUID != p.uuid {
			if !create {
				return nil
			}
			rec = vaultRecord{Schema: vaultSchema, Tenant: p.tenant, Bucket: p.bucket, BucketUUID: b.UUID,
				BucketID: int32(b.ID), Created: s.now().UTC()}
		}
		i := slices.IndexFunc(rec.Endpoints, func(e VaultEndpoint) bool { return e.NodeID == ep.NodeID })
		switch {
		case i < 0:
			rec.Endpoints = append(rec.Endpoints, ep)
		case create && rec.Endpoints[i].State == EndpointActive:
		default:
			rec.Endpoints[i] = ep
		}
		return kv.SetJSON(tx, vaultKey(p.tenant, p.bucket), &rec)
	})
}

// AddVaultEndpoint makes a node an S3 endpoint (Commvault POST
// /V4/Client/{clientId}/CVS3endpoint) of the given vaults of a tenant, or,
// with none given, of every vault of the tenant that has endpoints (the
// others are served by every node already). It returns the endpoint job.
func (s *Service) AddVaultEndpoint(ctx context.Context, tenant string, node EntityRef, vaults []int32) (Job, error) {
	n, err := s.resolveNode(ctx, node, "clientId")
	if err != nil {
		return Job{}, err
	}
	var pairs []endpointPair
	info := JobInfo{Clients: []int32{n.ID}, ClientName: n.Name}
	if len(vaults) == 0 {
		recs, err := s.vaultRecords(ctx, tenant)
		if err != nil {
			return Job{}, err
		}
		for _, r := range recs {
			if len(r.Endpoints) > 0 {
				if live, err := s.vaultLive(ctx, r); err != nil {
					return Job{}, err
				} else if live {
					pairs = append(pairs, endpointPair{tenant: tenant, bucket: r.Bucket, uuid: r.BucketUUID, node: n.ID})
					info.Clients = append(info.Clients, r.BucketID)
				}
			}
		}
	}
	for _, id := range vaults {
		b, err := s.vaultBucket(ctx, tenant, id)
		if err != nil {
			return Job{}, err
		}
		pairs = append(pairs, endpointPair{tenant: tenant, bucket: b.Name, uuid: b.UUID, node: n.ID})
		info.Clients = append(info.Clients, b.ID)
	}
	return s.submitEndpointJob(ctx, fmt.Sprintf("Configure client %s as an S3 endpoint", n.Name), tenant, info, pairs)
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
		empty, err := s.bucketEmpty(ctx, tenant, b.Name)
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
			n, err := s.purgeBucket(ctx, p.Tenant, p.Bucket, run, check)
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
	if err := s.update(ctx, "delete vault", func(tx kv.Txn) error {
		var rec vaultRecord
		if ok, err := kv.GetJSON(tx, vaultKey(p.Tenant, p.Bucket), &rec); err != nil || !ok || rec.BucketUUID != p.UUID {
			return err
		}
		return tx.Delete(vaultKey(p.Tenant, p.Bucket))
	}); err != nil {
		return "", err
	}
	s.bucketChanged()
	return fmt.Sprintf("vault %s deleted (%d versions removed)", p.Bucket, removed), nil
}

// bucketEmpty reports whether a bucket has no version, delete marker or
// pending upload.
func (s *Service) bucketEmpty(ctx context.Context, tenant, bucket string) (bool, error) {
	v, err := s.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1})
	if err != nil {
		return false, err
	}
	if len(v.Versions) > 0 {
		return false, nil
	}
	u, err := s.obj.ListMultipartUploads(ctx, objects.ListUploadsInput{Tenant: tenant, Bucket: bucket, MaxUploads: 1})
	if err != nil {
		return false, err
	}
	return len(u.Uploads) == 0, nil
}

// purgeBucket deletes every version, delete marker and pending upload of
// a bucket and returns how many versions it removed.
func (s *Service) purgeBucket(ctx context.Context, tenant, bucket string, p JobProgress, check func() error) (int, error) {
	removed := 0
	for {
		if err := check(); err != nil {
			return removed, err
		}
		page, err := s.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1000})
		if err != nil {
			return removed, err
		}
		for _, v := range page.Versions {
			_, err := s.obj.DeleteObject(ctx, objects.DeleteInput{Tenant: tenant, Bucket: bucket, Key: v.Key, VersionID: v.VersionID})
			if err != nil && errs.KindOf(err) != errs.NoSuchVersion && errs.KindOf(err) != errs.NoSuchKey {
				return removed, err
			}
			removed++
		}
		if len(page.Versions) > 0 {
			p.Update(50, fmt.Sprintf("%d versions removed", removed))
		}
		if !page.IsTruncated {
			break
		}
	}
	for {
		if err := check(); err != nil {
			return removed, err
		}
		page, err := s.obj.ListMultipartUploads(ctx, objects.ListUploadsInput{Tenant: tenant, Bucket: bucket, MaxUploads: 1000})
		if err != nil {
			return removed, err
		}
		for _, u := range page.Uploads {
			err := s.obj.AbortMultipartUpload(ctx, tenant, bucket, u.Key, u.UploadID)
			if err != nil && errs.KindOf(err) != errs.NoSuchUpload {
				return removed, err
			}
		}
		if !page.IsTruncated {
			return removed, nil
		}
	}
}
