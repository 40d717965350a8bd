// Package sse is Coffer's format for object data encrypted at rest.
//
// The format follows the idea of MinIO's DARE (Data At Rest Encryption):
// the plaintext is split into fixed-size packages of PackageSize bytes (the
// last one may be shorter; an empty plaintext is one empty package), and
// each package is sealed on its own with AES-256-GCM, so a reader can
// decrypt any byte range by opening only the packages that cover it.
//
//	ciphertext = seal(p0) || seal(p1) || ... || seal(pN-1)
//	seal(pi)   = AES-256-GCM(key, nonce_i, pi, aad_i) = ciphertext_i || tag_i (16 bytes)
//	nonce_i    = base[0:8] || (base[8:12] XOR uint32be(i))
//	aad_i      = version (1) || final flag (1: last package, 0: not)
//
// The nonce binds each package to its position (reordering or splicing
// packages fails authentication), and the final flag in the associated data
// marks the last package (cutting the ciphertext at a package boundary
// fails, because the new last package was sealed as "not final"). The
// package layout carries no header: the key and the 12-byte nonce base
// belong to the caller (the object layer keeps them, sealed, in the
// version record), and the ciphertext size is a pure function of the
// plaintext size (SealedSize).
//
// A (key, base) pair must encrypt one stream only: the object layer draws a
// fresh random base for every stream (every object, every part) and a
// fresh data key per object version.
package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

const (
	// PackageSize is the plaintext size of every package but the last.
	PackageSize = 64 << 10
	// TagSize is the authentication overhead of one package.
	TagSize = 16
	// KeySize is the data key size (AES-256).
	KeySize = 32
	// NonceSize is the size of a stream's nonce base.
	NonceSize = 12

	sealedPackage = PackageSize + TagSize
	version       = 1
	// maxPackages bounds a stream: the sequence number is 32 bits.
	maxPackages = 1 << 32
)

// ErrAuth reports ciphertext that does not authenticate: tampered,
// truncated, reordered, or opened with the wrong key.
var ErrAuth = errors.New("sse: ciphertext authentication failed")

// SealedSize is the ciphertext size of a plaintext of n bytes.
func SealedSize(n int64) int64 { return n + packages(n)*TagSize }

// PlainSize is the inverse of SealedSize; ok is false when c is not the
// size of any ciphertext.
func PlainSize(c int64) (int64, bool) {
	if c < TagSize {
		return 0, false
	}
	full := c / sealedPackage
	rest := c % sealedPackage
	var n int64
	switch {
	case rest == 0:
		n = full * PackageSize
	case rest < TagSize || rest == TagSize && full > 0:
		return 0, false
	default:
		n = full*PackageSize + rest - TagSize
	}
	return n, SealedSize(n) == c
}

func packages(n int64) int64 {
	if n <= 0 {
		return 1
	}
	return (n + PackageSize - 1) / PackageSize
}

