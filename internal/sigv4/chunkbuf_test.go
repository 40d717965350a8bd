package sigv4

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Small declared bodies get a small read buffer (chunkBufSize); lines up to
// maxLineSize must still fit it.
func TestSmallChunkedBodiesWithLongLines(t *testing.T) {
	long := strings.Repeat("A", maxLineSize-100)
	for _, size := range []int{0, 1, 4 << 10, 100 << 10} {
		if got := chunkBufSize(int64(size)); got > readBufSize || got <= maxLineSize {
			t.Fatalf("buffer of %d bytes for a %d-byte body", got, size)
		}
		data := payloadOf(size)
		for _, c := range []struct {
			mode PayloadMode
			ch   chunking
		}{
			{PayloadStreamingSigned, chunking{size: 64 << 10, signed: true}},
			{PayloadStreamingUnsignedTrailer, chunking{size: 64 << 10, trailers: [][2]string{{"x-amz-checksum-crc32", long}}}},
		} {
			a := fuzzAuth(c.mode, int64(len(data)))
			body := rtSigner.chunked(a.seedSignature, data, c.ch)
			br := a.Body(bytes.NewReader(body))
			got, err := io.ReadAll(br)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("mode %v size %d: %d bytes, %v", c.mode, size, len(got), err)
			}
			if c.ch.trailers != nil && br.Trailer().Get("x-amz-checksum-crc32") != long {
				t.Fatalf("mode %v size %d: the long trailer line was lost", c.mode, size)
			}
		}
	}
	if chunkBufSize(-1) != readBufSize || chunkBufSize(1<<30) != readBufSize {
		t.Fatal("unknown or large bodies take readBufSize")
	}
}
