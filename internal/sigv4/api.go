// Package sigv4 verifies AWS Signature Version 4 requests for S3: the
// Authorization header form, presigned (query) URLs, and the payload modes
// that follow from x-amz-content-sha256 (a hex SHA-256, UNSIGNED-PAYLOAD,
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER and
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
//
// The functions mirror the spec step by step:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
// Errors are *errs.Error of kinds AccessDenied, InvalidAccessKeyID,
// SignatureDoesNotMatch, RequestTimeTooSkewed, SignatureExpired,
// ContentSHA256Mismatch, InvalidArgument, InvalidRequest, IncompleteBody.
package sigv4

import (
	"io"
	"net/http"
	"time"
)

// PayloadMode is how the request body is protected, from x-amz-content-sha256.
type PayloadMode int

const (
	PayloadSigned                   PayloadMode = iota // hex SHA-256 of the whole body
	PayloadUnsigned                                    // UNSIGNED-PAYLOAD (and presigned URLs)
	PayloadStreamingSigned                             // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	PayloadStreamingUnsignedTrailer                    // STREAMING-UNSIGNED-PAYLOAD-TRAILER
	PayloadStreamingSignedTrailer                      // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
)

// Options tunes verification. Zero values take the defaults noted.
type Options struct {
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// MaxSkew is the allowed clock difference; default 15 minutes.
	MaxSkew time.Duration
	// MaxPresignExpiry caps X-Amz-Expires; default 7 days (AWS's limit).
	MaxPresignExpiry time.Duration
	// Keys, when set, caches signing keys across requests (KeyCache); nil
	// derives the key on every request.
	Keys *KeyCache
}

// SecretLookup returns the secret key for an access key, or an error of kind
// InvalidAccessKeyID when the key is unknown or disabled.
type SecretLookup func(accessKey string) (secret string, err error)

// Auth is a verified request's identity and what is needed to check its body.
type Auth struct {
	AccessKey string
	Region    string
	Service   string
	Date      time.Time // X-Amz-Date
	Presigned bool
	Mode      PayloadMode
	// PayloadHash is the hex SHA-256 from x-amz-content-sha256 when Mode is PayloadSigned.
	PayloadHash string
	// DecodedLength is x-amz-decoded-content-length for streaming modes, else -1.
	DecodedLength int64

	signingKey    [32]byte
	seedSignature string
	scope         string
	amzDate       string // X-Amz-Date as sent (ISO 8601 basic), for chunk signatures
}

// Verify authenticates r (header or presigned form). It reads no body.
// A request with neither form returns an error of kind AccessDenied
// ("anonymous"), which callers may treat as an anonymous request.
func Verify(r *http.Request, lookup SecretLookup, opts Options) (*Auth, error) {
	return verify(r, lookup, opts)
}

// Body wraps the raw request body so that reading it yields the object's
// bytes: it decodes aws-chunked framing, checks every chunk signature, and
// checks the payload SHA-256 at EOF in PayloadSigned mode. A failed check is
// returned by Read (at the failing chunk, or at EOF) and nothing after it is
// delivered. Trailer headers (x-amz-checksum-*), available once Read has
// returned io.EOF, are read with Trailer.
func (a *Auth) Body(raw io.Reader) *BodyReader {
	return newBodyReader(a, raw)
}

// IsAnonymous reports whether err from Verify means the request carried no signature at all.
func IsAnonymous(err error) bool { return isAnonymous(err) }
