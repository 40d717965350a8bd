package commvault

import (
	"net/http"
	"sort"
	"strings"

	"coffer/internal/errs"
)

// bases are the API roots this adapter answers under, lower-case.
var bases = []string{"/commandcenter/api", "/webconsole/api"}

// route is one API call: a method and a path pattern of lower-case
// segments, "{id}" (or another "{name}") matching any one segment.
type route struct {
	method  string
	pattern string
	fn      endpoint
	// public routes need no session (Login).
	public bool
	// admin routes are for administrators only (403 for users).
	admin bool
	// legacy routes are Commvault's older APIs, whose errors also carry
	// errList[] (see errorBody).
	legacy bool

	segs []string
}

// endpoint handles one route and returns the value ServeHTTP renders.
type endpoint func(h *Handler, rq *request) (response, error)

// routes is the API.
var routes = compile([]route{
	{method: "GET", pattern: "", fn: (*Handler).probe, public: true},
	{method: "POST", pattern: "login", fn: (*Handler).login, public: true, legacy: true},
	{method: "POST", pattern: "logout", fn: (*Handler).logout, legacy: true},
	{method: "POST", pattern: "renewlogintoken", fn: (*Handler).renewLoginToken, public: true, legacy: true},
	{method: "GET", pattern: "v2/whoami", fn: (*Handler).whoami},
	{method: "POST", pattern: "whoami", fn: (*Handler).whoamiPost, legacy: true},
	{method: "GET", pattern: "commserv", fn: (*Handler).commServ, legacy: true},

	{method: "POST", pattern: "v4/accesstoken", fn: (*Handler).createToken},
	{method: "GET", pattern: "v4/accesstoken", fn: (*Handler).listTokens},
	{method: "PUT", pattern: "v4/accesstoken/{id}", fn: (*Handler).editToken},
	{method: "DELETE", pattern: "v4/accesstoken/{id}", fn: (*Handler).revokeToken},
	{method: "POST", pattern: "v4/accesstoken/renew", fn: (*Handler).renewToken, public: true},

	{method: "GET", pattern: "user", fn: (*Handler).legacyUsers, admin: true, legacy: true},
	{method: "POST", pattern: "user", fn: (*Handler).legacyCreateUser, admin: true, legacy: true},
	{method: "GET", pattern: "user/{id}", fn: (*Handler).legacyGetUser, legacy: true},
	{method: "POST", pattern: "user/{id}", fn: (*Handler).legacyUpdateUser, legacy: true},
	{method: "DELETE", pattern: "user/{id}", fn: (*Handler).legacyDeleteUser, admin: true, legacy: true},
	{method: "PUT", pattern: "user/{id}/enable", fn: setUserEnabled(true), admin: true},
	{method: "PUT", pattern: "user/{id}/disable", fn: setUserEnabled(false), admin: true},
	{method: "GET", pattern: "security/twofactorauth/status", fn: (*Handler).tfaStatus, legacy: true},
	{method: "GET", pattern: "usergroup", fn: (*Handler).legacyGroups, admin: true, legacy: true},
	{method: "GET", pattern: "usergroup/{id}", fn: (*Handler).legacyGetGroup, admin: true, legacy: true},
	{method: "GET", pattern: "v4/role", fn: (*Handler).roles, admin: true},
	{method: "GET", pattern: "role", fn: (*Handler).roles, admin: true, legacy: true},
	{method: "GET", pattern: "getid", fn: (*Handler).getID, admin: true, legacy: true},
	{method: "GET", pattern: "vsaclientandclientgrouplist", fn: (*Handler).vsaAccessNodes, admin: true, legacy: true},
	{method: "GET", pattern: "storagepool", fn: (*Handler).listPools, admin: true, legacy: true},
	{method: "GET", pattern: "storagepool/{id}", fn: (*Handler).getPool, admin: true, legacy: true},
	{method: "GET", pattern: "v2/plan/{id}/associatedentities", fn: (*Handler).planEntities, admin: true, legacy: true},
	{method: "POST", pattern: "jobs", fn: (*Handler).postJobs, admin: true, legacy: true},
	{method: "POST", pattern: "jobs/multijoboperation", fn: (*Handler).multiJobOperation, admin: true, legacy: true},
	{method: "POST", pattern: "job/{id}/action/pause", fn: jobAction("suspend"), admin: true, legacy: true},
	{method: "POST", pattern: "job/{id}/action/suspend", fn: jobAction("suspend"), admin: true, legacy: true},
	{method: "POST", pattern: "job/{id}/action/resume", fn: jobAction("resume"), admin: true, legacy: true},
	{method: "POST", pattern: "job/{id}/action/resubmit", fn: jobAction("resubmit"), admin: true, legacy: true},

	{method: "GET", pattern: "v4/user/s3accesskey", fn: (*Handler).getOwnKey},
	{method: "PUT", pattern: "v4/user/s3accesskey", fn: (*Handler).rotateOwnKey},
	{method: "GET", pattern: "v4/user/{id}/s3accesskey", fn: (*Handler).getUserKey},
	{method: "PUT", pattern: "v4/user/{id}/s3accesskey", fn: (*Handler).rotateUserKey},
	{method: "GET", pattern: "v4/user", fn: (*Handler).listUsers, admin: true},
	{method: "POST", pattern: "v4/user", fn: (*Handler).createUser, admin: true},
	{method: "GET", pattern: "v4/user/{id}", fn: (*Handler).getUser},
	{method: "DELETE", pattern: "v4/user/{id}", fn: (*Handler).deleteUser, admin: true},

	{method: "GET", pattern: "v4/usergroup", fn: (*Handler).listGroups, admin: true},
	{method: "POST", pattern: "v4/usergroup", fn: (*Handler).createGroup, admin: true},
	{method: "GET", pattern: "v4/usergroup/{id}", fn: (*Handler).getGroup, admin: true},
	{method: "PUT", pattern: "v4/usergroup/{id}", fn: (*Handler).updateGroup, admin: true},
	{method: "DELETE", pattern: "v4/usergroup/{id}", fn: (*Handler).deleteGroup, admin: true},

	{method: "GET", pattern: "v4/plan/summary", fn: (*Handler).planSummaries, admin: true},
	{method: "GET", pattern: "v4/plan/summary/{id}", fn: (*Handler).planSummary, admin: true},
	{method: "GET", pattern: "v2/plan", fn: (*Handler).v2Plans, admin: true, legacy: true},
	{method: "GET", pattern: "v2/plan/{id}", fn: (*Handler).v2Plan, admin: true, legacy: true},
	{method: "POST", pattern: "v4/serverplan", fn: (*Handler).createPlan, admin: true},
	{method: "GET", pattern: "v4/serverplan/{id}", fn: (*Handler).getPlan, admin: true},
	{method: "DELETE", pattern: "v4/serverplan/{id}", fn: (*Handler).deletePlan, admin: true},
	{method: "PUT", pattern: "v4/serverplan/{id}/backupdestination/{backupDestinationId}", fn: (*Handler).modifyDestination, admin: true},

	{method: "GET", pattern: "client", fn: (*Handler).listClients, admin: true, legacy: true},
	{method: "GET", pattern: "client/{id}", fn: (*Handler).getClient, admin: true, legacy: true},
	{method: "POST", pattern: "v4/client/{id}/cvs3endpoint", fn: (*Handler).addEndpoint, admin: true},

	{method: "POST", pattern: "v4/cvs3store", fn: (*Handler).createVault, admin: true},
	{method: "GET", pattern: "v4/cvs3store/{id}", fn: (*Handler).getVault, admin: true},
	{method: "DELETE", pattern: "v4/cvs3store/{id}", fn: (*Handler).deleteVault, admin: true},
	{method: "GET", pattern: "v4/cvs3stores", fn: (*Handler).listVaults, admin: true},

	{method: "GET", pattern: "job", fn: (*Handler).listJobs, admin: true, legacy: true},
	{method: "GET", pattern: "job/{id}", fn: (*Handler).getJob, admin: true, legacy: true},
	{method: "POST", pattern: "jobdetails", fn: (*Handler).jobDetails, admin: true, legacy: true},
	{method: "POST", pattern: "job/{id}/action/kill", fn: (*Handler).killJob, admin: true, legacy: true},
})

