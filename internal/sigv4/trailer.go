package sigv4

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"io"
	"net/http"
	"strings"

	"coffer/internal/errs"
)

const trailerSignatureName = "x-amz-trailer-signature"

// readTrailer consumes what follows the final chunk: in trailer modes the
// trailing headers (x-amz-checksum-*: the object's checksum, computed by the
// client while it streamed) and, when signed, their signature; then the
// closing blank line.
//
// SDKs disagree on the blank lines around the trailer section (aws-sdk-go-v2,
// botocore and the Java SDK send "0\r\n" + trailers + "\r\n"; others add a
// blank line before the trailers, or omit the last one), so a blank line
// right after the final chunk, a missing final blank line and extra CRLFs
// at the end are all accepted. Anything else is refused.
func (d *chunkDecoder) readTrailer() error {
	if d.trailers {
		d.trailer = make(http.Header)
	}
	d.sum.Reset() // now hashes the canonical trailer: "name:value\n" per line
	var sig []byte
	size, lines := 0, 0
	for first := true; ; first = false {
		line, err := d.readLine()
		if err != nil && err != io.EOF {
			return err
		}
		eof := err == io.EOF
		if len(line) == 0 {
			if first && d.trailers && !eof {
				continue
			}
			// minio-go ends its trailers with "\n\r\n", a blank line before
			// the signature: that one does not end the section.
			if d.signedTrailer && sig == nil && !eof && d.signatureNext() {
				continue
			}
			break
		}
		if size, lines = size+len(line), lines+1; size > maxTrailerSize || lines > maxTrailerLines {
			return malformed("trailer section larger than %d bytes or %d lines", maxTrailerSize, maxTrailerLines)
		}
		if sig != nil {
			return malformed("data after %s", trailerSignatureName)
		}
		rawName, rawValue, ok := bytes.Cut(line, []byte{':'})
		name := strings.ToLower(string(bytes.TrimSpace(rawName)))
		if !ok || name == "" || !isToken(name) {
			return malformed("bad trailer line %s", quoteShort(string(line)))
		}
		value := string(bytes.TrimSpace(rawValue))
		switch {
		case name == trailerSignatureName:
			// Meaningless in the unsigned mode; there it is ignored.
			if d.signedTrailer {
				sig = []byte(value)
			}
		case !d.trailers:
			return malformed("trailing header %s in a request that declared no trailers", quoteShort(name))
		default:
			d.trailer.Add(http.CanonicalHeaderKey(name), value)
			d.sum.Write([]byte(name))
			d.sum.Write([]byte{':'})
			d.sum.Write([]byte(value))
			d.sum.Write([]byte{'\n'})
		}
		if eof {
			break
		}
	}
	if err := d.drain(); err != nil {
		return err
	}
	if !d.signedTrailer {
		return nil
	}
	if sig == nil {
		return truncated("before %s", trailerSignatureName)
	}
	got := d.chainSign(trailerAlgorithm, false)
	if len(sig) != 2*len(d.claim) {
		return errs.New(errs.SignatureDoesNotMatch, "trailer: %s", msgSignatureMismatch)
	}
	if _, err := hex.Decode(d.claim[:], sig); err != nil || !hmac.Equal(got, d.claim[:]) {
		return errs.New(errs.SignatureDoesNotMatch, "trailer: %s", msgSignatureMismatch)
	}
	return nil
}

// signatureNext reports whether the next line is the trailer signature.
func (d *chunkDecoder) signatureNext() bool {
	p, _ := d.br.Peek(len(trailerSignatureName) + 1)
	return len(p) == len(trailerSignatureName)+1 && p[len(p)-1] == ':' &&
		strings.EqualFold(string(p[:len(p)-1]), trailerSignatureName)
}

// drain accepts stray CR/LF after the end of the framing and then requires
// the end of the body: bytes nobody signed must not pass unnoticed.
func (d *chunkDecoder) drain() error {
	for i := 0; ; i++ {
		c, err := d.br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if (c != '\r' && c != '\n') || i >= 8 {
			return malformed("unexpected data after the final chunk")
		}
	}
}
