package checksum

import (
	"errors"
	"net/http"
	"testing"

	"coffer/internal/errs"
)

func TestFromHeaders(t *testing.T) {
	const md5Hello = "XrY7u+Ae7tCTyyK7j1rNww==" // MD5("hello world")
	type kv = []string                          // alternating name, value
	tests := []struct {
		name    string
		headers kv
		want    Expect
		kind    errs.Kind // 0 (Internal) means no error
		msg     string
	}{
		{name: "nothing", headers: kv{"Content-Type", "text/plain"}},
		{name: "content-md5", headers: kv{"Content-MD5", md5Hello}, want: Expect{ContentMD5: md5Hello}},
		{name: "content-md5 blanks", headers: kv{"content-md5", " " + md5Hello + "\t"}, want: Expect{ContentMD5: md5Hello}},
		{name: "content-md5 blank", headers: kv{"Content-Md5", " "}, kind: errs.InvalidDigest},
		{name: "content-md5 empty", headers: kv{"Content-MD5", ""}, kind: errs.InvalidDigest},
		{name: "content-md5 not base64", headers: kv{"Content-MD5", "not-base64-at-all!!!!!=="}, kind: errs.InvalidDigest},
		{name: "content-md5 17 bytes", headers: kv{"Content-MD5", "XrY7u+Ae7tCTyyK7j1rNwwA="}, kind: errs.InvalidDigest},
		{name: "content-md5 short", headers: kv{"Content-MD5", "XrY7u+Ae7tCTyyK7j1rN"}, kind: errs.InvalidDigest,
			msg: "The Content-MD5 you specified was invalid."},
		{name: "content-md5 alphabet", headers: kv{"Content-MD5", "XrY7u+Ae7tCTyyK7j1r*ww=="}, kind: errs.InvalidDigest},
		{name: "content-md5 sha1", headers: kv{"Content-MD5", "98O8HYCOBHMq32eZZczDTKeuNEE="}, kind: errs.InvalidDigest},
		{name: "content-md5 twice", headers: kv{"Content-MD5", md5Hello, "Content-MD5", md5Hello}, kind: errs.InvalidDigest},
		{name: "crc32", headers: kv{"X-Amz-Checksum-Crc32", "y/Q5Jg=="}, want: Expect{Algorithm: CRC32, Value: "y/Q5Jg=="}},
		{name: "lower-case crc32c", headers: kv{"x-amz-checksum-crc32c", "4waSgw=="}, want: Expect{Algorithm: CRC32C, Value: "4waSgw=="}},
		{name: "crc64nvme", headers: kv{"X-Amz-Checksum-Crc64nvme", "rosUhgp5mIg="}, want: Expect{Algorithm: CRC64NVME, Value: "rosUhgp5mIg="}},
		{name: "sha1 and md5", headers: kv{"X-Amz-Checksum-Sha1", "98O8HYCOBHMq32eZZczDTKeuNEE=", "Content-MD5", md5Hello},
			want: Expect{ContentMD5: md5Hello, Algorithm: SHA1, Value: "98O8HYCOBHMq32eZZczDTKeuNEE="}},
		{name: "sha256 with sdk", headers: kv{"X-Amz-Checksum-Sha256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=", "X-Amz-Sdk-Checksum-Algorithm", "sha256"},
			want: Expect{Algorithm: SHA256, Value: "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="}},
		{name: "algorithm/type/mode are not values", headers: kv{"X-Amz-Checksum-Algorithm", "CRC32", "X-Amz-Checksum-Type", "COMPOSITE", "X-Amz-Checksum-Mode", "ENABLED"}},
		{name: "multiple", headers: kv{"X-Amz-Checksum-Crc32", "y/Q5Jg==", "X-Amz-Checksum-Sha1", "98O8HYCOBHMq32eZZczDTKeuNEE="},
			kind: errs.InvalidRequest, msg: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{name: "same header twice", headers: kv{"X-Amz-Checksum-Crc32", "y/Q5Jg==", "X-Amz-Checksum-Crc32", "y/Q5Jg=="},
			kind: errs.InvalidRequest, msg: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{name: "unknown algorithm header", headers: kv{"X-Amz-Checksum-Md4", "XrY7u+Ae7tCTyyK7j1rNww=="},
			kind: errs.InvalidRequest, msg: "The algorithm type you specified in x-amz-checksum- header is invalid."},
		{name: "malformed", headers: kv{"X-Amz-Checksum-Crc32", "y/Q5Jh=="}, kind: errs.InvalidRequest,
			msg: "Value for x-amz-checksum-crc32 header is invalid."},
		{name: "wrong length", headers: kv{"X-Amz-Checksum-Crc64nvme", "y/Q5Jg=="}, kind: errs.InvalidRequest,
			msg: "Value for x-amz-checksum-crc64nvme header is invalid."},
		{name: "empty value", headers: kv{"X-Amz-Checksum-Sha256", ""}, kind: errs.InvalidRequest,
			msg: "Value for x-amz-checksum-sha256 header is invalid."},
		{name: "trailer", headers: kv{"X-Amz-Trailer", "x-amz-checksum-crc32c", "X-Amz-Sdk-Checksum-Algorithm", "CRC32C"},
			want: Expect{Algorithm: CRC32C}},
		{name: "trailer spaced", headers: kv{"x-amz-trailer", " X-Amz-Checksum-Crc64nvme ,"}, want: Expect{Algorithm: CRC64NVME}},
		{name: "trailer unsupported", headers: kv{"X-Amz-Trailer", "x-amz-meta-foo"}, kind: errs.InvalidRequest,
			msg: "The value specified in the x-amz-trailer header is not supported"},
		{name: "two trailers", headers: kv{"X-Amz-Trailer", "x-amz-checksum-crc32,x-amz-checksum-sha1"}, kind: errs.InvalidRequest,
			msg: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{name: "header and trailer", headers: kv{"X-Amz-Trailer", "x-amz-checksum-crc32", "X-Amz-Checksum-Crc32", "y/Q5Jg=="},
			kind: errs.InvalidRequest, msg: "Expecting a single x-amz-checksum- header"},
		{name: "sdk disagrees", headers: kv{"X-Amz-Checksum-Crc32", "y/Q5Jg==", "X-Amz-Sdk-Checksum-Algorithm", "SHA1"},
			kind: errs.InvalidRequest, msg: "Value for x-amz-sdk-checksum-algorithm header is invalid."},
		{name: "sdk disagrees with trailer", headers: kv{"X-Amz-Trailer", "x-amz-checksum-crc32", "X-Amz-Sdk-Checksum-Algorithm", "CRC32C"},
			kind: errs.InvalidRequest, msg: "Value for x-amz-sdk-checksum-algorithm header is invalid."},
		{name: "sdk alone", headers: kv{"X-Amz-Sdk-Checksum-Algorithm", "CRC32"}, kind: errs.InvalidRequest,
			msg: "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."},
		{name: "sdk unknown", headers: kv{"X-Amz-Checksum-Crc32", "y/Q5Jg==", "X-Amz-Sdk-Checksum-Algorithm", "MD4"}, kind: errs.InvalidRequest,
			msg: "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH64, XXHASH3, XXHASH128]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i < len(tc.headers); i += 2 {
				h[tc.headers[i]] = append(h[tc.headers[i]], tc.headers[i+1]) // as sent: no canonicalisation
			}
			got, err := FromHeaders(h)
			if tc.kind == errs.Internal {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if got.ContentMD5 != tc.want.ContentMD5 || got.Algorithm != tc.want.Algorithm || got.Value != tc.want.Value || got.Trailer != nil {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
				// What FromHeaders accepts, NewReader accepts.
				if _, err := NewReader(nil, got); err != nil {
					t.Fatalf("NewReader refused %+v: %v", got, err)
				}
				return
			}
			if err == nil || !errors.Is(err, tc.kind) {
				t.Fatalf("got %+v, %v; want kind %v", got, err, tc.kind)
			}
			if tc.msg != "" && errs.Message(err) != tc.msg {
				t.Fatalf("message %q, want %q", errs.Message(err), tc.msg)
			}
		})
	}
}
