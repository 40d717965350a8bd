// Package acl is Coffer's model of S3 access control lists: grants of
// permissions (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL) to
// grantees (a user by canonical id, one of AWS's predefined groups, or an
// e-mail address), the canned ACLs AWS defines, object ownership settings,
// Block Public Access settings, and the decision whether an ACL grants an
// S3 action to a requester.
//
// It holds no I/O and no wire format: package s3api parses and renders the
// S3 XML and headers, package core decides requests with it, and package
// objects stores encoded ACLs opaquely (Encode/Decode).
//
// # Canonical ids
//
// AWS names every account by a 64-hex-character canonical id. In Coffer
// every user is a grantee of its own: CanonicalID derives a stable id from
// the user's tenant and uuid, so the same user shows the same id in every
// response (ListBuckets, listings, ACLs, multipart) and on every node.
//
// Reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
package acl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Permission is an ACL permission, spelled as in S3's XML.
type Permission string

// The permissions.
const (
	FullControl Permission = "FULL_CONTROL"
	Read        Permission = "READ"
	Write       Permission = "WRITE"
	ReadACP     Permission = "READ_ACP"
	WriteACP    Permission = "WRITE_ACP"
)

// Valid reports whether p is one of S3's five permissions.
func (p Permission) Valid() bool {
	switch p {
	case FullControl, Read, Write, ReadACP, WriteACP:
		return true
	}
	return false
}

// GranteeType is a grantee's xsi:type.
type GranteeType string

// The grantee types.
const (
	CanonicalUser GranteeType = "CanonicalUser"
	Group         GranteeType = "Group"
	Email         GranteeType = "AmazonCustomerByEmail"
)

// The predefined groups (Grantee.URI).
const (
	AllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	LogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// KnownGroup reports whether uri names one of the predefined groups.
func KnownGroup(uri string) bool {
	return uri == AllUsers || uri == AuthenticatedUsers || uri == LogDelivery
}

// MaxGrants is AWS's limit of grants in one ACL.
const MaxGrants = 100

// Grantee is who a grant is for: ID for a CanonicalUser, URI for a Group,
// Email for an AmazonCustomerByEmail.
type Grantee struct {
	Type  GranteeType `json:"t"`
	ID    string      `json:"id,omitempty"`
	URI   string      `json:"uri,omitempty"`
	Email string      `json:"em,omitempty"`
}

// Grant gives Grantee one Permission.
type Grant struct {
	Grantee    Grantee    `json:"g"`
	Permission Permission `json:"p"`
}

// ACL is the access control list of a bucket or object version. Owner is
// the canonical id of the resource owner.
type ACL struct {
	Owner  string  `json:"o"`
	Grants []Grant `json:"gr"`
}

// CanonicalID is the canonical id of a user: 64 lower-case hex digits,
// stable for (tenant, user uuid). An empty userID (a resource written by the
// management plane) has no canonical id.
func CanonicalID(tenant, userID string) string {
	if userID == "" {
		return ""
	}
	h := sha256.Sum256([]byte("coffer canonical user\x00" + tenant + "\x00" + userID))
	return hex.EncodeToString(h[:])
}

// IsCanonicalID reports whether s has the shape of a canonical id.
func IsCanonicalID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Private is the ACL of a resource nobody changed: its owner has
// FULL_CONTROL.
func Private(owner string) ACL {
	return ACL{Owner: owner, Grants: []Grant{userGrant(owner, FullControl)}}
}

func userGrant(id string, p Permission) Grant {
	return Grant{Grantee: Grantee{Type: CanonicalUser, ID: id}, Permission: p}
}

func groupGrant(uri string, p Permission) Grant {
	return Grant{Grantee: Grantee{Type: Group, URI: uri}, Permission: p}
}

// CannedNames lists the canned ACLs AWS defines (x-amz-acl).
var CannedNames = []string{"private", "public-read", "public-read-write", "authenticated-read",
	"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"}

// ErrUnknownCanned is returned by Canned for a name AWS does not define.
var ErrUnknownCanned = errors.New("acl: unknown canned ACL")

// Canned expands a canned ACL for a resource owned by owner in a bucket
// owned by bucketOwner, as AWS's table "Canned ACL" defines it
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl).
// bucket-owner-read and bucket-owner-full-control add the bucket owner only
// on objects (AWS ignores them on buckets); aws-exec-read's EC2 grant has no
// meaning in Coffer and is left out.
func Canned(name, owner, bucketOwner string, object bool) (ACL, error) {
	a := Private(owner)
	add := func(g Grant) { a.Grants = append(a.Grants, g) }
	switch name {
	case "private", "aws-exec-read":
	case "public-read":
		add(groupGrant(AllUsers, Read))
	case "public-read-write":
		add(groupGrant(AllUsers, Read))
		add(groupGrant(AllUsers, Write))
	case "authenticated-read":
		add(groupGrant(AuthenticatedUsers, Read))
	case "bucket-owner-read":
		if object && bucketOwner != "" && bucketOwner != owner {
			add(userGrant(bucketOwner, Read))
		}
	case "bucket-owner-full-control":
		if object && bucketOwner != "" && bucketOwner != owner {
			add(userGrant(bucketOwner, FullControl))
		}
	case "log-delivery-write":
		add(groupGrant(LogDelivery, Write))
		add(groupGrant(LogDelivery, ReadACP))
	default:
		return ACL{}, fmt.Errorf("%w %q", ErrUnknownCanned, name)
	}
	return a, nil
}

