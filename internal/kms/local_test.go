package kms

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
)

func openStore(t testing.TB, dir string) *pebble.Store {
	t.Helper()
	st, err := pebble.Open(pebble.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newKMS opens a KMS on a fresh store with a generated master key file.
func newKMS(t *testing.T) (*Local, string) {
	t.Helper()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "meta"))
	t.Cleanup(func() { st.Close() })
	keyFile := filepath.Join(dir, "master.key")
	l, res, err := Open(context.Background(), Options{KV: st, MasterKeyFile: keyFile, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if res.GeneratedKeyFile != keyFile {
		t.Fatalf("GeneratedKeyFile = %q, want %q", res.GeneratedKeyFile, keyFile)
	}
	return l, dir
}

func TestParseMasterKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, 32)
	hexText := hex.EncodeToString(raw)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{hexText, true},
		{strings.ToUpper(hexText) + "\n", true},
		{FormatMasterKey(raw), true},
		{"  " + FormatMasterKey(raw) + "  ", true},
		{hexText[:62], false},
		{"zz" + hexText[2:], false},
		{strings.Repeat("!", 44), false},
		{"", false},
		{string(raw), false},
	} {
		k, err := ParseMasterKey(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("ParseMasterKey(%q): err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && !bytes.Equal(k, raw) {
			t.Errorf("ParseMasterKey(%q) = %x", tc.in, k)
		}
	}
}

func TestSealOpenDefaultKey(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	dk, err := l.GenerateDataKey(ctx, "", []byte("bucket/key"))
	if err != nil {
		t.Fatal(err)
	}
	if dk.KeyID != DefaultKeyID || len(dk.Plaintext) != 32 || len(dk.Sealed) != SealedSize {
		t.Fatalf("data key = %+v", dk)
	}
	if bytes.Contains(dk.Sealed, dk.Plaintext) {
		t.Fatal("sealed form contains the plaintext")
	}
	got, err := l.Decrypt(ctx, DefaultKeyID, dk.Sealed, []byte("bucket/key"))
	if err != nil || !bytes.Equal(got, dk.Plaintext) {
		t.Fatalf("Decrypt = %x, %v; want %x", got, err, dk.Plaintext)
	}
	dk2, _ := l.GenerateDataKey(ctx, DefaultKeyID, []byte("bucket/key"))
	if bytes.Equal(dk2.Plaintext, dk.Plaintext) || bytes.Equal(dk2.Sealed, dk.Sealed) {
		t.Fatal("two data keys are equal")
	}
}

func TestWrongContextAndTampering(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	other, err := l.CreateKey(ctx, CreateKeyInput{Alias: "other"})
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := l.GenerateDataKey(ctx, "", []byte("b/k"))
	flipped := append([]byte(nil), dk.Sealed...)
	flipped[len(flipped)-1] ^= 1
	badVersion := append([]byte(nil), dk.Sealed...)
	badVersion[4] = 9
	for name, tc := range map[string]struct {
		key    string
		sealed []byte
		ctx    string
	}{
		"context":     {DefaultKeyID, dk.Sealed, "b/k2"},
		"empty ctx":   {DefaultKeyID, dk.Sealed, ""},
		"other key":   {other.ID, dk.Sealed, "b/k"},
		"bit flipped": {DefaultKeyID, flipped, "b/k"},
		"no version":  {DefaultKeyID, badVersion, "b/k"},
		"truncated":   {DefaultKeyID, dk.Sealed[:40], "b/k"},
	} {
		_, err := l.Decrypt(ctx, tc.key, tc.sealed, []byte(tc.ctx))
		if !errors.Is(err, ErrInvalidCiphertext) || errs.KindOf(err) != errs.Internal {
			t.Errorf("%s: err = %v, want Internal/ErrInvalidCiphertext", name, err)
		}
	}
}

