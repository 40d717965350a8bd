package checksum

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"math/rand"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"

	"coffer/internal/errs"
)

func be64(v uint64) string { return encode64(v) }

// nvmeBuf builds the NVMe spec's 4 KiB test buffers.
func nvmeBuf(f func(i int) byte) []byte {
	b := make([]byte, 4096)
	for i := range b {
		b[i] = f(i)
	}
	return b
}

func TestKnownVectors(t *testing.T) {
	hello, digits := []byte("hello world"), []byte("123456789")
	tests := []struct {
		name string
		a    Algorithm
		data []byte
		want string
	}{
		// aws-sdk-go-v2 service/internal/checksum algorithms_test.go
		{"sdk/crc32", CRC32, hello, "DUoRhQ=="},
		{"sdk/crc32c", CRC32C, hello, "yZRlqg=="},
		{"sdk/crc64nvme", CRC64NVME, hello, "jSnVw/bqjr4="},
		{"sdk/sha1", SHA1, hello, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
		{"sdk/sha256", SHA256, hello, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
		// The CRC catalogue's check input, as S3 answers it.
		{"check/crc32", CRC32, digits, "y/Q5Jg=="},
		{"check/crc32c", CRC32C, digits, "4waSgw=="},
		{"check/crc64nvme", CRC64NVME, digits, be64(0xae8b14860a799888)},
		{"check/crc64nvme-b64", CRC64NVME, digits, "rosUhgp5mIg="},
		{"check/sha1", SHA1, digits, "98O8HYCOBHMq32eZZczDTKeuNEE="},
		{"check/sha256", SHA256, digits, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="},
		// Empty input.
		{"empty/crc32", CRC32, nil, "AAAAAA=="},
		{"empty/crc32c", CRC32C, nil, "AAAAAA=="},
		{"empty/crc64nvme", CRC64NVME, nil, "AAAAAAAAAAA="},
		{"empty/sha1", SHA1, nil, "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
		{"empty/sha256", SHA256, nil, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		// NVM Command Set spec 5.2.1.3.5, "64b CRC Test Cases" (4 KiB).
		{"nvme/zeros", CRC64NVME, nvmeBuf(func(int) byte { return 0 }), be64(0x6482d367eb22b64e)},
		{"nvme/ones", CRC64NVME, nvmeBuf(func(int) byte { return 0xff }), be64(0xc0ddba7302eca3ac)},
		{"nvme/inc", CRC64NVME, nvmeBuf(func(i int) byte { return byte(i) }), be64(0x3e729f5f6750449c)},
		{"nvme/dec", CRC64NVME, nvmeBuf(func(i int) byte { return byte(255 - i) }), be64(0x9a2df64b8e9e517e)},
		// aws-checksums tests and crc64fast-nvme docs.
		{"awscrt/32zeros", CRC64NVME, make([]byte, 32), be64(0xcf3473434d4ecf3b)},
		{"crc64fast/hello", CRC64NVME, []byte("hello world!"), be64(0xd9160d1fa8e418e3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sum(tc.a, tc.data); got != tc.want {
				t.Errorf("Sum = %q, want %q", got, tc.want)
			}
			// The streaming hash, written in uneven pieces, agrees.
			h := New(tc.a)
			for p := tc.data; len(p) > 0; {
				n := min(len(p), 1+len(p)/3)
				h.Write(p[:n])
				p = p[n:]
			}
			if got := b64.EncodeToString(h.Sum(nil)); got != tc.want {
				t.Errorf("New().Sum = %q, want %q", got, tc.want)
			}
			if !ValidValue(tc.a, tc.want) {
				t.Errorf("ValidValue(%q) = false", tc.want)
			}
		})
	}
}

// TestAgainstStdlib checks every algorithm against an independent
// implementation on random data of many lengths and alignments.
func TestAgainstStdlib(t *testing.T) {
	nvme := crc64.MakeTable(crc64NVMEPoly)
	ref := map[Algorithm]func([]byte) []byte{
		CRC32: func(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) },
		CRC32C: func(b []byte) []byte {
			return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
		},
		CRC64NVME: func(b []byte) []byte { return binary.BigEndian.AppendUint64(nil, crc64.Checksum(b, nvme)) },
		SHA1:      func(b []byte) []byte { s := sha1.Sum(b); return s[:] },
		SHA256:    func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		MD5:       func(b []byte) []byte { s := md5.Sum(b); return s[:] },
		SHA512:    func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
		// The one-shot functions, not the streaming hashes Sum uses, and
		// the byte order written out here: big-endian, XXH128's high half
		// first (aws-checksums writes them so).
		XXHASH64: func(b []byte) []byte { return binary.BigEndian.AppendUint64(nil, xxhash.Sum64(b)) },
		XXHASH3:  func(b []byte) []byte { return binary.BigEndian.AppendUint64(nil, xxh3.Hash(b)) },
		XXHASH128: func(b []byte) []byte {
			h := xxh3.Hash128(b)
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, h.Hi), h.Lo)
		},
	}
	r := rand.New(rand.NewSource(1))
	buf := make([]byte, 70016)
	r.Read(buf)
	for _, a := range Algorithms {
		for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 79, 80, 127, 128, 129, 255, 256, 1000, 4096, 65536, 69999} {
			for _, off := range []int{0, 1, 3, 8} {
				b := buf[off : off+n]
				if got, want := Sum(a, b), b64.EncodeToString(ref[a](b)); got != want {
					t.Fatalf("%s len %d off %d: %s, want %s", a, n, off, got, want)
				}
			}
		}
	}
}

// TestCRC64NVMEPaths checks the accelerated update against the tables for
// every length up to a few blocks, random registers and offsets, and
// chunked writes.
func TestCRC64NVMEPaths(t *testing.T) {
	if !haveCLMUL {
		t.Log("no carry-less multiplication here: testing the tables only")
	}
	r := rand.New(rand.NewSource(2))
	buf := make([]byte, 1<<12)
	r.Read(buf)
	for n := 0; n < 600; n++ {
		off, init := r.Intn(16), r.Uint64()
		b := buf[off : off+n]
		if got, want := update(init, b), updateGeneric(init, b); got != want {
			t.Fatalf("len %d off %d: %x, want %x", n, off, got, want)
		}
	}
	for range 200 {
		n := r.Intn(len(buf))
		whole := ChecksumCRC64NVME(buf[:n])
		d := NewCRC64NVME()
		for p := buf[:n]; len(p) > 0; {
			k := min(len(p), r.Intn(300))
			d.Write(p[:k])
			p = p[k:]
		}
		if d.Sum64() != whole {
			t.Fatalf("chunked len %d: %x, want %x", n, d.Sum64(), whole)
		}
	}
	d := NewCRC64NVME()
	d.Write([]byte("junk"))
	d.Reset()
	d.Write([]byte("123456789"))
	if d.Sum64() != 0xae8b14860a799888 || d.Size() != 8 || d.BlockSize() != 1 {
		t.Fatalf("after Reset: %x", d.Sum64())
	}
	if got := d.Sum([]byte{1}); !bytes.Equal(got, []byte{1, 0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88}) {
		t.Fatalf("Sum appends %x", got)
	}
}

func TestParseAlgorithm(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		err  bool
	}{
		{"CRC32", CRC32, false},
		{"crc32", CRC32, false},
		{"Crc32C", CRC32C, false},
		{"crc64nvme", CRC64NVME, false},
		{" CRC64NVME ", CRC64NVME, false},
		{"sha1", SHA1, false},
		{"SHA256", SHA256, false},
		{"", None, false},
		{"md5", MD5, false},
		{"SHA512", SHA512, false},
		{"xxhash64", XXHASH64, false},
		{"XXHash3", XXHASH3, false},
		{" XXHASH128", XXHASH128, false},
		{"xxhash", None, true},
		{"XXH3", None, true},
		{"sha384", None, true},
		{"crc32,crc32c", None, true},
		{"crc", None, true},
	}
	for _, tc := range tests {
		got, err := ParseAlgorithm(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseAlgorithm(%q) = %q, %v; want %q, err %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil {
			if !errors.Is(err, errs.InvalidRequest) || !strings.HasPrefix(errs.Message(err), "Checksum algorithm provided is unsupported.") {
				t.Errorf("ParseAlgorithm(%q) error %v", tc.in, err)
			}
		}
	}
}

func TestAlgorithmProperties(t *testing.T) {
	tests := []struct {
		a      Algorithm
		header string
		size   int
		crc    bool
	}{
		{CRC32, "x-amz-checksum-crc32", 4, true},
		{CRC32C, "x-amz-checksum-crc32c", 4, true},
		{CRC64NVME, "x-amz-checksum-crc64nvme", 8, true},
		{SHA1, "x-amz-checksum-sha1", 20, false},
		{SHA256, "x-amz-checksum-sha256", 32, false},
		{MD5, "x-amz-checksum-md5", 16, false},
		{SHA512, "x-amz-checksum-sha512", 64, false},
		{XXHASH64, "x-amz-checksum-xxhash64", 8, false},
		{XXHASH3, "x-amz-checksum-xxhash3", 8, false},
		{XXHASH128, "x-amz-checksum-xxhash128", 16, false},
		{None, "", 0, false},
		{"BLAKE3", "", 0, false},
	}
	for _, tc := range tests {
		if got := tc.a.HeaderName(); got != tc.header {
			t.Errorf("%q.HeaderName() = %q, want %q", tc.a, got, tc.header)
		}
		if got := tc.a.Size(); got != tc.size {
			t.Errorf("%q.Size() = %d, want %d", tc.a, got, tc.size)
		}
		if tc.a.IsCRC() != tc.crc || tc.a.Valid() != (tc.size > 0) {
			t.Errorf("%q.IsCRC/Valid wrong", tc.a)
		}
		if h := New(tc.a); (h != nil) != (tc.size > 0) || (h != nil && h.Size() != tc.size) {
			t.Errorf("New(%q) = %v", tc.a, h)
		}
	}
	if Sum(None, []byte("x")) != "" || Sum("BLAKE3", nil) != "" {
		t.Error("Sum of an unknown algorithm is not empty")
	}
}

func TestValidValue(t *testing.T) {
	tests := []struct {
		a    Algorithm
		v    string
		want bool
	}{
		{CRC32, "y/Q5Jg==", true},
		{CRC32, "y/Q5Jh==", false}, // non-zero padding bits: AWS rejects it
		{CRC32, "short===", false},
		{CRC32, "shrt", false},     // 3 bytes
		{CRC32, "toolong=", false}, // 5 bytes
		{CRC32, "^^^^^^==", false},
		{CRC32, "y^/^Q5^J^g==", false},
		{CRC32, "y/Q5Jg", false}, // padding required
		{CRC32, "y/Q5\nJg==", false},
		{CRC32, "", false},
		{CRC32C, "4waSgw==", true},
		{CRC64NVME, "rosUhgp5mIg=", true},
		{CRC64NVME, "rosUhgp5mIh=", false},
		{CRC64NVME, "y/Q5Jg==", false},
		{SHA1, "98O8HYCOBHMq32eZZczDTKeuNEE=", true},
		{SHA1, "98O8HYCOBHMq32eZZczDTKeuNEF=", false},
		{SHA256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=", true},
		{SHA256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiUA", false}, // 33 bytes
		{SHA256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiV=", false},
		{None, "", false},
		{MD5, "1B2M2Y8AsgTpgAmY7PhCfg==", true},
		{MD5, "1B2M2Y8AsgTpgAmY7PhCfh==", false},
		{XXHASH64, "xQCwyRKzdtg=", true},
		{XXHASH64, "xQCwyRKzdtg", false},
		{XXHASH128, "xQCwyRKzdtg=", false}, // 8 bytes, not 16
		{"BLAKE3", "1B2M2Y8AsgTpgAmY7PhCfg==", false},
	}
	for _, tc := range tests {
		if got := ValidValue(tc.a, tc.v); got != tc.want {
			t.Errorf("ValidValue(%s, %q) = %v, want %v", tc.a, tc.v, got, tc.want)
		}
	}
}
