package checksum

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"sync"

	"coffer/internal/errs"
)

// readerImpl is the Reader's state. Each Read hands the caller's buffer to
// the two hashes in turn (a fan-out without copies or allocations; past
// md5SyncBytes MD5 takes a copy on its own goroutine); the result is
// settled once, at the source's EOF.
type readerImpl struct {
	src interface{ Read([]byte) (int, error) }
	md  hash.Hash // MD5, always: the ETag
	cs  hash.Hash // the requested or default checksum
	alg Algorithm
	n   int64

	asked   bool
	verify  bool // the client claimed a checksum (header or trailer)
	expect  Expect
	wantMD5 [md5.Size]byte
	wantSum rawSum // decoded Expect.Value, when one was given

	done   bool
	err    error // io.EOF or the verification failure, once done
	gotMD5 [md5.Size]byte
	gotSum rawSum

	// Past md5SyncBytes, MD5 runs on another goroutine over a copy of the
	// body, md5Slot bytes at a time, while the caller goes on (the payload
	// SHA-256 of the next bytes, the checksum, the blob write): a large
	// upload then costs its slowest hash in time, not the sum of them. MD5
	// was 58% of put16m's server CPU and SHA-256 19% (docs/benchmarks.md,
	// "Profiles: PUT"). fill takes the copies; spare is being hashed while
	// pending; md5Done reports a job's end.
	fill, spare *[]byte
	pending     bool
	md5Done     chan struct{}
}

const (
	md5SyncBytes = 256 << 10 // smaller bodies hash in the caller's Read
	md5Slot      = 128 << 10
)

var md5Slots = sync.Pool{New: func() any { b := make([]byte, 0, md5Slot); return &b }}

func newReader(r interface{ Read([]byte) (int, error) }, e Expect, md hash.Hash) (*Reader, error) {
	rd := &Reader{}
	x := &rd.impl
	x.src, x.expect, x.md = r, e, md
	if e.ContentMD5 != "" {
		raw, ok := decodeContentMD5(e.ContentMD5)
		if !ok {
			return nil, errInvalidContentMD5()
		}
		x.wantMD5 = raw
	}
	switch {
	case e.Algorithm == None:
		if e.Value != "" {
			return nil, errs.New(errs.InvalidRequest, "A checksum value was given without its algorithm.")
		}
	case !e.Algorithm.Valid():
		return nil, errs.New(errs.InvalidRequest, msgUnsupported)
	default:
		x.asked = true
		if e.Value != "" {
			raw, ok := decodeValue(e.Algorithm, e.Value)
			if !ok {
				return nil, errInvalidValue(e.Algorithm, false)
			}
			x.wantSum, x.verify = raw, true
		} else if e.Trailer != nil {
			x.verify = true
		}
	}
	x.init(e.Algorithm)
	return rd, nil
}

// NewComputer wraps r to compute its MD5 and a's checksum (CRC64NVME when a
// is None or unknown, then Requested is false) without verifying anything:
// for server-side copies and the like.
func NewComputer(r io.Reader, a Algorithm) *Reader { return NewComputerMD5(r, a, nil) }

// NewComputerMD5 is NewComputer hashing MD5 with md (nil: crypto/md5).
func NewComputerMD5(r io.Reader, a Algorithm, md hash.Hash) *Reader {
	rd := &Reader{}
	rd.impl.src, rd.impl.md = r, md
	if a.Valid() {
		rd.impl.asked = true
	} else {
		a = None
	}
	rd.impl.init(a)
	return rd
}

func (x *readerImpl) init(a Algorithm) {
	if a == None {
		a = CRC64NVME // what S3 stores for objects uploaded without one
	}
	if x.md == nil {
		x.md = md5.New()
	}
	x.alg, x.cs = a, New(a)
}

func (x *readerImpl) read(p []byte) (int, error) {
	if x.done {
		return 0, x.err
	}
	n, err := x.src.Read(p)
	if n > 0 {
		b := p[:n]
		x.hashMD5(b)
		x.cs.Write(b)
		x.n += int64(n)
	}
	if err == io.EOF {
		x.finish()
		return n, x.err
	}
	return n, err
}

