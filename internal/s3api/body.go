package s3api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/sigv4"
)

// The request body chain, outermost last:
//
//	r.Body → sigv4 BodyReader (aws-chunked decoding, chunk signatures,
//	payload SHA-256) → exactReader (declared length) → checksum.Reader
//	(Content-MD5, x-amz-checksum-*, header or trailer; MD5 for the ETag)
//
// Each stage reports a failure as a Read error; the object layer aborts the
// write on any Read error, so a bad body never becomes visible.

// isStreaming reports an aws-chunked body, whose object size is
// x-amz-decoded-content-length rather than Content-Length.
func isStreaming(ri *requestInfo, r *http.Request) bool {
	if ri.Auth != nil {
		switch ri.Auth.Mode {
		case sigv4.PayloadStreamingSigned, sigv4.PayloadStreamingUnsignedTrailer, sigv4.PayloadStreamingSignedTrailer:
			return true
		}
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return true
	}
	for p := range strings.SplitSeq(r.Header.Get("Content-Encoding"), ",") {
		if strings.EqualFold(strings.TrimSpace(p), "aws-chunked") {
			return true
		}
	}
	return false
}

// objectSize is the size of the object a PUT or UploadPart carries.
func (s *server) objectSize(ri *requestInfo, r *http.Request) (int64, error) {
	var size int64
	switch {
	case isStreaming(ri, r):
		if ri.Auth != nil && ri.Auth.DecodedLength >= 0 {
			size = ri.Auth.DecodedLength
			break
		}
		v := r.Header.Get("X-Amz-Decoded-Content-Length")
		if v == "" {
			return 0, errs.Field(errs.MissingContentLength, "x-amz-decoded-content-length", "You must provide the x-amz-decoded-content-length header with aws-chunked bodies.")
		}
		n, ok := parseDigits(v)
		if !ok {
			return 0, errs.Field(errs.InvalidArgument, "x-amz-decoded-content-length", "x-amz-decoded-content-length is not a valid length")
		}
		size = n
	case r.ContentLength < 0, r.ContentLength == 0 && r.Header.Get("Content-Length") == "":
		return 0, errs.New(errs.MissingContentLength, "You must provide the Content-Length HTTP header.")
	default:
		size = r.ContentLength
	}
	if size > s.opts.MaxObjectSize {
		return 0, errs.New(errs.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size of %d bytes", s.opts.MaxObjectSize)
	}
	return size, nil
}

// objectBody builds the body chain of a PutObject or UploadPart and returns
// it with the object's size.
func (s *server) objectBody(ri *requestInfo, r *http.Request) (*checksum.Reader, int64, error) {
	size, err := s.objectSize(ri, r)
	if err != nil {
		return nil, 0, err
	}
	expect, err := checksum.FromHeaders(r.Header)
	if err != nil {
		return nil, 0, err
	}
	body, err := s.checkedBody(ri, r, size, expect)
	return body, size, err
}

// checkedBody wraps r.Body in the verification chain, checking it against
// expect. size < 0 skips the length check (XML bodies, bounded by their
// reader instead).
func (s *server) checkedBody(ri *requestInfo, r *http.Request, size int64, expect checksum.Expect) (*checksum.Reader, error) {
	var body io.Reader = r.Body
	if body == nil {
		body = http.NoBody
	}
	if ri.Auth != nil {
		br := ri.Auth.Body(body)
		body = br
		if name := declaredTrailer(r.Header); name != "" && expect.Algorithm != checksum.None && expect.Value == "" {
			expect.Trailer = func() string { return br.Trailer().Get(name) }
		}
	}
	if size >= 0 {
		body = &exactReader{r: body, remaining: size}
	} else {
		body = typedErrReader{body}
	}
	return checksum.NewReaderMD5(body, expect, s.opts.MD5.Hash(size))
}

// readXMLBody reads a request's XML document of at most limit bytes through
// the verification chain, so that a signed payload hash, a Content-MD5 or an
// x-amz-checksum-* header is checked before the document is acted on.
func (s *server) readXMLBody(ri *requestInfo, r *http.Request, limit int64) ([]byte, error) {
	expect, err := checksum.FromHeaders(r.Header)
	if err != nil {
		return nil, err
	}
	return s.readXML(ri, r, limit, expect)
}

func (s *server) readXML(ri *requestInfo, r *http.Request, limit int64, expect checksum.Expect) ([]byte, error) {
	body, err := s.checkedBody(ri, r, -1, expect)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, malformed("The XML you provided was larger than the maximum of %d bytes", limit)
	}
	return data, nil
}

// declaredTrailer is the checksum header named in x-amz-trailer, if any.
func declaredTrailer(h http.Header) string {
	for p := range strings.SplitSeq(h.Get("X-Amz-Trailer"), ",") {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(strings.ToLower(p), "x-amz-checksum-") {
			return p
		}
	}
	return ""
}

