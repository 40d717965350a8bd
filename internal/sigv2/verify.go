package sigv2

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
)

// Options tunes verification. Zero values take the defaults noted.
type Options struct {
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// MaxSkew is the allowed difference between Date (or x-amz-date) and
	// now; default 15 minutes, AWS's tolerance.
	MaxSkew time.Duration
}

// SecretLookup returns the secret key for an access key, or an error of kind
// InvalidAccessKeyID when the key is unknown or disabled.
type SecretLookup func(accessKey string) (secret string, err error)

// Auth is a verified request's identity. A SigV2 request's body is not
// signed (Content-MD5, when sent, is signed and checked against the body by
// the caller).
type Auth struct {
	AccessKey string
	Presigned bool
	// Time is the request time (header form) or the expiry (presigned).
	Time time.Time
}

// Mismatch is the cause of a SignatureDoesNotMatch error: what AWS shows in
// its error document so that a client can see what it should have signed.
type Mismatch struct {
	AccessKey         string
	StringToSign      string
	SignatureProvided string
}

func (m *Mismatch) Error() string {
	return "signature mismatch; string to sign " + strconv.Quote(m.StringToSign)
}

// MsgSignatureMismatch is AWS's message for SignatureDoesNotMatch.
const MsgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method."

const authPrefix = "AWS "

// Query parameters of the presigned form.
const (
	qAccessKey = "AWSAccessKeyId"
	qSignature = "Signature"
	qExpires   = "Expires"
)

// IsSigned reports whether a request with this Authorization header and raw
// query is signed with Signature Version 2.
func IsSigned(authorization, rawQuery string) bool {
	if strings.HasPrefix(strings.TrimSpace(authorization), authPrefix) {
		return true
	}
	if authorization != "" || rawQuery == "" {
		return false
	}
	for _, p := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(p, "=")
		if k == qAccessKey {
			return true
		}
	}
	return false
}

// ParseAuthorization splits "AWS AccessKeyId:Signature".
func ParseAuthorization(v string) (accessKey, signature string, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), authPrefix)
	ak, sig, found := strings.Cut(strings.TrimSpace(rest), ":")
	if !ok || !found || ak == "" || sig == "" || strings.ContainsAny(ak, " \t") {
		return "", "", errs.Field(errs.InvalidArgument, "Authorization",
			"AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
	}
	return ak, strings.TrimSpace(sig), nil
}

// ParseQuery splits a raw query string into parameters, keeping each
// value's wire form.
func ParseQuery(rawQuery string) ([]Param, error) {
	if rawQuery == "" {
		return nil, nil
	}
	parts := strings.Split(rawQuery, "&")
	out := make([]Param, 0, len(parts))
	for _, part := range parts {
		if part == "" {
			continue
		}
		rk, rv, eq := strings.Cut(part, "=")
		k, err := url.QueryUnescape(rk)
		if err != nil {
			return nil, errs.Wrap(errs.InvalidArgument, err, "The query string is not validly encoded")
		}
		v, err := url.QueryUnescape(rv)
		if err != nil {
			return nil, errs.Wrap(errs.InvalidArgument, err, "The query string is not validly encoded")
		}
		out = append(out, Param{Key: k, Value: v, Raw: rv, HasEq: eq})
	}
	return out, nil
}

// Presign is the parsed query-string form.
type Presign struct {
	AccessKey, Signature string
	// Expires is the Expires parameter as sent (it is signed as sent).
	Expires   string
	ExpiresAt time.Time
}

