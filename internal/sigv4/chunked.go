package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"sync"

	"coffer/internal/errs"
)

// aws-chunked framing (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html):
//
//	hex-size[;chunk-signature=sig]\r\n <size bytes> \r\n   ... repeated
//	0[;chunk-signature=sig]\r\n                             final chunk
//	[name:value\r\n ...][x-amz-trailer-signature:sig\r\n]   trailer modes
//	\r\n
//
// Each signature chains on the previous one, starting from the request's
// own signature (the seed), so chunks can be neither reordered, dropped nor
// spliced in from another upload.

const (
	// readBufSize is the decoder's read buffer, for every body: it holds
	// the chunk-size lines (two of the longest allowed), a whole small
	// body (a 4 KiB PUT arrives in one read) and the data of small chunks.
	// A chunk's data beyond what one fill brought in is read straight from
	// the connection into the caller's slice, because bufio reads past
	// its buffer when the caller asks for at least its size: with 64 KiB
	// chunks (minio-go, warp) about 7/8 of the body is never copied. A
	// buffer of 128 KiB, bigger than a chunk, copied every byte and was
	// allocated afresh for every large body (81% of the bytes allocated
	// under mixed; docs/benchmarks.md, "mixed: the write path's own CPU").
	readBufSize = 2 * maxLineSize
	// maxChunkSize only rejects absurd sizes. Chunks are streamed, never
	// held, so a big one costs no memory; SDKs send 64 KiB to 16 MiB+.
	maxChunkSize = 5 << 30
	// maxLineSize bounds chunk-header and trailer lines (~90 bytes in practice).
	maxLineSize = 4 << 10
	// maxTrailerSize and maxTrailerLines bound the trailer section (one or
	// two checksum lines in practice).
	maxTrailerSize  = 16 << 10
	maxTrailerLines = 64

	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
)

type chunkState uint8

const (
	stHeader chunkState = iota // expecting a chunk-size line
	stData                     // inside a chunk's data
	stDone                     // final chunk and trailers consumed
)

// chunkDecoder is the streaming half of BodyReader. Its hash state, read
// buffer and scratch buffers are reused for every chunk and, through
// decoders, across bodies.
type chunkDecoder struct {
	br            *bufio.Reader
	signed        bool // chunks carry chunk-signature
	trailers      bool // a trailer section is expected
	signedTrailer bool // ... and carries x-amz-trailer-signature

	state     chunkState
	remaining int64 // bytes left in the current chunk
	decoded   int64 // payload bytes delivered so far
	want      int64 // x-amz-decoded-content-length, -1 if unknown
	index     int   // chunk number, for messages

	amzDate, scope string
	key            [32]byte          // the signing key (HMAC-SHA256 of each string to sign)
	sum            hash.Hash         // SHA-256 of the current chunk (or trailer)
	prev           [2 * 32]byte      // hex of the previous signature in the chain
	claim          [32]byte          // signature the client sent for this chunk
	digest         [sha256.Size]byte // scratch
	macOut         [sha256.Size]byte // scratch
	sts            []byte            // scratch string to sign

	trailer http.Header
}

// decoders holds idle decoders, read buffer included, so that a body
// costs no allocation of its own. A decoder goes back when its body ended
// (EOF or a failed check), after which BodyReader never touches it again;
// one abandoned half-read is left to the collector.
var decoders = sync.Pool{New: func() any {
	return &chunkDecoder{br: bufio.NewReaderSize(nil, readBufSize), sum: sha256.New(), sts: make([]byte, 0, 256)}
}}

func newChunkDecoder(a *Auth, raw io.Reader) *chunkDecoder {
	d := decoders.Get().(*chunkDecoder)
	d.br.Reset(raw)
	d.sum.Reset()
	d.signed = a.Mode == PayloadStreamingSigned || a.Mode == PayloadStreamingSignedTrailer
	d.trailers = a.Mode == PayloadStreamingUnsignedTrailer || a.Mode == PayloadStreamingSignedTrailer
	d.signedTrailer = a.Mode == PayloadStreamingSignedTrailer
	d.state, d.remaining, d.decoded, d.want, d.index = stHeader, 0, 0, a.DecodedLength, 0
	d.amzDate, d.scope, d.key = a.amzDate, a.scope, a.signingKey
	if d.amzDate == "" { // an Auth not made by Verify
		d.amzDate = a.Date.UTC().Format(amzDateLayout)
	}
	d.trailer = nil
	// A malformed seed (an Auth not made by Verify) simply fails the first
	// comparison; it must not panic.
	d.prev = [2 * 32]byte{}
	copy(d.prev[:], a.seedSignature)
	return d
}

// release returns the decoder to the pool once its body is over.
func (d *chunkDecoder) release() {
	d.br.Reset(nil)
	d.trailer = nil
	decoders.Put(d)
}

