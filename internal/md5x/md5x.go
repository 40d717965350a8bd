package md5x

import (
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"sync"
	"time"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sys/cpu"
)

const (
	// chunk is md5-simd's internal block: it splits writes into pieces of
	// at most this size, one lane round each.
	chunk = 32 << 10
	// batch is how much a stream gathers before it hands it to md5-simd:
	// small writes would make short lane rounds. The checksum Reader's
	// writes past its first 256 KiB are this size and go through uncopied.
	batch = 4 * chunk
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Threshold is the smallest body size, in bytes, hashed on the shared
	// hasher; smaller or unknown sizes use crypto/md5, whose latency is
	// lower (md5-simd hands every block to its goroutine). Default 1 MiB.
	Threshold int64
	// Streams is how many bodies hash on the shared hasher at once; more
	// use crypto/md5. Default 8 lanes (one AVX2 register set) per core, at
	// most 16 (md5-simd's limit).
	Streams int
	// MinStreams is how many large bodies must be hashing at once, this
	// one included, for this one to get a shared stream: md5-simd hashes
	// one or two streams with the scalar code behind a hand-off, at more CPU
	// per byte than crypto/md5 (docs/benchmarks.md). Default 3; 1 shares
	// every large body.
	MinStreams int
	// Disabled makes every Hash crypto/md5 (comparisons, CPUs where the
	// shared hasher measures slower).
	Disabled bool
	// CloseWait bounds how long Close waits for outstanding Hashes to be
	// closed or dropped. Default 5 s.
	CloseWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Threshold == 0 {
		o.Threshold = 1 << 20
	}
	if o.Streams == 0 {
		o.Streams = min(8*runtime.GOMAXPROCS(0), md5simd.Lanes)
	}
	if o.CloseWait == 0 {
		o.CloseWait = 5 * time.Second
	}
	if o.MinStreams == 0 {
		o.MinStreams = 3
	}
	return o
}

// Validate reports every invalid field.
func (o Options) Validate() error {
	var errList []error
	if o.Threshold < 0 {
		errList = append(errList, fmt.Errorf("md5x: Threshold %d is negative", o.Threshold))
	}
	if o.Streams < 0 || o.Streams > md5simd.Lanes {
		errList = append(errList, fmt.Errorf("md5x: Streams %d is outside 0..%d", o.Streams, md5simd.Lanes))
	}
	if o.MinStreams < 0 {
		errList = append(errList, fmt.Errorf("md5x: MinStreams %d is negative", o.MinStreams))
	}
	if o.CloseWait < 0 {
		errList = append(errList, fmt.Errorf("md5x: CloseWait %v is negative", o.CloseWait))
	}
	return errors.Join(errList...)
}

// Server is the process's shared MD5 hasher. A nil *Server is valid: all
// its Hashes are crypto/md5.
type Server struct {
	opts Options

	mu      sync.Mutex
	started bool
	closed  bool
	simd    md5simd.Server
	free    []*slot
	out     int // slots handed out and not yet back
	large   int // Hashes of large bodies open, shared or not
}

// slot is one registered md5-simd stream and its staging buffer.
type slot struct {
	h   md5simd.Hasher
	buf []byte // cap batch: what the stream gathered
}

// New returns a Server; the md5-simd server starts on the first large body.
func New(opts Options) (*Server, error) {
	o := opts.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if !cpu.X86.HasAVX2 {
		o.Disabled = true
	}
	return &Server{opts: o}, nil
}

// Shared reports whether Hash can hand out shared streams (AVX2 present,
// not disabled, not closed).
func (s *Server) Shared() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.opts.Disabled && !s.closed
}

// Hash returns a fresh MD5 for a body of size bytes (-1 if unknown). The
// caller should Close it once the sum is taken; one dropped unclosed gives
// its slot back when it is garbage collected.
func (s *Server) Hash(size int64) *Hash {
	if s == nil || size < s.opts.Threshold || s.opts.Disabled {
		return &Hash{std: md5.New()}
	}
	if sl := s.take(); sl != nil {
		h := &Hash{sl: sl, srv: s}
		h.cleanup = runtime.AddCleanup(h, s.give, sl)
		return h
	}
	h := &Hash{std: md5.New(), srv: s}
	h.cleanup = runtime.AddCleanup(h, s.leave, struct{}{})
	return h
}

