package core

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/lifecycle"
	"coffer/internal/objects"
	"coffer/internal/policy"
)

// Versioning is a bucket's versioning state in the management plane's words
// (ONTAP versioning_state). A bucket never returns to disabled once enabled
// or suspended.
type Versioning string

// Versioning states.
const (
	VersioningDisabled  Versioning = "disabled"
	VersioningEnabled   Versioning = "enabled"
	VersioningSuspended Versioning = "suspended"
)

func versioningFromObjects(v objects.VersioningState) Versioning {
	switch v {
	case objects.VersioningEnabled:
		return VersioningEnabled
	case objects.VersioningSuspended:
		return VersioningSuspended
	}
	return VersioningDisabled
}

func (v Versioning) objects() (objects.VersioningState, error) {
	switch v {
	case VersioningDisabled, "":
		return objects.VersioningUnset, nil
	case VersioningEnabled:
		return objects.VersioningEnabled, nil
	case VersioningSuspended:
		return objects.VersioningSuspended, nil
	}
	return "", fail(errs.InvalidArgument, ReasonVersioningInvalid, "versioning_state",
		"versioning_state must be disabled, enabled or suspended")
}

// Bucket is a bucket as the management plane sees it (ONTAP bucket;
// Commvault CVS3Store). Its records are the object layer's.
type Bucket struct {
	// Tenant is the tenant's uuid (ONTAP svm.uuid).
	Tenant string
	// Name is unique in its tenant.
	Name string
	// UUID identifies the bucket (ONTAP uuid).
	UUID string
	// ID is the int id (Commvault clientId), unique across tenants.
	ID      int32
	Comment string
	// Size is the bucket's hard quota in bytes (ONTAP size), checked in the
	// transaction of every write; 0 means no quota.
	Size       int64
	Versioning Versioning
	// Policy is the bucket policy, nil when none. The S3 API
	// (Get/Put/DeleteBucketPolicy) and the management plane read and write
	// this same document.
	Policy *policy.Document
	// UsedBytes (ONTAP logical_used_size) and Objects count every version.
	UsedBytes int64
	Objects   int64
	// Owner is the uuid of the user who created it ("" when created by an
	// administrator).
	Owner   string
	Region  string
	Created time.Time
	// Retention is the bucket's locking mode and default retention
	// (bucketlock.go).
	Retention BucketRetention
}

func bucketFromInfo(b objects.BucketInfo) (Bucket, error) {
	out := Bucket{Tenant: b.Tenant, Name: b.Name, UUID: b.UUID, ID: int32(b.ID), Comment: b.Comment,
		Size: b.QuotaBytes, Versioning: versioningFromObjects(b.Versioning), UsedBytes: b.UsedBytes,
		Objects: b.Objects, Owner: b.Owner, Region: b.Region, Created: b.Created, Retention: retentionFromInfo(b)}
	if len(b.Policy) > 0 {
		var d policy.Document
		if err := json.Unmarshal(b.Policy, &d); err != nil {
			return Bucket{}, errs.Wrap(errs.Internal, err, "bucket %q: stored policy", b.Name)
		}
		out.Policy = &d
	}
	return out, nil
}

// CreateBucketInput creates a bucket (ONTAP POST .../buckets; Commvault
// CVS3Store).
type CreateBucketInput struct {
	Tenant string
	// Name: 3..63 characters of [0-9a-z.-] without ".-", "-." or "..", and
	// S3's other rules (begins and ends with a letter or digit, not an IP
	// address, ...).
	Name    string
	Comment string
	// Size is the hard quota in bytes: 0 for none, else within
	// Options.MinBucketSize..MaxBucketSize. Adapters that need a default
	// pass DefaultBucketSize.
	Size int64
	// Versioning: "" or disabled, enabled, suspended.
	Versioning Versioning
	// Policy is an optional bucket policy (see SetBucketPolicy's rules).
	Policy *policy.Document
	// Owner is the creating user's uuid, "" for an administrator.
	Owner string
	// Retention enables Object Lock (a mode other than none) with an
	// optional default retention; versioning is then Enabled ("" or
	// disabled become enabled; suspended is ReasonRetentionVersioning).
	Retention BucketRetention
	// Lifecycle, when set, is the bucket's lifecycle configuration from
	// its creation on (ONTAP's lifecycle_management.rules), validated and
	// stored in the creating transaction.
	Lifecycle *lifecycle.Config
}

