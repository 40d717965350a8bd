package core

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"coffer/internal/errs"
	"coffer/internal/policy"
	"coffer/internal/vaults"
)

// A vault (Commvault CVS3Store) is a bucket of a tenant seen through the
// vault plane: the plan it was created with, the users and groups holding
// the S3 User role on it, and the nodes (S3 endpoints) that serve it. Every
// bucket of a tenant is a vault; one created through CreateVault also has
// a record in internal/vaults (vaults.Record).
//
// The S3 User role is the vault's bucket policy (vaults.RolePolicy).
//
// Endpoints: a vault with endpoints is served only by those nodes, once an
// endpoint job has found each one running (state active); every other node
// refuses its requests (CheckEndpoint). A vault without endpoints is served
// by every node.

// VaultRoleActions are the S3 actions of the S3 User role
// (vaults.RoleActions).
var VaultRoleActions = vaults.RoleActions

// MaxVaultPrincipals bounds the owners and groups of one vault (10
// statements of 10 principals, the bucket-policy limits).
const MaxVaultPrincipals = maxPolicyItems * maxPolicyItems

type (
	// EndpointState is the state of one node as an endpoint of a vault.
	EndpointState = vaults.EndpointState
	// VaultEndpoint is a node's state as an endpoint of a vault.
	VaultEndpoint = vaults.Endpoint
)

// Endpoint states.
const (
	EndpointPending = vaults.EndpointPending // an endpoint job has not reached it yet
	EndpointActive  = vaults.EndpointActive  // the node serves the vault
	EndpointFailed  = vaults.EndpointFailed  // the job found the node down (Reason says why)
)

// Vault is a bucket as the vault plane shows it.
type Vault struct {
	Bucket Bucket
	// PlanID is the plan it was created with (0: none); Plan is nil when
	// there is none or it was deleted.
	PlanID int32
	Plan   *Plan
	// Owners and Groups hold the S3 User role (those still existing).
	Owners []User
	Groups []Group
	// Endpoints are the nodes that serve it (none: every node).
	Endpoints []VaultEndpointInfo
}

// VaultEndpointInfo is an endpoint with its node.
type VaultEndpointInfo struct {
	VaultEndpoint
	Node Node
}

// EntityRef names an entity by int id or, when ID is 0, by name
// (vaults.EntityRef).
type EntityRef = vaults.EntityRef

// CreateVaultInput creates a vault (Commvault POST /V4/CVS3Store).
type CreateVaultInput struct {
	Tenant string
	// Name is the bucket name (ValidateBucketName).
	Name string
	// Plan is required; when both its id and name are given they must
	// agree.
	Plan EntityRef
	// Endpoints are nodes that will serve the vault (an endpoint job).
	Endpoints []EntityRef
	// Owners and Groups receive the S3 User role.
	Owners []EntityRef
	Groups []EntityRef
	// RotateKeys rotates the keys of the owners and group members
	// (RotateUserKeys); otherwise only owners without a usable key get one.
	RotateKeys bool
}

// VaultKey is a key pair CreateVault created for a user.
type VaultKey struct {
	User User
	Key  NewKey
	// Rotated: the user's previous keys were replaced (RotateKeys).
	Rotated bool
}

// CreateVaultResult is a created vault.
type CreateVaultResult struct {
	Vault Vault
	// EndpointJob is the job configuring the endpoints, nil without any.
	EndpointJob *Job
	// Keys are the key pairs created or rotated (their only appearance).
	Keys []VaultKey
}

// Vault reasons (internal/vaults).
const (
	ReasonVaultNotFound       = vaults.ReasonVaultNotFound       // NotFound
	ReasonVaultExists         = vaults.ReasonVaultExists         // AlreadyExists
	ReasonVaultPlanRequired   = vaults.ReasonVaultPlanRequired   // InvalidArgument
	ReasonVaultPlanMismatch   = vaults.ReasonVaultPlanMismatch   // InvalidArgument (planName is not planId's)
	ReasonVaultRefInvalid     = vaults.ReasonVaultRefInvalid     // InvalidArgument (an entry without id or name)
	ReasonVaultTooManyMembers = vaults.ReasonVaultTooManyMembers // InvalidArgument (> MaxVaultPrincipals)
	ReasonVaultNotEmpty       = vaults.ReasonVaultNotEmpty       // BucketNotEmpty
)

