package s3api

import (
	"net/http"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// isSigV2 reports whether r is signed with AWS Signature Version 2 (an
// "AWS AK:signature" Authorization header or an AWSAccessKeyId query).
func isSigV2(r *http.Request) bool { return false }

// verifySigV2 authenticates a Signature Version 2 request.
func (s *server) verifySigV2(r *http.Request) (core.Principal, error) {
	return core.Principal{}, errs.New(errs.NotImplemented, "Signature Version 2 is not implemented")
}
