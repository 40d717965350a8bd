package ontap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/lifecycle"
	"coffer/internal/ontap/collection"
	"coffer/internal/policy"
)

// Buckets, in both ONTAP families over one store:
// /api/protocols/s3/services/{svm.uuid}/buckets[/{uuid}] (SVM in the path)
// and /api/protocols/s3/buckets[/{svm.uuid}/{uuid}] (SVM in the body on
// POST, svm.uuid or svm.name). POST, PATCH and DELETE are jobs. The
// request is checked before the job starts wherever the core can tell at
// once (unknown or non-data SVM, no S3 server, the name rules, a bad
// policy, a duplicate name, an unknown bucket, a non-empty bucket on
// DELETE), so those errors come back synchronously; the job does the
// change and reports any later failure.

// bucketKnown are the fields of ONTAP's bucket model a query may name.
// Coffer fills only some of them (see bucketRecord); the others are
// accepted in fields= and filters, as ONTAP knows them, and are simply
// absent from the records (clients such as Ansible ask for volume.uuid,
// qos_policy, audit_event_selector, nas_path and snapshot_policy).
var bucketKnown = collection.NewFieldSet("svm.uuid", "svm.name", "svm._links.*", "uuid", "name",
	"comment", "size", "logical_used_size", "type", "versioning_state", "encryption.*",
	"retention.*", "role", "policy.statements.sid", "policy.statements.effect",
	"policy.statements.actions", "policy.statements.principals", "policy.statements.resources",
	"policy.statements.conditions.*", "_links.*",
	"volume.*", "qos_policy.*", "audit_event_selector.*", "nas_path", "is_nas_path_mutable",
	"snapshot_policy.*", "snapshot_restore.*", "is_consistent_etag", "cors.*", "lifecycle_management.*",
	"protection_status.*", "aggregates.*", "constituents_per_aggregate", "storage_service_level",
	"use_mirrored_aggregates", "allowed")

// bucketPostFieldList are the body fields of a bucket POST (without svm).
var bucketPostFieldList = []string{"name", "comment", "size", "versioning_state", "type",
	"retention.mode", "retention.default_period",
	"policy.statements.sid", "policy.statements.effect", "policy.statements.actions",
	"policy.statements.principals", "policy.statements.resources",
	"policy.statements.conditions.operator", "policy.statements.conditions.source_ips",
	"policy.statements.conditions.usernames", "policy.statements.conditions.prefixes",
	"policy.statements.conditions.delimiters", "policy.statements.conditions.max_keys",
	"policy.statements.conditions.source-ips"}

var (
	bucketPostFields = collection.NewFieldSet(append(append([]string{"svm.uuid", "svm.name", "svm._links.*"},
		bucketPostFieldList...), bucketRuleFields()...)...)
	bucketPatchFields = collection.NewFieldSet(append([]string{"comment", "size", "versioning_state", "policy"},
		bucketPostFieldList[5:]...)...)
)

// bucketRuleFields are the fields of a bucket POST's
// lifecycle_management.rules: each a rule as POST .../rules takes it.
func bucketRuleFields() []string {
	out := []string{"lifecycle_management.rules._links.*"}
	for _, f := range append([]string{"expiration._links.*", "non_current_version_expiration._links.*",
		"abort_incomplete_multipart_upload._links.*", "object_filter._links.*"}, ruleFieldList...) {
		out = append(out, "lifecycle_management.rules."+f)
	}
	return out
}

// bucketBody is a bucket POST or PATCH body.
type bucketBody struct {
	SVM             recordRef `json:"svm"`
	Name            *string   `json:"name"`
	Comment         *string   `json:"comment"`
	Size            *int64    `json:"size"`
	VersioningState *string   `json:"versioning_state"`
	Type            *string   `json:"type"`
	Policy          *struct {
		Statements *[]policy.ONTAPStatement `json:"statements"`
	} `json:"policy"`
	Retention *struct {
		Mode          *string `json:"mode"`
		DefaultPeriod *string `json:"default_period"`
	} `json:"retention"`
	LifecycleManagement *struct {
		Rules *[]ruleBody `json:"rules"`
	} `json:"lifecycle_management"`
}