// IsPublic reports whether a grants anything to AllUsers or
// AuthenticatedUsers: AWS's definition of a public ACL
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status).
func (a ACL) IsPublic() bool {
	for _, g := range a.Grants {
		if isPublicGrantee(g.Grantee) {
			return true
		}
	}
	return false
}

func isPublicGrantee(g Grantee) bool {
	return g.Type == Group && (g.URI == AllUsers || g.URI == AuthenticatedUsers)
}

// OnlyOwnerFullControl reports whether a grants nothing but FULL_CONTROL to
// owner: the ACLs a bucket with ACLs disabled (BucketOwnerEnforced) still
// accepts (private, bucket-owner-full-control, or their XML equivalents).
func (a ACL) OnlyOwnerFullControl(owner string) bool {
	for _, g := range a.Grants {
		if g.Grantee.Type != CanonicalUser || g.Grantee.ID != owner || g.Permission != FullControl {
			return false
		}
	}
	return true
}

// Validate checks what every ACL must satisfy: at most MaxGrants grants,
// valid permissions, and grantees of a known type with their identifier.
func (a ACL) Validate() error {
	if len(a.Grants) > MaxGrants {
		return fmt.Errorf("acl: %d grants, at most %d are allowed", len(a.Grants), MaxGrants)
	}
	for _, g := range a.Grants {
		if !g.Permission.Valid() {
			return fmt.Errorf("acl: invalid permission %q", g.Permission)
		}
		switch g.Grantee.Type {
		case CanonicalUser:
			if g.Grantee.ID == "" {
				return errors.New("acl: a CanonicalUser grantee needs an ID")
			}
		case Group:
			if !KnownGroup(g.Grantee.URI) {
				return fmt.Errorf("acl: unknown group %q", g.Grantee.URI)
			}
		case Email:
			if g.Grantee.Email == "" {
				return errors.New("acl: an AmazonCustomerByEmail grantee needs an EmailAddress")
			}
		default:
			return fmt.Errorf("acl: unknown grantee type %q", g.Grantee.Type)
		}
	}
	return nil
}

// record is the persisted form of an ACL.
type record struct {
	Schema int `json:"_v"`
	ACL
}

const recordSchema = 1

// Encode returns the persisted form of a (versioned JSON).
func (a ACL) Encode() []byte {
	b, err := json.Marshal(record{Schema: recordSchema, ACL: a})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

// Decode parses what Encode returned.
func Decode(b []byte) (ACL, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return ACL{}, fmt.Errorf("acl: stored ACL: %w", err)
	}
	if r.Schema != recordSchema {
		return ACL{}, fmt.Errorf("acl: stored ACL has unknown schema %d", r.Schema)
	}
	return r.ACL, nil
}
