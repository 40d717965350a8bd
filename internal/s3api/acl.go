package s3api

import (
	"bytes"
	"context"
	"net/http"

	"coffer/internal/acl"
	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Access control lists (Get/PutBucketAcl, Get/PutObjectAcl, the ACL
// headers of CreateBucket, PutObject, CopyObject and
// CreateMultipartUpload), owners as S3 shows them, and anonymous requests.
// Access decisions with ACLs are the core's (core.Authorize); this file
// validates and stores ACLs and renders them.

// Directory is what the adapter needs to know about users and buckets
// beyond one request's principal. The core implements it.
type Directory interface {
	// Owner returns the canonical id and display name (the user name) of
	// the user of tenant with uuid userID.
	Owner(ctx context.Context, tenant, userID string) (canonicalID, displayName string, err error)
	// UserByCanonicalID finds the user of tenant with canonical id id.
	UserByCanonicalID(ctx context.Context, tenant, id string) (userID, name string, ok bool, err error)
	// BucketTenants returns the tenants with a bucket named name.
	BucketTenants(ctx context.Context, name string) ([]string, error)
	// EnforcedOwner reports whether the bucket is BucketOwnerEnforced and
	// then its owner's user id, the owner of all its objects.
	EnforcedOwner(ctx context.Context, tenant, bucket string) (owner string, enforced bool, err error)
}

// owners renders S3 owners for one request, each user looked up once. The
// canonical id and display name of a user are the same in every response:
// ListBuckets, listings, ACLs, multipart initiators and owners.
type owners struct {
	s      *server
	ctx    context.Context
	tenant string
	byID   map[string]ownerXML
	byCan  map[string]string
	// objectOwner, when set, owns every object (BucketOwnerEnforced).
	objectOwner *string
}

func (s *server) owners(ctx context.Context, ri *requestInfo) *owners {
	return &owners{s: s, ctx: ctx, tenant: ri.Tenant(), byID: map[string]ownerXML{}, byCan: map[string]string{}}
}

// of is the owner with user uuid userID ("" is the tenant's root user,
// which owns what the management plane created).
func (o *owners) of(userID string) ownerXML {
	if x, ok := o.byID[userID]; ok {
		return x
	}
	x := ownerXML{ID: acl.CanonicalID(o.tenant, userID), DisplayName: userID}
	if d := o.s.opts.Directory; d != nil {
		if id, name, err := d.Owner(o.ctx, o.tenant, userID); err == nil {
			x = ownerXML{ID: id, DisplayName: name}
		}
	}
	o.byID[userID] = x
	return x
}

func (o *owners) ptr(userID string) *ownerXML { x := o.of(userID); return &x }

// objectOwners renders the owners of a listing's objects: in a
// BucketOwnerEnforced bucket, the bucket owner owns them all, as
// GetObjectAcl shows.
func (s *server) objectOwners(ctx context.Context, ri *requestInfo) (*owners, error) {
	ow := s.owners(ctx, ri)
	if d := s.opts.Directory; d != nil {
		owner, enforced, err := d.EnforcedOwner(ctx, ri.Tenant(), ri.Op.Bucket)
		if err != nil {
			return nil, err
		}
		if enforced {
			ow.objectOwner = &owner
		}
	}
	return ow, nil
}

// object is the owner of an object whose stored owner is userID.
func (o *owners) object(userID string) *ownerXML {
	if o.objectOwner != nil {
		userID = *o.objectOwner
	}
	return o.ptr(userID)
}

// canonical is the display name of the user with canonical id id ("" when
// unknown).
func (o *owners) canonical(id string) string {
	if n, ok := o.byCan[id]; ok {
		return n
	}
	var name string
	if d := o.s.opts.Directory; d != nil {
		if _, n, ok, err := d.UserByCanonicalID(o.ctx, o.tenant, id); err == nil && ok {
			name = n
		}
	}
	o.byCan[id] = name
	return name
}

func principalOwner(ri *requestInfo) ownerXML {
	return ownerXML{ID: ri.Principal.CanonicalID(), DisplayName: ri.Principal.UserName}
}

// bucketACLState is a bucket's ACL-related settings.
type bucketACLState struct {
	info      objects.BucketInfo
	ownership acl.Ownership
	pab       acl.PublicAccessBlock
	// owner is the bucket owner's user id and canonical id.
	owner, ownerCanon string
}

func (s *server) bucketACLState(ctx context.Context, ri *requestInfo, bucket string) (bucketACLState, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), bucket)
	if err != nil {
		return bucketACLState{}, err
	}
	st := bucketACLState{info: b, owner: b.Owner}
	st.ownership, _ = acl.DecodeOwnership(b.Configs[objects.ConfigOwnership])
	if st.pab, err = acl.DecodePAB(b.Configs[objects.ConfigPublicAccessBlock]); err != nil {
		return st, errs.Wrap(errs.Internal, err, "bucket %q", bucket)
	}
	st.ownerCanon = s.owners(ctx, ri).of(b.Owner).ID
	return st, nil
}

