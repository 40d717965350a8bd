package ontap

import (
	"net/http"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/ontap/collection"
)

// SVMs: /api/svm/svms and /api/svm/svms/{uuid}. Only data SVMs (data
// tenants) are visible, as in ONTAP; the admin SVM answers 404. The s3
// sub-object shows the SVM's S3 server; setting s3.enabled (POST or PATCH)
// creates the server when there is none, as ONTAP does.

var svmSchema = collection.Schema{Key: []string{"name"}, Keep: []string{"uuid", "name"}}

// svmKnown are the SVM fields a query may name: those Coffer fills, and
// others of ONTAP's model that clients ask for (Ansible's na_ontap_svm asks
// for language, aggregates, snapshot_policy, max_volumes, ndmp, ...); the
// latter are absent from the records, except the protocols, shown as
// neither allowed nor enabled.
var svmKnown = collection.NewFieldSet("uuid", "name", "state", "subtype", "comment", "ipspace.*",
	"s3.*", "_links.*", "nfs.*", "cifs.*", "fcp.*", "iscsi.*", "nvme.*", "ndmp.*", "language",
	"aggregates.*", "snapshot_policy.*", "max_volumes", "certificate.*", "dns.*", "ldap.*", "nis.*",
	"nsswitch.*", "ip_interfaces.*", "routes.*", "storage.*", "qos_policy.*",
	"anti_ransomware_default_volume_state", "is_space_reporting_logical", "is_space_enforcement_logical",
	"aggregates_delegated", "auto_enable_activity_tracking", "auto_enable_analytics")

// svmS3Body is the s3 sub-object of an SVM POST or PATCH.
type svmS3Body struct {
	Enabled        *bool   `json:"enabled"`
	Name           *string `json:"name"`
	IsHTTPEnabled  *bool   `json:"is_http_enabled"`
	IsHTTPSEnabled *bool   `json:"is_https_enabled"`
	Port           *int    `json:"port"`
	SecurePort     *int    `json:"secure_port"`
	Certificate    *struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	} `json:"certificate"`
}

// svmBody is an SVM POST or PATCH body.
type svmBody struct {
	Name    *string    `json:"name"`
	Comment *string    `json:"comment"`
	State   *string    `json:"state"`
	Subtype *string    `json:"subtype"`
	S3      *svmS3Body `json:"s3"`
}

var svmS3Fields = []string{"s3.enabled", "s3.name", "s3.is_http_enabled", "s3.is_https_enabled",
	"s3.port", "s3.secure_port", "s3.certificate.name", "s3.certificate.uuid"}

var (
	svmPostFields  = collection.NewFieldSet(append([]string{"name", "comment", "subtype", "state"}, svmS3Fields...)...)
	svmPatchFields = collection.NewFieldSet(append([]string{"name", "comment", "state"}, svmS3Fields...)...)
)

// parseSVMBody decodes an SVM POST (post=true) or PATCH body.
func parseSVMBody(raw []byte, post bool) (svmBody, error) {
	var b svmBody
	allowed := svmPatchFields
	if post {
		allowed = svmPostFields
	}
	if _, err := decodeInto(raw, allowed, &b); err != nil {
		return svmBody{}, err
	}
	if post && (b.Name == nil || *b.Name == "") {
		return svmBody{}, badRequest(codeInvalidField, "name", `Missing required field "name".`)
	}
	return b, nil
}

func (b *svmS3Body) createInput(tenant string) core.CreateS3ServiceInput {
	in := core.CreateS3ServiceInput{Tenant: tenant, Enabled: b.Enabled, IsHTTPEnabled: b.IsHTTPEnabled,
		IsHTTPSEnabled: b.IsHTTPSEnabled}
	if b.Name != nil {
		in.Name = *b.Name
	}
	if b.Port != nil {
		in.Port = *b.Port
	}
	if b.SecurePort != nil {
		in.SecurePort = *b.SecurePort
	}
	if b.Certificate != nil {
		in.Certificate = core.CertificateRef{Name: b.Certificate.Name, UUID: b.Certificate.UUID}
	}
	return in
}