// lifecycleConfig builds the lifecycle configuration of a POST's
// lifecycle_management.rules (nil when it has none), each rule checked as
// a POST of .../rules checks it, with the rule's index in the target.
func (b *bucketBody) lifecycleConfig(bucket string) (*lifecycle.Config, error) {
	if b.LifecycleManagement == nil || b.LifecycleManagement.Rules == nil || len(*b.LifecycleManagement.Rules) == 0 {
		return nil, nil
	}
	c := &lifecycle.Config{}
	for i, rb := range *b.LifecycleManagement.Rules {
		r, err := rb.newRule()
		if err == nil {
			err = addRule(c, r, bucket)
		}
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) {
				e := *ae
				e.Target = strings.TrimSuffix(fmt.Sprintf("lifecycle_management.rules[%d].%s", i, ae.Target), ".")
				return nil, &e
			}
			return nil, err
		}
	}
	if err := c.Validate(); err != nil {
		return nil, lifecycleError(err)
	}
	return c, nil
}

// retention reads the body's retention.mode and retention.default_period
// with the core's parsers (nil fields when absent).
func (b *bucketBody) retention() (core.RetentionPatch, error) {
	var p core.RetentionPatch
	if b.Retention == nil {
		return p, nil
	}
	if b.Retention.Mode != nil {
		m, err := core.ParseRetentionMode(*b.Retention.Mode)
		if err != nil {
			return p, err
		}
		p.Mode = &m
	}
	if b.Retention.DefaultPeriod != nil {
		d, err := core.ParseRetentionPeriod(*b.Retention.DefaultPeriod)
		if err != nil {
			return p, err
		}
		p.Period = &d
	}
	return p, nil
}

// createInput turns a POST body into the core's input, checking what can
// be checked before the job: the name rules and the policy.
func (b *bucketBody) createInput(tenant string) (core.CreateBucketInput, error) {
	in := core.CreateBucketInput{Tenant: tenant, Size: core.DefaultBucketSize}
	if b.Name != nil {
		in.Name = *b.Name
	}
	if err := core.ValidateBucketName(in.Name); err != nil {
		return in, err
	}
	if b.Comment != nil {
		in.Comment = *b.Comment
	}
	if b.Size != nil {
		in.Size = *b.Size
	}
	if b.VersioningState != nil {
		in.Versioning = core.Versioning(*b.VersioningState)
	}
	if b.Type != nil && *b.Type != "s3" {
		if *b.Type == "nas" && b.Retention != nil && b.Retention.Mode != nil && *b.Retention.Mode != "no_lock" {
			return in, badRequest(codeLockNAS, "retention.mode", "Object locking cannot be enabled on a NAS bucket.")
		}
		return in, badRequest(codeNotSupported, "type", `Only buckets of type "s3" are supported.`)
	}
	r, err := b.retention()
	if err != nil {
		return in, err
	}
	if r.Mode != nil {
		in.Retention.Mode = *r.Mode
	}
	if r.Period != nil {
		in.Retention.Period = *r.Period
	}
	if b.Policy != nil && b.Policy.Statements != nil && len(*b.Policy.Statements) > 0 {
		doc, err := policy.FromONTAPBucketPolicy(in.Name, *b.Policy.Statements)
		if err != nil {
			return in, policyError(err, "policy.statements")
		}
		in.Policy = &doc
	}
	if in.Lifecycle, err = b.lifecycleConfig(in.Name); err != nil {
		return in, err
	}
	return in, nil
}

// patch turns a PATCH body into the core's patch.
func (b *bucketBody) patch(name string) (core.BucketPatch, error) {
	p := core.BucketPatch{Comment: b.Comment, Size: b.Size}
	if b.Retention != nil {
		r, err := b.retention()
		if err != nil {
			return p, err
		}
		p.Retention = &r
	}
	if b.VersioningState != nil {
		v := core.Versioning(*b.VersioningState)
		p.Versioning = &v
	}
	if b.Policy != nil {
		doc := policy.Document{}
		if b.Policy.Statements != nil && len(*b.Policy.Statements) > 0 {
			var err error
			if doc, err = policy.FromONTAPBucketPolicy(name, *b.Policy.Statements); err != nil {
				return p, policyError(err, "policy.statements")
			}
		}
		p.Policy = &doc
	}
	return p, nil
}

func parseBucketPost(raw []byte) (bucketBody, error) {
	var b bucketBody
	_, err := decodeInto(raw, bucketPostFields, &b, sourceIPsAlias)
	return b, err
}

func parseBucketPatch(raw []byte) (bucketBody, error) {
	var b bucketBody
	_, err := decodeInto(raw, bucketPatchFields, &b, sourceIPsAlias)
	return b, err
}

