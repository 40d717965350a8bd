package core

import (
	"context"
	"slices"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/policy"
	"coffer/internal/uuid"
)

// Group is a set of S3 users of one tenant and the policies that apply to
// them (ONTAP S3 group; Commvault user group).
type Group struct {
	Schema int `json:"_v"`
	// ID is the int id: ONTAP's group id and Commvault's userGroupId. It is
	// unique across tenants.
	ID int32 `json:"id"`
	// UUID identifies the group too (for faces that want one).
	UUID   string `json:"uuid"`
	Tenant string `json:"tenant"`
	// Name is unique in its tenant: 1..128 characters of [0-9A-Za-z_+=,.@-].
	Name    string `json:"name"`
	Comment string `json:"comment,omitempty"`
	// Users are user names of the tenant.
	Users []string `json:"users,omitempty"`
	// Policies are policy names of the tenant (built-ins included); "*"
	// attaches every user-defined policy of the tenant (built-ins only by
	// name: "*" must not drag NoS3Access in).
	Policies []string  `json:"policies,omitempty"`
	Created  time.Time `json:"created"`
}

const groupSchema = 1

// CreateGroupInput creates a group (ONTAP POST .../groups).
type CreateGroupInput struct {
	Tenant   string
	Name     string
	Comment  string
	Users    []string
	Policies []string
}

// GroupPatch changes a group; nil fields stay, lists replace.
type GroupPatch struct {
	Name     *string
	Comment  *string
	Users    *[]string
	Policies *[]string
}

func validateGroupName(name string) error {
	if len(name) < 1 || len(name) > 128 {
		return fail(errs.InvalidArgument, ReasonGroupNameLength, "name", "Group names must have between 1 and 128 characters.")
	}
	if !nameChars(name) {
		return fail(errs.InvalidArgument, ReasonGroupNameChars, "name",
			"The group name contains invalid characters. Valid characters are 0-9, A-Z, a-z, \"_\", \"+\", \"=\", \",\", \".\", \"@\", and \"-\".")
	}
	return nil
}

func getGroup(tx kv.Reader, tenant string, id int32) (Group, error) {
	var g Group
	ok, err := kv.GetJSON(tx, key32('g', id), &g)
	if err != nil {
		return g, err
	}
	if !ok || tenant != "" && g.Tenant != tenant {
		return Group{}, fail(errs.NotFound, ReasonGroupNotFound, "id", "entry doesn't exist")
	}
	return g, nil
}

func putGroup(tx kv.Txn, g *Group) error {
	g.Schema = groupSchema
	if err := kv.SetJSON(tx, key32('g', g.ID), g); err != nil {
		return err
	}
	return kv.SetJSON(tx, key('h', g.Tenant, g.Name), g.ID)
}

func deleteGroupTx(tx kv.Txn, g *Group) error {
	if err := tx.Delete(key32('g', g.ID)); err != nil {
		return err
	}
	return tx.Delete(key('h', g.Tenant, g.Name))
}

