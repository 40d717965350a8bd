// Package lifecycle is S3's bucket lifecycle configuration: the rule model,
// the LifecycleConfiguration XML (parse, validate, render), the stored form
// and the pure decisions the core's lifecycle job and the S3 adapter's
// x-amz-expiration header make with it. No I/O.
//
// The rules, as AWS documents them
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html,
// lifecycle-expire-general-considerations.html):
//
//   - 1 to 1000 rules; IDs unique and at most 255 characters; Status Enabled
//     or Disabled (a disabled rule is kept but does nothing).
//   - A rule selects objects by a Filter (Prefix, one Tag,
//     ObjectSizeGreaterThan, ObjectSizeLessThan, or an And of a prefix,
//     tags and sizes; an empty Filter selects every object) or by the legacy
//     top-level Prefix, never both.
//   - Expiration (Days > 0, or a Date at midnight UTC, or
//     ExpiredObjectDeleteMarker) acts on current versions: in an unversioned
//     bucket the object is removed, in a versioned one a delete marker is
//     added. A delete marker that is the only version of its key (an
//     "expired object delete marker") is removed under
//     ExpiredObjectDeleteMarker, and under Days once it is as old as Days.
//   - NoncurrentVersionExpiration removes a version NoncurrentDays after it
//     became noncurrent (its successor's LastModified), keeping the
//     NewerNoncurrentVersions newest noncurrent versions.
//   - AbortIncompleteMultipartUpload aborts uploads DaysAfterInitiation
//     after they started. It and ExpiredObjectDeleteMarker take no tag
//     filter.
//   - A time plus N days is rounded up to the next midnight UTC. Coffer
//     generalises "midnight" to a multiple of the day length since the Unix
//     epoch, so a shortened test day (Options.Day) keeps the same rounding.
//
// Coffer has one storage class, so Transition and
// NoncurrentVersionTransition are validated, stored and returned by
// GetBucketLifecycleConfiguration, but never acted on: clients that send a
// tiering rule next to their expiration rules keep working.
package lifecycle

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"coffer/internal/errs"
)

// Limits (AWS's).
const (
	MaxRules          = 1000
	MaxIDLength       = 255
	MaxSize           = 1 << 20 // the XML document, in bytes
	MaxNewerVersions  = 100
	MaxTagKeyLength   = 128
	MaxTagValueLength = 256
)

// Rule statuses.
const (
	Enabled  = "Enabled"
	Disabled = "Disabled"
)

// Values of x-amz-transition-default-minimum-object-size.
const (
	MinSizeAll128K       = "all_storage_classes_128K"
	MinSizeVariesByClass = "varies_by_storage_class"
)

// Tag is one object tag of a filter.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Filter selects the objects a rule applies to. The zero value selects
// every object.
type Filter struct {
	Prefix string `json:"prefix,omitempty"`
	Tags   []Tag  `json:"tags,omitempty"`
	// SizeGreaterThan and SizeLessThan are strict bounds in bytes, nil when
	// absent.
	SizeGreaterThan *int64 `json:"gt,omitempty"`
	SizeLessThan    *int64 `json:"lt,omitempty"`
	// And records that the predicates were given inside <And> (rendering
	// only).
	And bool `json:"and,omitempty"`
}

// Expiration is a rule's action on current versions.
type Expiration struct {
	// Days > 0, or 0 when not set.
	Days int `json:"days,omitempty"`
	// Date is midnight UTC, or zero when not set.
	Date time.Time `json:"date,omitzero"`
	// ExpiredObjectDeleteMarker is nil when the element is absent.
	ExpiredObjectDeleteMarker *bool `json:"eodm,omitempty"`
}

// NoncurrentExpiration is a rule's action on noncurrent versions.
type NoncurrentExpiration struct {
	NoncurrentDays int `json:"days"`
	// NewerNoncurrentVersions noncurrent versions are kept (0: none).
	NewerNoncurrentVersions int `json:"newer,omitempty"`
}

// AbortUpload is a rule's action on incomplete multipart uploads.
type AbortUpload struct {
	DaysAfterInitiation int `json:"days"`
}

// Transition is a (current or noncurrent) transition to another storage
// class: kept and rendered, never acted on.
type Transition struct {
	Days                    *int      `json:"days,omitempty"`
	Date                    time.Time `json:"date,omitzero"`
	NoncurrentDays          *int      `json:"ncdays,omitempty"`
	NewerNoncurrentVersions int       `json:"newer,omitempty"`
	StorageClass            string    `json:"class"`
}

// Rule is one lifecycle rule.
type Rule struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Filter Filter `json:"filter"`
	// LegacyPrefix: the rule used the top-level <Prefix> instead of <Filter>.
	LegacyPrefix          bool                  `json:"legacy,omitempty"`
	Expiration            *Expiration           `json:"exp,omitempty"`
	NoncurrentExpiration  *NoncurrentExpiration `json:"ncexp,omitempty"`
	AbortUpload           *AbortUpload          `json:"abort,omitempty"`
	Transitions           []Transition          `json:"tr,omitempty"`
	NoncurrentTransitions []Transition          `json:"nctr,omitempty"`
}

