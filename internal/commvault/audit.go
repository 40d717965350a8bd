package commvault

import (
	"encoding/json"
	"net/http"

	"coffer/internal/core"
	"coffer/internal/reqlog"
)

// Every change made through this dialect (POST, PUT, DELETE other than
// Login and Logout) is written to the core's audit log, with the entity
// as the matching GET renders it before and after (or, for a create, the
// answer), redacted by the core. The ONTAP dialect serves the log (GET
// /api/security/audit/messages).

// mutating reports whether a method changes something.
func mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// readOnlyPosts are POST routes that change nothing.
var readOnlyPosts = map[string]bool{"login": true, "logout": true, "jobdetails": true}

// run calls the route's endpoint; a change is written to the audit log.
func (h *Handler) run(rq *request) (response, error) {
	rt := rq.rt
	if !mutating(rt.method) || readOnlyPosts[rt.pattern] {
		return rt.fn(h, rq)
	}
	get := getRoute(rt.pattern)
	var before json.RawMessage
	if get != nil {
		before = h.snapshot(rq, get)
	}
	resp, err := rt.fn(h, rq)
	rec := core.AuditRecord{Node: h.opts.NodeName, Application: "commvault", User: rq.sess.Name, Scope: "cluster",
		Status: resp.status, State: "success", Before: before}
	in := rq.r.Method + " " + rq.r.URL.Path
	if rq.r.URL.RawQuery != "" {
		in += "?" + rq.r.URL.RawQuery
	}
	if len(rq.body) > 0 {
		in += " : " + core.RedactText(rq.body)
	}
	rec.Input = in
	switch {
	case err != nil:
		e, _ := toAPIError(err)
		rec.State, rec.Status, rec.ErrorCode = "error", e.Status, e.Code.String()
	case rt.method == http.MethodDelete:
	case get != nil:
		rec.After = h.snapshot(rq, get)
	default:
		if b, merr := json.Marshal(resp.body); merr == nil {
			rec.After = b
		}
	}
	lr := reqlog.From(rq.ctx)
	rec.Location, rec.CommandID = lr.Addr(), lr.ID()
	if rec.Location == "" {
		rec.Location = reqlog.ClientAddr(rq.r)
	}
	if _, aerr := h.core.AppendAudit(rq.ctx, rec); aerr != nil {
		h.log.Error("commvault: audit record not written", "request_id", lr.ID(), "input", rec.Input, "err", aerr)
	}
	return resp, err
}

// getRoute is the GET route of a pattern, nil when there is none.
func getRoute(pattern string) *route {
	for _, r := range routes {
		if r.method == http.MethodGet && r.pattern == pattern {
			return r
		}
	}
	return nil
}

// snapshot renders the entity as its GET route answers, nil on failure.
func (h *Handler) snapshot(rq *request, get *route) json.RawMessage {
	if get.admin && rq.sess.Kind != core.SessionAdmin {
		return nil
	}
	cp := *rq
	cp.rt, cp.body = get, nil
	resp, err := get.fn(h, &cp)
	if err != nil || resp.status != http.StatusOK {
		return nil
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		return nil
	}
	return b
}
