package objects

import (
	"context"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Access control lists of object versions. An ACL belongs to one version
// (as in S3: PutObjectAcl with a versionId changes that version only) and
// is kept in its record; the object layer stores it opaquely, encoded by
// the S3 adapter (package acl). Changing it is not a new version.

// ObjectACL is a version's ACL and what deciding with it needs.
type ObjectACL struct {
	// ACL is the encoded ACL, nil for the default (Owner has FULL_CONTROL).
	ACL []byte
	// Owner is the user id of the version's owner.
	Owner     string
	VersionID string
}

// PutObjectACL replaces the ACL of a version ("" = latest) in place and
// returns its version id. acl nil restores the default. owner, when not
// "", also changes the version's owner (an object written before ownership
// moved to the bucket owner keeps its writer otherwise).
func (s *Service) PutObjectACL(ctx context.Context, tenant, bucket, key, versionID string, acl []byte, owner string) (string, error) {
	if err := validateKey(key); err != nil {
		return "", err
	}
	var vid string
	err := s.update(ctx, "PutObjectAcl", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		v, latest, err := lookup(tx, b, key, versionID, true)
		if err != nil {
			return err
		}
		if v.isDM() {
			return errs.Field(errs.MethodNotAllowed, "versionId", "The specified method is not allowed against this resource.")
		}
		v.ACL = append([]byte(nil), acl...)
		if acl == nil {
			v.ACL = nil
		}
		if owner != "" {
			v.Owner = owner
		}
		vid = v.versionID()
		if latest {
			return tx.Set(currentKey(b.ID, key), v.encode())
		}
		return tx.Set(versionKey(b.ID, key, v.Seq), v.encode())
	})
	return vid, err
}

// GetObjectACL returns a version's ACL ("" = latest). A delete marker
// answers as GetObject does (a *DeleteMarkerError).
func (s *Service) GetObjectACL(ctx context.Context, tenant, bucket, key, versionID string) (ObjectACL, error) {
	if err := validateKey(key); err != nil {
		return ObjectACL{}, err
	}
	v, _, _, err := s.readVersion(ctx, tenant, bucket, key, versionID, false)
	if err != nil {
		return ObjectACL{}, err
	}
	return ObjectACL{ACL: v.ACL, Owner: v.Owner, VersionID: v.versionID()}, nil
}
