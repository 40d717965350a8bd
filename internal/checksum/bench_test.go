package checksum

import (
	"bytes"
	"crypto/md5"
	"hash/crc64"
	"io"
	"testing"
)

// BenchmarkReader16MiB streams 16 MiB through a Reader in 32 KiB reads (as
// io.Copy does): MD5 plus the default or requested checksum.
func BenchmarkReader16MiB(b *testing.B) {
	data := bytes.Repeat([]byte("coffer!"), (16<<20)/7+1)[:16<<20]
	buf := make([]byte, 32<<10)
	for _, a := range append([]Algorithm{None}, Algorithms...) {
		name := string(a)
		if a == None {
			name = "default"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			src := bytes.NewReader(data)
			for b.Loop() {
				src.Reset(data)
				r, _ := NewReader(src, Expect{Algorithm: a})
				for {
					if _, err := r.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
	// The floor: MD5 alone.
	b.Run("md5-only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			h := md5.New()
			for p := data; len(p) > 0; p = p[len(buf):] {
				h.Write(p[:len(buf)])
			}
		}
	})
}

func BenchmarkCRC64NVME(b *testing.B) {
	data := make([]byte, 32<<10)
	b.Run("coffer", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			ChecksumCRC64NVME(data)
		}
	})
	b.Run("tables", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			updateGeneric(0, data)
		}
	})
	b.Run("hash-crc64", func(b *testing.B) {
		tab := crc64.MakeTable(crc64NVMEPoly)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			crc64.Checksum(data, tab)
		}
	})
}