func compile(rs []route) []*route {
	out := make([]*route, len(rs))
	for i := range rs {
		r := rs[i]
		r.segs = strings.Split(r.pattern, "/")
		out[i] = &r
	}
	return out
}

// noRoute is the route of a request that matched none: it renders errors
// in the V4 shape and requires a session.
var noRoute = &route{}

// apiPath returns the path below the API root, lower-cased, without
// leading or trailing slashes; ok is false outside both roots.
func apiPath(p string) (string, bool) {
	lp := strings.ToLower(p)
	for _, b := range bases {
		if rest, ok := strings.CutPrefix(lp, b); ok && (rest == "" || rest[0] == '/') {
			return strings.Trim(rest, "/"), true
		}
	}
	return "", false
}

// match finds the route of a request. Path segments compare
// case-insensitively; "{id}" (any "{name}") captures the segment as sent. Errors: an
// unknown path is NotFound, a known path with another method
// MethodNotAllowed (listing the allowed methods). The route is never nil.
func match(method, path string) (*route, []string, error) {
	rest, ok := apiPath(path)
	if !ok {
		return noRoute, nil, errNotFound("There is no API at " + errs.Excerpt(path) + ".")
	}
	// Empty segments are dropped: Commvault's SDK sends "api//V4/...".
	segs := nonEmpty(strings.Split(rest, "/"))
	orig := nonEmpty(strings.Split(strings.Trim(path, "/"), "/"))
	orig = orig[len(orig)-len(segs):] // the same segments, original case
	// The most specific routes win: those with the fewest "{id}" segments
	// (so DELETE /V4/User/S3AccessKey is not a user id).
	var best []*route
	var bestParams [][]string
	for _, r := range routes {
		params, ok := r.matches(segs, orig)
		switch {
		case !ok:
		case len(best) == 0 || len(params) < len(bestParams[0]):
			best, bestParams = []*route{r}, [][]string{params}
		case len(params) == len(bestParams[0]):
			best, bestParams = append(best, r), append(bestParams, params)
		}
	}
	var allow []string
	for i, r := range best {
		if r.method == method {
			return r, bestParams[i], nil
		}
		allow = append(allow, r.method)
	}
	if len(allow) == 0 {
		return noRoute, nil, errNotFound("There is no API at " + errs.Excerpt(path) + ".")
	}
	sort.Strings(allow)
	e := &apiError{Status: http.StatusMethodNotAllowed, Code: codeInvalidOperationType,
		Message: "Method " + method + " is not allowed here; use " + strings.Join(allow, ", ") + ".",
		allow:   strings.Join(allow, ", ")}
	return noRoute, nil, e
}

func (r *route) matches(segs, orig []string) ([]string, bool) {
	if len(segs) != len(r.segs) {
		return nil, false
	}
	var params []string
	for i, s := range r.segs {
		if isParam(s) {
			params = append(params, orig[i])
			continue
		}
		if s != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// isParam reports whether a pattern segment captures a path parameter
// ("{id}", "{backupDestinationId}").
func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// errNotFound is a 404 VALUE_NOT_FOUND.
func errNotFound(msg string) error { return errs.New(errs.NotFound, "%s", msg) }

// IsAPIPath reports whether a request path belongs to this adapter: it
// starts with /commandcenter/api/ or /webconsole/api/ in any case.
func IsAPIPath(p string) bool {
	_, ok := apiPath(p)
	return ok
}

// Wrap returns a handler that serves the Commvault API paths (any case,
// which http.ServeMux patterns cannot match) with h and every other path
// with next.
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsAPIPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// nonEmpty drops empty strings; a path without segments is [""] (the API
// root, cvpysdk's probe).
func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}
