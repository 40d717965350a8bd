package ontap

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/lifecycle"
	"coffer/internal/ontap/collection"
)

// Bucket lifecycle management rules (ONTAP 9.13.1):
// /api/protocols/s3/services/{svm.uuid}/buckets/{uuid}/rules[/{name}].
// A bucket's rules are its one S3 lifecycle configuration (package
// lifecycle, stored by the core): a rule POSTed here is returned by S3's
// GetBucketLifecycleConfiguration, one put through S3 is listed here, and
// the core's lifecycle job runs them all. Each ONTAP rule is one S3 rule:
//
//	name                                   ID
//	enabled                                Status Enabled / Disabled
//	object_filter.prefix                   Filter Prefix
//	object_filter.tags ["k=v", ...]        Filter Tag(s)
//	object_filter.size_greater_than        Filter ObjectSizeGreaterThan
//	object_filter.size_less_than           Filter ObjectSizeLessThan
//	expiration.object_age_days             Expiration Days
//	expiration.object_expiry_date          Expiration Date
//	expiration.expired_object_delete_marker Expiration ExpiredObjectDeleteMarker
//	non_current_version_expiration.non_current_days        NoncurrentDays
//	non_current_version_expiration.new_non_current_versions NewerNoncurrentVersions
//	abort_incomplete_multipart_upload.after_initiation_days DaysAfterInitiation
//
// POST, PATCH and DELETE change the configuration in one transaction of
// the core (UpdateBucketLifecycle) and answer synchronously (201 / 200),
// which ONTAP's table allows. ONTAP's own checks (spec B2, B3) come first,
// with ONTAP's codes; the lifecycle package's checks follow.

// ONTAP lifecycle rule codes.
const (
	codeRuleBucketNotFound   = "92405861"
	codeRuleFilterChanged    = "92406113"
	codeRuleExpNoField       = "92406114"
	codeRuleNoncurNoField    = "92406115"
	codeRuleAbortNoField     = "92406116"
	codeRuleAgeAndDate       = "92406117"
	codeRuleAbortTags        = "92406120"
	codeRuleMarkerTags       = "92406121"
	codeRuleMarkerAgeDate    = "92406122"
	codeRuleTooManyTags      = "92406111"
	codeRuleTagChars         = "92406126"
	codeRuleTagKeyLength     = "92406127"
	codeRuleTagKeyDuplicate  = "92406128"
	codeRulePrefixLength     = "92406129"
	codeRuleSizeRange        = "92406130"
	codeRuleNoncurDays       = "92406131"
	codeRuleAgeDays          = "92406132"
	codeRuleDateEpoch        = "92406133"
	codeRuleTooMany          = "92406134"
	codeRuleDateMidnight     = "92406136"
	codeRuleMarkerFalsePost  = "92406141"
	codeRuleMarkerFalsePatch = "92406142"
	codeRuleAbortSize        = "92406144"
	codeRuleExists           = "92406146"
	codeRuleNewerVersions    = "92406148"
	codeRuleNoAction         = "92406149"
	codeRuleMarkerSizeLess   = "92406150"
)

// Limits of ONTAP's rule model.
const (
	maxRuleTags      = 4
	maxRulePrefixLen = 1024
	maxRuleNameLen   = lifecycle.MaxIDLength // ONTAP says 256; S3's 255 applies to the shared record
)

var ruleFieldList = []string{"name", "enabled",
	"object_filter.prefix", "object_filter.tags", "object_filter.size_greater_than", "object_filter.size_less_than",
	"expiration.object_age_days", "expiration.object_expiry_date", "expiration.expired_object_delete_marker",
	"non_current_version_expiration.non_current_days", "non_current_version_expiration.new_non_current_versions",
	"abort_incomplete_multipart_upload.after_initiation_days"}

