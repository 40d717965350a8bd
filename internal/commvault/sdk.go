package commvault

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strings"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// The calls of Commvault's older ("legacy") REST API that Commvault's
// Python SDK (cvpysdk) makes when it connects and when it lists users,
// groups, plans, clients, storage pools and jobs. Each handler names the
// SDK function that calls it and answers every field that function reads
// without a default (a missing one is a KeyError in the SDK); the replay
// test (sdk_replay_test.go) holds the same table.

// probe is GET /commandcenter/api/ (and /webconsole/api/): cvpysdk's
// _is_valid_service (cvpysdk.py) sends it without a token and accepts the
// service only on HTTP 200.
func (h *Handler) probe(rq *request) (response, error) {
	return ok(map[string]any{"serviceName": "Coffer Commvault API", "version": h.opts.Version, "errorCode": 0}), nil
}

// utcZone is the time zone Coffer reports: its times are UTC epochs.
const utcZone = "(UTC) Coordinated Universal Time"

// commServ is GET /CommServ (commcell.py _get_commserv_details): hostName,
// commcell.{commCellName, commCellId, csGUID}, csTimeZone.TimeZoneName,
// currentSPVersion, timeZone (a string the SDK searches for "(") and
// csVersionInfo (a string).
func (h *Handler) commServ(rq *request) (response, error) {
	c, err := h.core.Cluster(rq.ctx)
	if err != nil {
		return response{}, err
	}
	version := h.opts.Version
	if version == "" {
		version = "0"
	}
	return ok(map[string]any{
		"hostName": h.opts.NodeName,
		"commcell": map[string]any{"commCellName": c.Name, "commCellId": 2, "csGUID": c.UUID,
			"isGlobalCommcell": false},
		"csTimeZone":       map[string]any{"TimeZoneName": utcZone, "TimeZoneID": 0},
		"timeZone":         "0:-1:" + utcZone,
		"currentSPVersion": 36,
		"csVersionInfo":    "11.36.0",
		"releaseName":      "Coffer " + version,
		"version":          version,
	}), nil
}

// whoamiPost is POST /WhoAmI (cvpysdk.py who_am_i): JSON with errorCode 0
// and user.userName.
func (h *Handler) whoamiPost(rq *request) (response, error) {
	u, err := h.whoUser(rq)
	if err != nil {
		return response{}, err
	}
	u["errorCode"] = 0
	return ok(map[string]any{"user": u, "errorCode": 0}), nil
}

// whoUser is the caller as WhoAmI shows it: userName, userId (the
// administrator's user too, core.AdminUser), GUID, administrator.
func (h *Handler) whoUser(rq *request) (map[string]any, error) {
	u := map[string]any{"userName": rq.sess.Name, "administrator": rq.sess.Kind == core.SessionAdmin}
	su, err := h.selfUser(rq)
	if err != nil {
		return nil, err
	}
	u["userId"], u["userGUID"], u["GUID"] = su.ID, su.UUID, su.UUID
	return u, nil
}

// renewLoginToken is POST /RenewLoginToken {sessionId, deviceId}
// (cvpysdk.py _renew_login_token, called on any 401): a still-valid token
// is traded for a new one (token); otherwise the answer is 200 with
// error.errLogMessage, which the SDK reports. It needs no session (the
// SDK sends its expired token; a 401 here would make it retry forever).
func (h *Handler) renewLoginToken(rq *request) (response, error) {
	var in struct {
		SessionID string `json:"sessionId"`
	}
	if err := rq.decode(&in, true); err != nil {
		return response{}, err
	}
	t := in.SessionID
	if len(t) >= len(tokenPrefix) && strings.EqualFold(t[:len(tokenPrefix)], tokenPrefix) {
		t = strings.TrimSpace(t[len(tokenPrefix):])
	}
	fail := ok(map[string]any{"error": map[string]any{"errorCode": int(codeInvalidUser),
		"errLogMessage": "The session has ended: log in again."}})
	sess, err := h.core.ResumeSession(rq.ctx, t)
	if errs.KindOf(err) == errs.Unauthenticated || err == nil && sess.TokenID != 0 {
		return fail, nil // access tokens renew with their refresh token
	} else if err != nil {
		return response{}, err
	}
	nt, err := h.core.ReissueSession(rq.ctx, t)
	if errs.KindOf(err) == errs.Unauthenticated {
		return fail, nil
	} else if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"token": tokenPrefix + nt, "userName": sess.Name}), nil
}

