package s3api

import (
	"context"
	"net/http"

	"coffer/internal/core"
	"coffer/internal/errs"
)

func (s *server) putBucketACL(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutBucketAcl)
}

func (s *server) putObjectACL(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPutObjectAcl)
}

// anonymous decides an unsigned request: it returns the principal it runs
// as, or the error to answer.
func (s *server) anonymous(ctx context.Context, ri *requestInfo, r *http.Request) (core.Principal, error) {
	return core.Principal{}, errs.New(errs.AccessDenied, "Anonymous access is not allowed")
}