var (
	// POST may name the SVM and bucket as the model has them (ignored: the
	// path names them).
	rulePostFields = collection.NewFieldSet(append([]string{"svm.uuid", "svm.name", "svm._links.*",
		"bucket_name", "uuid", "_links.*", "expiration._links.*", "non_current_version_expiration._links.*",
		"abort_incomplete_multipart_upload._links.*", "object_filter._links.*"}, ruleFieldList...)...)
	// PATCH: enabled, the actions, and the filter (which must stay the
	// same, 92406113).
	rulePatchFields = collection.NewFieldSet(append([]string{"expiration._links.*", "non_current_version_expiration._links.*",
		"abort_incomplete_multipart_upload._links.*", "object_filter._links.*"}, ruleFieldList[1:]...)...)
	ruleKnown = collection.NewFieldSet("svm.uuid", "svm.name", "svm._links.*", "bucket_name", "uuid", "name",
		"enabled", "object_filter.*", "expiration.*", "non_current_version_expiration.*",
		"abort_incomplete_multipart_upload.*", "_links.*")
)

// ruleSchema: rule parameters appear only with fields=** or when named,
// as ONTAP's operation notes say.
var ruleSchema = collection.Schema{Key: []string{"name"}, Keep: []string{"svm", "uuid", "bucket_name", "name"},
	Expensive: []string{"enabled", "object_filter", "expiration", "non_current_version_expiration",
		"abort_incomplete_multipart_upload"}}

// ruleBody is a rule POST or PATCH body.
type ruleBody struct {
	Name         *string `json:"name"`
	Enabled      *bool   `json:"enabled"`
	ObjectFilter *struct {
		Prefix          *string   `json:"prefix"`
		Tags            *[]string `json:"tags"`
		SizeGreaterThan *int64    `json:"size_greater_than"`
		SizeLessThan    *int64    `json:"size_less_than"`
	} `json:"object_filter"`
	Expiration *struct {
		ObjectAgeDays             *int64  `json:"object_age_days"`
		ObjectExpiryDate          *string `json:"object_expiry_date"`
		ExpiredObjectDeleteMarker *bool   `json:"expired_object_delete_marker"`
	} `json:"expiration"`
	NonCurrent *struct {
		NonCurrentDays        *int64 `json:"non_current_days"`
		NewNonCurrentVersions *int64 `json:"new_non_current_versions"`
	} `json:"non_current_version_expiration"`
	Abort *struct {
		AfterInitiationDays *int64 `json:"after_initiation_days"`
	} `json:"abort_incomplete_multipart_upload"`
}

func ruleErr(code, target, format string, args ...any) error {
	return badRequest(code, target, errs.BoundMessage(fmt.Sprintf(format, args...)))
}

// maxRuleDays bounds day counts (about 100 years) so date arithmetic
// cannot overflow.
const maxRuleDays = 36500

// parseRuleTag reads "key" or "key=value"; a literal "=" in either is
// written "\=".
func parseRuleTag(s string) (lifecycle.Tag, error) {
	var key, val strings.Builder
	cur, split := &key, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '=':
			cur.WriteByte('=')
			i++
			continue
		case c == '=' && !split:
			cur, split = &val, true
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("+-=._:/@ ", c) >= 0) {
			return lifecycle.Tag{}, ruleErr(codeRuleTagChars, "object_filter.tags",
				`The tag %q contains invalid characters. Valid characters are 0-9, A-Z, a-z, "+", "-", "=", ".", "_", ":", "/", "@" and space; a "=" inside a key or value is written "\=".`, s)
		}
		cur.WriteByte(c)
	}
	if key.Len() == 0 {
		return lifecycle.Tag{}, ruleErr(codeRuleTagChars, "object_filter.tags", "The tag %q has no key.", s)
	}
	if key.Len() > lifecycle.MaxTagKeyLength {
		return lifecycle.Tag{}, ruleErr(codeRuleTagKeyLength, "object_filter.tags", "A tag key has at most %d characters.", lifecycle.MaxTagKeyLength)
	}
	return lifecycle.Tag{Key: key.String(), Value: val.String()}, nil
}

