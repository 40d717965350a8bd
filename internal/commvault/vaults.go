package commvault

import (
	"fmt"
	"strconv"
	"strings"

	"coffer/internal/core"
)

// Vaults (CVS3Store) are the default tenant's buckets; one created with
// POST /V4/CVS3Store has a plan, owners and groups holding the S3 User
// role, and possibly endpoints.

// Commvault entity type tags.
const (
	typeClient    = 3
	typeUser      = 13
	typeUserGroup = 15
)

// typed is an entity's type tag, spelled "__type__" (the seed), "_type_"
// (Commvault's other APIs) or absent.
type typed struct {
	Double *int64 `json:"__type__"`
	Single *int64 `json:"_type_"`
}

// check accepts the tag when absent or equal to want in every spelling.
func (t typed) check(field string, i int, want int64) error {
	for _, v := range []*int64{t.Double, t.Single} {
		if v != nil && *v != want {
			return errBadInput(field+".__type__", "%s[%d].__type__ must be %d.", field, i, want)
		}
	}
	return nil
}

// createVaultBody is the seed's request body.
type createVaultBody struct {
	Bucket *struct {
		ClientName *string `json:"clientName"`
	} `json:"bucket"`
	Plan *struct {
		PlanID   *int64  `json:"planId"`
		PlanName *string `json:"planName"`
	} `json:"plan"`
	CVS3Endpoints []struct {
		typed
		ClientID   *int64  `json:"clientId"`
		ClientName *string `json:"clientName"`
	} `json:"cvs3Endpoints"`
	Owners []struct {
		typed
		UserID   *int64  `json:"userId"`
		UserName *string `json:"userName"`
	} `json:"owners"`
	UserGroups []struct {
		typed
		UserGroupID   *int64  `json:"userGroupId"`
		UserGroupName *string `json:"userGroupName"`
	} `json:"userGroups"`
	RotateKeys *bool `json:"rotateKeys"`
}

// parseCreateVault turns the body of POST /V4/CVS3Store into the core's
// input (the tenant is filled in by the caller). Errors are 400s:
// malformed JSON, a missing bucket.clientName, a missing plan, an id
// outside int32, a wrong __type__, an entry without id or name.
func parseCreateVault(body []byte) (core.CreateVaultInput, error) {
	var in createVaultBody
	if len(strings.TrimSpace(string(body))) == 0 {
		return core.CreateVaultInput{}, errBadInput("body", "A JSON request body is required.")
	}
	if err := decodeJSON(body, &in); err != nil {
		return core.CreateVaultInput{}, err
	}
	var out core.CreateVaultInput
	if in.Bucket == nil || in.Bucket.ClientName == nil || *in.Bucket.ClientName == "" {
		return out, errBadInput("bucket.clientName", "bucket.clientName (the vault's name) is required.")
	}
	out.Name = *in.Bucket.ClientName
	if in.Plan == nil {
		return out, errBadInput("plan", "plan is required.")
	}
	id, err := ref32(in.Plan.PlanID, "plan.planId")
	if err != nil {
		return out, err
	}
	out.Plan = core.EntityRef{ID: id, Name: deref(in.Plan.PlanName)}
	if out.Plan.ID == 0 && out.Plan.Name == "" {
		return out, errBadInput("plan.planId", "plan.planId is required.")
	}
	for i, e := range in.CVS3Endpoints {
		if err := e.check("cvs3Endpoints", i, typeClient); err != nil {
			return out, err
		}
		id, err := ref32(e.ClientID, "cvs3Endpoints.clientId")
		if err != nil {
			return out, err
		}
		if id == 0 && deref(e.ClientName) == "" {
			return out, errBadInput("cvs3Endpoints.clientId", "cvs3Endpoints[%d].clientId is required.", i)
		}
		out.Endpoints = append(out.Endpoints, core.EntityRef{ID: id, Name: deref(e.ClientName)})
	}
	for i, o := range in.Owners {
		if err := o.check("owners", i, typeUser); err != nil {
			return out, err
		}
		id, err := ref32(o.UserID, "owners.userId")
		if err != nil {
			return out, err
		}
		if id == 0 && deref(o.UserName) == "" {
			return out, errBadInput("owners.userId", "owners[%d].userId is required.", i)
		}
		// The id wins: the name is only a fallback (Commvault's MCP server
		// sends both).
		ref := core.EntityRef{ID: id}
		if id == 0 {
			ref.Name = deref(o.UserName)
		}
		out.Owners = append(out.Owners, ref)
	}
	for i, g := range in.UserGroups {
		if err := g.check("userGroups", i, typeUserGroup); err != nil {
			return out, err
		}
		id, err := ref32(g.UserGroupID, "userGroups.userGroupId")
		if err != nil {
			return out, err
		}
		if id == 0 && deref(g.UserGroupName) == "" {
			return out, errBadInput("userGroups.userGroupId", "userGroups[%d].userGroupId is required.", i)
		}
		ref := core.EntityRef{ID: id}
		if id == 0 {
			ref.Name = deref(g.UserGroupName)
		}
		out.Groups = append(out.Groups, ref)
	}
	out.RotateKeys = deref(in.RotateKeys)
	return out, nil
}

