package sigv4

import (
	"bytes"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
)

// Fuzz targets: the three parsers that read attacker-controlled bytes before
// any signature has been checked. They must never panic or hang, and must
// only ever fail with an *errs.Error (or a reader's own error).

func FuzzAuthorizationHeader(f *testing.F) {
	good, _ := rtSigner.sign(treq{method: "GET", host: "h", path: "/b/k"}, tSHA(nil))
	g := good.Header.Get("Authorization")
	for _, s := range []string{
		g,
		strings.ReplaceAll(g, ", ", ","),
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/aws4_request, SignedHeaders=, Signature=",
		"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request",
		"AWS4-HMAC-SHA256 ,,,,=,=,",
		"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"AWS4-ECDSA-P256-SHA256 Credential=x",
		"", " ", "AWS4-HMAC-SHA256", "Signature=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if fields, err := parseAuthorization(s); err == nil {
			if fields.cred.accessKey == "" || len(fields.signedHeaders) == 0 {
				t.Fatalf("accepted incomplete header %q: %+v", s, fields)
			}
		} else if errs.KindOf(err) == errs.Internal {
			t.Fatalf("untyped error %v", err)
		}
		r, _ := rtSigner.sign(treq{method: "GET", host: "h", path: "/b/k"}, tSHA(nil))
		r.Header.Set("Authorization", s)
		a, err := Verify(r, rtLookup, rtOpts)
		// Only a respelling of the good header (same signature) can verify.
		if p, _ := parseAuthorization(s); err == nil && p.signature != tSigOf(g) {
			t.Fatalf("forged header verified: %q -> %+v", s, a)
		}
		if err != nil && errs.KindOf(err) == errs.Internal {
			t.Fatalf("untyped error %v", err)
		}
	})
}

func tSigOf(authz string) string {
	_, sig, _ := strings.Cut(authz, "Signature=")
	return sig
}

