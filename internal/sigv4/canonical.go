package sigv4

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file builds the canonical request, the first stage of the spec:
//
//	Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//
// The server never sees the client's canonical request, only the wire form,
// so every step must reproduce exactly what the client's signer derived from
// the same object key, query and headers.

const upperHex = "0123456789ABCDEF"

// unreserved reports RFC 3986 unreserved characters, the only bytes SigV4
// leaves unescaped.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendURIEncode appends s with every byte but the unreserved set written as
// %XX (upper-case hex, as the spec demands). Encoding bytewise handles any
// UTF-8 (and invalid UTF-8) identically to the SDKs.
func appendURIEncode(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// canonicalURI re-encodes the request path the way S3 clients sign it.
//
// S3 signs the object key encoded once (no double-encoding, no "." / ".."
// normalization), but clients differ in what they put on the wire: some send
// "$" raw, some "%24". So each raw segment is decoded and re-encoded with the
// SigV4 rules. Splitting the RAW path on "/" first matters: a client that
// sent "%2F" inside a segment signed "%2F", and decoding before splitting
// would turn it into a separator.
func canonicalURI(rawPath string) string {
	if rawPath == "" {
		return "/"
	}
	if rawPath[0] == '/' && plainPath(rawPath) {
		return rawPath // every segment encodes to itself
	}
	return encodeURI(rawPath)
}

// encodeURI is canonicalURI's general case: each segment decoded, then
// encoded.
func encodeURI(rawPath string) string {
	out := make([]byte, 0, len(rawPath)+16)
	if rawPath[0] != '/' {
		out = append(out, '/')
	}
	first := true
	for seg := range strings.SplitSeq(rawPath, "/") {
		if !first {
			out = append(out, '/')
		}
		first = false
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		} // else: not valid %-encoding; its '%' is then a literal byte.
		out = appendURIEncode(out, seg)
	}
	return string(out)
}

// plainPath reports whether p holds only '/' and the characters SigV4's
// URI encoding leaves as they are (A-Z, a-z, 0-9, '-', '.', '_', '~'): the
// common case, which canonicalURI then returns without decoding and
// encoding each segment.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' && !unreserved(p[i]) {
			return false
		}
	}
	return true
}

// queryPair is one decoded query parameter, in wire order.
type queryPair struct{ key, value string }

// parseQuery decodes a raw query string into its pairs, keeping duplicates
// and order. '+' decodes to a space, as net/url does for the handlers that
// later read r.URL.Query(): the signature must cover the meaning the server
// acts on. A malformed escape is an error rather than a silently dropped
// parameter, for the same reason.
func parseQuery(raw string) ([]queryPair, error) {
	if raw == "" {
		return nil, nil
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, queryPair{dk, dv})
	}
	return pairs, nil
}

// canonicalQuery encodes every pair with the SigV4 rules ("/" included) and
// sorts by encoded key, then encoded value, as the spec requires. skip names
// a parameter left out (X-Amz-Signature, in presigned URLs: it cannot sign
// itself).
func canonicalQuery(pairs []queryPair, skip string) string {
	enc := make([]queryPair, 0, len(pairs))
	for _, p := range pairs {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryPair{
			string(appendURIEncode(nil, p.key)),
			string(appendURIEncode(nil, p.value)),
		})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// headerValues returns a signed header's values as the client sent them.
// net/http lifts some headers out of r.Header on incoming requests (Host
// into r.Host, Transfer-Encoding into r.TransferEncoding), so those are read
// back from where the server put them.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		if r.URL != nil {
			return []string{r.URL.Host}
		}
		return nil
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength >= 0 && r.Body != nil && r.Body != http.NoBody {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header.Values("Transfer-Encoding"); len(v) > 0 {
			return v
		}
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
		return nil
	}
	return r.Header.Values(name)
}

// appendHeaderValue appends v trimmed, with runs of spaces and tabs collapsed
// to one space: the spec's normalization, which also undoes the re-folding
// proxies sometimes apply.
func appendHeaderValue(b *strings.Builder, v string) {
	v = strings.Trim(v, " \t\r\n")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
}

// canonicalRequest assembles the canonical request for r. signed lists the
// header names in the order the client declared them (its canonical order);
// payloadHash is the last line (a hex SHA-256, UNSIGNED-PAYLOAD or a
// STREAMING-* literal).
//
// asSent uses the path exactly as the client sent it instead of S3's
// normalised encoding (decode each segment, encode it once).
func canonicalRequest(r *http.Request, query []queryPair, skipParam string, signed []string, payloadHash string, asSent bool) string {
	rawPath := ""
	if r.URL != nil {
		rawPath = r.URL.EscapedPath()
	}
	var b strings.Builder
	b.Grow(256 + len(rawPath))
	b.WriteString(r.Method)
	b.WriteByte('\n')
	if asSent && rawPath != "" {
		b.WriteString(rawPath)
	} else {
		b.WriteString(canonicalURI(rawPath))
	}
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, skipParam))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		if name == "host" && r.Host != "" { // every request's; headerValues would allocate its slice
			appendHeaderValue(&b, r.Host)
			b.WriteByte('\n')
			continue
		}
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			appendHeaderValue(&b, v)
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}