// createVault is POST /V4/CVS3Store, the seed: it answers
// {response: {entity: {clientId, clientName}, errorCode: 0, ...},
// addEndpointJob: {jobId, response: {errorCode: "NO_ERROR"}}}, the job
// only when cvs3Endpoints were given.
func (h *Handler) createVault(rq *request) (response, error) {
	in, err := parseCreateVault(rq.body)
	if err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	in.Tenant = t.UUID
	res, err := h.core.CreateVault(rq.ctx, in)
	if err != nil {
		return response{}, err
	}
	b := res.Vault.Bucket
	resp := map[string]any{"entity": map[string]any{"clientId": b.ID, "clientName": b.Name},
		"errorCode": 0, "errorMessage": "", "warningCode": 0, "warningMessage": ""}
	if len(res.Keys) > 0 {
		var names []string
		for _, k := range res.Keys {
			names = append(names, k.User.Name)
		}
		resp["warningCode"] = 1
		resp["warningMessage"] = fmt.Sprintf("New S3 keys were issued to %s; Coffer sends no email: "+
			"each user obtains a secret with PUT /V4/User/S3AccessKey (an administrator with PUT /V4/User/{userId}/S3AccessKey).",
			strings.Join(names, ", "))
	}
	out := map[string]any{"response": resp}
	if res.EndpointJob != nil {
		out["addEndpointJob"] = map[string]any{"jobId": res.EndpointJob.ID,
			"response": map[string]any{"errorMessage": "", "errorCode": codeNoError.String()}}
	}
	return ok(out), nil
}

func (h *Handler) vaultJSON(v core.Vault, t core.Tenant) map[string]any {
	b := v.Bucket
	out := map[string]any{
		"name": b.Name, "id": b.ID, "clientId": b.ID, "clientName": b.Name,
		"bucket":          map[string]any{"clientId": b.ID, "clientName": b.Name},
		"company":         idName(t.ID, t.Name),
		"versioning":      strings.ToUpper(string(b.Versioning)),
		"sizeInBytes":     b.UsedBytes,
		"numberOfObjects": b.Objects,
		"createdTime":     epoch(b.Created),
		"plan":            nil,
	}
	out["isWormStorage"] = v.Plan != nil && v.Plan.WORM
	out["objectLock"] = objectLockJSON(b.Retention)
	if v.Plan != nil {
		out["plan"] = map[string]any{"planId": v.Plan.ID, "planName": v.Plan.Name}
		out["retentionPeriodDays"] = v.Plan.RetentionDays
	} else if v.PlanID != 0 {
		out["plan"] = map[string]any{"planId": v.PlanID, "planName": ""}
	}
	owners := []map[string]any{}
	for _, u := range v.Owners {
		owners = append(owners, map[string]any{"userId": u.ID, "userName": u.Name, "_type_": typeUser})
	}
	groups := []map[string]any{}
	for _, g := range v.Groups {
		groups = append(groups, map[string]any{"userGroupId": g.ID, "userGroupName": g.Name, "_type_": typeUserGroup})
	}
	eps := []map[string]any{}
	for _, e := range v.Endpoints {
		ep := map[string]any{"clientId": e.Node.ID, "clientName": e.Node.Name, "status": string(e.State),
			"s3Endpoint": e.Node.S3Endpoint}
		if e.Reason != "" {
			ep["reason"] = e.Reason
		}
		eps = append(eps, ep)
	}
	out["owners"], out["userGroups"], out["cvs3Endpoints"] = owners, groups, eps
	out["role"] = "S3 User"
	return out
}