// NewNonceBase returns a fresh random nonce base for one stream.
func NewNonceBase() []byte {
	b := make([]byte, NonceSize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

// Stream is one encrypted stream's parameters: a data key and a nonce base.
// It is safe for concurrent use.
type Stream struct {
	aead cipher.AEAD
	base [NonceSize]byte
}

// NewStream prepares a stream for a 32-byte key and a 12-byte nonce base.
func NewStream(key, base []byte) (*Stream, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sse: key is %d bytes, want %d", len(key), KeySize)
	}
	if len(base) != NonceSize {
		return nil, fmt.Errorf("sse: nonce base is %d bytes, want %d", len(base), NonceSize)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	s := &Stream{aead: aead}
	copy(s.base[:], base)
	return s, nil
}

func (s *Stream) nonce(seq uint64, n *[NonceSize]byte) {
	*n = s.base
	binary.BigEndian.PutUint32(n[8:], binary.BigEndian.Uint32(s.base[8:])^uint32(seq))
}

var (
	aadFinal = []byte{version, 1}
	aadMore  = []byte{version, 0}
)

func aad(final bool) []byte {
	if final {
		return aadFinal
	}
	return aadMore
}

// Buffers: a package's plaintext (plus one look-ahead byte) and its sealed
// form, pooled so a stream costs no allocation in steady state.
var bufPool = sync.Pool{New: func() any { b := make([]byte, sealedPackage+1); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// EncryptReader returns a reader of the ciphertext of src's bytes. It reads
// src to EOF (so every verifier in a body chain sees the end) and holds at
// most two packages in memory. An error from src is returned unchanged.
// Close releases the buffers; the reader must not be used after.
func (s *Stream) EncryptReader(src io.Reader) *EncryptReader {
	return &EncryptReader{s: s, src: src}
}

// EncryptReader is the reader EncryptReader returns.
type EncryptReader struct {
	s        *Stream
	src      io.Reader
	plain    *[]byte
	out      []byte // the sealed package not yet returned
	seq      uint64
	carry    byte
	hasCarry bool
	done     bool
	err      error
	n        int64 // plaintext bytes read
	nonceBuf [NonceSize]byte
}

// PlainBytes is the number of plaintext bytes read from src so far.
func (e *EncryptReader) PlainBytes() int64 { return e.n }

func (e *EncryptReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.done {
			e.release()
			return 0, io.EOF
		}
		if len(p) >= sealedPackage+1 {
			// Room for whole packages: seal them in place in p, no copy.
			n := 0
			for !e.done && len(p)-n >= sealedPackage+1 {
				if err := e.fill(p[n : n+PackageSize+1]); err != nil {
					e.err = err
					e.release()
					if n > 0 {
						return n, nil // the error comes with the next Read
					}
					return 0, err
				}
				n += len(e.out)
				e.out = nil
			}
			return n, nil
		}
		if e.plain == nil {
			e.plain = getBuf()
		}
		if err := e.fill((*e.plain)[:PackageSize+1]); err != nil {
			e.err = err
			e.release()
			return 0, err
		}
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// fill reads the next package into buf (PackageSize+1 bytes, of which
// the last is a look-ahead that tells whether the package is the last one)
// and seals it in place: e.out is then buf[:n+TagSize].
func (e *EncryptReader) fill(buf []byte) error {
	if e.seq >= maxPackages {
		return errors.New("sse: stream too long")
	}
	n := 0
	if e.hasCarry {
		buf[0], n, e.hasCarry = e.carry, 1, false
	}
	m, err := io.ReadFull(e.src, buf[n:])
	n += m
	final := false
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		final = true
	case err != nil:
		return err
	default: // a full package and one more byte
		e.carry, e.hasCarry = buf[PackageSize], true
		n = PackageSize
	}
	e.n += int64(n)
	e.s.nonce(e.seq, &e.nonceBuf)
	e.out = e.s.aead.Seal(buf[:0], e.nonceBuf[:], buf[:n], aad(final))
	e.seq++
	e.done = final
	return nil
}

func (e *EncryptReader) release() {
	if e.plain != nil {
		putBuf(e.plain)
		e.plain, e.out = nil, nil
	}
}

// Close releases the reader's buffers.
func (e *EncryptReader) Close() error {
	e.release()
	if e.err == nil {
		e.err = errors.New("sse: reader closed")
	}
	return nil
}

// DecryptRange returns a reader of the plaintext bytes [off, off+n) of a
// stream whose plaintext is plainSize bytes and whose ciphertext src holds
// (at offsets 0..SealedSize(plainSize)). Only the packages covering the
// range are read and opened, one at a time. A package that does not
// authenticate makes Read fail with ErrAuth.
func (s *Stream) DecryptRange(src io.ReaderAt, plainSize, off, n int64) (*DecryptReader, error) {
	if off < 0 || n < 0 || off+n > plainSize {
		return nil, fmt.Errorf("sse: range [%d,+%d) outside a %d-byte plaintext", off, n, plainSize)
	}
	if packages(plainSize) > maxPackages {
		return nil, errors.New("sse: stream too long")
	}
	return &DecryptReader{s: s, src: src, size: plainSize, seq: uint64(off / PackageSize),
		skip: int(off % PackageSize), left: n, last: uint64(packages(plainSize) - 1)}, nil
}

// DecryptReader is the reader DecryptRange returns. Close releases its
// buffer (it does not close src).
type DecryptReader struct {
	s    *Stream
	src  io.ReaderAt
	size int64
	seq  uint64 // next package to open
	last uint64
	skip int   // plaintext bytes to skip in the next package
	left int64 // plaintext bytes still to return
	buf  *[]byte
	out  []byte // opened plaintext not yet returned
	err  error

	nonceBuf [NonceSize]byte
}

func (d *DecryptReader) next() error {
	if d.buf == nil {
		d.buf = getBuf()
	}
	plen := int64(PackageSize)
	if d.seq == d.last {
		plen = d.size - int64(d.seq)*PackageSize
	}
	c := (*d.buf)[:plen+TagSize]
	if m, err := d.src.ReadAt(c, int64(d.seq)*sealedPackage); err != nil && m < len(c) {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: ciphertext truncated", ErrAuth)
		}
		return err
	}
	d.s.nonce(d.seq, &d.nonceBuf)
	p, err := d.s.aead.Open(c[:0], d.nonceBuf[:], c, aad(d.seq == d.last))
	if err != nil {
		return ErrAuth
	}
	p = p[d.skip:]
	d.skip = 0
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	d.out = p
	d.seq++
	return nil
}

func (d *DecryptReader) fillOut() error {
	for len(d.out) == 0 {
		if d.err != nil {
			return d.err
		}
		if d.left == 0 {
			d.Close()
			return io.EOF
		}
		if err := d.next(); err != nil {
			d.err = err
			return err
		}
	}
	return nil
}

func (d *DecryptReader) Read(p []byte) (int, error) {
	if err := d.fillOut(); err != nil {
		return 0, err
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	d.left -= int64(n)
	return n, nil
}

// WriteTo writes the plaintext straight from the opened packages.
func (d *DecryptReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := d.fillOut(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		n, err := w.Write(d.out)
		total += int64(n)
		d.out = d.out[n:]
		d.left -= int64(n)
		if err != nil {
			return total, err
		}
	}
}

// Close releases the reader's buffer.
func (d *DecryptReader) Close() error {
	if d.buf != nil {
		putBuf(d.buf)
		d.buf, d.out = nil, nil
	}
	if d.err == nil && d.left > 0 {
		d.err = errors.New("sse: reader closed")
	}
	return nil
}

// SealKey seals a small secret (a data key) under a 32-byte key-encryption
// key with AES-256-GCM and a random nonce: nonce || ciphertext || tag. aad
// binds it to its use.
func SealKey(kek, secret, aad []byte) ([]byte, error) {
	aead, err := keyAEAD(kek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, NonceSize, NonceSize+len(secret)+TagSize)
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[:NonceSize], secret, aad), nil
}

// OpenKey opens what SealKey sealed; a wrong key or aad is ErrAuth.
func OpenKey(kek, sealed, aad []byte) ([]byte, error) {
	aead, err := keyAEAD(kek)
	if err != nil {
		return nil, err
	}
	if len(sealed) < NonceSize+TagSize {
		return nil, ErrAuth
	}
	p, err := aead.Open(nil, sealed[:NonceSize], sealed[NonceSize:], aad)
	if err != nil {
		return nil, ErrAuth
	}
	return p, nil
}

func keyAEAD(kek []byte) (cipher.AEAD, error) {
	if len(kek) != KeySize {
		return nil, fmt.Errorf("sse: key-encryption key is %d bytes, want %d", len(kek), KeySize)
	}
	blk, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}
