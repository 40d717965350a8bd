package loadgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/sigv4"
)

const (
	awsExampleAK = "AKIAIOSFODNN7EXAMPLE"
	awsExampleSK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// The "Transferring Payload in Multiple Chunks" example of
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html:
// 66,560 bytes of 'a' in 64 KiB chunks, PUT at 20130524T000000Z. The
// generator must produce the documented seed signature, chunk signatures
// and body, byte for byte.
func TestChunkedMatchesAWSExample(t *testing.T) {
	c, err := NewClient("http://s3.amazonaws.com", awsExampleAK, awsExampleSK, "us-east-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	c.Payload = PayloadChunked
	c.PutHeaders = http.Header{"X-Amz-Storage-Class": {"REDUCED_REDUNDANCY"}}
	when := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	req, err := c.putRequest(context.Background(), "examplebucket", "chunkObject.txt", NewBody(bytes.Repeat([]byte{'a'}, 66560), 64*kib), when)
	if err != nil {
		t.Fatal(err)
	}
	wantAuth := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class, " +
		"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	if got := req.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("Authorization\n got %s\nwant %s", got, wantAuth)
	}
	if req.ContentLength != 66824 || req.Header.Get("Content-Length") != "66824" {
		t.Errorf("Content-Length %d / %q, the example's is 66824", req.ContentLength, req.Header.Get("Content-Length"))
	}
	var want bytes.Buffer
	want.WriteString("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n")
	want.Write(bytes.Repeat([]byte{'a'}, 65536))
	want.WriteString("\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n")
	want.Write(bytes.Repeat([]byte{'a'}, 1024))
	want.WriteString("\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
	got, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		n := 0
		for n < min(len(got), want.Len()) && got[n] == want.Bytes()[n] {
			n++
		}
		t.Fatalf("body differs from the example at byte %d (got %d bytes, want %d):\n got %q\nwant %q",
			n, len(got), want.Len(), got[n:min(n+100, len(got))], want.Bytes()[n:min(n+100, want.Len())])
	}
}

// The CRC check values ("123456789") of the two trailer algorithms, and the
// trailer's encoding: the big-endian CRC in base64, as S3 wants it, equal
// to what Coffer's own internal/checksum computes.
func TestTrailerChecksums(t *testing.T) {
	check := []byte("123456789")
	if v := crc32.ChecksumIEEE(check); v != 0xcbf43926 {
		t.Errorf("CRC32 check value %#x", v)
	}
	if v := crc64.Checksum(check, crc64NVME); v != 0xae8b14860a799888 {
		t.Errorf("CRC-64/NVME check value %#x, want 0xae8b14860a799888", v)
	}
	b := NewBody(check, 0)
	if name, v := b.Checksum(ChecksumCRC32); name != "x-amz-checksum-crc32" || v != base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, 0xcbf43926)) {
		t.Errorf("crc32 trailer %s:%s", name, v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 4096, 100_000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		b := NewBody(data, 0)
		for alg, want := range map[string]checksum.Algorithm{ChecksumCRC32: checksum.CRC32, ChecksumCRC64NVME: checksum.CRC64NVME} {
			name, v := b.Checksum(alg)
			if name != want.HeaderName() || v != checksum.Sum(want, data) {
				t.Errorf("%d bytes, %s: %s:%s, internal/checksum says %s:%s", n, alg, name, v, want.HeaderName(), checksum.Sum(want, data))
			}
		}
	}
	// One chunk (aws-sdk-go-v2's framing of a body of known length).
	got, _ := io.ReadAll(&segmentReader{segs: trailerSegments(NewBody([]byte("Hello world"), 0), 0, "x-amz-checksum-crc32", "AAAAAA==")})
	if want := "b\r\nHello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"; string(got) != want {
		t.Errorf("trailer framing\n got %q\nwant %q", got, want)
	}
}

// toServer turns a client request into what a server receives.
func toServer(t *testing.T, req *http.Request) *http.Request {
	t.Helper()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			t.Fatal(err)
		}
	}
	if int64(len(body)) != req.ContentLength {
		t.Fatalf("body %d bytes, Content-Length %d", len(body), req.ContentLength)
	}
	r := httptest.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	for k, v := range req.Header {
		r.Header[k] = v
	}
	r.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	r.Host = req.URL.Host
	return r
}

