package ontap

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"coffer/internal/core"
	"coffer/internal/ontap/collection"
	"coffer/internal/reqlog"
)

// The audit log, ONTAP's way: every change made through this dialect
// (POST, PATCH, DELETE) is recorded in the core's audit log with the
// record as GET renders it before and after, and GET
// /api/security/audit/messages lists the log of both dialects with ONTAP's
// collection conventions (fields, filters, order_by, max_records).

// mutating reports whether a method changes something.
func mutating(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// run calls the route's endpoint; a change is written to the audit log.
func (h *handler) run(rq *request, r *http.Request, admin string) (response, error) {
	fn := endpoints[rq.Res]
	if !mutating(rq.Method) {
		return fn(h, rq)
	}
	before := h.snapshot(rq.ctx, rq.route)
	resp, err := fn(h, rq)
	rec := core.AuditRecord{Node: h.node, Application: "ontap", User: admin, Scope: "cluster", SVM: rq.SVM,
		Status: resp.status, State: "success", Before: before}
	if rq.SVM != "" {
		rec.Scope = "svm"
	}
	in := rq.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		in += "?" + r.URL.RawQuery
	}
	if b := rq.body(); len(b) > 0 {
		in += " : " + core.RedactText(b)
	}
	rec.Input = in
	if err != nil {
		e, _ := toAPIError(err, rq.route)
		rec.State, rec.Status, rec.ErrorCode = "error", e.Status, e.Code
	} else {
		switch {
		case rq.Method == http.MethodDelete:
		case resp.location != "":
			if rt, perr := parseRoute(http.MethodGet, resp.location); perr == nil {
				rec.After = h.snapshot(rq.ctx, rt)
			}
		default:
			rec.After = h.snapshot(rq.ctx, rq.route)
		}
	}
	lr := reqlog.From(r.Context())
	rec.Location, rec.CommandID = lr.Addr(), lr.ID()
	if _, aerr := h.core.AppendAudit(rq.ctx, rec); aerr != nil {
		h.log.Error("ontap: audit record not written", "request_id", lr.ID(), "input", rec.Input, "err", aerr)
	}
	return resp, err
}

// snapshot renders a record as GET answers it with fields=*, or nil when
// the route is a collection or the record cannot be read.
func (h *handler) snapshot(ctx context.Context, rt route) json.RawMessage {
	if !hasGet(rt.Res) || !isRecord(rt.Res) {
		return nil
	}
	rt.Method, rt.Head = http.MethodGet, false
	fields := "*"
	if rt.Res == resRule {
		fields = "**" // a rule's parameters are expensive fields
	}
	rq := &request{route: rt, ctx: ctx, query: url.Values{"fields": {fields}}, body: func() []byte { return nil }}
	resp, err := endpoints[rt.Res](h, rq)
	if err != nil || resp.status != http.StatusOK {
		return nil
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		return nil
	}
	return b
}

func hasGet(res resource) bool {
	for _, m := range methods[res] {
		if m == http.MethodGet {
			return true
		}
	}
	return false
}

// isRecord reports whether a resource is one record (not a collection).
func isRecord(res resource) bool {
	switch res {
	case resSVM, resService, resUser, resSvmBucket, resGroup, resPolicy, resBucket, resJob, resRule:
		return true
	}
	return false
}

var auditSchema = collection.Schema{Key: []string{"index"}, Keep: []string{"index", "node", "timestamp"}}

var auditKnown = collection.NewFieldSet("index", "timestamp", "node.name", "node.uuid", "application",
	"location", "user", "input", "state", "scope", "svm.uuid", "svm.name", "command_id", "session_id",
	"message", "status", "error_code", "before", "before.*", "after", "after.*", "_links.*")

// auditWindow is how many of the newest records a filtered or ordered
// query examines.
const auditWindow = 10_000

// auditMessages is GET /api/security/audit/messages.
func (h *handler) auditMessages(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, auditSchema, auditKnown)
	if err != nil {
		return response{}, err
	}
	// Read only what the page needs: from start.index on, max_records+1
	// records when nothing filters or reorders them, else the newest
	// auditWindow records.
	aq := core.AuditQuery{}
	if v, ok := q.Start["index"]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			aq.After = n - 1
		}
	}
	if len(q.Filters) == 0 && len(q.OrderBy) == 0 && q.MaxRecords > 0 {
		aq.Limit = q.MaxRecords + 1
	} else {
		aq.Newest = auditWindow
	}
	list, err := h.core.ListAudit(rq.ctx, aq)
	if err != nil {
		return response{}, err
	}
	recs := make([]map[string]any, 0, len(list))
	for _, a := range list {
		m := map[string]any{
			"index": a.Index, "timestamp": a.Time.Format("2006-01-02T15:04:05Z07:00"),
			"node": map[string]any{"name": a.Node}, "application": a.Application, "location": a.Location,
			"user": a.User, "input": a.Input, "state": a.State, "scope": a.Scope, "command_id": a.CommandID,
			"session_id": a.CommandID, "status": a.Status,
			"message": strings.TrimSpace(a.State + " " + a.ErrorCode),
		}
		if a.ErrorCode != "" {
			m["error_code"] = a.ErrorCode
		}
		if a.SVM != "" {
			m["svm"] = map[string]any{"uuid": a.SVM}
		}
		for name, doc := range map[string]json.RawMessage{"before": a.Before, "after": a.After} {
			if len(doc) == 0 {
				continue
			}
			var v any
			if json.Unmarshal(doc, &v) == nil {
				m[name] = v
			}
		}
		recs = append(recs, m)
	}
	return ok(collection.Apply(recs, q, "/api/security/audit/messages")), nil
}
