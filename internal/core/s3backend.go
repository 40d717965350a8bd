package core

import (
	"context"

	"coffer/internal/objects"
	"coffer/internal/policy"
)

// S3Backend is the object layer as the S3 adapter must see it: every call
// goes to objects.Service, except the bucket changes the core has to know
// about (creation and deletion move the bucket-policy cache generation) and
// the bucket-policy operations, which are the core's. It satisfies
// s3api.Backend and s3api.BucketPolicies.
type S3Backend struct {
	*objects.Service
	core *Service
}

// S3Backend returns the backend to hand to the S3 adapter.
func (s *Service) S3Backend() *S3Backend { return &S3Backend{Service: s.obj, core: s} }

// CreateBucket creates a bucket from S3 (CreateBucket).
func (b *S3Backend) CreateBucket(ctx context.Context, in objects.CreateBucketInput) (objects.BucketInfo, error) {
	info, err := b.Service.CreateBucket(ctx, in)
	b.core.bucketChanged()
	return info, err
}

// DeleteBucket deletes a bucket from S3 (DeleteBucket).
func (b *S3Backend) DeleteBucket(ctx context.Context, tenant, name string) error {
	err := b.Service.DeleteBucket(ctx, tenant, name)
	b.core.bucketChanged()
	return err
}

// PutBucketPolicy replaces a bucket's policy (S3 PutBucketPolicy); see
// Service.SetBucketPolicy for the rules.
func (b *S3Backend) PutBucketPolicy(ctx context.Context, tenant, bucket string, doc policy.Document) error {
	return b.core.SetBucketPolicy(ctx, tenant, bucket, doc)
}

// GetBucketPolicy returns a bucket's policy (S3 GetBucketPolicy).
func (b *S3Backend) GetBucketPolicy(ctx context.Context, tenant, bucket string) (policy.Document, error) {
	return b.core.GetBucketPolicy(ctx, tenant, bucket)
}

// DeleteBucketPolicy deletes a bucket's policy (S3 DeleteBucketPolicy).
func (b *S3Backend) DeleteBucketPolicy(ctx context.Context, tenant, bucket string) error {
	return b.core.DeleteBucketPolicy(ctx, tenant, bucket)
}

// BucketGeneration is the bucket cache generation: it moves whenever a
// bucket is created or deleted or its policy or configuration changes, so
// the S3 adapter can cache bucket configurations under it.
func (b *S3Backend) BucketGeneration() uint64 { return b.core.bucketGen.Load() }

// PutBucketConfig sets or removes a bucket sub-resource configuration from S3
// (CORS, tagging, ACL, ownership, public access block, encryption, logging).
// Some of them decide access, so the bucket cache generation moves.
func (b *S3Backend) PutBucketConfig(ctx context.Context, tenant, bucket, name string, value []byte) error {
	err := b.Service.PutBucketConfig(ctx, tenant, bucket, name, value)
	b.core.bucketChanged()
	return err
}
