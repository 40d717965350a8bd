package checksum

// Polynomial arithmetic modulo a CRC's generator, in the CRC's reflected
// bit order: for a CRC of width w, bit w-1 of a value is the coefficient of
// x^0 and bit 0 that of x^(w-1). This is the representation in which the
// CRC register itself holds its remainder, so a CRC value is such a
// polynomial. The method is zlib's crc32_combine (multmodp, x2nmodp),
// generalised to any width up to 64.

// crcPoly is a reflected CRC whose init and xorout are all ones (CRC32,
// CRC32C and CRC64NVME all are).
type crcPoly struct {
	width uint
	poly  uint64 // reflected generator without its x^width term
	// x2n[k] is x^(2^k) mod P; 67 entries cover x^(8n) for any int64 n.
	x2n [67]uint64
}

func newCRCPoly(width uint, reflected uint64) *crcPoly {
	c := &crcPoly{width: width, poly: reflected}
	p := c.one() >> 1 // x^1
	for k := range c.x2n {
		c.x2n[k] = p
		p = c.mul(p, p)
	}
	return c
}

// one is the polynomial 1 (x^0).
func (c *crcPoly) one() uint64 { return 1 << (c.width - 1) }

// mul returns a·b mod P.
func (c *crcPoly) mul(a, b uint64) uint64 {
	var p uint64
	for m := c.one(); a != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			a ^= m
		}
		// b *= x
		if b&1 != 0 {
			b = b>>1 ^ c.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xpow returns x^(n·2^k) mod P.
func (c *crcPoly) xpow(n uint64, k uint) uint64 {
	p := c.one()
	for ; n != 0; n, k = n>>1, k+1 {
		if n&1 != 0 {
			p = c.mul(c.x2n[k], p)
		}
	}
	return p
}

// combine returns the CRC of A‖B from crcA = CRC(A), crcB = CRC(B) and
// lenB = len(B) in bytes: CRC(A‖B) = crcA·x^(8·lenB) ⊕ crcB (mod P). The
// all-ones init and xorout cancel out, exactly as in zlib.
func (c *crcPoly) combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA ^ crcB // B is empty, so crcB is 0 unless the caller lied
	}
	return c.mul(c.xpow(uint64(lenB), 3), crcA) ^ crcB
}

var (
	polyCRC32     = newCRCPoly(32, 0xedb88320)
	polyCRC32C    = newCRCPoly(32, 0x82f63b78)
	polyCRC64NVME = newCRCPoly(64, crc64NVMEPoly)
)

func polyOf(a Algorithm) *crcPoly {
	switch a {
	case CRC32:
		return polyCRC32
	case CRC32C:
		return polyCRC32C
	case CRC64NVME:
		return polyCRC64NVME
	}
	return nil
}