// read delivers payload bytes from at most one chunk per call.
func (d *chunkDecoder) read(p []byte) (int, error) {
	for {
		switch d.state {
		case stDone:
			return 0, io.EOF
		case stHeader:
			if err := d.readChunkHeader(); err != nil {
				return 0, err
			}
		case stData:
			if len(p) == 0 {
				return 0, nil
			}
			if int64(len(p)) > d.remaining {
				p = p[:d.remaining]
			}
			n, err := d.br.Read(p)
			if d.signed {
				d.sum.Write(p[:n])
			}
			d.remaining -= int64(n)
			d.decoded += int64(n)
			if d.want >= 0 && d.decoded > d.want {
				return n, errs.New(errs.IncompleteBody,
					"The decoded body is longer than x-amz-decoded-content-length (%d bytes)", d.want)
			}
			if err != nil {
				if err == io.EOF {
					err = truncated("inside chunk %d", d.index)
				}
				return n, err
			}
			if d.remaining == 0 {
				// Check the chunk now, so its failure travels with its last bytes.
				if err := d.endChunk(); err != nil {
					return n, err
				}
			}
			return n, nil
		}
	}
}

func truncated(format string, args ...any) *errs.Error {
	e := errs.New(errs.IncompleteBody, format, args...)
	e.Msg = "The request body ended unexpectedly " + e.Msg
	return e
}

func malformed(format string, args ...any) *errs.Error {
	e := errs.New(errs.InvalidRequest, format, args...)
	e.Msg = "Malformed aws-chunked body: " + e.Msg
	return e
}

// readLine returns the next line without its line ending (CRLF, or a bare
// LF: tolerated, it is unambiguous). At EOF it returns the partial line and
// io.EOF. The slice is only valid until the next read.
func (d *chunkDecoder) readLine() ([]byte, error) {
	line, err := d.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxLineSize {
		return nil, malformed("line longer than %d bytes", maxLineSize)
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, err
}

// readChunkHeader parses "hex-size[;chunk-signature=hex][;ext...]".
func (d *chunkDecoder) readChunkHeader() error {
	d.index++
	line, err := d.readLine()
	if err == io.EOF {
		return truncated("before chunk %d", d.index)
	}
	if err != nil {
		return err
	}
	sizeField, ext, _ := bytes.Cut(line, []byte{';'})
	size, ok := parseHexSize(sizeField)
	if !ok {
		return malformed("chunk %d: bad chunk size %s", d.index, quoteShort(string(sizeField)))
	}
	var sig []byte
	for len(ext) > 0 {
		var e []byte
		e, ext, _ = bytes.Cut(ext, []byte{';'})
		if v, ok := bytes.CutPrefix(bytes.TrimSpace(e), []byte("chunk-signature=")); ok {
			sig = v
		}
	}
	if d.signed {
		if sig == nil {
			return errs.New(errs.SignatureDoesNotMatch, "chunk %d has no chunk-signature", d.index)
		}
		if len(sig) != 2*len(d.claim) {
			return errs.New(errs.SignatureDoesNotMatch, "chunk %d: %s", d.index, msgSignatureMismatch)
		}
		if _, err := hex.Decode(d.claim[:], sig); err != nil {
			return errs.New(errs.SignatureDoesNotMatch, "chunk %d: %s", d.index, msgSignatureMismatch)
		}
	}
	d.sum.Reset()
	if size > 0 {
		d.state, d.remaining = stData, size
		return nil
	}
	// The zero-size chunk ends the payload; it is signed like any other.
	if err := d.verifyChunk(); err != nil {
		return err
	}
	if d.want >= 0 && d.decoded != d.want {
		return errs.New(errs.IncompleteBody,
			"The decoded body has %d bytes, x-amz-decoded-content-length says %d", d.decoded, d.want)
	}
	if err := d.readTrailer(); err != nil {
		return err
	}
	d.state = stDone
	return io.EOF
}

// parseHexSize accepts 1-16 hex digits up to maxChunkSize.
func parseHexSize(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(v)
		if n > maxChunkSize {
			return 0, false
		}
	}
	return n, true
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
// Anything else there means the declared size was wrong.
func (d *chunkDecoder) endChunk() error {
	c, err := d.br.ReadByte()
	if err == nil && c == '\r' {
		c, err = d.br.ReadByte()
	}
	if err == io.EOF {
		return truncated("after chunk %d", d.index)
	}
	if err != nil {
		return err
	}
	if c != '\n' {
		return malformed("chunk %d is longer than its declared size", d.index)
	}
	d.state = stHeader
	return d.verifyChunk()
}

// verifyChunk checks the current chunk's signature against the SHA-256 of its
// data and advances the chain.
func (d *chunkDecoder) verifyChunk() error {
	if !d.signed {
		return nil
	}
	got := d.chainSign(chunkAlgorithm, true)
	if !hmac.Equal(got, d.claim[:]) {
		return errs.New(errs.SignatureDoesNotMatch, "chunk %d: %s", d.index, msgSignatureMismatch)
	}
	hex.Encode(d.prev[:], got)
	return nil
}

// chainSign signs d.sum's digest with a chunk (or trailer) string to sign:
//
//	algorithm \n date \n scope \n previous-signature \n [hash("") \n] hex(digest)
func (d *chunkDecoder) chainSign(alg string, chunk bool) []byte {
	b := append(d.sts[:0], alg...)
	b = append(b, '\n')
	b = append(b, d.amzDate...)
	b = append(b, '\n')
	b = append(b, d.scope...)
	b = append(b, '\n')
	b = append(b, d.prev[:]...)
	b = append(b, '\n')
	if chunk {
		b = append(b, emptySHA256...)
		b = append(b, '\n')
	}
	b = hex.AppendEncode(b, d.sum.Sum(d.digest[:0]))
	d.sts = b
	d.macOut = hmacSum(d.key[:], b)
	return d.macOut[:]
}
