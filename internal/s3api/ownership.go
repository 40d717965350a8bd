package s3api

import (
	"context"
	"net/http"
)

func (s *server) getBucketOwnershipControls(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetBucketOwnershipControls)
}

func (s *server) putBucketOwnershipControls(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutBucketOwnershipControls)
}

func (s *server) deleteBucketOwnershipControls(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpDeleteBucketOwnershipControls)
}
