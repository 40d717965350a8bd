package checksum

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"coffer/internal/errs"
)

// hexB64 is the base64 S3 sends for a digest written in hex.
func hexB64(t *testing.T, h string) string {
	t.Helper()
	raw, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// TestNewAlgorithmVectors checks MD5, SHA512 and the xxHash variants against
// published vectors, in S3's encoding (base64 of the big-endian digest).
func TestNewAlgorithmVectors(t *testing.T) {
	hw := []byte("Hello world")
	tests := []struct {
		name string
		a    Algorithm
		data []byte
		hex  string
	}{
		// aws-checksums tests/xxhash_test.c ("Hello world", seed 0): the
		// bytes the AWS SDKs put in x-amz-checksum-xxhash*.
		{"awscrt/xxhash64", XXHASH64, hw, "c500b0c912b376d8"},
		{"awscrt/xxhash3", XXHASH3, hw, "b6acb9d84a38ff74"},
		{"awscrt/xxhash128", XXHASH128, hw, "7351f89812f97382b91d05b31e04dd7f"},
		// xxHash's reference values for the empty input (xxhsum of /dev/null).
		{"empty/xxhash64", XXHASH64, nil, "ef46db3751d8e999"},
		{"empty/xxhash3", XXHASH3, nil, "2d06800538d394c2"},
		{"empty/xxhash128", XXHASH128, nil, "99aa06d3014798d86001c324468d497f"},
		// RFC 1321 appendix A.5 and FIPS 180-2 appendix C.1.
		{"rfc1321/md5-empty", MD5, nil, "d41d8cd98f00b204e9800998ecf8427e"},
		{"rfc1321/md5-abc", MD5, []byte("abc"), "900150983cd24fb0d6963f7d28e17f72"},
		{"fips/sha512-abc", SHA512, []byte("abc"), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
			"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"fips/sha512-empty", SHA512, nil, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
			"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := hexB64(t, tc.hex)
			if got := Sum(tc.a, tc.data); got != want {
				t.Errorf("Sum = %q, want %q", got, want)
			}
			h := New(tc.a)
			for p := tc.data; len(p) > 0; p = p[1:] {
				h.Write(p[:1])
			}
			if got := b64.EncodeToString(h.Sum(nil)); got != want {
				t.Errorf("byte-wise New().Sum = %q, want %q", got, want)
			}
			if !ValidValue(tc.a, want) {
				t.Errorf("ValidValue(%q) = false", want)
			}
		})
	}
}

// TestNewAlgorithmHeaders: each new algorithm is accepted as a header, as a
// trailer and as x-amz-sdk-checksum-algorithm, and a malformed value is
// refused with S3's message naming the header.
func TestNewAlgorithmHeaders(t *testing.T) {
	for _, a := range []Algorithm{MD5, SHA512, XXHASH64, XXHASH3, XXHASH128} {
		v := Sum(a, []byte("x"))
		e, err := FromHeaders(map[string][]string{a.HeaderName(): {v}, headerSDKAlg: {strings.ToLower(string(a))}})
		if err != nil || e.Algorithm != a || e.Value != v {
			t.Errorf("%s header: %+v, %v", a, e, err)
		}
		e, err = FromHeaders(map[string][]string{"X-Amz-Trailer": {a.HeaderName()}, headerSDKAlg: {string(a)}})
		if err != nil || e.Algorithm != a || e.Value != "" {
			t.Errorf("%s trailer: %+v, %v", a, e, err)
		}
		// A value of another algorithm's size (CRC32's) is malformed here.
		_, err = FromHeaders(map[string][]string{a.HeaderName(): {Sum(CRC32, nil)}})
		if !errors.Is(err, errs.InvalidRequest) || errs.Message(err) != "Value for "+a.HeaderName()+" header is invalid." {
			t.Errorf("%s short value: %v", a, err)
		}
	}
}

// TestNewAlgorithmComposite: a COMPOSITE checksum of each new algorithm is
// the algorithm over the concatenated raw part digests, "-N"; FULL_OBJECT is
// refused with S3's message.
func TestNewAlgorithmComposite(t *testing.T) {
	parts := [][]byte{[]byte("first part"), []byte("second"), nil}
	for _, a := range []Algorithm{MD5, SHA512, XXHASH64, XXHASH3, XXHASH128} {
		var sums []string
		var cat []byte
		for _, p := range parts {
			s := Sum(a, p)
			sums = append(sums, s)
			raw, _ := base64.StdEncoding.DecodeString(s)
			cat = append(cat, raw...)
		}
		v, err := Composite(a, sums)
		if want := Sum(a, cat) + "-3"; err != nil || v.Base64 != want || v.Type != TypeComposite || v.Algorithm != a {
			t.Errorf("%s composite = %+v, %v; want %s", a, v, err, want)
		}
		_, err = FullObject(a, []PartSum{{sums[0], int64(len(parts[0]))}})
		want := "The FULL_OBJECT checksum type cannot be used with the " + strings.ToLower(string(a)) + " checksum algorithm."
		if !errors.Is(err, errs.InvalidRequest) || errs.Message(err) != want {
			t.Errorf("%s full object: %v", a, err)
		}
	}
}
