package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"

	"coffer/internal/errs"
)

// ONTAP bucket-policy limits (ONTAP error 92405894).
const (
	maxONTAPStatements = 10
	maxONTAPPrincipals = 10
	maxONTAPResources  = 10
	maxONTAPSidLen     = 256
)

func (s *ONTAPSid) unmarshal(b []byte) error {
	b = bytes.TrimSpace(b)
	switch c := firstByte(b); {
	case c == 'n' && string(b) == "null":
		*s = ""
		return nil
	case c == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = ONTAPSid(v)
		return nil
	case c == '-' || '0' <= c && c <= '9':
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = ONTAPSid(n.String())
		return nil
	}
	return errs.Field(errs.InvalidArgument, "sid", "sid must be a string")
}

// ontapOps maps ONTAP condition operators to AWS ones.
var ontapOps = map[string]string{
	"ip_address": "IpAddress", "not_ip_address": "NotIpAddress",
	"string_equals": "StringEquals", "string_not_equals": "StringNotEquals",
	"string_equals_ignore_case": "StringEqualsIgnoreCase", "string_not_equals_ignore_case": "StringNotEqualsIgnoreCase",
	"string_like": "StringLike", "string_not_like": "StringNotLike",
	"numeric_equals": "NumericEquals", "numeric_not_equals": "NumericNotEquals",
	"numeric_greater_than": "NumericGreaterThan", "numeric_greater_than_equals": "NumericGreaterThanEquals",
	"numeric_less_than": "NumericLessThan", "numeric_less_than_equals": "NumericLessThanEquals",
	"bool": "Bool", "null": "Null",
}

var awsToONTAPOps = func() map[string]string {
	m := make(map[string]string, len(ontapOps))
	for o, a := range ontapOps {
		m[a] = o
	}
	return m
}()

// ONTAP condition fields and their AWS condition keys.
const (
	keyAWSSourceIP   = "aws:SourceIp"
	keyAWSUsername   = "aws:username"
	keyS3Prefix      = "s3:prefix"
	keyS3Delimiter   = "s3:delimiter"
	keyS3MaxKeys     = "s3:max-keys"
	keyS3IfMatch     = "s3:if-match"
	keyS3IfNoneMatch = "s3:if-none-match"
	keyS3ObjCreation = "s3:ObjectCreationOperation"
)

// opClass groups operators by the value type they compare.
func opClass(awsOp string) opKind {
	_, def, _, _, _ := parseOperator(awsOp)
	switch def.kind {
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		return opNumEq
	case opStringEqualsIC, opLike:
		return opStringEquals
	}
	return def.kind
}

func invalid(field, format string, args ...any) *errs.Error {
	return errs.Field(errs.InvalidArgument, field, format, args...)
}

// Causes attached (as errs.Error.Err) to FromONTAP errors that ONTAP
// reports with their own codes; other errors are told apart by Field
// (actions 92405906, resources 92405891, principals 92405897, sid 92405898,
// conditions 92405940).
var (
	// ErrONTAPLimit: more than 10 statements, principals or resources
	// (ONTAP 92405894).
	ErrONTAPLimit = errors.New("policy limit exceeded")
	// ErrCIDRHostBits: a source_ips subnet has host bits set (ONTAP 92405968).
	ErrCIDRHostBits = errors.New("subnet has host bits set")
)

func invalidCause(cause error, field, format string, args ...any) *errs.Error {
	e := invalid(field, format, args...)
	e.Err = cause
	return e
}

func fromONTAP(stmts []ONTAPStatement) (Document, error) {
	return fromONTAPStatements(stmts, "")
}