func (s *Service) resolveUser(ctx context.Context, tenant string, ref EntityRef, field string) (User, error) {
	var u User
	var err error
	switch {
	case ref.ID > 0:
		u, err = s.GetUserByID(ctx, ref.ID)
		if err == nil && u.Tenant != tenant {
			err = errs.New(errs.NotFound, "")
		}
	case ref.Name != "":
		u, err = s.GetUser(ctx, tenant, ref.Name)
	default:
		return User{}, fail(errs.InvalidArgument, ReasonVaultRefInvalid, field, "%s needs a userId.", field)
	}
	if errs.KindOf(err) == errs.NotFound {
		return User{}, fail(errs.NotFound, ReasonUserNotFound, field, "User %s does not exist.", ref)
	}
	return u, err
}

func (s *Service) resolveGroup(ctx context.Context, tenant string, ref EntityRef, field string) (Group, error) {
	var g Group
	var err error
	switch {
	case ref.ID > 0:
		g, err = s.GetGroupByID(ctx, ref.ID)
		if err == nil && g.Tenant != tenant {
			err = errs.New(errs.NotFound, "")
		}
	case ref.Name != "":
		var all []Group
		if all, err = s.ListGroups(ctx, tenant); err == nil {
			err = errs.New(errs.NotFound, "")
			for _, c := range all {
				if c.Name == ref.Name {
					g, err = c, nil
				}
			}
		}
	default:
		return Group{}, fail(errs.InvalidArgument, ReasonVaultRefInvalid, field, "%s needs a userGroupId.", field)
	}
	if errs.KindOf(err) == errs.NotFound {
		return Group{}, fail(errs.NotFound, ReasonGroupNotFound, field, "User group %s does not exist.", ref)
	}
	return g, err
}

// vaultPolicy is the S3 User role of users and groups on a vault, as
// bucket-policy statements of at most maxPolicyItems principals each.
func vaultPolicy(bucket string, users, groups []string) policy.Document {
	return vaults.RolePolicy(bucket, users, groups, maxPolicyItems)
}

