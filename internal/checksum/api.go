// Package checksum implements S3's object integrity checks: Content-MD5 (and
// the MD5 ETag), and the flexible checksums CRC32, CRC32C, CRC64NVME, MD5,
// SHA1, SHA256, SHA512, XXHASH64, XXHASH3 and XXHASH128, sent in headers or
// aws-chunked trailers, verified at EOF, stored, and combined for multipart
// uploads as COMPOSITE (checksum of the parts' checksums, "-N" suffix, any
// algorithm) or FULL_OBJECT (CRC combination of the parts, CRCs only).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
package checksum

import "hash"

// Algorithm is a flexible-checksum algorithm; the zero value is none.
type Algorithm string

const (
	None      Algorithm = ""
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
	// The algorithms S3 added in 2026: digests and xxHash variants, whose
	// values are the big-endian digest in base64 like the others (XXHASH3
	// is XXH3-64, XXHASH128 XXH3-128, high half first). None of them can
	// be combined, so multipart uploads use them as COMPOSITE only.
	MD5       Algorithm = "MD5"
	SHA512    Algorithm = "SHA512"
	XXHASH64  Algorithm = "XXHASH64"
	XXHASH3   Algorithm = "XXHASH3"
	XXHASH128 Algorithm = "XXHASH128"
)

// Type is how a multipart object's checksum was formed.
type Type string

const (
	TypeNone       Type = ""
	TypeComposite  Type = "COMPOSITE"
	TypeFullObject Type = "FULL_OBJECT"
)

// Value is a stored checksum: the algorithm, the type and the base64 value
// exactly as S3 returns it (a COMPOSITE value carries its "-N" suffix).
type Value struct {
	Algorithm Algorithm `json:"a,omitempty"`
	Type      Type      `json:"t,omitempty"`
	Base64    string    `json:"v,omitempty"`
}

// IsZero reports whether no checksum is recorded.
func (v Value) IsZero() bool { return v.Algorithm == None }

// Expect is what a client claims about a body, parsed from its headers.
type Expect struct {
	// ContentMD5 is the Content-MD5 header, base64 ("" if absent).
	ContentMD5 string
	// Algorithm is the checksum the client asked for (header value present,
	// x-amz-sdk-checksum-algorithm, or x-amz-trailer). None means compute the
	// default (CRC64NVME, as AWS does) without verifying anything.
	Algorithm Algorithm
	// Value is the expected base64 checksum from a header; "" when it will
	// arrive in a trailer (then Trailer returns it after EOF) or not at all.
	Value string
	// Trailer, when set, returns the trailer's value once the body hit EOF.
	Trailer func() string
}

// Reader passes a body through, computing MD5 and the checksum; at EOF it
// verifies them against Expect and returns an error of kind BadDigest
// instead of io.EOF when one does not match.
type Reader struct{ impl readerImpl }

// NewReader wraps r. It fails (InvalidDigest, InvalidRequest) when Expect
// holds a malformed value.
func NewReader(r interface{ Read([]byte) (int, error) }, e Expect) (*Reader, error) {
	return newReader(r, e, nil)
}

// NewReaderMD5 is NewReader hashing MD5 with md, a fresh hash (nil:
// crypto/md5), such as md5x's shared stream for a large body. A hash with a
// Close method is closed once the sum is taken at EOF, or here when
// NewReaderMD5 fails.
func NewReaderMD5(r interface{ Read([]byte) (int, error) }, e Expect, md hash.Hash) (*Reader, error) {
	rd, err := newReader(r, e, md)
	if c, ok := md.(interface{ Close() }); ok && err != nil {
		c.Close()
	}
	return rd, err
}

func (r *Reader) Read(p []byte) (int, error) { return r.impl.read(p) }

// Size is the number of bytes read so far.
func (r *Reader) Size() int64 { return r.impl.size() }

// MD5 is the body's MD5, valid after EOF.
func (r *Reader) MD5() []byte { return r.impl.md5() }

// Checksum is the body's computed checksum (the requested or default
// algorithm, type none), valid after EOF.
func (r *Reader) Checksum() Value { return r.impl.checksum() }

// Requested reports whether the client asked for Checksum's algorithm (so S3
// echoes it), as opposed to the computed default.
func (r *Reader) Requested() bool { return r.impl.requested() }
