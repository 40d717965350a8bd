package ontap

import (
	"net/http"
	"net/url"
	"strings"
)

// resource names one ONTAP endpoint family: a collection or one of its
// records.
type resource int

const (
	resNone       resource = iota
	resCluster             // /api/cluster
	resJobs                // /api/cluster/jobs
	resJob                 // /api/cluster/jobs/{uuid}
	resSVMs                // /api/svm/svms
	resSVM                 // /api/svm/svms/{uuid}
	resServices            // /api/protocols/s3/services
	resService             // /api/protocols/s3/services/{svm.uuid}
	resUsers               // /api/protocols/s3/services/{svm.uuid}/users
	resUser                // /api/protocols/s3/services/{svm.uuid}/users/{name}
	resSvmBuckets          // /api/protocols/s3/services/{svm.uuid}/buckets
	resSvmBucket           // /api/protocols/s3/services/{svm.uuid}/buckets/{uuid}
	resGroups              // /api/protocols/s3/services/{svm.uuid}/groups
	resGroup               // /api/protocols/s3/services/{svm.uuid}/groups/{id}
	resPolicies            // /api/protocols/s3/services/{svm.uuid}/policies
	resPolicy              // /api/protocols/s3/services/{svm.uuid}/policies/{name}
	resBuckets             // /api/protocols/s3/buckets
	resBucket              // /api/protocols/s3/buckets/{svm.uuid}/{uuid}
	resAccounts            // /api/security/accounts
	resAudit               // /api/security/audit/messages
	resNodes               // /api/cluster/nodes
	resNode                // /api/cluster/nodes/{uuid}
	resRules               // /api/protocols/s3/services/{svm.uuid}/buckets/{uuid}/rules
	resRule                // /api/protocols/s3/services/{svm.uuid}/buckets/{uuid}/rules/{name}
)

var resourceNames = [...]string{
	resNone: "none", resCluster: "cluster", resJobs: "jobs", resJob: "job",
	resSVMs: "svms", resSVM: "svm", resServices: "services", resService: "service",
	resUsers: "users", resUser: "user", resSvmBuckets: "svm-buckets", resSvmBucket: "svm-bucket",
	resGroups: "groups", resGroup: "group", resPolicies: "policies", resPolicy: "policy",
	resBuckets: "buckets", resBucket: "bucket", resAccounts: "accounts",
	resAudit: "audit-messages", resNodes: "nodes", resNode: "node",
	resRules: "bucket-rules", resRule: "bucket-rule",
}

func (r resource) String() string {
	if int(r) < len(resourceNames) {
		return resourceNames[r]
	}
	return "unknown"
}

