package s3api

import (
	"context"
	"net/http"
)

func (s *server) getBucketLogging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpGetBucketLogging)
}

func (s *server) putBucketLogging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutBucketLogging)
}

// accessLog records the request for the bucket's server access logging,
// when the bucket has it on.
func (s *server) accessLog(r *http.Request, ri *requestInfo, w *statusWriter, err error) {}
