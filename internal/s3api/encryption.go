package s3api

import (
	"context"
	"net/http"
)

func (s *server) getBucketEncryption(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetBucketEncryption)
}

func (s *server) putBucketEncryption(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutBucketEncryption)
}

func (s *server) deleteBucketEncryption(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpDeleteBucketEncryption)
}
