package checksum

import (
	"encoding/binary"
	"hash"
)

// CRC64NVME is the NVMe CRC-64 (NVM Command Set spec, S3's default
// checksum): reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all
// ones. It equals hash/crc64 with crc64.MakeTable(crc64NVMEPoly), but the
// standard library has no fast path for this table (it rebuilds a 16 KiB
// slicing table on every large Write), so it is implemented here: slicing-
// by-8 in Go, and carry-less multiplication folding on amd64.

const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// Size64 is the size of a CRC64NVME checksum in bytes.
const Size64 = 8

// nvmeTab is the slicing-by-8 table set; nvmeTab[0] is the classic
// byte-at-a-time table.
var nvmeTab = makeSlicing8(crc64NVMEPoly)

func makeSlicing8(poly uint64) *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for j := 1; j < 8; j++ {
			c = t[0][c&0xff] ^ c>>8
			t[j][i] = c
		}
	}
	return t
}

// step8 advances the (un-inverted) CRC register over the 8 bytes whose
// little-endian value was XORed into it.
func step8(c uint64) uint64 {
	t := nvmeTab
	return t[7][c&0xff] ^ t[6][c>>8&0xff] ^ t[5][c>>16&0xff] ^ t[4][c>>24&0xff] ^
		t[3][c>>32&0xff] ^ t[2][c>>40&0xff] ^ t[1][c>>48&0xff] ^ t[0][c>>56]
}

// updateGeneric advances the raw register crc (no inversion) over p.
func updateGeneric(crc uint64, p []byte) uint64 {
	for len(p) >= 8 {
		crc = step8(crc ^ binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	t := &nvmeTab[0]
	for _, b := range p {
		crc = t[byte(crc)^b] ^ crc>>8
	}
	return crc
}

// UpdateCRC64NVME returns the CRC64NVME of the data whose CRC is crc,
// followed by p (like crc64.Update).
func UpdateCRC64NVME(crc uint64, p []byte) uint64 { return ^update(^crc, p) }

// ChecksumCRC64NVME returns the CRC64NVME of data.
func ChecksumCRC64NVME(data []byte) uint64 { return UpdateCRC64NVME(0, data) }

// NewCRC64NVME returns a CRC64NVME hash.Hash64; Sum appends it big-endian.
func NewCRC64NVME() hash.Hash64 { return new(digest64) }

type digest64 struct{ crc uint64 }

func (d *digest64) Write(p []byte) (int, error) {
	d.crc = UpdateCRC64NVME(d.crc, p)
	return len(p), nil
}
func (d *digest64) Sum64() uint64 { return d.crc }
func (d *digest64) Sum(in []byte) []byte {
	return binary.BigEndian.AppendUint64(in, d.crc)
}
func (d *digest64) Reset()         { d.crc = 0 }
func (d *digest64) Size() int      { return Size64 }
func (d *digest64) BlockSize() int { return 1 }
