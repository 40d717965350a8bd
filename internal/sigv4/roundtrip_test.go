package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"coffer/internal/errs"
)

var (
	rtNow    = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	rtSigner = testSigner{ak: "AKTEST", secret: "s3cr3t/+key", region: "eu-west-1", now: rtNow}
	rtOpts   = at(rtNow)
)

func rtLookup(ak string) (string, error) {
	if ak == rtSigner.ak {
		return rtSigner.secret, nil
	}
	return "", errs.New(errs.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
}

func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// streamingReq signs a PUT in one of the streaming modes and frames data.
func streamingReq(s testSigner, mode string, data []byte, c chunking, decoded string) *http.Request {
	tr := treq{method: "PUT", host: "bkt.example.com", path: "/bkt/obj",
		headers: [][2]string{{"Content-Encoding", "aws-chunked"}, {"X-Amz-Decoded-Content-Length", decoded}}}
	if c.trailers != nil {
		tr.headers = append(tr.headers, [2]string{"X-Amz-Trailer", c.trailers[0][0]})
	}
	r, seed := s.sign(tr, mode)
	body := s.chunked(seed, data, c)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r
}

// readAll drives a BodyReader with the given read size.
func readAll(br *BodyReader, size int) ([]byte, error) {
	var out []byte
	buf := make([]byte, size)
	for i := 0; ; i++ {
		n, err := br.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if i > 1<<24 {
			return out, errors.New("no progress")
		}
	}
}

func TestRoundTripPayloadModes(t *testing.T) {
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	for _, size := range []int{0, 1, 1000, 65536, 200000} {
		data := payloadOf(size)
		dl := strconv.Itoa(size)
		cases := []struct {
			name    string
			mode    PayloadMode
			req     func() *http.Request
			trailer bool
		}{
			{"signed", PayloadSigned, func() *http.Request {
				r, _ := rtSigner.sign(treq{method: "PUT", host: "h", path: "/b/k", body: data}, tSHA(data))
				return r
			}, false},
			{"unsigned", PayloadUnsigned, func() *http.Request {
				r, _ := rtSigner.sign(treq{method: "PUT", host: "h", path: "/b/k", body: data}, "UNSIGNED-PAYLOAD")
				return r
			}, false},
			{"presigned", PayloadUnsigned, func() *http.Request {
				return rtSigner.presign(treq{method: "PUT", host: "h", path: "/b/k", body: data}, 60)
			}, false},
			{"streaming signed", PayloadStreamingSigned, func() *http.Request {
				return streamingReq(rtSigner, streamingSigned, data, chunking{size: 65536, signed: true}, dl)
			}, false},
			{"streaming signed, small chunks", PayloadStreamingSigned, func() *http.Request {
				return streamingReq(rtSigner, streamingSigned, data, chunking{size: 8192, signed: true}, dl)
			}, false},
			{"streaming unsigned trailer", PayloadStreamingUnsignedTrailer, func() *http.Request {
				return streamingReq(rtSigner, streamingUnsignedTrailer, data, chunking{size: 65536, trailers: crc}, dl)
			}, true},
			{"streaming signed trailer", PayloadStreamingSignedTrailer, func() *http.Request {
				return streamingReq(rtSigner, streamingSignedTrailer, data,
					chunking{size: 16384, signed: true, trailers: crc, signedTrailer: true}, dl)
			}, true},
		}
		for _, c := range cases {
			for _, rs := range []int{1, 7, 4096, 1 << 20} {
				t.Run(c.name+"/"+dl+"/read"+strconv.Itoa(rs), func(t *testing.T) {
					r := c.req()
					a, err := Verify(r, rtLookup, rtOpts)
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if a.Mode != c.mode || a.AccessKey != "AKTEST" || a.Region != "eu-west-1" {
						t.Fatalf("Auth = %+v", a)
					}
					// A trickling source must decode the same as a fast one.
					var raw io.Reader = r.Body
					if rs == 7 {
						raw = iotest.HalfReader(raw)
					}
					br := a.Body(raw)
					got, err := readAll(br, rs)
					if err != nil || !bytes.Equal(got, data) {
						t.Fatalf("got %d bytes (want %d), err %v", len(got), len(data), err)
					}
					if n, err := br.Read(make([]byte, 10)); n != 0 || err != io.EOF {
						t.Fatalf("read after EOF: %d, %v", n, err)
					}
					if tr := br.Trailer(); c.trailer != (tr.Get("X-Amz-Checksum-Crc32") == "AAAAAA==") {
						t.Fatalf("trailer = %v", tr)
					}
				})
			}
		}
	}
}

// verifyAndRead runs Verify then reads the whole body, returning the first error.
func verifyAndRead(r *http.Request, opts Options) error {
	a, err := Verify(r, rtLookup, opts)
	if err != nil {
		return err
	}
	_, err = io.ReadAll(a.Body(r.Body))
	return err
}

func TestTamperingIsDetected(t *testing.T) {
	data := payloadOf(100000)
	dl := strconv.Itoa(len(data))
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	signedTrailer := chunking{size: 32768, signed: true, trailers: crc, signedTrailer: true}
	base := treq{method: "PUT", host: "bkt.example.com", path: "/bkt/a key",
		query:   [][2]string{{"tagging", ""}, {"versionId", "v1"}},
		headers: [][2]string{{"X-Amz-Meta-Color", "blue"}, {"Content-Type", "text/plain"}}, body: data}
	headerReq := func(payload string) *http.Request { r, _ := rtSigner.sign(base, payload); return r }
	withBody := func(r *http.Request, b []byte) *http.Request {
		r.Body = io.NopCloser(bytes.NewReader(b))
		return r
	}
	framed := func(mode string, c chunking, decoded string, edit func([]byte) []byte) *http.Request {
		r := streamingReq(rtSigner, mode, data, c, decoded)
		b, _ := io.ReadAll(r.Body)
		return withBody(r, edit(b))
	}
	same := func(b []byte) []byte { return b }
	flip := func(at int) func([]byte) []byte {
		return func(b []byte) []byte { b = bytes.Clone(b); b[at] ^= 1; return b }
	}
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:len(b)-n] } }
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
	}
	cases := []struct {
		name string
		req  func() *http.Request
		opts Options
		kind errs.Kind
	}{
		{"header value", func() *http.Request {
			r := headerReq(tSHA(data))
			r.Header.Set("X-Amz-Meta-Color", "red")
			return r
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"header value spacing is normalized", func() *http.Request {
			r := headerReq(tSHA(data))
			r.Header.Set("X-Amz-Meta-Color", "  blue ")
			return r
		}, rtOpts, -1},
		{"query value", func() *http.Request {
			r := headerReq(tSHA(data))
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "v1", "v2", 1)
			return r
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"query parameter added", func() *http.Request {
			r := headerReq(tSHA(data))
			r.URL.RawQuery += "&acl="
			return r
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"path", func() *http.Request {
			r := headerReq(tSHA(data))
			r.URL.Path, r.URL.RawPath = "/bkt/a kez", ""
			return r
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"method", func() *http.Request { r := headerReq(tSHA(data)); r.Method = "POST"; return r }, rtOpts, errs.SignatureDoesNotMatch},
		{"host", func() *http.Request { r := headerReq(tSHA(data)); r.Host = "other.example.com"; return r }, rtOpts, errs.SignatureDoesNotMatch},
		{"wrong secret", func() *http.Request {
			s := rtSigner
			s.secret = "nope"
			r, _ := s.sign(base, tSHA(data))
			return r
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"unknown key", func() *http.Request {
			s := rtSigner
			s.ak = "AKNOBODY"
			r, _ := s.sign(base, tSHA(data))
			return r
		}, rtOpts, errs.InvalidAccessKeyID},
		{"signed payload body", func() *http.Request {
			r := headerReq(tSHA(data))
			return withBody(r, flip(5)(data))
		}, rtOpts, errs.ContentSHA256Mismatch},
		{"signed payload truncated", func() *http.Request {
			r := headerReq(tSHA(data))
			return withBody(r, data[:len(data)-1])
		}, rtOpts, errs.ContentSHA256Mismatch},
		{"unsigned payload body (not checked)", func() *http.Request {
			r := headerReq("UNSIGNED-PAYLOAD")
			return withBody(r, flip(5)(data))
		}, rtOpts, -1},
		{"chunk data", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true}, dl, flip(40000))
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"chunk signature", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true}, dl, func(b []byte) []byte {
				i := bytes.Index(b, []byte("chunk-signature=")) + 20
				return flip(i)(b)
			})
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"chunk signature missing", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true}, dl, func(b []byte) []byte {
				i := bytes.Index(b, []byte(";chunk-signature="))
				return append(bytes.Clone(b[:i]), b[i+17+64:]...)
			})
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"chunks reordered", func() *http.Request {
			// Two equal-size chunks of different data, swapped with their signatures.
			r := streamingReq(rtSigner, streamingSigned, data, chunking{size: 32768, signed: true}, dl)
			b, _ := io.ReadAll(r.Body)
			l := len("8000;chunk-signature=") + 64 + 2 + 32768 + 2
			sw := append(append(append([]byte{}, b[l:2*l]...), b[:l]...), b[2*l:]...)
			return withBody(r, sw)
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"final chunk dropped", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true}, dl, func(b []byte) []byte {
				return b[:bytes.LastIndex(b, []byte("0;chunk-signature"))]
			})
		}, rtOpts, errs.IncompleteBody},
		{"truncated inside chunk", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true}, dl, cut(5000))
		}, rtOpts, errs.IncompleteBody},
		{"truncated inside chunk header", func() *http.Request {
			return framed(streamingUnsignedTrailer, chunking{size: 32768}, dl, func(b []byte) []byte {
				return b[:bytes.Index(b, []byte("\r\n"))]
			})
		}, rtOpts, errs.IncompleteBody},
		{"truncated before the trailer signature", func() *http.Request {
			return framed(streamingSignedTrailer, signedTrailer, dl, func(b []byte) []byte {
				return b[:bytes.Index(b, []byte("x-amz-trailer-signature"))]
			})
		}, rtOpts, errs.IncompleteBody},
		{"decoded length too small", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true}, strconv.Itoa(len(data)-1), same)
		}, rtOpts, errs.IncompleteBody},
		{"decoded length too large", func() *http.Request {
			return framed(streamingUnsignedTrailer, chunking{size: 32768, trailers: crc}, strconv.Itoa(len(data)+1), same)
		}, rtOpts, errs.IncompleteBody},
		{"chunk longer than declared", func() *http.Request {
			return framed(streamingUnsignedTrailer, chunking{size: 32768, trailers: crc}, "", replace("8000\r\n", "7fff\r\n"))
		}, rtOpts, errs.InvalidRequest},
		{"data after the final chunk", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true, end: "\r\nextra"}, dl, same)
		}, rtOpts, errs.InvalidRequest},
		{"trailer value", func() *http.Request {
			return framed(streamingSignedTrailer, signedTrailer, dl, replace("AAAAAA==", "AAAAAB=="))
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"trailer added", func() *http.Request {
			return framed(streamingSignedTrailer, signedTrailer, dl, replace("x-amz-checksum-crc32:", "x-amz-checksum-sha1:x\r\nx-amz-checksum-crc32:"))
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"trailer signature", func() *http.Request {
			return framed(streamingSignedTrailer, signedTrailer, dl, func(b []byte) []byte {
				return flip(bytes.Index(b, []byte("x-amz-trailer-signature:")) + 30)(b)
			})
		}, rtOpts, errs.SignatureDoesNotMatch},
		{"too many trailer lines", func() *http.Request {
			return framed(streamingUnsignedTrailer, chunking{size: 32768, trailers: crc}, dl,
				replace("x-amz-checksum-crc32:", strings.Repeat("x-amz-meta-x:y\r\n", 100)+"x-amz-checksum-crc32:"))
		}, rtOpts, errs.InvalidRequest},
		{"trailer in a mode without trailers", func() *http.Request {
			return framed(streamingSigned, chunking{size: 32768, signed: true, trailers: crc}, dl, same)
		}, rtOpts, errs.InvalidRequest},
		{"unsigned trailer value (not checked here)", func() *http.Request {
			return framed(streamingUnsignedTrailer, chunking{size: 32768, trailers: crc}, dl, replace("AAAAAA==", "AAAAAB=="))
		}, rtOpts, -1},
		{"clock 16 minutes ahead", func() *http.Request { return headerReq(tSHA(data)) },
			at(rtNow.Add(16 * time.Minute)), errs.RequestTimeTooSkewed},
		{"clock 16 minutes behind", func() *http.Request { return headerReq(tSHA(data)) },
			at(rtNow.Add(-16 * time.Minute)), errs.RequestTimeTooSkewed},
		{"clock 14 minutes ahead", func() *http.Request { return headerReq(tSHA(data)) },
			at(rtNow.Add(14 * time.Minute)), -1},
		{"custom skew", func() *http.Request { return headerReq(tSHA(data)) },
			Options{Now: rtOpts.Now, MaxSkew: time.Minute}, -1},
		{"custom skew exceeded", func() *http.Request { return headerReq(tSHA(data)) },
			Options{Now: func() time.Time { return rtNow.Add(2 * time.Minute) }, MaxSkew: time.Minute}, errs.RequestTimeTooSkewed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := verifyAndRead(c.req(), c.opts)
			if c.kind < 0 {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if errs.KindOf(err) != c.kind || IsAnonymous(err) {
				t.Fatalf("got %v, want kind %v", err, c.kind)
			}
		})
	}
}