// CreateVault creates a vault: a versioned bucket of the tenant with the
// plan's settings, the S3 User role for the owners and groups (the bucket
// policy), keys for owners without one (or rotated keys for owners and
// group members with RotateKeys), and, with Endpoints, a job that makes
// those nodes serve it.
//
// Errors, in this order: the bucket-name rules (InvalidBucketName),
// ReasonVaultPlanRequired, the plan (ReasonPlanNotFound,
// ReasonVaultPlanMismatch), each endpoint (ReasonNodeNotFound), owner
// (ReasonUserNotFound) and group (ReasonGroupNotFound), entries without id
// or name (ReasonVaultRefInvalid), ReasonVaultTooManyMembers, then
// ReasonVaultExists.
func (s *Service) CreateVault(ctx context.Context, in CreateVaultInput) (CreateVaultResult, error) {
	if err := s.dataTenantOf(ctx, in.Tenant, true); err != nil {
		return CreateVaultResult{}, err
	}
	if err := ValidateBucketName(in.Name); err != nil {
		return CreateVaultResult{}, err
	}
	plan, err := s.vaults.ResolvePlan(ctx, in.Plan)
	if err != nil {
		return CreateVaultResult{}, err
	}
	var nodes []Node
	for i, ref := range in.Endpoints {
		n, err := s.vaults.ResolveNode(ctx, ref, fmt.Sprintf("cvs3Endpoints[%d].clientId", i))
		if err != nil {
			return CreateVaultResult{}, err
		}
		if !slices.ContainsFunc(nodes, func(o Node) bool { return o.ID == n.ID }) {
			nodes = append(nodes, n)
		}
	}
	var owners []User
	for i, ref := range in.Owners {
		u, err := s.resolveUser(ctx, in.Tenant, ref, fmt.Sprintf("owners[%d].userId", i))
		if err != nil {
			return CreateVaultResult{}, err
		}
		if !slices.ContainsFunc(owners, func(o User) bool { return o.ID == u.ID }) {
			owners = append(owners, u)
		}
	}
	var groups []Group
	for i, ref := range in.Groups {
		g, err := s.resolveGroup(ctx, in.Tenant, ref, fmt.Sprintf("userGroups[%d].userGroupId", i))
		if err != nil {
			return CreateVaultResult{}, err
		}
		if !slices.ContainsFunc(groups, func(o Group) bool { return o.ID == g.ID }) {
			groups = append(groups, g)
		}
	}
	if len(owners)+len(groups) > MaxVaultPrincipals {
		return CreateVaultResult{}, fail(errs.InvalidArgument, ReasonVaultTooManyMembers, "owners",
			"A vault has at most %d owners and user groups together.", MaxVaultPrincipals)
	}
	exists := func() error {
		return fail(errs.AlreadyExists, ReasonVaultExists, "bucket.clientName", "A vault named %q already exists.", in.Name)
	}
	if _, err := s.obj.GetBucket(ctx, in.Tenant, in.Name); err == nil {
		return CreateVaultResult{}, exists()
	} else if errs.KindOf(err) != errs.NoSuchBucket {
		return CreateVaultResult{}, err
	}

	var userNames, groupNames []string
	var ownerIDs, groupIDs []int32
	for _, u := range owners {
		userNames, ownerIDs = append(userNames, u.Name), append(ownerIDs, u.ID)
	}
	for _, g := range groups {
		groupNames, groupIDs = append(groupNames, g.Name), append(groupIDs, g.ID)
	}
	in2 := CreateBucketInput{Tenant: in.Tenant, Name: in.Name, Versioning: VersioningEnabled,
		Comment: fmt.Sprintf("Commvault S3 vault (plan %q)", plan.Name)}
	if len(userNames)+len(groupNames) > 0 {
		doc := vaultPolicy(in.Name, userNames, groupNames)
		in2.Policy = &doc
	}
	if plan.WORM {
		in2.Retention = planRetention(plan)
	}
	b, err := s.CreateBucket(ctx, in2)
	switch errs.KindOf(err) {
	case errs.BucketAlreadyOwnedByYou, errs.BucketAlreadyExists:
		return CreateVaultResult{}, exists()
	}
	if err != nil {
		return CreateVaultResult{}, err
	}
	rec := vaults.Record{Schema: vaults.RecordSchema, Tenant: in.Tenant, Bucket: in.Name, BucketUUID: b.UUID, BucketID: b.ID,
		PlanID: plan.ID, Owners: ownerIDs, Groups: groupIDs, Created: s.now().UTC()}
	for _, n := range nodes {
		rec.Endpoints = append(rec.Endpoints, VaultEndpoint{NodeID: n.ID, State: EndpointPending})
	}
	undo := func(cause error) (CreateVaultResult, error) {
		bg := context.WithoutCancel(ctx)
		if err := s.DeleteBucket(bg, in.Tenant, in.Name); err != nil {
			s.log.Error("vault creation: bucket not removed after a failure", "bucket", in.Name, "err", err)
		}
		_ = s.vaults.DropRecord(bg, in.Tenant, in.Name)
		return CreateVaultResult{}, cause
	}
	now, err := s.vaults.Bind(ctx, rec) // the plan as it is now: deleted meanwhile?
	if err != nil {
		return undo(err)
	}
	if now.WORM && (!plan.WORM || now.RetentionDays != plan.RetentionDays) {
		// The plan's WORM storage lock changed meanwhile: UpdatePlan may
		// not have seen this vault.
		if err := s.lockVault(ctx, b, now); err != nil {
			return undo(err)
		}
	}
	s.bucketChanged()

	var res CreateVaultResult
	keyed := map[int32]bool{}
	for _, u := range owners {
		keyed[u.ID] = true
		var nk NewKey
		created := true
		if in.RotateKeys {
			nk, err = s.RotateUserKeys(ctx, in.Tenant, u.Name)
		} else {
			nk, created, err = s.EnsureUserKey(ctx, in.Tenant, u.Name)
		}
		if err != nil {
			return undo(err)
		}
		if created {
			res.Keys = append(res.Keys, VaultKey{User: u, Key: nk, Rotated: in.RotateKeys})
		}
	}
	if in.RotateKeys {
		for _, g := range groups {
			for _, name := range g.Users {
				u, err := s.GetUser(ctx, in.Tenant, name)
				if errs.KindOf(err) == errs.NotFound || err == nil && keyed[u.ID] {
					continue
				} else if err != nil {
					return undo(err)
				}
				keyed[u.ID] = true
				nk, err := s.RotateUserKeys(ctx, in.Tenant, name)
				if err != nil {
					return undo(err)
				}
				res.Keys = append(res.Keys, VaultKey{User: u, Key: nk, Rotated: true})
			}
		}
	}
	if len(nodes) > 0 {
		var pairs []vaults.EndpointPair
		info := JobInfo{Clients: []int32{b.ID}, ClientName: in.Name}
		for _, n := range nodes {
			pairs = append(pairs, vaults.EndpointPair{Tenant: in.Tenant, Bucket: in.Name, UUID: b.UUID, Node: n.ID})
			info.Clients = append(info.Clients, n.ID)
		}
		j, err := s.vaults.SubmitEndpointJob(ctx, fmt.Sprintf("Configure the S3 endpoints of vault %s", in.Name), in.Tenant, info, pairs)
		if err != nil {
			return undo(err)
		}
		res.EndpointJob = &j
	}
	if res.Vault, err = s.GetVault(ctx, in.Tenant, b.ID); err != nil {
		return CreateVaultResult{}, err
	}
	return res, nil
}

