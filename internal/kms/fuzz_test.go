package kms

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"coffer/internal/errs"
)

// parseRef reads key ids from S3 headers and bucket configurations.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"", DefaultKeyID, "alias/a", "a", "arn:aws:kms:us-east-1:1:key/x",
		"arn:aws:kms:us-east-1:1:alias/b", "arn:", "arn:aws:kms:r:a:key/", "0a1b2c3d-0000-4000-8000-000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		id, alias, err := parseRef(ref)
		if err != nil {
			if !errors.Is(err, errs.KMSKeyNotFound) {
				t.Fatalf("parseRef(%q): error of kind %v", ref, errs.KindOf(err))
			}
			return
		}
		if (id == "") == (alias == "") {
			t.Fatalf("parseRef(%q) = id %q, alias %q: want exactly one", ref, id, alias)
		}
	})
}

// Decrypt reads sealed keys from version records: arbitrary bytes must
// fail cleanly, never panic or open.
func FuzzDecrypt(f *testing.F) {
	dir := f.TempDir()
	st := openStore(f, filepath.Join(dir, "meta"))
	defer st.Close()
	l, _, err := Open(context.Background(), Options{KV: st, MasterKeyFile: filepath.Join(dir, "m.key"), Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	dk, err := l.GenerateDataKey(context.Background(), "", []byte("c"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dk.Sealed)
	f.Add(dk.Sealed[:10])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		got, err := l.Decrypt(context.Background(), "", sealed, []byte("c"))
		if err == nil && string(sealed) != string(dk.Sealed) {
			t.Fatalf("a forged sealed key opened: %x → %x", sealed, got)
		}
	})
}
