package s3api

import (
	"context"
	"net/http"
)

func (s *server) getPublicAccessBlock(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetPublicAccessBlock)
}

func (s *server) putPublicAccessBlock(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutPublicAccessBlock)
}

func (s *server) deletePublicAccessBlock(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpDeletePublicAccessBlock)
}

func (s *server) getBucketPolicyStatus(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetBucketPolicyStatus)
}