func renderRuleTag(t lifecycle.Tag) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "=", `\=`) }
	if t.Value == "" {
		return esc(t.Key)
	}
	return esc(t.Key) + "=" + esc(t.Value)
}

// filter builds the S3 filter of a body's object_filter.
func (b *ruleBody) filter() (lifecycle.Filter, error) {
	var f lifecycle.Filter
	of := b.ObjectFilter
	if of == nil {
		return f, nil
	}
	if of.Prefix != nil {
		if len(*of.Prefix) > maxRulePrefixLen {
			return f, ruleErr(codeRulePrefixLength, "object_filter.prefix", "The prefix has at most %d characters.", maxRulePrefixLen)
		}
		f.Prefix = *of.Prefix
	}
	if of.Tags != nil {
		if len(*of.Tags) > maxRuleTags {
			return f, ruleErr(codeRuleTooManyTags, "object_filter.tags", "A rule filters on at most %d tags.", maxRuleTags)
		}
		seen := map[string]bool{}
		for _, s := range *of.Tags {
			t, err := parseRuleTag(s)
			if err != nil {
				return f, err
			}
			if seen[t.Key] {
				return f, ruleErr(codeRuleTagKeyDuplicate, "object_filter.tags", "The tag key %q is given twice.", t.Key)
			}
			seen[t.Key] = true
			f.Tags = append(f.Tags, t)
		}
	}
	f.SizeGreaterThan, f.SizeLessThan = of.SizeGreaterThan, of.SizeLessThan
	if f.SizeGreaterThan != nil && *f.SizeGreaterThan < 0 || f.SizeLessThan != nil && *f.SizeLessThan <= 0 ||
		f.SizeGreaterThan != nil && f.SizeLessThan != nil && *f.SizeGreaterThan >= *f.SizeLessThan {
		return f, ruleErr(codeRuleSizeRange, "object_filter.size_greater_than",
			`"size_greater_than" must be less than "size_less_than", and both positive.`)
	}
	n := len(f.Tags)
	if f.Prefix != "" {
		n++
	}
	if f.SizeGreaterThan != nil {
		n++
	}
	if f.SizeLessThan != nil {
		n++
	}
	f.And = n > 1
	return f, nil
}