// hashMD5 feeds b to MD5: in place for the first md5SyncBytes, then
// through the slots to the MD5 goroutine.
func (x *readerImpl) hashMD5(b []byte) {
	if x.fill == nil {
		if x.n+int64(len(b)) <= md5SyncBytes {
			x.md.Write(b)
			return
		}
		x.fill, x.spare = md5Slots.Get().(*[]byte), md5Slots.Get().(*[]byte)
		*x.fill, *x.spare = (*x.fill)[:0], (*x.spare)[:0] // they return holding bytes
		x.md5Done = make(chan struct{}, 1)
	}
	for len(b) > 0 {
		f := *x.fill
		k := copy(f[len(f):cap(f)], b)
		*x.fill, b = f[:len(f)+k], b[k:]
		if len(*x.fill) == cap(*x.fill) {
			x.dispatchMD5()
		}
	}
}

// dispatchMD5 hands the filled slot to a new MD5 job once the previous one
// is done (MD5 takes the bytes in order), and fills the other slot next.
// A job always ends by itself: a Reader dropped mid-body leaks nothing.
func (x *readerImpl) dispatchMD5() {
	x.waitMD5()
	job := x.fill
	x.fill, x.spare = x.spare, job
	*x.fill = (*x.fill)[:0]
	x.pending = true
	go func(md hash.Hash, b []byte, done chan<- struct{}) {
		md.Write(b)
		done <- struct{}{}
	}(x.md, *job, x.md5Done)
}

func (x *readerImpl) waitMD5() {
	if x.pending {
		<-x.md5Done
		x.pending = false
	}
}

// flushMD5 waits for the MD5 job and hashes what is left in the slot.
func (x *readerImpl) flushMD5() {
	if x.fill == nil {
		return
	}
	x.waitMD5()
	x.md.Write(*x.fill)
	*x.fill = (*x.fill)[:0]
}

// finish computes the sums and checks them against the client's claims.
func (x *readerImpl) finish() {
	x.done, x.err = true, io.EOF
	x.flushMD5()
	x.md.Sum(x.gotMD5[:0])
	if c, ok := x.md.(interface{ Close() }); ok { // a shared stream (md5x) goes back
		c.Close()
	}
	if x.fill != nil {
		md5Slots.Put(x.fill)
		md5Slots.Put(x.spare)
		x.fill, x.spare = nil, nil
	}
	x.cs.Sum(x.gotSum[:0])
	if x.expect.ContentMD5 != "" && x.gotMD5 != x.wantMD5 {
		x.err = errs.Field(errs.BadDigest, "Content-MD5",
			"The Content-MD5 you specified did not match what we received.")
		return
	}
	if !x.verify {
		return
	}
	want := x.wantSum
	if x.expect.Value == "" { // the value comes in a trailer
		v := x.expect.Trailer()
		if v == "" {
			x.err = errs.Field(errs.InvalidRequest, x.alg.HeaderName(),
				"The request contained trailing data that was not well-formed or did not conform to our published schema.")
			return
		}
		raw, ok := decodeValue(x.alg, v)
		if !ok {
			x.err = errInvalidValue(x.alg, true)
			return
		}
		want = raw
	}
	if want != x.gotSum {
		x.err = errs.Field(errs.BadDigest, x.alg.HeaderName(),
			"The %s you specified did not match the calculated checksum.", x.alg)
	}
}

func (x *readerImpl) size() int64 { return x.n }

func (x *readerImpl) md5() []byte {
	if !x.done {
		x.flushMD5()
		return x.md.Sum(nil)
	}
	return append([]byte(nil), x.gotMD5[:]...)
}

func (x *readerImpl) checksum() Value {
	raw := x.gotSum[:x.alg.Size()]
	if !x.done {
		var buf rawSum
		raw = x.cs.Sum(buf[:0])
	}
	return Value{Algorithm: x.alg, Base64: base64.StdEncoding.EncodeToString(raw)}
}

func (x *readerImpl) requested() bool { return x.asked }

// MD5Hex is the body's MD5 in lower-case hex (the ETag of a single-part
// object, without quotes), valid after EOF.
func (r *Reader) MD5Hex() string { return hex.EncodeToString(r.MD5()) }

// Algorithm is the algorithm of Checksum: the requested one or CRC64NVME.
func (r *Reader) Algorithm() Algorithm { return r.impl.alg }
