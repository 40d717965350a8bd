package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
)

// hmacMaxInline is the longest message hmacSum hashes from a stack buffer:
// SigV4's key-derivation steps and its string to sign (about 150 bytes)
// fit; anything longer goes through crypto/hmac.
const hmacMaxInline = 512

// hmacSum is HMAC-SHA256 (RFC 2104) computed with two sha256.Sum256 over
// stack buffers: crypto/hmac allocates two digests and their state per
// call, and SigV4 verification does five HMACs per request (four to derive
// the signing key, one to sign). hmac_test.go checks it against crypto/hmac.
func hmacSum[T string | []byte](key []byte, data T) [sha256.Size]byte {
	const block = sha256.BlockSize
	if len(data) > hmacMaxInline {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		var out [sha256.Size]byte
		m.Sum(out[:0])
		return out
	}
	var k [block]byte
	if len(key) > block {
		s := sha256.Sum256(key)
		copy(k[:], s[:])
	} else {
		copy(k[:], key)
	}
	var in [block + hmacMaxInline]byte
	for i, c := range k {
		in[i] = c ^ 0x36
	}
	n := copy(in[block:], data)
	inner := sha256.Sum256(in[:block+n])
	var out [block + sha256.Size]byte
	for i, c := range k {
		out[i] = c ^ 0x5c
	}
	copy(out[block:], inner[:])
	return sha256.Sum256(out[:])
}