// bucketACL is the bucket's ACL: the stored one, or its owner's
// FULL_CONTROL (also when ACLs are disabled).
func (st bucketACLState) bucketACL() (acl.ACL, error) {
	raw := st.info.Configs[objects.ConfigACL]
	if raw == nil || !st.ownership.ACLsEnabled() {
		return acl.Private(st.ownerCanon), nil
	}
	a, err := acl.Decode(raw)
	if err != nil {
		return acl.ACL{}, errs.Wrap(errs.Internal, err, "bucket %q", st.info.Name)
	}
	return a, nil
}

// resolveGrants checks every grantee: a canonical id must be a user of the
// tenant (InvalidArgument "Invalid id" otherwise, as AWS answers for an
// unknown id); e-mail grantees cannot be resolved, Coffer users having no
// e-mail address (UnresolvableGrantByEmailAddress).
func (s *server) resolveGrants(ctx context.Context, ri *requestInfo, a acl.ACL) error {
	for _, g := range a.Grants {
		switch g.Grantee.Type {
		case acl.CanonicalUser:
			if g.Grantee.ID == a.Owner {
				continue
			}
			ok := acl.IsCanonicalID(g.Grantee.ID)
			if d := s.opts.Directory; ok && d != nil {
				_, _, found, err := d.UserByCanonicalID(ctx, ri.Tenant(), g.Grantee.ID)
				if err != nil {
					return err
				}
				ok = found
			}
			if !ok {
				return errs.Field(errs.InvalidArgument, "CanonicalUser/ID", "Invalid id")
			}
		case acl.Email:
			return errs.Field(errs.UnresolvableGrantByEmail, "EmailAddress",
				"The e-mail address you provided does not match any account on record.")
		}
	}
	if err := a.Validate(); err != nil {
		return errs.New(errs.MalformedACL, "%s", err.Error())
	}
	return nil
}

// checkACLAllowed applies the ownership setting and Block Public Access to
// an ACL about to be set on a resource owned by ownerCanon. It reports
// whether the ACL is to be stored: with ACLs disabled an owner-only ACL is
// accepted and nothing is stored.
func checkACLAllowed(st bucketACLState, a acl.ACL, ownerCanon string) (store bool, err error) {
	if !st.ownership.ACLsEnabled() {
		if !a.OnlyOwnerFullControl(ownerCanon) {
			return false, errs.New(errs.AccessControlListNotSupported, "The bucket does not allow ACLs")
		}
		return false, nil
	}
	if st.pab.BlockPublicAcls && a.IsPublic() {
		return false, errs.New(errs.AccessDenied, "Access Denied: the bucket's public access block refuses public ACLs")
	}
	return true, nil
}

// objectACLForWrite decides the ACL and owner of an object a request
// writes (PutObject, CopyObject, CreateMultipartUpload, POST Object),
// from x-amz-acl and x-amz-grant-* read through get (request headers, or
// the form fields of a POST). Without any, it costs nothing: the ACL is the
// default (nil) and the writer owns the object. Otherwise the bucket's
// ownership setting and Block Public Access apply: with ACLs disabled
// (BucketOwnerEnforced) only bucket-owner-full-control and its
// equivalents are accepted (AccessControlListNotSupported otherwise);
// with BucketOwnerPreferred, bucket-owner-full-control gives the object to
// the bucket owner; BlockPublicAcls refuses public ACLs (AccessDenied).
func (s *server) objectACLForWrite(ctx context.Context, ri *requestInfo, bucket string, get func(string) string) (encoded []byte, owner string, err error) {
	owner = ri.Principal.UserID
	req, err := parseACLHeaders(get)
	if err != nil || !req.Given {
		return nil, owner, err
	}
	st, err := s.bucketACLState(ctx, ri, bucket)
	if err != nil {
		return nil, owner, err
	}
	writer := ri.Principal.CanonicalID()
	ownerCanon := writer
	switch {
	case st.ownership == acl.BucketOwnerEnforced:
		ownerCanon = st.ownerCanon
	case st.ownership == acl.BucketOwnerPreferred && req.Canned == "bucket-owner-full-control":
		owner, ownerCanon = st.owner, st.ownerCanon
	}
	a := acl.ACL{Owner: ownerCanon, Grants: req.Grants}
	if req.Canned != "" {
		if a, err = acl.Canned(req.Canned, ownerCanon, st.ownerCanon, true); err != nil {
			return nil, owner, errs.Field(errs.InvalidArgument, "x-amz-acl", "Invalid canned ACL")
		}
		if st.ownership == acl.BucketOwnerEnforced && (req.Canned == "private" || req.Canned == "bucket-owner-full-control") {
			return nil, owner, nil
		}
	}
	if err := s.resolveGrants(ctx, ri, a); err != nil {
		return nil, owner, err
	}
	store, err := checkACLAllowed(st, a, ownerCanon)
	if err != nil || !store {
		return nil, owner, err
	}
	return a.Encode(), owner, nil
}

