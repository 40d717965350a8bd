//go:build amd64 && !purego

package checksum

// On amd64 with PCLMULQDQ the bulk of the data is folded 64 bytes at a
// time with carry-less multiplication (Intel, "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ"), down to a 16-byte remainder whose
// CRC the tables finish. About ten times the table-driven speed.

//go:noescape
func foldCLMUL(crc uint64, p []byte, k *[4]uint64) (lo, hi uint64)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

var haveCLMUL = func() bool {
	max, _, _, _ := cpuid(0, 0)
	if max < 1 {
		return false
	}
	_, _, ecx, _ := cpuid(1, 0)
	const pclmulqdq = 1 << 1
	return ecx&pclmulqdq != 0
}()

// foldK are the folding constants, reflected 64-bit polynomials. The
// register's low qword holds the higher-degree half of a 128-bit block;
// multiplying reflected operands yields the product divided by x, hence the
// "-1": folding ahead by D bits multiplies the low qword by x^(D+64-1) and
// the high one by x^(D-1). D is 512 (four blocks) and 128 (one block).
var foldK = [4]uint64{
	polyCRC64NVME.xpow(512+63, 0), polyCRC64NVME.xpow(512-1, 0),
	polyCRC64NVME.xpow(128+63, 0), polyCRC64NVME.xpow(128-1, 0),
}

// clmulMin is the shortest input worth folding.
const clmulMin = 64

func update(crc uint64, p []byte) uint64 {
	if haveCLMUL && len(p) >= clmulMin {
		n := len(p) &^ 15
		lo, hi := foldCLMUL(crc, p[:n], &foldK)
		// The folded 16 bytes are congruent to everything before them:
		// finish with their CRC from a zero register.
		crc = step8(step8(lo) ^ hi)
		p = p[n:]
	}
	return updateGeneric(crc, p)
}
