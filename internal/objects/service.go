// Package objects implements S3 object semantics once, above storage:
// buckets, versions and delete markers, the null version, conditional
// writes, listings, multipart uploads and quotas. It stores metadata in kv
// and object data in blob (or inline in the metadata record when small).
package objects

import (
	"context"

	"coffer/internal/errs"
)

func notYet(what string) error {
	return errs.New(errs.NotImplemented, "%s is not implemented yet", what)
}

// Service is the object layer. It is safe for concurrent use.
type Service struct{}

func (s *Service) CreateBucket(ctx context.Context, in CreateBucketInput) (BucketInfo, error) {
	return BucketInfo{}, notYet("CreateBucket")
}
func (s *Service) GetBucket(ctx context.Context, tenant, name string) (BucketInfo, error) {
	return BucketInfo{}, notYet("GetBucket")
}
func (s *Service) DeleteBucket(ctx context.Context, tenant, name string) error {
	return notYet("DeleteBucket")
}
func (s *Service) ListBuckets(ctx context.Context, in ListBucketsInput) (ListBucketsOutput, error) {
	return ListBucketsOutput{}, notYet("ListBuckets")
}
func (s *Service) SetVersioning(ctx context.Context, tenant, name string, state VersioningState) error {
	return notYet("SetVersioning")
}
func (s *Service) PutObject(ctx context.Context, in PutInput) (ObjectInfo, error) {
	return ObjectInfo{}, notYet("PutObject")
}
func (s *Service) GetObject(ctx context.Context, in GetInput) (*GetOutput, error) {
	return nil, notYet("GetObject")
}

// HeadObject is GetObject without a body.
func (s *Service) HeadObject(ctx context.Context, in GetInput) (*GetOutput, error) {
	return nil, notYet("HeadObject")
}
func (s *Service) DeleteObject(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return DeleteOutput{}, notYet("DeleteObject")
}
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (CopyOutput, error) {
	return CopyOutput{}, notYet("CopyObject")
}
func (s *Service) ListObjects(ctx context.Context, in ListInput) (ListOutput, error) {
	return ListOutput{}, notYet("ListObjects")
}
func (s *Service) ListObjectVersions(ctx context.Context, in ListVersionsInput) (ListVersionsOutput, error) {
	return ListVersionsOutput{}, notYet("ListObjectVersions")
}

// PutObjectTagging replaces the tags of a version ("" = latest) and returns its version id.
func (s *Service) PutObjectTagging(ctx context.Context, tenant, bucket, key, versionID string, tags []Tag) (string, error) {
	return "", notYet("PutObjectTagging")
}

// GetObjectTagging returns the tags of a version and its version id.
func (s *Service) GetObjectTagging(ctx context.Context, tenant, bucket, key, versionID string) ([]Tag, string, error) {
	return nil, "", notYet("GetObjectTagging")
}
func (s *Service) CreateMultipartUpload(ctx context.Context, in CreateUploadInput) (UploadInfo, error) {
	return UploadInfo{}, notYet("CreateMultipartUpload")
}
func (s *Service) UploadPart(ctx context.Context, in UploadPartInput) (PartInfo, error) {
	return PartInfo{}, notYet("UploadPart")
}

// UploadPartCopy returns the new part and the source version read.
func (s *Service) UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (PartInfo, string, error) {
	return PartInfo{}, "", notYet("UploadPartCopy")
}
func (s *Service) CompleteMultipartUpload(ctx context.Context, in CompleteInput) (ObjectInfo, error) {
	return ObjectInfo{}, notYet("CompleteMultipartUpload")
}
func (s *Service) AbortMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string) error {
	return notYet("AbortMultipartUpload")
}
func (s *Service) ListParts(ctx context.Context, in ListPartsInput) (ListPartsOutput, error) {
	return ListPartsOutput{}, notYet("ListParts")
}
func (s *Service) ListMultipartUploads(ctx context.Context, in ListUploadsInput) (ListUploadsOutput, error) {
	return ListUploadsOutput{}, notYet("ListMultipartUploads")
}
