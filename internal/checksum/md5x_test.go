package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"coffer/internal/md5x"
)

// The ETag of a body hashed on the shared md5x stream is crypto/md5's, for
// every size around MD5's and md5-simd's block boundaries and for
// concurrent bodies; the Reader gives its stream back at EOF.
func TestReaderWithSharedMD5(t *testing.T) {
	srv, err := md5x.New(md5x.Options{Threshold: 1, MinStreams: 1, Streams: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	if !srv.Shared() {
		t.Skip("no AVX2: md5x is crypto/md5")
	}
	rng := rand.New(rand.NewPCG(8, 9))
	sizes := []int{0, 1, 63, 64, 65, 32<<10 - 1, 32 << 10, 32<<10 + 1, md5SyncBytes, md5SyncBytes + 1,
		md5SyncBytes + md5Slot + 64, 16<<20 + 1}
	var wg sync.WaitGroup
	for i, size := range sizes {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		want := md5.Sum(data)
		wg.Go(func() { // four streams share at once, the rest on crypto/md5
			for _, claim := range []bool{false, true} {
				md := srv.Hash(int64(max(size, 1)))
				e := Expect{}
				if claim {
					e.ContentMD5 = base64.StdEncoding.EncodeToString(want[:])
				}
				src := &randomReads{r: bytes.NewReader(data), rng: rand.New(rand.NewPCG(uint64(i), 1)), max: 200 << 10}
				r, err := NewReaderMD5(src, e, md)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					t.Errorf("size %d: %v", size, err)
					return
				}
				if got := r.MD5Hex(); got != hex.EncodeToString(want[:]) {
					t.Errorf("size %d (shared %v): ETag %s, want %x", size, md.Shared(), got, want)
				}
			}
		})
	}
	wg.Wait()
	// Every stream came back: four shared Hashes are free again.
	for range 4 {
		if h := srv.Hash(1 << 20); !h.Shared() {
			t.Fatal("a Reader kept its shared MD5 stream after EOF")
		}
	}
}

// A body that fails mid-stream (here a wrong Content-MD5 and a source
// error) leaves the other streams' ETags right.
func TestSharedMD5BodyErrors(t *testing.T) {
	srv, err := md5x.New(md5x.Options{Threshold: 1, MinStreams: 1, Streams: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { // the failed bodies' streams come back, though never closed
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	data := bytes.Repeat([]byte("coffer md5x "), 300000)
	want := md5.Sum(data)
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Go(func() {
			var src io.Reader = bytes.NewReader(data)
			e := Expect{}
			switch i % 3 {
			case 1:
				src = io.MultiReader(io.LimitReader(bytes.NewReader(data), 1<<20), errReader{})
			case 2:
				e.ContentMD5 = base64.StdEncoding.EncodeToString(make([]byte, 16))
			}
			r, err := NewReaderMD5(src, e, srv.Hash(int64(len(data))))
			if err != nil {
				t.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, r)
			switch i % 3 {
			case 0:
				if err != nil || r.MD5Hex() != hex.EncodeToString(want[:]) {
					t.Errorf("stream %d: %v, ETag %s", i, err, r.MD5Hex())
				}
			default:
				if err == nil {
					t.Errorf("stream %d: no error", i)
				}
			}
		})
	}
	wg.Wait()
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
