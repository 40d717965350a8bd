package loadgen

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// AWS's published examples for S3 header-based SigV4:
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// Note the example secret has "/" before "bPxR" (not "+", a common typo).
func TestSignAWSExamples(t *testing.T) {
	s := &Signer{AccessKey: "AKIAIOSFODNN7EXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	when := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		method, url   string
		headers       map[string]string
		payloadHash   string
		signedHeaders string
		signature     string
	}{
		{
			name:          "GET object with range",
			method:        "GET",
			url:           "https://examplebucket.s3.amazonaws.com/test.txt",
			headers:       map[string]string{"Range": "bytes=0-9"},
			payloadHash:   EmptySHA256,
			signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
			signature:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		},
		{
			name:   "PUT object",
			method: "PUT",
			url:    "https://examplebucket.s3.amazonaws.com/test$file.text",
			headers: map[string]string{
				"Date":                "Fri, 24 May 2013 00:00:00 GMT",
				"X-Amz-Storage-Class": "REDUCED_REDUNDANCY",
			},
			payloadHash:   "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			signature:     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		},
		{
			name:          "GET bucket lifecycle",
			method:        "GET",
			url:           "https://examplebucket.s3.amazonaws.com/?lifecycle",
			payloadHash:   EmptySHA256,
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			signature:     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		},
		{
			name:          "GET bucket (list objects)",
			method:        "GET",
			url:           "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
			payloadHash:   EmptySHA256,
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			signature:     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			s.Sign(req, tc.payloadHash, when)
			want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
				"SignedHeaders=" + tc.signedHeaders + ", Signature=" + tc.signature
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			if got := req.Header.Get("X-Amz-Date"); got != "20130524T000000Z" {
				t.Errorf("X-Amz-Date = %s", got)
			}
			// What we sign, we must also verify.
			req.Host = req.URL.Host
			if !s.Verify(req) {
				t.Error("Verify rejected a request Sign produced")
			}
			req.Header.Set("X-Amz-Date", "20130524T000001Z")
			if s.Verify(req) {
				t.Error("Verify accepted a tampered request")
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := map[string]string{
		"":                    "",
		"lifecycle":           "lifecycle=",
		"prefix=J&max-keys=2": "max-keys=2&prefix=J",
		"list-type=2&prefix=a%2Fb%20c&max-keys=10": "list-type=2&max-keys=10&prefix=a%2Fb%20c",
		"continuation-token=a+b%3D":                "continuation-token=a%20b%3D",
	}
	for in, want := range tests {
		if got := CanonicalQuery(in); got != want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := map[string]string{
		"":               "/",
		"/b/k":           "/b/k",
		"/b/a b+c$~":     "/b/a%20b%2Bc%24~",
		"/b/dir/é.txt":   "/b/dir/%C3%A9.txt",
		"/b/x=y&z?q#f;!": "/b/x%3Dy%26z%3Fq%23f%3B%21",
	}
	for in, want := range tests {
		if got := CanonicalURI(in); got != want {
			t.Errorf("CanonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	bad := []string{
		"",
		"AWS AK:sig",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, Signature=ab",
	}
	for _, v := range bad {
		if _, ok := ParseAuthorization(v); ok {
			t.Errorf("ParseAuthorization(%q) accepted", v)
		}
	}
	p, ok := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date, Signature=ab")
	if !ok || p.AccessKey != "AK" || strings.Join(p.SignedHeaders, ";") != "host;x-amz-date" || p.Signature != "ab" {
		t.Errorf("ParseAuthorization = %+v, %v", p, ok)
	}
}

func BenchmarkSign(b *testing.B) {
	s := &Signer{AccessKey: "AK", SecretKey: "SK"}
	now := time.Now()
	req, _ := http.NewRequest("PUT", "http://127.0.0.1:9000/bucket/put4k/w1/123", nil)
	b.ReportAllocs()
	for b.Loop() {
		s.Sign(req, EmptySHA256, now)
	}
}
