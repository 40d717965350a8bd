package s3api

import (
	"context"
	"net/http"

	"coffer/internal/errs"
	"coffer/internal/lifecycle"
	"coffer/internal/objects"
)

// Lifecycle: Put/Get/DeleteBucketLifecycleConfiguration store the bucket's
// rules (package lifecycle parses and validates them) under
// objects.ConfigLifecycle, where the core's lifecycle job reads them; GET,
// HEAD and PUT of an object answer x-amz-expiration when a rule will expire
// it. https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html

const minSizeHeader = "X-Amz-Transition-Default-Minimum-Object-Size"

func (s *server) putBucketLifecycle(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := requireIntegrity(r); err != nil {
		return nil, err
	}
	data, err := s.readXMLBody(ri, r, lifecycle.MaxSize)
	if err != nil {
		return nil, err
	}
	c, err := lifecycle.Parse(data, r.Header.Get(minSizeHeader))
	if err != nil {
		return nil, err
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigLifecycle, c.Encode()); err != nil {
		return nil, err
	}
	s.views.invalidate(ri.Tenant(), ri.Op.Bucket)
	resp := &response{}
	resp.setHeader(minSizeHeader, c.MinSize)
	return resp, nil
}

func (s *server) getBucketLifecycle(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	data := b.Configs[objects.ConfigLifecycle]
	if data == nil {
		return nil, errs.New(errs.NoSuchLifecycleConfiguration, "The lifecycle configuration does not exist")
	}
	c, err := lifecycle.Decode(data)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "bucket %s", ri.Op.Bucket)
	}
	resp := rawXMLResponse(c.Marshal())
	minSize := c.MinSize
	if minSize == "" {
		minSize = lifecycle.MinSizeAll128K
	}
	resp.setHeader(minSizeHeader, minSize)
	return resp, nil
}

func (s *server) deleteBucketLifecycle(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigLifecycle, nil); err != nil {
		return nil, err
	}
	s.views.invalidate(ri.Tenant(), ri.Op.Bucket)
	return &response{Status: http.StatusNoContent}, nil
}

// setExpiration adds x-amz-expiration for a current version that an
// Expiration rule (Days or Date) of the bucket applies to. The rules come
// from the cached bucket view: no store read on a warm cache.
func (s *server) setExpiration(ctx context.Context, ri *requestInfo, resp *response, info objects.ObjectInfo) {
	if info.DeleteMarker || ri.Op.VersionID != "" && !info.IsLatest {
		return
	}
	v, err := s.views.view(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil || v.lifecycle == nil {
		return
	}
	o := lifecycle.Object{Key: ri.Op.Key, Size: info.Size}
	for _, t := range info.Tags {
		o.Tags = append(o.Tags, lifecycle.Tag{Key: t.Key, Value: t.Value})
	}
	if e, ok := v.lifecycle.CurrentExpiry(o, info.LastModified, s.opts.Day); ok {
		resp.setHeader("X-Amz-Expiration", lifecycle.ExpirationHeader(e))
	}
}
