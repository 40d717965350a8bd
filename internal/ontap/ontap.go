// Package ontap is the NetApp ONTAP dialect of Coffer's management plane:
// the S3 part of ONTAP's REST API (/api/svm/svms, /api/protocols/s3/...,
// /api/cluster/jobs), so that ONTAP scripts and tools (curl, the
// netapp_ontap Python client, Ansible netapp.ontap) manage Coffer unchanged.
//
// The adapter is thin: each request is parsed into a route (parseRoute), its
// query into a collection.Query and its body into a typed input; the core
// (package core) does the work and owns every rule; the result is rendered
// as hal+json. Errors go through the one table in errors.go. The generic
// collection conventions (fields, filters, order_by, paging, dotted JSON
// bodies) live in package collection.
//
// Conventions followed (shared/spec/ontap-s3.md): everything under /api,
// HTTP Basic authentication against the core's management accounts, a
// single record GET answers the bare record with _links.self, a collection
// GET answers {"records","num_records","_links"}, synchronous creates answer
// 201 with a Location header, synchronous changes 200 with {}, and bucket
// changes and S3 service deletion run as jobs (202 with a job link unless
// return_timeout lets them finish).
package ontap

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/ontap/collection"
	"coffer/internal/reqlog"
)

// Options configures the ONTAP adapter.
type Options struct {
	// Core is the domain service. Required.
	Core *core.Service
	// Logger receives internal errors (with the request) and, at debug
	// level, every request. Default slog.Default().
	Logger *slog.Logger
	// MaxWait bounds how long one request waits for a job (return_timeout).
	// Default collection.MaxReturnTimeout seconds.
	MaxWait time.Duration
	// NodeName names this node in audit records. Optional.
	NodeName string
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var problems []error
	if o.Core == nil {
		problems = append(problems, errors.New("ontap: Options.Core is required"))
	}
	if o.MaxWait < 0 {
		problems = append(problems, errors.New("ontap: Options.MaxWait must not be negative"))
	}
	return errors.Join(problems...)
}

// handler serves the ONTAP API.
type handler struct {
	core    *core.Service
	log     *slog.Logger
	maxWait time.Duration
	node    string
}

// New returns the handler that serves every path under /api.
func New(opts Options) (http.Handler, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	h := &handler{core: opts.Core, log: opts.Logger, maxWait: opts.MaxWait, node: opts.NodeName}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxWait == 0 {
		h.maxWait = collection.MaxReturnTimeout * time.Second
	}
	return h, nil
}

// request is one parsed API call, handed to the endpoint handlers.
type request struct {
	route
	ctx   context.Context
	query url.Values    // the raw query
	body  func() []byte // the raw body (read once, at most collection.MaxBodyBytes+1 bytes)
	path  string        // the request path (for job descriptions)
}

// endpoint handles one route; it returns a value that ServeHTTP renders.
type endpoint func(h *handler, rq *request) (response, error)

