package objects

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kms"
	"coffer/internal/kv/pebble"
)

// testKMS is a small real key service: data keys are random and sealed with
// AES-256-GCM under a per-named-key random key, bound to the context.
type testKMS struct {
	mu   sync.Mutex
	keys map[string][]byte
}

func newTestKMS(names ...string) *testKMS {
	k := &testKMS{keys: map[string][]byte{}}
	for _, n := range append(names, kms.DefaultKeyID) {
		b := make([]byte, 32)
		rand.Read(b)
		k.keys[n] = b
	}
	return k
}

func (k *testKMS) aead(id string) (cipher.AEAD, error) {
	k.mu.Lock()
	key := k.keys[id]
	k.mu.Unlock()
	if key == nil {
		return nil, errs.New(errs.KMSKeyNotFound, "no key %q", id)
	}
	blk, _ := aes.NewCipher(key)
	return cipher.NewGCM(blk)
}

func (k *testKMS) GenerateDataKey(_ context.Context, id string, c []byte) (kms.DataKey, error) {
	if id == "" {
		id = kms.DefaultKeyID
	}
	a, err := k.aead(id)
	if err != nil {
		return kms.DataKey{}, err
	}
	dk := make([]byte, 32)
	rand.Read(dk)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return kms.DataKey{KeyID: id, Plaintext: dk, Sealed: a.Seal(nonce, nonce, dk, c)}, nil
}

func (k *testKMS) Decrypt(_ context.Context, id string, sealed, c []byte) ([]byte, error) {
	a, err := k.aead(id)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 12 {
		return nil, errors.New("short")
	}
	return a.Open(nil, sealed[:12], sealed[12:], c)
}

func sseEnv(t *testing.T) (*env, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	bl, err := blob.Open(blob.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{KV: st, Blobs: bl, MinPartSize: 5, Keys: newTestKMS("k1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); st.Close() })
	e := &env{t: t, s: s, kv: st}
	e.bucket("enc")
	return e, dir
}

func ssecKey(b byte) Encryption {
	k := bytes.Repeat([]byte{b}, 32)
	return Encryption{Mode: SSEC, CustomerKey: k}
}

func (e *env) putEnc(key string, data []byte, enc Encryption) ObjectInfo {
	e.t.Helper()
	info, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "enc", Key: key, Body: body(e.t, data), Size: int64(len(data)), Encryption: enc})
	if err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
	return info
}

func (e *env) getEnc(key string, in GetInput) ([]byte, *GetOutput, error) {
	in.Tenant, in.Bucket, in.Key = tenant, "enc", key
	out, err := e.s.GetObject(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return b, out, err
}

// pattern is a recognisable plaintext: a marker repeated.
func pattern(n int) []byte {
	m := []byte("COFFER-PLAINTEXT-MARKER-")
	return bytes.Repeat(m, n/len(m)+1)[:n]
}

func TestSSEModesRoundTripAndRanges(t *testing.T) {
	e, _ := sseEnv(t)
	modes := map[string]Encryption{
		"s3":  {Mode: SSES3},
		"kms": {Mode: SSEKMS, KMSKeyID: "k1", KMSContext: "eyJhIjoiYiJ9", BucketKey: true},
		"c":   ssecKey(7),
	}
	for name, enc := range modes {
		for _, size := range []int{0, 10, 64 << 10, 200_000} {
			data := pattern(size)
			key := name + "/" + string(rune('a'+size%26))
			info := e.putEnc(key, data, enc)
			if info.Encryption.Mode != enc.Mode {
				t.Fatalf("%s: info mode %q", name, info.Encryption.Mode)
			}
			sum := md5.Sum(data)
			if (info.ETag == hexMD5(sum[:])) != (enc.Mode == SSES3) {
				t.Fatalf("%s: ETag %s vs MD5 %s (SSE-S3 keeps the MD5, others do not)", name, info.ETag, hexMD5(sum[:]))
			}
			read := GetInput{}
			if enc.Mode == SSEC {
				read.Encryption = enc
			}
			got, out, err := e.getEnc(key, read)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s size %d: get: %v", name, size, err)
			}
			if out.Info.Encryption.Mode != enc.Mode || out.Info.Size != int64(size) {
				t.Fatalf("%s: get info %+v", name, out.Info)
			}
			if enc.Mode == SSEKMS && (out.Info.Encryption.KMSKeyID != "k1" || !out.Info.Encryption.BucketKey || out.Info.Encryption.KMSContext == "") {
				t.Fatalf("kms info %+v", out.Info.Encryption)
			}
			if size > 0 {
				for _, r := range [][2]int64{{0, 0}, {int64(size) - 1, -1}, {1, int64(size) / 2}, {int64(size) / 3, int64(size) - 1}} {
					read.Range = &ByteRange{Start: r[0], End: r[1]}
					got, out, err := e.getEnc(key, read)
					end := r[1]
					if end < 0 {
						end = int64(size) - 1
					}
					if err != nil || !bytes.Equal(got, data[r[0]:end+1]) || out.Start != r[0] {
						t.Fatalf("%s size %d range %v: %v", name, size, r, err)
					}
				}
				read.Range = &ByteRange{Suffix: 5}
				if got, _, err := e.getEnc(key, read); err != nil || !bytes.Equal(got, data[max(0, size-5):]) {
					t.Fatalf("suffix range: %v", err)
				}
				read.Range = nil
			}
		}
	}
}

func TestSSECKeyRules(t *testing.T) {
	e, _ := sseEnv(t)
	e.putEnc("c", []byte("secret"), ssecKey(1))
	e.putEnc("plain", []byte("clear"), Encryption{})
	e.putEnc("s3", []byte("s3"), Encryption{Mode: SSES3})
	if _, _, err := e.getEnc("c", GetInput{}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("SSE-C object without key: %v", err)
	}
	if _, _, err := e.getEnc("c", GetInput{Encryption: ssecKey(2)}); !errors.Is(err, errs.AccessDenied) {
		t.Fatalf("SSE-C object with a wrong key: %v", err)
	}
	if _, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "enc", Key: "c"}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("HEAD SSE-C without key: %v", err)
	}
	if _, err := e.s.HeadObject(ctx, GetInput{Tenant: tenant, Bucket: "enc", Key: "c", Encryption: ssecKey(1)}); err != nil {
		t.Fatalf("HEAD SSE-C with key: %v", err)
	}
	for _, k := range []string{"plain", "s3"} {
		if _, _, err := e.getEnc(k, GetInput{Encryption: ssecKey(1)}); !errors.Is(err, errs.InvalidRequest) {
			t.Fatalf("SSE-C key on a %s object: %v", k, err)
		}
	}
	if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "enc", Key: "x", Body: body(t, []byte("x")), Size: 1,
		Encryption: Encryption{Mode: SSEKMS, KMSKeyID: "nope"}}); !errors.Is(err, errs.KMSKeyNotFound) {
		t.Fatalf("unknown KMS key: %v", err)
	}
}

