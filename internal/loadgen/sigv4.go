package loadgen

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// EmptySHA256 is the hex SHA-256 of an empty payload, sent as
// x-amz-content-sha256 on requests without a body.
const EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

const (
	sigAlgorithm   = "AWS4-HMAC-SHA256"
	chunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD"
	amzDateFmt     = "20060102T150405Z"
)

// Signer signs S3 requests with AWS Signature Version 4, header form
// (Authorization header), as described in
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
//
// It signs host, every x-amz-* header, and range, content-type, content-md5
// and date when present. The derived signing key is cached per day, so a
// request costs two SHA-256 passes over short strings plus one HMAC.
// A Signer is safe for concurrent use.
type Signer struct {
	AccessKey string
	SecretKey string
	// Region defaults to us-east-1, Service to s3.
	Region  string
	Service string

	key atomic.Pointer[signingKey]
}

type signingKey struct {
	date string // yyyymmdd
	key  []byte
}

func (s *Signer) region() string {
	if s.Region == "" {
		return "us-east-1"
	}
	return s.Region
}

func (s *Signer) service() string {
	if s.Service == "" {
		return "s3"
	}
	return s.Service
}

// Sign sets X-Amz-Date, X-Amz-Content-Sha256 and Authorization on req and
// returns the signature (the seed of an aws-chunked body's chunk signatures).
// payloadHash is the hex SHA-256 of the body (EmptySHA256 for none) or one of
// the payload modes' keywords (UNSIGNED-PAYLOAD, STREAMING-...).
func (s *Signer) Sign(req *http.Request, payloadHash string, now time.Time) string {
	amzDate := now.UTC().Format(amzDateFmt)
	req.Header["X-Amz-Date"] = []string{amzDate}
	req.Header["X-Amz-Content-Sha256"] = []string{payloadHash}

	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	hdrs := make([]header, 0, 6)
	hdrs = append(hdrs, header{"host", host})
	for name, vals := range req.Header {
		lname := strings.ToLower(name)
		// content-encoding and content-length are signed when set in the
		// header map, as minio-go and the SigV4 streaming examples do for
		// aws-chunked bodies (net/http sends Content-Length from
		// req.ContentLength and never copies the map's entry).
		if strings.HasPrefix(lname, "x-amz-") || lname == "range" || lname == "content-type" ||
			lname == "content-md5" || lname == "date" || lname == "content-encoding" || lname == "content-length" {
			hdrs = append(hdrs, header{lname, strings.Join(vals, ",")})
		}
	}
	sig, signed := s.signature(req.Method, CanonicalURI(req.URL.Path), CanonicalQuery(req.URL.RawQuery), hdrs, payloadHash, amzDate)
	req.Header["Authorization"] = []string{s.authorization(amzDate, signed, sig)}
	return sig
}

// ChunkSignature signs one chunk of an aws-chunked body
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): the string to sign chains on the
// previous signature (the request's own for the first chunk), so chunks can
// be neither dropped nor reordered. chunkSHA is the SHA-256 of the chunk's
// data (of nothing for the final, empty chunk). See
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
func (s *Signer) ChunkSignature(amzDate, prev string, chunkSHA *[sha256.Size]byte) string {
	b := make([]byte, 0, 256)
	b = append(b, chunkAlgorithm...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, s.scope(amzDate[:8])...)
	b = append(b, '\n')
	b = append(b, prev...)
	b = append(b, '\n')
	b = append(b, EmptySHA256...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, chunkSHA[:])
	mac := hmac.New(sha256.New, s.signingKey(amzDate[:8]))
	mac.Write(b)
	var out [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(out[:0]))
}

func (s *Signer) authorization(amzDate, signedHeaders, sig string) string {
	var b strings.Builder
	b.Grow(200)
	b.WriteString(sigAlgorithm)
	b.WriteString(" Credential=")
	b.WriteString(s.AccessKey)
	b.WriteByte('/')
	b.WriteString(s.scope(amzDate[:8]))
	b.WriteString(", SignedHeaders=")
	b.WriteString(signedHeaders)
	b.WriteString(", Signature=")
	b.WriteString(sig)
	return b.String()
}

func (s *Signer) scope(date string) string {
	return date + "/" + s.region() + "/" + s.service() + "/aws4_request"
}

// header is one canonical header: lower-case name and raw value.
type header struct{ name, value string }

