package pebble

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
)

// GetMulti returns the values in order, nil only for absent keys, values
// the caller may change without changing the store, and ErrClosed after
// Close.
func TestGetMulti(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Set([]byte("a"), []byte("1")); err != nil {
			return err
		}
		return tx.Set([]byte("empty"), []byte{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if kv.MultiGetterOf(s) == nil {
		t.Fatal("the Pebble store is not a kv.MultiGetter")
	}
	vals, err := s.GetMulti(t.Context(), [][]byte{[]byte("missing"), []byte("a"), []byte("empty")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 3 || vals[0] != nil || !bytes.Equal(vals[1], []byte("1")) || vals[2] == nil || len(vals[2]) != 0 {
		t.Fatalf("GetMulti = %q (nil: %v %v %v)", vals, vals[0] == nil, vals[1] == nil, vals[2] == nil)
	}
	vals[1][0] = 'x'
	again, err := s.GetMulti(t.Context(), [][]byte{[]byte("a")})
	if err != nil || !bytes.Equal(again[0], []byte("1")) {
		t.Fatalf("after changing a returned value: %q, %v", again, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMulti(t.Context(), [][]byte{[]byte("a")}); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("GetMulti after Close: %v, want ErrClosed", err)
	}
}
