// Package policy is Coffer's one representation of S3 access policies and
// their evaluation.
//
// A Document is a list of Statements in the AWS shape (effect, principals,
// actions, resources, conditions). It is produced from AWS bucket-policy JSON
// (ParseAWS, used by the S3 PutBucketPolicy API) or from ONTAP bucket-policy
// statements and ONTAP object-store-server policies (FromONTAP), and rendered
// back with MarshalAWS and ToONTAP. Both faces round-trip through Document.
//
// # Canonical forms inside a Document
//
//   - Actions are IAM action names, "s3:GetObject", or patterns with * and ?
//     ("s3:Get*", "s3:*", "*"). Action matching is case-insensitive.
//   - Resources are S3 ARNs, "arn:aws:s3:::bucket" (the bucket itself) or
//     "arn:aws:s3:::bucket/key" (objects), with * and ? wildcards; "*" matches
//     every resource. Resource matching is case-sensitive.
//   - Principals are "*" (anyone, including anonymous requests), a bare user
//     name "user1", "group/<name>" (an S3 group of the tenant) or
//     "nasgroup/<name>" (kept for ONTAP round-trips), or "canonical/<id>" (a
//     user by canonical id, AWS's {"CanonicalUser": id}); "root" is the
//     tenant's root user, which is what an account principal
//     ("arn:aws:iam::ACCOUNT:root" or "ACCOUNT") names. A nil Principals list
//     means "every authenticated user of the tenant": that is ONTAP's default
//     for bucket-policy statements without principals, and it is the natural
//     meaning for identity policies (ONTAP S3 policies attached to groups),
//     whose statements carry no principals.
//   - Conditions use AWS operator names ("StringLike", "IpAddress", ...) and
//     AWS condition keys ("aws:SourceIp", "s3:prefix", ...).
//
// # Evaluation
//
// Evaluate follows the AWS and ONTAP rule: an explicit Deny in any statement
// of any document wins; otherwise an Allow in any statement allows; otherwise
// the result is NoMatch (an implicit deny; the caller decides what NoMatch
// means, e.g. the bucket owner or root may still be allowed).
//
// Documents returned by ParseAWS, FromONTAP, BuiltIn and Compile carry a
// precompiled form of their patterns, so Evaluate does no parsing per
// request. Treat a Document as immutable; after editing Statements call
// Compile again. A Document built by hand and never compiled is still
// evaluated correctly, only more slowly.
package policy

import (
	"net/netip"
	"time"
)

// Effect is a statement's effect.
type Effect string

// The effects, spelled as in AWS JSON.
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Version2012 and Version2008 are the policy language versions AWS accepts.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Document is a policy: an ordered list of statements.
type Document struct {
	// Version is the AWS policy language version: "2012-10-17" (policy
	// variables such as ${aws:username} are expanded), "2008-10-17" or ""
	// (variables are literal text, as in AWS).
	Version string
	// ID is the optional AWS "Id" element.
	ID string
	// Statements in document order.
	Statements []Statement

	c *compiled // precompiled patterns; nil until Compile
}

// Statement is one rule of a Document.
type Statement struct {
	// Sid is an optional statement identifier.
	Sid string
	// Effect is EffectAllow or EffectDeny.
	Effect Effect
	// Principals the statement applies to (see the package doc); nil means
	// every authenticated user of the tenant.
	Principals []string
	// Actions are IAM action names or patterns, e.g. "s3:GetObject", "s3:*".
	Actions []string
	// Resources are S3 ARNs or patterns, e.g. "arn:aws:s3:::bucket/*".
	Resources []string
	// Conditions must all hold for the statement to apply (AND).
	Conditions []Condition
}

