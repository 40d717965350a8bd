package core

import (
	"context"
	"net/netip"

	"coffer/internal/acl"
	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/policy"
)

// tenantAuthz is a tenant's authorization data, rebuilt when identGen moves.
type tenantAuthz struct {
	gen uint64
	// active: the tenant exists and runs, and its S3 service exists and is
	// enabled.
	active bool
	// groups are each user's group names; docs each user's identity
	// policies (those of its groups).
	groups map[string][]string
	docs   map[string][]policy.Document
	// names maps user uuids to names, canon canonical ids to user uuids
	// (ACL owners and grantees).
	names map[string]string
	canon map[string]string
	root  string // the root user's uuid
}

type bucketRef struct{ tenant, name string }

// Authorize decides an S3 request (Authorizer):
//
//  1. The tenant must be running and its S3 service present and enabled;
//     otherwise every request of its users fails with ServiceDisabled, which
//     S3 shows as 403 AccessDenied. (InvalidAccessKeyId would tell a caller
//     that its key is gone, which it is not: re-enabling the service makes
//     it work again. The check runs after SigV4 verification, so only a
//     holder of the secret learns that the service is disabled.)
//  2. The tenant's root user may do anything in its tenant.
//  3. Any other user is evaluated against the identity policies of its
//     groups and the bucket's policy (package policy): an explicit Deny
//     wins, then an Allow; then, when the bucket's ownership setting
//     enables ACLs (not BucketOwnerEnforced), the bucket's or the object
//     version's ACL (aclauthz.go); otherwise the request is denied
//     (AccessDenied), except s3:ListAllMyBuckets, which every user may call
//     unless denied: the listing then shows only the buckets it may
//     s3:ListBucket.
//  4. An anonymous principal has no identity policies: only a bucket
//     policy statement for "*" or a public ACL grant allows it anything,
//     within the bucket's Block Public Access settings
//     (RestrictPublicBuckets ignores a public policy's allows,
//     IgnorePublicAcls the public grants). It never lists buckets.
//
// Buckets are looked up in the principal's tenant only, so a bucket of
// another tenant is never consulted: it is as absent as a bucket that does
// not exist (AccessDenied for a user without rights, NoSuchBucket for one
// whose policies allow the action anywhere).
func (s *Service) Authorize(ctx context.Context, r Request) error {
	p := r.Principal
	ta, err := s.tenantAuthz(ctx, p.Tenant)
	if err != nil {
		return err
	}
	if !ta.active {
		return fail(errs.ServiceDisabled, ReasonServiceDisabled, "", "The S3 service of this tenant is disabled.")
	}
	if p.Root && !p.Anonymous {
		return nil
	}
	req := policy.Request{Tenant: p.Tenant, User: p.UserName, Groups: ta.groups[p.UserName], Action: r.Action,
		Bucket: r.Bucket, Key: r.Key, Now: s.now(), Context: r.Context, CanonicalID: p.CanonicalID()}
	if a, err := netip.ParseAddr(r.SourceIP); err == nil {
		req.SourceIP = a.Unmap()
	}
	var docs []policy.Document
	if !p.Anonymous {
		docs = ta.docs[p.UserName]
	} else {
		req.User, req.Groups = "", nil
	}
	var ba *bucketAccess
	if r.Bucket != "" {
		if ba, err = s.bucketAccess(ctx, p.Tenant, r.Bucket); err != nil {
			return err
		}
		if bp := ba.doc; bp != nil {
			if p.Anonymous && ba.pab.RestrictPublicBuckets && ba.publicPolicy {
				// RestrictPublicBuckets: a public policy serves only the
				// tenant's users; its denials still apply to everyone.
				if policy.Evaluate(req, *bp) == policy.Deny {
					return errs.New(errs.AccessDenied, "Access Denied")
				}
			} else {
				docs = append(docs[:len(docs):len(docs)], *bp)
			}
		}
	}
	switch policy.Evaluate(req, docs...) {
	case policy.Allow:
		return nil
	case policy.Deny:
		return errs.New(errs.AccessDenied, "Access Denied")
	}
	if r.Action == "s3:ListAllMyBuckets" && !p.Anonymous {
		return nil
	}
	if ba != nil && ba.exists && ba.ownership.ACLsEnabled() {
		ok, err := s.aclAllows(ctx, r, ba)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return errs.New(errs.AccessDenied, "Access Denied")
}

// tenantAuthz returns the tenant's snapshot, rebuilding it when stale.
func (s *Service) tenantAuthz(ctx context.Context, tenant string) (*tenantAuthz, error) {
	gen := s.identGen.Load()
	s.authzMu.Lock()
	ta := s.authz[tenant]
	s.authzMu.Unlock()
	if ta != nil && ta.gen == gen {
		return ta, nil
	}
	ta = &tenantAuthz{gen: gen, groups: map[string][]string{}, docs: map[string][]policy.Document{},
		names: map[string]string{}, canon: map[string]string{}}
	err := s.view(ctx, "read authorization", func(tx kv.Reader) error {
		t, err := getTenant(tx, tenant)
		if errs.KindOf(err) == errs.NotFound {
			return nil
		} else if err != nil {
			return err
		}
		svc, ok, err := getService(tx, tenant)
		if err != nil {
			return err
		}
		ta.active = t.IsData() && t.State == TenantRunning && ok && svc.Enabled
		if err := scan(tx, key('u', tenant, ""), func(_, raw []byte) error {
			var u User
			if err := jsonUnmarshal(raw, &u); err != nil {
				return err
			}
			ta.names[u.UUID] = u.Name
			if u.Root {
				ta.root = u.UUID
			}
			ta.canon[acl.CanonicalID(tenant, u.UUID)] = u.UUID
			return nil
		}); err != nil {
			return err
		}
		groups, err := tenantGroups(tx, tenant)
		if err != nil {
			return err
		}
		policies := map[string]policy.Document{}
		var userDefined []string
		if err := scan(tx, key('p', tenant, ""), func(_, raw []byte) error {
			var r policyRecord
			if err := jsonUnmarshal(raw, &r); err != nil {
				return err
			}
			policies[r.Name] = r.Doc
			userDefined = append(userDefined, r.Name)
			return nil
		}); err != nil {
			return err
		}
		for _, g := range groups {
			var docs []policy.Document
			for _, name := range g.Policies {
				if name == "*" { // every user-defined policy; built-ins are attached by name
					for _, n := range userDefined {
						docs = append(docs, policies[n])
					}
					continue
				}
				if d, ok := policy.BuiltIn(name); ok {
					docs = append(docs, d)
				} else if d, ok := policies[name]; ok {
					docs = append(docs, d)
				}
			}
			for _, u := range g.Users {
				ta.groups[u] = append(ta.groups[u], g.Name)
				ta.docs[u] = append(ta.docs[u], docs...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.authzMu.Lock()
	if len(s.authz) > 10_000 {
		clear(s.authz)
	}
	s.authz[tenant] = ta
	s.authzMu.Unlock()
	return ta, nil
}