// Object keys S3 clients send: every one must verify in both forms.
func TestKeysRoundTrip(t *testing.T) {
	keys := []string{
		"plain.txt", "my key with  spaces", "ünïcødé/日本語/файл", "a+b+c", "literal%2Fpercent", "100%",
		"tilde~and-dash_dot.", "dir/sub/", "a//double", "$&@=;:,?#[]!'()*", "emoji 🎉", "\x7f\x01ctl",
		"..", "./rel/../x",
	}
	for _, k := range keys {
		t.Run(k, func(t *testing.T) {
			tr := treq{method: "GET", host: "bkt.s3.example.com:9000", path: "/" + k,
				query: [][2]string{{"prefix", k}, {"list-type", "2"}}}
			r, _ := rtSigner.sign(tr, tSHA(nil))
			if err := verifyAndRead(r, rtOpts); err != nil {
				t.Fatalf("header form: %v (wire %s)", err, r.URL.RequestURI())
			}
			if err := verifyAndRead(rtSigner.presign(tr, 300), rtOpts); err != nil {
				t.Fatalf("presigned: %v", err)
			}
		})
	}
}

// Clients put different bytes on the wire for the same key; S3 signs the
// key encoded once, so all of these verify.
func TestWireEncodingsOfOnePath(t *testing.T) {
	cases := []struct{ name, canon, wire string }{
		{"dollar raw", "/b/test%24file.text", "/b/test$file.text"},
		{"lower-case escapes", "/b/%C3%BC", "/b/%c3%bc"},
		{"unreserved escaped", "/b/abc", "/b/%61bc"},
		{"slash escaped inside a key", "/b/a%2Fb", "/b/a%2Fb"},
		{"plus raw", "/b/a%2Bb", "/b/a+b"},
		{"equals and colon raw", "/b/k%3Dv%3A1", "/b/k=v:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := rtSigner.sign(treq{method: "GET", host: "h", canon: c.canon, wire: c.wire}, tSHA(nil))
			if err := verifyAndRead(r, rtOpts); err != nil {
				t.Fatalf("%v (wire %s)", err, r.URL.EscapedPath())
			}
		})
	}
}

