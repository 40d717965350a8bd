package core

import (
	"context"

	"coffer/internal/acl"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/policy"
)

// bucketAccess is what authorization needs of a bucket, cached per
// bucketGen: its policy, ownership setting, ACL and Block Public Access
// configuration. Object ACLs are not cached: Authorize reads the version's
// only when policies did not decide and the bucket's ACLs are enabled.
type bucketAccess struct {
	gen    uint64
	exists bool
	owner  string           // the bucket owner's user uuid
	doc    *policy.Document // nil: no policy
	// publicPolicy: doc is public (policy.Document.IsPublic).
	publicPolicy bool
	ownership    acl.Ownership
	acl          acl.ACL // the stored ACL, or the default (owner FULL_CONTROL)
	pab          acl.PublicAccessBlock
}

// bucketAccess returns a bucket's cached access data; a bucket that does
// not exist has exists false and nothing else.
func (s *Service) bucketAccess(ctx context.Context, tenant, bucket string) (*bucketAccess, error) {
	gen := s.bucketGen.Load()
	ref := bucketRef{tenant, bucket}
	s.authzMu.Lock()
	e, ok := s.bpols[ref]
	s.authzMu.Unlock()
	if ok && e.gen == gen {
		return e, nil
	}
	info, err := s.obj.GetBucket(ctx, tenant, bucket)
	e = &bucketAccess{gen: gen}
	switch {
	case errs.KindOf(err) == errs.NoSuchBucket:
	case err != nil:
		return nil, err
	default:
		if e, err = bucketAccessFrom(info); err != nil {
			return nil, err
		}
		e.gen = gen
	}
	s.authzMu.Lock()
	if len(s.bpols) > 100_000 {
		clear(s.bpols)
	}
	s.bpols[ref] = e
	s.authzMu.Unlock()
	return e, nil
}

func bucketAccessFrom(info objects.BucketInfo) (*bucketAccess, error) {
	e := &bucketAccess{exists: true, owner: info.Owner}
	if len(info.Policy) > 0 {
		b, err := bucketFromInfo(info)
		if err != nil {
			return nil, err
		}
		e.doc = b.Policy
		e.publicPolicy = b.Policy.IsPublic()
	}
	e.ownership, _ = acl.DecodeOwnership(info.Configs[objects.ConfigOwnership])
	e.acl = acl.Private(acl.CanonicalID(info.Tenant, info.Owner))
	if raw := info.Configs[objects.ConfigACL]; raw != nil {
		a, err := acl.Decode(raw)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "bucket %q", info.Name)
		}
		e.acl = a
	}
	pab, err := acl.DecodePAB(info.Configs[objects.ConfigPublicAccessBlock])
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "bucket %q", info.Name)
	}
	e.pab = pab
	return e, nil
}

// aclAllows decides r by ACLs alone: the bucket's ACL for bucket
// permissions (READ lists, WRITE writes and deletes objects, READ_ACP and
// WRITE_ACP read and write the bucket ACL), the object version's ACL for
// object permissions (READ reads, READ_ACP and WRITE_ACP its ACL), per
// AWS's mapping of ACL permissions to actions (acl.BucketPermission,
// acl.ObjectPermission). The version is the one the request names
// (s3:versionid), else the latest.
func (s *Service) aclAllows(ctx context.Context, r Request, ba *bucketAccess) (bool, error) {
	who := acl.Requester{CanonicalID: r.Principal.CanonicalID()}
	ignore := ba.pab.IgnorePublicAcls
	if perm, ok := acl.BucketPermission(r.Action); ok {
		return ba.acl.Allows(who, perm, ignore), nil
	}
	perm, ok := acl.ObjectPermission(r.Action)
	if !ok || r.Key == "" {
		return false, nil
	}
	oa, err := s.obj.GetObjectACL(ctx, r.Principal.Tenant, r.Bucket, r.Key, r.Context["s3:versionid"])
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return false, err
		}
		return false, nil // no such object or version: nothing is granted
	}
	a := acl.Private(acl.CanonicalID(r.Principal.Tenant, oa.Owner))
	if oa.ACL != nil {
		if a, err = acl.Decode(oa.ACL); err != nil {
			return false, errs.Wrap(errs.Internal, err, "object %q", r.Key)
		}
	}
	return a.Allows(who, perm, ignore), nil
}

// Owner returns the canonical id (acl.CanonicalID) and display name (the
// user name) of the user of tenant with uuid userID, as every S3 response
// shows an owner. userID "" (a bucket or object the management plane
// created) is the tenant's root user, which owns everything in its
// tenant. A deleted user keeps its canonical id and has no display name.
// It reads the cached authorization snapshot.
func (s *Service) Owner(ctx context.Context, tenant, userID string) (canonicalID, displayName string, err error) {
	ta, err := s.tenantAuthz(ctx, tenant)
	if err != nil {
		return "", "", err
	}
	if userID == "" {
		userID = ta.root
	}
	return acl.CanonicalID(tenant, userID), ta.names[userID], nil
}

// UserByCanonicalID returns the uuid and name of the user of tenant whose
// canonical id (acl.CanonicalID) is id; ok is false when none has it.
func (s *Service) UserByCanonicalID(ctx context.Context, tenant, id string) (userID, name string, ok bool, err error) {
	ta, err := s.tenantAuthz(ctx, tenant)
	if err != nil {
		return "", "", false, err
	}
	userID, ok = ta.canon[id]
	return userID, ta.names[userID], ok, nil
}

// EnforcedOwner reports whether a bucket's ownership is BucketOwnerEnforced
// and, if so, its owner's user uuid: the owner of every object in it. It
// reads the cached bucket access data.
func (s *Service) EnforcedOwner(ctx context.Context, tenant, bucket string) (owner string, enforced bool, err error) {
	ba, err := s.bucketAccess(ctx, tenant, bucket)
	if err != nil || !ba.exists {
		return "", false, err
	}
	return ba.owner, !ba.ownership.ACLsEnabled(), nil
}

// BucketTenants is the core's BucketTenants, for the S3 adapter's
// per-request hooks (CORS preflights, access logs of anonymous requests):
// one cache of the cross-tenant name lookup, not one per adapter.
func (b *S3Backend) BucketTenants(ctx context.Context, name string) ([]string, error) {
	return b.core.BucketTenants(ctx, name)
}

// BucketTenants returns the tenants that have a bucket named name: bucket
// names are unique per tenant only, and an anonymous request names no
// tenant. Answers are cached until the next bucket change (bucketGen).
func (s *Service) BucketTenants(ctx context.Context, name string) ([]string, error) {
	gen := s.bucketGen.Load()
	s.authzMu.Lock()
	if s.bnames == nil || s.bnamesGen != gen {
		s.bnames, s.bnamesGen = map[string][]string{}, gen
	}
	ts, ok := s.bnames[name]
	s.authzMu.Unlock()
	if ok {
		return ts, nil
	}
	ts, err := s.obj.TenantsOfBucket(ctx, name)
	if err != nil {
		return nil, err
	}
	if ts == nil {
		ts = []string{}
	}
	s.authzMu.Lock()
	if s.bnamesGen == gen && len(s.bnames) < 100_000 {
		s.bnames[name] = ts
	}
	s.authzMu.Unlock()
	return ts, nil
}
