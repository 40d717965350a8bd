package s3api

import (
	"context"
	"net/http"
)

func (s *server) getBucketCors(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetBucketCors)
}

func (s *server) putBucketCors(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutBucketCors)
}

func (s *server) deleteBucketCors(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpDeleteBucketCors)
}

func (s *server) preflight(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPreflight)
}

// corsHeaders adds the CORS response headers for a request with an Origin
// that the bucket's CORS configuration allows.
func (s *server) corsHeaders(ctx context.Context, h http.Header, r *http.Request, ri *requestInfo) {}
