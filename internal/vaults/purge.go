package vaults

import (
	"context"
	"fmt"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/objects"
)

// Empty reports whether a bucket has no version, delete marker or pending
// upload.
func (s *Service) Empty(ctx context.Context, tenant, bucket string) (bool, error) {
	v, err := s.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1})
	if err != nil {
		return false, err
	}
	if len(v.Versions) > 0 {
		return false, nil
	}
	u, err := s.obj.ListMultipartUploads(ctx, objects.ListUploadsInput{Tenant: tenant, Bucket: bucket, MaxUploads: 1})
	if err != nil {
		return false, err
	}
	return len(u.Uploads) == 0, nil
}

// Purge deletes every version, delete marker and pending upload of a
// bucket (a forced vault deletion) and returns how many versions it
// removed. The object layer refuses to delete a version under Object
// Lock: the purge then stops with its error. check is called between
// pages; its error stops the work.
func (s *Service) Purge(ctx context.Context, tenant, bucket string, p jobs.Progress, check func() error) (int, error) {
	removed := 0
	for {
		if err := check(); err != nil {
			return removed, err
		}
		page, err := s.obj.ListObjectVersions(ctx, objects.ListVersionsInput{Tenant: tenant, Bucket: bucket, MaxKeys: 1000})
		if err != nil {
			return removed, err
		}
		for _, v := range page.Versions {
			_, err := s.obj.DeleteObject(ctx, objects.DeleteInput{Tenant: tenant, Bucket: bucket, Key: v.Key, VersionID: v.VersionID})
			if err != nil && errs.KindOf(err) != errs.NoSuchVersion && errs.KindOf(err) != errs.NoSuchKey {
				return removed, err
			}
			removed++
		}
		if len(page.Versions) > 0 {
			p.Update(50, fmt.Sprintf("%d versions removed", removed))
		}
		if !page.IsTruncated {
			break
		}
	}
	for {
		if err := check(); err != nil {
			return removed, err
		}
		page, err := s.obj.ListMultipartUploads(ctx, objects.ListUploadsInput{Tenant: tenant, Bucket: bucket, MaxUploads: 1000})
		if err != nil {
			return removed, err
		}
		for _, u := range page.Uploads {
			err := s.obj.AbortMultipartUpload(ctx, tenant, bucket, u.Key, u.UploadID)
			if err != nil && errs.KindOf(err) != errs.NoSuchUpload {
				return removed, err
			}
		}
		if !page.IsTruncated {
			return removed, nil
		}
	}
}
