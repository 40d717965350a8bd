package sigv4

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"coffer/internal/errs"
)

// keyStore is a mutable access-key table, as the core's credentials are:
// keys are rotated and revoked between requests.
type keyStore struct {
	mu      sync.Mutex
	secrets map[string]string
	calls   int
}

func (k *keyStore) lookup(ak string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if s, ok := k.secrets[ak]; ok {
		return s, nil
	}
	return "", errs.New(errs.InvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
}

func (k *keyStore) set(ak, secret string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if secret == "" {
		delete(k.secrets, ak)
	} else {
		k.secrets[ak] = secret
	}
}

// cachedPut signs a streaming 4-KiB PUT with s, verifies it through the cache
// and reads its body, so the cached key also checks the chunk signatures.
func cachedPut(s testSigner, keys *KeyCache, lookup SecretLookup) error {
	data := payloadOf(4096)
	r := streamingReq(s, streamingSigned, data, chunking{size: 4096, signed: true}, "4096")
	a, err := Verify(r, lookup, Options{Now: func() time.Time { return s.now }, Keys: keys})
	if err != nil {
		return err
	}
	got, err := readAll(a.Body(r.Body), 1000)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return errors.New("body differs")
	}
	return nil
}

func TestKeyCacheFollowsSecretsAndDays(t *testing.T) {
	ks := &keyStore{secrets: map[string]string{"AKONE": "first-secret"}}
	keys := NewKeyCache()
	day1 := time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC)
	s := testSigner{ak: "AKONE", secret: "first-secret", region: "us-east-1", now: day1}

	for i := range 3 {
		if err := cachedPut(s, keys, ks.lookup); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := keys.len(); n != 1 {
		t.Fatalf("%d cached keys after three requests of one scope, want 1", n)
	}
	if ks.calls != 3 {
		t.Fatalf("the secret was looked up %d times for 3 requests: the lookup must run on every request", ks.calls)
	}

	// The next day is a new scope: a new key, and the old one still works
	// for requests of its own day (clock skew around midnight).
	s2 := s
	s2.now = day1.Add(2 * time.Minute)
	if err := cachedPut(s2, keys, ks.lookup); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if n := keys.len(); n != 2 {
		t.Fatalf("%d cached keys after a second day, want 2", n)
	}
	if err := cachedPut(s, keys, ks.lookup); err != nil {
		t.Fatalf("first day again: %v", err)
	}
	// A key signed for another region is another scope, too.
	s3 := s
	s3.region = "eu-central-1"
	if err := cachedPut(s3, keys, ks.lookup); err != nil {
		t.Fatalf("other region: %v", err)
	}

	// Rotation: the new secret is accepted at once, the old one refused at
	// once, though a key derived from it is cached.
	ks.set("AKONE", "second-secret")
	if err := cachedPut(s, keys, ks.lookup); !errors.Is(err, errs.SignatureDoesNotMatch) {
		t.Fatalf("old secret after rotation: %v, want SignatureDoesNotMatch", err)
	}
	rotated := s
	rotated.secret = "second-secret"
	if err := cachedPut(rotated, keys, ks.lookup); err != nil {
		t.Fatalf("new secret after rotation: %v", err)
	}
	if err := cachedPut(s, keys, ks.lookup); !errors.Is(err, errs.SignatureDoesNotMatch) {
		t.Fatalf("old secret once the new one is cached: %v, want SignatureDoesNotMatch", err)
	}

	// Revocation: refused on the next request, whatever is cached.
	ks.set("AKONE", "")
	if err := cachedPut(rotated, keys, ks.lookup); !errors.Is(err, errs.InvalidAccessKeyID) {
		t.Fatalf("revoked key: %v, want InvalidAccessKeyID", err)
	}

	// Another access key with the same secret and scope is its own entry.
	ks.set("AKTWO", "second-secret")
	other := rotated
	other.ak = "AKTWO"
	if err := cachedPut(other, keys, ks.lookup); err != nil {
		t.Fatalf("second access key: %v", err)
	}
}

// A cached key is the derived one: the AWS example's signing key through a
// cache, fresh and cached.
func TestKeyCacheReturnsTheDerivedKey(t *testing.T) {
	keys := NewKeyCache()
	want := deriveSigningKey(suiteSecret, "20150830", "us-east-1", "service")
	for i := range 2 {
		if got := keys.signingKey("AKIDEXAMPLE", suiteSecret, "20150830", "us-east-1", "service"); got != want {
			t.Fatalf("call %d: %x, want %x", i, got, want)
		}
	}
	var none *KeyCache
	if got := none.signingKey("AKIDEXAMPLE", suiteSecret, "20150830", "us-east-1", "service"); got != want {
		t.Fatalf("nil cache: %x, want %x", got, want)
	}
	if got := keys.signingKey("AKIDEXAMPLE", suiteSecret, "20150831", "us-east-1", "service"); got == want {
		t.Fatal("another day gave the same key")
	}
}

// The cache stays bounded.
func TestKeyCacheBounded(t *testing.T) {
	keys := NewKeyCache()
	for i := range maxCachedKeys + 10 {
		keys.signingKey(string(rune('a'+i%26))+string(rune(i)), "s", "20261201", "us-east-1", "s3")
	}
	if n := keys.len(); n > maxCachedKeys {
		t.Fatalf("%d entries, bound %d", n, maxCachedKeys)
	}
}

// Pooled small-body decoders are reused across bodies, including after a
// body that failed its check, without carrying state over: interleaved good
// and tampered bodies each get their own verdict.
func TestPooledChunkDecodersCarryNoState(t *testing.T) {
	data := payloadOf(3000)
	for i := range 20 {
		r := streamingReq(rtSigner, streamingSignedTrailer, data,
			chunking{size: 1024, signed: true, trailers: [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}, signedTrailer: true}, "3000")
		tamper := i%3 == 1
		if tamper {
			raw, _ := io.ReadAll(r.Body)
			raw[len(raw)/2] ^= 1
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		a, err := Verify(r, rtLookup, rtOpts)
		if err != nil {
			t.Fatal(err)
		}
		br := a.Body(r.Body)
		got, err := readAll(br, 700)
		switch {
		case tamper && err == nil:
			t.Fatalf("body %d: tampered body accepted", i)
		case !tamper && err != nil:
			t.Fatalf("body %d: %v", i, err)
		case !tamper && !bytes.Equal(got, data):
			t.Fatalf("body %d: wrong bytes", i)
		case !tamper && br.Trailer().Get("X-Amz-Checksum-Crc32") != "AAAAAA==":
			t.Fatalf("body %d: trailer %v", i, br.Trailer())
		}
		// A finished body keeps failing the same way and never reads again.
		if n, err2 := br.Read(make([]byte, 10)); n != 0 || (err2 == io.EOF) != (err == nil) {
			t.Fatalf("body %d: read after the end: %d %v", i, n, err2)
		}
	}
}
