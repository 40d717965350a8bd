package ontap

import (
	"context"
	"errors"
	"net/http"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/ontap/collection"
)

// S3 servers: /api/protocols/s3/services[/{svm.uuid}]. One per SVM.
// Creating one creates the SVM's root user, whose keys are returned with the
// users of the POST (they are shown only then); users[] of the POST are
// created in the same transaction (one failing user aborts everything, as
// in ONTAP); buckets[] are created afterwards by a job whose link the
// record carries. DELETE is a job; delete_all (default true) also deletes
// the users, groups, policies and empty buckets.

var serviceSchema = collection.Schema{Key: []string{"svm.name"}, Keep: []string{"svm", "name"}}

var serviceKnown = collection.NewFieldSet("svm.uuid", "svm.name", "svm._links.*", "name", "comment",
	"enabled", "is_http_enabled", "is_https_enabled", "port", "secure_port", "certificate.name",
	"certificate.uuid", "default_unix_user", "default_win_user", "max_key_time_to_live",
	"min_lock_retention_period", "max_lock_retention_period", "users.name", "users.comment",
	"users.access_key", "users._links.*", "buckets.name", "buckets.uuid", "buckets._links.*", "_links.*",
	"metric.*", "statistics.*")

// serviceBody is an S3 server POST or PATCH body.
type serviceBody struct {
	SVM              recordRef      `json:"svm"`
	Name             *string        `json:"name"`
	Comment          *string        `json:"comment"`
	Enabled          *bool          `json:"enabled"`
	IsHTTPEnabled    *bool          `json:"is_http_enabled"`
	IsHTTPSEnabled   *bool          `json:"is_https_enabled"`
	Port             *int           `json:"port"`
	SecurePort       *int           `json:"secure_port"`
	Certificate      *recordRef     `json:"certificate"`
	DefaultUnixUser  *string        `json:"default_unix_user"`
	DefaultWinUser   *string        `json:"default_win_user"`
	MaxKeyTimeToLive isoDuration    `json:"max_key_time_to_live"`
	MinLockRetention *string        `json:"min_lock_retention_period"`
	MaxLockRetention *string        `json:"max_lock_retention_period"`
	Users            []userPostBody `json:"users"`
	Buckets          []bucketBody   `json:"buckets"`
}

// recordRef is ONTAP's reference to another record in a body, by uuid or
// name ({"svm": {"uuid": ...}}, {"certificate": {"name": ...}}).
type recordRef struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

var serviceCommonFields = []string{"name", "comment", "enabled", "is_http_enabled", "is_https_enabled",
	"port", "secure_port", "certificate.name", "certificate.uuid", "default_unix_user", "default_win_user",
	"max_key_time_to_live", "min_lock_retention_period", "max_lock_retention_period"}

var (
	servicePostFields = collection.NewFieldSet(append(append([]string{"svm.uuid", "svm.name", "svm._links.*",
		"users.name", "users.comment", "users.access_key", "users.secret_key", "users.key_time_to_live"},
		prefixed("buckets.", bucketPostFieldList)...), serviceCommonFields...)...)
	servicePatchFields = collection.NewFieldSet(serviceCommonFields...)
)

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// parseServicePost decodes a server POST body into the core's input (with
// Tenant left to resolve from svm.uuid or svm.name) and the buckets to
// create afterwards.
func parseServicePost(raw []byte) (serviceBody, core.CreateS3ServiceInput, error) {
	var b serviceBody
	if _, err := decodeInto(raw, servicePostFields, &b); err != nil {
		return b, core.CreateS3ServiceInput{}, err
	}
	if b.SVM.UUID == "" && b.SVM.Name == "" {
		return b, core.CreateS3ServiceInput{}, badRequest(codeInvalidField, "svm.uuid",
			`Missing required field "svm.uuid" (or "svm.name").`)
	}
	in := core.CreateS3ServiceInput{Enabled: b.Enabled, IsHTTPEnabled: b.IsHTTPEnabled,
		IsHTTPSEnabled: b.IsHTTPSEnabled, MaxKeyTimeToLive: b.MaxKeyTimeToLive.D}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&in.Name, b.Name)
	set(&in.Comment, b.Comment)
	set(&in.DefaultUnixUser, b.DefaultUnixUser)
	set(&in.DefaultWinUser, b.DefaultWinUser)
	set(&in.MinLockRetention, b.MinLockRetention)
	set(&in.MaxLockRetention, b.MaxLockRetention)
	setListeners(&in, b.Port, b.SecurePort, b.Certificate)
	for _, u := range b.Users {
		ui := core.CreateUserInput{Comment: u.Comment, AccessKey: u.AccessKey, SecretKey: u.SecretKey,
			KeyTimeToLive: u.KeyTimeToLive.D}
		if u.Name != nil {
			ui.Name = *u.Name
		}
		in.Users = append(in.Users, ui)
	}
	return b, in, nil
}

