// Package postpolicy implements the two parsers of S3's browser-based
// uploads (POST Object): the policy document, a base64 JSON object with an
// expiration and a list of conditions on the form's fields, and the
// multipart/form-data form itself, read as a stream up to the file.
//
// References:
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html
//
// The rules, as AWS states them:
//   - the policy expires at "expiration" (ISO 8601, UTC);
//   - a condition is an exact match {"field": "value"} or ["eq", "$field",
//     "value"], a prefix ["starts-with", "$field", "prefix"] (an empty prefix
//     allows any value; for Content-Type a comma-separated list must match
//     in every element), or ["content-length-range", min, max] on the file's
//     size;
//   - field names compare case-insensitively; "$bucket" is the bucket the form
//     is posted to;
//   - every form field except x-amz-signature, file, policy, x-ignore-*
//     (and SigV2's AWSAccessKeyId and signature) must be named by a condition.
//
// Errors are *errs.Error: InvalidPolicyDocument for a policy that cannot be
// read, AccessDenied ("Invalid according to Policy: ...") for one the form
// does not meet, MalformedPOSTRequest and InvalidArgument for the form.
package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
)

// MaxPolicySize bounds the decoded policy document.
const MaxPolicySize = 64 << 10

// Op is a condition's match type.
type Op int

const (
	Eq Op = iota
	StartsWith
	ContentLengthRange
)

// Condition is one entry of a policy's conditions.
type Condition struct {
	Op Op
	// Field is the lower-cased field name without "$" (Eq and StartsWith).
	Field string
	// Value is the exact value (Eq) or the prefix (StartsWith).
	Value string
	// Min and Max bound the file size (ContentLengthRange).
	Min, Max int64
	// Text is the condition as AWS quotes it in an error.
	Text string
}

// Policy is a parsed policy document.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
}

func invalid(format string, args ...any) error {
	return errs.Field(errs.InvalidPolicyDocument, "policy", "Invalid Policy: "+format, args...)
}

// Parse decodes a base64 policy field.
func Parse(b64 string) (*Policy, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, invalid("Invalid Base64 Encoding.")
	}
	return ParseJSON(raw)
}

// ParseJSON reads a policy document.
func ParseJSON(raw []byte) (*Policy, error) {
	if len(raw) > MaxPolicySize {
		return nil, invalid("Policy document exceeds %d bytes.", MaxPolicySize)
	}
	var doc struct {
		Expiration *string            `json:"expiration"`
		Conditions *[]json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		return nil, invalid("Invalid JSON.")
	}
	if dec.More() {
		return nil, invalid("Invalid JSON.")
	}
	if doc.Expiration == nil {
		return nil, invalid("Policy missing expiration.")
	}
	exp, ok := parseExpiration(*doc.Expiration)
	if !ok {
		return nil, invalid("Invalid 'expiration' value: '%s'", short(*doc.Expiration))
	}
	if doc.Conditions == nil {
		return nil, invalid("Policy missing conditions.")
	}
	p := &Policy{Expiration: exp}
	for _, c := range *doc.Conditions {
		conds, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, conds...)
	}
	return p, nil
}

