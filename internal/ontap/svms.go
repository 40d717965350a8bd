package ontap

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

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
	Enabled        *bool      `json:"enabled"`
	Name           *string    `json:"name"`
	IsHTTPEnabled  *bool      `json:"is_http_enabled"`
	IsHTTPSEnabled *bool      `json:"is_https_enabled"`
	Port           *int       `json:"port"`
	SecurePort     *int       `json:"secure_port"`
	Certificate    *recordRef `json:"certificate"`
}

// namedRef is a reference by name, sent as {"name": ...} or, as Ansible's
// na_ontap_svm sends ipspace and snapshot_policy, as a bare string.
type namedRef struct {
	Name string
	UUID string
}

func (r *namedRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		r.Name = s
		return nil
	}
	var o struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return errors.New("expected a name or an object with a name")
	}
	r.Name, r.UUID = o.Name, o.UUID
	return nil
}

// name returns the referenced name; a reference by uuid alone is refused
// (Coffer's IPspace, snapshot policies and aggregates have no uuids).
func (r *namedRef) name(field string) (string, error) {
	if r.Name == "" {
		return "", badRequest(codeInvalidField, field+".name", `Field "`+field+`" needs a name.`)
	}
	return r.Name, nil
}

// countOrWord is a JSON number or string (max_volumes: 100, "100" or
// "unlimited").
type countOrWord string

func (c *countOrWord) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = countOrWord(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New(`max_volumes must be "unlimited" or an integer`)
	}
	*c = countOrWord(n.String())
	return nil
}

// svmBody is an SVM POST or PATCH body.
type svmBody struct {
	Name           *string      `json:"name"`
	Comment        *string      `json:"comment"`
	State          *string      `json:"state"`
	Subtype        *string      `json:"subtype"`
	Language       *string      `json:"language"`
	SnapshotPolicy *namedRef    `json:"snapshot_policy"`
	IPspace        *namedRef    `json:"ipspace"`
	MaxVolumes     *countOrWord `json:"max_volumes"`
	Aggregates     *[]namedRef  `json:"aggregates"`
	S3             *svmS3Body   `json:"s3"`
}

var svmS3Fields = []string{"s3.enabled", "s3.name", "s3.is_http_enabled", "s3.is_https_enabled",
	"s3.port", "s3.secure_port", "s3.certificate.name", "s3.certificate.uuid"}

// svmSettingFields are the settings both POST and PATCH take.
var svmSettingFields = []string{"name", "comment", "state", "language", "snapshot_policy", "snapshot_policy.name",
	"snapshot_policy.uuid", "max_volumes", "aggregates.name", "aggregates.uuid"}