func TestRotation(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	k, err := l.CreateKey(ctx, CreateKeyInput{Alias: "alias/backups", Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if k.Alias != "backups" || k.CurrentVersion != 1 || !k.Enabled || !uuidForm.MatchString(k.ID) {
		t.Fatalf("created %+v", k)
	}
	old, err := l.GenerateDataKey(ctx, "alias/backups", []byte("c"))
	if err != nil {
		t.Fatal(err)
	}
	if old.KeyID != k.ID {
		t.Fatalf("KeyID = %q, want the canonical id %q", old.KeyID, k.ID)
	}
	r, err := l.RotateKey(ctx, k.ID)
	if err != nil || r.CurrentVersion != 2 || len(r.Versions) != 2 {
		t.Fatalf("rotate: %+v %v", r, err)
	}
	nw, err := l.GenerateDataKey(ctx, "arn:aws:kms:us-east-1:000000000000:key/"+k.ID, []byte("c"))
	if err != nil {
		t.Fatal(err)
	}
	if v := nw.Sealed[4]; v != 2 {
		t.Fatalf("new data key sealed under version %d, want 2", v)
	}
	if v := old.Sealed[4]; v != 1 {
		t.Fatalf("old data key sealed under version %d, want 1", v)
	}
	for _, dk := range []DataKey{old, nw} {
		got, err := l.Decrypt(ctx, k.ID, dk.Sealed, []byte("c"))
		if err != nil || !bytes.Equal(got, dk.Plaintext) {
			t.Fatalf("Decrypt after rotation: %v", err)
		}
	}
	// By alias and by alias ARN too.
	if _, err := l.Decrypt(ctx, "arn:aws:kms:us-east-1:000000000000:alias/backups", old.Sealed, []byte("c")); err != nil {
		t.Fatal(err)
	}
}

func TestDisabledAndUnknownKeys(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	k, _ := l.CreateKey(ctx, CreateKeyInput{})
	dk, err := l.GenerateDataKey(ctx, k.ID, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetKeyEnabled(ctx, k.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := l.GenerateDataKey(ctx, k.ID, []byte("x")); !errors.Is(err, errs.KMSKeyNotFound) {
		t.Fatalf("GenerateDataKey on a disabled key: %v", err)
	}
	if _, err := l.Decrypt(ctx, k.ID, dk.Sealed, []byte("x")); !errors.Is(err, errs.KMSKeyNotFound) {
		t.Fatalf("Decrypt on a disabled key: %v", err)
	}
	if _, err := l.RotateKey(ctx, k.ID); !errors.Is(err, errs.KMSKeyNotFound) {
		t.Fatalf("RotateKey on a disabled key: %v", err)
	}
	if info, err := l.GetKey(ctx, k.ID); err != nil || info.Enabled {
		t.Fatalf("GetKey of a disabled key: %+v %v", info, err)
	}
	if _, err := l.SetKeyEnabled(ctx, k.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, err := l.Decrypt(ctx, k.ID, dk.Sealed, []byte("x")); err != nil || !bytes.Equal(got, dk.Plaintext) {
		t.Fatalf("Decrypt after re-enabling: %v", err)
	}
	for _, ref := range []string{"00000000-0000-4000-8000-000000000000", "alias/nope", "nope", "arn:aws:kms:r:1:key/", "arn:aws:kms:r:1:thing", "alias/", "arn:aws:kms:r:1:alias/"} {
		if _, err := l.GenerateDataKey(ctx, ref, nil); !errors.Is(err, errs.KMSKeyNotFound) {
			t.Errorf("GenerateDataKey(%q): %v, want KMSKeyNotFound", ref, err)
		}
	}
	if _, err := l.SetKeyEnabled(ctx, DefaultKeyID, false); errs.KindOf(err) != errs.InvalidArgument {
		t.Fatalf("disabling the default key: %v", err)
	}
}

func TestAliases(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	if _, err := l.CreateKey(ctx, CreateKeyInput{Alias: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateKey(ctx, CreateKeyInput{Alias: "alias/a"}); errs.KindOf(err) != errs.AlreadyExists {
		t.Fatalf("duplicate alias: %v", err)
	}
	for _, bad := range []string{"aws/s3", "has space", DefaultKeyID, "0a1b2c3d-0000-4000-8000-000000000000", strings.Repeat("x", 251)} {
		if _, err := l.CreateKey(ctx, CreateKeyInput{Alias: bad}); errs.KindOf(err) != errs.InvalidArgument {
			t.Errorf("alias %q: %v, want InvalidArgument", bad, err)
		}
	}
	keys, err := l.ListKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != DefaultKeyID || keys[1].Alias != "a" {
		t.Fatalf("ListKeys = %+v, %v", keys, err)
	}
}

func TestRestartAndWrongMasterKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	ctx := context.Background()
	st := openStore(t, filepath.Join(dir, "meta"))
	l, _, err := Open(ctx, Options{KV: st, MasterKeyFile: keyFile, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	dk, _ := l.GenerateDataKey(ctx, "", []byte("c"))
	sealedSecret, _ := l.SealSecret("AK", []byte("secret"))
	st.Close()

	// The same key, given in the environment form, opens everything.
	text, _ := os.ReadFile(keyFile)
	master, _ := ParseMasterKey(string(text))
	st = openStore(t, filepath.Join(dir, "meta"))
	defer st.Close()
	l2, res, err := Open(ctx, Options{KV: st, MasterKey: hex.EncodeToString(master)})
	if err != nil || res.GeneratedKeyFile != "" {
		t.Fatal(err, res)
	}
	if got, err := l2.Decrypt(ctx, "", dk.Sealed, []byte("c")); err != nil || !bytes.Equal(got, dk.Plaintext) {
		t.Fatalf("Decrypt after restart: %v", err)
	}
	if s, err := l2.OpenSecret("AK", sealedSecret); err != nil || string(s) != "secret" {
		t.Fatalf("OpenSecret after restart: %q %v", s, err)
	}

	// Another master key is refused at Open.
	wrong := bytes.Repeat([]byte{1}, 32)
	if _, _, err := Open(ctx, Options{KV: st, MasterKey: hex.EncodeToString(wrong)}); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("wrong master key: %v", err)
	}
	// A keyed store whose key file is missing is refused, not re-keyed.
	missing := filepath.Join(dir, "elsewhere.key")
	if _, _, err := Open(ctx, Options{KV: st, MasterKeyFile: missing}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key file: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("Open created a key file for a keyed store")
	}
	// Bad options are reported.
	if _, _, err := Open(ctx, Options{KV: st, MasterKey: "short", MasterKeyFile: keyFile}); err == nil {
		t.Fatal("both master key sources accepted")
	}
	if err := (Options{KV: st, MasterKey: "short"}).Validate(); err == nil {
		t.Fatal("a malformed master key passed Validate")
	}
}

func TestSecrets(t *testing.T) {
	l, _ := newKMS(t)
	s, err := l.SealSecret("AKIA1", []byte("wJalrXUtnFEMI"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s, []byte("wJalrXUtnFEMI")) {
		t.Fatal("sealed secret holds the plaintext")
	}
	if _, err := l.OpenSecret("AKIA2", s); !errors.Is(err, ErrInvalidCiphertext) {
		t.Fatalf("secret opened for another access key: %v", err)
	}
	if _, err := l.OpenSecret("AKIA1", s[:5]); !errors.Is(err, ErrInvalidCiphertext) {
		t.Fatalf("truncated secret: %v", err)
	}
	got, err := l.OpenSecret("AKIA1", s)
	if err != nil || string(got) != "wJalrXUtnFEMI" {
		t.Fatalf("OpenSecret = %q, %v", got, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	k, _ := l.CreateKey(ctx, CreateKeyInput{Alias: "c"})
	var wg sync.WaitGroup
	errc := make(chan error, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				ref := k.ID
				if i%2 == 0 {
					ref = "alias/c"
				}
				c := []byte{byte(g), byte(i)}
				dk, err := l.GenerateDataKey(ctx, ref, c)
				if err != nil {
					errc <- err
					return
				}
				got, err := l.Decrypt(ctx, ref, dk.Sealed, c)
				if err != nil || !bytes.Equal(got, dk.Plaintext) {
					errc <- errors.Join(errors.New("round trip failed"), err)
					return
				}
				if g == 0 && i%10 == 0 {
					if _, err := l.RotateKey(ctx, k.ID); err != nil {
						errc <- err
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	info, _ := l.GetKey(ctx, "c")
	if info.CurrentVersion != 6 {
		t.Fatalf("CurrentVersion = %d, want 6", info.CurrentVersion)
	}
}

func TestCacheIsBounded(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	defer st.Close()
	ctx := context.Background()
	l, _, err := Open(ctx, Options{KV: st, MasterKeyFile: filepath.Join(dir, "m.key"), CacheSize: 3, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 10; i++ {
		k, _ := l.CreateKey(ctx, CreateKeyInput{})
		ids = append(ids, k.ID)
	}
	for _, id := range ids {
		if _, err := l.GenerateDataKey(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	l.mu.Lock()
	n := len(l.cache)
	l.mu.Unlock()
	if n > 3 {
		t.Fatalf("cache holds %d keys, bound 3", n)
	}
}

var quiet = slog.New(slog.DiscardHandler)

// Two nodes sharing a store: a disable made through one reaches the other
// within the cache TTL; a rotation is picked up at once when a data key
// sealed under the new version is opened.
func TestTwoNodesShareAStore(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "meta"))
	defer st.Close()
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	master := hex.EncodeToString(bytes.Repeat([]byte{9}, 32))
	a, _, err := Open(ctx, Options{KV: st, MasterKey: master, Logger: quiet, Now: clock, CacheTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Open(ctx, Options{KV: st, MasterKey: master, Logger: quiet, Now: clock, CacheTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := a.CreateKey(ctx, CreateKeyInput{})
	if _, err := b.GenerateDataKey(ctx, k.ID, nil); err != nil { // b caches version 1
		t.Fatal(err)
	}
	if _, err := a.RotateKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	dk, _ := a.GenerateDataKey(ctx, k.ID, nil)
	if got, err := b.Decrypt(ctx, k.ID, dk.Sealed, nil); err != nil || !bytes.Equal(got, dk.Plaintext) {
		t.Fatalf("b opens a data key of a version it had not seen: %v", err)
	}
	if _, err := a.SetKeyEnabled(ctx, k.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GenerateDataKey(ctx, k.ID, nil); err != nil {
		t.Fatalf("within the TTL b still uses its cached key: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := b.GenerateDataKey(ctx, k.ID, nil); !errors.Is(err, errs.KMSKeyNotFound) {
		t.Fatalf("after the TTL b still uses a disabled key: %v", err)
	}
}

func TestVersionsAreBounded(t *testing.T) {
	l, _ := newKMS(t)
	ctx := context.Background()
	k, _ := l.CreateKey(ctx, CreateKeyInput{})
	// Give the key MaxKeyVersions-1 versions in one transaction.
	err := l.kv.Update(ctx, func(tx kv.Txn) error {
		r, err := getKeyTx(tx, k.ID, "")
		if err != nil {
			return err
		}
		for v := uint32(2); v < MaxKeyVersions; v++ {
			r.Versions = append(r.Versions, keyVersion{Version: v, Wrapped: l.wrapVersion(r.ID, v, randomBytes(32))})
		}
		r.Current = MaxKeyVersions - 1
		return putKeyTx(tx, &r)
	})
	l.changed()
	if err != nil {
		t.Fatal(err)
	}
	if info, err := l.RotateKey(ctx, k.ID); err != nil || info.CurrentVersion != MaxKeyVersions {
		t.Fatalf("last rotation: %d %v", info.CurrentVersion, err)
	}
	if _, err := l.RotateKey(ctx, k.ID); errs.KindOf(err) != errs.InvalidArgument {
		t.Fatalf("rotation past the bound: %v", err)
	}
}