func TestSSENoKeyService(t *testing.T) {
	e := newEnv(t, nil)
	e.bucket("bbb")
	_, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bbb", Key: "x", Body: body(t, []byte("x")), Size: 1, Encryption: Encryption{Mode: SSES3}})
	if !errors.Is(err, errs.NotImplemented) {
		t.Fatalf("SSE-S3 without a key service: %v", err)
	}
	// SSE-C needs no key service.
	if _, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "bbb", Key: "c", Body: body(t, []byte("x")), Size: 1, Encryption: ssecKey(3)}); err != nil {
		t.Fatal(err)
	}
}

// TestSSECiphertextOnDisk writes a recognisable plaintext, inline and as a
// blob, and searches every file of the data directory (blobs and the Pebble
// store) for it.
func TestSSECiphertextOnDisk(t *testing.T) {
	e, dir := sseEnv(t)
	small, large := pattern(1000), pattern(300_000)
	e.putEnc("small-s3", small, Encryption{Mode: SSES3})
	e.putEnc("large-s3", large, Encryption{Mode: SSES3})
	e.putEnc("small-c", small, ssecKey(9))
	e.putEnc("large-kms", large, Encryption{Mode: SSEKMS, KMSKeyID: "k1"})
	marker := []byte("COFFER-PLAINTEXT-MARKER-")
	files := 0
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		files++
		if bytes.Contains(b, marker) {
			t.Errorf("plaintext found in %s", p)
		}
		return nil
	})
	if files < 2 {
		t.Fatalf("only %d files under %s", files, dir)
	}
	// And the same pattern unencrypted is found (the search works).
	e.put("enc", "clear", large)
	found := false
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			found = found || bytes.Contains(b, marker)
		}
		return nil
	})
	if !found {
		t.Fatal("the plaintext of an unencrypted object was not found: the search is broken")
	}
}