// apply applies the body's actions and enabled to r (a new rule on POST,
// the current one on PATCH) and checks ONTAP's rules on the result.
func (b *ruleBody) apply(r *lifecycle.Rule, post bool) error {
	if b.Enabled != nil {
		r.Status = lifecycle.Disabled
		if *b.Enabled {
			r.Status = lifecycle.Enabled
		}
	}
	if e := b.Expiration; e != nil {
		wasMarker := r.Expiration != nil && r.Expiration.ExpiredObjectDeleteMarker != nil && *r.Expiration.ExpiredObjectDeleteMarker
		x := lifecycle.Expiration{}
		if r.Expiration != nil {
			x = *r.Expiration
		}
		if e.ObjectAgeDays != nil {
			if *e.ObjectAgeDays <= 0 || *e.ObjectAgeDays > maxRuleDays {
				return ruleErr(codeRuleAgeDays, "expiration.object_age_days", `"object_age_days" must be between 1 and %d.`, maxRuleDays)
			}
			x.Days, x.Date = int(*e.ObjectAgeDays), time.Time{}
		}
		if e.ObjectExpiryDate != nil {
			d, err := time.Parse(time.RFC3339, *e.ObjectExpiryDate)
			if err != nil {
				return collection.InvalidValue("expiration.object_expiry_date", *e.ObjectExpiryDate, "date-time")
			}
			if !d.After(time.Unix(0, 0)) {
				return ruleErr(codeRuleDateEpoch, "expiration.object_expiry_date", `"object_expiry_date" must be after 1970-01-01.`)
			}
			if u := d.UTC(); u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 || u.Nanosecond() != 0 {
				return ruleErr(codeRuleDateMidnight, "expiration.object_expiry_date", `"object_expiry_date" must be at midnight GMT.`)
			}
			x.Date = d.UTC()
			if e.ObjectAgeDays == nil {
				x.Days = 0
			}
		}
		if e.ObjectAgeDays != nil && e.ObjectExpiryDate != nil {
			return ruleErr(codeRuleAgeAndDate, "expiration.object_age_days", `"object_age_days" and "object_expiry_date" cannot both be set.`)
		}
		if m := e.ExpiredObjectDeleteMarker; m != nil {
			if !*m {
				if post {
					return ruleErr(codeRuleMarkerFalsePost, "expiration.expired_object_delete_marker",
						`"expired_object_delete_marker" cannot be set to false; leave it out.`)
				}
				if wasMarker {
					return ruleErr(codeRuleMarkerFalsePatch, "expiration.expired_object_delete_marker",
						`"expired_object_delete_marker" cannot be set back to false; delete the rule instead.`)
				}
				x.ExpiredObjectDeleteMarker = nil
			} else {
				t := true
				x.ExpiredObjectDeleteMarker = &t
			}
		} else if e.ObjectAgeDays != nil || e.ObjectExpiryDate != nil {
			// PATCH to an age or date replaces the marker action.
			if wasMarker {
				return ruleErr(codeRuleMarkerAgeDate, "expiration.expired_object_delete_marker",
					`"expired_object_delete_marker" cannot be set with "object_age_days" or "object_expiry_date".`)
			}
		}
		r.Expiration = &x
	}
	if n := b.NonCurrent; n != nil {
		x := lifecycle.NoncurrentExpiration{}
		if r.NoncurrentExpiration != nil {
			x = *r.NoncurrentExpiration
		}
		if n.NonCurrentDays == nil && n.NewNonCurrentVersions == nil && r.NoncurrentExpiration == nil {
			return ruleErr(codeRuleNoncurNoField, "non_current_version_expiration",
				`"non_current_version_expiration" needs "non_current_days" or "new_non_current_versions".`)
		}
		if v := n.NewNonCurrentVersions; v != nil {
			if *v <= 0 || *v > lifecycle.MaxNewerVersions {
				return ruleErr(codeRuleNewerVersions, "non_current_version_expiration.new_non_current_versions",
					`"new_non_current_versions" must be between 1 and %d.`, lifecycle.MaxNewerVersions)
			}
			x.NewerNoncurrentVersions = int(*v)
		}
		if d := n.NonCurrentDays; d != nil {
			if *d <= 0 || *d > maxRuleDays {
				return ruleErr(codeRuleNoncurDays, "non_current_version_expiration.non_current_days",
					`"non_current_days" must be between 1 and %d.`, maxRuleDays)
			}
			x.NoncurrentDays = int(*d)
		}
		if x.NoncurrentDays == 0 {
			return ruleErr(codeRuleNoncurDays, "non_current_version_expiration.non_current_days",
				`"new_non_current_versions" needs "non_current_days".`)
		}
		r.NoncurrentExpiration = &x
	}
	if a := b.Abort; a != nil {
		if a.AfterInitiationDays == nil {
			if r.AbortUpload == nil {
				return ruleErr(codeRuleAbortNoField, "abort_incomplete_multipart_upload.after_initiation_days",
					`"abort_incomplete_multipart_upload" needs "after_initiation_days".`)
			}
		} else {
			if *a.AfterInitiationDays <= 0 || *a.AfterInitiationDays > maxRuleDays {
				return ruleErr(codeRuleAbortNoField, "abort_incomplete_multipart_upload.after_initiation_days",
					`"after_initiation_days" must be between 1 and %d.`, maxRuleDays)
			}
			r.AbortUpload = &lifecycle.AbortUpload{DaysAfterInitiation: int(*a.AfterInitiationDays)}
		}
	}
	return checkRule(r)
}