func FuzzPresignedQuery(f *testing.F) {
	good := rtSigner.presign(treq{method: "GET", host: "h", path: "/b/a key+%"}, 60)
	f.Add(good.URL.EscapedPath(), good.URL.RawQuery)
	f.Add("/b/k", strings.Replace(good.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=99999999999999999999", 1))
	f.Add("/b/k", "X-Amz-Signature=&X-Amz-Signature=")
	f.Add("/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F&X-Amz-Date=x&X-Amz-Expires=-1&X-Amz-SignedHeaders=;&X-Amz-Signature=0")
	f.Add("/%zz/%2F/", "a=%zz&&=&+=+")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, path, query string) {
		if pairs, err := parseQuery(query); err == nil {
			if _, err := parsePresigned(pairs, maxExpiresAWS); err != nil && errs.KindOf(err) == errs.Internal {
				t.Fatalf("untyped error %v", err)
			}
			// canonicalQuery output is made of unreserved bytes, %XX, '=' and '&' only.
			for _, c := range []byte(canonicalQuery(pairs, "")) {
				if !unreserved(c) && c != '%' && c != '=' && c != '&' {
					t.Fatalf("canonical query byte %q", c)
				}
			}
		}
		for _, c := range []byte(canonicalURI(path)) {
			if !unreserved(c) && c != '%' && c != '/' {
				t.Fatalf("canonical URI byte %q from %q", c, path)
			}
		}
		// The shortcut for plain paths gives what decoding and encoding
		// each segment gives.
		if path != "" && canonicalURI(path) != encodeURI(path) {
			t.Fatalf("canonicalURI(%q) = %q, encodeURI %q", path, canonicalURI(path), encodeURI(path))
		}
		u, err := url.Parse("http://h" + path)
		if err != nil || u.Host != "h" {
			return
		}
		u.RawQuery = query
		r := httptest.NewRequest("GET", "http://h/", nil)
		r.URL = u
		a, err := Verify(r, rtLookup, rtOpts)
		if err == nil && query != good.URL.RawQuery {
			if p, _ := parseQuery(query); len(p) > 0 {
				if pf, _ := parsePresigned(p, maxExpiresAWS); pf.signature != "" && !strings.Contains(good.URL.RawQuery, pf.signature) {
					t.Fatalf("forged query verified: %q -> %+v", query, a)
				}
			}
		}
		if err != nil && errs.KindOf(err) == errs.Internal {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// fuzzAuth is a fixed identity for decoding fuzzed bodies.
func fuzzAuth(mode PayloadMode, decoded int64) *Auth {
	return &Auth{
		Mode:          mode,
		Date:          rtNow,
		DecodedLength: decoded,
		signingKey:    [32]byte(rtSigner.key()),
		seedSignature: strings.Repeat("0", 64),
		scope:         rtSigner.scope(),
	}
}

func FuzzChunked(f *testing.F) {
	seed := strings.Repeat("0", 64)
	data := payloadOf(300)
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	for _, c := range []struct {
		mode PayloadMode
		c    chunking
	}{
		{PayloadStreamingSigned, chunking{size: 100, signed: true}},
		{PayloadStreamingUnsignedTrailer, chunking{size: 128, trailers: crc}},
		{PayloadStreamingUnsignedTrailer, chunking{size: 64, trailers: crc, afterFinal: "\r\n", end: "none"}},
		{PayloadStreamingSignedTrailer, chunking{size: 200, signed: true, trailers: crc, signedTrailer: true}},
	} {
		body := rtSigner.chunked(seed, data, c.c)
		for _, rs := range []uint16{1, 13, 4096} {
			f.Add(body, uint8(c.mode), int64(len(data)), rs)
			f.Add(body[:len(body)/2], uint8(c.mode), int64(-1), rs)
		}
	}
	f.Add([]byte("fffffffffffffffff\r\n"), uint8(PayloadStreamingUnsignedTrailer), int64(-1), uint16(10))
	f.Add([]byte("140000000;chunk-signature=zz\r\nabc"), uint8(PayloadStreamingSigned), int64(-1), uint16(10))
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\n\r\n\r\nx:y\r\n"), uint8(PayloadStreamingUnsignedTrailer), int64(3), uint16(2))
	f.Add([]byte("0\r\n"+strings.Repeat("x-amz-a:b\r\n", 3000)), uint8(PayloadStreamingUnsignedTrailer), int64(0), uint16(2))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, decoded int64, readSize uint16) {
		m := PayloadStreamingSigned + PayloadMode(mode%3)
		if decoded < -1 {
			decoded = -1
		}
		br := fuzzAuth(m, decoded).Body(bytes.NewReader(body))
		buf := make([]byte, int(readSize)%8192+1)
		total := 0
		for calls := 0; ; calls++ {
			if calls > len(body)+16 {
				t.Fatalf("no progress after %d calls", calls)
			}
			n, err := br.Read(buf)
			total += n
			if total > len(body) {
				t.Fatalf("decoded %d bytes from a %d-byte body", total, len(body))
			}
			if err == nil {
				if n == 0 {
					t.Fatal("Read returned 0, nil")
				}
				continue
			}
			if err != io.EOF && errs.KindOf(err) == errs.Internal {
				t.Fatalf("untyped error %v", err)
			}
			if n2, err2 := br.Read(buf); n2 != 0 || err2 != err {
				t.Fatalf("error not sticky: %v then %d, %v", err, n2, err2)
			}
			if err == io.EOF && decoded >= 0 && int64(total) != decoded {
				t.Fatalf("EOF after %d bytes, decoded length %d", total, decoded)
			}
			if err != io.EOF && br.Trailer() != nil {
				t.Fatal("trailer exposed after a failure")
			}
			return
		}
	})
}

func TestCanonicalURIPlainPath(t *testing.T) {
	for path, want := range map[string]string{
		"/bkt/get4k/c07/obj-000123": "/bkt/get4k/c07/obj-000123",
		"/b//k~._-":                 "/b//k~._-",
		"/b/a key":                  "/b/a%20key",
		"/b/a%2Fb":                  "/b/a%2Fb",
		"/b/a+b":                    "/b/a%2Bb",
		"b/k":                       "/b/k",
	} {
		if got := canonicalURI(path); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", path, got, want)
		}
		if got := encodeURI(path); got != want {
			t.Errorf("encodeURI(%q) = %q, want %q", path, got, want)
		}
	}
}

func FuzzParseAmzDate(f *testing.F) {
	for _, s := range []string{"20261202T004107Z", "20240229T235959Z", "20230229T000000Z", "00000101T000000Z",
		"20261302T000000Z", "20261200T000000Z", "20261202T240000Z", "20261202T006000Z", "20261202T000060Z",
		"2026120xT000000Z", "20261202 000000Z", "20261202T000000z", "+0261202T000000Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := time.Parse(amzDateLayout, s)
		got, ok := parseAmzDate(s)
		if ok != (err == nil) || ok && !got.Equal(want) || ok && got.Location() != time.UTC {
			t.Fatalf("parseAmzDate(%q) = %v, %v; time.Parse %v, %v", s, got, ok, want, err)
		}
	})
}
