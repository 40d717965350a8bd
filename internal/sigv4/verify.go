package sigv4

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
)

// Defaults for Options' zero values.
const (
	defaultMaxSkew = 15 * time.Minute // AWS's tolerance
)

// Payload declarations in x-amz-content-sha256.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
)

const msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method."

// errNoSignature marks the "anonymous" AccessDenied. It is a private cause
// rather than a Kind because errs.Error.Is matches any error of the same
// Kind, and every other AccessDenied must not look anonymous.
var errNoSignature = errors.New("the request carries no AWS signature")

func isAnonymous(err error) bool { return errors.Is(err, errNoSignature) }

func anonymous() error {
	return errs.Wrap(errs.AccessDenied, errNoSignature, "Access Denied")
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = defaultMaxSkew
	}
	if o.MaxPresignExpiry <= 0 {
		o.MaxPresignExpiry = maxExpiresAWS
	}
	return o
}

// verify picks the signature form and checks it. Cheap, stateless checks
// (shape, scope, time) run before the secret lookup so that garbage never
// reaches the key store.
func verify(r *http.Request, lookup SecretLookup, opts Options) (*Auth, error) {
	opts = opts.withDefaults()
	if len(r.Header.Values("Authorization")) > 1 {
		// Which one counts would be up to each proxy on the way; refuse.
		return nil, errs.Field(errs.InvalidArgument, "Authorization", "Only one Authorization header is allowed")
	}
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	rawQuery := ""
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	pairs, qerr := parseQuery(rawQuery)
	if qerr != nil {
		if authz == "" && !strings.Contains(rawQuery, "X-Amz-") {
			return nil, anonymous()
		}
		return nil, errs.Wrap(errs.InvalidArgument, qerr, "The query string is not validly encoded")
	}
	presigned := isPresigned(pairs)
	switch {
	case authz != "" && presigned:
		return nil, errs.New(errs.InvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm "+
			"query parameter, Signature query string parameter or the Authorization header should be specified")
	case authz != "":
		return verifyHeader(r, pairs, authz, lookup, opts)
	case presigned:
		return verifyPresigned(r, pairs, lookup, opts)
	}
	return nil, anonymous()
}

// verifyHeader checks the Authorization-header form.
func verifyHeader(r *http.Request, pairs []queryPair, authz string, lookup SecretLookup, opts Options) (*Auth, error) {
	f, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	amzDate, t, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if err := checkScope(f, amzDate, malformedAuth); err != nil {
		return nil, err
	}
	if d := opts.Now().Sub(t); d > opts.MaxSkew || d < -opts.MaxSkew {
		return nil, errs.New(errs.RequestTimeTooSkewed,
			"The difference between the request time and the current time is too large.")
	}
	// S3, unlike other services, requires the payload declaration: it picks
	// how the body is checked, so it cannot be left to a default.
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return nil, errs.Field(errs.InvalidRequest, "x-amz-content-sha256",
			"Missing required header for this request: x-amz-content-sha256")
	}
	return finish(r, pairs, "", f, amzDate, t, payload, false, lookup, opts.Keys)
}

// verifyPresigned checks the query-string form (presigned URL).
func verifyPresigned(r *http.Request, pairs []queryPair, lookup SecretLookup, opts Options) (*Auth, error) {
	f, err := parsePresigned(pairs, opts.MaxPresignExpiry)
	if err != nil {
		return nil, err
	}
	if err := checkScope(f.authFields, f.amzDate, func(d string) *errs.Error {
		return badPresign(qCredential, "Error parsing the X-Amz-Credential parameter; %s", d)
	}); err != nil {
		return nil, err
	}
	now := opts.Now()
	if f.date.Sub(now) > opts.MaxSkew {
		return nil, errs.New(errs.AccessDenied, "Request is not valid yet")
	}
	if now.After(f.date.Add(f.expires)) {
		return nil, errs.New(errs.AccessDenied, "Request has expired")
	}
	// Whoever holds a URL can add headers; unsigned x-amz-* ones could change
	// what the request does (ACLs, copy sources, tags), so AWS refuses them.
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") && l != "x-amz-content-sha256" && !hasName(f.signedHeaders, l) {
			return nil, errs.Field(errs.AccessDenied, name,
				"There were headers present in the request which were not signed: %s", quoteShort(l))
		}
	}
	// A presigned URL cannot know its body in advance, so the payload is
	// unsigned unless the signer pinned a hash in the query or a signed header.
	payload := f.payload
	if payload == "" && hasName(f.signedHeaders, "x-amz-content-sha256") {
		payload = r.Header.Get("X-Amz-Content-Sha256")
	}
	if payload == "" {
		payload = unsignedPayload
	}
	return finish(r, pairs, qSignature, f.authFields, f.amzDate, f.date, payload, true, lookup, opts.Keys)
}

