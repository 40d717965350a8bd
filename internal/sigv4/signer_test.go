package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A deliberately separate client-side signer, written from the spec without
// calling the code under test, so round trips compare two implementations
// rather than one with itself. (The published vectors pin both to AWS.)

type testSigner struct {
	ak, secret, region string
	now                time.Time
}

// treq is a request in client terms: the unencoded path and query.
type treq struct {
	method  string
	host    string
	path    string // unencoded, e.g. "/bucket/my key"
	wire    string // optional: the path as sent, when it differs from its canonical form
	canon   string // optional: the canonical URI the client signs (default: its own encoding of path)
	query   [][2]string
	headers [][2]string
	body    []byte
}

func tHMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func tSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tEscape is SigV4's URI encoding, written differently from appendURIEncode.
func tEscape(s string, keepSlash bool) string {
	const plain = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte(plain, c) >= 0 || keepSlash && c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (s testSigner) amzDate() string { return s.now.UTC().Format("20060102T150405Z") }
func (s testSigner) scope() string {
	return s.now.UTC().Format("20060102") + "/" + s.region + "/s3/aws4_request"
}
func (s testSigner) key() []byte {
	k := tHMAC([]byte("AWS4"+s.secret), s.now.UTC().Format("20060102"))
	k = tHMAC(k, s.region)
	k = tHMAC(k, "s3")
	return tHMAC(k, "aws4_request")
}

// tQuery returns the canonical query and the wire query (in given order).
func tQuery(q [][2]string, skip string) (canon, wire string) {
	var c [][2]string
	var w []string
	for _, p := range q {
		e := [2]string{tEscape(p[0], false), tEscape(p[1], false)}
		w = append(w, e[0]+"="+e[1])
		if p[0] != skip {
			c = append(c, e)
		}
	}
	sort.Slice(c, func(i, j int) bool { return c[i][0] < c[j][0] || c[i][0] == c[j][0] && c[i][1] < c[j][1] })
	var cs []string
	for _, e := range c {
		cs = append(cs, e[0]+"="+e[1])
	}
	return strings.Join(cs, "&"), strings.Join(w, "&")
}

// build makes the request and its canonical request. headers are all signed.
func (s testSigner) build(tr treq, q [][2]string, hdrs [][2]string, payload string) (*http.Request, string, string) {
	canonURI := tr.canon
	if canonURI == "" {
		canonURI = tEscape(tr.path, true)
	}
	wire := tr.wire
	if wire == "" {
		wire = canonURI
	}
	cq, wq := tQuery(q, "X-Amz-Signature")
	target := "http://" + tr.host + wire
	if wq != "" {
		target += "?" + wq
	}
	r := httptest.NewRequest(tr.method, target, bytes.NewReader(tr.body))
	vals := map[string][]string{"host": {tr.host}}
	for _, h := range hdrs {
		r.Header.Add(h[0], h[1])
		n := strings.ToLower(h[0])
		vals[n] = append(vals[n], strings.Join(strings.Fields(h[1]), " "))
	}
	var names []string
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		ch.WriteString(n + ":" + strings.Join(vals[n], ",") + "\n")
	}
	signed := strings.Join(names, ";")
	creq := strings.Join([]string{tr.method, canonURI, cq, ch.String(), signed, payload}, "\n")
	return r, creq, signed
}

func (s testSigner) signature(creq string) string {
	sts := "AWS4-HMAC-SHA256\n" + s.amzDate() + "\n" + s.scope() + "\n" + tSHA([]byte(creq))
	return hex.EncodeToString(tHMAC(s.key(), sts))
}

// sign signs tr in the Authorization-header form, declaring payload in
// x-amz-content-sha256, and returns the request and its (seed) signature.
func (s testSigner) sign(tr treq, payload string) (*http.Request, string) {
	hdrs := append([][2]string{{"X-Amz-Date", s.amzDate()}, {"X-Amz-Content-Sha256", payload}}, tr.headers...)
	r, creq, signed := s.build(tr, tr.query, hdrs, payload)
	sig := s.signature(creq)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+s.ak+"/"+s.scope()+
		", SignedHeaders="+signed+", Signature="+sig)
	return r, sig
}

// presign signs tr in the query form (signed headers: host plus tr.headers).
func (s testSigner) presign(tr treq, expires int, extra ...[2]string) *http.Request {
	q := append([][2]string{}, tr.query...)
	names := []string{"host"}
	for _, h := range tr.headers {
		names = append(names, strings.ToLower(h[0]))
	}
	sort.Strings(names)
	q = append(q, [2]string{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		[2]string{"X-Amz-Credential", s.ak + "/" + s.scope()},
		[2]string{"X-Amz-Date", s.amzDate()},
		[2]string{"X-Amz-Expires", strconv.Itoa(expires)},
		[2]string{"X-Amz-SignedHeaders", strings.Join(names, ";")})
	q = append(q, extra...)
	payload := "UNSIGNED-PAYLOAD"
	for _, p := range extra {
		if p[0] == "X-Amz-Content-Sha256" {
			payload = p[1]
		}
	}
	_, creq, _ := s.build(tr, q, tr.headers, payload)
	q = append(q, [2]string{"X-Amz-Signature", s.signature(creq)})
	r, _, _ := s.build(tr, q, tr.headers, payload)
	return r
}

// chunking describes an aws-chunked body to produce.
type chunking struct {
	size          int         // data bytes per chunk
	signed        bool        // chunk-signature extensions
	trailers      [][2]string // trailing headers
	signedTrailer bool
	afterFinal    string // between the final chunk header and the trailers
	trailerEnd    string // after each trailer line; default "\r\n"
	end           string // after the trailers; default "\r\n"
}

// chunked frames data as aws-chunked, chaining signatures from seed.
func (s testSigner) chunked(seed string, data []byte, c chunking) []byte {
	var b bytes.Buffer
	prev := seed
	sign := func(chunk []byte) string {
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate() + "\n" + s.scope() + "\n" + prev + "\n" +
			tSHA(nil) + "\n" + tSHA(chunk)
		prev = hex.EncodeToString(tHMAC(s.key(), sts))
		return prev
	}
	for off := 0; ; off += c.size {
		chunk := data[min(off, len(data)):min(off+c.size, len(data))]
		fmt.Fprintf(&b, "%x", len(chunk))
		if c.signed {
			b.WriteString(";chunk-signature=" + sign(chunk))
		}
		b.WriteString("\r\n")
		if len(chunk) == 0 {
			break
		}
		b.Write(chunk)
		b.WriteString("\r\n")
	}
	b.WriteString(c.afterFinal)
	var canon strings.Builder
	if c.trailerEnd == "" {
		c.trailerEnd = "\r\n"
	}
	for _, t := range c.trailers {
		b.WriteString(t[0] + ":" + t[1] + c.trailerEnd)
		canon.WriteString(t[0] + ":" + t[1] + "\n")
	}
	if c.signedTrailer {
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate() + "\n" + s.scope() + "\n" + prev + "\n" +
			tSHA([]byte(canon.String()))
		b.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(tHMAC(s.key(), sts)) + "\r\n")
	}
	if c.end == "" {
		c.end = "\r\n"
	}
	if c.end != "none" {
		b.WriteString(c.end)
	}
	return b.Bytes()
}
