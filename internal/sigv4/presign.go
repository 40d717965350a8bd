package sigv4

import (
	"strconv"
	"time"

	"coffer/internal/errs"
)

// The presigned-URL query parameters. Matched case-sensitively, as S3 does.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qContentSHA256 = "X-Amz-Content-Sha256"
)

// maxExpiresAWS is AWS's own cap on X-Amz-Expires: seven days.
const maxExpiresAWS = 7 * 24 * time.Hour

// presignFields is the query-string form of a signature.
type presignFields struct {
	authFields
	amzDate string
	date    time.Time
	expires time.Duration
	payload string // X-Amz-Content-Sha256, "" when absent
}

// AWS answers all of these with AuthorizationQueryParametersError (400);
// InvalidArgument is our nearest kind.
func badPresign(field, format string, args ...any) *errs.Error {
	return errs.Field(errs.InvalidArgument, field, format, args...)
}

// isPresigned reports whether the query tries to carry a signature. Any one
// of these parameters counts, so a half-built URL gets a clear "missing
// parameters" error instead of silently being treated as anonymous.
func isPresigned(pairs []queryPair) bool {
	for _, p := range pairs {
		switch p.key {
		case qSignature, qAlgorithm, qCredential:
			return true
		}
	}
	return false
}

// parsePresigned extracts and validates the X-Amz-* parameters. It checks
// shape and limits only; time and signature are the caller's.
func parsePresigned(pairs []queryPair, maxExpiry time.Duration) (presignFields, error) {
	var f presignFields
	var alg, cred, date, exp, sh, sig string
	var seen [7]bool
	targets := [...]struct {
		name string
		dst  *string
	}{{qAlgorithm, &alg}, {qCredential, &cred}, {qDate, &date}, {qExpires, &exp},
		{qSignedHeaders, &sh}, {qSignature, &sig}, {qContentSHA256, &f.payload}}
	for _, p := range pairs {
		for i, t := range targets {
			if p.key != t.name {
				continue
			}
			if seen[i] {
				// Two values for one parameter: which one a signer meant is
				// unknowable, and accepting either invites smuggling.
				return f, badPresign(t.name, "Query parameter %s is given more than once.", t.name)
			}
			seen[i] = true
			*t.dst = p.value
		}
	}
	for i := 0; i < 6; i++ {
		if !seen[i] {
			return f, badPresign(targets[i].name, "Query-string authentication version 4 requires the "+
				"X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "+
				"and X-Amz-Expires parameters.")
		}
	}
	if alg != algorithm {
		return f, badPresign(qAlgorithm, `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	c, err := parseCredential(cred)
	if err != nil {
		return f, badPresign(qCredential, "Error parsing the X-Amz-Credential parameter; "+msgMalformedCred)
	}
	t, err := time.Parse(amzDateLayout, date)
	if err != nil {
		return f, badPresign(qDate, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return f, badPresign(qExpires, "X-Amz-Expires should be a number")
	}
	if secs < 1 {
		return f, badPresign(qExpires, "X-Amz-Expires must be at least 1 second")
	}
	if limit := int64(maxExpiry / time.Second); secs > limit {
		if maxExpiry == maxExpiresAWS {
			return f, badPresign(qExpires, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		return f, badPresign(qExpires, "X-Amz-Expires must be at most %d seconds", limit)
	}
	signed, err := parseSignedHeaders(sh)
	if err != nil {
		return f, badPresign(qSignedHeaders, "X-Amz-SignedHeaders is mal-formed")
	}
	f.authFields = authFields{cred: c, signedHeaders: signed, signature: sig}
	f.amzDate, f.date, f.expires = date, t, time.Duration(secs)*time.Second
	return f, nil
}