// vaultBucket returns a tenant's bucket by id (ReasonVaultNotFound).
func (s *Service) vaultBucket(ctx context.Context, tenant string, id int32) (Bucket, error) {
	b, err := s.GetBucketByID(ctx, id)
	if errs.KindOf(err) == errs.NoSuchBucket || err == nil && b.Tenant != tenant {
		return Bucket{}, fail(errs.NotFound, ReasonVaultNotFound, "clientId", "Vault %d does not exist.", id)
	}
	return b, err
}

// vaultRecords returns the records of a tenant's vaults ("": every
// tenant's).
func (s *Service) vaultRecords(ctx context.Context, tenant string) ([]vaults.Record, error) {
	return s.vaults.Records(ctx, tenant)
}

// vaultPolicyBucket returns the bucket of a vault record when it is still
// the record's bucket (same UUID: not deleted and created again) and has a
// policy: the buckets whose role policy a rewrite (principals renamed, role
// upgraded) applies to. ok is false for any other bucket.
func (s *Service) vaultPolicyBucket(ctx context.Context, tenant string, r vaults.Record) (b Bucket, ok bool, err error) {
	info, err := s.obj.GetBucket(ctx, tenant, r.Bucket)
	if errs.KindOf(err) == errs.NoSuchBucket {
		return Bucket{}, false, nil
	} else if err != nil {
		return Bucket{}, false, err
	}
	if b, err = bucketFromInfo(info); err != nil {
		return Bucket{}, false, err
	}
	return b, b.UUID == r.BucketUUID && b.Policy != nil, nil
}

// vaultOf completes a bucket with its vault record.
func (s *Service) vaultOf(ctx context.Context, b Bucket) (Vault, error) {
	v := Vault{Bucket: b}
	rec, ok, err := s.vaults.Record(ctx, "get vault", b.Tenant, b.Name)
	if err != nil {
		return Vault{}, err
	}
	if !ok || rec.BucketUUID != b.UUID {
		return v, nil
	}
	v.PlanID = rec.PlanID
	if rec.PlanID != 0 {
		if p, err := s.GetPlan(ctx, rec.PlanID); err == nil {
			v.Plan = &p
		} else if errs.KindOf(err) != errs.NotFound {
			return Vault{}, err
		}
	}
	for _, id := range rec.Owners {
		if u, err := s.GetUserByID(ctx, id); err == nil && u.Tenant == b.Tenant {
			v.Owners = append(v.Owners, u)
		} else if err != nil && errs.KindOf(err) != errs.NotFound {
			return Vault{}, err
		}
	}
	for _, id := range rec.Groups {
		if g, err := s.GetGroupByID(ctx, id); err == nil && g.Tenant == b.Tenant {
			v.Groups = append(v.Groups, g)
		} else if err != nil && errs.KindOf(err) != errs.NotFound {
			return Vault{}, err
		}
	}
	for _, e := range rec.Endpoints {
		info := VaultEndpointInfo{VaultEndpoint: e}
		if n, err := s.GetNode(ctx, e.NodeID); err == nil {
			info.Node = n
		} else if errs.KindOf(err) != errs.NotFound {
			return Vault{}, err
		} else {
			info.Node = Node{ID: e.NodeID}
		}
		v.Endpoints = append(v.Endpoints, info)
	}
	return v, nil
}

// GetVault returns a tenant's vault by id (Commvault clientId;
// ReasonVaultNotFound).
func (s *Service) GetVault(ctx context.Context, tenant string, id int32) (Vault, error) {
	b, err := s.vaultBucket(ctx, tenant, id)
	if err != nil {
		return Vault{}, err
	}
	return s.vaultOf(ctx, b)
}

// ListVaults returns a tenant's vaults (every bucket) in name order.
func (s *Service) ListVaults(ctx context.Context, tenant string) ([]Vault, error) {
	bs, err := s.ListBuckets(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]Vault, 0, len(bs))
	for _, b := range bs {
		v, err := s.vaultOf(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bucket.Name < out[j].Bucket.Name })
	return out, nil
}

// UpgradeVaultRoles brings the S3 User role statements of every vault's
// policy to the current VaultRoleActions (vaults.UpgradeRole), so vaults
// created by an older version gain the actions added since. Upkeep runs
// it.
func (s *Service) UpgradeVaultRoles(ctx context.Context) error {
	recs, err := s.vaultRecords(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range recs {
		b, ok, err := s.vaultPolicyBucket(ctx, r.Tenant, r)
		if err != nil {
			return err
		} else if !ok {
			continue
		}
		if doc, changed := vaults.UpgradeRole(b.Policy); changed {
			if _, err := s.UpdateBucket(ctx, r.Tenant, r.Bucket, BucketPatch{Policy: &doc}); err != nil {
				return err
			}
		}
	}
	return nil
}