// BucketPatch changes a bucket; nil fields stay. Policy replaces the whole
// policy; a Document without statements deletes it.
type BucketPatch struct {
	Comment    *string
	Size       *int64
	Versioning *Versioning
	Policy     *policy.Document
	// Retention changes the default retention of a locked bucket (the mode
	// is fixed at creation).
	Retention *RetentionPatch
}

// ValidateBucketName applies ONTAP's bucket-name rules (length 3..63,
// ReasonBucketNameLength; characters [0-9a-z.-] without ".-", "-." or "..",
// ReasonBucketNameChars) and then S3's (ReasonBucketNameChars). The Kind is
// InvalidBucketName.
func ValidateBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fail(errs.InvalidBucketName, ReasonBucketNameLength, "name",
			"Bucket name %q is not valid: bucket names must have between 3 and 63 characters.", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fail(errs.InvalidBucketName, ReasonBucketNameChars, "name",
				"Bucket name %q contains invalid characters. Valid characters are 0-9, a-z, \".\" and \"-\".", name)
		}
	}
	for _, seq := range []string{".-", "-.", ".."} {
		if strings.Contains(name, seq) {
			return fail(errs.InvalidBucketName, ReasonBucketNameChars, "name",
				"Bucket name %q is not valid: it must not contain \".-\", \"-.\" or \"..\".", name)
		}
	}
	if err := objects.ValidateBucketName(name); err != nil {
		return fail(errs.InvalidBucketName, ReasonBucketNameChars, "name", "%s", errs.Message(err))
	}
	return nil
}

func (s *Service) checkSize(size int64) error {
	if size != 0 && (size < s.opts.MinBucketSize || size > s.opts.MaxBucketSize) {
		return fail(errs.InvalidArgument, ReasonBucketSize, "size",
			"The bucket size must be between %d and %d bytes.", s.opts.MinBucketSize, s.opts.MaxBucketSize)
	}
	return nil
}

// policyJSON validates a bucket policy and renders it for storage; nil for
// no policy.
func policyJSON(doc *policy.Document, bucket string) ([]byte, error) {
	if doc == nil || len(doc.Statements) == 0 {
		return nil, nil
	}
	d := *doc
	if err := validateDocument(&d, documentRules{bucket: bucket}); err != nil {
		return nil, err
	}
	b, err := d.MarshalAWS()
	if err != nil {
		return nil, fail(errs.MalformedPolicy, ReasonPolicyInvalid, "statements", "%s", errs.Message(err))
	}
	return b, nil
}

// dataTenantOf checks that the tenant exists and is a data tenant; with
// service, that it has an S3 service too.
func (s *Service) dataTenantOf(ctx context.Context, tenant string, service bool) error {
	return s.view(ctx, "check tenant", func(tx kv.Reader) error {
		if service {
			_, _, err := requireService(tx, tenant)
			return err
		}
		_, err := dataTenant(tx, tenant)
		return err
	})
}

// CreateBucket creates a bucket. Errors: ReasonTenantNotFound,
// ReasonNotDataTenant, ReasonNoS3Service, the name rules, comment,
// ReasonBucketSize, ReasonVersioningInvalid, the bucket-policy rules, the
// retention rules (bucketlock.go), and BucketAlreadyOwnedByYou when the
// tenant has a bucket of that name.
func (s *Service) CreateBucket(ctx context.Context, in CreateBucketInput) (Bucket, error) {
	if err := s.dataTenantOf(ctx, in.Tenant, true); err != nil {
		return Bucket{}, err
	}
	if err := ValidateBucketName(in.Name); err != nil {
		return Bucket{}, err
	}
	if err := checkComment(in.Comment, 256); err != nil {
		return Bucket{}, err
	}
	if err := s.checkSize(in.Size); err != nil {
		return Bucket{}, err
	}
	ver, err := in.Versioning.objects()
	if err != nil {
		return Bucket{}, err
	}
	pol, err := policyJSON(in.Policy, in.Name)
	if err != nil {
		return Bucket{}, err
	}
	if in.Retention.Mode == "" {
		in.Retention.Mode = RetentionNone
	}
	if err := s.checkRetention(ctx, in.Tenant, in.Retention); err != nil {
		return Bucket{}, err
	}
	oin := objects.CreateBucketInput{Tenant: in.Tenant, Name: in.Name,
		Owner: in.Owner, Versioning: ver, QuotaBytes: in.Size, Comment: in.Comment, Policy: pol}
	if in.Retention.Mode.Locked() {
		if ver == objects.VersioningSuspended {
			return Bucket{}, fail(errs.InvalidArgument, ReasonRetentionVersioning, "versioning_state",
				"A bucket with object locking has versioning enabled; it cannot be suspended.")
		}
		cfg := lockConfig(in.Retention.Mode, in.Retention.Period)
		oin.ObjectLock = &cfg
		oin.Versioning = objects.VersioningEnabled
		oin.Configs = map[string][]byte{lockModeConfig: []byte(in.Retention.Mode)}
	}
	if in.Lifecycle != nil {
		if err := in.Lifecycle.Validate(); err != nil {
			return Bucket{}, err
		}
		if oin.Configs == nil {
			oin.Configs = map[string][]byte{}
		}
		oin.Configs[objects.ConfigLifecycle] = in.Lifecycle.Encode()
	}
	info, err := s.obj.CreateBucket(ctx, oin)
	if err != nil {
		return Bucket{}, err
	}
	s.bucketChanged()
	return bucketFromInfo(info)
}

