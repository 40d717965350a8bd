package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"

	"coffer/internal/errs"
)

// BodyReader yields a request's decoded, verified payload. Errors are
// sticky: once Read has failed (or reached io.EOF) every later call returns
// the same error, so a caller can never read past a failed check.
//
// Bytes of a chunk are delivered before that chunk's signature (which the
// client computes over the whole chunk) can be checked; the failure is
// returned no later than the Read that delivers the chunk's last byte. The
// caller must discard the whole body on any error, which it does anyway for
// a failed upload. This lets chunks of any size stream through without being
// buffered.
type BodyReader struct {
	mode PayloadMode
	raw  io.Reader
	err  error

	// PayloadSigned: the running hash and the declared one.
	sum  hash.Hash
	want string

	// Streaming modes: the decoder until the body ended (then released),
	// and the trailer it read.
	chunks  *chunkDecoder
	trailer http.Header
}

func newBodyReader(a *Auth, raw io.Reader) *BodyReader {
	if raw == nil {
		raw = http.NoBody
	}
	b := &BodyReader{mode: a.Mode, raw: raw}
	switch a.Mode {
	case PayloadSigned:
		b.sum, b.want = sha256.New(), a.PayloadHash
	case PayloadStreamingSigned, PayloadStreamingUnsignedTrailer, PayloadStreamingSignedTrailer:
		b.chunks = newChunkDecoder(a, raw)
	}
	return b
}

// Read implements io.Reader.
func (b *BodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	var n int
	var err error
	switch b.mode {
	case PayloadSigned:
		n, err = b.readSigned(p)
	case PayloadUnsigned:
		n, err = b.raw.Read(p)
	default:
		n, err = b.chunks.read(p)
	}
	if err != nil {
		b.err = err
		if b.chunks != nil {
			// The body is over: no later call reaches the decoder.
			b.trailer = b.chunks.trailer
			b.chunks.release()
			b.chunks = nil
		}
	}
	return n, err
}

// readSigned passes bytes through while hashing them, and turns the final
// io.EOF into ContentSHA256Mismatch when the digest differs from the one the
// client signed. An empty body hashes to e3b0c442... like any other.
func (b *BodyReader) readSigned(p []byte) (int, error) {
	n, err := b.raw.Read(p)
	b.sum.Write(p[:n])
	if err == io.EOF {
		var d [sha256.Size]byte
		if hex.EncodeToString(b.sum.Sum(d[:0])) != b.want {
			return n, errs.Field(errs.ContentSHA256Mismatch, "x-amz-content-sha256",
				"The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	return n, err
}

// Trailer returns the trailing headers sent after the last chunk (keys in
// http.CanonicalHeaderKey form, e.g. "X-Amz-Checksum-Crc32"). It is nil until
// Read has returned io.EOF, and for modes without trailers.
func (b *BodyReader) Trailer() http.Header {
	if b.err != io.EOF {
		return nil
	}
	return b.trailer
}