// FromONTAPBucketPolicy is FromONTAP for the statements of bucket's ONTAP
// bucket policy. It enforces ONTAP's limits (at most 10 statements, and 10
// principals and 10 resources per statement), applies ONTAP's defaults to
// statements that omit actions (GetObject, PutObject, DeleteObject,
// ListBucket, ListBucketMultipartUploads, ListMultipartUploadParts,
// Get/Put/DeleteObjectTagging, Get/PutBucketVersioning) or resources
// ("bucket/*"), and requires every resource to refer to bucket or be "*".
// Omitted principals mean every user of the SVM (nil Principals). Errors
// are *errs.Error of kind InvalidArgument.
func FromONTAPBucketPolicy(bucket string, stmts []ONTAPStatement) (Document, error) {
	if len(stmts) > maxONTAPStatements {
		return Document{}, invalidCause(ErrONTAPLimit, "statements", "a bucket policy can have at most %d statements", maxONTAPStatements)
	}
	if bucket == "" {
		return Document{}, invalid("name", "bucket name is required")
	}
	d, err := fromONTAPStatements(stmts, bucket)
	if err != nil {
		return Document{}, err
	}
	if err := checkBucket(d, bucket); err != nil {
		return Document{}, invalid("resources", "resources must name bucket %q or its objects", bucket)
	}
	return d, nil
}

// fromONTAPStatements converts; bucket != "" selects bucket-policy rules.
func fromONTAPStatements(stmts []ONTAPStatement, bucket string) (Document, error) {
	d := Document{Version: Version2012}
	for i := range stmts {
		s, err := fromONTAPStatement(&stmts[i], bucket)
		if err != nil {
			return Document{}, err
		}
		d.Statements = append(d.Statements, s)
	}
	if err := d.Compile(); err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			return Document{}, invalid(ontapField(e.Field), "%s", e.Msg)
		}
		return Document{}, err
	}
	return d, nil
}

// ontapField maps an AWS element name to the ONTAP field name.
func ontapField(f string) string {
	switch f {
	case "Effect":
		return "effect"
	case "Action":
		return "actions"
	case "Resource":
		return "resources"
	case "Principal":
		return "principals"
	case "Condition":
		return "conditions"
	case "Sid":
		return "sid"
	}
	return "statements"
}

func fromONTAPStatement(o *ONTAPStatement, bucket string) (Statement, error) {
	s := Statement{Sid: string(o.Sid)}
	if len(s.Sid) > maxONTAPSidLen {
		return s, invalid("sid", "sid must be at most %d characters", maxONTAPSidLen)
	}
	switch strings.ToLower(o.Effect) {
	case "allow":
		s.Effect = EffectAllow
	case "deny":
		s.Effect = EffectDeny
	default:
		return s, invalid("effect", "effect must be allow or deny")
	}

	actions := o.Actions
	if len(actions) == 0 {
		if bucket == "" {
			return s, invalid("actions", "actions is required")
		}
		actions = ontapDefaultActions
	}
	for _, a := range actions {
		aws, ok := fromONTAPAction(a)
		if !ok {
			return s, invalid("actions", "invalid action name %q", a)
		}
		s.Actions = append(s.Actions, aws)
	}

	if bucket != "" && len(o.Principals) > maxONTAPPrincipals {
		return s, invalidCause(ErrONTAPLimit, "principals", "a statement can have at most %d principals", maxONTAPPrincipals)
	}
	for _, p := range o.Principals {
		if kind, _ := splitPrincipal(p); kind == "" {
			return s, invalid("principals", "invalid principal %q", p)
		}
		s.Principals = append(s.Principals, p)
	}

	resources := o.Resources
	if len(resources) == 0 {
		if bucket == "" {
			return s, invalid("resources", "resources is required")
		}
		resources = []string{bucket + "/*"}
	}
	if bucket != "" && len(resources) > maxONTAPResources {
		return s, invalidCause(ErrONTAPLimit, "resources", "a statement can have at most %d resources", maxONTAPResources)
	}
	for _, r := range resources {
		aws, ok := fromONTAPResource(r)
		if !ok {
			return s, invalid("resources", "invalid resource %q", r)
		}
		s.Resources = append(s.Resources, aws)
	}

	for i := range o.Conditions {
		cs, err := fromONTAPCondition(&o.Conditions[i])
		if err != nil {
			return s, err
		}
		s.Conditions = append(s.Conditions, cs...)
	}
	return s, nil
}