// GetBucket returns a tenant's bucket by name.
func (s *Service) GetBucket(ctx context.Context, tenant, name string) (Bucket, error) {
	if err := s.dataTenantOf(ctx, tenant, false); err != nil {
		return Bucket{}, err
	}
	info, err := s.obj.GetBucket(ctx, tenant, name)
	if err != nil {
		return Bucket{}, err
	}
	return bucketFromInfo(info)
}

// GetBucketByUUID returns a bucket by uuid (ONTAP .../buckets/{uuid}); with
// tenant set, a bucket of another tenant is NoSuchBucket.
func (s *Service) GetBucketByUUID(ctx context.Context, tenant, uuid string) (Bucket, error) {
	info, err := s.obj.GetBucketByUUID(ctx, uuid)
	if err != nil {
		return Bucket{}, err
	}
	if tenant != "" && info.Tenant != tenant {
		return Bucket{}, errs.Field(errs.NoSuchBucket, "uuid", "The specified bucket does not exist")
	}
	return bucketFromInfo(info)
}

// GetBucketByID returns a bucket of any tenant by its int id (Commvault
// clientId).
func (s *Service) GetBucketByID(ctx context.Context, id int32) (Bucket, error) {
	info, err := s.obj.GetBucketByID(ctx, uint64(id))
	if err != nil {
		return Bucket{}, err
	}
	return bucketFromInfo(info)
}

