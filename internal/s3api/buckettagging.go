package s3api

import (
	"context"
	"net/http"
)

func (s *server) getBucketTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetBucketTagging)
}

func (s *server) putBucketTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutBucketTagging)
}

func (s *server) deleteBucketTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpDeleteBucketTagging)
}
