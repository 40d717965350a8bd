package md5x

import (
	"bytes"
	"crypto/md5"
	"math/rand/v2"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"
)

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func newServer(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// writeIn writes data to h in pieces of at most max bytes (random sizes).
func writeIn(h *Hash, data []byte, rng *rand.Rand, max int) {
	for len(data) > 0 {
		n := min(len(data), 1+rng.IntN(max))
		h.Write(data[:n])
		data = data[n:]
	}
}

var sizes = []int{0, 1, 63, 64, 65, 127, 128, 55, 56, 57, chunk - 1, chunk, chunk + 1,
	2*chunk + 63, 1 << 20, 16<<20 + 1}

// Every size, written whole, in small pieces and in large ones, gives
// crypto/md5's digest, and so does a Sum in the middle.
func TestDigestOfEverySize(t *testing.T) {
	if !newServer(t, Options{}).Shared() {
		t.Skip("no AVX2: every Hash is crypto/md5")
	}
	s := newServer(t, Options{Threshold: 1, MinStreams: 1})
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range sizes {
		data := randomBytes(uint64(size), size)
		want := md5.Sum(data)
		for _, maxW := range []int{size + 1, 100, 200 << 10} {
			if size > 1<<20 && maxW == 100 {
				continue
			}
			h := s.Hash(int64(max(size, 1)))
			if !h.Shared() {
				t.Fatalf("size %d: not shared", size)
			}
			half := size / 2
			writeIn(h, data[:half], rng, maxW)
			if got := h.Sum(nil); !bytes.Equal(got, md5Of(data[:half])) {
				t.Fatalf("size %d max %d: mid-stream sum %x, want %x", size, maxW, got, md5Of(data[:half]))
			}
			writeIn(h, data[half:], rng, maxW)
			if got := h.Sum([]byte("x")); !bytes.Equal(got[1:], want[:]) || got[0] != 'x' {
				t.Fatalf("size %d max %d: sum %x, want %x", size, maxW, got, want)
			}
			h.Reset()
			h.Write(data)
			if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("size %d after Reset: sum %x, want %x", size, got, want)
			}
			h.Close()
			h.Close() // twice is fine
		}
	}
}

func md5Of(b []byte) []byte { s := md5.Sum(b); return s[:] }

// More concurrent bodies than slots: all digests right, the extra ones on
// crypto/md5.
func TestConcurrentStreams(t *testing.T) {
	s := newServer(t, Options{Threshold: 1, Streams: 4})
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	shared := 0
	start := make(chan struct{})
	var ready sync.WaitGroup
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			data := randomBytes(uint64(i), 1<<20+rng.IntN(3<<20))
			h := s.Hash(int64(len(data)))
			defer h.Close()
			ready.Done()
			<-start
			writeIn(h, data, rng, 300<<10)
			if got, want := h.Sum(nil), md5Of(data); !bytes.Equal(got, want) {
				t.Errorf("stream %d (shared %v): %x, want %x", i, h.Shared(), got, want)
			}
			if h.Shared() {
				mu.Lock()
				shared++
				mu.Unlock()
			}
		})
	}
	ready.Wait() // every stream has its Hash: 4 slots, 8 crypto/md5
	close(start)
	wg.Wait()
	if s.Shared() && shared != 4 {
		t.Errorf("%d streams shared, want the 4 slots", shared)
	}
	if !s.Shared() && shared != 0 {
		t.Errorf("%d streams shared without AVX2", shared)
	}
}

// A stream abandoned mid-body, closed or just dropped, does not change the
// digests of the streams beside it nor of the next one given its slot.
func TestAbandonedStreamPoisonsNothing(t *testing.T) {
	s := newServer(t, Options{Threshold: 1, Streams: 3, MinStreams: 1})
	if !s.Shared() {
		t.Skip("no AVX2")
	}
	data := randomBytes(1, 4<<20+5)
	want := md5Of(data)
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 4 {
		closed, dropped := s.Hash(1<<30), s.Hash(1<<30)
		var wg sync.WaitGroup
		wg.Go(func() {
			closed.Write(data[:1<<20+17]) // fails mid-body
			closed.Close()
		})
		wg.Go(func() { dropped.Write(data[:3<<20+1]) }) // dropped without Close
		wg.Wait()
		dropped = nil
		runtime.GC() // give the dropped one's slot back
		deadline := time.Now().Add(5 * time.Second)
		for {
			s.mu.Lock()
			out := s.out
			s.mu.Unlock()
			if out == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d slots still out", round, out)
			}
			runtime.GC()
			time.Sleep(time.Millisecond)
		}
		// Every slot, the two reused ones included, gives the right digest.
		var hs []*Hash
		for range 3 {
			h := s.Hash(1 << 30)
			if !h.Shared() {
				t.Fatalf("round %d: a slot did not come back", round)
			}
			hs = append(hs, h)
		}
		for i, h := range hs {
			wg.Go(func() {
				writeIn(h, data, rng2(i), 200<<10)
				if got := h.Sum(nil); !bytes.Equal(got, want) {
					t.Errorf("round %d stream %d: %x, want %x", round, i, got, want)
				}
				h.Close()
			})
		}
		wg.Wait()
		_ = rng
	}
}