// objectLockJSON is a vault's Object Lock state: enabled, the mode of its
// default retention (COMPLIANCE or GOVERNANCE; the mode chosen at creation
// when there is no default) and the default in days or years.
func objectLockJSON(r core.BucketRetention) map[string]any {
	out := map[string]any{"enabled": r.Mode.Locked()}
	if r.Mode.Locked() {
		out["mode"] = strings.ToUpper(string(r.Mode))
		if r.Period.Days > 0 {
			out["defaultRetentionDays"] = r.Period.Days
		}
		if r.Period.Years > 0 {
			out["defaultRetentionYears"] = r.Period.Years
		}
	}
	return out
}

// tenantVaults returns the default tenant and its vaults.
func (h *Handler) tenantVaults(rq *request) (core.Tenant, []core.Vault, error) {
	t, err := h.tenant(rq)
	if err != nil {
		return t, nil, err
	}
	vs, err := h.core.ListVaults(rq.ctx, t.UUID)
	return t, vs, err
}

// listVaults is GET /V4/cvS3Stores?start=&limit= → {CVS3Stores: [...],
// totalRecords}. hardRefresh and fl are accepted and ignored.
func (h *Handler) listVaults(rq *request) (response, error) {
	start, err := rq.queryInt("start", 0)
	if err != nil {
		return response{}, err
	}
	limit, err := rq.queryInt("limit", 0)
	if err != nil {
		return response{}, err
	}
	t, vs, err := h.tenantVaults(rq)
	if err != nil {
		return response{}, err
	}
	from, to := page(len(vs), start, limit)
	list := []map[string]any{}
	for _, v := range vs[from:to] {
		list = append(list, h.vaultJSON(v, t))
	}
	return ok(map[string]any{"CVS3Stores": list, "totalRecords": len(vs)}), nil
}

// getVault is GET /V4/CVS3Store/{id}.
func (h *Handler) getVault(rq *request) (response, error) {
	id, err := rq.id(0, "clientId")
	if err != nil {
		return response{}, err
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	v, err := h.core.GetVault(rq.ctx, t.UUID, id)
	if err != nil {
		return response{}, err
	}
	return ok(h.vaultJSON(v, t)), nil
}

// deleteVault is DELETE /V4/CVS3Store/{id}[?forceDelete=true]: a job; a
// vault that is not empty is refused (409) unless forced.
func (h *Handler) deleteVault(rq *request) (response, error) {
	id, err := rq.id(0, "clientId")
	if err != nil {
		return response{}, err
	}
	force := false
	if v := queryGet(rq.r, "forceDelete"); v != "" {
		if force, err = strconv.ParseBool(v); err != nil {
			return response{}, errBadInput("forceDelete", "forceDelete must be true or false.")
		}
	}
	t, err := h.tenant(rq)
	if err != nil {
		return response{}, err
	}
	j, err := h.core.DeleteVault(rq.ctx, t.UUID, id, force)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"jobId": j.ID, "errorCode": 0, "errorMessage": ""}), nil
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
