package ontap

import (
	"net/url"

	"coffer/internal/ontap/collection"
)

// Management accounts: GET /api/security/accounts lists the core's
// administrators (the accounts HTTP Basic authentication accepts), owned,
// as in ONTAP, by the cluster's admin SVM. It is read-only here; it is
// also where a client finds the admin SVM's uuid (owner.uuid), which the
// S3 endpoints refuse with "not a data SVM".

var accountSchema = collection.Schema{Key: []string{"owner.name", "name"}, Keep: []string{"owner", "name"}}

var accountKnown = collection.NewFieldSet("owner.uuid", "owner.name", "name", "role.name", "locked",
	"scope", "applications.application", "applications.authentication_methods", "_links.*")

func (h *handler) accounts(rq *request) (response, error) {
	q, err := parseKnownQuery(rq, accountSchema, accountKnown)
	if err != nil {
		return response{}, err
	}
	c, err := h.core.Cluster(rq.ctx)
	if err != nil {
		return response{}, err
	}
	list, err := h.core.ListAdmins(rq.ctx)
	if err != nil {
		return response{}, err
	}
	recs := make([]map[string]any, 0, len(list))
	for _, a := range list {
		recs = append(recs, map[string]any{
			"owner": map[string]any{"uuid": c.AdminTenant, "name": c.Name},
			"name":  a.Name, "role": map[string]any{"name": a.Role}, "locked": false, "scope": "cluster",
			"applications": []any{map[string]any{"application": "http", "authentication_methods": []any{"password"}}},
			"_links":       links("/api/security/accounts/" + esc(c.AdminTenant) + "/" + url.PathEscape(a.Name)),
		})
	}
	return ok(collection.Apply(recs, q, "/api/security/accounts")), nil
}