// --- users and groups, the legacy shapes ----------------------------------

// legacyUser is a user as GET /User and GET /User/{id} show it
// (security/user.py Users._get_users: users[].userEntity.{userName,
// userId}; User._get_user_properties: enableUser, email, description,
// associatedUserGroups[].userGroupName, all optional).
func legacyUser(_ core.Tenant, u core.User, p core.UserProfile, groups []core.Group) map[string]any {
	ug := []map[string]any{}
	for _, g := range groups {
		ug = append(ug, map[string]any{"userGroupName": g.Name, "userGroupId": g.ID})
	}
	return map[string]any{
		"userEntity":           map[string]any{"userName": u.Name, "userId": u.ID, "userGUID": u.UUID},
		"enableUser":           !u.Disabled,
		"email":                p.Email,
		"fullName":             p.FullName,
		"description":          u.Comment,
		"UPN":                  u.Name,
		"associatedUserGroups": ug,
		"numDevices":           0,
		"agePasswordDays":      0,
		"securityAssociations": map[string]any{"associations": []any{}},
	}
}

// legacyUsers is GET /User: {users: [...]}.
func (h *Handler) legacyUsers(rq *request) (response, error) {
	list, err := h.renderUsers(rq, nil, legacyUser)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"users": list}), nil
}

// legacyGetUser is GET /User/{id}[?Level=50]: {users: [one]}.
func (h *Handler) legacyGetUser(rq *request) (response, error) {
	u, err := h.renderPathUser(rq, legacyUser)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"users": []any{u}}), nil
}

// legacyResponse is the older APIs' result list: {response: [{errorCode,
// errorString, entity}]} (user.py _process_add_or_delete_response reads
// response[0].errorCode and errorString).
func legacyResponse(entity map[string]any) response {
	r := map[string]any{"errorCode": 0, "errorString": "", "errorMessage": ""}
	if entity != nil {
		r["entity"] = entity
	}
	return ok(map[string]any{"response": []any{r}})
}

type legacyUserBody struct {
	Users []legacyUserIn `json:"users"`
}

// legacyUserIn is the one user of a legacy POST /User or /User/{id} body.
type legacyUserIn struct {
	Password       *string `json:"password"`
	Email          *string `json:"email"`
	FullName       *string `json:"fullName"`
	Description    *string `json:"description"`
	EnableUser     *bool   `json:"enableUser"`
	SystemGenerate *bool   `json:"systemGeneratePassword"`
	UserEntity     *struct {
		UserName *string `json:"userName"`
	} `json:"userEntity"`
	AssociatedUserGroups []struct {
		UserGroupName *string `json:"userGroupName"`
		UserGroupID   *int64  `json:"userGroupId"`
	} `json:"associatedUserGroups"`
}

// decodeLegacyUser decodes a legacy user body, which holds exactly one
// user.
func (rq *request) decodeLegacyUser() (legacyUserIn, error) {
	var in legacyUserBody
	if err := rq.decode(&in, false); err != nil {
		return legacyUserIn{}, err
	}
	if len(in.Users) != 1 {
		return legacyUserIn{}, errBadInput("users", "users must hold exactly one user.")
	}
	return in.Users[0], nil
}