func parseExpiration(s string) (time.Time, bool) {
	for _, l := range []string{"2006-01-02T15:04:05.000Z", time.RFC3339Nano, "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func parseCondition(raw json.RawMessage) ([]Condition, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, invalid("Invalid Condition.")
	}
	switch raw[0] {
	case '{':
		// {"acl": "public-read"}: each pair is an exact match.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
			return nil, invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		var out []Condition
		for k, v := range m {
			s, ok := jsonString(v)
			if !ok {
				return nil, invalid("Invalid Simple-Condition: value must be a string.")
			}
			out = append(out, Condition{Op: Eq, Field: strings.ToLower(strings.TrimPrefix(k, "$")), Value: s,
				Text: fmt.Sprintf(`["eq", "$%s", "%s"]`, k, s)})
		}
		return out, nil
	case '[':
		var a []json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil || len(a) != 3 {
			return nil, invalid("Invalid Condition: conditions are arrays of three elements.")
		}
		op, ok := jsonString(a[0])
		if !ok {
			return nil, invalid("Invalid Condition: the first element must be a string.")
		}
		switch strings.ToLower(op) {
		case "eq", "starts-with":
			f, ok1 := jsonString(a[1])
			v, ok2 := jsonString(a[2])
			if !ok1 || !ok2 {
				return nil, invalid("Invalid Condition: %s takes a field name and a string.", short(op))
			}
			if !strings.HasPrefix(f, "$") || len(f) < 2 {
				return nil, invalid("Invalid Condition: the field name must start with '$': '%s'", short(f))
			}
			c := Condition{Op: Eq, Field: strings.ToLower(f[1:]), Value: v, Text: fmt.Sprintf(`["%s", "%s", "%s"]`, op, f, v)}
			if strings.EqualFold(op, "starts-with") {
				c.Op = StartsWith
			}
			return []Condition{c}, nil
		case "content-length-range":
			lo, ok1 := jsonInt(a[1])
			hi, ok2 := jsonInt(a[2])
			if !ok1 || !ok2 || lo < 0 || hi < lo {
				return nil, invalid("Invalid content-length-range: the range must be two non-negative integers, the minimum first.")
			}
			return []Condition{{Op: ContentLengthRange, Min: lo, Max: hi,
				Text: fmt.Sprintf(`["content-length-range", %d, %d]`, lo, hi)}}, nil
		}
		return nil, invalid("Invalid Condition: unknown condition type '%s'.", short(op))
	}
	return nil, invalid("Invalid Condition: conditions are objects or arrays.")
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonInt accepts a JSON integer or a string holding one, as AWS does.
func jsonInt(raw json.RawMessage) (int64, bool) {
	s := string(bytes.TrimSpace(raw))
	if u, ok := jsonString(raw); ok {
		s = u
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func short(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}

// Exempt reports whether a form field needs no condition.
func Exempt(name string) bool {
	switch l := strings.ToLower(name); {
	case l == "x-amz-signature", l == "file", l == "policy", l == "awsaccesskeyid", l == "signature":
		return true
	default:
		return strings.HasPrefix(l, "x-ignore-")
	}
}

// Limits is what a policy says about the file's size.
type Limits struct {
	// Set reports a content-length-range condition.
	Set      bool
	Min, Max int64
}

func denied(format string, args ...any) error {
	return errs.New(errs.AccessDenied, "Invalid according to Policy: "+format, args...)
}

// Check evaluates the policy against the form's fields (before the file)
// posted to bucket at time now, and returns the size limits for the file.
func (p *Policy) Check(f *Form, bucket string, now time.Time) (Limits, error) {
	var lim Limits
	if !now.Before(p.Expiration) {
		return lim, denied("Policy expired.")
	}
	covered := map[string]bool{}
	for _, c := range p.Conditions {
		if c.Op == ContentLengthRange {
			// Several ranges narrow each other.
			if !lim.Set || c.Min > lim.Min {
				lim.Min = c.Min
			}
			if !lim.Set || c.Max < lim.Max {
				lim.Max = c.Max
			}
			lim.Set = true
			continue
		}
		covered[c.Field] = true
		v, _ := f.Get(c.Field)
		if c.Field == "bucket" {
			v = bucket
		}
		if !c.holds(v) {
			return lim, denied("Policy Condition failed: %s", c.Text)
		}
	}
	for _, fl := range f.Fields {
		if l := strings.ToLower(fl.Name); !Exempt(l) && !covered[l] {
			return lim, denied("Extra input fields: %s", l)
		}
	}
	return lim, nil
}

func (c Condition) holds(v string) bool {
	if c.Op == Eq {
		return v == c.Value
	}
	if c.Field == "content-type" && strings.Contains(v, ",") {
		for _, part := range strings.Split(v, ",") {
			if !strings.HasPrefix(strings.TrimSpace(part), c.Value) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(v, c.Value)
}