// signature returns the hex signature and the SignedHeaders list for a
// request, following the spec's four steps: canonical request, string to
// sign, signing key, signature. hdrs is modified (sorted).
func (s *Signer) signature(method, canonURI, canonQuery string, hdrs []header, payloadHash, amzDate string) (sig, signedHeaders string) {
	sort.Slice(hdrs, func(i, j int) bool { return hdrs[i].name < hdrs[j].name })

	// Step 1: canonical request.
	var cr strings.Builder
	cr.Grow(256 + len(canonQuery))
	cr.WriteString(method)
	cr.WriteByte('\n')
	cr.WriteString(canonURI)
	cr.WriteByte('\n')
	cr.WriteString(canonQuery)
	cr.WriteByte('\n')
	for _, h := range hdrs {
		cr.WriteString(h.name)
		cr.WriteByte(':')
		cr.WriteString(trimHeaderValue(h.value))
		cr.WriteByte('\n')
	}
	cr.WriteByte('\n')
	start := cr.Len()
	for i, h := range hdrs {
		if i > 0 {
			cr.WriteByte(';')
		}
		cr.WriteString(h.name)
	}
	signedHeaders = cr.String()[start:]
	cr.WriteByte('\n')
	cr.WriteString(payloadHash)
	crHash := sha256.Sum256([]byte(cr.String()))

	// Step 2: string to sign.
	date := amzDate[:8]
	var sts strings.Builder
	sts.Grow(160)
	sts.WriteString(sigAlgorithm)
	sts.WriteByte('\n')
	sts.WriteString(amzDate)
	sts.WriteByte('\n')
	sts.WriteString(s.scope(date))
	sts.WriteByte('\n')
	var hexHash [64]byte
	hex.Encode(hexHash[:], crHash[:])
	sts.Write(hexHash[:])

	// Steps 3 and 4: signing key (cached per day) and signature.
	mac := hmac.New(sha256.New, s.signingKey(date))
	mac.Write([]byte(sts.String()))
	return hex.EncodeToString(mac.Sum(nil)), signedHeaders
}

func (s *Signer) signingKey(date string) []byte {
	if k := s.key.Load(); k != nil && k.date == date {
		return k.key
	}
	k := hmacSHA256([]byte("AWS4"+s.SecretKey), date)
	k = hmacSHA256(k, s.region())
	k = hmacSHA256(k, s.service())
	k = hmacSHA256(k, "aws4_request")
	s.key.Store(&signingKey{date: date, key: k})
	return k
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// trimHeaderValue removes leading and trailing spaces and collapses runs of
// spaces, as the canonical headers require.
func trimHeaderValue(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}

// CanonicalURI encodes a decoded S3 path the way SigV4 wants it for S3:
// every byte except unreserved characters and '/' is percent-encoded, once.
func CanonicalURI(path string) string {
	if path == "" {
		return "/"
	}
	return uriEncode(path, false)
}

// CanonicalQuery returns the canonical query string of a raw query: pairs
// sorted by name then value, names and values URI-encoded, "name=" for
// parameters without a value.
func CanonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode is AWS's UriEncode: unreserved characters (A-Z a-z 0-9 - _ . ~)
// stay, everything else becomes %XX with upper-case hex; '/' stays unless
// encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (s[i] != '/' || encodeSlash) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// ParsedAuth is the content of a SigV4 Authorization header.
type ParsedAuth struct {
	AccessKey     string
	Date          string // yyyymmdd from the credential scope
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// ParseAuthorization splits an "AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=..., Signature=..." header. ok is false when it is malformed.
func ParseAuthorization(v string) (p ParsedAuth, ok bool) {
	rest, found := strings.CutPrefix(v, sigAlgorithm+" ")
	if !found {
		return p, false
	}
	for field := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Credential":
			parts := strings.Split(val, "/")
			if len(parts) != 5 || parts[4] != "aws4_request" {
				return p, false
			}
			p.AccessKey, p.Date, p.Region, p.Service = parts[0], parts[1], parts[2], parts[3]
		case "SignedHeaders":
			p.SignedHeaders = strings.Split(val, ";")
		case "Signature":
			p.Signature = val
		}
	}
	return p, p.AccessKey != "" && len(p.SignedHeaders) > 0 && p.Signature != ""
}

// Verify recomputes the signature of a received request from its
// Authorization header and reports whether it matches. It checks only the
// signature (not clock skew nor the payload hash) and is meant for the fake
// server in tests and self-test mode.
func (s *Signer) Verify(r *http.Request) bool {
	p, ok := ParseAuthorization(r.Header.Get("Authorization"))
	if !ok || p.AccessKey != s.AccessKey || p.Region != s.region() || p.Service != s.service() {
		return false
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if len(amzDate) < 8 || amzDate[:8] != p.Date {
		return false
	}
	hdrs := make([]header, 0, len(p.SignedHeaders))
	for _, name := range p.SignedHeaders {
		v := r.Header.Values(name)
		if name == "host" {
			v = []string{r.Host}
		}
		if len(v) == 0 {
			return false
		}
		hdrs = append(hdrs, header{name, strings.Join(v, ",")})
	}
	sig, _ := s.signature(r.Method, CanonicalURI(r.URL.Path), CanonicalQuery(r.URL.RawQuery), hdrs,
		r.Header.Get("X-Amz-Content-Sha256"), amzDate)
	return hmac.Equal([]byte(sig), []byte(p.Signature))
}