// legacyCreateUser is POST /User (user.py Users.add): {users: [{userEntity:
// {userName}, email, fullName, password (base64, "" with
// systemGeneratePassword: no password), associatedUserGroups:
// [{userGroupName}]}]} → {response: [{errorCode: 0, entity: {userName,
// userId}}]}. The user joins the groups named.
func (h *Handler) legacyCreateUser(rq *request) (response, error) {
	u0, err := rq.decodeLegacyUser()
	if err != nil {
		return response{}, err
	}
	if u0.UserEntity == nil || deref(u0.UserEntity.UserName) == "" {
		return response{}, errBadInput("users.userEntity.userName", "users[0].userEntity.userName is required.")
	}
	name := deref(u0.UserEntity.UserName)
	if strings.Contains(name, "\\") {
		return response{}, errs.New(errs.NotImplemented, "Domain users are not supported.")
	}
	p := core.ProfileInput{Email: u0.Email, FullName: u0.FullName}
	if pw := deref(u0.Password); pw != "" {
		clear, err := decodePassword("users.password", pw)
		if err != nil {
			return response{}, err
		}
		p.Password = &clear
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	var groups []core.Group
	for i, g := range u0.AssociatedUserGroups {
		id, err := ref32(g.UserGroupID, "associatedUserGroups.userGroupId")
		if err != nil {
			return response{}, err
		}
		if id == 0 && deref(g.UserGroupName) == "" {
			continue // the SDK sends [{}] for no group
		}
		grp, err := h.groupRef(rq, t, id, deref(g.UserGroupName), i)
		if err != nil {
			return response{}, err
		}
		groups = append(groups, grp)
	}
	u, _, _, err := h.core.CreateUserWithProfile(rq.ctx, core.CreateUserInput{Tenant: t.UUID, Name: name,
		Comment: deref(u0.Description)}, p)
	if err != nil {
		return response{}, err
	}
	for _, g := range groups {
		users := append(append([]string{}, g.Users...), u.Name)
		if _, err := h.core.UpdateGroup(rq.ctx, t.UUID, g.ID, core.GroupPatch{Users: &users}); err != nil {
			return response{}, err
		}
	}
	return legacyResponse(map[string]any{"userName": u.Name, "userId": u.ID}), nil
}

// groupRef resolves a group by id or name.
func (h *Handler) groupRef(rq *request, t core.Tenant, id int32, name string, i int) (core.Group, error) {
	if id != 0 {
		return h.tenantGroup(rq, t, id)
	}
	groups, err := h.core.ListGroups(rq.ctx, t.UUID)
	if err != nil {
		return core.Group{}, err
	}
	for _, g := range groups {
		if strings.EqualFold(g.Name, name) {
			return g, nil
		}
	}
	return core.Group{}, errs.Field(errs.NotFound, "associatedUserGroups", "User group %q does not exist.", name)
}

// legacyUpdateUser is POST /User/{id} (user.py User._update_user_props
// and User.status): {users: [{enableUser, email, fullName, description,
// password}]} → {response: [{errorCode: 0, errorString}]}.
func (h *Handler) legacyUpdateUser(rq *request) (response, error) {
	id, err := rq.id(0, "userId")
	if err != nil {
		return response{}, err
	}
	u0, err := rq.decodeLegacyUser()
	if err != nil {
		return response{}, err
	}
	if rq.sess.Kind != core.SessionAdmin && (u0.EnableUser != nil || u0.Description != nil) {
		return response{}, errForbidden("Only an administrator may enable, disable or describe users.")
	}
	if err := selfOrAdmin(rq, id); err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	u, err := h.tenantUser(rq, t, id)
	if err != nil {
		return response{}, err
	}
	p := core.ProfileInput{Email: u0.Email, FullName: u0.FullName}
	if pw := deref(u0.Password); pw != "" {
		clear, err := decodePassword("users.password", pw)
		if err != nil {
			return response{}, err
		}
		p.Password = &clear
	}
	if p.Email != nil || p.FullName != nil || p.Password != nil {
		if _, err := h.core.SetUserProfile(rq.ctx, u.ID, p); err != nil {
			return response{}, err
		}
		if p.Password != nil {
			if err := h.core.EndUserSessions(rq.ctx, u.ID); err != nil {
				return response{}, err
			}
		}
	}
	if u0.Description != nil {
		if _, err := h.core.UpdateUser(rq.ctx, t.UUID, u.Name, core.UserPatch{Comment: u0.Description}); err != nil {
			return response{}, err
		}
	}
	if u0.EnableUser != nil {
		if _, err := h.core.SetUserEnabled(rq.ctx, t.UUID, u.Name, *u0.EnableUser); err != nil {
			return response{}, err
		}
	}
	return legacyResponse(nil), nil
}

// legacyDeleteUser is DELETE /User/{id}?newUserId=&newUserGroupId= (user.py
// Users.delete): ownership transfer has no meaning in Coffer (vaults keep
// their other owners and groups).
func (h *Handler) legacyDeleteUser(rq *request) (response, error) {
	if _, err := h.deleteUser(rq); err != nil {
		return response{}, err
	}
	return legacyResponse(nil), nil
}

// setUserEnabled is PUT /user/{id}/enable and /disable (Commvault's MCP
// server set_user_enabled): {response: [{errorCode: 0, errorMessage}]}.
func setUserEnabled(enabled bool) endpoint {
	return func(h *Handler, rq *request) (response, error) {
		t, u, err := h.pathUser(rq)
		if err != nil {
			return response{}, err
		}
		if _, err := h.core.SetUserEnabled(rq.ctx, t.UUID, u.Name, enabled); err != nil {
			return response{}, err
		}
		msg := "User " + u.Name + " was disabled."
		if enabled {
			msg = "User " + u.Name + " was enabled."
		}
		return ok(map[string]any{"response": []any{map[string]any{"errorCode": 0, "errorMessage": msg,
			"entity": map[string]any{"userId": u.ID, "userName": u.Name}}}}), nil
	}
}

// tfaStatus is GET /Security/TwoFactorAuth/Status?username= (user.py
// User._get_tfa_status, on every User object): errorCode 0 and
// twoFactorInfo. Coffer has no two-factor authentication.
func (h *Handler) tfaStatus(rq *request) (response, error) {
	return ok(map[string]any{"errorCode": 0, "twoFactorInfo": map[string]any{
		"isTwoFactorAuthenticationEnabled": false, "isTwoFactorAuthenticationEnabledForUser": false}}), nil
}

// legacyGroup is a group as GET /UserGroup shows it (usergroup.py
// UserGroups._get_user_groups: userGroups[].userGroupEntity.{userGroupName,
// userGroupId}; UserGroup._get_usergroup_properties: description,
// enabled, email, users[].userName).
func (h *Handler) legacyGroup(rq *request, t core.Tenant, g core.Group) map[string]any {
	users := []map[string]any{}
	for _, u := range h.groupMembers(rq, t, g) {
		users = append(users, map[string]any{"userName": u.Name, "userId": u.ID})
	}
	return map[string]any{
		"userGroupEntity":      map[string]any{"userGroupName": g.Name, "userGroupId": g.ID},
		"description":          g.Comment,
		"enabled":              true,
		"email":                "",
		"users":                users,
		"GUID":                 g.UUID,
		"securityAssociations": map[string]any{"associations": []any{}},
	}
}

// legacyGroups is GET /UserGroup[?includeSystemCreated=true&level=10].
func (h *Handler) legacyGroups(rq *request) (response, error) {
	list, err := h.renderGroups(rq, h.legacyGroup)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"userGroups": list}), nil
}