func parseServicePatch(raw []byte) (core.S3ServicePatch, error) {
	var b serviceBody
	if _, err := decodeInto(raw, servicePatchFields, &b); err != nil {
		return core.S3ServicePatch{}, err
	}
	p := core.S3ServicePatch{Name: b.Name, Comment: b.Comment, Enabled: b.Enabled,
		IsHTTPEnabled: b.IsHTTPEnabled, IsHTTPSEnabled: b.IsHTTPSEnabled, Port: b.Port,
		SecurePort: b.SecurePort, DefaultUnixUser: b.DefaultUnixUser, DefaultWinUser: b.DefaultWinUser,
		MinLockRetention: b.MinLockRetention, MaxLockRetention: b.MaxLockRetention}
	if b.Certificate != nil {
		p.Certificate = &core.CertificateRef{Name: b.Certificate.Name, UUID: b.Certificate.UUID}
	}
	if b.MaxKeyTimeToLive.Set {
		d := b.MaxKeyTimeToLive.D
		p.MaxKeyTimeToLive = &d
	}
	return p, nil
}

// serviceRecord renders a server with its users and buckets.
func serviceRecord(t core.Tenant, v core.S3Service, users []core.User, buckets []core.Bucket) map[string]any {
	rec := map[string]any{
		"svm": svmRef(t.UUID, t.Name), "name": v.Name, "comment": v.Comment, "enabled": v.Enabled,
		"is_http_enabled": v.IsHTTPEnabled, "is_https_enabled": v.IsHTTPSEnabled,
		"port": v.Port, "secure_port": v.SecurePort,
		"_links": links(serviceHref(t.UUID)),
	}
	if v.Certificate.Name != "" || v.Certificate.UUID != "" {
		rec["certificate"] = certRecord(v.Certificate)
	}
	if v.DefaultUnixUser != "" {
		rec["default_unix_user"] = v.DefaultUnixUser
	}
	if v.DefaultWinUser != "" {
		rec["default_win_user"] = v.DefaultWinUser
	}
	if v.MaxKeyTimeToLive > 0 {
		rec["max_key_time_to_live"] = formatISODuration(v.MaxKeyTimeToLive)
	}
	rec["min_lock_retention_period"] = orNone(v.MinLockRetention)
	rec["max_lock_retention_period"] = orNone(v.MaxLockRetention)
	ul := make([]any, 0, len(users))
	for _, u := range users {
		m := map[string]any{"name": u.Name, "_links": links(userHref(t.UUID, u.Name))}
		if u.Comment != "" {
			m["comment"] = u.Comment
		}
		for _, k := range u.Keys {
			if k.Slot == 1 || len(u.Keys) == 1 {
				m["access_key"] = k.AccessKey
			}
		}
		ul = append(ul, m)
	}
	rec["users"] = ul
	bl := make([]any, 0, len(buckets))
	for _, b := range buckets {
		bl = append(bl, map[string]any{"name": b.Name, "uuid": b.UUID, "_links": links(svmBucketHref(t.UUID, b.UUID))})
	}
	rec["buckets"] = bl
	return rec
}

// orNone renders an unset lock period as ONTAP does ("none").
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// loadService gathers what serviceRecord needs.
func (h *handler) loadService(ctx context.Context, t core.Tenant, v core.S3Service) (map[string]any, error) {
	users, err := h.core.ListUsers(ctx, t.UUID)
	if err != nil {
		return nil, err
	}
	buckets, err := h.core.ListBuckets(ctx, t.UUID)
	if err != nil {
		return nil, err
	}
	return serviceRecord(t, v, users, buckets), nil
}

// tenantRef resolves an svm object of a body (uuid, name, or both, which
// must agree).
func (h *handler) tenantRef(ctx context.Context, uuid, name string) (core.Tenant, error) {
	if uuid != "" {
		t, err := h.core.GetTenant(ctx, uuid)
		if err != nil {
			return t, err
		}
		if name != "" && name != t.Name {
			return t, badRequest("2621706", "svm.name",
				`The specified "svm.uuid" and "svm.name" refer to different SVMs.`)
		}
		return t, nil
	}
	return h.core.GetTenantByName(ctx, name)
}