// sourceIPsAlias accepts "source-ips" for a condition's source_ips: older
// Ansible netapp.ontap releases send that spelling.
func sourceIPsAlias(m map[string]any) {
	stmts, _ := collection.GetArray(m, "policy.statements")
	for _, st := range stmts {
		sm, _ := st.(map[string]any)
		conds, _ := sm["conditions"].([]any)
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if v, ok := cm["source-ips"]; ok && cm != nil {
				if _, both := cm["source_ips"]; !both {
					cm["source_ips"] = v
				}
				delete(cm, "source-ips")
			}
		}
	}
}

// clusterWide reports whether the route is of the /protocols/s3/buckets
// family.
func clusterWide(res resource) bool { return res == resBuckets || res == resBucket }

// bucketSelf is a bucket's href in the family of the request.
func bucketSelf(cw bool, svm, uuid string) string {
	if cw {
		return bucketHref(svm, uuid)
	}
	return svmBucketHref(svm, uuid)
}

// bucketRecord renders a bucket. Statement conditions are "expensive"
// (fields=** or named), as in ONTAP.
func bucketRecord(t core.Tenant, b core.Bucket, cw bool) map[string]any {
	rec := map[string]any{
		"svm": svmRef(t.UUID, t.Name), "uuid": b.UUID, "name": b.Name, "comment": b.Comment,
		"size": b.Size, "logical_used_size": b.UsedBytes, "type": "s3",
		"versioning_state": string(b.Versioning), "encryption": map[string]any{"enabled": false},
		"retention": retentionRecord(b.Retention), "role": "standalone",
		"_links": links(bucketSelf(cw, t.UUID, b.UUID)),
	}
	if rec["versioning_state"] == "" {
		rec["versioning_state"] = string(core.VersioningDisabled)
	}
	stmts := []any{}
	if b.Policy != nil {
		for _, s := range policy.ToONTAP(*b.Policy) {
			s.Index = nil
			stmts = append(stmts, generic(s))
		}
	}
	rec["policy"] = map[string]any{"statements": stmts}
	return rec
}

// retentionRecord renders a bucket's retention: mode no_lock, governance
// or compliance, and default_period ("P30D", "P1Y") when it has one.
func retentionRecord(r core.BucketRetention) map[string]any {
	rec := map[string]any{"mode": "no_lock"}
	if r.Mode.Locked() {
		rec["mode"] = string(r.Mode)
		if !r.Period.IsZero() {
			rec["default_period"] = r.Period.String()
		}
	}
	return rec
}

func bucketSchema(cw bool) collection.Schema {
	key := []string{"name"}
	if cw {
		key = []string{"svm.name", "name"}
	}
	return collection.Schema{Key: key, Keep: []string{"svm", "uuid", "name"},
		Expensive: []string{"policy.statements.conditions"}}
}

func (h *handler) buckets(rq *request) (response, error) {
	cw := clusterWide(rq.Res)
	q, err := parseQuery(rq, bucketSchema(cw))
	if err != nil {
		return response{}, err
	}
	var t core.Tenant
	if !cw {
		if t, err = h.serviceSVM(rq); err != nil {
			return response{}, err
		}
	}
	if rq.Method == http.MethodPost {
		return h.createBucket(rq, q, t, cw)
	}
	if err := q.Check(bucketKnown); err != nil {
		return response{}, err
	}
	list, err := h.core.ListBuckets(rq.ctx, t.UUID)
	if err != nil {
		return response{}, err
	}
	tenants := map[string]core.Tenant{t.UUID: t}
	recs := make([]map[string]any, 0, len(list))
	for _, b := range list {
		bt, found := tenants[b.Tenant]
		if !found {
			if bt, err = h.core.GetTenant(rq.ctx, b.Tenant); err != nil {
				if errors.Is(err, errs.NotFound) {
					continue // its SVM was deleted since the listing
				}
				return response{}, err
			}
			tenants[b.Tenant] = bt
		}
		recs = append(recs, bucketRecord(bt, b, cw))
	}
	base := bucketsPath
	if !cw {
		base = serviceHref(t.UUID) + "/buckets"
	}
	return ok(collection.Apply(recs, q, base)), nil
}

