package s3api

import (
	"net/http"

	"coffer/internal/core"
	"coffer/internal/sigv2"
)

// isSigV2 reports whether r is signed with AWS Signature Version 2 (an
// "AWS AK:signature" Authorization header or an AWSAccessKeyId query).
func isSigV2(r *http.Request) bool {
	raw := ""
	if r.URL != nil {
		raw = r.URL.RawQuery
	}
	return sigv2.IsSigned(r.Header.Get("Authorization"), raw)
}

// verifySigV2 authenticates a Signature Version 2 request and resolves its
// principal. The body of a SigV2 request is not signed: only Content-MD5,
// when sent, protects it (checked by the body chain).
func (s *server) verifySigV2(r *http.Request) (core.Principal, error) {
	var cred core.Credential
	lookup := func(accessKey string) (string, error) {
		c, err := s.opts.Credentials.Credential(r.Context(), accessKey)
		if err != nil {
			return "", err
		}
		cred = c
		return c.Secret, nil
	}
	bucket, _ := virtualHostBucket(r.Host, s.opts.Domain)
	if _, err := sigv2.Verify(r, bucket, lookup, sigv2.Options{Now: s.opts.Now}); err != nil {
		return core.Principal{}, err
	}
	return cred.Principal, nil
}
