package core

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/vaults"
)

// The management plane's jobs on tenants and buckets (ONTAP's SVM and
// bucket jobs, and the buckets of an S3 service POST) as resumable jobs
// (internal/jobs): their input is the job's Params, so that when the node
// running one dies, the node that takes the lease over runs it again.
//
// A run may repeat work an earlier run committed just before its node
// died, so every step is written to be repeatable:
//   - updates (PATCH of a bucket or an SVM) are applied again; applying a
//     patch twice gives the state applying it once gives;
//   - deletions count a target already gone as deleted (the job was
//     submitted after the adapter saw it exist);
//   - creations save a checkpoint after each object they create, and a
//     resumed run adopts an object of the requested name that appeared
//     after the job was submitted (createdSlack absorbs the nodes' clock
//     difference) and that the checkpoint does not name yet: the earlier
//     run created it and died before saving. At submission the adapters
//     checked that no such object existed.
//
// Options.JobStepDelay (tests only) makes each step wait, so that a test
// can kill a node in the middle of one of these jobs.

// Resumable job kinds of the management plane.
const (
	jobKindCreateBuckets   = "buckets.create"
	jobKindUpdateBucket    = "bucket.update"
	jobKindDeleteBucket    = "bucket.delete"
	jobKindCreateTenant    = "tenant.create"
	jobKindUpdateTenant    = "tenant.update"
	jobKindDeleteTenant    = "tenant.delete"
	jobKindDeleteS3Service = "s3service.delete"
)

// createdSlack is how much earlier than its job an object may have been
// created and still be taken for the job's own (clock skew between nodes).
const createdSlack = 5 * time.Second

func (s *Service) registerManagementJobs() {
	s.RegisterJobKind(jobKindCreateBuckets, s.runCreateBuckets)
	s.RegisterJobKind(jobKindUpdateBucket, s.runUpdateBucket)
	s.RegisterJobKind(jobKindDeleteBucket, s.runDeleteBucket)
	s.RegisterJobKind(jobKindCreateTenant, s.runCreateTenant)
	s.RegisterJobKind(jobKindUpdateTenant, s.runUpdateTenant)
	s.RegisterJobKind(jobKindDeleteTenant, s.runDeleteTenant)
	s.RegisterJobKind(jobKindDeleteS3Service, s.runDeleteS3Service)
	s.RegisterJobKind(vaults.JobKindEndpoints, s.runEndpointJob)
	s.RegisterJobKind(jobKindDeleteVault, s.runDeleteVault)
}

