package sse

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
	"testing/iotest"
)

func testStream(t testing.TB) *Stream {
	t.Helper()
	key := make([]byte, KeySize)
	rand.Read(key)
	s, err := NewStream(key, NewNonceBase())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seal(t testing.TB, s *Stream, plain []byte) []byte {
	t.Helper()
	c, err := io.ReadAll(s.EncryptReader(bytes.NewReader(plain)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func open(s *Stream, c []byte, size, off, n int64) ([]byte, error) {
	d, err := s.DecryptRange(bytes.NewReader(c), size, off, n)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return io.ReadAll(d)
}

var sizes = []int{0, 1, 15, 16, 17, PackageSize - 1, PackageSize, PackageSize + 1,
	2*PackageSize - 1, 2 * PackageSize, 2*PackageSize + 1, 3*PackageSize + 12345}

func TestRoundTrip(t *testing.T) {
	s := testStream(t)
	for _, size := range sizes {
		plain := make([]byte, size)
		rand.Read(plain)
		c := seal(t, s, plain)
		if int64(len(c)) != SealedSize(int64(size)) {
			t.Fatalf("size %d: ciphertext %d bytes, SealedSize says %d", size, len(c), SealedSize(int64(size)))
		}
		if n, ok := PlainSize(int64(len(c))); !ok || n != int64(size) {
			t.Fatalf("PlainSize(%d) = %d, %v; want %d", len(c), n, ok, size)
		}
		if size >= 16 && bytes.Contains(c, plain[:16]) {
			t.Fatalf("size %d: plaintext visible in ciphertext", size)
		}
		got, err := open(s, c, int64(size), 0, int64(size))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: round trip: err %v, equal %v", size, err, bytes.Equal(got, plain))
		}
		// Read with a large buffer (packages sealed in place in it).
		var big bytes.Buffer
		if _, err := io.CopyBuffer(&big, struct{ io.Reader }{s.EncryptReader(bytes.NewReader(plain))}, make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
		if got, err := open(s, big.Bytes(), int64(size), 0, int64(size)); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: large-buffer round trip failed: %v", size, err)
		}
		// Through a reader that returns one byte at a time.
		c2, err := io.ReadAll(iotest.OneByteReader(s.EncryptReader(iotest.HalfReader(bytes.NewReader(plain)))))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := open(s, c2, int64(size), 0, int64(size)); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("size %d: slow reader round trip failed: %v", size, err)
		}
	}
}

func TestPlainSizeRejects(t *testing.T) {
	for _, c := range []int64{0, 1, 15, sealedPackage + 1, sealedPackage + 15, sealedPackage + TagSize} {
		if _, ok := PlainSize(c); ok {
			t.Errorf("PlainSize(%d) accepted an impossible ciphertext size", c)
		}
	}
}

// TestEveryRange decrypts every range of objects around package boundaries
// (with a stride for the larger ones) and compares with the plaintext.
func TestEveryRange(t *testing.T) {
	s := testStream(t)
	for _, size := range []int{0, 1, 100, PackageSize, PackageSize + 1, 2*PackageSize + 7} {
		plain := make([]byte, size)
		rand.Read(plain)
		c := seal(t, s, plain)
		step := 1
		if size > 200 {
			step = 4099
		}
		offs := []int{}
		for o := 0; o <= size; o += step {
			offs = append(offs, o)
		}
		for _, b := range []int{PackageSize - 1, PackageSize, PackageSize + 1, size - 1, size} {
			if b >= 0 && b <= size {
				offs = append(offs, b)
			}
		}
		for _, off := range offs {
			for _, end := range offs {
				if end < off {
					continue
				}
				got, err := open(s, c, int64(size), int64(off), int64(end-off))
				if err != nil || !bytes.Equal(got, plain[off:end]) {
					t.Fatalf("size %d range [%d,%d): err %v", size, off, end, err)
				}
			}
		}
	}
	if _, err := s.DecryptRange(bytes.NewReader(nil), 10, 5, 6); err == nil {
		t.Fatal("a range past the end was accepted")
	}
}

// TestWriteTo checks the WriteTo path and that a range reads only the
// packages it needs.
func TestWriteTo(t *testing.T) {
	s := testStream(t)
	plain := make([]byte, 5*PackageSize)
	rand.Read(plain)
	c := seal(t, s, plain)
	cr := &countingReaderAt{r: bytes.NewReader(c)}
	d, err := s.DecryptRange(cr, int64(len(plain)), 2*PackageSize+10, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := d.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), plain[2*PackageSize+10:2*PackageSize+110]) {
		t.Fatal("WriteTo range differs")
	}
	if cr.n != sealedPackage {
		t.Fatalf("a 100-byte range inside one package read %d ciphertext bytes", cr.n)
	}
}

type countingReaderAt struct {
	r io.ReaderAt
	n int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += n
	return n, err
}

func TestTamperTruncateReorder(t *testing.T) {
	s := testStream(t)
	size := 3*PackageSize + 100
	plain := make([]byte, size)
	rand.Read(plain)
	c := seal(t, s, plain)
	mustFail := func(what string, c []byte, size int64) {
		t.Helper()
		if _, err := open(s, c, size, 0, size); !errors.Is(err, ErrAuth) {
			t.Fatalf("%s: got %v, want ErrAuth", what, err)
		}
	}
	// Every flipped byte (with a stride) is detected.
	for i := 0; i < len(c); i += 997 {
		bad := bytes.Clone(c)
		bad[i] ^= 0x40
		mustFail("flipped byte", bad, int64(size))
	}
	// Truncation at a package boundary, claimed as the full plaintext size of
	// the shorter stream: the new last package was not sealed as final.
	mustFail("truncated to 2 packages", c[:2*sealedPackage], 2*PackageSize)
	// Truncation inside the stream with the real size: short read.
	mustFail("truncated mid-package", c[:len(c)-10], int64(size))
	// Two packages swapped.
	swapped := bytes.Clone(c)
	copy(swapped[0:sealedPackage], c[sealedPackage:2*sealedPackage])
	copy(swapped[sealedPackage:2*sealedPackage], c[0:sealedPackage])
	mustFail("reordered", swapped, int64(size))
	// A package from another stream with the same key but another base.
	other, _ := NewStream(make([]byte, KeySize), NewNonceBase())
	if _, err := open(other, c, int64(size), 0, 10); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v", err)
	}
	// An extended stream (a last package appended again) is not accepted as
	// a longer plaintext either.
	ext := append(bytes.Clone(c[:3*sealedPackage]), c[:sealedPackage]...)
	mustFail("extended", ext, 4*PackageSize)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestEncryptPropagatesSourceError(t *testing.T) {
	s := testStream(t)
	want := errors.New("bad checksum")
	r := s.EncryptReader(io.MultiReader(bytes.NewReader(make([]byte, PackageSize+5)), errReader{want}))
	_, err := io.ReadAll(r)
	if err != want {
		t.Fatalf("got %v, want the source's error unchanged", err)
	}
	if r.PlainBytes() != 0 {
		// The first package was not complete when the error came.
		t.Logf("plain bytes %d", r.PlainBytes())
	}
}

func TestEncryptSourceErrorWithLargeBuffer(t *testing.T) {
	s := testStream(t)
	want := errors.New("digest mismatch")
	r := s.EncryptReader(io.MultiReader(bytes.NewReader(make([]byte, 3*PackageSize+5)), errReader{want}))
	_, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, make([]byte, 1<<20))
	if err != want {
		t.Fatalf("got %v, want the source's error", err)
	}
}