// checkRule applies ONTAP's combination rules to a whole rule.
func checkRule(r *lifecycle.Rule) error {
	f := &r.Filter
	hasTags := len(f.Tags) > 0
	if e := r.Expiration; e != nil {
		marker := e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker
		switch {
		case e.Days == 0 && e.Date.IsZero() && !marker:
			return ruleErr(codeRuleExpNoField, "expiration",
				`"expiration" needs "object_age_days", "object_expiry_date" or "expired_object_delete_marker".`)
		case marker && (e.Days != 0 || !e.Date.IsZero()):
			return ruleErr(codeRuleMarkerAgeDate, "expiration.expired_object_delete_marker",
				`"expired_object_delete_marker" cannot be set with "object_age_days" or "object_expiry_date".`)
		case marker && hasTags:
			return ruleErr(codeRuleMarkerTags, "expiration.expired_object_delete_marker",
				`"expired_object_delete_marker" cannot be set with a tag filter.`)
		case marker && f.SizeLessThan != nil:
			return ruleErr(codeRuleMarkerSizeLess, "expiration.expired_object_delete_marker",
				`"expired_object_delete_marker" cannot be set with "size_less_than".`)
		}
	}
	if r.AbortUpload != nil {
		if hasTags {
			return ruleErr(codeRuleAbortTags, "abort_incomplete_multipart_upload",
				`"abort_incomplete_multipart_upload" cannot be set with a tag filter.`)
		}
		if f.SizeGreaterThan != nil || f.SizeLessThan != nil {
			return ruleErr(codeRuleAbortSize, "abort_incomplete_multipart_upload",
				`"abort_incomplete_multipart_upload" cannot be set with a size filter.`)
		}
	}
	if r.Expiration == nil && r.NoncurrentExpiration == nil && r.AbortUpload == nil {
		return ruleErr(codeRuleNoAction, "name", `A rule needs at least one action: "expiration", "non_current_version_expiration" or "abort_incomplete_multipart_upload".`)
	}
	return nil
}

// ruleRecord renders an S3 rule as ONTAP's rule.
func ruleRecord(t core.Tenant, b core.Bucket, r lifecycle.Rule) map[string]any {
	self := svmBucketHref(t.UUID, b.UUID) + "/rules/" + url.PathEscape(r.ID)
	rec := map[string]any{
		"svm": svmRef(t.UUID, t.Name), "bucket_name": b.Name, "uuid": b.UUID, "name": r.ID,
		"enabled": r.Status == lifecycle.Enabled, "_links": links(self),
	}
	of := map[string]any{}
	if r.Filter.Prefix != "" {
		of["prefix"] = r.Filter.Prefix
	}
	if len(r.Filter.Tags) > 0 {
		tags := []any{}
		for _, tg := range r.Filter.Tags {
			tags = append(tags, renderRuleTag(tg))
		}
		of["tags"] = tags
	}
	if r.Filter.SizeGreaterThan != nil {
		of["size_greater_than"] = *r.Filter.SizeGreaterThan
	}
	if r.Filter.SizeLessThan != nil {
		of["size_less_than"] = *r.Filter.SizeLessThan
	}
	rec["object_filter"] = of
	if e := r.Expiration; e != nil {
		x := map[string]any{}
		if e.Days > 0 {
			x["object_age_days"] = e.Days
		}
		if !e.Date.IsZero() {
			x["object_expiry_date"] = ontapTime(e.Date)
		}
		if e.ExpiredObjectDeleteMarker != nil {
			x["expired_object_delete_marker"] = *e.ExpiredObjectDeleteMarker
		}
		rec["expiration"] = x
	}
	if n := r.NoncurrentExpiration; n != nil {
		x := map[string]any{"non_current_days": n.NoncurrentDays}
		if n.NewerNoncurrentVersions > 0 {
			x["new_non_current_versions"] = n.NewerNoncurrentVersions
		}
		rec["non_current_version_expiration"] = x
	}
	if a := r.AbortUpload; a != nil {
		rec["abort_incomplete_multipart_upload"] = map[string]any{"after_initiation_days": a.DaysAfterInitiation}
	}
	return rec
}

