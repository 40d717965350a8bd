package commvault

import (
	"net/http"
	"slices"
	"strings"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// Users are the default tenant's S3 users (the same ones the ONTAP dialect
// manages); userId is their int id. Their Commvault profile (email, full
// name, login password) is the core's UserProfile.

func idName(id int32, name string) map[string]any { return map[string]any{"id": id, "name": name} }

// tenantUser returns a user of the default tenant by id (404 otherwise).
func (h *Handler) tenantUser(rq *request, t core.Tenant, id int32) (core.User, error) {
	u, err := h.core.GetUserByID(rq.ctx, id)
	if errs.KindOf(err) == errs.NotFound || err == nil && u.Tenant != t.UUID {
		return core.User{}, errs.Field(errs.NotFound, "userId", "User %d does not exist.", id)
	}
	return u, err
}

// pathUser resolves the user the path names ({id} as userId) in the
// default tenant: the lookup every /user/{id} call starts with.
func (h *Handler) pathUser(rq *request) (core.Tenant, core.User, error) {
	id, err := rq.id(0, "userId")
	if err != nil {
		return core.Tenant{}, core.User{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return core.Tenant{}, core.User{}, err
	}
	u, err := h.tenantUser(rq, t, id)
	return t, u, err
}

// memberOf returns the groups a user is in.
func memberOf(groups []core.Group, user string) []core.Group {
	var out []core.Group
	for _, g := range groups {
		if slices.Contains(g.Users, user) {
			out = append(out, g)
		}
	}
	return out
}

// userShape renders one user for an API (the V4 userJSON, the legacy
// legacyUser) from the user, its profile and the groups it is in.
type userShape func(t core.Tenant, u core.User, p core.UserProfile, groups []core.Group) map[string]any

// renderUsers is the one user renderer of both APIs: the default tenant's
// users (or, with id, that one user, 404 if it is not the tenant's), each
// with its profile and groups, in shape.
func (h *Handler) renderUsers(rq *request, id *int32, shape userShape) ([]map[string]any, error) {
	t, err := h.tenant(rq)
	if err != nil {
		return nil, err
	}
	var users []core.User
	if id != nil {
		u, err := h.tenantUser(rq, t, *id)
		if err != nil {
			return nil, err
		}
		users = []core.User{u}
	} else if users, err = h.core.ListUsers(rq.ctx, t.UUID); err != nil {
		return nil, err
	}
	groups, err := h.core.ListGroups(rq.ctx, t.UUID)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, u := range users {
		p, err := h.core.GetUserProfile(rq.ctx, u.ID)
		if err != nil {
			return nil, err
		}
		list = append(list, shape(t, u, p, memberOf(groups, u.Name)))
	}
	return list, nil
}

// userJSON is a user as the V4 API shows it (GET /V4/user, /V4/user/{id}).
func (h *Handler) userJSON(t core.Tenant, u core.User, p core.UserProfile, groups []core.Group) map[string]any {
	var ug []map[string]any
	for _, g := range groups {
		ug = append(ug, idName(g.ID, g.Name))
	}
	return map[string]any{
		"id": u.ID, "userId": u.ID, "name": u.Name, "GUID": u.UUID, "email": p.Email, "fullName": p.FullName,
		"userPrincipalName": u.Name, "enabled": !u.Disabled, "hasUsableKey": u.Enabled(h.now()), "description": u.Comment,
		"company":              idName(t.ID, t.Name),
		"associatedUserGroups": nonNil(ug),
		"authenticationMethod": "LOCAL",
		"hasPassword":          p.HasPassword,
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// listUsers is GET /V4/user.
func (h *Handler) listUsers(rq *request) (response, error) {
	list, err := h.renderUsers(rq, nil, h.userJSON)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"users": list, "numberOfUsers": len(list)}), nil
}

// selfOrAdmin refuses a user acting on another user.
func selfOrAdmin(rq *request, id int32) error {
	if rq.sess.Kind != core.SessionAdmin && rq.sess.UserID != id {
		return errForbidden("Users may only act on themselves.")
	}
	return nil
}

// renderPathUser renders the user the path names ({id} as userId) in
// shape, for the caller itself or an administrator.
func (h *Handler) renderPathUser(rq *request, shape userShape) (map[string]any, error) {
	id, err := rq.id(0, "userId")
	if err != nil {
		return nil, err
	}
	if err := selfOrAdmin(rq, id); err != nil {
		return nil, err
	}
	list, err := h.renderUsers(rq, &id, shape)
	if err != nil {
		return nil, err
	}
	return list[0], nil
}

// getUser is GET /V4/user/{id}.
func (h *Handler) getUser(rq *request) (response, error) {
	u, err := h.renderPathUser(rq, h.userJSON)
	if err != nil {
		return response{}, err
	}
	return ok(u), nil
}

type createUserBody struct {
	Users []struct {
		Name     *string `json:"name"`
		Email    *string `json:"email"`
		FullName *string `json:"fullName"`
		Password *string `json:"password"`
	} `json:"users"`
}

// createUser is POST /V4/user: {"users": [{name, email, fullName,
// password (base64)}]} → {"users": [{id, name, GUID}]}. Each user gets an
// S3 key pair (its secret is shown by a later PUT .../S3AccessKey).
func (h *Handler) createUser(rq *request) (response, error) {
	var in createUserBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	if len(in.Users) == 0 {
		return response{}, errBadInput("users", "users must list at least one user.")
	}
	type one struct {
		name string
		p    core.ProfileInput
	}
	var todo []one
	for i, u := range in.Users {
		if u.Name == nil || *u.Name == "" {
			return response{}, errBadInput("users.name", "users[%d].name is required.", i)
		}
		o := one{name: *u.Name, p: core.ProfileInput{Email: u.Email, FullName: u.FullName}}
		if u.Password != nil && *u.Password != "" {
			pw, err := decodePassword("users.password", *u.Password)
			if err != nil {
				return response{}, err
			}
			o.p.Password = &pw
		}
		todo = append(todo, o)
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	var out []map[string]any
	for _, o := range todo {
		u, _, _, err := h.core.CreateUserWithProfile(rq.ctx, core.CreateUserInput{Tenant: t.UUID, Name: o.name}, o.p)
		if err != nil {
			return response{}, err
		}
		out = append(out, map[string]any{"id": u.ID, "name": u.Name, "GUID": u.UUID})
	}
	return ok(map[string]any{"users": out}), nil
}

// deleteUser is DELETE /V4/user/{id}: the user, its keys and its sessions.
func (h *Handler) deleteUser(rq *request) (response, error) {
	t, u, err := h.pathUser(rq)
	if err != nil {
		return response{}, err
	}
	if err := h.core.DeleteUser(rq.ctx, t.UUID, u.Name); err != nil {
		return response{}, err
	}
	if err := h.core.EndUserSessions(rq.ctx, u.ID); err != nil {
		return response{}, err
	}
	return genericOK(""), nil
}

// --- S3 access keys --------------------------------------------------------

// keyResponse renders a key; response.errorCode is 200 on success, the
// value Commvault's own MCP server checks for.
func keyResponse(u core.User, ak, sk string, status core.KeyStatus, msg string) response {
	out := map[string]any{
		"response":    map[string]any{"errorCode": http.StatusOK, "errorMessage": msg},
		"accessKeyID": ak, "userId": u.ID, "userName": u.Name, "status": string(status),
	}
	if sk != "" {
		out["secretAccessKey"] = sk
	}
	return ok(out)
}

// keyUser resolves the user a key call is about: the caller itself, or
// the path's user (administrators: anyone; users: only themselves).
func (h *Handler) keyUser(rq *request, self bool) (core.User, error) {
	t, err := h.tenant(rq)
	if err != nil {
		return core.User{}, err
	}
	if self {
		return h.selfUser(rq)
	}
	id, err := rq.id(0, "userId")
	if err != nil {
		return core.User{}, err
	}
	if err := selfOrAdmin(rq, id); err != nil {
		return core.User{}, err
	}
	return h.tenantUser(rq, t, id)
}

func (h *Handler) getKey(rq *request, self bool) (response, error) {
	u, err := h.keyUser(rq, self)
	if err != nil {
		return response{}, err
	}
	k, found := h.core.PrimaryKey(u)
	if !found {
		return response{}, errs.Field(errs.NotFound, "accessKeyID",
			"User %q has no S3 access key: rotate it (PUT) to create one.", u.Name)
	}
	return keyResponse(u, k.AccessKey, "", k.Status,
		"The secret access key is shown only when the key is created or rotated."), nil
}

func (h *Handler) rotateKey(rq *request, self bool) (response, error) {
	u, err := h.keyUser(rq, self)
	if err != nil {
		return response{}, err
	}
	nk, err := h.core.RotateUserKeys(rq.ctx, u.Tenant, u.Name)
	if err != nil {
		return response{}, err
	}
	return keyResponse(u, nk.AccessKey, nk.SecretKey, core.KeyActive, "The S3 access key was rotated."), nil
}

// getOwnKey is GET /V4/User/S3AccessKey: the caller's access key id (never
// the secret).
func (h *Handler) getOwnKey(rq *request) (response, error) { return h.getKey(rq, true) }

// rotateOwnKey is PUT /V4/User/S3AccessKey: a new pair for the caller,
// shown once; the old keys fail at once.
func (h *Handler) rotateOwnKey(rq *request) (response, error) { return h.rotateKey(rq, true) }

// getUserKey is GET /V4/User/{id}/S3AccessKey.
func (h *Handler) getUserKey(rq *request) (response, error) { return h.getKey(rq, false) }

// rotateUserKey is PUT /V4/User/{id}/S3AccessKey.
func (h *Handler) rotateUserKey(rq *request) (response, error) { return h.rotateKey(rq, false) }

// --- user groups -----------------------------------------------------------

// tenantGroup returns a group of the default tenant by id (404 otherwise).
func (h *Handler) tenantGroup(rq *request, t core.Tenant, id int32) (core.Group, error) {
	g, err := h.core.GetGroup(rq.ctx, t.UUID, id)
	if errs.KindOf(err) == errs.NotFound {
		return core.Group{}, errs.Field(errs.NotFound, "userGroupId", "User group %d does not exist.", id)
	}
	return g, err
}

// pathGroup resolves the group the path names ({id} as userGroupId) in
// the default tenant: the lookup every /UserGroup/{id} call starts with.
func (h *Handler) pathGroup(rq *request) (core.Tenant, core.Group, error) {
	id, err := rq.id(0, "userGroupId")
	if err != nil {
		return core.Tenant{}, core.Group{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return core.Tenant{}, core.Group{}, err
	}
	g, err := h.tenantGroup(rq, t, id)
	return t, g, err
}

// groupMembers returns the users of a group that still exist (a member
// deleted meanwhile is left out, not an error), for both APIs' shapes.
func (h *Handler) groupMembers(rq *request, t core.Tenant, g core.Group) []core.User {
	var users []core.User
	for _, name := range g.Users {
		if u, err := h.core.GetUser(rq.ctx, t.UUID, name); err == nil {
			users = append(users, u)
		}
	}
	return users
}

// groupShape renders one group for an API (the V4 groupJSON, the legacy
// legacyGroup).
type groupShape func(rq *request, t core.Tenant, g core.Group) map[string]any

// renderGroups renders every group of the default tenant in shape, for
// both APIs' group lists.
func (h *Handler) renderGroups(rq *request, shape groupShape) ([]map[string]any, error) {
	t, err := h.tenant(rq)
	if err != nil {
		return nil, err
	}
	groups, err := h.core.ListGroups(rq.ctx, t.UUID)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, g := range groups {
		list = append(list, shape(rq, t, g))
	}
	return list, nil
}

// groupJSON is a group as the V4 API shows it, with its members.
func (h *Handler) groupJSON(rq *request, t core.Tenant, g core.Group) map[string]any {
	users := []map[string]any{}
	for _, u := range h.groupMembers(rq, t, g) {
		users = append(users, idName(u.ID, u.Name))
	}
	return map[string]any{"id": g.ID, "userGroupId": g.ID, "name": g.Name, "description": g.Comment,
		"GUID": g.UUID, "company": idName(t.ID, t.Name), "enabled": true, "users": users}
}

// listGroups is GET /V4/UserGroup.
func (h *Handler) listGroups(rq *request) (response, error) {
	list, err := h.renderGroups(rq, h.groupJSON)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"userGroups": list}), nil
}

// getGroup is GET /V4/UserGroup/{id}.
func (h *Handler) getGroup(rq *request) (response, error) {
	t, g, err := h.pathGroup(rq)
	if err != nil {
		return response{}, err
	}
	return ok(h.groupJSON(rq, t, g)), nil
}

type userRef struct {
	ID   *int64  `json:"id"`
	Name *string `json:"name"`
}

type groupBody struct {
	Name              *string   `json:"name"`
	NewName           *string   `json:"newName"`
	Description       *string   `json:"description"`
	Users             []userRef `json:"users"`
	UserOperationType *string   `json:"userOperationType"`
}

// userNames resolves {id} or {name} references to the tenant's user names.
func (h *Handler) userNames(rq *request, t core.Tenant, refs []userRef) ([]string, error) {
	var out []string
	for i, r := range refs {
		id, err := ref32(r.ID, "users.id")
		if err != nil {
			return nil, err
		}
		switch {
		case id != 0:
			u, err := h.tenantUser(rq, t, id)
			if err != nil {
				return nil, err
			}
			out = append(out, u.Name)
		case r.Name != nil && *r.Name != "":
			u, err := h.core.GetUser(rq.ctx, t.UUID, *r.Name)
			if errs.KindOf(err) == errs.NotFound {
				return nil, errs.Field(errs.NotFound, "users.name", "User %q does not exist.", *r.Name)
			} else if err != nil {
				return nil, err
			}
			out = append(out, u.Name)
		default:
			return nil, errBadInput("users", "users[%d] needs an id or a name.", i)
		}
	}
	return out, nil
}

// createGroup is POST /V4/UserGroup: {name, description, users: [{id} or
// {name}]} → {id, name}. A group needs at least one user (a core rule).
func (h *Handler) createGroup(rq *request) (response, error) {
	var in groupBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	if in.Name == nil || *in.Name == "" {
		return response{}, errBadInput("name", "name is required.")
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	users, err := h.userNames(rq, t, in.Users)
	if err != nil {
		return response{}, err
	}
	g, err := h.core.CreateGroup(rq.ctx, core.CreateGroupInput{Tenant: t.UUID, Name: *in.Name,
		Comment: deref(in.Description), Users: users})
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"id": g.ID, "name": g.Name}), nil
}

// updateGroup is PUT /V4/UserGroup/{id}: {newName, description, users,
// userOperationType: ADD (default) | DELETE | OVERWRITE}.
func (h *Handler) updateGroup(rq *request) (response, error) {
	id, err := rq.id(0, "userGroupId")
	if err != nil {
		return response{}, err
	}
	var in groupBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	g, err := h.tenantGroup(rq, t, id)
	if err != nil {
		return response{}, err
	}
	p := core.GroupPatch{Name: in.NewName, Comment: in.Description}
	if in.Users != nil {
		names, err := h.userNames(rq, t, in.Users)
		if err != nil {
			return response{}, err
		}
		users := slices.Clone(g.Users)
		switch op := strings.ToUpper(deref(in.UserOperationType)); op {
		case "", "ADD":
			for _, n := range names {
				if !slices.Contains(users, n) {
					users = append(users, n)
				}
			}
		case "DELETE":
			users = slices.DeleteFunc(users, func(n string) bool { return slices.Contains(names, n) })
		case "OVERWRITE":
			users = names
		default:
			return response{}, errBadInput("userOperationType", "userOperationType must be ADD, DELETE or OVERWRITE.")
		}
		p.Users = &users
	}
	if _, err := h.core.UpdateGroup(rq.ctx, t.UUID, id, p); err != nil {
		return response{}, err
	}
	return genericOK(""), nil
}

// deleteGroup is DELETE /V4/UserGroup/{id}.
func (h *Handler) deleteGroup(rq *request) (response, error) {
	t, g, err := h.pathGroup(rq)
	if err != nil {
		return response{}, err
	}
	if err := h.core.DeleteGroup(rq.ctx, t.UUID, g.ID); err != nil {
		return response{}, err
	}
	return genericOK(""), nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// selfUser is the user the caller is: a user session's user, or, for an
// administrator, the user that stands for its account (core.AdminUser,
// created at its first need).
func (h *Handler) selfUser(rq *request) (core.User, error) {
	t, err := h.tenant(rq)
	if err != nil {
		return core.User{}, err
	}
	if rq.sess.Kind == core.SessionAdmin {
		return h.core.AdminUser(rq.ctx, t.UUID, rq.sess.Name)
	}
	return h.tenantUser(rq, t, rq.sess.UserID)
}