func (b *svmS3Body) patch() core.S3ServicePatch {
	p := core.S3ServicePatch{Name: b.Name, Enabled: b.Enabled, IsHTTPEnabled: b.IsHTTPEnabled,
		IsHTTPSEnabled: b.IsHTTPSEnabled, Port: b.Port, SecurePort: b.SecurePort}
	if b.Certificate != nil {
		p.Certificate = &core.CertificateRef{Name: b.Certificate.Name, UUID: b.Certificate.UUID}
	}
	return p
}

// svmRecord renders an SVM with its S3 server (svc nil: none).
func svmRecord(t core.Tenant, svc *core.S3Service) map[string]any {
	s3 := map[string]any{"enabled": false, "allowed": true}
	if svc != nil {
		s3 = map[string]any{"enabled": svc.Enabled, "allowed": true, "name": svc.Name,
			"is_http_enabled": svc.IsHTTPEnabled, "is_https_enabled": svc.IsHTTPSEnabled,
			"port": svc.Port, "secure_port": svc.SecurePort, "_links": links(serviceHref(t.UUID))}
		if svc.Certificate.Name != "" || svc.Certificate.UUID != "" {
			s3["certificate"] = certRecord(svc.Certificate)
		}
	}
	rec := map[string]any{
		"uuid": t.UUID, "name": t.Name, "state": string(t.State), "subtype": string(t.Subtype),
		"comment": t.Comment, "ipspace": map[string]any{"name": "Default"}, "s3": s3,
		"_links": links(svmHref(t.UUID)),
	}
	for _, p := range []string{"nfs", "cifs", "fcp", "iscsi", "nvme", "ndmp"} {
		rec[p] = map[string]any{"enabled": false, "allowed": false}
	}
	return rec
}

func certRecord(c core.CertificateRef) map[string]any {
	m := map[string]any{}
	if c.Name != "" {
		m["name"] = c.Name
	}
	if c.UUID != "" {
		m["uuid"] = c.UUID
	}
	return m
}

// dataSVM returns a data tenant by uuid: unknown or non-data uuids are 404
// (REST exposes only data SVMs).
func (h *handler) dataSVM(rq *request, uuid string) (core.Tenant, error) {
	t, err := h.core.GetTenant(rq.ctx, uuid)
	if err != nil {
		return t, err
	}
	if !t.IsData() {
		return t, notFound("uuid")
	}
	return t, nil
}

// serviceOf returns the tenant's S3 server, or nil when it has none.
func (h *handler) serviceOf(rq *request, tenant string) (*core.S3Service, error) {
	svc, err := h.core.GetS3Service(rq.ctx, tenant)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound && core.ReasonOf(err) == core.ReasonNoS3Service {
			return nil, nil
		}
		return nil, err
	}
	return &svc, nil
}

func (h *handler) svms(rq *request) (response, error) {
	switch rq.Method {
	case http.MethodPost:
		return h.createSVM(rq)
	}
	q, err := parseQuery(rq, svmSchema)
	if err != nil {
		return response{}, err
	}
	if err := q.Check(svmKnown); err != nil {
		return response{}, err
	}
	tenants, err := h.core.ListTenants(rq.ctx)
	if err != nil {
		return response{}, err
	}
	services, err := h.core.ListS3Services(rq.ctx)
	if err != nil {
		return response{}, err
	}
	byTenant := map[string]*core.S3Service{}
	for i := range services {
		byTenant[services[i].Tenant] = &services[i]
	}
	recs := make([]map[string]any, 0, len(tenants))
	for _, t := range tenants {
		recs = append(recs, svmRecord(t, byTenant[t.UUID]))
	}
	return ok(collection.Apply(recs, q, svmsPath)), nil
}