// ruleBucket resolves the path's SVM and bucket (92405861 when either is
// unknown).
func (h *handler) ruleBucket(rq *request) (core.Tenant, core.Bucket, error) {
	t, err := h.serviceSVM(rq)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return t, core.Bucket{}, &apiError{Status: http.StatusNotFound, Code: codeRuleBucketNotFound, Target: "svm.uuid",
				Message: "The specified SVM UUID or bucket UUID does not exist."}
		}
		return t, core.Bucket{}, err
	}
	b, err := h.core.GetBucketByUUID(rq.ctx, t.UUID, rq.UUID)
	if errs.KindOf(err) == errs.NoSuchBucket {
		return t, b, &apiError{Status: http.StatusNotFound, Code: codeRuleBucketNotFound, Target: "uuid",
			Message: "The specified SVM UUID or bucket UUID does not exist."}
	}
	return t, b, err
}

// bucketRules returns a bucket's rules (none without a configuration).
// queryRules parses a GET's query over rules and reads the bucket's rules.
func (h *handler) queryRules(rq *request, t core.Tenant, b core.Bucket) (collection.Query, []lifecycle.Rule, error) {
	q, err := parseKnownQuery(rq, ruleSchema, ruleKnown)
	if err != nil {
		return q, nil, err
	}
	rs, err := h.bucketRules(rq, t, b)
	return q, rs, err
}

func (h *handler) bucketRules(rq *request, t core.Tenant, b core.Bucket) ([]lifecycle.Rule, error) {
	c, err := h.core.GetBucketLifecycle(rq.ctx, t.UUID, b.Name)
	if errs.KindOf(err) == errs.NoSuchLifecycleConfiguration {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.Rules, nil
}

func ruleNotFound() error {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Target: "name", Message: msgNotFound}
}

// lifecycleError maps the lifecycle package's validation of the whole
// configuration (the S3 rules, after ONTAP's) to code 2.
func lifecycleError(err error) error {
	switch errs.KindOf(err) {
	case errs.InvalidArgument, errs.InvalidRequest, errs.MalformedXML, errs.InvalidStorageClass:
		return badRequest(codeInvalidField, "", errs.Message(err))
	}
	return err
}

// rules is GET, POST, and the query-based PATCH and DELETE of
// .../buckets/{uuid}/rules.
func (h *handler) rules(rq *request) (response, error) {
	t, b, err := h.ruleBucket(rq)
	if err != nil {
		return response{}, err
	}
	base := svmBucketHref(t.UUID, b.UUID) + "/rules"
	switch rq.Method {
	case http.MethodPatch, http.MethodDelete:
		return h.rulesByQuery(rq, t, b)
	case http.MethodGet:
		q, rs, err := h.queryRules(rq, t, b)
		if err != nil {
			return response{}, err
		}
		recs := make([]map[string]any, 0, len(rs))
		for _, r := range rs {
			recs = append(recs, ruleRecord(t, b, r))
		}
		return ok(collection.Apply(recs, q, base)), nil
	}
	// POST
	q, err := parseRecordQuery(rq, ruleSchema)
	if err != nil {
		return response{}, err
	}
	var body ruleBody
	if _, err := decodeInto(rq.body(), rulePostFields, &body); err != nil {
		return response{}, err
	}
	r, err := body.newRule()
	if err != nil {
		return response{}, err
	}
	name := r.ID
	err = h.core.UpdateBucketLifecycle(rq.ctx, t.UUID, b.Name, func(c *lifecycle.Config) (*lifecycle.Config, error) {
		if c == nil {
			c = &lifecycle.Config{}
		}
		return c, addRule(c, r, b.Name)
	})
	if err != nil {
		return response{}, lifecycleError(err)
	}
	resp := response{status: http.StatusCreated, location: base + "/" + url.PathEscape(name), body: map[string]any{}}
	if q.ReturnRecordsOr(false) {
		resp.body = map[string]any{"num_records": 1, "records": []any{ruleRecord(t, b, r)}}
	}
	return resp, nil
}

