package lifecycle

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
)

// The wire shapes. Pointers tell an absent element from an empty one.
type configXML struct {
	XMLName xml.Name  `xml:"LifecycleConfiguration"`
	Rules   []ruleXML `xml:"Rule"`
}

type ruleXML struct {
	ID                           *string          `xml:"ID"`
	Prefix                       *string          `xml:"Prefix"`
	Filter                       *filterXML       `xml:"Filter"`
	Status                       *string          `xml:"Status"`
	Transitions                  []transitionXML  `xml:"Transition"`
	Expiration                   *expirationXML   `xml:"Expiration"`
	NoncurrentVersionTransitions []transitionXML  `xml:"NoncurrentVersionTransition"`
	NoncurrentVersionExpiration  *noncurrentXML   `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpl  *abortXML        `xml:"AbortIncompleteMultipartUpload"`
	Unknown                      []unknownElement `xml:",any"`
}

type unknownElement struct {
	XMLName xml.Name
}

type tagXML struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

type andXML struct {
	Prefix                *string  `xml:"Prefix"`
	Tags                  []tagXML `xml:"Tag"`
	ObjectSizeGreaterThan *int64   `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64   `xml:"ObjectSizeLessThan"`
}

type filterXML struct {
	Prefix                *string `xml:"Prefix"`
	Tag                   *tagXML `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
	And                   *andXML `xml:"And"`
}

type expirationXML struct {
	Date                      *string `xml:"Date"`
	Days                      *int64  `xml:"Days"`
	ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
}

type noncurrentXML struct {
	NoncurrentDays          *int64 `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int64 `xml:"NewerNoncurrentVersions"`
}

type abortXML struct {
	DaysAfterInitiation *int64 `xml:"DaysAfterInitiation"`
}

