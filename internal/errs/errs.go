// Package errs is Coffer's one error vocabulary. The core and the storage
// layers return *Error values (or wrap them); each protocol adapter (S3,
// ONTAP, Commvault) owns exactly one table that maps a Kind to its dialect.
// Adapters compare with errors.Is(err, errs.NoSuchKey) — a Kind is itself an
// error so it can be used as a sentinel — and never match message strings.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind names a class of failure, independent of any wire protocol.
type Kind int

// The kinds. Add new ones at the end; dialect tables key on them.
const (
	Internal Kind = iota
	InvalidArgument
	NotImplemented
	AccessDenied
	NoSuchBucket
	NoSuchKey
	NoSuchVersion
	NoSuchUpload
	BucketAlreadyOwnedByYou
	BucketAlreadyExists
	BucketNotEmpty
	InvalidBucketName
	PreconditionFailed
	NotModified
	InvalidRange
	InvalidPart
	InvalidPartOrder
	EntityTooSmall
	EntityTooLarge
	BadDigest
	InvalidDigest
	MalformedXML
	KeyTooLong
	QuotaExceeded
	Conflict // a concurrent write won (409 ConditionalRequestConflict in S3)
	NoSuchTagSet
	InvalidTag
	MethodNotAllowed
	InvalidRequest
	IncompleteBody
	NotFound      // a management entity (tenant, user, key, group, plan, job…)
	AlreadyExists // a management entity with that name/id exists
	InvalidAccessKeyID
	SignatureDoesNotMatch
	RequestTimeTooSkewed
	ExpiredToken
	MissingContentLength
	InvalidStorageClass
	NoSuchBucketPolicy
	MalformedPolicy
	ServiceDisabled
	Unauthenticated
	ContentSHA256Mismatch // x-amz-content-sha256 does not match the body
	SignatureExpired      // a presigned URL past its expiry
	InvalidPartNumber     // a partNumber read beyond the object's parts
	InUse                 // a management entity is still used (policy attached to a group, tenant with a service…)
	// The S3 breadth families (encryption, ACLs, CORS, POST Object, public
	// access, logging) and request timeouts.
	KMSKeyNotFound                // a named KMS key does not exist (or is disabled)
	InvalidEncryptionAlgorithm    // an SSE header names an unknown algorithm
	NoSuchEncryptionConfiguration // the bucket has no default encryption
	NoSuchCORSConfiguration       // the bucket has no CORS configuration
	CORSForbidden                 // a CORS request that the bucket's rules do not allow
	NoSuchPublicAccessBlock       // the bucket has no public access block configuration
	NoSuchOwnershipControls       // the bucket has no ownership controls
	AccessControlListNotSupported // ACLs are disabled (BucketOwnerEnforced)
	InvalidPolicyDocument         // a POST Object policy document is invalid or unmet
	RequestTimeout                // the client stopped sending the body
	UnresolvableGrantByEmail      // an ACL grant by an e-mail address no user has
	InvalidTargetBucketForLogging // a logging target bucket that cannot receive logs
	MissingSecurityHeader         // a required header (e.g. an SSE-C key) is absent
	InvalidSecurity               // credentials or keys offered over an insecure channel
	MalformedPOSTRequest          // a POST Object body that is not well-formed multipart/form-data
	BadRequest                    // a request S3 answers 400 BadRequest (a CORS preflight without Origin)
	MalformedACL                  // an ACL document or grant header that is not valid
	InvalidBucketACLWithOwnership // CreateBucket with an ACL where ownership is BucketOwnerEnforced
	// Object Lock.
	InvalidBucketState              // the bucket's state forbids the change (suspending versioning under Object Lock)
	ObjectLockConfigurationNotFound // the bucket has no Object Lock configuration
	NoSuchObjectLockConfiguration   // the version has no retention (or legal hold) to show
	Unavailable                     // the metadata store cannot be reached or is too slow: retry later (503 SlowDown)
	NoSuchLifecycleConfiguration    // the bucket has no lifecycle configuration
	numKinds
)