// methods lists the HTTP methods each resource serves (HEAD is served
// wherever GET is, OPTIONS everywhere).
var methods = map[resource][]string{
	resCluster:    {http.MethodGet},
	resJobs:       {http.MethodGet},
	resJob:        {http.MethodGet},
	resSVMs:       {http.MethodGet, http.MethodPost},
	resSVM:        {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resServices:   {http.MethodGet, http.MethodPost},
	resService:    {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resUsers:      {http.MethodGet, http.MethodPost},
	resUser:       {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resSvmBuckets: {http.MethodGet, http.MethodPost},
	resSvmBucket:  {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resGroups:     {http.MethodGet, http.MethodPost},
	resGroup:      {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resPolicies:   {http.MethodGet, http.MethodPost},
	resPolicy:     {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resBuckets:    {http.MethodGet, http.MethodPost},
	resBucket:     {http.MethodGet, http.MethodPatch, http.MethodDelete},
	resAccounts:   {http.MethodGet},
	resAudit:      {http.MethodGet},
	resNodes:      {http.MethodGet},
	resNode:       {http.MethodGet},
	resRules:      {http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete},
	resRule:       {http.MethodGet, http.MethodPatch, http.MethodDelete},
}

// route is a parsed request line: which resource, which method, and the
// path parameters (already unescaped). It is built before any I/O by
// parseRoute.
type route struct {
	Res    resource
	Method string // GET for HEAD
	Head   bool   // the request was HEAD: no body is written
	SVM    string // {svm.uuid}
	Name   string // {name} of users and policies
	UUID   string // {uuid} of SVMs (same as SVM), buckets and jobs
	ID     string // {id} of groups, as given
}

// errRoute is a routing failure: the path names no endpoint (404) or the
// endpoint does not serve the method (405, with the allowed methods).
type errRoute struct {
	status int
	allow  []string
}

func (e *errRoute) Error() string {
	if e.status == http.StatusMethodNotAllowed {
		return "method not allowed"
	}
	return "API not found"
}

// parseRoute maps method and escaped path to a route. It is pure: no I/O,
// no lookups. Path segments are percent-decoded one by one, so an S3 user
// name such as "a+b@c" or a URL-encoded "a%2Fb" stays one segment.
func parseRoute(method, escapedPath string) (route, error) {
	p := strings.TrimSuffix(escapedPath, "/")
	if !strings.HasPrefix(p, "/api/") {
		return route{}, &errRoute{status: http.StatusNotFound}
	}
	raw := strings.Split(p[len("/api/"):], "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return route{}, &errRoute{status: http.StatusNotFound}
		}
		segs[i] = u
	}
	rt := route{Method: method}
	if method == http.MethodHead {
		rt.Method, rt.Head = http.MethodGet, true
	}
	switch {
	case match(segs, "cluster"):
		rt.Res = resCluster
	case match(segs, "cluster", "jobs"):
		rt.Res = resJobs
	case match(segs, "cluster", "jobs", "*"):
		rt.Res, rt.UUID = resJob, segs[2]
	case match(segs, "cluster", "nodes"):
		rt.Res = resNodes
	case match(segs, "cluster", "nodes", "*"):
		rt.Res, rt.UUID = resNode, segs[2]
	case match(segs, "svm", "svms"):
		rt.Res = resSVMs
	case match(segs, "svm", "svms", "*"):
		rt.Res, rt.UUID, rt.SVM = resSVM, segs[2], segs[2]
	case match(segs, "protocols", "s3", "services"):
		rt.Res = resServices
	case match(segs, "protocols", "s3", "services", "*"):
		rt.Res, rt.SVM = resService, segs[3]
	case match(segs, "protocols", "s3", "services", "*", "users"):
		rt.Res, rt.SVM = resUsers, segs[3]
	case match(segs, "protocols", "s3", "services", "*", "users", "*"):
		rt.Res, rt.SVM, rt.Name = resUser, segs[3], segs[5]
	case match(segs, "protocols", "s3", "services", "*", "buckets"):
		rt.Res, rt.SVM = resSvmBuckets, segs[3]
	case match(segs, "protocols", "s3", "services", "*", "buckets", "*"):
		rt.Res, rt.SVM, rt.UUID = resSvmBucket, segs[3], segs[5]
	case match(segs, "protocols", "s3", "services", "*", "buckets", "*", "rules"):
		rt.Res, rt.SVM, rt.UUID = resRules, segs[3], segs[5]
	case match(segs, "protocols", "s3", "services", "*", "buckets", "*", "rules", "*"):
		rt.Res, rt.SVM, rt.UUID, rt.Name = resRule, segs[3], segs[5], segs[7]
	case match(segs, "protocols", "s3", "services", "*", "groups"):
		rt.Res, rt.SVM = resGroups, segs[3]
	case match(segs, "protocols", "s3", "services", "*", "groups", "*"):
		rt.Res, rt.SVM, rt.ID = resGroup, segs[3], segs[5]
	case match(segs, "protocols", "s3", "services", "*", "policies"):
		rt.Res, rt.SVM = resPolicies, segs[3]
	case match(segs, "protocols", "s3", "services", "*", "policies", "*"):
		rt.Res, rt.SVM, rt.Name = resPolicy, segs[3], segs[5]
	case match(segs, "protocols", "s3", "buckets"):
		rt.Res = resBuckets
	case match(segs, "protocols", "s3", "buckets", "*", "*"):
		rt.Res, rt.SVM, rt.UUID = resBucket, segs[3], segs[4]
	case match(segs, "security", "accounts"):
		rt.Res = resAccounts
	case match(segs, "security", "audit", "messages"):
		rt.Res = resAudit
	default:
		return route{}, &errRoute{status: http.StatusNotFound}
	}
	if method == http.MethodOptions {
		return rt, nil
	}
	for _, m := range methods[rt.Res] {
		if m == rt.Method {
			return rt, nil
		}
	}
	return route{}, &errRoute{status: http.StatusMethodNotAllowed, allow: allowed(rt.Res)}
}

// allowed returns the Allow header values of a resource.
func allowed(res resource) []string {
	out := append([]string(nil), methods[res]...)
	for _, m := range methods[res] {
		if m == http.MethodGet {
			out = append(out, http.MethodHead)
		}
	}
	return append(out, http.MethodOptions)
}

// match reports whether segs equals pattern, where "*" matches any one
// segment.
func match(segs []string, pattern ...string) bool {
	if len(segs) != len(pattern) {
		return false
	}
	for i, p := range pattern {
		if p != "*" && p != segs[i] {
			return false
		}
	}
	return true
}