// tenantGroups returns a tenant's groups in name order.
func tenantGroups(tx kv.Reader, tenant string) ([]Group, error) {
	var ids []int32
	if err := scan(tx, key('h', tenant, ""), func(_, raw []byte) error {
		var id int32
		if err := jsonUnmarshal(raw, &id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(ids))
	for _, id := range ids {
		g, err := getGroup(tx, tenant, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// checkMembers applies the rules on a group's user and policy lists.
func (s *Service) checkMembers(tx kv.Reader, tenant string, users, policies []string) error {
	if len(users) == 0 {
		return fail(errs.InvalidArgument, ReasonGroupUsersEmpty, "users", "A group must have at least one user.")
	}
	seen := map[string]bool{}
	for _, name := range users {
		if name == "*" {
			return fail(errs.InvalidArgument, ReasonGroupUserWildcard, "users", "\"*\" is not a valid user name in a group.")
		}
		if seen[name] {
			return fail(errs.InvalidArgument, ReasonGroupUserDuplicate, "users", "User %q is listed more than once.", name)
		}
		seen[name] = true
		u, ok, err := getUser(tx, tenant, name)
		if err != nil {
			return err
		}
		if !ok {
			return fail(errs.InvalidArgument, ReasonGroupUserNotFound, "users", "User %q does not exist.", name)
		}
		if !u.Enabled(s.now()) {
			return fail(errs.InvalidArgument, ReasonGroupUserDisabled, "users",
				"User %q is disabled (it has no keys) and cannot be added to a group.", name)
		}
	}
	for _, p := range policies {
		if p == "*" {
			continue
		}
		if _, ok, err := lookupPolicy(tx, tenant, p); err != nil {
			return err
		} else if !ok {
			return fail(errs.InvalidArgument, ReasonGroupPolicyNotFound, "policies", "Policy %q does not exist.", p)
		}
	}
	return nil
}

// CreateGroup creates a group. Errors: ReasonNotDataTenant,
// ReasonNoS3Service, name (ReasonGroupNameLength, ReasonGroupNameChars),
// comment, ReasonGroupExists, users (ReasonGroupUsersEmpty,
// ReasonGroupUserWildcard, ReasonGroupUserDuplicate,
// ReasonGroupUserNotFound, ReasonGroupUserDisabled), policies
// (ReasonGroupPolicyNotFound).
func (s *Service) CreateGroup(ctx context.Context, in CreateGroupInput) (Group, error) {
	var g Group
	err := s.update(ctx, "create group", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, in.Tenant); err != nil {
			return err
		}
		if err := validateGroupName(in.Name); err != nil {
			return err
		}
		if err := checkComment(in.Comment, 256); err != nil {
			return err
		}
		if ok, err := kv.GetJSON(tx, key('h', in.Tenant, in.Name), new(int32)); err != nil {
			return err
		} else if ok {
			return fail(errs.AlreadyExists, ReasonGroupExists, "name", "A group named %q already exists.", in.Name)
		}
		if err := s.checkMembers(tx, in.Tenant, in.Users, in.Policies); err != nil {
			return err
		}
		id, err := nextID32(tx, "group")
		if err != nil {
			return err
		}
		g = Group{ID: id, UUID: uuid.New(), Tenant: in.Tenant, Name: in.Name, Comment: in.Comment,
			Users: append([]string{}, in.Users...), Policies: append([]string{}, in.Policies...),
			Created: s.now().UTC()}
		return putGroup(tx, &g)
	})
	if err != nil {
		return Group{}, err
	}
	s.identChanged()
	return g, nil
}

// GetGroup returns a tenant's group by id (ONTAP .../groups/{id}).
func (s *Service) GetGroup(ctx context.Context, tenant string, id int32) (Group, error) {
	var g Group
	err := s.view(ctx, "get group", func(tx kv.Reader) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		var err error
		g, err = getGroup(tx, tenant, id)
		return err
	})
	return g, err
}

// GetGroupByID returns a group of any tenant by id (Commvault userGroupId).
func (s *Service) GetGroupByID(ctx context.Context, id int32) (Group, error) {
	var g Group
	err := s.view(ctx, "get group", func(tx kv.Reader) error {
		var err error
		g, err = getGroup(tx, "", id)
		return err
	})
	return g, err
}

// ListGroups returns a tenant's groups in name order.
func (s *Service) ListGroups(ctx context.Context, tenant string) ([]Group, error) {
	var out []Group
	err := s.view(ctx, "list groups", func(tx kv.Reader) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		var err error
		out, err = tenantGroups(tx, tenant)
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// UpdateGroup changes a group; lists replace the old ones and follow the
// CreateGroup rules (an empty Users list: ReasonGroupUsersEmpty).
func (s *Service) UpdateGroup(ctx context.Context, tenant string, id int32, p GroupPatch) (Group, error) {
	var g Group
	var oldName string
	err := s.update(ctx, "update group", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		var err error
		if g, err = getGroup(tx, tenant, id); err != nil {
			return err
		}
		oldName = g.Name
		if p.Name != nil && *p.Name != g.Name {
			if err := validateGroupName(*p.Name); err != nil {
				return err
			}
			if ok, err := kv.GetJSON(tx, key('h', tenant, *p.Name), new(int32)); err != nil {
				return err
			} else if ok {
				return fail(errs.AlreadyExists, ReasonGroupExists, "name", "A group named %q already exists.", *p.Name)
			}
			if err := tx.Delete(key('h', tenant, g.Name)); err != nil {
				return err
			}
			g.Name = *p.Name
		}
		if p.Comment != nil {
			if err := checkComment(*p.Comment, 256); err != nil {
				return err
			}
			g.Comment = *p.Comment
		}
		users, policies := g.Users, g.Policies
		if p.Users != nil {
			users = append([]string{}, (*p.Users)...)
		}
		if p.Policies != nil {
			policies = append([]string{}, (*p.Policies)...)
		}
		if p.Users != nil || p.Policies != nil {
			if err := s.checkMembers(tx, tenant, users, policies); err != nil {
				return err
			}
		}
		g.Users, g.Policies = users, policies
		return putGroup(tx, &g)
	})
	if err != nil {
		return Group{}, err
	}
	s.identChanged()
	if g.Name != oldName {
		if err := s.vaultPrincipalChanged(ctx, tenant, 0, g.ID, "group/"+oldName, "group/"+g.Name); err != nil {
			return g, err
		}
	}
	return g, nil
}

// vaultPrincipalChanged renames principal from to to (to "" removes it) in
// the role policy of the tenant's vaults whose record has the user
// (owner) or group id, so the role follows the user or group the vault
// lists and not a name another user or group may take later. A statement
// left without principals is dropped (no principals would mean every
// user).
func (s *Service) vaultPrincipalChanged(ctx context.Context, tenant string, owner, group int32, from, to string) error {
	recs, err := s.vaultRecords(ctx, tenant)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if !(owner != 0 && slices.Contains(r.Owners, owner) || group != 0 && slices.Contains(r.Groups, group)) {
			continue
		}
		b, ok, err := s.vaultPolicyBucket(ctx, tenant, r)
		if err != nil {
			return err
		} else if !ok {
			continue
		}
		doc := policy.Document{Version: b.Policy.Version, ID: b.Policy.ID}
		changed := false
		for _, st := range b.Policy.Statements {
			if st.Principals != nil {
				var ps []string
				for _, p := range st.Principals {
					switch {
					case p != from:
						ps = append(ps, p)
					case to != "":
						ps, changed = append(ps, to), true
					default:
						changed = true
					}
				}
				if len(ps) == 0 {
					continue
				}
				st.Principals = ps
			}
			doc.Statements = append(doc.Statements, st)
		}
		if changed {
			if _, err := s.UpdateBucket(ctx, tenant, r.Bucket, BucketPatch{Policy: &doc}); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteGroup deletes a group; its users lose the group's policies at once.
func (s *Service) DeleteGroup(ctx context.Context, tenant string, id int32) error {
	var g Group
	err := s.update(ctx, "delete group", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, tenant); err != nil {
			return err
		}
		var err error
		if g, err = getGroup(tx, tenant, id); err != nil {
			return err
		}
		return deleteGroupTx(tx, &g)
	})
	if err != nil {
		return err
	}
	s.identChanged()
	return s.vaultPrincipalChanged(ctx, tenant, 0, id, "group/"+g.Name, "")
}