func TestTrailerFramingVariants(t *testing.T) {
	data := payloadOf(70000)
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	cases := []struct {
		name string
		mode string
		c    chunking
	}{
		{"sdk style: 0, trailers, blank", streamingUnsignedTrailer, chunking{size: 65536, trailers: crc}},
		{"no final blank line", streamingUnsignedTrailer, chunking{size: 65536, trailers: crc, end: "none"}},
		{"two final blank lines", streamingUnsignedTrailer, chunking{size: 65536, trailers: crc, end: "\r\n\r\n"}},
		{"blank line before trailers", streamingUnsignedTrailer, chunking{size: 65536, trailers: crc, afterFinal: "\r\n"}},
		{"bare LF", streamingUnsignedTrailer, chunking{size: 65536, trailers: crc, end: "\n"}},
		{"signed, blank before trailers", streamingSignedTrailer,
			chunking{size: 65536, signed: true, trailers: crc, signedTrailer: true, afterFinal: "\r\n"}},
		// minio-go (TrailingHeaders) ends the canonical trailer "name:value\n"
		// with CRLF: a blank line between the checksum and its signature.
		{"signed, minio-go: LF and a blank line before the signature", streamingSignedTrailer,
			chunking{size: 65536, signed: true, trailers: crc, signedTrailer: true, trailerEnd: "\n\r\n"}},
		{"signed, no final blank", streamingSignedTrailer,
			chunking{size: 65536, signed: true, trailers: crc, signedTrailer: true, end: "none"}},
		{"signed without trailers: no final blank", streamingSigned, chunking{size: 65536, signed: true, end: "none"}},
		{"signed without trailers: extra CRLF", streamingSigned, chunking{size: 65536, signed: true, end: "\r\n\r\n"}},
		{"two trailers", streamingUnsignedTrailer, chunking{size: 65536,
			trailers: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}, {"x-amz-checksum-sha256", "abc="}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := streamingReq(rtSigner, c.mode, data, c.c, strconv.Itoa(len(data)))
			a, err := Verify(r, rtLookup, rtOpts)
			if err != nil {
				t.Fatal(err)
			}
			br := a.Body(r.Body)
			got, err := io.ReadAll(br)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%d bytes, %v", len(got), err)
			}
			if c.c.trailers != nil && br.Trailer().Get("x-amz-checksum-crc32") != "AAAAAA==" {
				t.Fatalf("trailer %v", br.Trailer())
			}
		})
	}
}