// fromONTAPAction maps "GetObject" to "s3:GetObject" (canonical case), "*"
// to "s3:*" and a pattern such as "Get*" to "s3:Get*"; a pattern must match
// at least one ONTAP action.
func fromONTAPAction(a string) (string, bool) {
	if a == "*" {
		return "s3:*", true
	}
	if a == "" {
		return "", false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '*' || c == '?') {
			return "", false
		}
	}
	wild := hasWildcard(a)
	for _, k := range ontapActions {
		if wild && globMatch(a, k, true) {
			return "s3:" + a, true
		}
		if !wild && strings.EqualFold(a, k) {
			return "s3:" + k, true
		}
	}
	return "", false
}

// fromONTAPResource maps "*" to "arn:aws:s3:::*" and "bucket[/key]" to
// "arn:aws:s3:::bucket[/key]". The bucket part may use wildcards.
func fromONTAPResource(r string) (string, bool) {
	if r == "*" {
		return serviceResource, true
	}
	b, _, _ := strings.Cut(r, "/")
	if b == "" {
		return "", false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '*' || c == '?') {
			return "", false
		}
	}
	for i := 0; i < len(r); i++ {
		if r[i] < 0x20 || r[i] == 0x7f {
			return "", false
		}
	}
	return arnPrefix + r, true
}

func fromONTAPCondition(c *ONTAPCondition) ([]Condition, error) {
	op, ok := ontapOps[strings.ToLower(c.Operator)]
	if !ok {
		return nil, invalid("conditions", "invalid condition operator %q", c.Operator)
	}
	class := opClass(op)
	var out []Condition
	add := func(field, key string, vals []string, allowed ...opKind) error {
		if len(vals) == 0 {
			return nil
		}
		ok := class == opNull
		for _, a := range allowed {
			ok = ok || class == a
		}
		if !ok {
			return invalid("conditions", "condition key %s is not valid for operator %s", field, c.Operator)
		}
		out = append(out, Condition{Operator: op, Key: key, Values: vals})
		return nil
	}
	ips := make([]string, 0, len(c.SourceIps))
	for _, s := range c.SourceIps {
		p, err := ontapSourceIP(s)
		if err != nil {
			return nil, err
		}
		ips = append(ips, p)
	}
	maxKeys := make([]string, len(c.MaxKeys))
	for i, n := range c.MaxKeys {
		maxKeys[i] = n.String()
	}
	var ifNone, objCreate []string
	if c.IfNoneMatch != "" {
		ifNone = []string{c.IfNoneMatch}
	}
	if c.ObjectCreationOperation != nil {
		objCreate = []string{"false"}
		if *c.ObjectCreationOperation {
			objCreate = []string{"true"}
		}
	}
	for _, err := range []error{
		add("source_ips", keyAWSSourceIP, ips, opIP),
		add("usernames", keyAWSUsername, c.Usernames, opStringEquals),
		add("prefixes", keyS3Prefix, c.Prefixes, opStringEquals),
		add("delimiters", keyS3Delimiter, c.Delimiters, opStringEquals),
		add("max_keys", keyS3MaxKeys, maxKeys, opNumEq, opStringEquals),
		add("if_match", keyS3IfMatch, c.IfMatch, opStringEquals),
		add("if_none_match", keyS3IfNoneMatch, ifNone, opStringEquals),
		add("object_creation_operation", keyS3ObjCreation, objCreate, opBool),
	} {
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, invalid("conditions", "condition %s has no condition key", c.Operator)
	}
	return out, nil
}

