package sigv4

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

// Throughput of body decoding; the SHA-256 of the data bounds the signed modes.

func benchBody(b *testing.B, mode PayloadMode, c chunking) {
	data := payloadOf(16 << 20)
	var body []byte
	a := fuzzAuth(mode, int64(len(data)))
	switch mode {
	case PayloadSigned:
		body, a.PayloadHash = data, tSHA(data)
	case PayloadUnsigned:
		body = data
	default:
		body = rtSigner.chunked(a.seedSignature, data, c)
	}
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		br := a.Body(bytes.NewReader(body))
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{br}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBody(b *testing.B) {
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	for _, size := range []int{64 << 10, 1 << 20} {
		s := strconv.Itoa(size >> 10)
		b.Run("streaming-signed/"+s+"KiB", func(b *testing.B) {
			benchBody(b, PayloadStreamingSigned, chunking{size: size, signed: true})
		})
		b.Run("streaming-unsigned-trailer/"+s+"KiB", func(b *testing.B) {
			benchBody(b, PayloadStreamingUnsignedTrailer, chunking{size: size, trailers: crc})
		})
	}
	b.Run("signed", func(b *testing.B) { benchBody(b, PayloadSigned, chunking{}) })
	b.Run("unsigned", func(b *testing.B) { benchBody(b, PayloadUnsigned, chunking{}) })
}

func BenchmarkVerifyHeader(b *testing.B) {
	r, _ := rtSigner.sign(treq{method: "PUT", host: "bkt.example.com", path: "/bkt/some/key.bin",
		headers: [][2]string{{"Content-Type", "application/octet-stream"}, {"X-Amz-Meta-A", "b"}}}, "UNSIGNED-PAYLOAD")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(r, rtLookup, rtOpts); err != nil {
			b.Fatal(err)
		}
	}
}