func (h *handler) createBucket(rq *request, q collection.Query, t core.Tenant, cw bool) (response, error) {
	b, err := parseBucketPost(rq.body())
	if err != nil {
		return response{}, err
	}
	if cw {
		if b.SVM.UUID == "" && b.SVM.Name == "" {
			return response{}, badRequest(codeInvalidField, "svm.uuid", `Missing required field "svm.uuid" (or "svm.name").`)
		}
		if t, err = h.tenantRef(rq.ctx, b.SVM.UUID, b.SVM.Name); err != nil {
			return response{}, err
		}
	}
	// The SVM must be a data SVM with an S3 server: answer now.
	if _, err := h.core.GetS3Service(rq.ctx, t.UUID); err != nil {
		return response{}, err
	}
	in, err := b.createInput(t.UUID)
	if err != nil {
		return response{}, err
	}
	if err := h.core.CheckBucketRetention(rq.ctx, t.UUID, in.Retention); err != nil {
		return response{}, err
	}
	if _, err := h.core.GetBucket(rq.ctx, t.UUID, in.Name); err == nil {
		return response{}, &apiError{Status: http.StatusConflict, Code: codeDuplicate, Target: "name",
			Message: `A bucket named "` + in.Name + `" already exists in SVM "` + t.Name + `".`}
	}
	base := bucketsPath
	if !cw {
		base = serviceHref(t.UUID) + "/buckets"
	}
	return h.runJob(rq, q, jobRun{
		Tenant: t.UUID, Operation: opCreateBucket, Status: http.StatusCreated,
		Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
			return h.core.SubmitCreateBuckets(ctx, spec, []core.CreateBucketInput{in})
		},
		Body: func(j core.Job) any {
			body := map[string]any{"job": jobLink(j.UUID)}
			if q.ReturnRecordsOr(false) {
				rec := map[string]any{"name": in.Name, "comment": in.Comment}
				if j.Result != "" {
					rec["uuid"] = j.Result
					rec["_links"] = links(bucketSelf(cw, t.UUID, j.Result))
				}
				body["num_records"] = 1
				body["records"] = []any{rec}
			}
			return body
		},
		Location: func(j core.Job) string {
			if j.State == core.JobSuccess && j.Result != "" {
				return bucketSelf(cw, t.UUID, j.Result)
			}
			return base + "/?name=" + url.QueryEscape(in.Name)
		},
	})
}

func (h *handler) bucket(rq *request) (response, error) {
	cw := clusterWide(rq.Res)
	t, err := h.serviceSVM(rq)
	if err != nil {
		return response{}, err
	}
	b, err := h.core.GetBucketByUUID(rq.ctx, t.UUID, rq.UUID)
	if err != nil {
		return response{}, err
	}
	switch rq.Method {
	case http.MethodGet:
		q, err := parseKnownQuery(rq, bucketSchema(cw), bucketKnown)
		if err != nil {
			return response{}, err
		}
		return ok(q.Single(bucketRecord(t, b, cw))), nil
	case http.MethodPatch:
		q, err := parseRecordQuery(rq, bucketSchema(cw))
		if err != nil {
			return response{}, err
		}
		body, err := parseBucketPatch(rq.body())
		if err != nil {
			return response{}, err
		}
		p, err := body.patch(b.Name)
		if err != nil {
			return response{}, err
		}
		if p.Retention != nil {
			if err := h.core.CheckRetentionPatch(rq.ctx, b, *p.Retention); err != nil {
				return response{}, err
			}
		}
		return h.runJob(rq, q, jobRun{
			Tenant: t.UUID, Operation: opModifyBucket, Status: http.StatusOK,
			Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
				return h.core.SubmitUpdateBucket(ctx, spec, t.UUID, b.Name, p)
			},
			Body: func(j core.Job) any { return map[string]any{"job": jobLink(j.UUID)} },
		})
	default: // DELETE
		q, err := parseRecordQuery(rq, bucketSchema(cw))
		if err != nil {
			return response{}, err
		}
		// A bucket with object locking is left to the job, which fails
		// while the bucket holds versions (the object layer refuses);
		// another non-empty bucket is refused at once.
		if b.Objects > 0 && !b.Retention.Mode.Locked() {
			return response{}, &apiError{Status: http.StatusConflict, Code: codeBucketRemove, Target: "uuid",
				Message: `Failed to remove bucket "` + b.Name + `" for SVM "` + t.Name +
					`". Reason: the bucket is not empty. Delete its objects (and object versions) first.`}
		}
		return h.runJob(rq, q, jobRun{
			Tenant: t.UUID, Operation: opDeleteBucket, Status: http.StatusOK,
			Submit: func(ctx context.Context, spec core.JobSpec) (core.Job, error) {
				return h.core.SubmitDeleteBucket(ctx, spec, b, t.Name)
			},
			Body: func(j core.Job) any { return map[string]any{"job": jobLink(j.UUID)} },
		})
	}
}
