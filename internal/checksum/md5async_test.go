package checksum

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"io"
	"math/rand/v2"
	"testing"

	"coffer/internal/errs"
)

// randomReads returns at most max bytes per Read (at least 1), like a socket.
type randomReads struct {
	r   io.Reader
	rng *rand.Rand
	max int
}

func (s *randomReads) Read(p []byte) (int, error) {
	if n := 1 + s.rng.IntN(s.max); n < len(p) {
		p = p[:n]
	}
	return s.r.Read(p)
}

// Bodies past md5SyncBytes hash MD5 on another goroutine over copies: the
// result must be the MD5 of the bytes in order, whatever the read sizes,
// including a mid-body MD5() and a Content-MD5 check at EOF.
func TestMD5OfLargeBodies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, md5SyncBytes - 1, md5SyncBytes, md5SyncBytes + 1,
		md5SyncBytes + md5Slot, 1<<20 + 123, 5<<20 + 7} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		want := md5.Sum(data)
		for _, maxRead := range []int{1 << 10, 100 << 10, 300 << 10} {
			if size > 2<<20 && maxRead == 1<<10 {
				continue
			}
			src := &randomReads{r: bytes.NewReader(data), rng: rng, max: maxRead}
			r, err := NewReader(src, Expect{ContentMD5: base64.StdEncoding.EncodeToString(want[:])})
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			var got bytes.Buffer
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				if got.Len() > size/2 && got.Len()-n <= size/2 {
					// A mid-body MD5 is that of the bytes so far.
					if mid := r.MD5(); !bytes.Equal(mid, md5Of(got.Bytes())) {
						t.Fatalf("size %d max %d: mid-body MD5 after %d bytes (n %d, reader n %d) differs", size, maxRead, got.Len(), n, r.Size())
					}
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("size %d read %d: %v", size, maxRead, err)
				}
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("size %d: the body changed on its way through", size)
			}
			if !bytes.Equal(r.MD5(), want[:]) {
				t.Fatalf("size %d max read %d: MD5 %x, want %x", size, maxRead, r.MD5(), want)
			}
		}
		// A wrong Content-MD5 still fails at EOF.
		if size > 0 {
			other := md5.Sum(data[1:])
			r, _ := NewReader(bytes.NewReader(data), Expect{ContentMD5: base64.StdEncoding.EncodeToString(other[:])})
			if _, err := io.Copy(io.Discard, r); errs.KindOf(err) != errs.BadDigest {
				t.Fatalf("size %d: wrong Content-MD5 gave %v", size, err)
			}
		}
	}
}

func md5Of(b []byte) []byte { s := md5.Sum(b); return s[:] }

// sha256Reader hashes what passes, as sigv4's signed-payload reader does
// below the checksum Reader.
type sha256Reader struct {
	r io.Reader
	h hash.Hash
}

func (s *sha256Reader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	return n, err
}

// BenchmarkSignedPut16MiB is the hash chain of a signed 16 MiB PUT: SHA-256
// of the payload, then MD5 and CRC64NVME, read 256 KiB at a time.
func BenchmarkSignedPut16MiB(b *testing.B) {
	data := bytes.Repeat([]byte("coffer!"), (16<<20)/7+1)[:16<<20]
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	src := bytes.NewReader(data)
	for b.Loop() {
		src.Reset(data)
		r, _ := NewReader(&sha256Reader{r: src, h: sha256.New()}, Expect{})
		for {
			if _, err := r.Read(buf); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
