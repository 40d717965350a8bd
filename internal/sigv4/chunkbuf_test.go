package sigv4

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// Lines up to maxLineSize must fit the read buffer, whatever the body's size.
func TestChunkedBodiesWithLongLines(t *testing.T) {
	if readBufSize <= maxLineSize {
		t.Fatalf("read buffer of %d bytes cannot hold a %d-byte line", readBufSize, maxLineSize)
	}
	long := strings.Repeat("A", maxLineSize-100)
	for _, size := range []int{0, 1, 4 << 10, 100 << 10} {
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
}

// splitReader hands out its data in reads of the sizes in steps, in turn,
// and records how much each Read asked for.
type splitReader struct {
	data  []byte
	steps []int
	i     int
	asked []int
}

func (s *splitReader) Read(p []byte) (int, error) {
	s.asked = append(s.asked, len(p))
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(s.data), s.steps[s.i%len(s.steps)])
	s.i++
	copy(p, s.data[:n])
	s.data = s.data[n:]
	return n, nil
}

// Chunk data may arrive from the buffer or be read straight into the
// caller's slice; wherever the connection's reads, the caller's reads and
// the chunk boundaries fall relative to each other and to the buffer's
// size, the payload comes out whole, and a flipped bit anywhere in a signed
// body is refused before the body's end is reported.
func TestChunkBoundariesAtEveryOffset(t *testing.T) {
	rb := readBufSize
	chunkSizes := []int{1, 7, rb - 1, rb, rb + 1, 3*rb + 5, 64 << 10}
	callerSizes := []int{1, 13, rb - 1, rb, rb + 1, 256 << 10}
	netSteps := [][]int{{1 << 30}, {1}, {rb / 2, 3}, {rb + 7}, {90, 64 << 10}}
	for _, cs := range chunkSizes {
		// Tiny chunks never take the direct path; a few buffers' worth
		// of them is enough.
		size := 150 << 10
		if cs < 64 {
			size = 3*rb + 11
		}
		data := payloadOf(size)
		for _, signed := range []bool{true, false} {
			mode, ch := PayloadStreamingSigned, chunking{size: cs, signed: true}
			if !signed {
				mode, ch = PayloadStreamingUnsignedTrailer, chunking{size: cs, trailers: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}}
			}
			a := fuzzAuth(mode, int64(size))
			body := rtSigner.chunked(a.seedSignature, data, ch)
			for _, caller := range callerSizes {
				for _, steps := range netSteps {
					if (caller == 1 || steps[0] == 1) && cs >= 64 {
						continue // a byte per call: slow, and the small chunks cover it
					}
					name := fmt.Sprintf("signed=%v chunk=%d caller=%d net=%v", signed, cs, caller, steps)
					br := a.Body(&splitReader{data: body, steps: steps})
					got, err := readAll(br, caller)
					if err != nil || !bytes.Equal(got, data) {
						t.Fatalf("%s: %d bytes, %v", name, len(got), err)
					}
				}
			}
			if !signed {
				continue
			}
			// Tampering: one flipped data bit, in the first, a middle and
			// the last chunk, read with a caller buffer that takes the
			// direct path and one that does not.
			for _, at := range []int{0, size / 2, size - 1} {
				for _, caller := range []int{13, 256 << 10} {
					bad := bytes.Clone(body)
					bad[dataOffset(body, at)] ^= 1
					br := a.Body(&splitReader{data: bad, steps: []int{rb + 7}})
					if _, err := readAll(br, caller); err == nil {
						t.Fatalf("chunk=%d caller=%d: a flipped bit at payload byte %d was accepted", cs, caller, at)
					}
				}
			}
		}
	}
}

// dataOffset finds where payload byte i sits in an aws-chunked body.
func dataOffset(body []byte, i int) int {
	off := 0
	for {
		eol := bytes.IndexByte(body[off:], '\n')
		line := string(body[off : off+eol])
		off += eol + 1
		var n int
		fmt.Sscanf(strings.SplitN(line, ";", 2)[0], "%x", &n)
		if i < n {
			return off + i
		}
		i -= n
		off += n + 2
	}
}

// A large chunk's data past the first fill is read straight into the
// caller's slice: the connection is asked for more than the buffer holds,
// and a 64 KiB chunk costs about two reads, not a copy of every byte.
func TestLargeChunksReadIntoCallerBuffer(t *testing.T) {
	data := payloadOf(1 << 20)
	a := fuzzAuth(PayloadStreamingSigned, int64(len(data)))
	body := rtSigner.chunked(a.seedSignature, data, chunking{size: 64 << 10, signed: true})
	raw := &splitReader{data: body, steps: []int{1 << 30}}
	got, err := readAll(a.Body(raw), 1<<20)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	direct := 0
	for _, n := range raw.asked {
		if n > readBufSize {
			direct++
		}
	}
	if direct < 16 || len(raw.asked) > 3*16+4 {
		t.Fatalf("16 chunks of 64 KiB took %d reads, %d of them into the caller's slice: %v", len(raw.asked), direct, raw.asked)
	}
}

// Decoding a large body allocates no read buffer of its own: decoders and
// their buffers come from the pool.
func TestLargeBodyAllocatesNoBuffer(t *testing.T) {
	data := payloadOf(1 << 20)
	a := fuzzAuth(PayloadStreamingSigned, int64(len(data)))
	body := rtSigner.chunked(a.seedSignature, data, chunking{size: 64 << 10, signed: true})
	buf := make([]byte, 256<<10)
	decode := func() {
		br := a.Body(bytes.NewReader(body))
		for {
			_, err := br.Read(buf)
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	decode() // fill the pool
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		decode()
	}
	runtime.ReadMemStats(&after)
	// A GC between the runs may empty the pool and cost one decoder.
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 4<<10 {
		t.Fatalf("%d bytes allocated per 1 MiB body", per)
	}
}
