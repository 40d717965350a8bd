package s3api

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// response is what a handler returns; writeResponse renders it.
type response struct {
	// Status defaults to 200.
	Status int
	// Header is merged into the response headers (also on error, so that a
	// 404 for a delete marker still says x-amz-delete-marker).
	Header http.Header
	// XML, when set, is encoded as the body with an XML declaration.
	XML any
	// rawXML, when set, is the body already rendered (declaration included,
	// e.g. by an appendXML into getXMLBuf()), sent as is as application/xml.
	// writeResponse owns it and returns it to the buffer pool once written.
	rawXML []byte
	// Body, when set, is streamed as the body (GetObject only); Header must
	// hold its Content-Length. It is closed after writing.
	Body io.ReadCloser
	// vals backs the one-value slices of the first headers set, which
	// would otherwise be an allocation each (a GET sets about ten).
	vals  [12]string
	nvals int
}

func (r *response) header() http.Header {
	if r.Header == nil {
		r.Header = make(http.Header, 8) // one map group: more would cost an allocation each
	}
	return r.Header
}

// set sets header key, already in its canonical form, to value.
func (r *response) set(key, value string) {
	h := r.header()
	if n := r.nvals; n < len(r.vals) {
		r.vals[n] = value
		r.nvals++
		h[key] = r.vals[n : n+1 : n+1] // full: an Add copies instead of overwriting vals
		return
	}
	h[key] = []string{value}
}

// setHeader sets one header.
func (r *response) setHeader(name, value string) { r.set(http.CanonicalHeaderKey(name), value) }

// setETag sets the ETag header, quoted, in AWS's spelling ("ETag", which
// Go's canonical form would write as "Etag").
func (r *response) setETag(etag string) { r.set("ETag", quoteETag(etag)) }

// encodeXML renders v with the XML declaration AWS sends. Quotes are
// written as &quot; (AWS's spelling; encoding/xml writes &#34;), since every
// ETag contains two.
func encodeXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(buf.Bytes(), []byte("&#34;"), []byte("&quot;")), nil
}

// writeResponse is the one place successful responses are written.
func (s *server) writeResponse(w http.ResponseWriter, r *http.Request, ri *requestInfo, resp *response) {
	if resp == nil {
		resp = &response{}
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case resp.rawXML != nil:
		body := resp.rawXML
		resp.rawXML = nil
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(body) // Write does not retain body
		}
		putXMLBuf(body)
	case resp.XML != nil:
		body, err := encodeXML(resp.XML)
		if err != nil {
			s.writeError(w, r, ri, nil, errs.Wrap(errs.Internal, err, "encoding %s response", ri.Op.Kind))
			return
		}
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	case resp.Body != nil:
		defer resp.Body.Close()
		w.WriteHeader(status)
		if r.Method == http.MethodHead {
			return
		}
		// io.Copy lets the object's WriteTo reach the connection's ReadFrom
		// (sendfile); statusWriter passes ReadFrom through.
		if _, err := io.Copy(w, resp.Body); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "s3 response body aborted",
				slog.String("request_id", ri.ID), slog.String("op", ri.Op.Kind.String()), slog.Any("error", err))
		}
	default:
		if status != http.StatusNoContent && status != http.StatusNotModified && h.Get("Content-Length") == "" {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(status)
	}
}

// writeError is the one place errors are written. resp may carry headers to
// send with the error.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, ri *requestInfo, resp *response, err error) {
	h := w.Header()
	if resp != nil {
		for k, v := range resp.Header {
			h[k] = v
		}
	}
	var nm *objects.NotModifiedError
	if errors.As(err, &nm) {
		h.Set("ETag", `"`+nm.ETag+`"`)
		h.Set("Last-Modified", nm.LastModified.UTC().Format(http.TimeFormat))
	}
	body, status := newErrorBody(err, ri.Op, r.URL.Path, ri.ID, ri.HostID)
	if _, known := lookupError(err); !known {
		s.logInternal(r.Context(), ri, err)
	}
	// No body for 304, nor for HEAD, as AWS.
	if status == http.StatusNotModified || r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	data, encErr := encodeXML(body)
	if encErr != nil { // an error body of plain strings always encodes
		s.logInternal(r.Context(), ri, encErr)
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Del("Content-Range")
	w.WriteHeader(status)
	w.Write(data)
}

// logInternal records an error whose details the client must not see,
// with the request id the client does see.
func (s *server) logInternal(ctx context.Context, ri *requestInfo, err error) {
	s.log.LogAttrs(ctx, slog.LevelError, "s3 internal error",
		slog.String("request_id", ri.ID), slog.String("op", ri.Op.Kind.String()),
		slog.String("bucket", ri.Op.Bucket), slog.String("key", ri.Op.Key), slog.Any("error", err))
}

// statusWriter records the status and byte count for logging. It passes
// ReadFrom through to the underlying writer, so that io.Copy from an object
// body still reaches the connection's sendfile path.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom delegates to the underlying writer's io.ReaderFrom when it has one.
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{w.ResponseWriter}, src)
	}
	w.bytes += n
	return n, err
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// writerOnly hides every method but Write, so io.Copy cannot loop back into ReadFrom.
type writerOnly struct{ io.Writer }