var (
	svmPostFields = collection.NewFieldSet(append(append([]string{"subtype", "ipspace", "ipspace.name", "ipspace.uuid"},
		svmSettingFields...), svmS3Fields...)...)
	svmPatchFields = collection.NewFieldSet(append(svmSettingFields, svmS3Fields...)...)
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

// createInput is the core's input for an SVM POST.
func (b svmBody) createInput() (core.CreateTenantInput, error) {
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
	if b.Language != nil {
		in.Language = *b.Language
	}
	if b.MaxVolumes != nil {
		in.MaxVolumes = string(*b.MaxVolumes)
	}
	var err error
	if b.SnapshotPolicy != nil {
		if in.SnapshotPolicy, err = b.SnapshotPolicy.name("snapshot_policy"); err != nil {
			return in, err
		}
	}
	if b.IPspace != nil {
		if in.IPspace, err = b.IPspace.name("ipspace"); err != nil {
			return in, err
		}
	}
	if b.Aggregates != nil {
		if in.Aggregates, err = refNames(*b.Aggregates, "aggregates"); err != nil {
			return in, err
		}
	}
	return in, nil
}

// patch is the core's patch for an SVM PATCH.
func (b svmBody) patch() (core.TenantPatch, error) {
	p := core.TenantPatch{Name: b.Name, Comment: b.Comment, Language: b.Language}
	if b.State != nil {
		st := core.TenantState(*b.State)
		p.State = &st
	}
	if b.MaxVolumes != nil {
		m := string(*b.MaxVolumes)
		p.MaxVolumes = &m
	}
	if b.SnapshotPolicy != nil {
		n, err := b.SnapshotPolicy.name("snapshot_policy")
		if err != nil {
			return p, err
		}
		p.SnapshotPolicy = &n
	}
	if b.Aggregates != nil {
		n, err := refNames(*b.Aggregates, "aggregates")
		if err != nil {
			return p, err
		}
		p.Aggregates = &n
	}
	return p, nil
}

// changesTenant reports whether p changes the tenant record.
func changesTenant(p core.TenantPatch) bool {
	return p.Name != nil || p.Comment != nil || p.State != nil || p.Language != nil ||
		p.SnapshotPolicy != nil || p.MaxVolumes != nil || p.Aggregates != nil
}

func refNames(refs []namedRef, field string) ([]string, error) {
	out := make([]string, 0, len(refs))
	for i := range refs {
		n, err := refs[i].name(field)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (b *svmS3Body) createInput(tenant string) core.CreateS3ServiceInput {
	in := core.CreateS3ServiceInput{Tenant: tenant, Enabled: b.Enabled, IsHTTPEnabled: b.IsHTTPEnabled,
		IsHTTPSEnabled: b.IsHTTPSEnabled}
	if b.Name != nil {
		in.Name = *b.Name
	}
	setListeners(&in, b.Port, b.SecurePort, b.Certificate)
	return in
}

// setListeners sets the S3 server's ports and certificate given in a body
// (the server POST, the SVM POST's s3 object); absent ones keep the core's
// defaults.
func setListeners(in *core.CreateS3ServiceInput, port, securePort *int, cert *recordRef) {
	if port != nil {
		in.Port = *port
	}
	if securePort != nil {
		in.SecurePort = *securePort
	}
	if cert != nil {
		in.Certificate = core.CertificateRef{Name: cert.Name, UUID: cert.UUID}
	}
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
	aggrs := make([]any, 0, len(t.Aggregates))
	for _, a := range t.Aggregates {
		aggrs = append(aggrs, map[string]any{"name": a})
	}
	rec := map[string]any{
		"uuid": t.UUID, "name": t.Name, "state": string(t.State), "subtype": string(t.Subtype),
		"comment": t.Comment, "language": t.Language, "ipspace": map[string]any{"name": t.IPspace},
		"snapshot_policy": map[string]any{"name": t.SnapshotPolicy}, "max_volumes": t.MaxVolumes,
		"aggregates": aggrs, "aggregates_delegated": false, "s3": s3,
		"_links": links(svmHref(t.UUID)),
	}
	// Coffer serves no file or block protocol: every one is neither
	// allowed nor enabled (ONTAP omits them for a stopped SVM).
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
	q, err := parseKnownQuery(rq, svmSchema, svmKnown)
	if err != nil {
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

// createSVM starts the creation job (ONTAP: POST /api/svm/svms is a job):
// 202 with the job link, or with return_timeout the final answer (201 and
// Location once the SVM exists). What the core can tell before the job
// (the name's rules and uniqueness, the settings) is answered at once.
func (h *handler) createSVM(rq *request) (response, error) {
	q, err := parseQuery(rq, svmSchema)
	if err != nil {
		return response{}, err
	}
	b, err := parseSVMBody(rq.body(), true)
	if err != nil {
		return response{}, err
	}
	in, err := b.createInput()
	if err != nil {
		return response{}, err
	}
	if err := h.core.CheckCreateTenant(rq.ctx, in); err != nil {
		return response{}, err
	}
	withS3 := b.S3 != nil && (b.S3.Enabled == nil || *b.S3.Enabled || b.S3.Name != nil)
	return h.runJob(rq, q, jobRun{
		Operation: opCreateSVM, Status: http.StatusCreated,
		Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
			// The SVM and its server are created together or not at all.
			var s3 *core.CreateS3ServiceInput
			if withS3 {
				in := b.S3.createInput("")
				s3 = &in
			}
			return h.core.SubmitCreateTenant(ctx, spec, in, s3)
		},
		Body: func(j core.Job) any {
			body := map[string]any{"job": jobLink(j.UUID)}
			if q.ReturnRecordsOr(false) {
				rec := map[string]any{"name": in.Name}
				if j.Result != "" {
					rec["uuid"] = j.Result
					rec["_links"] = links(svmHref(j.Result))
				}
				body["num_records"] = 1
				body["records"] = []any{rec}
			}
			return body
		},
		Location: func(j core.Job) string {
			if j.State == core.JobSuccess && j.Result != "" {
				return svmHref(j.Result)
			}
			return svmsPath + "?name=" + url.QueryEscape(in.Name)
		},
	})
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
		q, err := parseKnownQuery(rq, svmSchema, svmKnown)
		if err != nil {
			return response{}, err
		}
		svc, err := h.serviceOf(rq, t.UUID)
		if err != nil {
			return response{}, err
		}
		return ok(q.Single(svmRecord(t, svc))), nil
	case http.MethodPatch:
		return h.modifySVM(rq, t)
	default: // DELETE
		q, err := parseQuery(rq, svmSchema)
		if err != nil {
			return response{}, err
		}
		if err := h.core.CheckDeleteTenant(rq.ctx, t.UUID); err != nil {
			return response{}, err
		}
		return h.runJob(rq, q, jobRun{
			Tenant: t.UUID, Operation: opDeleteSVM, Status: http.StatusOK,
			Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
				return h.core.SubmitDeleteTenant(ctx, spec, t.UUID)
			},
			Body: func(j core.Job) any { return map[string]any{"job": jobLink(j.UUID)} },
		})
	}
}

// modifySVM starts the modification job (PATCH /api/svm/svms/{uuid}).
func (h *handler) modifySVM(rq *request, t core.Tenant) (response, error) {
	q, err := parseQuery(rq, svmSchema)
	if err != nil {
		return response{}, err
	}
	b, err := parseSVMBody(rq.body(), false)
	if err != nil {
		return response{}, err
	}
	p, err := b.patch()
	if err != nil {
		return response{}, err
	}
	if changesTenant(p) {
		if err := h.core.CheckUpdateTenant(rq.ctx, t.UUID, p); err != nil {
			return response{}, err
		}
	}
	return h.runJob(rq, q, jobRun{
		Tenant: t.UUID, Operation: opModifySVM, Status: http.StatusOK,
		Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
			var u core.UpdateTenantJob
			if changesTenant(p) {
				u.Patch = &p
			}
			if b.S3 != nil {
				// An existing server is patched; a missing one is created
				// unless the body disables it.
				sp := b.S3.patch()
				u.S3Patch = &sp
				if b.S3.Enabled == nil || *b.S3.Enabled {
					in := b.S3.createInput("")
					u.S3Create = &in
				}
			}
			return h.core.SubmitUpdateTenant(ctx, spec, t.UUID, u)
		},
		Body: func(j core.Job) any { return map[string]any{"job": jobLink(j.UUID)} },
	})
}

// str returns v as a string ("" unless it is one).
func str(v any) string {
	s, _ := v.(string)
	return s
}
