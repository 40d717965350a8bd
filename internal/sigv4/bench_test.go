package sigv4

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"syscall"
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

// BenchmarkBodyTCP decodes 1 MiB aws-chunked bodies (64 KiB signed chunks,
// what minio-go and warp send) arriving over a loopback TCP connection
// into a 1 MiB buffer, as a PUT reads into its blob writer: the socket
// reads and copies the decoder's read buffer costs show up here, not with a
// bytes.Reader. cpu-ns/op is the process's user+system CPU (both ends).
func BenchmarkBodyTCP(b *testing.B) {
	data := payloadOf(1 << 20)
	a := fuzzAuth(PayloadStreamingSigned, int64(len(data)))
	body := rtSigner.chunked(a.seedSignature, data, chunking{size: 64 << 10, signed: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		for {
			if _, err := c.Write(body); err != nil {
				return
			}
		}
	}()
	conn, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	src := bufio.NewReaderSize(conn, 4096) // net/http's connection reader
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuNanos()
	for b.Loop() {
		br := a.Body(io.LimitReader(src, int64(len(body))))
		n := 0
		for {
			m, err := br.Read(buf[n:])
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if n != len(data) {
			b.Fatalf("%d bytes", n)
		}
	}
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}

func cpuNanos() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
