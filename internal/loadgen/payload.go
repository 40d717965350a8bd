package loadgen

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"strconv"
)

// Payload modes: how a PUT's body is framed and protected, i.e. what
// x-amz-content-sha256 says. Clients differ here, and servers take a
// different code path for each, so the generator sends what the client being
// imitated sends.
const (
	// PayloadSigned: the hex SHA-256 of the whole body, one plain body
	// (what the AWS CLI v1 and most hand-written clients send over http).
	PayloadSigned = "signed"
	// PayloadChunked: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, aws-chunked with a
	// signature per 64 KiB chunk. minio-go sends it for every PUT over
	// plain http (api.go: "Streaming signature is used by default for a PUT
	// object request ... if the initialized client is secure ... we don't
	// need to perform streaming signature"), so this is what warp sends.
	PayloadChunked = "chunked"
	// PayloadTrailer: STREAMING-UNSIGNED-PAYLOAD-TRAILER, aws-chunked
	// without signatures and a CRC trailer (x-amz-checksum-crc32 by default):
	// what aws-sdk-go-v2 and boto3 send by default since their 2025 "data
	// integrity protections" releases.
	PayloadTrailer = "trailer"
	// PayloadUnsigned: UNSIGNED-PAYLOAD, one plain body nobody hashes.
	PayloadUnsigned = "unsigned"
)

// PayloadModes lists the modes, the default first.
var PayloadModes = []string{PayloadChunked, PayloadSigned, PayloadTrailer, PayloadUnsigned}

// Checksum algorithms for PayloadTrailer.
const (
	ChecksumCRC32     = "crc32"
	ChecksumCRC64NVME = "crc64nvme"
)

const (
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	unsignedPayload          = "UNSIGNED-PAYLOAD"

	// DefaultChunkSize is minio-go's payloadChunkSize
	// (pkg/signer/request-signature-streaming.go: 64 * 1024) and
	// aws-sdk-go-v2's defaultChunkLength for bodies of unknown length.
	DefaultChunkSize = 64 * kib
	// minChunkSize: the SigV4 streaming spec requires every chunk but the
	// last to be at least 8 KiB.
	minChunkSize = 8 * kib

	chunkSigPrefix = ";chunk-signature="
)

// crc64NVME is the CRC-64/NVME table (reflected polynomial
// 0x9a6c9329ac4bc9b5, S3's x-amz-checksum-crc64nvme). hash/crc64's Update
// pre- and post-inverts, which is the algorithm's init and xorout.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// Body is a PUT payload prepared once: its bytes and every digest a payload
// mode needs, so that a request costs only what the imitated client would
// spend beyond hashing (the chunk signatures' HMACs, which depend on the
// request's time and so cannot be precomputed).
type Body struct {
	Data   []byte
	SHA256 string // hex, for PayloadSigned
	MD5    string // base64, for Content-MD5

	chunkSize int
	chunkSHA  [][sha256.Size]byte // SHA-256 of each chunkSize chunk
	crc32     string              // base64 of the big-endian CRC32 (IEEE)
	crc64     string              // base64 of the big-endian CRC-64/NVME
}

// NewBody hashes data for every mode; chunkSize is the aws-chunked chunk
// size of PayloadChunked (0: DefaultChunkSize).
func NewBody(data []byte, chunkSize int) *Body {
	if chunkSize <= 0 {
		chunkSize = DefaultChunkSize
	}
	sum := sha256.Sum256(data)
	m := md5.Sum(data)
	b := &Body{
		Data:      data,
		SHA256:    hex.EncodeToString(sum[:]),
		MD5:       base64.StdEncoding.EncodeToString(m[:]),
		chunkSize: chunkSize,
	}
	for off := 0; off < len(data); off += chunkSize {
		b.chunkSHA = append(b.chunkSHA, sha256.Sum256(data[off:min(off+chunkSize, len(data))]))
	}
	var c4 [4]byte
	binary.BigEndian.PutUint32(c4[:], crc32.ChecksumIEEE(data))
	b.crc32 = base64.StdEncoding.EncodeToString(c4[:])
	var c8 [8]byte
	binary.BigEndian.PutUint64(c8[:], crc64.Checksum(data, crc64NVME))
	b.crc64 = base64.StdEncoding.EncodeToString(c8[:])
	return b
}

// Checksum returns the trailer header name and base64 value for algorithm
// (ChecksumCRC32 or ChecksumCRC64NVME).
func (b *Body) Checksum(algorithm string) (name, value string) {
	if algorithm == ChecksumCRC64NVME {
		return "x-amz-checksum-crc64nvme", b.crc64
	}
	return "x-amz-checksum-crc32", b.crc32
}

