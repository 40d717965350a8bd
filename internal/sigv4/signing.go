package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The fixed vocabulary of SigV4 as S3 speaks it.
const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateLayout = "20060102T150405Z" // ISO 8601 basic, always UTC
	scopeTerminal = "aws4_request"
	serviceS3     = "s3"

	// emptySHA256 is hex(sha256("")): the "payload" hash every chunk
	// string-to-sign carries in place of chunk headers.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// hmacSHA256 is one step of the key-derivation chain.
func hmacSHA256(key []byte, data string) []byte {
	m := hmacSum(key, data)
	return m[:]
}

// deriveSigningKey is kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date),
// region), service), "aws4_request"): four short HMACs (hmacSum, no
// allocation). Verification takes it from a KeyCache when it has one.
func deriveSigningKey(secret, date8, region, service string) [32]byte {
	var kb [64]byte
	k := hmacSum(append(append(kb[:0], "AWS4"...), secret...), date8)
	k = hmacSum(k[:], region)
	k = hmacSum(k[:], service)
	return hmacSum(k[:], scopeTerminal)
}

// credentialScope is "date/region/service/aws4_request".
func credentialScope(date8, region, service string) string {
	return date8 + "/" + region + "/" + service + "/" + scopeTerminal
}

// stringToSign is the second stage of the spec: the algorithm, the request
// time, the scope and the hash of the canonical request.
func stringToSign(amzDate, scope, canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	var b strings.Builder
	b.Grow(len(algorithm) + len(amzDate) + len(scope) + 3 + 64)
	b.WriteString(algorithm)
	b.WriteByte('\n')
	b.WriteString(amzDate)
	b.WriteByte('\n')
	b.WriteString(scope)
	b.WriteByte('\n')
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], h[:])
	b.Write(hx[:])
	return b.String()
}

// signatureHex is the lowercase hex HMAC of the string to sign, the form the
// Authorization header and X-Amz-Signature carry.
func signatureHex(signingKey []byte, sts string) string {
	m := hmacSum(signingKey, sts)
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], m[:])
	return string(h[:])
}

// signaturesEqual compares a computed signature with the client's in
// constant time, so response timing does not leak how many leading
// characters of a forged signature were right.
func signaturesEqual(computed, provided string) bool {
	return hmac.Equal([]byte(computed), []byte(provided))
}