func TestSealKey(t *testing.T) {
	kek := make([]byte, KeySize)
	rand.Read(kek)
	secret := []byte("0123456789abcdef0123456789abcdef")
	sealed, err := SealKey(kek, secret, []byte("ctx"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenKey(kek, sealed, []byte("ctx"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("OpenKey: %v", err)
	}
	if _, err := OpenKey(kek, sealed, []byte("other")); !errors.Is(err, ErrAuth) {
		t.Fatal("wrong aad accepted")
	}
	kek[0] ^= 1
	if _, err := OpenKey(kek, sealed, []byte("ctx")); !errors.Is(err, ErrAuth) {
		t.Fatal("wrong key accepted")
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), uint32(0), uint32(5), uint16(0))
	f.Add(make([]byte, PackageSize+3), uint32(PackageSize-1), uint32(4), uint16(7))
	key := make([]byte, KeySize)
	s, _ := NewStream(key, make([]byte, NonceSize))
	f.Fuzz(func(t *testing.T, data []byte, off, n uint32, flip uint16) {
		size := int64(len(data))
		c := seal(t, s, data)
		o := int64(off) % (size + 1)
		l := int64(n) % (size - o + 1)
		got, err := open(s, c, size, o, l)
		if err != nil || !bytes.Equal(got, data[o:o+l]) {
			t.Fatalf("range [%d,+%d) of %d: %v", o, l, size, err)
		}
		// Any single flipped byte fails the whole-stream read.
		i := int(flip) % len(c)
		c[i] ^= 1 + byte(mrand.IntN(255))
		if _, err := open(s, c, size, 0, size); !errors.Is(err, ErrAuth) && size > 0 {
			t.Fatalf("flipped byte %d of %d not detected: %v", i, len(c), err)
		}
	})
}