func TestSSETamperedBlobFails(t *testing.T) {
	e, dir := sseEnv(t)
	data := pattern(200_000)
	e.putEnc("k", data, Encryption{Mode: SSES3})
	var blobPath string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() == 200_000+4*16 {
			blobPath = p
		}
		return nil
	})
	if blobPath == "" {
		t.Fatal("no blob of the ciphertext size")
	}
	b, _ := os.ReadFile(blobPath)
	b[100_000] ^= 1
	os.WriteFile(blobPath, b, 0o600)
	if got, _, err := e.getEnc("k", GetInput{}); err == nil {
		t.Fatalf("tampered ciphertext read without error (%d bytes)", len(got))
	}
	// A range before the tampered package still reads.
	if got, _, err := e.getEnc("k", GetInput{Range: &ByteRange{Start: 0, End: 999}}); err != nil || !bytes.Equal(got, data[:1000]) {
		t.Fatalf("untampered range: %v", err)
	}
}

func TestSSEDefaultBucketEncryption(t *testing.T) {
	e, _ := sseEnv(t)
	if err := e.s.PutBucketConfig(ctx, tenant, "enc", ConfigEncryption, BucketEncryption{Algorithm: SSEKMS, KMSKeyID: "k1"}.Encode()); err != nil {
		t.Fatal(err)
	}
	info := e.putEnc("d", []byte("default"), Encryption{})
	if info.Encryption.Mode != SSEKMS || info.Encryption.KMSKeyID != "k1" {
		t.Fatalf("default not applied: %+v", info.Encryption)
	}
	// A request's own mode wins.
	if info := e.putEnc("own", []byte("x"), Encryption{Mode: SSES3}); info.Encryption.Mode != SSES3 {
		t.Fatalf("request mode lost: %+v", info.Encryption)
	}
	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "enc", Key: "mp"})
	if err != nil || up.Encryption.Mode != SSEKMS {
		t.Fatalf("multipart default: %+v %v", up.Encryption, err)
	}
	if got, _, err := e.getEnc("d", GetInput{}); err != nil || string(got) != "default" {
		t.Fatalf("get: %q %v", got, err)
	}
}

func TestSSEMultipart(t *testing.T) {
	for _, enc := range []Encryption{{Mode: SSES3}, ssecKey(5), {Mode: SSEKMS, KMSKeyID: "k1"}} {
		t.Run(string(enc.Mode), func(t *testing.T) {
			e, _ := sseEnv(t)
			up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "enc", Key: "mp", Encryption: enc})
			if err != nil {
				t.Fatal(err)
			}
			parts := [][]byte{pattern(100_000), bytes.Repeat([]byte("z"), 70_000), pattern(33)}
			var done []CompletedPart
			for i, p := range parts {
				in := UploadPartInput{Tenant: tenant, Bucket: "enc", Key: "mp", UploadID: up.UploadID, PartNumber: i + 1, Body: body(t, p), Size: int64(len(p))}
				if enc.Mode == SSEC {
					// Without the key, and with a wrong one, the part is refused.
					in2 := in
					in2.Body = body(t, p)
					if _, err := e.s.UploadPart(ctx, in2); !errors.Is(err, errs.InvalidRequest) {
						t.Fatalf("part without key: %v", err)
					}
					in2.Body, in2.Encryption = body(t, p), ssecKey(6)
					if _, err := e.s.UploadPart(ctx, in2); !errors.Is(err, errs.AccessDenied) {
						t.Fatalf("part with wrong key: %v", err)
					}
					in.Encryption = enc
				}
				pi, err := e.s.UploadPart(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if pi.Encryption.Mode != enc.Mode {
					t.Fatalf("part info %+v", pi.Encryption)
				}
				done = append(done, CompletedPart{Number: i + 1, ETag: pi.ETag})
			}
			info, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "enc", Key: "mp", UploadID: up.UploadID, Parts: done})
			if err != nil {
				t.Fatal(err)
			}
			if info.Encryption.Mode != enc.Mode || !strings.HasSuffix(info.ETag, "-3") {
				t.Fatalf("complete info %+v", info)
			}
			all := bytes.Join(parts, nil)
			read := GetInput{}
			if enc.Mode == SSEC {
				read.Encryption = enc
			}
			got, _, err := e.getEnc("mp", read)
			if err != nil || !bytes.Equal(got, all) {
				t.Fatalf("whole: %v", err)
			}
			// A range across all three parts, and each part by number.
			read.Range = &ByteRange{Start: 99_990, End: 170_010}
			if got, _, err := e.getEnc("mp", read); err != nil || !bytes.Equal(got, all[99_990:170_011]) {
				t.Fatalf("range across parts: %v", err)
			}
			read.Range = nil
			off := 0
			for i, p := range parts {
				read.PartNumber = i + 1
				got, _, err := e.getEnc("mp", read)
				if err != nil || !bytes.Equal(got, all[off:off+len(p)]) {
					t.Fatalf("part %d: %v", i+1, err)
				}
				off += len(p)
			}
		})
	}
}

