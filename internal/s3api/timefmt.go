package s3api

import (
	"net/http"
	"time"
)

// Fixed-layout timestamp formatting for the hot paths: a listing formats
// one LastModified per key and every GET and HEAD a Last-Modified header,
// and time.Format re-parses its layout on every call. These produce exactly
// what Format produces with the same layout (timefmt_test.go compares them);
// years outside 0000-9999, which the layouts cannot express in four digits,
// go through Format.

const isoLayout = "2006-01-02T15:04:05.000Z"

// isoTime is the timestamp format of S3 XML: ISO 8601, UTC, milliseconds.
func isoTime(t time.Time) string {
	var b [len(isoLayout)]byte
	return string(appendISOTime(b[:0], t))
}

// httpTime is the timestamp format of S3 headers (RFC 1123, GMT).
func httpTime(t time.Time) string {
	var b [len(http.TimeFormat)]byte
	return string(appendHTTPTime(b[:0], t))
}

func appendISOTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, isoLayout)
	}
	hour, min, sec := t.Clock()
	b = append4(b, year)
	b = append(b, '-')
	b = append2(b, int(month))
	b = append(b, '-')
	b = append2(b, day)
	b = append(b, 'T')
	b = appendClock(b, hour, min, sec)
	ms := t.Nanosecond() / 1e6
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return b
}

func appendHTTPTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, http.TimeFormat)
	}
	hour, min, sec := t.Clock()
	b = append(b, t.Weekday().String()[:3]...)
	b = append(b, ',', ' ')
	b = append2(b, day)
	b = append(b, ' ')
	b = append(b, month.String()[:3]...)
	b = append(b, ' ')
	b = append4(b, year)
	b = append(b, ' ')
	b = appendClock(b, hour, min, sec)
	return append(b, " GMT"...)
}

func appendClock(b []byte, hour, min, sec int) []byte {
	b = append2(b, hour)
	b = append(b, ':')
	b = append2(b, min)
	b = append(b, ':')
	return append2(b, sec)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}