type transitionXML struct {
	Date                    *string `xml:"Date"`
	Days                    *int64  `xml:"Days"`
	NoncurrentDays          *int64  `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int64  `xml:"NewerNoncurrentVersions"`
	StorageClass            *string `xml:"StorageClass"`
}

// storageClasses are the transition targets AWS accepts.
var storageClasses = map[string]bool{
	"GLACIER": true, "STANDARD_IA": true, "ONEZONE_IA": true, "INTELLIGENT_TIERING": true,
	"DEEP_ARCHIVE": true, "GLACIER_IR": true,
}

func malformed() error {
	return errs.New(errs.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
}

func invalid(format string, args ...any) error {
	return errs.New(errs.InvalidArgument, format, args...)
}

func invalidRequest(format string, args ...any) error {
	return errs.New(errs.InvalidRequest, format, args...)
}

// maxDays bounds day counts so that time arithmetic stays in range (AWS
// takes a 32-bit integer).
const maxDays = math32

const math32 = 1<<31 - 1

// Parse reads and validates a LifecycleConfiguration document; minSize is
// the request's x-amz-transition-default-minimum-object-size ("" for the
// default). Errors are *errs.Error values with AWS's codes: MalformedXML
// for documents that do not fit the schema, InvalidArgument for bad values,
// InvalidRequest for combinations AWS refuses.
func Parse(data []byte, minSize string) (*Config, error) {
	switch minSize {
	case "":
		minSize = MinSizeAll128K
	case MinSizeAll128K, MinSizeVariesByClass:
	default:
		return nil, invalid("Invalid value for x-amz-transition-default-minimum-object-size: %s", minSize)
	}
	var doc configXML
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed()
	}
	if len(doc.Rules) == 0 {
		return nil, malformed()
	}
	if len(doc.Rules) > MaxRules {
		return nil, invalidRequest("Configuration exceeds the maximum of %d rules", MaxRules)
	}
	c := &Config{MinSize: minSize}
	ids := map[string]bool{}
	for i := range doc.Rules {
		r, err := parseRule(&doc.Rules[i], i)
		if err != nil {
			return nil, err
		}
		if ids[r.ID] {
			return nil, invalid("Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = true
		c.Rules = append(c.Rules, r)
	}
	if err := c.Validate(); err != nil {
		return nil, err // Validate and Parse enforce the same rules
	}
	return c, nil
}

func parseRule(x *ruleXML, i int) (Rule, error) {
	var r Rule
	if len(x.Unknown) > 0 {
		return r, malformed()
	}
	if x.ID != nil {
		r.ID = *x.ID
	}
	if len(r.ID) > MaxIDLength {
		return r, invalid("ID length should not exceed allowed limit of %d", MaxIDLength)
	}
	if r.ID == "" {
		// AWS gives a rule without an ID a generated one.
		r.ID = "rule-" + strconv.Itoa(i+1)
	}
	if x.Status == nil || *x.Status != Enabled && *x.Status != Disabled {
		return r, malformed()
	}
	r.Status = *x.Status
	switch {
	case x.Filter != nil && x.Prefix != nil:
		return r, malformed()
	case x.Prefix != nil:
		r.LegacyPrefix, r.Filter.Prefix = true, *x.Prefix
	case x.Filter != nil:
		f, err := parseFilter(x.Filter)
		if err != nil {
			return r, err
		}
		r.Filter = f
	default:
		// AWS accepts a rule with neither and applies it to every object.
	}
	hasTags := len(r.Filter.Tags) > 0
	hasSize := r.Filter.SizeGreaterThan != nil || r.Filter.SizeLessThan != nil

	if e := x.Expiration; e != nil {
		exp := &Expiration{ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
		n := 0
		if e.Days != nil {
			n++
			if *e.Days <= 0 || *e.Days > maxDays {
				return r, invalid("'Days' for Expiration action must be a positive integer")
			}
			exp.Days = int(*e.Days)
		}
		if e.Date != nil {
			n++
			d, err := parseDate(*e.Date)
			if err != nil {
				return r, err
			}
			exp.Date = d
		}
		if e.ExpiredObjectDeleteMarker != nil {
			n++
		}
		if n != 1 {
			// Nothing, or ExpiredObjectDeleteMarker with Days or Date, or
			// Days with Date.
			return r, malformed()
		}
		if e.ExpiredObjectDeleteMarker != nil && hasTags {
			return r, invalidRequest("ExpiredObjectDeleteMarker cannot be specified with tag-based filters")
		}
		r.Expiration = exp
	}
	if n := x.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays == nil || *n.NoncurrentDays <= 0 || *n.NoncurrentDays > maxDays {
			return r, invalid("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		ne := &NoncurrentExpiration{NoncurrentDays: int(*n.NoncurrentDays)}
		if n.NewerNoncurrentVersions != nil {
			if *n.NewerNoncurrentVersions <= 0 || *n.NewerNoncurrentVersions > MaxNewerVersions {
				return r, invalid("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to %d", MaxNewerVersions)
			}
			ne.NewerNoncurrentVersions = int(*n.NewerNoncurrentVersions)
		}
		r.NoncurrentExpiration = ne
	}
	if a := x.AbortIncompleteMultipartUpl; a != nil {
		if a.DaysAfterInitiation == nil || *a.DaysAfterInitiation <= 0 || *a.DaysAfterInitiation > maxDays {
			return r, invalid("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		if hasTags {
			return r, invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags")
		}
		if hasSize {
			return r, invalidRequest("AbortIncompleteMultipartUpload cannot be specified with an object size filter")
		}
		r.AbortUpload = &AbortUpload{DaysAfterInitiation: int(*a.DaysAfterInitiation)}
	}
	for _, t := range x.Transitions {
		tr, err := parseTransition(t, false)
		if err != nil {
			return r, err
		}
		r.Transitions = append(r.Transitions, tr)
	}
	for _, t := range x.NoncurrentVersionTransitions {
		tr, err := parseTransition(t, true)
		if err != nil {
			return r, err
		}
		r.NoncurrentTransitions = append(r.NoncurrentTransitions, tr)
	}
	if r.Expiration == nil && r.NoncurrentExpiration == nil && r.AbortUpload == nil &&
		len(r.Transitions) == 0 && len(r.NoncurrentTransitions) == 0 {
		return r, invalidRequest("At least one action needs to be specified in a rule")
	}
	return r, nil
}

func parseFilter(x *filterXML) (Filter, error) {
	var f Filter
	n := 0
	for _, set := range []bool{x.Prefix != nil, x.Tag != nil, x.ObjectSizeGreaterThan != nil, x.ObjectSizeLessThan != nil, x.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return f, malformed()
	}
	var tags []tagXML
	switch {
	case x.Prefix != nil:
		f.Prefix = *x.Prefix
	case x.Tag != nil:
		tags = []tagXML{*x.Tag}
	case x.ObjectSizeGreaterThan != nil:
		f.SizeGreaterThan = x.ObjectSizeGreaterThan
	case x.ObjectSizeLessThan != nil:
		f.SizeLessThan = x.ObjectSizeLessThan
	case x.And != nil:
		a := x.And
		f.And = true
		if a.Prefix != nil {
			f.Prefix = *a.Prefix
		}
		tags = a.Tags
		f.SizeGreaterThan, f.SizeLessThan = a.ObjectSizeGreaterThan, a.ObjectSizeLessThan
		if a.Prefix == nil && len(a.Tags) == 0 && a.ObjectSizeGreaterThan == nil && a.ObjectSizeLessThan == nil {
			return f, malformed()
		}
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == nil || t.Value == nil {
			return f, malformed()
		}
		if *t.Key == "" || len(*t.Key) > MaxTagKeyLength {
			return f, errs.New(errs.InvalidTag, "The TagKey you have provided is invalid")
		}
		if len(*t.Value) > MaxTagValueLength {
			return f, errs.New(errs.InvalidTag, "The TagValue you have provided is invalid")
		}
		if seen[*t.Key] {
			return f, invalid("Duplicate Tag Keys are not allowed.")
		}
		seen[*t.Key] = true
		f.Tags = append(f.Tags, Tag{Key: *t.Key, Value: *t.Value})
	}
	if f.SizeGreaterThan != nil && *f.SizeGreaterThan < 0 || f.SizeLessThan != nil && *f.SizeLessThan <= 0 {
		return f, invalid("'ObjectSizeGreaterThan' must not be negative and 'ObjectSizeLessThan' must be a positive integer")
	}
	if f.SizeGreaterThan != nil && f.SizeLessThan != nil && *f.SizeGreaterThan >= *f.SizeLessThan {
		return f, invalid("'ObjectSizeGreaterThan' must be less than 'ObjectSizeLessThan'")
	}
	return f, nil
}

func parseTransition(t transitionXML, noncurrent bool) (Transition, error) {
	var tr Transition
	if t.StorageClass == nil {
		return tr, malformed()
	}
	if !storageClasses[*t.StorageClass] {
		return tr, errs.New(errs.InvalidStorageClass, "The storage class you specified is not valid")
	}
	tr.StorageClass = *t.StorageClass
	if noncurrent {
		if t.Days != nil || t.Date != nil {
			return tr, malformed()
		}
		if t.NoncurrentDays == nil || *t.NoncurrentDays < 0 || *t.NoncurrentDays > maxDays {
			return tr, invalid("'NoncurrentDays' for NoncurrentVersionTransition action must be a nonnegative integer")
		}
		d := int(*t.NoncurrentDays)
		tr.NoncurrentDays = &d
		if t.NewerNoncurrentVersions != nil {
			if *t.NewerNoncurrentVersions <= 0 || *t.NewerNoncurrentVersions > MaxNewerVersions {
				return tr, invalid("'NewerNoncurrentVersions' for NoncurrentVersionTransition action must be a positive integer up to %d", MaxNewerVersions)
			}
			tr.NewerNoncurrentVersions = int(*t.NewerNoncurrentVersions)
		}
		return tr, nil
	}
	if t.NoncurrentDays != nil || t.NewerNoncurrentVersions != nil || (t.Days == nil) == (t.Date == nil) {
		return tr, malformed()
	}
	if t.Days != nil {
		if *t.Days < 0 || *t.Days > maxDays {
			return tr, invalid("'Days' for Transition action must be a nonnegative integer")
		}
		d := int(*t.Days)
		tr.Days = &d
		return tr, nil
	}
	d, err := parseDate(*t.Date)
	if err != nil {
		return tr, err
	}
	tr.Date = d
	return tr, nil
}

// parseDate reads an ISO 8601 date or date-time, which must be midnight UTC.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, invalid("Invalid date: %q is not an ISO 8601 date", s)
	}
	t = t.UTC()
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		return time.Time{}, invalid("'Date' must be at midnight GMT")
	}
	return t, nil
}

// Marshal renders c as a LifecycleConfiguration document, as
// GetBucketLifecycleConfiguration answers it.
func (c *Config) Marshal() []byte {
	doc := configXML{}
	for i := range c.Rules {
		doc.Rules = append(doc.Rules, renderRule(&c.Rules[i]))
	}
	out, err := xml.Marshal(struct {
		XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
		Rules   []ruleXML `xml:"Rule"`
	}{Rules: doc.Rules})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return append([]byte(xml.Header), out...)
}

func ptr[T any](v T) *T { return &v }

const dateLayout = "2006-01-02T15:04:05Z"

func renderRule(r *Rule) ruleXML {
	x := ruleXML{ID: ptr(r.ID), Status: ptr(r.Status)}
	f := r.Filter
	switch {
	case r.LegacyPrefix:
		x.Prefix = ptr(f.Prefix)
	case f.And:
		a := &andXML{ObjectSizeGreaterThan: f.SizeGreaterThan, ObjectSizeLessThan: f.SizeLessThan}
		if f.Prefix != "" {
			a.Prefix = ptr(f.Prefix)
		}
		for _, t := range f.Tags {
			a.Tags = append(a.Tags, tagXML{Key: ptr(t.Key), Value: ptr(t.Value)})
		}
		x.Filter = &filterXML{And: a}
	case len(f.Tags) == 1:
		x.Filter = &filterXML{Tag: &tagXML{Key: ptr(f.Tags[0].Key), Value: ptr(f.Tags[0].Value)}}
	case f.SizeGreaterThan != nil:
		x.Filter = &filterXML{ObjectSizeGreaterThan: f.SizeGreaterThan}
	case f.SizeLessThan != nil:
		x.Filter = &filterXML{ObjectSizeLessThan: f.SizeLessThan}
	case f.Prefix != "":
		x.Filter = &filterXML{Prefix: ptr(f.Prefix)}
	default:
		x.Filter = &filterXML{}
	}
	for _, t := range r.Transitions {
		x.Transitions = append(x.Transitions, renderTransition(t))
	}
	if e := r.Expiration; e != nil {
		ex := &expirationXML{ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
		if e.Days > 0 {
			ex.Days = ptr(int64(e.Days))
		}
		if !e.Date.IsZero() {
			ex.Date = ptr(e.Date.UTC().Format(dateLayout))
		}
		x.Expiration = ex
	}
	for _, t := range r.NoncurrentTransitions {
		x.NoncurrentVersionTransitions = append(x.NoncurrentVersionTransitions, renderTransition(t))
	}
	if n := r.NoncurrentExpiration; n != nil {
		nx := &noncurrentXML{NoncurrentDays: ptr(int64(n.NoncurrentDays))}
		if n.NewerNoncurrentVersions > 0 {
			nx.NewerNoncurrentVersions = ptr(int64(n.NewerNoncurrentVersions))
		}
		x.NoncurrentVersionExpiration = nx
	}
	if a := r.AbortUpload; a != nil {
		x.AbortIncompleteMultipartUpl = &abortXML{DaysAfterInitiation: ptr(int64(a.DaysAfterInitiation))}
	}
	return x
}

func renderTransition(t Transition) transitionXML {
	x := transitionXML{StorageClass: ptr(t.StorageClass)}
	if t.Days != nil {
		x.Days = ptr(int64(*t.Days))
	}
	if !t.Date.IsZero() {
		x.Date = ptr(t.Date.UTC().Format(dateLayout))
	}
	if t.NoncurrentDays != nil {
		x.NoncurrentDays = ptr(int64(*t.NoncurrentDays))
	}
	if t.NewerNoncurrentVersions > 0 {
		x.NewerNoncurrentVersions = ptr(int64(t.NewerNoncurrentVersions))
	}
	return x
}