func TestSSECopyBetweenModes(t *testing.T) {
	e, _ := sseEnv(t)
	data := pattern(150_000)
	e.putEnc("src-c", data, ssecKey(1))
	e.putEnc("src-plain", data, Encryption{})
	cases := []struct {
		src     string
		srcEnc  Encryption
		dstEnc  Encryption
		readEnc Encryption
	}{
		{"src-c", ssecKey(1), Encryption{Mode: SSES3}, Encryption{}},
		{"src-c", ssecKey(1), ssecKey(2), ssecKey(2)},
		{"src-c", ssecKey(1), Encryption{}, Encryption{}},
		{"src-plain", Encryption{}, Encryption{Mode: SSEKMS, KMSKeyID: "k1"}, Encryption{}},
		{"src-plain", Encryption{}, ssecKey(3), ssecKey(3)},
	}
	for i, c := range cases {
		dst := "dst" + string(rune('0'+i))
		out, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "enc", SrcKey: c.src, Tenant: tenant, Bucket: "enc", Key: dst,
			Encryption: c.dstEnc, SrcEncryption: c.srcEnc})
		if err != nil {
			t.Fatalf("case %d: copy: %v", i, err)
		}
		if out.Info.Encryption.Mode != c.dstEnc.Mode {
			t.Fatalf("case %d: copy mode %q", i, out.Info.Encryption.Mode)
		}
		got, _, err := e.getEnc(dst, GetInput{Encryption: c.readEnc})
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("case %d: read copy: %v", i, err)
		}
	}
	// The SSE-C source without its key.
	_, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "enc", SrcKey: "src-c", Tenant: tenant, Bucket: "enc", Key: "x"})
	if !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("copy SSE-C source without key: %v", err)
	}
	// Copy onto itself changing only the encryption is allowed.
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "enc", SrcKey: "src-plain", Tenant: tenant, Bucket: "enc", Key: "src-plain",
		Encryption: Encryption{Mode: SSES3}}); err != nil {
		t.Fatalf("re-encrypt in place: %v", err)
	}
	// So is decrypting an SSE-C object in place (the source's key, no
	// destination encryption: minio-go's key-rotation tests, AWS's rule
	// counts the encryption change); without any change it is refused.
	e.putEnc("in-place-c", data, ssecKey(4))
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "enc", SrcKey: "in-place-c", Tenant: tenant, Bucket: "enc", Key: "in-place-c",
		SrcEncryption: ssecKey(4)}); err != nil {
		t.Fatalf("decrypt in place: %v", err)
	}
	if got, _, err := e.getEnc("in-place-c", GetInput{}); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after decrypting in place: %v", err)
	}
	if _, err := e.s.CopyObject(ctx, CopyInput{SrcTenant: tenant, SrcBucket: "enc", SrcKey: "in-place-c", Tenant: tenant, Bucket: "enc", Key: "in-place-c"}); !errors.Is(err, errs.InvalidRequest) {
		t.Fatalf("copy onto itself changing nothing: %v", err)
	}
	// UploadPartCopy from an SSE-C source into an SSE-S3 upload.
	up, err := e.s.CreateMultipartUpload(ctx, CreateUploadInput{Tenant: tenant, Bucket: "enc", Key: "upc", Encryption: Encryption{Mode: SSES3}})
	if err != nil {
		t.Fatal(err)
	}
	pi, _, err := e.s.UploadPartCopy(ctx, UploadPartCopyInput{Tenant: tenant, Bucket: "enc", Key: "upc", UploadID: up.UploadID, PartNumber: 1,
		SrcTenant: tenant, SrcBucket: "enc", SrcKey: "src-c", SrcEncryption: ssecKey(1), SrcRange: &ByteRange{Start: 10, End: 100_009}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.CompleteMultipartUpload(ctx, CompleteInput{Tenant: tenant, Bucket: "enc", Key: "upc", UploadID: up.UploadID, Parts: []CompletedPart{{Number: 1, ETag: pi.ETag}}}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := e.getEnc("upc", GetInput{}); err != nil || !bytes.Equal(got, data[10:100_010]) {
		t.Fatalf("part copy: %v", err)
	}
}

func TestSSERecordSchema(t *testing.T) {
	v := &versionRecord{Seq: 5, Size: 3, ETag: "e", Enc: &encRecord{Mode: SSES3, KeyID: "k", Sealed: []byte{1, 2}, IV: make([]byte, 12)}, inline: []byte("abc")}
	b := v.encode()
	if b[0] != recordSchemaEncrypted {
		t.Fatalf("encrypted record schema %d", b[0])
	}
	got, err := decodeVersion(b, true)
	if err != nil || got.Enc == nil || got.Enc.KeyID != "k" || string(got.inline) != "abc" {
		t.Fatalf("decode: %+v %v", got, err)
	}
	l, err := decodeListing(b)
	if err != nil || l.ETag != "e" || l.Size != 3 {
		t.Fatalf("listing decode: %+v %v", l, err)
	}
	plain := (&versionRecord{Seq: 5, Size: 3}).encode()
	if plain[0] != recordSchema {
		t.Fatalf("unencrypted record schema %d, want %d", plain[0], recordSchema)
	}
}

// TestSSESurvivesRecordRewrites: tagging rewrites the version record; the
// encryption and the inline ciphertext must survive it.
func TestSSESurvivesRecordRewrites(t *testing.T) {
	e, _ := sseEnv(t)
	e.putEnc("small", []byte("inline secret"), ssecKey(4))
	e.putEnc("large", pattern(100_000), Encryption{Mode: SSES3})
	for _, k := range []string{"small", "large"} {
		if _, err := e.s.PutObjectTagging(ctx, tenant, "enc", k, "", []Tag{{Key: "a", Value: "b"}}); err != nil {
			t.Fatal(err)
		}
	}
	got, out, err := e.getEnc("small", GetInput{Encryption: ssecKey(4)})
	if err != nil || string(got) != "inline secret" || out.Info.Encryption.Mode != SSEC || len(out.Info.Tags) != 1 {
		t.Fatalf("small after tagging: %q %v", got, err)
	}
	got, out, err = e.getEnc("large", GetInput{})
	if err != nil || !bytes.Equal(got, pattern(100_000)) || out.Info.Encryption.Mode != SSES3 {
		t.Fatalf("large after tagging: %v", err)
	}
}

// TestSSEWithLockAndACL: one encrypted PUT that also carries an ACL and an
// Object Lock retention keeps all three, through an ACL rewrite, and the
// locked encrypted version cannot be deleted.
func TestSSEWithLockAndACL(t *testing.T) {
	e, _ := sseEnv(t)
	if _, err := e.s.CreateBucket(ctx, CreateBucketInput{Tenant: tenant, Name: "enclock",
		ObjectLock: &ObjectLockConfig{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for _, tc := range []struct {
		key  string
		data []byte
		enc  Encryption
	}{{"small", []byte("inline secret"), ssecKey(7)}, {"large", pattern(100_000), Encryption{Mode: SSES3}}} {
		info, err := e.s.PutObject(ctx, PutInput{Tenant: tenant, Bucket: "enclock", Key: tc.key, Body: body(t, tc.data),
			Size: int64(len(tc.data)), Encryption: tc.enc, ACL: []byte("acl-v1"),
			Lock: LockSpec{Mode: LockCompliance, RetainUntil: until}})
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		if acl, err := e.s.GetObjectACL(ctx, tenant, "enclock", tc.key, ""); err != nil || string(acl.ACL) != "acl-v1" {
			t.Fatalf("%s acl at PUT: %q %v", tc.key, acl.ACL, err)
		}
		if _, err := e.s.PutObjectACL(ctx, tenant, "enclock", tc.key, "", []byte("acl-v2"), ""); err != nil {
			t.Fatalf("%s acl: %v", tc.key, err)
		}
		out, err := e.s.GetObject(ctx, GetInput{Tenant: tenant, Bucket: "enclock", Key: tc.key, Encryption: tc.enc})
		if err != nil {
			t.Fatalf("%s get: %v", tc.key, err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, tc.data) || out.Info.Encryption.Mode != tc.enc.Mode || out.Info.Lock.Mode != LockCompliance {
			t.Fatalf("%s after ACL rewrite: %d bytes, enc %v, lock %+v", tc.key, len(got), out.Info.Encryption.Mode, out.Info.Lock)
		}
		acl, err := e.s.GetObjectACL(ctx, tenant, "enclock", tc.key, "")
		if err != nil || string(acl.ACL) != "acl-v2" {
			t.Fatalf("%s acl: %q %v", tc.key, acl.ACL, err)
		}
		if _, err := e.s.DeleteObject(ctx, DeleteInput{Tenant: tenant, Bucket: "enclock", Key: tc.key, VersionID: info.VersionID}); !errors.Is(err, ErrObjectLocked) {
			t.Fatalf("%s: deleting a locked encrypted version: %v", tc.key, err)
		}
	}
}
