package core

import (
	"context"

	"coffer/internal/acl"
)

// Principal is an authenticated S3 caller.
type Principal struct {
	Tenant    string // tenant id; buckets live in its namespace
	UserID    string
	UserName  string
	AccessKey string
	Root      bool // the tenant's root user: full access in its tenant
	// Anonymous marks an unsigned request, resolved to the tenant of the
	// bucket it names; UserID, UserName and AccessKey are empty. Only a
	// bucket's public policy or public ACL can allow it anything.
	Anonymous bool
}

// CanonicalID is the principal's S3 canonical id (acl.CanonicalID), "" when
// anonymous.
func (p Principal) CanonicalID() string {
	if p.Anonymous {
		return ""
	}
	return acl.CanonicalID(p.Tenant, p.UserID)
}

// Credential is what the S3 authenticator needs for one access key.
type Credential struct {
	Principal
	Secret string
}

// CredentialSource resolves an access key. Unknown, inactive or expired keys
// return an error of kind errs.InvalidAccessKeyID.
type CredentialSource interface {
	Credential(ctx context.Context, accessKey string) (Credential, error)
}

// Request is one authorization question: may p perform action (an IAM
// action name such as "s3:GetObject") on bucket/key?
type Request struct {
	Principal Principal
	Action    string
	Bucket    string
	Key       string
	// SourceIP is the client's address (aws:SourceIp); "" when unknown.
	SourceIP string
	// Context holds other condition keys the adapter knows, lower-case
	// ("s3:prefix", "s3:delimiter", "s3:max-keys", "aws:securetransport",
	// "aws:useragent", ...). May be nil.
	Context map[string]string
}

// Authorizer answers authorization questions; nil error means allowed, an
// errs.AccessDenied error means denied.
type Authorizer interface {
	Authorize(ctx context.Context, r Request) error
}