// jobStep waits Options.JobStepDelay (tests only) before a step of a
// management job.
func (s *Service) jobStep(ctx context.Context) error {
	if s.opts.JobStepDelay <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(s.opts.JobStepDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func params[T any](run *JobRun) (T, error) {
	var p T
	if err := json.Unmarshal(run.Params, &p); err != nil {
		return p, errs.New(errs.Internal, "job %s: its parameters cannot be read: %v", run.UUID, err)
	}
	return p, nil
}

// createdByJob reports whether an object created at created can be the
// work of run's job.
func createdByJob(run *JobRun, created time.Time) bool {
	return !created.IsZero() && !created.Before(run.Created.Add(-createdSlack))
}

// --- buckets ---------------------------------------------------------------

type createBucketsParams struct {
	Buckets []CreateBucketInput `json:"buckets"`
}

// SubmitCreateBuckets creates buckets, in order, as one resumable job
// (ONTAP POST .../buckets: one; POST /protocols/s3/services with buckets:
// several). A failing bucket ends the job and keeps the ones already made
// (ONTAP). The job's Result is the new buckets' uuids, comma-separated.
func (s *Service) SubmitCreateBuckets(ctx context.Context, spec JobSpec, buckets []CreateBucketInput) (Job, error) {
	return s.SubmitResumable(ctx, spec, jobKindCreateBuckets, createBucketsParams{Buckets: buckets})
}

func (s *Service) runCreateBuckets(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[createBucketsParams](run)
	if err != nil {
		return "", err
	}
	var made []string
	if run.Checkpoint != "" {
		made = strings.Split(run.Checkpoint, ",")
	}
	for i := len(made); i < len(p.Buckets); i++ {
		in := p.Buckets[i]
		if err := s.jobStep(ctx); err != nil {
			return strings.Join(made, ","), err
		}
		run.Update(100*i/len(p.Buckets), "Creating bucket "+in.Name)
		var uuid string
		if run.Resumed {
			if b, err := s.GetBucket(ctx, in.Tenant, in.Name); err == nil && createdByJob(run, b.Created) {
				uuid = b.UUID // made by the run that died, before its checkpoint
			}
		}
		if uuid == "" {
			b, err := s.CreateBucket(ctx, in)
			if err != nil {
				return strings.Join(made, ","), err
			}
			uuid = b.UUID
		}
		made = append(made, uuid)
		if err := run.Save(ctx, strings.Join(made, ",")); err != nil {
			return strings.Join(made, ","), err
		}
	}
	return strings.Join(made, ","), nil
}

type updateBucketParams struct {
	Tenant string      `json:"tenant"`
	Name   string      `json:"name"`
	Patch  BucketPatch `json:"patch"`
}

// SubmitUpdateBucket applies p to a bucket as a resumable job (ONTAP PATCH
// of a bucket).
func (s *Service) SubmitUpdateBucket(ctx context.Context, spec JobSpec, tenant, name string, p BucketPatch) (Job, error) {
	return s.SubmitResumable(ctx, spec, jobKindUpdateBucket, updateBucketParams{Tenant: tenant, Name: name, Patch: p})
}

func (s *Service) runUpdateBucket(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[updateBucketParams](run)
	if err != nil {
		return "", err
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	_, err = s.UpdateBucket(ctx, p.Tenant, p.Name, p.Patch)
	return "", err
}

type deleteBucketParams struct {
	Tenant     string `json:"tenant"`
	TenantName string `json:"tenant_name"`
	Name       string `json:"name"`
	UUID       string `json:"uuid"`
}

// SubmitDeleteBucket deletes a bucket as a resumable job (ONTAP DELETE of
// a bucket). uuid is the bucket the caller saw: a resumed run that finds
// it gone counts it deleted. A non-empty bucket fails the job with
// BucketNotEmpty on field "uuid", naming the bucket and its tenant.
func (s *Service) SubmitDeleteBucket(ctx context.Context, spec JobSpec, b Bucket, tenantName string) (Job, error) {
	return s.SubmitResumable(ctx, spec, jobKindDeleteBucket,
		deleteBucketParams{Tenant: b.Tenant, TenantName: tenantName, Name: b.Name, UUID: b.UUID})
}

func (s *Service) runDeleteBucket(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[deleteBucketParams](run)
	if err != nil {
		return "", err
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	if run.Resumed {
		if b, err := s.GetBucket(ctx, p.Tenant, p.Name); errs.KindOf(err) == errs.NoSuchBucket || err == nil && b.UUID != p.UUID {
			return "", nil // deleted by the run that died
		}
	}
	err = s.DeleteBucket(ctx, p.Tenant, p.Name)
	if errs.KindOf(err) == errs.BucketNotEmpty {
		return "", errs.Field(errs.BucketNotEmpty, "uuid", "Failed to remove bucket %q for SVM %q. Reason: %s",
			p.Name, p.TenantName, errs.Message(err))
	}
	return "", err
}

// --- tenants and their S3 services -------------------------------------------

type createTenantParams struct {
	Tenant CreateTenantInput     `json:"tenant"`
	S3     *CreateS3ServiceInput `json:"s3,omitempty"`
}

// SubmitCreateTenant creates a tenant and, with s3 set, its S3 service
// (its Tenant is filled in) as one resumable job (ONTAP POST
// /api/svm/svms): both are created or neither. The job's Result is the
// tenant's uuid.
func (s *Service) SubmitCreateTenant(ctx context.Context, spec JobSpec, in CreateTenantInput, s3 *CreateS3ServiceInput) (Job, error) {
	if s3 != nil && len(s3.Users) > 0 {
		// Users may carry secret keys, which job parameters must not hold.
		return Job{}, errs.New(errs.Internal, "SubmitCreateTenant: an S3 service with users")
	}
	return s.SubmitResumable(ctx, spec, jobKindCreateTenant, createTenantParams{Tenant: in, S3: s3})
}

func (s *Service) runCreateTenant(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[createTenantParams](run)
	if err != nil {
		return "", err
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	uuid := run.Checkpoint
	if uuid == "" && run.Resumed {
		if t, err := s.GetTenantByName(ctx, p.Tenant.Name); err == nil && createdByJob(run, t.Created) {
			uuid = t.UUID // made by the run that died, before its checkpoint
		}
	}
	if uuid == "" {
		t, err := s.CreateTenant(ctx, p.Tenant)
		if err != nil {
			return "", err
		}
		uuid = t.UUID
		if err := run.Save(ctx, uuid); err != nil {
			return "", err
		}
	}
	if p.S3 == nil {
		return uuid, nil
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	if _, err := s.GetS3Service(ctx, uuid); err == nil {
		return uuid, nil // made by the run that died
	}
	in := *p.S3
	in.Tenant = uuid
	if _, err := s.CreateS3Service(ctx, in); err != nil {
		// The tenant and its server are created together or not at all.
		if derr := s.DeleteTenant(context.WithoutCancel(ctx), uuid); derr != nil {
			s.log.Error("rolling back a tenant's creation", "tenant", uuid, "err", derr)
		}
		return "", err
	}
	return uuid, nil
}

// UpdateTenantJob is what a tenant modification job changes (ONTAP PATCH
// /api/svm/svms/{uuid}): the tenant record (Patch, nil to leave it), then
// its S3 service: S3Patch applies to an existing service; without one,
// S3Create (when set) creates it.
type UpdateTenantJob struct {
	Patch    *TenantPatch          `json:"patch,omitempty"`
	S3Patch  *S3ServicePatch       `json:"s3_patch,omitempty"`
	S3Create *CreateS3ServiceInput `json:"s3_create,omitempty"`
}

type updateTenantParams struct {
	Tenant string `json:"tenant"`
	UpdateTenantJob
}

// SubmitUpdateTenant modifies a tenant as a resumable job.
func (s *Service) SubmitUpdateTenant(ctx context.Context, spec JobSpec, tenant string, u UpdateTenantJob) (Job, error) {
	if u.S3Create != nil && len(u.S3Create.Users) > 0 {
		return Job{}, errs.New(errs.Internal, "SubmitUpdateTenant: an S3 service with users")
	}
	return s.SubmitResumable(ctx, spec, jobKindUpdateTenant, updateTenantParams{Tenant: tenant, UpdateTenantJob: u})
}

func (s *Service) runUpdateTenant(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[updateTenantParams](run)
	if err != nil {
		return "", err
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	if p.Patch != nil {
		if _, err := s.UpdateTenant(ctx, p.Tenant, *p.Patch); err != nil {
			return "", err
		}
	}
	if p.S3Patch == nil && p.S3Create == nil {
		return "", nil
	}
	_, err = s.GetS3Service(ctx, p.Tenant)
	switch {
	case err == nil:
		if p.S3Patch != nil {
			_, err = s.UpdateS3Service(ctx, p.Tenant, *p.S3Patch)
		}
	case errs.KindOf(err) == errs.NotFound && ReasonOf(err) == ReasonNoS3Service:
		err = nil
		if p.S3Create != nil {
			in := *p.S3Create
			in.Tenant = p.Tenant
			_, err = s.CreateS3Service(ctx, in)
		}
	}
	return "", err
}

type tenantParams struct {
	Tenant string `json:"tenant"`
}

// SubmitDeleteTenant deletes a tenant as a resumable job (ONTAP DELETE
// /api/svm/svms/{uuid}).
func (s *Service) SubmitDeleteTenant(ctx context.Context, spec JobSpec, tenant string) (Job, error) {
	return s.SubmitResumable(ctx, spec, jobKindDeleteTenant, tenantParams{Tenant: tenant})
}

func (s *Service) runDeleteTenant(ctx context.Context, run *JobRun) (string, error) {
	p, err := params[tenantParams](run)
	if err != nil {
		return "", err
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	if run.Resumed {
		if _, err := s.GetTenant(ctx, p.Tenant); ReasonOf(err) == ReasonTenantNotFound {
			return "", nil // deleted by the run that died
		}
	}
	return "", s.DeleteTenant(ctx, p.Tenant)
}

// SubmitDeleteS3Service deletes a tenant's S3 service as a resumable job
// (ONTAP DELETE /protocols/s3/services/{svm.uuid}). The Result names the
// non-empty buckets DeleteAll kept, if any.
func (s *Service) SubmitDeleteS3Service(ctx context.Context, spec JobSpec, in DeleteS3ServiceInput) (Job, error) {
	return s.SubmitResumable(ctx, spec, jobKindDeleteS3Service, in)
}

func (s *Service) runDeleteS3Service(ctx context.Context, run *JobRun) (string, error) {
	in, err := params[DeleteS3ServiceInput](run)
	if err != nil {
		return "", err
	}
	if err := s.jobStep(ctx); err != nil {
		return "", err
	}
	if run.Resumed {
		if _, err := s.GetS3Service(ctx, in.Tenant); ReasonOf(err) == ReasonNoS3Service {
			return "", nil // deleted by the run that died
		}
	}
	out, err := s.DeleteS3Service(ctx, in)
	if err != nil {
		return "", err
	}
	if len(out.BucketsKept) > 0 {
		return "success; non-empty buckets were kept: " + strings.Join(out.BucketsKept, ", "), nil
	}
	return "", nil
}
