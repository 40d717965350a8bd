package kv_test

import (
	"fmt"
	"testing"

	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/kv/postgres"
	"coffer/internal/kv/postgres/pgtest"
)

func fill(t *testing.T, s kv.Store, n int) {
	t.Helper()
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for i := range n {
			if err := tx.Set(fmt.Appendf(nil, "k/%05d", i), fmt.Appendf(nil, "value %d", i*i)); err != nil {
				return err
			}
		}
		if err := tx.Set([]byte{0x00}, nil); err != nil {
			return err
		}
		return tx.Set([]byte{0xff, 0xff}, make([]byte, 300<<10))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCopyAndDigest(t *testing.T) {
	src, err := pebble.Open(pebble.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fill(t, src, 2500)
	dsts := map[string]kv.Store{}
	d, err := pebble.Open(pebble.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dsts["pebble"] = d
	if pgtest.DSN() != "" {
		dsts["postgres"] = pgtest.Open(t, postgres.Options{})
	}
	n0, sum0, err := kv.Digest(t.Context(), src)
	if err != nil || n0 != 2502 {
		t.Fatalf("source digest: %d records, %v", n0, err)
	}
	for name, dst := range dsts {
		t.Run(name, func(t *testing.T) {
			batches := 0
			st, err := kv.Copy(t.Context(), dst, src, 1000, 0, func(kv.CopyStats) { batches++ })
			if err != nil {
				t.Fatal(err)
			}
			if st.Keys != 2502 || batches != 3 {
				t.Fatalf("copied %d keys in %d batches", st.Keys, batches)
			}
			n, sum, err := kv.Digest(t.Context(), dst)
			if err != nil || n != n0 || sum != sum0 {
				t.Fatalf("destination digest: %d records (want %d), equal %v, %v", n, n0, sum == sum0, err)
			}
			// A changed value changes the digest.
			if err := dst.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte("k/00007"), []byte("x")) }); err != nil {
				t.Fatal(err)
			}
			if _, sum, _ := kv.Digest(t.Context(), dst); sum == sum0 {
				t.Fatal("digest ignores a changed value")
			}
		})
	}
}
