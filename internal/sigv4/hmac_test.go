package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// hmacSum equals crypto/hmac for keys shorter, as long as and longer than
// SHA-256's block, and messages on both sides of hmacMaxInline.
func TestHMACSumMatchesCryptoHMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kl := range []int{0, 1, 32, 63, 64, 65, 100, 200} {
		for _, ml := range []int{0, 1, 8, 55, 56, 64, 150, hmacMaxInline - 1, hmacMaxInline, hmacMaxInline + 1, 4000} {
			key := make([]byte, kl)
			msg := make([]byte, ml)
			for i := range key {
				key[i] = byte(rng.Uint32())
			}
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			want := m.Sum(nil)
			if got := hmacSum(key, string(msg)); !hmac.Equal(got[:], want) {
				t.Fatalf("key %d bytes, message %d bytes: hmacSum %x, crypto/hmac %x", kl, ml, got, want)
			}
		}
	}
}

func BenchmarkDeriveAndSign(b *testing.B) {
	sts := "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
	b.ReportAllocs()
	for b.Loop() {
		k := deriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
		_ = signatureHex(k[:], sts)
	}
}