// checkScope enforces what the credential scope must agree with: the day of
// the request time, the service, the terminator (parsed already) and the
// presence of "host" among the signed headers, without which a signature
// could be replayed against another endpoint.
func checkScope(f authFields, amzDate string, bad func(string) *errs.Error) error {
	if f.cred.date != amzDate[:8] {
		return bad("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	if f.cred.service != serviceS3 {
		return bad("incorrect service " + quoteShort(f.cred.service) + `. This endpoint belongs to "s3".`)
	}
	if !hasName(f.signedHeaders, "host") {
		return bad("SignedHeaders must include host.")
	}
	return nil
}

// requestTime reads X-Amz-Date, falling back to Date as the spec allows, and
// returns it also in the basic ISO 8601 form the string to sign uses.
func requestTime(r *http.Request) (string, time.Time, error) {
	// Built only on failure: errs.Field formats its message.
	bad := func() error {
		return errs.Field(errs.AccessDenied, "X-Amz-Date", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, ok := parseAmzDate(v)
		if !ok {
			return "", time.Time{}, bad()
		}
		return v, t, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return "", time.Time{}, bad()
		}
		t = t.UTC()
		return t.Format(amzDateLayout), t, nil
	}
	return "", time.Time{}, bad()
}

// parseAmzDate is time.Parse(amzDateLayout, v) for every request's
// X-Amz-Date, without the general layout interpreter
// (FuzzParseAmzDate compares the two).
func parseAmzDate(v string) (time.Time, bool) {
	if len(v) != len(amzDateLayout) || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	year, month, day := num(v[0:4]), num(v[4:6]), num(v[6:8])
	hour, minute, sec := num(v[9:11]), num(v[11:13]), num(v[13:15])
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // past the month's end: time.Date moved it on
		return time.Time{}, false
	}
	return t, true
}

// finish classifies the payload, fetches the secret, recomputes the
// signature and compares it in constant time.
func finish(r *http.Request, pairs []queryPair, skip string, f authFields, amzDate string, t time.Time,
	payload string, presigned bool, lookup SecretLookup, keys *KeyCache) (*Auth, error) {
	mode, hash, err := parsePayload(payload)
	if err != nil {
		return nil, err
	}
	decoded := int64(-1)
	if mode >= PayloadStreamingSigned {
		if decoded, err = decodedLength(r); err != nil {
			return nil, err
		}
	}
	secret, err := lookup(f.cred.accessKey)
	if err != nil {
		return nil, err
	}
	// The lookup runs first, on every request: a revoked key fails there,
	// whatever the cache holds.
	key := keys.signingKey(f.cred.accessKey, secret, f.cred.date, f.cred.region, f.cred.service)
	scope := credentialScope(f.cred.date, f.cred.region, f.cred.service)
	creq := canonicalRequest(r, pairs, skip, f.signedHeaders, payload, false)
	sig := signatureHex(key[:], stringToSign(amzDate, scope, creq))
	if !signaturesEqual(sig, f.signature) {
		// Some clients (aws-sdk-go-v2 for the bucket segment) sign the path
		// exactly as they send it, leaving characters such as '*' or '!'
		// unencoded. Both forms name the same resource, so accept either.
		raw := canonicalRequest(r, pairs, skip, f.signedHeaders, payload, true)
		if raw == creq {
			return nil, errs.New(errs.SignatureDoesNotMatch, msgSignatureMismatch)
		}
		sig = signatureHex(key[:], stringToSign(amzDate, scope, raw))
		if !signaturesEqual(sig, f.signature) {
			return nil, errs.New(errs.SignatureDoesNotMatch, msgSignatureMismatch)
		}
	}
	return &Auth{
		AccessKey:     f.cred.accessKey,
		Region:        f.cred.region,
		Service:       f.cred.service,
		Date:          t,
		Presigned:     presigned,
		Mode:          mode,
		PayloadHash:   hash,
		DecodedLength: decoded,
		signingKey:    key,
		seedSignature: sig,
		scope:         scope,
		amzDate:       amzDate,
	}, nil
}

// parsePayload maps x-amz-content-sha256 to a PayloadMode. SigV4a streaming
// (STREAMING-AWS4-ECDSA-P256-SHA256-*) is refused with the rest: we cannot
// verify its chunk signatures.
func parsePayload(v string) (PayloadMode, string, error) {
	switch v {
	case unsignedPayload:
		return PayloadUnsigned, "", nil
	case streamingSigned:
		return PayloadStreamingSigned, "", nil
	case streamingUnsignedTrailer:
		return PayloadStreamingUnsignedTrailer, "", nil
	case streamingSignedTrailer:
		return PayloadStreamingSignedTrailer, "", nil
	}
	if isHex64(v) {
		return PayloadSigned, strings.ToLower(v), nil
	}
	return 0, "", errs.Field(errs.InvalidArgument, "x-amz-content-sha256",
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value")
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// decodedLength reads x-amz-decoded-content-length, the object size inside
// the aws-chunked framing; -1 when absent (the caller decides whether an
// unknown size is acceptable).
func decodedLength(r *http.Request) (int64, error) {
	v := r.Header.Get("X-Amz-Decoded-Content-Length")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Field(errs.InvalidArgument, "x-amz-decoded-content-length",
			"x-amz-decoded-content-length must be a non-negative integer")
	}
	return n, nil
}
