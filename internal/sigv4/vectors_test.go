package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
)

// AWS's published SigV4 test suite ("aws-sig-v4-test-suite", linked from
// https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html):
// access key AKIDEXAMPLE, service "service", us-east-1, 20150830T123600Z.
// Service "service" is not S3 (Verify rightly refuses it, and the suite
// sends no x-amz-content-sha256), so these drive the canonicalization and
// signing stages directly, with the Authorization header's own parser.
const (
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteDate   = "20150830T123600Z"
	suiteScope  = "20150830/us-east-1/service/aws4_request"
)

type suiteCase struct {
	name    string
	method  string
	target  string      // path and query as on the wire
	headers [][2]string // besides Host; repeated names are repeated headers
	body    string
	creq    string // expected canonical request, "" to skip that check
	authz   string
}

var suiteCases = []suiteCase{
	{name: "get-vanilla", method: "GET", target: "/",
		creq:  "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{name: "get-vanilla-query", method: "GET", target: "/?Param1=value1",
		creq:  "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
	{name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1",
		creq:  "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	{name: "get-vanilla-query-order-key", method: "GET", target: "/?Param1=value2&Param1=value1",
		creq:  "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
	{name: "get-vanilla-query-order-value", method: "GET", target: "/?Param1=value2&Param1=Value1",
		creq:  "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
	{name: "get-vanilla-query-unreserved", method: "GET",
		target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		authz:  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
	{name: "get-vanilla-utf8-query", method: "GET", target: "/?%E1%88%B4=bar",
		creq:  "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
	{name: "get-unreserved", method: "GET", target: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
	{name: "get-header-key-duplicate", method: "GET", target: "/",
		headers: [][2]string{{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
		creq:    "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
	{name: "get-header-value-order", method: "GET", target: "/",
		headers: [][2]string{{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}},
		authz:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
	{name: "get-header-value-trim", method: "GET", target: "/",
		headers: [][2]string{{"My-Header1", " value1"}, {"My-Header2", ` "a   b   c"`}},
		creq:    "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authz:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	{name: "post-vanilla", method: "POST", target: "/",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{name: "post-vanilla-query", method: "POST", target: "/?Param1=value1",
		authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
	{name: "post-header-key-sort", method: "POST", target: "/",
		headers: [][2]string{{"My-Header1", "value1"}},
		authz:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
	{name: "post-header-value-case", method: "POST", target: "/",
		headers: [][2]string{{"My-Header1", "VALUE1"}},
		authz:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
	// The suite's .creq for this case lists content-length, but its .authz
	// (what a verifier checks) signs content-type;host;x-amz-date only.
	{name: "post-x-www-form-urlencoded", method: "POST", target: "/",
		headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}, {"Content-Length", "13"}},
		body:    "Param1=value1",
		authz:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
}

func TestAWSSuiteVectors(t *testing.T) {
	key := deriveSigningKey(suiteSecret, "20150830", "us-east-1", "service")
	for _, c := range suiteCases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://example.amazonaws.com"+c.target, strings.NewReader(c.body))
			r.Header.Set("X-Amz-Date", suiteDate)
			for _, h := range c.headers {
				r.Header.Add(h[0], h[1])
			}
			f, err := parseAuthorization(c.authz)
			if err != nil {
				t.Fatalf("parseAuthorization: %v", err)
			}
			if f.cred.accessKey != "AKIDEXAMPLE" || f.cred.service != "service" {
				t.Fatalf("credential parsed as %+v", f.cred)
			}
			pairs, err := parseQuery(r.URL.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(c.body))
			creq := canonicalRequest(r, pairs, "", f.signedHeaders, hex.EncodeToString(sum[:]), false)
			if c.creq != "" && creq != c.creq {
				t.Errorf("canonical request:\n%s\nwant:\n%s", creq, c.creq)
			}
			if got := signatureHex(key[:], stringToSign(suiteDate, suiteScope, creq)); got != f.signature {
				t.Errorf("signature %s, want %s\ncanonical request:\n%s", got, f.signature, creq)
			}
		})
	}
}

// The worked examples of AWS's S3 API reference, run through Verify end to
// end: AKIAIOSFODNN7EXAMPLE, us-east-1, 20130524T000000Z, examplebucket.
const (
	s3AccessKey = "AKIAIOSFODNN7EXAMPLE"
	s3Secret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	emptyHash   = emptySHA256
)

var s3Time = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func s3Lookup(ak string) (string, error) {
	if ak == s3AccessKey {
		return s3Secret, nil
	}
	return "", errs.New(errs.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
}

func at(t time.Time) Options { return Options{Now: func() time.Time { return t }} }

// "Signature Calculations for the Authorization Header: Transferring Payload
// in a Single Chunk": GET Object, PUT Object, GET Bucket Lifecycle, GET Bucket.
func TestS3SingleChunkExamples(t *testing.T) {
	cases := []struct {
		name, method, target string
		headers              [][2]string
		body                 string
		signed, sig          string
	}{
		{name: "GET Object", method: "GET", target: "/test.txt",
			headers: [][2]string{{"Range", "bytes=0-9"}, {"x-amz-content-sha256", emptyHash}, {"x-amz-date", "20130524T000000Z"}},
			signed:  "host;range;x-amz-content-sha256;x-amz-date",
			sig:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
		{name: "PUT Object", method: "PUT", target: "/test$file.text",
			headers: [][2]string{{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-date", "20130524T000000Z"},
				{"x-amz-storage-class", "REDUCED_REDUNDANCY"},
				{"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}},
			body:   "Welcome to Amazon S3.",
			signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			sig:    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
		{name: "PUT Object, $ escaped on the wire", method: "PUT", target: "/test%24file.text",
			headers: [][2]string{{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-date", "20130524T000000Z"},
				{"x-amz-storage-class", "REDUCED_REDUNDANCY"},
				{"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}},
			body:   "Welcome to Amazon S3.",
			signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			sig:    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
		{name: "GET Bucket Lifecycle", method: "GET", target: "/?lifecycle",
			headers: [][2]string{{"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", emptyHash}},
			signed:  "host;x-amz-content-sha256;x-amz-date",
			sig:     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		{name: "GET Bucket (List Objects)", method: "GET", target: "/?max-keys=2&prefix=J",
			headers: [][2]string{{"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", emptyHash}},
			signed:  "host;x-amz-content-sha256;x-amz-date",
			sig:     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://examplebucket.s3.amazonaws.com"+c.target, strings.NewReader(c.body))
			for _, h := range c.headers {
				r.Header.Add(h[0], h[1])
			}
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders="+
				c.signed+",Signature="+c.sig)
			a, err := Verify(r, s3Lookup, at(s3Time))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if a.AccessKey != s3AccessKey || a.Region != "us-east-1" || a.Service != "s3" || a.Presigned ||
				a.Mode != PayloadSigned || !a.Date.Equal(s3Time) || a.DecodedLength != -1 {
				t.Fatalf("Auth = %+v", a)
			}
			got, err := io.ReadAll(a.Body(r.Body))
			if err != nil || string(got) != c.body {
				t.Fatalf("body %q, %v", got, err)
			}
			// The same request one character off must fail.
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), c.sig[:4], "0000", 1))
			if _, err := Verify(r, s3Lookup, at(s3Time)); errs.KindOf(err) != errs.SignatureDoesNotMatch {
				t.Fatalf("tampered signature: %v", err)
			}
		})
	}
}

// "Authenticating Requests: Using Query Parameters": the presigned GET.
func TestS3PresignedExample(t *testing.T) {
	const target = "http://examplebucket.s3.amazonaws.com/test.txt" +
		"?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	cases := []struct {
		name string
		now  time.Time
		kind errs.Kind // -1: success
		msg  string
	}{
		{"at signing time", s3Time, -1, ""},
		{"last valid second", s3Time.Add(86400 * time.Second), -1, ""},
		{"expired", s3Time.Add(86401 * time.Second), errs.AccessDenied, "Request has expired"},
		{"not valid yet", s3Time.Add(-time.Hour), errs.AccessDenied, "Request is not valid yet"},
		{"within skew before", s3Time.Add(-10 * time.Minute), -1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", target, nil)
			a, err := Verify(r, s3Lookup, at(c.now))
			if c.kind < 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if !a.Presigned || a.Mode != PayloadUnsigned || a.AccessKey != s3AccessKey {
					t.Fatalf("Auth = %+v", a)
				}
				return
			}
			if errs.KindOf(err) != c.kind || errs.Message(err) != c.msg || IsAnonymous(err) {
				t.Fatalf("err = %v, want %v %q", err, c.kind, c.msg)
			}
		})
	}
}

// awsChunkBody frames the documented 66560 'a's (64 KiB + 1 KiB) with the
// given signatures; tail is what follows the final chunk header.
func awsChunkBody(sig1, sig2, sig3, tail string) []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=" + sig1 + "\r\n")
	b.Write(bytes.Repeat([]byte{'a'}, 65536))
	b.WriteString("\r\n400;chunk-signature=" + sig2 + "\r\n")
	b.Write(bytes.Repeat([]byte{'a'}, 1024))
	b.WriteString("\r\n0;chunk-signature=" + sig3 + "\r\n" + tail)
	return b.Bytes()
}

// "Signature Calculations for the Authorization Header: Transferring Payload
// in Multiple Chunks": the seed request through Verify, then the chunks.
func TestS3StreamingExample(t *testing.T) {
	body := awsChunkBody(
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9", "\r\n")
	if len(body) != 66824 {
		t.Fatalf("body is %d bytes, the example's Content-Length is 66824", len(body))
	}
	newReq := func(body []byte) *http.Request {
		r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("Content-Length", "66824")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
			"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
			"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
		return r
	}
	r := newReq(body)
	a, err := Verify(r, s3Lookup, at(s3Time))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if a.Mode != PayloadStreamingSigned || a.DecodedLength != 66560 {
		t.Fatalf("Auth = %+v", a)
	}
	got, err := io.ReadAll(a.Body(r.Body))
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{'a'}, 66560)) {
		t.Fatalf("decoded %d bytes, err %v", len(got), err)
	}
	// One payload byte changed: the first chunk's signature fails.
	bad := bytes.Clone(body)
	bad[200] = 'b'
	r = newReq(bad)
	a, err = Verify(r, s3Lookup, at(s3Time))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(a.Body(r.Body)); errs.KindOf(err) != errs.SignatureDoesNotMatch {
		t.Fatalf("tampered chunk: %v", err)
	}
}

// "Signature calculations for trailing headers (chunked uploads)": the
// seed request through Verify, then the chain through the signed CRC32C
// trailer.
func TestS3SignedTrailerExample(t *testing.T) {
	body := awsChunkBody(
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		"x-amz-checksum-crc32c:sOO8/Q==\r\n"+
			"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n")
	verify := func(body []byte) (*BodyReader, error) {
		r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", bytes.NewReader(body))
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
			"SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"+
			"Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
		a, err := Verify(r, s3Lookup, at(s3Time))
		if err != nil {
			return nil, err
		}
		if a.Mode != PayloadStreamingSignedTrailer || a.DecodedLength != 66560 {
			t.Fatalf("Auth = %+v", a)
		}
		br := a.Body(r.Body)
		_, err = io.ReadAll(br)
		return br, err
	}
	br, err := verify(body)
	if err != nil {
		t.Fatalf("good body: %v", err)
	}
	if v := br.Trailer().Get("x-amz-checksum-crc32c"); v != "sOO8/Q==" {
		t.Fatalf("trailer = %v", br.Trailer())
	}
	bad := bytes.Replace(body, []byte("sOO8/Q=="), []byte("sOO8/A=="), 1)
	if _, err := verify(bad); errs.KindOf(err) != errs.SignatureDoesNotMatch {
		t.Fatalf("tampered trailer: %v", err)
	}
}
