package s3api

import (
	"errors"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

func TestParseRange_table(t *testing.T) {
	const max = math.MaxInt64
	for _, c := range []struct {
		in   string
		want *objects.ByteRange
	}{
		{"bytes=0-9", &objects.ByteRange{Start: 0, End: 9}},
		{"bytes=7-", &objects.ByteRange{Start: 7, End: -1}},
		{"bytes=-5", &objects.ByteRange{Suffix: 5}},
		{"bytes=9223372036854775807-", &objects.ByteRange{Start: max, End: -1}},
		// Overflowing positions saturate: past the end of any object.
		{"bytes=0-18446744073709551616", &objects.ByteRange{Start: 0, End: max}},
		{"bytes=3-99999999999999999999999999999", &objects.ByteRange{Start: 3, End: max}},
		{"bytes=18446744073709551616-", &objects.ByteRange{Start: max, End: -1}},
		{"bytes=99999999999999999999-99999999999999999999", &objects.ByteRange{Start: max, End: max}},
		{"bytes=-18446744073709551616", &objects.ByteRange{Suffix: max}},
		// Malformed: ignored (nil), the whole object is served.
		{"bytes=18446744073709551616-5", nil},
		{"bytes=1-0", nil},
		{"bytes=-0", nil},
		{"bytes=1x-2", nil},
		{"bytes=0-1,2-3", nil},
		{"items=0-1", nil},
		{"bytes=+1-2", nil},
		{"bytes=1-9999999999999999999999x", nil},
	} {
		got := parseRange(c.in)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("parseRange(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// A principal that may delete none of the keys is refused before the bucket
// is looked up: a missing bucket and an existing one answer alike.
func TestDeleteObjects_authorizedBeforeBucketLookup(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	h.want(h.do("PUT", "/bkt/a", "x"), 200)
	h.authz.deny = func(r core.Request) bool { return true }
	doc := `<Delete><Object><Key>a</Key></Object></Delete>`
	for _, b := range []string{"bkt", "missing"} {
		if e := errorDoc(t, h.want(h.do("POST", "/"+b+"?delete", doc), 403)); e.Code != "AccessDenied" {
			t.Fatalf("DeleteObjects on %s without rights: %+v, want AccessDenied", b, e)
		}
	}
	// With rights on some key, a missing bucket is reported as such.
	h.authz.deny = func(r core.Request) bool { return r.Key == "secret" }
	if e := errorDoc(t, h.want(h.do("POST", "/missing?delete", doc), 404)); e.Code != "NoSuchBucket" {
		t.Fatalf("DeleteObjects on a missing bucket with rights: %+v", e)
	}
}

// An empty or malformed Content-MD5 is refused on every operation with a
// body, before anything is stored.
func TestContentMD5_emptyOrMalformed_InvalidDigest(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	del := `<Delete><Object><Key>a</Key></Object></Delete>`
	tags := `<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`
	for _, md5 := range []string{"", " ", "not base64!", "XrY7u+Ae7tCTyyK7j1rN", "XrY7u+Ae7tCTyyK7j1rNwwA=", "98O8HYCOBHMq32eZZczDTKeuNEE="} {
		for _, req := range []struct{ method, path, body string }{
			{"PUT", "/bkt/obj", "data"},
			{"POST", "/bkt?delete", del},
			{"PUT", "/bkt/obj?tagging", tags},
			{"PUT", "/bkt?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`},
		} {
			e := errorDoc(t, h.want(h.do(req.method, req.path, req.body, "Content-MD5", md5), 400))
			if e.Code != "InvalidDigest" {
				t.Fatalf("%s %s with Content-MD5 %q: %+v, want InvalidDigest", req.method, req.path, md5, e)
			}
		}
	}
	h.want(h.do("GET", "/bkt/obj", ""), 404) // nothing was stored
}

type fakeDeadline struct{ set []time.Time }

func (f *fakeDeadline) SetReadDeadline(t time.Time) error { f.set = append(f.set, t); return nil }

// chunkReader returns its chunks one per Read, advancing the fake clock
// by the chunk's delay first; a nil chunk is a read timeout.
type chunkReader struct {
	clock  *time.Time
	chunks []string
	delays []time.Duration
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	*c.clock = c.clock.Add(c.delays[0])
	s := c.chunks[0]
	c.chunks, c.delays = c.chunks[1:], c.delays[1:]
	if s == "\x00timeout" {
		return 0, timeoutErr{}
	}
	return copy(p, s), nil
}

func (c *chunkReader) Close() error { return nil }

func TestRateReader(t *testing.T) {
	sec := time.Second
	for _, tc := range []struct {
		name    string
		chunks  []string
		delays  []time.Duration
		minRate int64
		timeout bool
	}{
		{"steady", []string{"aaaa", "bbbb", "cccc"}, []time.Duration{sec, 4 * sec, 4 * sec}, 0, false},
		{"stall: the connection deadline fires", []string{"aaaa", "\x00timeout"}, []time.Duration{sec, 10 * sec}, 0, true},
		{"trickle below the floor", []string{"a", "b", "c", "d"}, []time.Duration{4 * sec, 4 * sec, 4 * sec, 4 * sec}, 2, true},
		{"trickle at the floor", []string{"aaaaaaaa", "bbbbbbbb", "cccccccc"}, []time.Duration{4 * sec, 4 * sec, 4 * sec}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := time.Unix(1000, 0)
			now := func() time.Time { return clock }
			fd := &fakeDeadline{}
			rr := newRateReader(&chunkReader{clock: &clock, chunks: tc.chunks, delays: tc.delays}, fd, 5*sec, tc.minRate, now)
			_, err := io.ReadAll(rr)
			if tc.timeout != errors.Is(err, errs.RequestTimeout) {
				t.Fatalf("err = %v, want RequestTimeout: %v", err, tc.timeout)
			}
			if len(fd.set) == 0 || fd.set[0].IsZero() {
				t.Fatalf("no deadline set before the first read: %v", fd.set)
			}
			if !tc.timeout && !fd.set[len(fd.set)-1].IsZero() {
				t.Fatalf("deadline not cleared at EOF: %v", fd.set)
			}
			if tc.timeout {
				if _, err2 := rr.Read(make([]byte, 1)); !errors.Is(err2, errs.RequestTimeout) {
					t.Fatalf("error not sticky: %v", err2)
				}
			}
		})
	}
}

// A real client that sends half its body and stalls gets RequestTimeout
// within the window, and nothing is stored.
func TestPutObject_stalledBody_RequestTimeout(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.BodyTimeout = 300 * time.Millisecond })
	h.want(h.do("PUT", "/bkt", ""), 200)
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("PUT", h.srv.URL+"/bkt/slow", pr)
	req.ContentLength = 1000
	go pw.Write(make([]byte, 500))
	start := time.Now()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("PUT: %v", err)
	}
	if e := errorDoc(t, h.want(resp, 400)); e.Code != "RequestTimeout" {
		t.Fatalf("stalled PUT: %+v, want RequestTimeout", e)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stalled PUT answered after %v, want within about the 300 ms window", d)
	}
	h.want(h.do("GET", "/bkt/slow", ""), 404)
}

// deadlineCheckReader fails a Read that starts with less than a window left
// before the connection's deadline.
type deadlineCheckReader struct {
	chunkReader
	fd     *fakeDeadline
	window time.Duration
	t      *testing.T
}

func (c *deadlineCheckReader) Read(p []byte) (int, error) {
	if len(c.fd.set) == 0 || c.fd.set[len(c.fd.set)-1].Sub(*c.clock) < c.window {
		c.t.Fatalf("a Read at %v with the deadline at %v: less than a window (%v) ahead", *c.clock, c.fd.set, c.window)
	}
	return c.chunkReader.Read(p)
}

// The deadline moves about once per half window, not once per Read, and
// every Read still starts with at least a window before the deadline.
func TestRateReaderMovesDeadlineRarely(t *testing.T) {
	const window = 5 * time.Second
	clock := time.Unix(1000, 0)
	var chunks []string
	var delays []time.Duration
	for range 200 { // 20 s of reads, 100 ms apart
		chunks, delays = append(chunks, "abcd"), append(delays, 100*time.Millisecond)
	}
	fd := &fakeDeadline{}
	src := &deadlineCheckReader{chunkReader: chunkReader{clock: &clock, chunks: chunks, delays: delays}, fd: fd, window: window, t: t}
	rr := newRateReader(src, fd, window, 0, func() time.Time { return clock })
	got, err := io.ReadAll(rr)
	if err != nil || len(got) != 800 {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	// 20 s at one move per 2.5 s at most, plus the clearing at EOF.
	if n := len(fd.set); n < 2 || n > 20/2.5+2 {
		t.Fatalf("%d deadline changes for 200 reads over 20 s: %v", n, fd.set)
	}
	if !fd.set[len(fd.set)-1].IsZero() {
		t.Fatal("deadline not cleared at EOF")
	}
}