// Config is a bucket's lifecycle configuration.
type Config struct {
	Rules []Rule `json:"rules"`
	// MinSize is the x-amz-transition-default-minimum-object-size the
	// configuration was put with (MinSizeAll128K by default).
	MinSize string `json:"min_size,omitempty"`
}

const storedSchema = 1

type stored struct {
	Schema int `json:"_v"`
	Config
}

// Encode returns the stored form of c (JSON with a schema version), the
// value kept under objects.ConfigLifecycle.
func (c *Config) Encode() []byte {
	b, err := json.Marshal(stored{Schema: storedSchema, Config: *c})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

// Decode reads the stored form.
func Decode(data []byte) (*Config, error) {
	var s stored
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("lifecycle: stored configuration: %w", err)
	}
	if s.Schema != storedSchema {
		return nil, fmt.Errorf("lifecycle: stored configuration has schema %d", s.Schema)
	}
	c := s.Config
	return &c, nil
}

// Object is what the rules look at in one version.
type Object struct {
	Key  string
	Size int64
	Tags []Tag
	// DeleteMarker: tag and size predicates see no tags and size 0.
	DeleteMarker bool
}

// Matches reports whether the filter selects o.
func (f *Filter) Matches(o Object) bool {
	if !strings.HasPrefix(o.Key, f.Prefix) {
		return false
	}
	if f.SizeGreaterThan != nil && !(o.Size > *f.SizeGreaterThan) {
		return false
	}
	if f.SizeLessThan != nil && !(o.Size < *f.SizeLessThan) {
		return false
	}
	for _, want := range f.Tags {
		found := false
		for _, t := range o.Tags {
			if t.Key == want.Key && t.Value == want.Value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// HasTags reports whether any enabled rule filters on tags (the job then
// reads each version's tags).
func (c *Config) HasTags() bool {
	for i := range c.Rules {
		if c.Rules[i].Status == Enabled && len(c.Rules[i].Filter.Tags) > 0 {
			return true
		}
	}
	return false
}

// DueAt is t plus days days, rounded up to the next multiple of day since
// the Unix epoch (midnight UTC for a 24-hour day). It saturates far in the
// future instead of overflowing.
func DueAt(t time.Time, days int, day time.Duration) time.Time {
	if day <= 0 {
		day = 24 * time.Hour
	}
	ns := t.UnixNano()
	d := int64(day)
	if days > 0 && int64(days) > (math.MaxInt64-ns)/d-1 {
		return time.Unix(0, math.MaxInt64).UTC()
	}
	ns += int64(days) * d
	if r := ns % d; r > 0 {
		ns += d - r
	} else if r < 0 {
		ns -= r
	}
	return time.Unix(0, ns).UTC()
}

// Expiry is when a current version expires and under which rule.
type Expiry struct {
	At     time.Time
	RuleID string
}

// CurrentExpiry returns the earliest expiry an enabled Expiration rule
// (Days or Date) gives the current version o, last modified at mtime; ok
// is false when none applies. It is both the job's decision (due once now
// reaches At) and the x-amz-expiration header.
func (c *Config) CurrentExpiry(o Object, mtime time.Time, day time.Duration) (Expiry, bool) {
	var best Expiry
	ok := false
	if o.DeleteMarker {
		return best, false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if r.Status != Enabled || e == nil || e.Days == 0 && e.Date.IsZero() || !r.Filter.Matches(o) {
			continue
		}
		at := e.Date
		if e.Days > 0 {
			at = DueAt(mtime, e.Days, day)
		}
		if !ok || at.Before(best.At) {
			best, ok = Expiry{At: at, RuleID: r.ID}, true
		}
	}
	return best, ok
}

// MarkerDue reports whether a delete marker that is the only version of
// its key, written at mtime, is to be removed at now: under an enabled rule
// with ExpiredObjectDeleteMarker, or with Expiration Days (once the marker
// is that old) or a Date that has passed.
func (c *Config) MarkerDue(key string, mtime, now time.Time, day time.Duration) (string, bool) {
	o := Object{Key: key, DeleteMarker: true}
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if r.Status != Enabled || e == nil || len(r.Filter.Tags) > 0 || !r.Filter.Matches(o) {
			continue
		}
		switch {
		case e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker:
			return r.ID, true
		case e.Days > 0 && !now.Before(DueAt(mtime, e.Days, day)):
			return r.ID, true
		case !e.Date.IsZero() && !now.Before(e.Date):
			return r.ID, true
		}
	}
	return "", false
}

// NoncurrentDue reports whether a noncurrent version is to be removed at
// now: it became noncurrent at since, and newer noncurrent versions of its
// key are newer than it (0 for the newest noncurrent version).
func (c *Config) NoncurrentDue(o Object, since time.Time, newer int, now time.Time, day time.Duration) (string, bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		n := r.NoncurrentExpiration
		if r.Status != Enabled || n == nil || newer < n.NewerNoncurrentVersions || !r.Filter.Matches(o) {
			continue
		}
		if !now.Before(DueAt(since, n.NoncurrentDays, day)) {
			return r.ID, true
		}
	}
	return "", false
}

// AbortDue reports whether an upload of key initiated at started is to be
// aborted at now.
func (c *Config) AbortDue(key string, started, now time.Time, day time.Duration) (string, bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortUpload
		if r.Status != Enabled || a == nil || !strings.HasPrefix(key, r.Filter.Prefix) {
			continue
		}
		if !now.Before(DueAt(started, a.DaysAfterInitiation, day)) {
			return r.ID, true
		}
	}
	return "", false
}