// take counts a large body in and gives it a slot when enough of them
// hash at once and one is free.
func (s *Server) take() *slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.large++
	if s.closed || s.large < s.opts.MinStreams {
		return nil
	}
	if !s.started {
		s.started = true
		s.simd = md5simd.NewServer()
		for range s.opts.Streams {
			s.free = append(s.free, &slot{h: s.simd.NewHash(), buf: make([]byte, 0, batch)})
		}
	}
	if len(s.free) == 0 {
		return nil
	}
	sl := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	s.out++
	return sl
}

// give takes a slot back, empty.
func (s *Server) give(sl *slot) {
	sl.h.Reset()
	sl.buf = sl.buf[:0]
	s.mu.Lock()
	s.free = append(s.free, sl)
	s.out--
	s.large--
	s.mu.Unlock()
}

// leave counts out a large body hashed with crypto/md5.
func (s *Server) leave(struct{}) {
	s.mu.Lock()
	s.large--
	s.mu.Unlock()
}

// Close stops the shared hasher once every slot is back; Hashes taken
// afterwards are crypto/md5. A Hash still in use after CloseWait keeps the
// md5-simd server running (its writer would block forever otherwise) and
// Close reports it.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	deadline := time.Now().Add(s.opts.CloseWait)
	for s.out > 0 && time.Now().Before(deadline) {
		s.mu.Unlock()
		runtime.GC() // runs the cleanups of dropped Hashes
		time.Sleep(5 * time.Millisecond)
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.out > 0 {
		return fmt.Errorf("md5x: %d MD5 streams still open after %v", s.out, s.opts.CloseWait)
	}
	if s.simd != nil {
		for _, sl := range s.free {
			sl.h.Close()
		}
		s.free = nil
		s.simd.Close()
		s.simd = nil
	}
	return nil
}

// Hash is an MD5 hash.Hash, either a shared stream or crypto/md5.
// It is not safe for concurrent use.
type Hash struct {
	std     hash.Hash
	sl      *slot
	srv     *Server
	cleanup runtime.Cleanup
}

var _ hash.Hash = (*Hash)(nil)

// Shared reports whether h hashes on the shared hasher.
func (h *Hash) Shared() bool { return h.sl != nil }

// Write never fails. It gathers a batch and hands it to md5-simd.
func (h *Hash) Write(p []byte) (int, error) {
	if h.std != nil {
		return h.std.Write(p)
	}
	sl := h.live()
	n := len(p)
	if len(sl.buf) > 0 {
		k := copy(sl.buf[len(sl.buf):cap(sl.buf)], p)
		sl.buf, p = sl.buf[:len(sl.buf)+k], p[k:]
		if len(sl.buf) < batch {
			return n, nil
		}
		sl.h.Write(sl.buf)
		sl.buf = sl.buf[:0]
	}
	if whole := len(p) / batch * batch; whole > 0 {
		sl.h.Write(p[:whole])
		p = p[whole:]
	}
	sl.buf = append(sl.buf, p...)
	return n, nil
}

// Sum appends the MD5 of what was written to b; h stays usable.
func (h *Hash) Sum(b []byte) []byte {
	if h.std != nil {
		return h.std.Sum(b)
	}
	sl := h.live()
	if len(sl.buf) > 0 {
		sl.h.Write(sl.buf)
		sl.buf = sl.buf[:0]
	}
	return sl.h.Sum(b)
}

// Reset starts over.
func (h *Hash) Reset() {
	if h.std != nil {
		h.std.Reset()
		return
	}
	sl := h.live()
	sl.h.Reset()
	sl.buf = sl.buf[:0]
}

func (h *Hash) Size() int      { return md5.Size }
func (h *Hash) BlockSize() int { return md5.BlockSize }

// Close gives a shared stream back; h must not be used afterwards. It may
// be called more than once.
func (h *Hash) Close() {
	if h.srv == nil {
		return
	}
	h.cleanup.Stop()
	if h.sl == nil { // a large body on crypto/md5
		h.srv.leave(struct{}{})
		h.srv, h.std = nil, nil
		return
	}
	sl, srv := h.sl, h.srv
	h.sl, h.srv = nil, nil
	srv.give(sl)
}

func (h *Hash) live() *slot {
	if h.sl == nil {
		panic("md5x: Hash used after Close")
	}
	return h.sl
}
