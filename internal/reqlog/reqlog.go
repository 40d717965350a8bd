// Package reqlog writes the request log of the management listener: one
// JSON line at info level per request, with its id, dialect, operation,
// tenant, principal, status, error code, bytes in and out, and duration.
//
// Middleware wraps the listener's handler. It starts a Record per request
// and puts it in the request's context; each dialect fills in what only it
// knows (operation, principal, tenant, error code) through the Record's
// setters, found with From. Setters on a nil Record do nothing, so a
// dialect served without the middleware (unit tests) needs no checks.
//
// The S3 listener does not use this middleware (its handler logs the same
// fields itself, on its hot path); docs/operations.md lists the fields.
package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Record is what the log line of one request says. Dialects set their
// parts; the middleware sets the rest.
type Record struct {
	id        string
	addr      string
	dialect   string
	operation string
	tenant    string
	principal string
	errorCode string
}

// ID is the request id (also sent as the X-Request-Id header).
func (r *Record) ID() string {
	if r == nil {
		return ""
	}
	return r.id
}

// Addr is the client's address (IP without port).
func (r *Record) Addr() string {
	if r == nil {
		return ""
	}
	return r.addr
}

// Principal is the authenticated caller set by the dialect.
func (r *Record) Principal() string {
	if r == nil {
		return ""
	}
	return r.principal
}

// Dialect is the dialect serving the request.
func (r *Record) Dialect() string {
	if r == nil {
		return ""
	}
	return r.dialect
}

// SetDialect names the dialect (ontap, commvault, health, ...).
func (r *Record) SetDialect(d string) {
	if r != nil {
		r.dialect = d
	}
}

// SetOperation names the operation (e.g. "POST svms").
func (r *Record) SetOperation(op string) {
	if r != nil {
		r.operation = op
	}
}

// SetTenant names the tenant (SVM uuid, company) the request acts on.
func (r *Record) SetTenant(t string) {
	if r != nil {
		r.tenant = t
	}
}

// SetPrincipal names the authenticated caller.
func (r *Record) SetPrincipal(p string) {
	if r != nil {
		r.principal = p
	}
}

// SetErrorCode records the dialect's error code of a failed request.
func (r *Record) SetErrorCode(c string) {
	if r != nil {
		r.errorCode = c
	}
}

type ctxKey struct{}

// From returns the request's Record, or nil outside the middleware.
func From(ctx context.Context) *Record {
	r, _ := ctx.Value(ctxKey{}).(*Record)
	return r
}

// ClientAddr is the IP of the request's peer, without the port (the
// lockout policy and the audit log key on it). Proxy headers are not
// trusted.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// IDs draws request ids: a random per-process base plus a counter, in
// hex, so ids differ across nodes and restarts and cost no syscall.
type IDs struct {
	base uint64
	seq  atomic.Uint64
}

// NewIDs returns an id source with a random base.
func NewIDs() *IDs {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &IDs{base: binary.BigEndian.Uint64(b[:])}
}

// Next returns a new id: 16 upper-case hex digits.
func (g *IDs) Next() string {
	n := g.base + g.seq.Add(1)
	var buf [16]byte
	const hex = "0123456789ABCDEF"
	for i := 15; i >= 0; i-- {
		buf[i] = hex[n&15]
		n >>= 4
	}
	return string(buf[:])
}

// DialectOf is the default dialect of a management path (a dialect may
// refine it).
func DialectOf(path string) string {
	lp := strings.ToLower(path)
	switch {
	case strings.HasPrefix(lp, "/api/coffer/"):
		return "coffer" // Coffer's own JSON APIs (KMS, stats)
	case strings.HasPrefix(lp, "/api/"), lp == "/api":
		return "ontap"
	case strings.HasPrefix(lp, "/commandcenter/api"), strings.HasPrefix(lp, "/webconsole/api"):
		return "commvault"
	case strings.HasPrefix(lp, "/health/"):
		return "health"
	case strings.HasPrefix(lp, "/debug/pprof"):
		return "pprof"
	case lp == "/metrics":
		return "metrics"
	case lp == "/console", strings.HasPrefix(lp, "/console/"):
		return "console"
	}
	return "admin"
}

// Summary is what one finished request amounts to, for an Observer
// (metrics): the log line's fields that have bounded values, plus the path.
type Summary struct {
	Dialect string
	// Operation is what the dialect set (SetOperation), "" when it did not
	// route the request.
	Operation string
	Path      string
	Status    int
	BytesIn   int64
	BytesOut  int64
	Start     time.Time
	Duration  time.Duration
}

// Observer receives the Summary of every request the middleware served,
// after its log line. It must not block.
type Observer interface {
	ObserveRequest(Summary)
}

// Middleware logs every request of next at info level on log, as one
// JSON line (with a JSON handler) named "request", and passes its Summary
// to each observer.
func Middleware(log *slog.Logger, next http.Handler, observers ...Observer) http.Handler {
	ids := NewIDs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &Record{id: ids.Next(), addr: ClientAddr(r), dialect: DialectOf(r.URL.Path)}
		w.Header().Set("X-Request-Id", rec.id)
		cw := &countingWriter{ResponseWriter: w}
		var body *countingBody
		if r.Body != nil && r.Body != http.NoBody {
			body = &countingBody{ReadCloser: r.Body}
			r.Body = body
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, rec))
		defer func() {
			var in int64
			if body != nil {
				in = body.n
			}
			status := cw.status
			if status == 0 {
				status = http.StatusOK
			}
			took := time.Since(start)
			sum := Summary{Dialect: rec.dialect, Operation: rec.operation, Path: r.URL.Path, Status: status,
				BytesIn: in, BytesOut: cw.n, Start: start, Duration: took}
			if rec.operation == "" && rec.dialect != "ontap" && rec.dialect != "commvault" {
				rec.operation = r.Method + " " + excerpt(r.URL.Path) // health, pprof
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", rec.id), slog.String("listener", "admin"),
				slog.String("dialect", rec.dialect), slog.String("op", rec.operation),
				slog.String("method", r.Method), slog.String("path", excerpt(r.URL.Path)),
				slog.String("remote", rec.addr), slog.String("tenant", rec.tenant),
				slog.String("principal", rec.principal), slog.Int("status", status),
				slog.String("error_code", rec.errorCode), slog.Int64("bytes_in", in),
				slog.Int64("bytes_out", cw.n), slog.Float64("duration_ms", durationMS(took)))
			for _, o := range observers {
				o.ObserveRequest(sum)
			}
		}()
		next.ServeHTTP(cw, r)
	})
}

// durationMS is d in milliseconds, rounded to microseconds.
func durationMS(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// DurationMS is the duration field's value (for the S3 listener's line).
func DurationMS(d time.Duration) float64 { return durationMS(d) }

// excerpt bounds a logged path.
func excerpt(s string) string {
	if len(s) <= 256 {
		return s
	}
	return s[:256] + "...(" + strconv.Itoa(len(s)) + " bytes)"
}

type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines).
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes flushes on (pprof and long answers).
func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
