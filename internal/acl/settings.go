package acl

import (
	"encoding/json"
	"fmt"
)

// Ownership is a bucket's Object Ownership setting
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
type Ownership string

// The ownership settings.
const (
	// BucketOwnerEnforced disables ACLs: the bucket owner owns every
	// object, and access is decided by policies alone. AWS's default for
	// new buckets since April 2023, and Coffer's.
	BucketOwnerEnforced Ownership = "BucketOwnerEnforced"
	// BucketOwnerPreferred: ACLs apply; an object written with the
	// bucket-owner-full-control canned ACL is owned by the bucket owner.
	BucketOwnerPreferred Ownership = "BucketOwnerPreferred"
	// ObjectWriter: ACLs apply; the writer owns each object.
	ObjectWriter Ownership = "ObjectWriter"
)

// Valid reports whether o is one of the three settings.
func (o Ownership) Valid() bool {
	return o == BucketOwnerEnforced || o == BucketOwnerPreferred || o == ObjectWriter
}

// ACLsEnabled reports whether ACLs take part in access decisions.
func (o Ownership) ACLsEnabled() bool { return o != BucketOwnerEnforced }

// ownershipDeleted is stored after DeleteBucketOwnershipControls: AWS then
// reports no configuration and behaves as ObjectWriter.
const ownershipDeleted = "deleted"

// EncodeOwnership is the stored form of an ownership setting.
func EncodeOwnership(o Ownership) []byte { return []byte(o) }

// DeletedOwnership is the stored form after DeleteBucketOwnershipControls.
func DeletedOwnership() []byte { return []byte(ownershipDeleted) }

// DecodeOwnership returns the effective setting of a stored value and
// whether GetBucketOwnershipControls shows a configuration. Nothing stored
// (a bucket created by the management plane, or before ownership controls
// existed) is BucketOwnerEnforced, shown, as AWS shows it for new buckets;
// a deleted configuration is ObjectWriter, not shown, as in AWS.
func DecodeOwnership(stored []byte) (o Ownership, shown bool) {
	switch s := string(stored); {
	case stored == nil:
		return BucketOwnerEnforced, true
	case s == ownershipDeleted:
		return ObjectWriter, false
	case Ownership(s).Valid():
		return Ownership(s), true
	}
	return BucketOwnerEnforced, true
}

// PublicAccessBlock is a bucket's Block Public Access configuration
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
type PublicAccessBlock struct {
	// BlockPublicAcls refuses requests that set a public ACL (403).
	BlockPublicAcls bool `json:"bpa"`
	// IgnorePublicAcls ignores public grants when deciding access.
	IgnorePublicAcls bool `json:"ipa"`
	// BlockPublicPolicy refuses PutBucketPolicy of a public policy (403).
	BlockPublicPolicy bool `json:"bpp"`
	// RestrictPublicBuckets limits a public bucket policy to the users of
	// the bucket's tenant (no anonymous access through it).
	RestrictPublicBuckets bool `json:"rpb"`
}

// BlockAll is the configuration AWS gives new buckets since April 2023.
var BlockAll = PublicAccessBlock{true, true, true, true}

// EncodePAB is the stored form of a configuration.
func EncodePAB(p PublicAccessBlock) []byte {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}

// DecodePAB parses a stored configuration; nil (none) blocks nothing.
func DecodePAB(stored []byte) (PublicAccessBlock, error) {
	var p PublicAccessBlock
	if stored == nil {
		return p, nil
	}
	if err := json.Unmarshal(stored, &p); err != nil {
		return PublicAccessBlock{}, fmt.Errorf("acl: stored public access block: %w", err)
	}
	return p, nil
}