// ListBuckets returns a tenant's buckets in name order, or with tenant ""
// every data tenant's (ONTAP's cluster-wide /protocols/s3/buckets), by
// tenant name then bucket name.
func (s *Service) ListBuckets(ctx context.Context, tenant string) ([]Bucket, error) {
	tenants := []string{tenant}
	if tenant == "" {
		all, err := s.ListTenants(ctx)
		if err != nil {
			return nil, err
		}
		tenants = tenants[:0]
		for _, t := range all {
			tenants = append(tenants, t.UUID)
		}
	} else if err := s.dataTenantOf(ctx, tenant, false); err != nil {
		return nil, err
	}
	var out []Bucket
	for _, t := range tenants {
		list, err := s.obj.ListBuckets(ctx, objectsListAll(t, 0))
		if err != nil {
			return nil, err
		}
		for _, info := range list.Buckets {
			full, err := s.obj.GetBucket(ctx, t, info.Name) // with usage
			if errs.KindOf(err) == errs.NoSuchBucket {
				continue
			} else if err != nil {
				return nil, err
			}
			b, err := bucketFromInfo(full)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// UpdateBucket changes a bucket's comment, size, versioning, policy or
// default retention in one transaction (ReasonVersioningCannotDisable,
// ReasonBucketSize, the policy rules, the retention rules of
// bucketlock.go).
func (s *Service) UpdateBucket(ctx context.Context, tenant, name string, p BucketPatch) (Bucket, error) {
	if err := s.dataTenantOf(ctx, tenant, false); err != nil {
		return Bucket{}, err
	}
	var u objects.BucketUpdate
	if p.Comment != nil {
		if err := checkComment(*p.Comment, 256); err != nil {
			return Bucket{}, err
		}
		u.Comment = p.Comment
	}
	if p.Size != nil {
		if err := s.checkSize(*p.Size); err != nil {
			return Bucket{}, err
		}
		u.QuotaBytes = p.Size
	}
	if p.Versioning != nil {
		v, err := p.Versioning.objects()
		if err != nil {
			return Bucket{}, err
		}
		cur, err := s.obj.GetBucket(ctx, tenant, name)
		if err != nil {
			return Bucket{}, err
		}
		switch {
		case v == objects.VersioningUnset && cur.Versioning != objects.VersioningUnset:
			return Bucket{}, fail(errs.InvalidArgument, ReasonVersioningCannotDisable, "versioning_state",
				"Versioning cannot be disabled once it has been enabled; suspend it instead.")
		case v != objects.VersioningUnset:
			u.Versioning = &v
		}
	}
	if p.Policy != nil {
		pol, err := policyJSON(p.Policy, name)
		if err != nil {
			return Bucket{}, err
		}
		u.Policy = &pol
	}
	if p.Retention != nil {
		info, err := s.obj.GetBucket(ctx, tenant, name)
		if err != nil {
			return Bucket{}, err
		}
		cur, err := bucketFromInfo(info)
		if err != nil {
			return Bucket{}, err
		}
		if u.ObjectLock, err = s.retentionUpdate(ctx, cur, *p.Retention); err != nil {
			return Bucket{}, err
		}
		// Keep the mode for when the default retention is removed.
		if u.ObjectLock != nil && string(info.Configs[lockModeConfig]) != string(cur.Retention.Mode) {
			if err := s.obj.PutBucketConfig(ctx, tenant, name, lockModeConfig, []byte(cur.Retention.Mode)); err != nil {
				return Bucket{}, err
			}
		}
	}
	info, err := s.obj.UpdateBucket(ctx, tenant, name, u)
	if err != nil {
		return Bucket{}, err
	}
	if p.Policy != nil {
		s.bucketChanged()
	}
	return bucketFromInfo(info)
}

// DeleteBucket deletes an empty bucket (BucketNotEmpty otherwise, saying
// so when Object Lock protects some of its versions) with its policy.
func (s *Service) DeleteBucket(ctx context.Context, tenant, name string) error {
	if err := s.dataTenantOf(ctx, tenant, false); err != nil {
		return err
	}
	err := s.obj.DeleteBucket(ctx, tenant, name)
	s.bucketChanged()
	if errs.KindOf(err) == errs.BucketNotEmpty {
		if locked, lerr := s.obj.HasLockedVersions(ctx, tenant, name); lerr == nil && locked {
			return errs.Field(errs.BucketNotEmpty, "bucket",
				"the bucket holds object versions protected by object locking; it cannot be deleted until their retention ends")
		}
	}
	return err
}

// SetBucketPolicy replaces a bucket's policy (S3 PutBucketPolicy; ONTAP
// policy.statements). Rules: every resource in the bucket
// (ReasonPolicyResource), at most 10 statements and 10 principals and
// resources per statement (ReasonPolicyTooLarge), known actions
// (ReasonPolicyInvalidAction), CIDRs without host bits
// (ReasonPolicyCIDRHostBits). A document without statements deletes the
// policy.
func (s *Service) SetBucketPolicy(ctx context.Context, tenant, bucket string, doc policy.Document) error {
	_, err := s.UpdateBucket(ctx, tenant, bucket, BucketPatch{Policy: &doc})
	return err
}

// GetBucketPolicy returns a bucket's policy (NoSuchBucketPolicy,
// ReasonNoBucketPolicy, when it has none).
func (s *Service) GetBucketPolicy(ctx context.Context, tenant, bucket string) (policy.Document, error) {
	b, err := s.GetBucket(ctx, tenant, bucket)
	if err != nil {
		return policy.Document{}, err
	}
	if b.Policy == nil {
		return policy.Document{}, fail(errs.NoSuchBucketPolicy, ReasonNoBucketPolicy, "policy", "The bucket policy does not exist")
	}
	return *b.Policy, nil
}

// DeleteBucketPolicy deletes a bucket's policy (no error when it has none).
func (s *Service) DeleteBucketPolicy(ctx context.Context, tenant, bucket string) error {
	return s.SetBucketPolicy(ctx, tenant, bucket, policy.Document{})
}