// newRule builds the S3 rule of a POST body (a POST of /rules, or one of
// a bucket POST's lifecycle_management.rules), with ONTAP's checks.
func (b *ruleBody) newRule() (lifecycle.Rule, error) {
	if b.Name == nil || *b.Name == "" {
		return lifecycle.Rule{}, badRequest(codeInvalidField, "name", `Missing required field "name".`)
	}
	name := *b.Name
	if len(name) > maxRuleNameLen {
		return lifecycle.Rule{}, badRequest(codeInvalidField, "name", fmt.Sprintf("A rule name has at most %d characters.", maxRuleNameLen))
	}
	r := lifecycle.Rule{ID: name, Status: lifecycle.Enabled}
	var err error
	if r.Filter, err = b.filter(); err != nil {
		return r, err
	}
	return r, b.apply(&r, true)
}

// addRule appends r to c, refusing a name c has (92406146) and a rule past
// the limit (92406134).
func addRule(c *lifecycle.Config, r lifecycle.Rule, bucket string) error {
	if slices.ContainsFunc(c.Rules, func(o lifecycle.Rule) bool { return o.ID == r.ID }) {
		return &apiError{Status: http.StatusConflict, Code: codeRuleExists, Target: "name",
			Message: fmt.Sprintf("A rule named %q already exists for bucket %q.", r.ID, bucket)}
	}
	if len(c.Rules) >= lifecycle.MaxRules {
		return ruleErr(codeRuleTooMany, "name", "A bucket has at most %d lifecycle rules.", lifecycle.MaxRules)
	}
	c.Rules = append(c.Rules, r)
	return nil
}

// Query-based PATCH and DELETE of /rules (ONTAP serves them on every
// collection): the query's field filters (name=..., enabled=false,
// expiration.object_age_days=>30, any filter a GET takes) select the
// rules; PATCH applies its body (the single-rule PATCH's fields and checks)
// to each, DELETE removes them. With no filter every rule is selected, as
// on ONTAP. All selected rules change in one transaction of the core:
// either all or, on the first refusal (its ONTAP code), none, so
// continue_on_failure and serial_records are accepted and change nothing.
// The answer is 200 with num_records, the number of rules selected (0 is
// not an error), and with return_records=true the rules as they now are
// (PATCH) or were (DELETE).
var rulesQueryReserved = []string{"continue_on_failure", "serial_records"}

func (h *handler) rulesByQuery(rq *request, t core.Tenant, b core.Bucket) (response, error) {
	q, err := collection.ParseQuery(rq.query, rulesQueryReserved...)
	if err != nil {
		return response{}, err
	}
	q.Schema = ruleSchema
	if err := q.Check(ruleKnown); err != nil {
		return response{}, err
	}
	for _, p := range rulesQueryReserved {
		if v := q.Reserved.Get(p); v != "" && v != "true" && v != "false" {
			return response{}, collection.InvalidValue(p, v, "boolean")
		}
	}
	patch := rq.Method == http.MethodPatch
	var body ruleBody
	if patch {
		if _, err := decodeInto(rq.body(), rulePatchFields, &body); err != nil {
			return response{}, err
		}
	}
	var selected []lifecycle.Rule
	err = h.core.UpdateBucketLifecycle(rq.ctx, t.UUID, b.Name, func(c *lifecycle.Config) (*lifecycle.Config, error) {
		selected = selected[:0]
		if c == nil {
			return nil, nil
		}
		rules := make([]lifecycle.Rule, 0, len(c.Rules))
		for _, r := range c.Rules {
			if !q.Match(ruleRecord(t, b, r)) {
				rules = append(rules, r)
				continue
			}
			if patch {
				if err := body.patchRule(&r); err != nil {
					return nil, err
				}
				rules = append(rules, r)
			}
			selected = append(selected, r)
		}
		if len(rules) == 0 {
			return nil, nil // every rule deleted: the configuration goes
		}
		return &lifecycle.Config{Rules: rules, MinSize: c.MinSize}, nil
	})
	if err != nil {
		return response{}, lifecycleError(err)
	}
	out := map[string]any{"num_records": len(selected)}
	if q.ReturnRecordsOr(false) {
		recs := make([]any, 0, len(selected))
		for _, r := range selected {
			recs = append(recs, ruleRecord(t, b, r))
		}
		out["records"] = recs
	}
	return ok(out), nil
}

