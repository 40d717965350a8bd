package checksum

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand"
	"strings"
	"testing"

	"coffer/internal/errs"
)

func TestCompositeKnown(t *testing.T) {
	tests := []struct {
		name  string
		a     Algorithm
		parts []string
		want  string
	}{
		// Values worked out with Python's zlib and hashlib.
		{"crc32 twice", CRC32, []string{"y/Q5Jg==", "y/Q5Jg=="}, "cCOsTw==-2"},
		{"sha256 hello world", SHA256, []string{
			"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
			"BF8T3YZLr6rQ3Zd6yXHeVJsJDLKDbwYdB3mybdm7j0s=",
		}, "wpQQjqgKlhF49FQdoVTheIiiSjfvtKR+G5kBEF28Vf0=-2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Composite(tc.a, tc.parts)
			if err != nil {
				t.Fatal(err)
			}
			want := Value{Algorithm: tc.a, Type: TypeComposite, Base64: tc.want}
			if v != want {
				t.Fatalf("got %+v, want %+v", v, want)
			}
		})
	}
}

// TestCompositeByHand rebuilds the composite from its definition with the
// standard library only.
func TestCompositeByHand(t *testing.T) {
	parts := [][]byte{[]byte("part one"), []byte("part two"), {}, []byte("3")}
	var b64s []string
	var rawCRC, rawSHA []byte
	for _, p := range parts {
		c := crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli))
		rawCRC = binary.BigEndian.AppendUint32(rawCRC, c)
		s := sha256.Sum256(p)
		rawSHA = append(rawSHA, s[:]...)
		b64s = append(b64s, Sum(CRC32C, p))
	}
	want := b64.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.Checksum(rawCRC, crc32.MakeTable(crc32.Castagnoli)))) + "-4"
	if v, err := Composite(CRC32C, b64s); err != nil || v.Base64 != want {
		t.Fatalf("CRC32C composite = %+v, %v; want %s", v, err, want)
	}
	b64s = b64s[:0]
	for _, p := range parts {
		b64s = append(b64s, Sum(SHA256, p))
	}
	s := sha256.Sum256(rawSHA)
	want = b64.EncodeToString(s[:]) + "-4"
	if v, err := Composite(SHA256, b64s); err != nil || v.Base64 != want {
		t.Fatalf("SHA256 composite = %+v, %v; want %s", v, err, want)
	}
}

func TestFullObjectKnown(t *testing.T) {
	v, err := FullObject(CRC32, []PartSum{{"NhCmhg==", 5}, {"SjtCyw==", 6}})
	if want := (Value{CRC32, TypeFullObject, "DUoRhQ=="}); err != nil || v != want {
		t.Fatalf("got %+v, %v; want %+v", v, err, want)
	}
	v, err = FullObject(CRC64NVME, nil)
	if err != nil || v.Base64 != Sum(CRC64NVME, nil) {
		t.Fatalf("no parts: %+v, %v", v, err)
	}
}

// TestFullObjectProperty: combining the parts' CRCs gives the CRC of the
// whole, for random data cut at random places (empty parts included).
func TestFullObjectProperty(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	data := make([]byte, 1<<18)
	r.Read(data)
	for _, a := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		for i := range 300 {
			n := r.Intn(len(data) + 1)
			switch i % 5 {
			case 0:
				n = r.Intn(64)
			case 1:
				n = r.Intn(4096)
			}
			whole := data[:n]
			var parts []PartSum
			for p := whole; ; {
				k := 0
				if len(p) > 0 && r.Intn(4) != 0 {
					k = r.Intn(len(p) + 1)
				}
				parts = append(parts, PartSum{Sum(a, p[:k]), int64(k)})
				p = p[k:]
				if len(p) == 0 && r.Intn(3) == 0 {
					break
				}
			}
			v, err := FullObject(a, parts)
			if err != nil {
				t.Fatal(err)
			}
			if want := Sum(a, whole); v.Base64 != want || v.Type != TypeFullObject || v.Algorithm != a {
				t.Fatalf("%s: %d bytes in %d parts: %+v, want %s", a, n, len(parts), v, want)
			}
		}
	}
}

// TestCombineLarge checks the combination on sizes no test can hash: it
// must be associative, and a run of zeros must shift like the tables do.
func TestCombineLarge(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, c := range []*crcPoly{polyCRC32, polyCRC32C, polyCRC64NVME} {
		mask := uint64(1)<<c.width - 1
		if c.width == 64 {
			mask = ^uint64(0)
		}
		for range 200 {
			a, b, d := r.Uint64()&mask, r.Uint64()&mask, r.Uint64()&mask
			n, m := r.Int63n(1<<45), r.Int63n(1<<45)
			left := c.combine(c.combine(a, b, n), d, m)
			right := c.combine(a, c.combine(b, d, m), n+m)
			if left != right {
				t.Fatalf("width %d: not associative for %d, %d", c.width, n, m)
			}
		}
		// x^(8n) by squaring agrees with n multiplications by x^8.
		x8 := c.xpow(8, 0)
		p := c.one()
		for n := range 300 {
			if got := c.xpow(uint64(n), 3); got != p {
				t.Fatalf("width %d: x^(8·%d) = %x, want %x", c.width, n, got, p)
			}
			p = c.mul(p, x8)
		}
	}
}