// Every payload mode, decoded by Coffer's own verifier (internal/sigv4):
// the decoded bytes must be the object's, the signatures must verify, a
// trailer must carry the object's checksum. A flipped payload byte must
// fail the signed modes. Sizes around the chunk size, empty included.
func TestPayloadModesDecodeWithSigv4(t *testing.T) {
	lookup := func(ak string) (string, error) {
		if ak != testAK {
			return "", errs.New(errs.InvalidAccessKeyID, "unknown")
		}
		return testSK, nil
	}
	rng := rand.New(rand.NewPCG(3, 4))
	type mode struct {
		payload, checksum   string
		chunk, trailerChunk int
		wantMode            sigv4.PayloadMode
	}
	modes := []mode{
		{payload: PayloadSigned, wantMode: sigv4.PayloadSigned},
		{payload: PayloadUnsigned, wantMode: sigv4.PayloadUnsigned},
		{payload: PayloadChunked, wantMode: sigv4.PayloadStreamingSigned},
		{payload: PayloadChunked, chunk: 8 * kib, wantMode: sigv4.PayloadStreamingSigned},
		{payload: PayloadTrailer, checksum: ChecksumCRC32, wantMode: sigv4.PayloadStreamingUnsignedTrailer},
		{payload: PayloadTrailer, checksum: ChecksumCRC64NVME, trailerChunk: 16 * kib, wantMode: sigv4.PayloadStreamingUnsignedTrailer},
	}
	for _, m := range modes {
		for _, n := range []int{0, 1, 64*kib - 1, 64 * kib, 64*kib + 1, 200 * kib} {
			name := m.payload + "/" + m.checksum + "/" + strconv.Itoa(m.chunk+m.trailerChunk) + "/" + strconv.Itoa(n)
			t.Run(name, func(t *testing.T) {
				data := make([]byte, n)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				c, err := NewClient("http://127.0.0.1:9", testAK, testSK, "", 1)
				if err != nil {
					t.Fatal(err)
				}
				c.Payload, c.Checksum, c.TrailerChunkSize = m.payload, m.checksum, m.trailerChunk
				c.ContentMD5 = true
				key := "pre(fix)/1.aB()x.rnd"
				req, err := c.putRequest(context.Background(), "bucket", key, NewBody(data, m.chunk), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				r := toServer(t, req)
				a, err := sigv4.Verify(r, lookup, sigv4.Options{})
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if a.Mode != m.wantMode {
					t.Fatalf("mode %v, want %v", a.Mode, m.wantMode)
				}
				br := a.Body(r.Body)
				got, err := io.ReadAll(br)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("decoded %d bytes, sent %d (or different)", len(got), len(data))
				}
				if m.payload == PayloadTrailer {
					alg := checksum.CRC32
					if m.checksum == ChecksumCRC64NVME {
						alg = checksum.CRC64NVME
					}
					if v := br.Trailer().Get(alg.HeaderName()); v != checksum.Sum(alg, data) {
						t.Errorf("trailer %s = %q, want %q (trailer %v)", alg.HeaderName(), v, checksum.Sum(alg, data), br.Trailer())
					}
					if h := r.Header.Get("X-Amz-Trailer"); h != alg.HeaderName() {
						t.Errorf("X-Amz-Trailer %q", h)
					}
				}
				if m.payload == PayloadChunked || m.payload == PayloadTrailer {
					if a.DecodedLength != int64(n) || r.Header.Get("Content-Encoding") != "aws-chunked" {
						t.Errorf("decoded length %d, content-encoding %q", a.DecodedLength, r.Header.Get("Content-Encoding"))
					}
				}
				// A flipped payload byte: the signed modes must notice.
				if n == 0 || (m.payload != PayloadSigned && m.payload != PayloadChunked) {
					return
				}
				req, _ = c.putRequest(context.Background(), "bucket", key, NewBody(data, m.chunk), time.Now())
				raw, _ := io.ReadAll(req.Body)
				i := bytes.Index(raw, data[:min(n, 16)])
				raw[i+min(n, 16)/2] ^= 1
				req.Body = io.NopCloser(bytes.NewReader(raw))
				r = toServer(t, req)
				a, err = sigv4.Verify(r, lookup, sigv4.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadAll(a.Body(r.Body)); err == nil {
					t.Fatal("a tampered payload decoded without error")
				}
			})
		}
	}
}

// The chunked Content-Length is computed before the chunks exist; it must
// equal the framing's real length for any size.
func TestChunkedLength(t *testing.T) {
	s := &Signer{AccessKey: "a", SecretKey: "b"}
	for _, size := range []int{8 * kib, 64 * kib} {
		for _, n := range []int{0, 1, size - 1, size, size + 1, 3*size + 17} {
			b := NewBody(make([]byte, n), size)
			segs := chunkedSegments(s, "20260101T000000Z", strings.Repeat("0", 64), b)
			if got, want := chunkedLength(int64(n), size), segmentsLength(segs); got != want {
				t.Errorf("size %d, %d bytes: chunkedLength %d, framing %d", size, n, got, want)
			}
		}
	}
}

func TestSegmentReader(t *testing.T) {
	segs := [][]byte{[]byte("ab"), nil, []byte("cde"), []byte("f")}
	for _, bufSize := range []int{1, 2, 4, 100} {
		r := &segmentReader{segs: segs}
		var out []byte
		buf := make([]byte, bufSize)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil || n == 0 {
				t.Fatalf("Read: %d, %v", n, err)
			}
		}
		if string(out) != "abcdef" {
			t.Errorf("buffer %d: %q", bufSize, out)
		}
	}
}
