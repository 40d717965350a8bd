package checksum

import (
	"bytes"
	"errors"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
	"testing"

	"coffer/internal/errs"
)

// FuzzFromHeaders: any header set parses or fails with an *errs.Error; what
// parses is accepted by NewReader and verifies a body.
func FuzzFromHeaders(f *testing.F) {
	f.Add("X-Amz-Checksum-Crc32", "y/Q5Jg==", "Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww==", "", "")
	f.Add("x-amz-trailer", "x-amz-checksum-crc64nvme", "X-Amz-Sdk-Checksum-Algorithm", "crc64nvme", "", "")
	f.Add("X-Amz-Checksum-Sha256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=", "X-Amz-Checksum-Sha1", "x", "x-amz-checksum-type", "FULL")
	f.Add("X-Amz-Checksum-Md5", "", "x-amz-trailer", ",,", "Content-Md5", "\x00")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3, v3 string) {
		h := http.Header{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}, {k3, v3}} {
			h[kv[0]] = append(h[kv[0]], kv[1])
		}
		e, err := FromHeaders(h)
		if err != nil {
			var ee *errs.Error
			if !errors.As(err, &ee) || (ee.Kind != errs.InvalidRequest && ee.Kind != errs.InvalidDigest) {
				t.Fatalf("error %#v is not an InvalidRequest/InvalidDigest *errs.Error", err)
			}
			return
		}
		if e.Value != "" && !ValidValue(e.Algorithm, e.Value) {
			t.Fatalf("accepted malformed %+v", e)
		}
		e.Trailer = func() string { return v1 }
		r, err := NewReader(strings.NewReader(v2), e)
		if err != nil {
			t.Fatalf("NewReader refused %+v: %v", e, err)
		}
		if b, _ := io.ReadAll(r); string(b) != v2 {
			t.Fatal("body changed")
		}
	})
}

// FuzzMultipart: any parts combine or fail cleanly; when the parts are the
// true sums of pieces of data, FULL_OBJECT equals the sum of the whole.
func FuzzMultipart(f *testing.F) {
	f.Add(uint8(0), []byte("hello world"), []byte{5, 0, 3})
	f.Add(uint8(2), make([]byte, 300), []byte{255, 1, 64})
	f.Add(uint8(4), []byte("x"), []byte{})
	f.Fuzz(func(t *testing.T, alg uint8, data, cuts []byte) {
		a := Algorithms[int(alg)%len(Algorithms)]
		var parts []PartSum
		var sums []string
		rest := data
		for _, c := range cuts {
			n := min(int(c), len(rest))
			parts = append(parts, PartSum{Sum(a, rest[:n]), int64(n)})
			sums = append(sums, parts[len(parts)-1].Base64)
			rest = rest[n:]
		}
		parts = append(parts, PartSum{Sum(a, rest), int64(len(rest))})
		sums = append(sums, parts[len(parts)-1].Base64)

		v, err := FullObject(a, parts)
		if a.IsCRC() {
			if err != nil || v.Base64 != Sum(a, data) {
				t.Fatalf("FullObject(%s) = %+v, %v; want %s", a, v, err, Sum(a, data))
			}
		} else if !errors.Is(err, errs.InvalidRequest) {
			t.Fatalf("FullObject(%s) = %v", a, err)
		}
		if _, err := Composite(a, sums); (err == nil) != (a != CRC64NVME) {
			t.Fatalf("Composite(%s) = %v", a, err)
		}

		// Arbitrary (mostly malformed) values and sizes never panic.
		junk := []PartSum{{string(data), int64(len(cuts)) - 3}, {string(cuts), 1 << 62}}
		if _, err := FullObject(a, junk); err == nil && a.IsCRC() && (!ValidValue(a, junk[0].Base64) || junk[0].Size < 0) {
			t.Fatalf("FullObject accepted %+v", junk)
		}
		Composite(a, []string{string(data), string(cuts)})
	})
}

// FuzzCRC64NVME: the accelerated path agrees with hash/crc64.
func FuzzCRC64NVME(f *testing.F) {
	f.Add([]byte("123456789"), uint64(0))
	f.Add(bytes.Repeat([]byte{0xa5}, 200), uint64(7))
	tab := crc64.MakeTable(crc64NVMEPoly)
	f.Fuzz(func(t *testing.T, data []byte, crc uint64) {
		if got, want := UpdateCRC64NVME(crc, data), crc64.Update(crc, tab, data); got != want {
			t.Fatalf("len %d: %x, want %x", len(data), got, want)
		}
	})
}
