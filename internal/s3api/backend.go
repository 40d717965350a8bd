package s3api

import (
	"context"

	"coffer/internal/objects"
)

// Backend is the part of the object layer the S3 adapter calls. It is
// satisfied by *objects.Service; tests use an in-memory fake.
type Backend interface {
	CreateBucket(ctx context.Context, in objects.CreateBucketInput) (objects.BucketInfo, error)
	GetBucket(ctx context.Context, tenant, name string) (objects.BucketInfo, error)
	DeleteBucket(ctx context.Context, tenant, name string) error
	ListBuckets(ctx context.Context, in objects.ListBucketsInput) (objects.ListBucketsOutput, error)
	SetVersioning(ctx context.Context, tenant, name string, state objects.VersioningState) error
	// PutBucketConfig sets (value != nil) or removes (nil) a bucket
	// sub-resource configuration; GetBucket returns them in Configs.
	PutBucketConfig(ctx context.Context, tenant, bucket, name string, value []byte) error

	PutObject(ctx context.Context, in objects.PutInput) (objects.ObjectInfo, error)
	GetObject(ctx context.Context, in objects.GetInput) (*objects.GetOutput, error)
	HeadObject(ctx context.Context, in objects.GetInput) (*objects.GetOutput, error)
	DeleteObject(ctx context.Context, in objects.DeleteInput) (objects.DeleteOutput, error)
	// DeleteObjects deletes many keys of one bucket, each outcome in ins's
	// order (DeleteObjects of S3).
	DeleteObjects(ctx context.Context, tenant, bucket string, ins []objects.DeleteInput) []objects.DeleteResult
	CopyObject(ctx context.Context, in objects.CopyInput) (objects.CopyOutput, error)
	ListObjects(ctx context.Context, in objects.ListInput) (objects.ListOutput, error)
	ListObjectVersions(ctx context.Context, in objects.ListVersionsInput) (objects.ListVersionsOutput, error)
	PutObjectTagging(ctx context.Context, tenant, bucket, key, versionID string, tags []objects.Tag) (string, error)
	GetObjectTagging(ctx context.Context, tenant, bucket, key, versionID string) ([]objects.Tag, string, error)
	// GetObjectACL and PutObjectACL read and replace a version's ACL
	// (encoded by package acl) and owner.
	GetObjectACL(ctx context.Context, tenant, bucket, key, versionID string) (objects.ObjectACL, error)
	PutObjectACL(ctx context.Context, tenant, bucket, key, versionID string, acl []byte, owner string) (string, error)

	CreateMultipartUpload(ctx context.Context, in objects.CreateUploadInput) (objects.UploadInfo, error)
	UploadPart(ctx context.Context, in objects.UploadPartInput) (objects.PartInfo, error)
	UploadPartCopy(ctx context.Context, in objects.UploadPartCopyInput) (objects.PartInfo, string, error)
	CompleteMultipartUpload(ctx context.Context, in objects.CompleteInput) (objects.ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string) error
	ListParts(ctx context.Context, in objects.ListPartsInput) (objects.ListPartsOutput, error)
	ListMultipartUploads(ctx context.Context, in objects.ListUploadsInput) (objects.ListUploadsOutput, error)
}

var _ Backend = (*objects.Service)(nil)