// exactReader yields exactly remaining bytes: fewer is IncompleteBody, more
// is InvalidRequest. It reads its source to EOF, so that a trailer after the
// data is seen.
type exactReader struct {
	r         io.Reader
	remaining int64
	probe     [1]byte
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.remaining == 0 {
		for {
			n, err := e.r.Read(e.probe[:])
			if n > 0 {
				return 0, errs.New(errs.InvalidRequest, "The request body is longer than its declared length")
			}
			if err == io.EOF {
				return 0, io.EOF
			}
			if err != nil {
				return 0, typedBodyErr(err)
			}
		}
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	if err == io.EOF {
		if e.remaining > 0 {
			return n, errs.New(errs.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		}
		if n > 0 {
			return n, nil // confirm EOF on the next call
		}
		return 0, io.EOF
	}
	if err != nil {
		return n, typedBodyErr(err)
	}
	return n, nil
}

// typedErrReader gives untyped read errors (a client hanging up) a kind.
type typedErrReader struct{ r io.Reader }

func (t typedErrReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		err = typedBodyErr(err)
	}
	return n, err
}

// typedBodyErr keeps errors that carry a kind (a bad chunk signature, a
// digest mismatch) and turns transport failures into IncompleteBody rather
// than internal errors.
func typedBodyErr(err error) error {
	var e *errs.Error
	var k errs.Kind
	if errors.As(err, &e) || errors.As(err, &k) {
		return err
	}
	return errs.Wrap(errs.IncompleteBody, err, "The request body could not be read completely")
}

// Request bodies must keep arriving: a client that sends nothing for
// Options.BodyTimeout, or less than Options.MinBodyRate bytes per second
// over a window of that length, gets 400 RequestTimeout (as AWS answers a
// stalled upload) and its connection closed, so it cannot hold a temp file
// and a descriptor for long. A whole-request read timeout would instead cut
// off legitimate multi-gigabyte uploads.

// deadlineSetter is the part of http.ResponseController the body uses.
type deadlineSetter interface{ SetReadDeadline(time.Time) error }

// rateReader enforces the minimum body rate on one request body. Before
// each Read it makes sure the connection's read deadline is at least one
// window ahead, so a Read that gets nothing for a whole window fails (and
// one that gets nothing for a window and a half surely does); after each Read it
// checks, once a window has passed, that the window brought enough bytes.
// At EOF it clears the deadline: net/http keeps reading the connection in
// the background to notice a client hanging up, and a deadline firing there
// would cancel a handler still committing the upload.
type rateReader struct {
	r       io.ReadCloser
	conn    deadlineSetter
	window  time.Duration
	minRate int64 // bytes per second; 0 only requires progress
	now     func() time.Time

	start    time.Time // of the current window
	got      int64     // bytes in the current window
	deadline time.Time // the connection's read deadline, as last set
	err      error     // sticky
}

func newRateReader(r io.ReadCloser, conn deadlineSetter, window time.Duration, minRate int64, now func() time.Time) *rateReader {
	return &rateReader{r: r, conn: conn, window: window, minRate: minRate, now: now, start: now()}
}

func errRequestTimeout() error {
	return errs.New(errs.RequestTimeout, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
}

func (b *rateReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.conn != nil {
		// Moving the deadline costs a lock and a timer update in the
		// runtime's poller, and an aws-chunked body is read in about
		// two Reads per 64 KiB chunk: move it only when less than a
		// window is left, by a window and a half, so that it moves at
		// most once per half window.
		if now := b.now(); b.deadline.Sub(now) < b.window {
			b.deadline = now.Add(b.window + b.window/2)
			_ = b.conn.SetReadDeadline(b.deadline)
		}
	}
	n, err := b.r.Read(p)
	b.got += int64(n)
	if err == io.EOF {
		b.clear()
		return n, err
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
			b.err = errRequestTimeout()
			return n, b.err
		}
		return n, err
	}
	if now := b.now(); now.Sub(b.start) >= b.window {
		need := b.minRate * int64(now.Sub(b.start)/time.Second)
		if b.got < max(need, 1) {
			b.err = errRequestTimeout()
			return n, b.err
		}
		b.start, b.got = now, 0
	}
	return n, nil
}

func (b *rateReader) clear() {
	if b.conn != nil {
		_ = b.conn.SetReadDeadline(time.Time{})
		b.conn = nil
	}
}

func (b *rateReader) Close() error {
	b.clear()
	return b.r.Close()
}

// limitBodyRate puts r's body under the minimum body rate while the
// handler runs; a request without a body is left alone. The returned func
// puts the original body back before the response is written: net/http
// looks at its concrete type then to decide whether to drain what the
// handler left unread or close the connection (and not to send a late
// "100 Continue"). A deadline left by an unfinished body stays, so that
// draining a stalled client is bounded too.
func (s *server) limitBodyRate(rw http.ResponseWriter, r *http.Request) (restore func()) {
	if r.Body == nil || r.Body == http.NoBody {
		return func() {}
	}
	var conn deadlineSetter = http.NewResponseController(rw)
	if err := conn.SetReadDeadline(time.Time{}); err != nil {
		conn = nil // the connection cannot take deadlines: the rate check alone applies
	}
	orig := r.Body
	r.Body = newRateReader(orig, conn, s.opts.BodyTimeout, s.opts.MinBodyRate, time.Now)
	return func() { r.Body = orig }
}