// Acts reports which kinds of work the enabled rules ask for.
func (c *Config) Acts() (versions, uploads bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Status != Enabled {
			continue
		}
		if r.Expiration != nil || r.NoncurrentExpiration != nil {
			versions = true
		}
		if r.AbortUpload != nil {
			uploads = true
		}
	}
	return versions, uploads
}

// ExpirationHeader renders x-amz-expiration: expiry-date="<RFC 1123
// GMT>", rule-id="<id>".
func ExpirationHeader(e Expiry) string {
	return fmt.Sprintf(`expiry-date="%s", rule-id="%s"`, e.At.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"),
		strings.ReplaceAll(e.RuleID, `"`, `\"`))
}

// Validate checks a configuration built in code (the ONTAP face's rules)
// against the rules Parse enforces on documents, with the same errors.
func (c *Config) Validate() error {
	if len(c.Rules) == 0 {
		return malformed()
	}
	if len(c.Rules) > MaxRules {
		return invalidRequest("Configuration exceeds the maximum of %d rules", MaxRules)
	}
	switch c.MinSize {
	case "", MinSizeAll128K, MinSizeVariesByClass:
	default:
		return invalid("Invalid value for x-amz-transition-default-minimum-object-size: %s", c.MinSize)
	}
	ids := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.ID == "" || len(r.ID) > MaxIDLength {
			return invalid("ID length should not exceed allowed limit of %d", MaxIDLength)
		}
		if ids[r.ID] {
			return invalid("Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = true
		if r.Status != Enabled && r.Status != Disabled {
			return malformed()
		}
		f := &r.Filter
		seen := map[string]bool{}
		for _, t := range f.Tags {
			if t.Key == "" || len(t.Key) > MaxTagKeyLength || len(t.Value) > MaxTagValueLength {
				return invalid("The TagKey or TagValue you have provided is invalid")
			}
			if seen[t.Key] {
				return invalid("Duplicate Tag Keys are not allowed.")
			}
			seen[t.Key] = true
		}
		if f.SizeGreaterThan != nil && *f.SizeGreaterThan < 0 || f.SizeLessThan != nil && *f.SizeLessThan <= 0 ||
			f.SizeGreaterThan != nil && f.SizeLessThan != nil && *f.SizeGreaterThan >= *f.SizeLessThan {
			return invalid("'ObjectSizeGreaterThan' must be less than 'ObjectSizeLessThan'")
		}
		hasTags, hasSize := len(f.Tags) > 0, f.SizeGreaterThan != nil || f.SizeLessThan != nil
		if e := r.Expiration; e != nil {
			n := 0
			if e.Days != 0 {
				n++
				if e.Days < 0 || e.Days > maxDays {
					return invalid("'Days' for Expiration action must be a positive integer")
				}
			}
			if !e.Date.IsZero() {
				n++
				if u := e.Date.UTC(); u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 || u.Nanosecond() != 0 {
					return invalid("'Date' must be at midnight GMT")
				}
			}
			if e.ExpiredObjectDeleteMarker != nil {
				n++
				if hasTags {
					return invalidRequest("ExpiredObjectDeleteMarker cannot be specified with tag-based filters")
				}
			}
			if n != 1 {
				return malformed()
			}
		}
		if n := r.NoncurrentExpiration; n != nil {
			if n.NoncurrentDays <= 0 || n.NoncurrentDays > maxDays {
				return invalid("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
			}
			if n.NewerNoncurrentVersions < 0 || n.NewerNoncurrentVersions > MaxNewerVersions {
				return invalid("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to %d", MaxNewerVersions)
			}
		}
		if a := r.AbortUpload; a != nil {
			if a.DaysAfterInitiation <= 0 || a.DaysAfterInitiation > maxDays {
				return invalid("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
			}
			if hasTags {
				return invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags")
			}
			if hasSize {
				return invalidRequest("AbortIncompleteMultipartUpload cannot be specified with an object size filter")
			}
		}
		for _, t := range append(append([]Transition(nil), r.Transitions...), r.NoncurrentTransitions...) {
			if !storageClasses[t.StorageClass] {
				return errs.New(errs.InvalidStorageClass, "The storage class you specified is not valid")
			}
		}
		if r.Expiration == nil && r.NoncurrentExpiration == nil && r.AbortUpload == nil &&
			len(r.Transitions) == 0 && len(r.NoncurrentTransitions) == 0 {
			return invalidRequest("At least one action needs to be specified in a rule")
		}
	}
	return nil
}