// Condition is one (operator, key, values) triple of a statement's
// Condition block. The statement applies only if every Condition holds;
// a Condition holds if the request's value for Key matches any of Values
// (for negated operators: matches none of them).
//
// Operator is an AWS condition operator: StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, NumericEquals, NumericNotEquals, NumericLessThan,
// NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals,
// DateEquals, DateNotEquals, DateLessThan, DateLessThanEquals,
// DateGreaterThan, DateGreaterThanEquals, Bool, IpAddress, NotIpAddress,
// ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Null; each may carry the
// suffix "IfExists" (except Null), and the prefixes "ForAnyValue:" and
// "ForAllValues:" are accepted (request values are single-valued).
//
// When the request has no value for Key, positive operators do not hold and
// negated operators (Not...) hold, as in AWS; "...IfExists" operators hold;
// Null tests presence. A key Coffer never supplies is therefore "absent".
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Decision is the outcome of Evaluate.
type Decision int

// The decisions.
const (
	// NoMatch: no statement applies (implicit deny).
	NoMatch Decision = iota
	// Allow: some statement allows and none denies.
	Allow
	// Deny: some statement explicitly denies.
	Deny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NoMatch"
}

// Request is what Evaluate checks a Document against.
type Request struct {
	// Tenant the request runs in (informational; documents are per tenant).
	Tenant string
	// User is the authenticated user name; "" for an anonymous request.
	User string
	// Groups are the names of the tenant's S3 groups the user belongs to.
	Groups []string
	// CanonicalID is the requester's canonical id (package acl), matched by
	// {"CanonicalUser": id} principals; "" for an anonymous request.
	CanonicalID string
	// Root is set when the requester is the tenant's root user. It makes
	// principal "root" match; it grants nothing by itself.
	Root bool
	// Action is the IAM action name, e.g. "s3:GetObject".
	Action string
	// Bucket and Key name the resource; Key is "" for bucket-level actions
	// and Bucket is "" for service-level ones (s3:ListAllMyBuckets).
	Bucket string
	Key    string
	// SourceIP is the client address (aws:SourceIp); invalid when unknown.
	SourceIP netip.Addr
	// Now is the request time (aws:CurrentTime, aws:EpochTime); zero when
	// unknown.
	Now time.Time
	// Context holds other condition keys, e.g. "s3:prefix", "s3:delimiter",
	// "s3:max-keys", "aws:SecureTransport", "s3:x-amz-acl". Keys compare
	// case-insensitively; a lower-case key is found fastest. "aws:username"
	// defaults to User and "aws:SourceIp" to SourceIP when not set here.
	Context map[string]string
}

// Compile validates d and precompiles its patterns for Evaluate. It returns
// an *errs.Error of kind MalformedPolicy when a statement is invalid.
func (d *Document) Compile() error {
	c, err := compile(d)
	if err != nil {
		return err
	}
	d.c = c
	return nil
}

// Evaluate decides req against docs (e.g. a bucket policy and the identity
// policies of the user's groups): an explicit Deny anywhere wins, else Allow
// if any statement allows, else NoMatch. It never panics and is safe for
// concurrent use; statements that cannot be compiled (in a Document built by
// hand) are ignored.
func Evaluate(req Request, docs ...Document) Decision {
	return evaluate(&req, docs)
}

// ResourceFor returns the ARN that action applies to: "arn:aws:s3:::bucket"
// for bucket-level actions (IsBucketAction), "arn:aws:s3:::bucket/key" for
// object actions, and "arn:aws:s3:::*" when bucket is "" (service-level
// actions such as s3:ListAllMyBuckets).
func ResourceFor(action, bucket, key string) string {
	return resourceFor(action, bucket, key)
}

// IsBucketAction reports whether action (e.g. "s3:ListBucket", any case)
// applies to a bucket rather than to an object.
func IsBucketAction(action string) bool {
	return isBucketAction(action)
}

// IsKnownAction reports whether action is an S3 IAM action name Coffer
// knows, e.g. "s3:GetObject" (any case; no wildcards).
func IsKnownAction(action string) bool {
	_, ok := lookupAction(action)
	return ok
}

// CheckBucket reports a MalformedPolicy error unless every resource of d
// can refer to bucket (its bucket part matches bucket, or is "*"), as S3
// requires of a bucket policy ("Policy has invalid resource").
func (d Document) CheckBucket(bucket string) error {
	return checkBucket(d, bucket)
}