func TestMultipartErrors(t *testing.T) {
	good := Sum(CRC32, []byte("x"))
	tests := []struct {
		name string
		f    func() (Value, error)
		kind errs.Kind
		msg  string
	}{
		{"full sha256", func() (Value, error) { return FullObject(SHA256, []PartSum{{Sum(SHA256, nil), 0}}) }, errs.InvalidRequest,
			"The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."},
		{"full sha1", func() (Value, error) { return FullObject(SHA1, nil) }, errs.InvalidRequest, "FULL_OBJECT"},
		{"composite crc64nvme", func() (Value, error) { return Composite(CRC64NVME, []string{Sum(CRC64NVME, nil)}) }, errs.InvalidRequest,
			"The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."},
		{"full none", func() (Value, error) { return FullObject(None, nil) }, errs.InvalidRequest, ""},
		{"composite unknown", func() (Value, error) { return Composite("BLAKE3", []string{good}) }, errs.InvalidRequest, "unsupported"},
		{"composite no parts", func() (Value, error) { return Composite(CRC32, nil) }, errs.InvalidRequest, ""},
		{"composite bad part", func() (Value, error) { return Composite(CRC32, []string{good, "y/Q5Jh=="}) }, errs.InvalidArgument,
			"Invalid Base64 or multiple checksums present in request"},
		{"composite wrong size", func() (Value, error) { return Composite(CRC32, []string{Sum(CRC32C, nil), Sum(SHA1, nil)}) }, errs.InvalidArgument, ""},
		{"full bad part", func() (Value, error) { return FullObject(CRC32C, []PartSum{{"!!!!!!==", 1}}) }, errs.InvalidArgument, ""},
		{"full negative size", func() (Value, error) { return FullObject(CRC32, []PartSum{{good, -1}}) }, errs.InvalidArgument, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.f()
			if err == nil || !errors.Is(err, tc.kind) || !strings.Contains(errs.Message(err), tc.msg) {
				t.Fatalf("got %+v, %v; want %v containing %q", v, err, tc.kind, tc.msg)
			}
		})
	}
}

func TestTypes(t *testing.T) {
	for _, tc := range []struct {
		a    Algorithm
		def  Type
		comp bool
		full bool
	}{
		{CRC32, TypeComposite, true, true},
		{CRC32C, TypeComposite, true, true},
		{CRC64NVME, TypeFullObject, false, true},
		{SHA1, TypeComposite, true, false},
		{SHA256, TypeComposite, true, false},
		{MD5, TypeComposite, true, false},
		{SHA512, TypeComposite, true, false},
		{XXHASH64, TypeComposite, true, false},
		{XXHASH3, TypeComposite, true, false},
		{XXHASH128, TypeComposite, true, false},
	} {
		if got := DefaultType(tc.a); got != tc.def {
			t.Errorf("DefaultType(%s) = %s, want %s", tc.a, got, tc.def)
		}
		if err := ValidType(tc.a, DefaultType(tc.a)); err != nil {
			t.Errorf("default type of %s invalid: %v", tc.a, err)
		}
		if err := ValidType(tc.a, TypeComposite); (err == nil) != tc.comp {
			t.Errorf("ValidType(%s, COMPOSITE) = %v", tc.a, err)
		}
		if err := ValidType(tc.a, TypeFullObject); (err == nil) != tc.full {
			t.Errorf("ValidType(%s, FULL_OBJECT) = %v", tc.a, err)
		}
		if err := ValidType(tc.a, TypeNone); err != nil {
			t.Errorf("ValidType(%s, none) = %v", tc.a, err)
		}
		if err := ValidType(tc.a, "PARTIAL"); !errors.Is(err, errs.InvalidRequest) {
			t.Errorf("ValidType(%s, PARTIAL) = %v", tc.a, err)
		}
	}
	if DefaultType(None) != TypeNone {
		t.Error("DefaultType(None) is not TypeNone")
	}
	if err := ValidType(None, TypeComposite); !errors.Is(err, errs.InvalidRequest) {
		t.Errorf("ValidType(None, COMPOSITE) = %v", err)
	}
	for in, want := range map[string]Type{"": TypeNone, "composite": TypeComposite, " FULL_OBJECT": TypeFullObject} {
		if got, err := ParseType(in); got != want || err != nil {
			t.Errorf("ParseType(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseType("FULL"); !errors.Is(err, errs.InvalidRequest) {
		t.Errorf("ParseType(FULL) = %v", err)
	}
}
