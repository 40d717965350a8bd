package sse

import (
	"bytes"
	"io"
	"testing"
)

// go test -run ^$ -bench . ./internal/sse: AES-NI GCM seals and opens at
// well over 1 GB/s per core; the stream must not fall far below that.

const benchSize = 16 << 20

func BenchmarkEncrypt16M(b *testing.B) {
	s := testStream(b)
	plain := make([]byte, benchSize)
	buf := make([]byte, 1<<20)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		r := s.EncryptReader(bytes.NewReader(plain))
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt16M(b *testing.B) {
	s := testStream(b)
	c := seal(b, s, make([]byte, benchSize))
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		d, err := s.DecryptRange(bytes.NewReader(c), benchSize, 0, benchSize)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptRange4K(b *testing.B) {
	s := testStream(b)
	c := seal(b, s, make([]byte, benchSize))
	b.ReportAllocs()
	for b.Loop() {
		d, err := s.DecryptRange(bytes.NewReader(c), benchSize, 5<<20, 4096)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