// legacyGetGroup is GET /UserGroup/{id}: {userGroups: [one]}.
func (h *Handler) legacyGetGroup(rq *request) (response, error) {
	t, g, err := h.pathGroup(rq)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"userGroups": []any{h.legacyGroup(rq, t, g)}}), nil
}

// roles is GET /V4/role (Commvault's MCP server get_roles_list) and the
// older GET /Role: the one role Coffer knows, the S3 User role vault
// owners and groups hold.
func (h *Handler) roles(rq *request) (response, error) {
	perms := []map[string]any{}
	for _, a := range core.VaultRoleActions {
		perms = append(perms, map[string]any{"name": a})
	}
	role := map[string]any{"id": 1, "name": vaultRoleName, "roleId": 1, "roleName": vaultRoleName,
		"enabled": true, "isSystemCreated": true, "visibleToAll": true,
		"description":    "Put, get, list and delete the objects of a vault and their versions (the vault's S3 User role).",
		"permissionList": perms}
	return ok(map[string]any{"roles": []any{role},
		"roleProperties": []any{map[string]any{"role": map[string]any{"roleId": 1, "roleName": vaultRoleName}}}}), nil
}

// vaultRoleName is the role vault owners and groups receive.
const vaultRoleName = "S3 User"

// getID is GET /GetId?clientname=<name> (Commvault's MCP server
// get_clientid_from_clientname; cvpysdk's GetId): {clientId} of a node or a
// vault. Only the clientname form is served (Coffer has no agents,
// backup sets or subclients: asking for them is a 400).
func (h *Handler) getID(rq *request) (response, error) {
	name := queryGet(rq.r, "clientname")
	for _, q := range []string{"agent", "backupset", "subclient", "instance"} {
		if queryGet(rq.r, q) != "" {
			return response{}, errs.New(errs.NotImplemented, "GetId resolves clients only; Coffer has no %ss.", q)
		}
	}
	if name == "" {
		return response{}, errBadInput("clientname", "clientname is required.")
	}
	if n, err := h.core.GetNodeByName(rq.ctx, name); err == nil {
		return ok(map[string]any{"clientId": n.ID, "clientName": n.Name, "errorCode": 0}), nil
	} else if errs.KindOf(err) != errs.NotFound {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	b, err := h.core.GetBucket(rq.ctx, t.UUID, name)
	if errs.KindOf(err) == errs.NoSuchBucket {
		return response{}, errs.Field(errs.NotFound, "clientname", "There is no client named %q.", name)
	} else if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"clientId": b.ID, "clientName": b.Name, "errorCode": 0}), nil
}