// patchRule applies a PATCH body to rule r: its filter, if given, must be
// r's (92406113); then the actions and enabled, with ONTAP's checks.
func (b *ruleBody) patchRule(r *lifecycle.Rule) error {
	if b.ObjectFilter != nil {
		f, err := b.filter()
		if err != nil {
			return err
		}
		if !sameFilter(f, r.Filter) {
			return ruleErr(codeRuleFilterChanged, "object_filter",
				"The object filter of rule %q cannot be modified; delete the rule and create it again.", r.ID)
		}
	}
	return b.apply(r, false)
}

// rule is GET, PATCH and DELETE .../buckets/{uuid}/rules/{name}.
func (h *handler) rule(rq *request) (response, error) {
	t, b, err := h.ruleBucket(rq)
	if err != nil {
		return response{}, err
	}
	name := rq.Name
	switch rq.Method {
	case http.MethodGet:
		q, rs, err := h.queryRules(rq, t, b)
		if err != nil {
			return response{}, err
		}
		for _, r := range rs {
			if r.ID == name {
				return ok(q.Single(ruleRecord(t, b, r))), nil
			}
		}
		return response{}, ruleNotFound()
	case http.MethodPatch:
		if _, err := parseRecordQuery(rq, ruleSchema); err != nil {
			return response{}, err
		}
		var body ruleBody
		if _, err := decodeInto(rq.body(), rulePatchFields, &body); err != nil {
			return response{}, err
		}
		err := h.core.UpdateBucketLifecycle(rq.ctx, t.UUID, b.Name, func(c *lifecycle.Config) (*lifecycle.Config, error) {
			i := -1
			if c != nil {
				i = slices.IndexFunc(c.Rules, func(o lifecycle.Rule) bool { return o.ID == name })
			}
			if i < 0 {
				return nil, ruleNotFound()
			}
			r := c.Rules[i]
			if err := body.patchRule(&r); err != nil {
				return nil, err
			}
			rules := slices.Clone(c.Rules)
			rules[i] = r
			return &lifecycle.Config{Rules: rules, MinSize: c.MinSize}, nil
		})
		if err != nil {
			return response{}, lifecycleError(err)
		}
		return ok(map[string]any{}), nil
	default: // DELETE
		if _, err := parseRecordQuery(rq, ruleSchema); err != nil {
			return response{}, err
		}
		err := h.core.UpdateBucketLifecycle(rq.ctx, t.UUID, b.Name, func(c *lifecycle.Config) (*lifecycle.Config, error) {
			i := -1
			if c != nil {
				i = slices.IndexFunc(c.Rules, func(o lifecycle.Rule) bool { return o.ID == name })
			}
			if i < 0 {
				return nil, ruleNotFound()
			}
			if len(c.Rules) == 1 {
				return nil, nil // the last rule: the configuration goes
			}
			return &lifecycle.Config{Rules: slices.Delete(slices.Clone(c.Rules), i, i+1), MinSize: c.MinSize}, nil
		})
		if err != nil {
			return response{}, lifecycleError(err)
		}
		return ok(map[string]any{}), nil
	}
}

// sameFilter compares filters by what they select.
func sameFilter(a, b lifecycle.Filter) bool {
	eq := func(x, y *int64) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	if a.Prefix != b.Prefix || !eq(a.SizeGreaterThan, b.SizeGreaterThan) || !eq(a.SizeLessThan, b.SizeLessThan) ||
		len(a.Tags) != len(b.Tags) {
		return false
	}
	for _, t := range a.Tags {
		if !slices.Contains(b.Tags, t) {
			return false
		}
	}
	return true
}