func TestPresigned(t *testing.T) {
	tr := treq{method: "GET", host: "bkt.example.com", path: "/bkt/k"}
	data := []byte("hello")
	cases := []struct {
		name string
		req  func() *http.Request
		opts Options
		kind errs.Kind
		msg  string
	}{
		{"good", func() *http.Request { return rtSigner.presign(tr, 60) }, rtOpts, -1, ""},
		{"seven days", func() *http.Request { return rtSigner.presign(tr, 604800) }, rtOpts, -1, ""},
		{"expired", func() *http.Request { return rtSigner.presign(tr, 60) }, at(rtNow.Add(61 * time.Second)),
			errs.AccessDenied, "Request has expired"},
		{"over a week", func() *http.Request { return rtSigner.presign(tr, 604801) }, rtOpts,
			errs.InvalidArgument, "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{"zero expiry", func() *http.Request { return rtSigner.presign(tr, 0) }, rtOpts, errs.InvalidArgument, ""},
		{"custom expiry cap", func() *http.Request { return rtSigner.presign(tr, 3601) },
			Options{Now: rtOpts.Now, MaxPresignExpiry: time.Hour}, errs.InvalidArgument, "X-Amz-Expires must be at most 3600 seconds"},
		{"tampered query", func() *http.Request {
			r := rtSigner.presign(tr, 60)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
			return r
		}, rtOpts, errs.SignatureDoesNotMatch, msgSignatureMismatch},
		{"duplicate signature", func() *http.Request {
			r := rtSigner.presign(tr, 60)
			r.URL.RawQuery += "&X-Amz-Signature=00"
			return r
		}, rtOpts, errs.InvalidArgument, "Query parameter X-Amz-Signature is given more than once."},
		{"missing parameter", func() *http.Request {
			r := rtSigner.presign(tr, 60)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Date=", "X-Amz-Datum=", 1)
			return r
		}, rtOpts, errs.InvalidArgument, ""},
		{"unsigned x-amz header", func() *http.Request {
			r := rtSigner.presign(tr, 60)
			r.Header.Set("X-Amz-Acl", "public-read")
			return r
		}, rtOpts, errs.AccessDenied, ""},
		{"signed x-amz header", func() *http.Request {
			t2 := tr
			t2.headers = [][2]string{{"X-Amz-Acl", "public-read"}}
			return rtSigner.presign(t2, 60)
		}, rtOpts, -1, ""},
		{"with Authorization too", func() *http.Request {
			r := rtSigner.presign(tr, 60)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, rtOpts, errs.InvalidArgument, ""},
		{"pinned payload hash", func() *http.Request {
			t2 := tr
			t2.method, t2.body = "PUT", data
			return rtSigner.presign(t2, 60, [2]string{"X-Amz-Content-Sha256", tSHA(data)})
		}, rtOpts, -1, ""},
		{"pinned payload hash, other body", func() *http.Request {
			t2 := tr
			t2.method, t2.body = "PUT", data
			r := rtSigner.presign(t2, 60, [2]string{"X-Amz-Content-Sha256", tSHA(data)})
			r.Body = io.NopCloser(strings.NewReader("HELLO"))
			return r
		}, rtOpts, errs.ContentSHA256Mismatch, ""},
		{"wrong service", func() *http.Request {
			r := rtSigner.presign(tr, 60)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "%2Fs3%2F", "%2Fs4%2F", 1)
			return r
		}, rtOpts, errs.InvalidArgument, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := verifyAndRead(c.req(), c.opts)
			if c.kind < 0 {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if errs.KindOf(err) != c.kind || (c.msg != "" && errs.Message(err) != c.msg) {
				t.Fatalf("got %v, want %v %q", err, c.kind, c.msg)
			}
		})
	}
}

func TestMalformedAndAnonymous(t *testing.T) {
	good, _ := rtSigner.sign(treq{method: "GET", host: "h", path: "/b/k"}, tSHA(nil))
	goodAuth := good.Header.Get("Authorization")
	cases := []struct {
		name  string
		edit  func(r *http.Request)
		kind  errs.Kind
		anon  bool
		field string
	}{
		{"no signature at all", func(r *http.Request) { r.Header.Del("Authorization") }, errs.AccessDenied, true, ""},
		{"empty Authorization", func(r *http.Request) { r.Header.Set("Authorization", "") }, errs.AccessDenied, true, ""},
		{"unrelated query only", func(r *http.Request) {
			r.Header.Del("Authorization")
			r.URL.RawQuery = "list-type=2&bad=%zz"
		}, errs.AccessDenied, true, ""},
		{"SigV2", func(r *http.Request) { r.Header.Set("Authorization", "AWS AKTEST:c2lnbmF0dXJl") }, errs.InvalidRequest, false, "Authorization"},
		{"SigV4a", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(goodAuth, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
		}, errs.InvalidRequest, false, "Authorization"},
		{"two Authorization headers", func(r *http.Request) { r.Header.Add("Authorization", goodAuth) }, errs.InvalidArgument, false, "Authorization"},
		{"garbage", func(r *http.Request) { r.Header.Set("Authorization", "Bearer xyz") }, errs.InvalidArgument, false, "Authorization"},
		{"no components", func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256") }, errs.InvalidArgument, false, "Authorization"},
		{"no signature component", func(r *http.Request) {
			r.Header.Set("Authorization", goodAuth[:strings.Index(goodAuth, ", Signature")])
		}, errs.InvalidArgument, false, "Authorization"},
		{"duplicate component", func(r *http.Request) { r.Header.Set("Authorization", goodAuth+", Signature=00") }, errs.InvalidArgument, false, "Authorization"},
		{"unknown component", func(r *http.Request) { r.Header.Set("Authorization", goodAuth+", Foo=bar") }, errs.InvalidArgument, false, "Authorization"},
		{"short credential", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(goodAuth, "/eu-west-1", "", 1))
		}, errs.InvalidArgument, false, "Authorization"},
		{"credential date is another day", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(goodAuth, "/20260314/", "/20260313/", 1))
		}, errs.InvalidArgument, false, "Authorization"},
		{"not s3", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(goodAuth, "/s3/", "/iam/", 1))
		}, errs.InvalidArgument, false, "Authorization"},
		{"host not signed", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(goodAuth, "SignedHeaders=host;", "SignedHeaders=", 1))
		}, errs.InvalidArgument, false, "Authorization"},
		{"empty signed header name", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(goodAuth, "SignedHeaders=host;", "SignedHeaders=host;;", 1))
		}, errs.InvalidArgument, false, "Authorization"},
		{"no date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, errs.AccessDenied, false, "X-Amz-Date"},
		{"bad date", func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-03-14T15:09:26Z") }, errs.AccessDenied, false, "X-Amz-Date"},
		{"no x-amz-content-sha256", func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") }, errs.InvalidRequest, false, "x-amz-content-sha256"},
		{"bad x-amz-content-sha256", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "abc") }, errs.InvalidArgument, false, "x-amz-content-sha256"},
		{"SigV4a streaming", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
		}, errs.InvalidArgument, false, "x-amz-content-sha256"},
		{"bad decoded length", func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", streamingSigned)
			r.Header.Set("X-Amz-Decoded-Content-Length", "-5")
		}, errs.InvalidArgument, false, "x-amz-decoded-content-length"},
		{"bad query escape", func(r *http.Request) { r.URL.RawQuery = "a=%zz" }, errs.InvalidArgument, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := rtSigner.sign(treq{method: "GET", host: "h", path: "/b/k"}, tSHA(nil))
			c.edit(r)
			_, err := Verify(r, rtLookup, rtOpts)
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != c.kind || IsAnonymous(err) != c.anon || e.Field != c.field {
				t.Fatalf("got %#v, want kind %v anonymous=%v field=%q", err, c.kind, c.anon, c.field)
			}
			if c.anon && !errors.Is(err, errs.AccessDenied) {
				t.Fatalf("anonymous error is not AccessDenied: %v", err)
			}
		})
	}
}

// The Date header stands in for X-Amz-Date (the S3 PUT example sends both;
// here only Date).
func TestDateHeaderFallback(t *testing.T) {
	s := rtSigner
	tr := treq{method: "GET", host: "h", path: "/b/k", headers: [][2]string{{"Date", rtNow.Format(http.TimeFormat)}}}
	r, creq, signed := s.build(tr, nil, append([][2]string{{"X-Amz-Content-Sha256", tSHA(nil)}}, tr.headers...), tSHA(nil))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+s.ak+"/"+s.scope()+
		",SignedHeaders="+signed+",Signature="+s.signature(creq))
	if _, err := Verify(r, rtLookup, rtOpts); err != nil {
		t.Fatal(err)
	}
}