func (h *handler) createSVM(rq *request) (response, error) {
	q, err := parseQuery(rq, svmSchema)
	if err != nil {
		return response{}, err
	}
	b, err := parseSVMBody(rq.body(), true)
	if err != nil {
		return response{}, err
	}
	in := core.CreateTenantInput{Name: *b.Name}
	if b.Comment != nil {
		in.Comment = *b.Comment
	}
	if b.Subtype != nil {
		in.Subtype = core.TenantSubtype(*b.Subtype)
	}
	if b.State != nil {
		in.State = core.TenantState(*b.State)
	}
	t, err := h.core.CreateTenant(rq.ctx, in)
	if err != nil {
		return response{}, err
	}
	var svc *core.S3Service
	if b.S3 != nil && (b.S3.Enabled == nil || *b.S3.Enabled || b.S3.Name != nil) {
		out, err := h.core.CreateS3Service(rq.ctx, b.S3.createInput(t.UUID))
		if err != nil {
			// The SVM and its server are created together or not at all.
			if derr := h.core.DeleteTenant(rq.ctx, t.UUID); derr != nil {
				h.log.Error("ontap: rolling back SVM creation", "svm", t.UUID, "err", derr)
			}
			return response{}, err
		}
		svc = &out.Service
	}
	return h.createdRecord(q, svmRecord(t, svc), svmHref(t.UUID)), nil
}

// createdRecord answers a synchronous POST: 201, Location, and with
// return_records=true {"num_records":1,"records":[rec]} (else {}).
func (h *handler) createdRecord(q collection.Query, rec map[string]any, href string) response {
	if !q.ReturnRecordsOr(false) {
		return created(nil, href)
	}
	return created(map[string]any{"num_records": 1, "records": []any{q.Single(rec)}}, href)
}

func (h *handler) svm(rq *request) (response, error) {
	t, err := h.dataSVM(rq, rq.UUID)
	if err != nil {
		return response{}, err
	}
	switch rq.Method {
	case http.MethodGet:
		q, err := parseQuery(rq, svmSchema)
		if err != nil {
			return response{}, err
		}
		if err := q.Check(svmKnown); err != nil {
			return response{}, err
		}
		svc, err := h.serviceOf(rq, t.UUID)
		if err != nil {
			return response{}, err
		}
		return ok(q.Single(svmRecord(t, svc))), nil
	case http.MethodPatch:
		if _, err := parseQuery(rq, svmSchema); err != nil {
			return response{}, err
		}
		b, err := parseSVMBody(rq.body(), false)
		if err != nil {
			return response{}, err
		}
		p := core.TenantPatch{Name: b.Name, Comment: b.Comment}
		if b.State != nil {
			st := core.TenantState(*b.State)
			p.State = &st
		}
		if p.Name != nil || p.Comment != nil || p.State != nil {
			if _, err := h.core.UpdateTenant(rq.ctx, t.UUID, p); err != nil {
				return response{}, err
			}
		}
		if b.S3 != nil {
			svc, err := h.serviceOf(rq, t.UUID)
			if err != nil {
				return response{}, err
			}
			if svc == nil {
				if b.S3.Enabled == nil || *b.S3.Enabled {
					if _, err := h.core.CreateS3Service(rq.ctx, b.S3.createInput(t.UUID)); err != nil {
						return response{}, err
					}
				}
			} else if _, err := h.core.UpdateS3Service(rq.ctx, t.UUID, b.S3.patch()); err != nil {
				return response{}, err
			}
		}
		return ok(nil), nil
	default: // DELETE
		if _, err := parseQuery(rq, svmSchema); err != nil {
			return response{}, err
		}
		if err := h.core.DeleteTenant(rq.ctx, t.UUID); err != nil {
			return response{}, err
		}
		return ok(nil), nil
	}
}

// str returns v as a string ("" unless it is one).
func str(v any) string {
	s, _ := v.(string)
	return s
}