// ParsePresign reads AWSAccessKeyId, Signature and Expires. ok is false when
// none of them is present.
func ParsePresign(query []Param) (p Presign, ok bool, err error) {
	var seen int
	for _, q := range query {
		switch q.Key {
		case qAccessKey:
			p.AccessKey, seen = q.Value, seen|1
		case qSignature:
			// A '+' left unencoded by the client decodes as a space.
			p.Signature, seen = strings.ReplaceAll(q.Value, " ", "+"), seen|2
		case qExpires:
			p.Expires, seen = q.Value, seen|4
		}
	}
	if seen&1 == 0 {
		return p, false, nil
	}
	if seen != 7 || p.AccessKey == "" || p.Signature == "" {
		return p, true, errs.New(errs.AccessDenied,
			"Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	}
	n, perr := strconv.ParseInt(p.Expires, 10, 64)
	if perr != nil || n < 0 {
		return p, true, errs.Field(errs.AccessDenied, qExpires, "Invalid date (should be seconds since epoch): %s", short(p.Expires))
	}
	p.ExpiresAt = time.Unix(n, 0).UTC()
	return p, true, nil
}

// dateLayouts are the forms accepted in Date and x-amz-date: RFC 7231's
// three (http.ParseTime), RFC 1123 with a numeric zone, as AWS's examples
// and s3cmd write it, and ISO 8601 basic.
var dateLayouts = []string{time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "20060102T150405Z"}

// ParseDate reads a Date or x-amz-date value.
func ParseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if t, err := http.ParseTime(v); err == nil {
		return t.UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Request is what a request's signature is computed over.
type Request struct {
	Method string
	Header http.Header
	// Bucket is the bucket named by a virtual-hosted Host, "" for path style.
	Bucket string
	// EscapedPath is the request path exactly as sent.
	EscapedPath string
	Query       []Param
}

// FromHTTP describes r; bucket is the virtual-hosted bucket, if any.
func FromHTTP(r *http.Request, bucket string) (Request, error) {
	path := ""
	if strings.HasPrefix(r.RequestURI, "/") {
		path, _, _ = strings.Cut(r.RequestURI, "?")
	} else if r.URL != nil {
		path = r.URL.EscapedPath()
	}
	raw := ""
	if r.URL != nil {
		raw = r.URL.RawQuery
	}
	q, err := ParseQuery(raw)
	return Request{Method: r.Method, Header: r.Header, Bucket: bucket, EscapedPath: path, Query: q}, err
}

// Verify authenticates r (header or presigned form); bucket is the bucket a
// virtual-hosted Host names ("" for path style). It reads no body.
func Verify(r *http.Request, bucket string, lookup SecretLookup, opts Options) (*Auth, error) {
	req, err := FromHTTP(r, bucket)
	if err != nil {
		return nil, err
	}
	return VerifyRequest(req, lookup, opts)
}

// VerifyRequest is Verify on an already described request.
func VerifyRequest(req Request, lookup SecretLookup, opts Options) (*Auth, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSkew <= 0 {
		opts.MaxSkew = 15 * time.Minute
	}
	if len(req.Header.Values("Authorization")) > 1 {
		return nil, errs.Field(errs.InvalidArgument, "Authorization", "Only one Authorization header is allowed")
	}
	authz := req.Header.Get("Authorization")
	pre, presigned, perr := ParsePresign(req.Query)
	v4Query := false
	for _, q := range req.Query {
		if q.Key == "X-Amz-Algorithm" || q.Key == "X-Amz-Signature" {
			v4Query = true
		}
	}
	if authz != "" && (presigned || v4Query) || presigned && v4Query {
		return nil, errs.New(errs.InvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm "+
			"query parameter, Signature query string parameter or the Authorization header should be specified")
	}
	if err := checkContentMD5(req.Header); err != nil {
		return nil, err
	}
	auth := &Auth{Presigned: presigned}
	var signature string
	var dates []dateForm
	now := opts.Now()
	if presigned {
		if perr != nil {
			return nil, perr
		}
		if now.After(pre.ExpiresAt) {
			return nil, errs.New(errs.AccessDenied, "Request has expired")
		}
		auth.AccessKey, signature, auth.Time = pre.AccessKey, pre.Signature, pre.ExpiresAt
		dates = []dateForm{{date: pre.Expires}}
	} else {
		ak, sig, err := ParseAuthorization(authz)
		if err != nil {
			return nil, err
		}
		auth.AccessKey, signature = ak, sig
		t, forms, err := requestDate(req.Header)
		if err != nil {
			return nil, err
		}
		if d := now.Sub(t); d > opts.MaxSkew || d < -opts.MaxSkew {
			return nil, errs.New(errs.RequestTimeTooSkewed,
				"The difference between the request time and the current time is too large.")
		}
		auth.Time, dates = t, forms
	}
	secret, err := lookup(auth.AccessKey)
	if err != nil {
		return nil, err
	}
	first := ""
	for _, sts := range candidates(req, presigned, dates) {
		if first == "" {
			first = sts
		}
		if signaturesEqual(Sign(secret, sts), signature) {
			return auth, nil
		}
	}
	return nil, errs.Wrap(errs.SignatureDoesNotMatch,
		&Mismatch{AccessKey: auth.AccessKey, StringToSign: first, SignatureProvided: signature}, MsgSignatureMismatch)
}

// dateForm is one way of filling the Date line: its value and the x-amz-*
// header left out of CanonicalizedAmzHeaders.
type dateForm struct{ date, skipHeader string }

// requestDate reads the request time. AWS's prose says that with
// x-amz-date the Date line is empty and x-amz-date is among the amz headers
// (s3cmd and boto sign so); its published DELETE example instead puts the
// x-amz-date value on the Date line and leaves the header out. Both are
// accepted, the prose's first.
func requestDate(h http.Header) (time.Time, []dateForm, error) {
	bad := errs.Field(errs.AccessDenied, "Date", "AWS authentication requires a valid Date or x-amz-date header")
	if v := h.Get("X-Amz-Date"); v != "" {
		t, ok := ParseDate(v)
		if !ok {
			return time.Time{}, nil, bad
		}
		return t, []dateForm{{date: ""}, {date: v, skipHeader: "x-amz-date"}}, nil
	}
	v := h.Get("Date")
	t, ok := ParseDate(v)
	if !ok {
		return time.Time{}, nil, bad
	}
	return t, []dateForm{{date: v}}, nil
}

// candidates lists the strings to sign a correct client may have signed,
// the one AWS's documentation describes first.
func candidates(req Request, presigned bool, dates []dateForm) []string {
	h := req.Header
	contentType, contentMD5 := h.Get("Content-Type"), h.Get("Content-Md5")
	if presigned {
		// botocore's presigner moves the signed x-amz-*, Content-Type and
		// Content-MD5 headers into the query; they count as headers.
		var moved http.Header
		for _, q := range req.Query {
			l := strings.ToLower(q.Key)
			switch {
			case strings.HasPrefix(l, "x-amz-") && len(h.Values(q.Key)) == 0:
				if moved == nil {
					moved = h.Clone()
				}
				moved.Add(q.Key, q.Value)
			case l == "content-type" && contentType == "":
				contentType = q.Value
			case l == "content-md5" && contentMD5 == "":
				contentMD5 = q.Value
			}
		}
		if moved != nil {
			h = moved
		}
	}
	resources := []ResourceOptions{{}}
	later, encoded, emptyEq := false, false, false
	for _, q := range req.Query {
		if laterSubresources[q.Key] {
			later = true
		}
		if IsSubresource(q.Key) && q.Raw != q.Value {
			encoded = true
		}
		if IsSubresource(q.Key) && q.HasEq && q.Value == "" {
			emptyEq = true
		}
	}
	if later {
		resources = append(resources, ResourceOptions{DocOnly: true})
	}
	if encoded {
		for _, o := range resources {
			o.RawValues = true
			resources = append(resources, o)
		}
	}
	if emptyEq {
		for _, o := range resources {
			o.NoEmptyEq = true
			resources = append(resources, o)
		}
	}
	// A path-style bucket request's resource is "/bucket/" (what a
	// virtual-hosted one gives, and what botocore signs for "/bucket").
	paths := []string{req.EscapedPath}
	if p := req.EscapedPath; req.Bucket == "" && len(p) > 1 && strings.LastIndexByte(p, '/') == 0 {
		paths = []string{p + "/", p}
	}
	var out []string
	for _, d := range dates {
		amz := CanonicalAmzHeaders(h, d.skipHeader)
		for _, p := range paths {
			for _, o := range resources {
				res := CanonicalResource(req.Bucket, p, req.Query, o)
				out = append(out, StringToSign(req.Method, contentMD5, contentType, d.date, amz, res))
			}
		}
	}
	return out
}

// checkContentMD5 refuses a Content-MD5 that is not the base64 of 16 bytes:
// it is signed, and the caller checks it against the body.
func checkContentMD5(h http.Header) error {
	vs, ok := h["Content-Md5"]
	if !ok {
		return nil
	}
	if len(vs) != 1 {
		return errs.Field(errs.InvalidDigest, "Content-MD5", "The Content-MD5 you specified was invalid.")
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vs[0]))
	if err != nil || len(b) != 16 {
		return errs.Field(errs.InvalidDigest, "Content-MD5", "The Content-MD5 you specified was invalid.")
	}
	return nil
}

// signaturesEqual compares in constant time.
func signaturesEqual(computed, provided string) bool {
	return subtle.ConstantTimeCompare([]byte(computed), []byte(provided)) == 1
}

func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