func rng2(i int) *rand.Rand { return rand.New(rand.NewPCG(uint64(i), 11)) }

// simdGoroutines counts the goroutines running md5-simd code.
func simdGoroutines() int {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	n := 0
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(g, "md5-simd") {
			n++
		}
	}
	return n
}

// waitNoSimd waits for md5-simd's goroutines to end (they end
// asynchronously after Close).
func waitNoSimd(t *testing.T, what string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for simdGoroutines() > 0 {
		if time.Now().After(deadline) {
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 2)
			t.Fatalf("md5-simd goroutines left %s:\n%s", what, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Close stops md5-simd's goroutine; nothing of it is left.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	waitNoSimd(t, "by the tests before (their Close)")
	s, err := New(Options{Threshold: 1, MinStreams: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Shared() {
		t.Skip("no AVX2")
	}
	data := randomBytes(2, 2<<20)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			h := s.Hash(1 << 30)
			h.Write(data)
			h.Sum(nil)
			h.Close()
		})
	}
	wg.Wait()
	s.Hash(1 << 30).Write(data[:100<<10]) // dropped
	if simdGoroutines() == 0 {
		t.Fatal("md5-simd is not running: the test would prove nothing")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitNoSimd(t, "after Close")
	if h := s.Hash(1 << 30); h.Shared() {
		t.Error("a Hash after Close is shared")
	}
}

// Close does not stop the hasher under a stream still writing.
func TestCloseWithStreamOpen(t *testing.T) {
	s, err := New(Options{Threshold: 1, MinStreams: 1, CloseWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Shared() {
		t.Skip("no AVX2")
	}
	data := randomBytes(3, 1<<20)
	h := s.Hash(1 << 30)
	h.Write(data[:1000])
	if err := s.Close(); err == nil {
		t.Fatal("Close with an open stream reported nothing")
	}
	h.Write(data[1000:])
	if got := h.Sum(nil); !bytes.Equal(got, md5Of(data)) {
		t.Fatalf("stream after a refused Close: %x", got)
	}
	h.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFallbacks(t *testing.T) {
	var nilServer *Server
	for name, tc := range map[string]struct {
		s    *Server
		size int64
	}{
		"nil server":     {nilServer, 1 << 30},
		"small body":     {newServer(t, Options{Threshold: 1 << 20}), 1<<20 - 1},
		"unknown size":   {newServer(t, Options{}), -1},
		"disabled":       {newServer(t, Options{Disabled: true}), 1 << 30},
		"after close":    {closedServer(t), 1 << 30},
		"exact boundary": {newServer(t, Options{Threshold: 1 << 20, MinStreams: 1}), 1 << 20},
	} {
		h := tc.s.Hash(tc.size)
		wantShared := name == "exact boundary" && tc.s.Shared()
		if h.Shared() != wantShared {
			t.Errorf("%s: shared %v, want %v", name, h.Shared(), wantShared)
		}
		data := randomBytes(4, 70000)
		h.Write(data)
		if got := h.Sum(nil); !bytes.Equal(got, md5Of(data)) {
			t.Errorf("%s: wrong digest", name)
		}
		h.Close()
	}
}

// A large body shares only beside MinStreams-1 others (shared or not);
// closing or dropping one counts it out.
func TestMinStreams(t *testing.T) {
	s := newServer(t, Options{Threshold: 1, MinStreams: 3})
	if !s.Shared() {
		t.Skip("no AVX2")
	}
	a, b := s.Hash(10), s.Hash(10)
	if a.Shared() || b.Shared() {
		t.Fatal("the first two of three large bodies are shared")
	}
	c := s.Hash(10)
	if !c.Shared() {
		t.Fatal("the third large body is not shared")
	}
	small := s.Hash(0)
	small.Close()
	a.Close()
	c.Close()
	if d := s.Hash(10); d.Shared() {
		t.Fatal("shared with one other large body open")
	} else {
		d.Close()
	}
	b = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		s.mu.Lock()
		large := s.large
		s.mu.Unlock()
		if large == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a dropped crypto/md5 body still counted: %d", large)
		}
		time.Sleep(time.Millisecond)
	}
}

func closedServer(t *testing.T) *Server {
	s := newServer(t, Options{})
	s.Close()
	return s
}

func TestValidate(t *testing.T) {
	if _, err := New(Options{Threshold: -1, Streams: 17, CloseWait: -1}); err == nil ||
		!strings.Contains(err.Error(), "Threshold") || !strings.Contains(err.Error(), "Streams") || !strings.Contains(err.Error(), "CloseWait") {
		t.Fatalf("Validate: %v", err)
	}
}
