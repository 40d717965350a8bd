package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"

	"coffer/internal/errs"
)

// Algorithms lists every supported algorithm, in AWS's order (the API
// reference's Checksum type).
var Algorithms = []Algorithm{CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH64, XXHASH3, XXHASH128}

// maxSize is the largest digest size of any algorithm (SHA512).
const maxSize = sha512.Size

// b64 is the encoding of every checksum value. Strict: S3 rejects values
// whose unused trailing bits are not zero ("y/Q5Jh==" for CRC32).
var b64 = base64.StdEncoding.Strict()

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// msgUnsupported is AWS's answer to an algorithm name it does not know.
const msgUnsupported = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH64, XXHASH3, XXHASH128]"

// ParseAlgorithm parses an algorithm name, case-insensitively and ignoring
// surrounding blanks. "" is None (no algorithm) without error; an unknown
// name is an InvalidRequest error with AWS's message.
func ParseAlgorithm(s string) (Algorithm, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return None, nil
	}
	for _, a := range Algorithms {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return None, errs.New(errs.InvalidRequest, msgUnsupported)
}

// Valid reports whether a is one of the supported algorithms (not None).
func (a Algorithm) Valid() bool { return a.Size() != 0 }

// Size is the length in bytes of a's raw digest; 0 for None or unknown.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return crc32.Size
	case CRC64NVME:
		return Size64
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case MD5, XXHASH128:
		return md5.Size // 16, XXH3-128 too
	case SHA512:
		return sha512.Size
	case XXHASH64, XXHASH3:
		return 8
	}
	return 0
}

// IsCRC reports whether a is one of the CRCs, the algorithms whose values
// can be combined into a FULL_OBJECT checksum.
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// HeaderName is the header (and trailer) carrying a's value, e.g.
// "x-amz-checksum-crc32"; "" for None or unknown.
func (a Algorithm) HeaderName() string {
	switch a {
	case CRC32:
		return "x-amz-checksum-crc32"
	case CRC32C:
		return "x-amz-checksum-crc32c"
	case CRC64NVME:
		return "x-amz-checksum-crc64nvme"
	case SHA1:
		return "x-amz-checksum-sha1"
	case SHA256:
		return "x-amz-checksum-sha256"
	case MD5:
		return "x-amz-checksum-md5"
	case SHA512:
		return "x-amz-checksum-sha512"
	case XXHASH64:
		return "x-amz-checksum-xxhash64"
	case XXHASH3:
		return "x-amz-checksum-xxhash3"
	case XXHASH128:
		return "x-amz-checksum-xxhash128"
	}
	return ""
}

// algorithmFromHeader maps a header name (any case) to its algorithm.
func algorithmFromHeader(name string) (Algorithm, bool) {
	for _, a := range Algorithms {
		if strings.EqualFold(name, a.HeaderName()) {
			return a, true
		}
	}
	return None, false
}

// New returns a fresh hash for a; Sum appends the big-endian digest. It
// returns nil for None or an unknown algorithm.
func New(a Algorithm) hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return NewCRC64NVME()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case MD5:
		return md5.New()
	case SHA512:
		return sha512.New()
	case XXHASH64:
		return xxhash.New() // Sum: big-endian, as S3
	case XXHASH3:
		return xxh3.New() // Sum: big-endian XXH3-64
	case XXHASH128:
		return xxh3.New128() // Sum: big-endian, high 64 bits first (XXH128's canonical form)
	}
	return nil
}

// Sum returns the base64 checksum of data; "" for None or unknown.
func Sum(a Algorithm, data []byte) string {
	switch a {
	case CRC32:
		return encode32(crc32.ChecksumIEEE(data))
	case CRC32C:
		return encode32(crc32.Checksum(data, castagnoli))
	case CRC64NVME:
		return encode64(ChecksumCRC64NVME(data))
	}
	h := New(a)
	if h == nil {
		return ""
	}
	h.Write(data)
	var buf [maxSize]byte
	return b64.EncodeToString(h.Sum(buf[:0]))
}

// ValidValue reports whether b64 is the canonical base64 of exactly
// a.Size() bytes.
func ValidValue(a Algorithm, s string) bool {
	_, ok := decodeValue(a, s)
	return ok
}

// rawSum holds a decoded digest; only the first Algorithm.Size() bytes count.
type rawSum [maxSize]byte

// decodeValue decodes a base64 value of a, strictly and without allocating.
func decodeValue(a Algorithm, s string) (rawSum, bool) {
	var raw rawSum
	n := a.Size()
	if n == 0 || len(s) != b64.EncodedLen(n) {
		return raw, false
	}
	// Room for what any string of that length may decode to: a malformed
	// value can decode to more bytes than the algorithm's size.
	var src [(maxSize + 2) / 3 * 4]byte
	var dst [(maxSize + 2) / 3 * 3]byte
	m, err := b64.Decode(dst[:], src[:copy(src[:], s)])
	if err != nil || m != n {
		return raw, false
	}
	copy(raw[:], dst[:n])
	return raw, true
}

func encode32(v uint32) string {
	b := [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return b64.EncodeToString(b[:])
}

func encode64(v uint64) string {
	b := [8]byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32),
		byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return b64.EncodeToString(b[:])
}
