package policy

import "encoding/json"

// ONTAPStatement is one statement of an ONTAP bucket policy
// (policy.statements[] of /protocols/s3/.../buckets) or of an ONTAP
// object-store-server policy (statements[] of /protocols/s3/.../policies),
// with ONTAP's JSON field names. Server policies have no principals and no
// conditions; they carry a read-only index.
type ONTAPStatement struct {
	// Sid is the statement id; ONTAP may send numeric sids as JSON numbers,
	// which decode here as strings. It is encoded as a JSON string.
	Sid ONTAPSid `json:"sid,omitempty"`
	// Effect is "allow" or "deny" (any case accepted).
	Effect string `json:"effect,omitempty"`
	// Actions are ONTAP action names ("GetObject") or patterns ("*", "Get*").
	Actions []string `json:"actions,omitempty"`
	// Principals: "user1", "group/grp1", "nasgroup/grp", "*"; empty means
	// all users of the SVM.
	Principals []string `json:"principals,omitempty"`
	// Resources: "*", "bucket", "bucket/*", "bucket/dir/?x", ...
	Resources []string `json:"resources,omitempty"`
	// Conditions, AND-ed.
	Conditions []ONTAPCondition `json:"conditions,omitempty"`
	// Index is the statement's position in a server policy (read-only in
	// ONTAP; FromONTAP ignores it and ToONTAP leaves it nil, for the
	// server-policy adapter to fill).
	Index *int `json:"index,omitempty"`
}

// ONTAPSid is a statement id that decodes from a JSON string or number.
type ONTAPSid string

// UnmarshalJSON accepts a string, a number or null.
func (s *ONTAPSid) UnmarshalJSON(b []byte) error { return s.unmarshal(b) }

// ONTAPCondition is one ONTAP policy condition: an operator applied to
// every key present (source_ips, usernames, prefixes, ...). Each key becomes
// one Condition of the Document; all must hold.
type ONTAPCondition struct {
	// Operator: ip_address, not_ip_address, string_equals, string_not_equals,
	// string_equals_ignore_case, string_not_equals_ignore_case, string_like,
	// string_not_like, numeric_equals, numeric_not_equals,
	// numeric_greater_than, numeric_greater_than_equals, numeric_less_than,
	// numeric_less_than_equals, bool, null.
	Operator string `json:"operator,omitempty"`
	// SourceIps (aws:SourceIp): CIDRs with zero host bits, or bare IPs.
	SourceIps []string `json:"source_ips,omitempty"`
	// Usernames (aws:username).
	Usernames []string `json:"usernames,omitempty"`
	// Prefixes (s3:prefix).
	Prefixes []string `json:"prefixes,omitempty"`
	// Delimiters (s3:delimiter).
	Delimiters []string `json:"delimiters,omitempty"`
	// MaxKeys (s3:max-keys); numbers (numeric strings are accepted).
	MaxKeys []json.Number `json:"max_keys,omitempty"`
	// IfMatch (s3:if-match).
	IfMatch []string `json:"if_match,omitempty"`
	// IfNoneMatch (s3:if-none-match).
	IfNoneMatch string `json:"if_none_match,omitempty"`
	// ObjectCreationOperation (s3:ObjectCreationOperation), a boolean.
	ObjectCreationOperation *bool `json:"object_creation_operation,omitempty"`
}

// FromONTAP converts ONTAP statements (bucket policy or server policy) into
// a compiled Document. ONTAP names map to AWS ones: action "GetObject" ->
// "s3:GetObject", "*" -> "s3:*"; resource "bucket/*" -> "arn:aws:s3:::bucket/*",
// "*" -> "arn:aws:s3:::*"; principals are kept as they are (see the package
// doc); condition operators map to AWS ones (string_like -> StringLike) and
// condition fields to AWS keys: source_ips -> aws:SourceIp (bare IPs become
// /32 or /128), usernames -> aws:username, prefixes -> s3:prefix,
// delimiters -> s3:delimiter, max_keys -> s3:max-keys, if_match ->
// s3:if-match, if_none_match -> s3:if-none-match,
// object_creation_operation -> s3:ObjectCreationOperation. Actions and
// resources are required; use FromONTAPBucketPolicy for bucket policies,
// where ONTAP has defaults. Invalid input
// returns an *errs.Error of kind InvalidArgument naming the Field
// ("actions", "effect", "principals", "resources", "conditions").
func FromONTAP(stmts []ONTAPStatement) (Document, error) {
	return fromONTAP(stmts)
}

// ToONTAP converts d into ONTAP statements, the inverse of FromONTAP:
// FromONTAP(ToONTAP(d)) equals d for any d that FromONTAP produced. Actions
// lose their "s3:" prefix ("s3:*" and "*" become "*"), resources their
// "arn:aws:s3:::" prefix ("arn:aws:s3:::*" and "*" become "*"). Conditions
// are grouped by operator; operators and keys ONTAP cannot express (Date*,
// Arn*, ...IfExists, other keys) are dropped, so ToONTAP of an AWS policy
// may be less restrictive than the policy: use it for display only.
func ToONTAP(d Document) []ONTAPStatement {
	return toONTAP(d)
}

// ONTAPActions lists the action names ONTAP accepts in policy statements
// (without the "s3:" prefix), in documentation order.
func ONTAPActions() []string {
	return append([]string(nil), ontapActions...)
}