var kindNames = [...]string{
	Internal: "Internal", InvalidArgument: "InvalidArgument", NotImplemented: "NotImplemented",
	AccessDenied: "AccessDenied", NoSuchBucket: "NoSuchBucket", NoSuchKey: "NoSuchKey",
	NoSuchVersion: "NoSuchVersion", NoSuchUpload: "NoSuchUpload",
	BucketAlreadyOwnedByYou: "BucketAlreadyOwnedByYou", BucketAlreadyExists: "BucketAlreadyExists",
	BucketNotEmpty: "BucketNotEmpty", InvalidBucketName: "InvalidBucketName",
	PreconditionFailed: "PreconditionFailed", NotModified: "NotModified", InvalidRange: "InvalidRange",
	InvalidPart: "InvalidPart", InvalidPartOrder: "InvalidPartOrder", EntityTooSmall: "EntityTooSmall",
	EntityTooLarge: "EntityTooLarge", BadDigest: "BadDigest", InvalidDigest: "InvalidDigest",
	MalformedXML: "MalformedXML", KeyTooLong: "KeyTooLong", QuotaExceeded: "QuotaExceeded",
	Conflict: "Conflict", NoSuchTagSet: "NoSuchTagSet", InvalidTag: "InvalidTag",
	MethodNotAllowed: "MethodNotAllowed", InvalidRequest: "InvalidRequest", IncompleteBody: "IncompleteBody",
	NotFound: "NotFound", AlreadyExists: "AlreadyExists", InvalidAccessKeyID: "InvalidAccessKeyId",
	SignatureDoesNotMatch: "SignatureDoesNotMatch", RequestTimeTooSkewed: "RequestTimeTooSkewed",
	ExpiredToken: "ExpiredToken", MissingContentLength: "MissingContentLength",
	InvalidStorageClass: "InvalidStorageClass", NoSuchBucketPolicy: "NoSuchBucketPolicy",
	MalformedPolicy: "MalformedPolicy", ServiceDisabled: "ServiceDisabled", Unauthenticated: "Unauthenticated",
	ContentSHA256Mismatch: "XAmzContentSHA256Mismatch", SignatureExpired: "SignatureExpired",
	InvalidPartNumber: "InvalidPartNumber", InUse: "InUse",
	KMSKeyNotFound: "KMSKeyNotFound", InvalidEncryptionAlgorithm: "InvalidEncryptionAlgorithm",
	NoSuchEncryptionConfiguration: "NoSuchEncryptionConfiguration", NoSuchCORSConfiguration: "NoSuchCORSConfiguration",
	CORSForbidden: "CORSForbidden", NoSuchPublicAccessBlock: "NoSuchPublicAccessBlock",
	NoSuchOwnershipControls: "NoSuchOwnershipControls", AccessControlListNotSupported: "AccessControlListNotSupported",
	InvalidPolicyDocument: "InvalidPolicyDocument", RequestTimeout: "RequestTimeout",
	UnresolvableGrantByEmail: "UnresolvableGrantByEmail", MalformedACL: "MalformedACL",
	InvalidBucketACLWithOwnership: "InvalidBucketACLWithOwnership", InvalidTargetBucketForLogging: "InvalidTargetBucketForLogging",
	MissingSecurityHeader: "MissingSecurityHeader", InvalidSecurity: "InvalidSecurity",
	MalformedPOSTRequest: "MalformedPOSTRequest",
	BadRequest:           "BadRequest",
	InvalidBucketState:   "InvalidBucketState", ObjectLockConfigurationNotFound: "ObjectLockConfigurationNotFoundError",
	NoSuchObjectLockConfiguration: "NoSuchObjectLockConfiguration",
	Unavailable:                   "Unavailable",
	NoSuchLifecycleConfiguration:  "NoSuchLifecycleConfiguration",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error makes a bare Kind usable as a sentinel: errors.Is(err, errs.NoSuchKey).
func (k Kind) Error() string { return k.String() }

// Error is a failure of a known kind with a human message. Field names the
// offending input (a header, a JSON field, a query parameter) when known, so
// dialects that report a "target" can.
type Error struct {
	Kind  Kind
	Msg   string
	Field string
	Err   error // optional cause
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is this error's Kind (or an *Error of the same Kind).
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Kind:
		return t == e.Kind
	case *Error:
		return t.Kind == e.Kind
	}
	return false
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error of kind k with a formatted message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, ExcerptQuoted(format, args)...)}
}

// Field returns an *Error of kind k that names the offending input.
func Field(k Kind, field, format string, args ...any) *Error {
	return &Error{Kind: k, Field: Excerpt(field), Msg: fmt.Sprintf(format, ExcerptQuoted(format, args)...)}
}

// Wrap attaches kind k to a cause.
func Wrap(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Err: err, Msg: fmt.Sprintf(format, args...)}
}

// FromStorage translates an error from the metadata store for the operation
// named what: errors already in this vocabulary pass through; the store's
// "gave up retrying a conflicting transaction" error (conflict) becomes
// Conflict; anything else becomes Internal, which adapters log and never show.
func FromStorage(err error, what string, conflict error) error {
	if err == nil {
		return nil
	}
	var e *Error
	var k Kind
	if errors.As(err, &e) || errors.As(err, &k) {
		return err
	}
	if errors.Is(err, conflict) {
		return Wrap(Conflict, err, "%s: too many concurrent changes, try again", what)
	}
	return Wrap(Internal, err, "%s", what)
}

// KindOf returns the Kind of err, or Internal when err carries none. An
// Unavailable anywhere in the chain wins: a request that failed because the
// metadata store is unreachable answers "retry later" whatever layer wrapped
// the failure.
func KindOf(err error) Kind {
	if errors.Is(err, Unavailable) {
		return Unavailable
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	return Internal
}

// Message returns the human message of err without the kind prefix, or "" .
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return ""
}

// MaxExcerpt is the most bytes of a client's input an error message
// quotes: names, values and JSON fragments are cut to it by Excerpt, so an
// error body never echoes more than a bounded excerpt of the request.
const MaxExcerpt = 128

// Excerpt returns s cut to MaxExcerpt bytes (at a UTF-8 boundary), with
// "..." marking a cut.
func Excerpt(s string) string {
	if len(s) <= MaxExcerpt {
		return s
	}
	i := MaxExcerpt
	for i > 0 && s[i]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		i--
	}
	return s[:i] + "..."
}

// maxMessage bounds a whole error message (BoundMessage).
const maxMessage = 1024

// BoundMessage cuts a rendered error message to 1 KiB: the last guard of
// each dialect's error writer, after Excerpt bounded the quoted input.
func BoundMessage(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	i := maxMessage
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}

// ExcerptQuoted returns args with every string formatted by a %q verb of
// format cut by Excerpt: messages quote the names and values they take
// from a request with %q, so those are what is bounded (a message passed
// on with %s is already bounded).
func ExcerptQuoted(format string, args []any) []any {
	copied := false
	n := 0 // the argument index of the next verb
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.*", format[i]) >= 0 {
			if format[i] == '*' {
				n++
			}
			i++
		}
		if i >= len(format) || format[i] == '%' {
			continue
		}
		if format[i] == 'q' && n < len(args) {
			if s, ok := args[n].(string); ok && len(s) > MaxExcerpt {
				if !copied { // never change the caller's slice
					args, copied = append([]any(nil), args...), true
				}
				args[n] = Excerpt(s)
			}
		}
		n++
	}
	return args
}
