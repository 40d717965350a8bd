package objects

import (
	"context"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// PutObjectTagging replaces the tags of a version ("" = latest) in place
// (tags are not versioned data) and returns its version id.
func (s *Service) PutObjectTagging(ctx context.Context, tenant, bucket, key, versionID string, tags []Tag) (string, error) {
	if err := validateKey(key); err != nil {
		return "", err
	}
	var vid string
	err := s.update(ctx, "PutObjectTagging", func(tx kv.Txn) error {
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
		v.Tags = tags
		vid = v.versionID()
		if latest {
			return tx.Set(currentKey(b.ID, key), v.encode())
		}
		return tx.Set(versionKey(b.ID, key, v.Seq), v.encode())
	})
	return vid, err
}

// GetObjectTagging returns the tags of a version and its version id.
func (s *Service) GetObjectTagging(ctx context.Context, tenant, bucket, key, versionID string) ([]Tag, string, error) {
	if err := validateKey(key); err != nil {
		return nil, "", err
	}
	v, _, _, err := s.readVersion(ctx, tenant, bucket, key, versionID, false)
	if err != nil {
		return nil, "", err
	}
	return v.Tags, v.versionID(), nil
}