// vsaAccessNodes is GET /VSAClientAndClientGroupList (client.py
// Clients._get_virtualization_access_nodes, on every Clients object):
// Coffer has no virtualization access nodes.
func (h *Handler) vsaAccessNodes(rq *request) (response, error) {
	return ok(map[string]any{"clients": []any{}, "clientGroups": []any{}}), nil
}

// planEntities is GET /V2/Plan/{id}/AssociatedEntities (plan.py
// Plan._get_associated_entities): the vaults created with the plan.
func (h *Handler) planEntities(rq *request) (response, error) {
	p, _, err := h.planByPath(rq)
	if err != nil {
		return response{}, err
	}
	_, vs, err := h.tenantVaults(rq)
	if err != nil {
		return response{}, err
	}
	list := []map[string]any{}
	for _, v := range vs {
		if v.PlanID == p.ID {
			list = append(list, map[string]any{"clientId": v.Bucket.ID, "clientName": v.Bucket.Name,
				"displayName": v.Bucket.Name, "_type_": typeClient})
		}
	}
	return ok(map[string]any{"entities": list, "totalEntities": len(list)}), nil
}

// --- storage pools ---------------------------------------------------------

// Storage pools: every node stores in the one data directory the nodes
// share, shown as pools. Pool "coffer" (id 1) is that directory; each
// distinct storage-pool name a plan was created with is shown too, with
// the same usage (they are the same directory). The sizes are the
// vaults' stored bytes.

type pool struct {
	ID   int32
	Name string
	// WORM: a plan storing in the pool has the WORM storage lock.
	WORM bool
}

func (h *Handler) pools(rq *request) ([]pool, int64, error) {
	plans, err := h.core.ListPlans(rq.ctx)
	if err != nil {
		return nil, 0, err
	}
	worm := map[string]bool{}
	for _, p := range plans {
		name := p.StoragePool
		if name == "" {
			name = defaultPool
		}
		worm[name] = worm[name] || p.WORM
	}
	sorted := make([]string, 0, len(worm))
	for n := range worm {
		if n != defaultPool {
			sorted = append(sorted, n)
		}
	}
	sort.Strings(sorted)
	out := []pool{{1, defaultPool, worm[defaultPool]}}
	for i, n := range sorted {
		out = append(out, pool{int32(i + 2), n, worm[n]})
	}
	t, err := h.tenant(rq)
	if err != nil {
		return nil, 0, err
	}
	bs, err := h.core.ListBuckets(rq.ctx, t.UUID)
	if err != nil {
		return nil, 0, err
	}
	var used int64
	for _, b := range bs {
		used += b.UsedBytes
	}
	return out, used, nil
}

// defaultPool names the data directory as a storage pool.
const defaultPool = "coffer"