func (h *handler) services(rq *request) (response, error) {
	q, err := parseQuery(rq, serviceSchema)
	if err != nil {
		return response{}, err
	}
	if rq.Method == http.MethodPost {
		return h.createService(rq, q)
	}
	if err := q.Check(serviceKnown); err != nil {
		return response{}, err
	}
	list, err := h.core.ListS3Services(rq.ctx)
	if err != nil {
		return response{}, err
	}
	recs := make([]map[string]any, 0, len(list))
	for _, v := range list {
		t, err := h.core.GetTenant(rq.ctx, v.Tenant)
		if err == nil {
			var rec map[string]any
			if rec, err = h.loadService(rq.ctx, t, v); err == nil {
				recs = append(recs, rec)
				continue
			}
		}
		// Deleted (with its SVM) since the listing: not in the collection.
		if errors.Is(err, errs.NotFound) || core.ReasonOf(err) == core.ReasonNoS3Service || core.ReasonOf(err) == core.ReasonTenantNotFound {
			continue
		}
		return response{}, err
	}
	return ok(collection.Apply(recs, q, servicesPath)), nil
}

func (h *handler) createService(rq *request, q collection.Query) (response, error) {
	b, in, err := parseServicePost(rq.body())
	if err != nil {
		return response{}, err
	}
	t, err := h.tenantRef(rq.ctx, b.SVM.UUID, b.SVM.Name)
	if err != nil {
		return response{}, err
	}
	in.Tenant = t.UUID
	var buckets []core.CreateBucketInput
	for i := range b.Buckets {
		bi, err := b.Buckets[i].createInput(t.UUID)
		if err != nil {
			return response{}, err
		}
		buckets = append(buckets, bi)
	}
	out, err := h.core.CreateS3Service(rq.ctx, in)
	if err != nil {
		return response{}, err
	}
	users := make([]any, 0, len(out.Users)+1)
	if out.RootKey != nil {
		users = append(users, keyRecord(t.UUID, out.Root.Name, *out.RootKey))
	}
	for _, u := range out.Users {
		users = append(users, keyRecord(t.UUID, u.User.Name, u.Key))
	}
	rec := map[string]any{"users": users, "_links": links(serviceHref(t.UUID))}
	if len(buckets) > 0 {
		// A failing bucket keeps the ones already created (ONTAP).
		j, err := h.core.SubmitCreateBuckets(rq.ctx, core.JobSpec{Tenant: t.UUID, Operation: opServiceBuckets,
			Description: "POST " + rq.path + " (buckets)"}, buckets)
		if err != nil {
			return response{}, err
		}
		rec["job"] = jobLink(j.UUID)
	}
	return created(map[string]any{"num_records": 1, "records": []any{rec}}, serviceHref(t.UUID)), nil
}

func (h *handler) service(rq *request) (response, error) {
	t, err := h.serviceSVM(rq)
	if err != nil {
		return response{}, err
	}
	switch rq.Method {
	case http.MethodGet:
		q, err := parseKnownQuery(rq, serviceSchema, serviceKnown)
		if err != nil {
			return response{}, err
		}
		v, err := h.core.GetS3Service(rq.ctx, t.UUID)
		if err != nil {
			return response{}, err
		}
		rec, err := h.loadService(rq.ctx, t, v)
		if err != nil {
			return response{}, err
		}
		return ok(q.Single(rec)), nil
	case http.MethodPatch:
		if _, err := parseRecordQuery(rq, serviceSchema); err != nil {
			return response{}, err
		}
		p, err := parseServicePatch(rq.body())
		if err != nil {
			return response{}, err
		}
		if _, err := h.core.UpdateS3Service(rq.ctx, t.UUID, p); err != nil {
			return response{}, err
		}
		return ok(nil), nil
	default: // DELETE
		q, err := parseRecordQuery(rq, serviceSchema, "delete_all")
		if err != nil {
			return response{}, err
		}
		all, err := boolParam(q, "delete_all", true)
		if err != nil {
			return response{}, err
		}
		// ANS sends delete_all in the body instead of the query.
		var body struct {
			DeleteAll *bool `json:"delete_all"`
		}
		if _, err := decodeInto(rq.body(), collection.NewFieldSet("delete_all"), &body); err != nil {
			return response{}, err
		}
		if body.DeleteAll != nil {
			all = *body.DeleteAll
		}
		// Refuse at once what the job would refuse (unknown SVM, no server).
		if _, err := h.core.GetS3Service(rq.ctx, t.UUID); err != nil {
			return response{}, err
		}
		return h.runJob(rq, q, jobRun{
			Tenant: t.UUID, Operation: opDeleteService, Status: http.StatusOK,
			Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
				return h.core.SubmitDeleteS3Service(ctx, spec, core.DeleteS3ServiceInput{Tenant: t.UUID, DeleteAll: all})
			},
			Body: func(j core.Job) any {
				return map[string]any{"num_records": 1, "records": []any{map[string]any{"job": jobLink(j.UUID)}}}
			},
		})
	}
}