// ontapSourceIP validates an ONTAP source_ips entry: a CIDR whose host bits
// are zero (ONTAP error 92405968) or a bare address, which becomes a /32
// (IPv4) or /128 (IPv6), as ONTAP reports it.
func ontapSourceIP(s string) (string, error) {
	if strings.IndexByte(s, '/') < 0 {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return "", invalid("conditions", "invalid source IP %q", s)
		}
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", invalid("conditions", "invalid source IP subnet %q", s)
	}
	if p.Masked() != p {
		return "", invalidCause(ErrCIDRHostBits, "conditions", "source IP subnet %q", s)
	}
	return p.String(), nil
}

func toONTAP(d Document) []ONTAPStatement {
	out := make([]ONTAPStatement, 0, len(d.Statements))
	for i := range d.Statements {
		s := &d.Statements[i]
		o := ONTAPStatement{Sid: ONTAPSid(s.Sid), Effect: strings.ToLower(string(s.Effect))}
		for _, a := range s.Actions {
			o.Actions = append(o.Actions, toONTAPAction(a))
		}
		if len(s.Principals) > 0 {
			o.Principals = append([]string(nil), s.Principals...)
		}
		for _, r := range s.Resources {
			o.Resources = append(o.Resources, toONTAPResource(r))
		}
		o.Conditions = toONTAPConditions(s.Conditions)
		out = append(out, o)
	}
	return out
}

func toONTAPAction(a string) string {
	if len(a) >= 3 && strings.EqualFold(a[:3], "s3:") {
		a = a[3:]
	}
	return a
}

func toONTAPResource(r string) string {
	if r == "*" || r == serviceResource {
		return "*"
	}
	return strings.TrimPrefix(r, arnPrefix)
}

// toONTAPConditions groups conditions by operator (in order of first
// appearance); operators and keys ONTAP cannot express are dropped.
func toONTAPConditions(cs []Condition) []ONTAPCondition {
	var out []ONTAPCondition
	idx := map[string]int{}
	for _, c := range cs {
		canon, _, _, _, ok := parseOperator(c.Operator)
		op, ok2 := awsToONTAPOps[canon]
		if !ok || !ok2 {
			continue
		}
		i, seen := idx[op]
		if !seen {
			i = len(out)
			out = append(out, ONTAPCondition{Operator: op})
		}
		o := &out[i]
		switch strings.ToLower(c.Key) {
		case strings.ToLower(keyAWSSourceIP):
			o.SourceIps = append(o.SourceIps, c.Values...)
		case keyAWSUsername:
			o.Usernames = append(o.Usernames, c.Values...)
		case keyS3Prefix:
			o.Prefixes = append(o.Prefixes, c.Values...)
		case keyS3Delimiter:
			o.Delimiters = append(o.Delimiters, c.Values...)
		case keyS3MaxKeys:
			for _, v := range c.Values {
				if isNumber(v) {
					o.MaxKeys = append(o.MaxKeys, json.Number(v))
				}
			}
		case keyS3IfMatch:
			o.IfMatch = append(o.IfMatch, c.Values...)
		case keyS3IfNoneMatch:
			if o.IfNoneMatch == "" && len(c.Values) > 0 {
				o.IfNoneMatch = c.Values[0]
			}
		case strings.ToLower(keyS3ObjCreation):
			if o.ObjectCreationOperation == nil && len(c.Values) > 0 {
				if b, ok := parseBool(c.Values[0]); ok {
					o.ObjectCreationOperation = &b
				}
			}
		}
		if !seen && isEmptyCondition(o) {
			out = out[:i]
			continue
		}
		idx[op] = i
	}
	return out
}

func isEmptyCondition(o *ONTAPCondition) bool {
	return len(o.SourceIps) == 0 && len(o.Usernames) == 0 && len(o.Prefixes) == 0 &&
		len(o.Delimiters) == 0 && len(o.MaxKeys) == 0 && len(o.IfMatch) == 0 &&
		o.IfNoneMatch == "" && o.ObjectCreationOperation == nil
}

// isNumber reports whether s is a JSON number literal.
func isNumber(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return false
	}
	_, ok := v.(json.Number)
	return ok
}
