package reqlog

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// JSONHandler is slog's JSON handler, writing the lines of plain records
// itself: a request line per S3 request made slog.JSONHandler a twentieth
// of a small GET's CPU (float formatting through encoding/json, a state
// per record). A record whose attributes are all strings, integers,
// booleans, durations, times or finite floats, on a handler without
// AddSource, ReplaceAttr, WithAttrs or WithGroup, is written here, byte for
// byte as slog.JSONHandler writes it (TestJSONHandlerMatchesSlog,
// FuzzJSONHandler); anything else goes to the slog.JSONHandler underneath,
// which writes to the same writer under the same lock.
type JSONHandler struct {
	inner *slog.JSONHandler
	w     *lockedWriter
	plain bool // no AddSource, no ReplaceAttr
}

var _ slog.Handler = (*JSONHandler)(nil)

// lockedWriter serialises the lines of both paths.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// NewJSONHandler is slog.NewJSONHandler(w, opts) with the fast path.
func NewJSONHandler(w io.Writer, opts *slog.HandlerOptions) *JSONHandler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	lw := &lockedWriter{w: w}
	return &JSONHandler{inner: slog.NewJSONHandler(lw, opts), w: lw, plain: !opts.AddSource && opts.ReplaceAttr == nil}
}

// Enabled is slog.JSONHandler's.
func (h *JSONHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// WithAttrs returns slog.JSONHandler's handler: derived loggers are rare
// and off the request path.
func (h *JSONHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.inner.WithAttrs(as) }

// WithGroup returns slog.JSONHandler's handler.
func (h *JSONHandler) WithGroup(name string) slog.Handler { return h.inner.WithGroup(name) }

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Handle writes r as one line.
func (h *JSONHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.plain {
		return h.inner.Handle(ctx, r)
	}
	bp := lineBufs.Get().(*[]byte)
	b, ok := appendRecord((*bp)[:0], &r)
	if !ok {
		lineBufs.Put(bp)
		return h.inner.Handle(ctx, r)
	}
	_, err := h.w.Write(b)
	if cap(b) <= 16<<10 {
		*bp = b
		lineBufs.Put(bp)
	}
	return err
}

// appendRecord appends r's line, or returns false for a record the fast
// path does not write.
func appendRecord(b []byte, r *slog.Record) ([]byte, bool) {
	b = append(b, '{')
	if !r.Time.IsZero() {
		if y := r.Time.Year(); y < 0 || y >= 10000 {
			return b, false // slog writes an error attribute
		}
		b = append(b, `"time":"`...)
		b = r.Time.Round(0).AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":`...)
	b = appendJSONString(b, r.Level.String())
	b = append(b, `,"msg":`...)
	b = appendJSONString(b, r.Message)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if b, ok = appendAttr(b, a); !ok {
			return false
		}
		return true
	})
	if !ok {
		return b, false
	}
	return append(b, '}', '\n'), true
}

func appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	v := a.Value
	switch v.Kind() {
	case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindBool, slog.KindDuration, slog.KindTime:
	case slog.KindFloat64:
		if f := v.Float64(); math.IsNaN(f) || math.IsInf(f, 0) {
			return b, false // encoding/json's error, which slog writes
		}
	default: // groups, LogValuers, any: slog's rules
		return b, false
	}
	b = append(b, ',')
	b = appendJSONString(b, a.Key)
	b = append(b, ':')
	switch v.Kind() {
	case slog.KindString:
		b = appendJSONString(b, v.String())
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindTime:
		t := v.Time()
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	case slog.KindFloat64:
		b = appendJSONFloat(b, v.Float64())
	}
	return b, true
}

// appendJSONFloat formats f as encoding/json does (which slog calls).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted and escaped as slog's JSON handler
// does: ", \ and control characters escaped, invalid UTF-8 as U+FFFD,
// U+2028 and U+2029 escaped, HTML characters left as they are.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