// endpoints maps every resource to its handler; each handler switches on
// the method (parseRoute already refused the others).
var endpoints = map[resource]endpoint{
	resCluster:    (*handler).cluster,
	resJobs:       (*handler).jobs,
	resJob:        (*handler).job,
	resSVMs:       (*handler).svms,
	resSVM:        (*handler).svm,
	resServices:   (*handler).services,
	resService:    (*handler).service,
	resUsers:      (*handler).users,
	resUser:       (*handler).user,
	resSvmBuckets: (*handler).buckets,
	resSvmBucket:  (*handler).bucket,
	resBuckets:    (*handler).buckets,
	resBucket:     (*handler).bucket,
	resGroups:     (*handler).groups,
	resGroup:      (*handler).group,
	resPolicies:   (*handler).policies,
	resPolicy:     (*handler).policy,
	resAccounts:   (*handler).accounts,
	resAudit:      (*handler).auditMessages,
	resNodes:      (*handler).clusterNodes,
	resNode:       (*handler).clusterNode,
	resRules:      (*handler).rules,
	resRule:       (*handler).rule,
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := reqlog.From(r.Context())
	rt, rerr := parseRoute(r.Method, r.URL.EscapedPath())
	if rerr == nil {
		rec.SetOperation(r.Method + " " + rt.Res.String())
		rec.SetTenant(rt.SVM)
	}
	admin, aerr := h.authenticate(w, r)
	rec.SetPrincipal(admin)
	var resp response
	var err error
	switch {
	case aerr != nil:
		// Authentication first: an unauthenticated caller learns nothing
		// about which paths exist.
		var ae *apiError
		if errors.As(aerr, &ae) && ae.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="coffer"`)
		}
		err = aerr
	case rerr != nil:
		var re *errRoute
		if errors.As(rerr, &re) && len(re.allow) > 0 {
			w.Header().Set("Allow", strings.Join(re.allow, ", "))
		}
		err = rerr
	case r.Method == http.MethodOptions:
		w.Header().Set("Allow", strings.Join(allowed(rt.Res), ", "))
		resp = ok(nil)
	default:
		rq := &request{route: rt, ctx: r.Context(), query: r.URL.Query(), path: r.URL.Path}
		rq.body = readBodyOnce(r)
		resp, err = h.run(rq, r, admin)
	}
	if err != nil {
		e, mapped := toAPIError(err, rt)
		if !mapped {
			h.log.Error("ontap: internal error", "method", r.Method, "path", errs.Excerpt(r.URL.Path),
				"query", errs.Excerpt(r.URL.RawQuery), "admin", admin, "request_id", rec.ID(), "err", err)
		}
		rec.SetErrorCode(e.Code)
		body := map[string]any{"message": errs.BoundMessage(e.Message), "code": e.Code}
		if e.Target != "" {
			body["target"] = errs.Excerpt(e.Target)
		}
		writeBody(w, r, e.Status, map[string]any{"error": body})
		return
	}
	if resp.location != "" {
		w.Header().Set("Location", resp.location)
	}
	writeBody(w, r, resp.status, resp.body)
}

// authenticate checks HTTP Basic credentials against the core's
// management accounts, under the core's lockout policy, and returns the
// account name. Missing or wrong credentials are 401; a locked account
// (from this client address) or a blocked address is 401 with the lock's
// message and Retry-After; too many checks at once is 503; a failure to
// check them (storage) is 500.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) (string, error) {
	unauthorized := &apiError{Status: http.StatusUnauthorized, Code: codeNotAuthenticated, Message: msgUnauthorized}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		// An administrator's management token (ONTAP 9.14.1+ accepts OAuth
		// 2.0 bearer tokens): a Commvault login or access token, as the
		// coffer CLI stores; a user's token is refused.
		sess, err := h.core.ResumeSession(r.Context(), strings.TrimPrefix(strings.TrimSpace(token), "QSDK "))
		if err != nil {
			if errs.KindOf(err) == errs.Unauthenticated {
				return "", unauthorized
			}
			return "", err
		}
		if sess.Kind != core.SessionAdmin {
			return "", unauthorized
		}
		return sess.Name, nil
	}
	user, pass, found := r.BasicAuth()
	if !found {
		return "", unauthorized
	}
	a, ls, err := h.core.AuthenticateAdmin(r.Context(), core.Credentials{Name: user, Password: pass, Addr: reqlog.ClientAddr(r)})
	switch {
	case err == nil:
		return a.Name, nil
	case core.ReasonOf(err) == core.ReasonAccountLocked:
		w.Header().Set("Retry-After", strconv.Itoa(int(ls.Remaining.Seconds()+0.999)))
		return "", &apiError{Status: http.StatusUnauthorized, Code: codeNotAuthenticated, Message: errs.Message(err)}
	case core.ReasonOf(err) == core.ReasonLoginBusy:
		w.Header().Set("Retry-After", "5")
		return "", &apiError{Status: http.StatusServiceUnavailable, Code: codeRetryLater, Message: errs.Message(err)}
	case errs.KindOf(err) == errs.Unauthenticated:
		return "", unauthorized
	}
	return "", err
}