// createBucketConfigs are the configurations a bucket starts with: its
// ownership (x-amz-object-ownership, default BucketOwnerEnforced as in AWS
// since April 2023), Block Public Access with all four settings on (AWS's
// default for new buckets), and the ACL of x-amz-acl/x-amz-grant-*, which
// needs ACLs enabled (InvalidBucketAclWithObjectOwnership otherwise, unless
// it is private) and cannot be public while BlockPublicAcls is on.
func (s *server) createBucketConfigs(ctx context.Context, ri *requestInfo, r *http.Request) (map[string][]byte, error) {
	ownership := acl.BucketOwnerEnforced
	if v := r.Header.Get("X-Amz-Object-Ownership"); v != "" {
		ownership = acl.Ownership(v)
		if !ownership.Valid() {
			return nil, errs.Field(errs.InvalidArgument, "x-amz-object-ownership", "Invalid x-amz-object-ownership header: %s", v)
		}
	}
	cfg := map[string][]byte{
		objects.ConfigOwnership:         acl.EncodeOwnership(ownership),
		objects.ConfigPublicAccessBlock: acl.EncodePAB(acl.BlockAll),
	}
	req, err := parseACLHeaders(r.Header.Get)
	if err != nil || !req.Given {
		return cfg, err
	}
	owner := ri.Principal.CanonicalID()
	a := acl.ACL{Owner: owner, Grants: req.Grants}
	if req.Canned != "" {
		a, _ = acl.Canned(req.Canned, owner, owner, false)
	}
	if err := s.resolveGrants(ctx, ri, a); err != nil {
		return nil, err
	}
	if !ownership.ACLsEnabled() {
		if !a.OnlyOwnerFullControl(owner) {
			return nil, errs.New(errs.InvalidBucketACLWithOwnership, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
		return cfg, nil
	}
	if a.IsPublic() {
		return nil, errs.New(errs.AccessDenied, "Access Denied: new buckets block public ACLs (PutPublicAccessBlock to change it)")
	}
	cfg[objects.ConfigACL] = a.Encode()
	return cfg, nil
}

// aclFromPutRequest reads the ACL a PutBucketAcl or PutObjectAcl sets: the
// AccessControlPolicy body, or x-amz-acl, or x-amz-grant-* (a body with
// headers is InvalidArgument; neither is MalformedACLError). The Owner a
// body names is not a way to change ownership: it is ignored.
func (s *server) aclFromPutRequest(ri *requestInfo, r *http.Request, ownerCanon, bucketOwnerCanon string, object bool) (acl.ACL, error) {
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return acl.ACL{}, err
	}
	req, err := parseACLHeaders(r.Header.Get)
	if err != nil {
		return acl.ACL{}, err
	}
	hasBody := len(bytes.TrimSpace(data)) > 0
	switch {
	case hasBody && req.Given:
		return acl.ACL{}, errs.New(errs.InvalidArgument, "An ACL may be given in the body or in headers, not both")
	case hasBody:
		doc, err := parseACLXML(data)
		if err != nil {
			return acl.ACL{}, err
		}
		return acl.ACL{Owner: ownerCanon, Grants: doc.Grants}, nil
	case req.Canned != "":
		return acl.Canned(req.Canned, ownerCanon, bucketOwnerCanon, object)
	case req.Given:
		return acl.ACL{Owner: ownerCanon, Grants: req.Grants}, nil
	}
	return acl.ACL{}, malformedACL()
}

func (s *server) putBucketACL(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	st, err := s.bucketACLState(ctx, ri, ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	a, err := s.aclFromPutRequest(ri, r, st.ownerCanon, st.ownerCanon, false)
	if err != nil {
		return nil, err
	}
	if err := s.resolveGrants(ctx, ri, a); err != nil {
		return nil, err
	}
	store, err := checkACLAllowed(st, a, st.ownerCanon)
	if err != nil || !store {
		return &response{}, err
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigACL, a.Encode()); err != nil {
		return nil, err
	}
	return &response{}, nil
}

func (s *server) getBucketACL(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	st, err := s.bucketACLState(ctx, ri, ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	a, err := st.bucketACL()
	if err != nil {
		return nil, err
	}
	return &response{XML: s.renderACL(s.owners(ctx, ri), a)}, nil
}

// objectACLState is an object version's owner and ACL as they apply: with
// ACLs disabled the bucket owner owns the object with FULL_CONTROL.
func (s *server) objectACLState(ctx context.Context, ri *requestInfo, st bucketACLState) (objects.ObjectACL, acl.ACL, error) {
	oa, err := s.be.GetObjectACL(ctx, ri.Tenant(), ri.Op.Bucket, ri.Op.Key, ri.Op.VersionID)
	if err != nil {
		return oa, acl.ACL{}, err
	}
	if !st.ownership.ACLsEnabled() {
		return oa, acl.Private(st.ownerCanon), nil
	}
	if oa.ACL == nil {
		return oa, acl.Private(s.owners(ctx, ri).of(oa.Owner).ID), nil
	}
	a, err := acl.Decode(oa.ACL)
	if err != nil {
		return oa, acl.ACL{}, errs.Wrap(errs.Internal, err, "object %q", ri.Op.Key)
	}
	return oa, a, nil
}

func (s *server) putObjectACL(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	st, err := s.bucketACLState(ctx, ri, ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	_, cur, err := s.objectACLState(ctx, ri, st)
	if err != nil {
		return deleteMarkerResponse(err), err
	}
	a, err := s.aclFromPutRequest(ri, r, cur.Owner, st.ownerCanon, true)
	if err != nil {
		return nil, err
	}
	if err := s.resolveGrants(ctx, ri, a); err != nil {
		return nil, err
	}
	store, err := checkACLAllowed(st, a, cur.Owner)
	if err != nil {
		return nil, err
	}
	if store {
		if _, err := s.be.PutObjectACL(ctx, ri.Tenant(), ri.Op.Bucket, ri.Op.Key, ri.Op.VersionID, a.Encode(), ""); err != nil {
			return deleteMarkerResponse(err), err
		}
	}
	return &response{}, nil
}

func (s *server) getObjectACL(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	st, err := s.bucketACLState(ctx, ri, ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	_, a, err := s.objectACLState(ctx, ri, st)
	if err != nil {
		return deleteMarkerResponse(err), err
	}
	return &response{XML: s.renderACL(s.owners(ctx, ri), a)}, nil
}

// renderACL is the AccessControlPolicy of a.
func (s *server) renderACL(ow *owners, a acl.ACL) aclDocOut {
	out := aclDocOut{Owner: ownerXML{ID: a.Owner, DisplayName: ow.canonical(a.Owner)}, Grants: []aclGrantOut{}}
	for _, g := range a.Grants {
		x := aclGranteeOut{XMLNSXSI: xsiNamespace, Type: string(g.Grantee.Type)}
		switch g.Grantee.Type {
		case acl.CanonicalUser:
			x.ID, x.DisplayName = g.Grantee.ID, ow.canonical(g.Grantee.ID)
		case acl.Group:
			x.URI = g.Grantee.URI
		case acl.Email:
			x.EmailAddress = g.Grantee.Email
		}
		out.Grants = append(out.Grants, aclGrantOut{Grantee: x, Permission: string(g.Permission)})
	}
	return out
}

// anonymous decides an unsigned request: it runs as an anonymous principal
// of the tenant that has a bucket of the name it addresses, and
// authorization (the bucket's policy and ACLs, within its Block Public
// Access settings) decides the rest. Bucket names are unique per tenant
// only: a name that no tenant or several tenants have is AccessDenied, as
// is a request that names no bucket (ListBuckets).
func (s *server) anonymous(ctx context.Context, ri *requestInfo, r *http.Request) (core.Principal, error) {
	denied := errs.New(errs.AccessDenied, "Access Denied")
	d := s.opts.Directory
	if d == nil || ri.Op.Bucket == "" {
		return core.Principal{}, denied
	}
	tenants, err := d.BucketTenants(ctx, ri.Op.Bucket)
	if err != nil {
		return core.Principal{}, err
	}
	if len(tenants) != 1 {
		return core.Principal{}, denied
	}
	return core.Principal{Tenant: tenants[0], Anonymous: true}, nil
}