var (
	crlf            = []byte("\r\n")
	emptySHA256Bin  = sha256.Sum256(nil)
	finalUnsigned   = []byte("0\r\n")
	hexSigLen       = 2 * sha256.Size
	signedFinalHead = "0" + chunkSigPrefix
)

// chunkedLength is the encoded length of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// body of n bytes in chunks of size: it is signed (Content-Length) before
// any chunk signature exists.
func chunkedLength(n int64, size int) int64 {
	chunk := func(k int64) int64 {
		return int64(len(strconv.FormatInt(k, 16))+len(chunkSigPrefix)+hexSigLen+2) + k + 2
	}
	full := n / int64(size)
	total := full * chunk(int64(size))
	if rest := n % int64(size); rest > 0 {
		total += chunk(rest)
	}
	return total + chunk(0) // the final chunk: "0;chunk-signature=...\r\n" + "\r\n"
}

// chunkedSegments frames b as aws-chunked with chained chunk signatures,
// starting from seed (the request's signature). The data segments alias
// b.Data; only the chunk headers are allocated.
func chunkedSegments(s *Signer, amzDate, seed string, b *Body) [][]byte {
	segs := make([][]byte, 0, 3*len(b.chunkSHA)+1)
	prev := seed
	for i := range b.chunkSHA {
		off := i * b.chunkSize
		data := b.Data[off:min(off+b.chunkSize, len(b.Data))]
		prev = s.ChunkSignature(amzDate, prev, &b.chunkSHA[i])
		head := make([]byte, 0, 16+len(chunkSigPrefix)+hexSigLen+2)
		head = strconv.AppendInt(head, int64(len(data)), 16)
		head = append(head, chunkSigPrefix...)
		head = append(head, prev...)
		head = append(head, crlf...)
		segs = append(segs, head, data, crlf)
	}
	last := s.ChunkSignature(amzDate, prev, &emptySHA256Bin)
	segs = append(segs, []byte(signedFinalHead+last+"\r\n\r\n"))
	return segs
}

// trailerSegments frames b as STREAMING-UNSIGNED-PAYLOAD-TRAILER: chunks of
// size bytes without signatures (size <= 0: the whole body in one chunk,
// as aws-sdk-go-v2 sends a body of known length), the final chunk, the
// checksum trailer and the closing blank line.
func trailerSegments(b *Body, size int, trailerName, trailerValue string) [][]byte {
	if size <= 0 {
		size = max(len(b.Data), 1)
	}
	var segs [][]byte
	for off := 0; off < len(b.Data); off += size {
		data := b.Data[off:min(off+size, len(b.Data))]
		head := strconv.AppendInt(make([]byte, 0, 18), int64(len(data)), 16)
		segs = append(segs, append(head, crlf...), data, crlf)
	}
	segs = append(segs, finalUnsigned, []byte(trailerName+":"+trailerValue+"\r\n\r\n"))
	return segs
}

func segmentsLength(segs [][]byte) int64 {
	var n int64
	for _, s := range segs {
		n += int64(len(s))
	}
	return n
}

// segmentReader reads a list of byte slices in order without copying them
// together first.
type segmentReader struct {
	segs [][]byte
	i    int
	off  int
}

func (r *segmentReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.i < len(r.segs) {
		c := copy(p[n:], r.segs[r.i][r.off:])
		n += c
		r.off += c
		if r.off == len(r.segs[r.i]) {
			r.i, r.off = r.i+1, 0
		}
	}
	if n == 0 && r.i >= len(r.segs) {
		return 0, io.EOF
	}
	return n, nil
}

func (r *segmentReader) Close() error { return nil }

// validPayload reports a problem with a mode, checksum and chunk size.
func validPayload(mode, checksum string, chunkSize int) error {
	switch mode {
	case "", PayloadSigned, PayloadChunked, PayloadTrailer, PayloadUnsigned:
	default:
		return fmt.Errorf("payload %q: want one of %v", mode, PayloadModes)
	}
	switch checksum {
	case "", ChecksumCRC32, ChecksumCRC64NVME:
	default:
		return fmt.Errorf("checksum %q: want crc32 or crc64nvme", checksum)
	}
	if chunkSize != 0 && chunkSize < minChunkSize {
		return fmt.Errorf("chunk size %d: the SigV4 streaming spec wants at least %d bytes", chunkSize, minChunkSize)
	}
	return nil
}