type xmlPoolEntity struct {
	Name string `xml:"storagePoolName,attr"`
	ID   int32  `xml:"storagePoolId,attr"`
	Type int    `xml:"_type_,attr"`
}

type xmlPool struct {
	Entity     xmlPoolEntity `xml:"storagePoolEntity"`
	PoolType   int           `xml:"storagePoolType,attr"`
	Status     string        `xml:"status,attr"`
	SizeOnDisk int64         `xml:"sizeOnDisk,attr"`
}

type xmlPoolList struct {
	XMLName xml.Name  `xml:"Api_GetStoragePoolListResp"`
	Pools   []xmlPool `xml:"storagePoolList"`
}

// listPools is GET /StoragePool. cvpysdk (storage_pool.py
// StoragePools._get_storage_pools) asks with Accept: application/xml and
// reads Api_GetStoragePoolListResp/storagePoolList/storagePoolEntity
// attributes storagePoolName and storagePoolId; Commvault's MCP server asks
// for JSON and reads storagePoolList[].{storagePoolEntity, totalFreeSpace,
// sizeOnDisk, status, storagePolicyEntity}.
func (h *Handler) listPools(rq *request) (response, error) {
	ps, used, err := h.pools(rq)
	if err != nil {
		return response{}, err
	}
	if acceptsXML(rq.r) {
		var out xmlPoolList
		for _, p := range ps {
			out.Pools = append(out.Pools, xmlPool{Entity: xmlPoolEntity{Name: p.Name, ID: p.ID, Type: 160},
				PoolType: planPoolType, Status: "Online", SizeOnDisk: used})
		}
		return response{status: http.StatusOK, xml: out}, nil
	}
	list := []map[string]any{}
	for _, p := range ps {
		list = append(list, map[string]any{
			"storagePoolEntity":   map[string]any{"storagePoolName": p.Name, "storagePoolId": p.ID, "_type_": 160},
			"storagePolicyEntity": map[string]any{"storagePolicyName": p.Name, "storagePolicyId": p.ID},
			"storagePoolType":     planPoolType, "status": "Online", "sizeOnDisk": used, "totalFreeSpace": 0,
			"region": map[string]any{"displayName": "", "regionName": ""},
		})
	}
	return ok(map[string]any{"storagePoolList": list}), nil
}

// getPool is GET /StoragePool/{id} (storage_pool.py
// StoragePool._get_storage_pool_properties): storagePoolDetails with
// isWormStorage and copyInfo.{wormStorageFlag, copyFlags.wormCopy}: a
// pool is WORM when a plan storing in it has the WORM storage lock.
func (h *Handler) getPool(rq *request) (response, error) {
	id, err := rq.id(0, "storagePoolId")
	if err != nil {
		return response{}, err
	}
	ps, used, err := h.pools(rq)
	if err != nil {
		return response{}, err
	}
	for _, p := range ps {
		if p.ID != id {
			continue
		}
		entity := map[string]any{"storagePoolName": p.Name, "storagePoolId": p.ID, "_type_": 160}
		return ok(map[string]any{"storagePoolDetails": map[string]any{
			"storagePoolEntity": entity, "storagePoolType": planPoolType, "isWormStorage": p.WORM,
			"usedCapacity": used, "sizeOnDisk": used, "status": "Online",
			"copyInfo": map[string]any{"wormStorageFlag": wormFlags(p.WORM), "copyFlags": map[string]any{"wormCopy": b01(p.WORM)},
				"StoragePolicyCopy": map[string]any{"copyName": "Primary", "storagePolicyName": p.Name,
					"storagePolicyId": p.ID, "copyId": p.ID}},
			"storageDestinationInfo": map[string]any{"displayName": p.Name},
		}, "storagePoolEntity": entity}), nil
	}
	return response{}, errs.Field(errs.NotFound, "storagePoolId", "Storage pool %d does not exist.", id)
}

// acceptsXML reports whether the caller asks for XML rather than JSON.
func acceptsXML(r *http.Request) bool {
	a := strings.ToLower(r.Header.Get("Accept"))
	return strings.Contains(a, "xml") && !strings.Contains(a, "json")
}
