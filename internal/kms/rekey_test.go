package kms

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"coffer/internal/kv"
)

func TestRekey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openStore(t, filepath.Join(dir, "meta"))
	defer st.Close()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	l, _, err := Open(ctx, Options{KV: st, MasterKey: hex.EncodeToString(oldKey), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := l.CreateKey(ctx, CreateKeyInput{Alias: "r"})
	before, _ := l.GenerateDataKey(ctx, k.ID, []byte("c"))
	l.RotateKey(ctx, k.ID)
	after, _ := l.GenerateDataKey(ctx, k.ID, []byte("c"))
	def, _ := l.GenerateDataKey(ctx, "", []byte("d"))

	rekey := func(o, n []byte) (RekeyResult, error) {
		var res RekeyResult
		err := st.Update(ctx, func(tx kv.Txn) error {
			var err error
			res, err = RekeyTx(tx, o, n, time.Now())
			return err
		})
		return res, err
	}
	if _, err := rekey(newKey, oldKey); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("rekey from a wrong key: %v", err)
	}
	if _, err := rekey(oldKey, oldKey); err == nil {
		t.Fatal("rekey to the same key accepted")
	}
	res, err := rekey(oldKey, newKey)
	if err != nil || res.Keys != 2 || res.Versions != 3 {
		t.Fatalf("rekey: %+v %v", res, err)
	}
	if _, _, err := Open(ctx, Options{KV: st, MasterKey: hex.EncodeToString(oldKey), Logger: quiet}); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("old key after rekey: %v", err)
	}
	l2, _, err := Open(ctx, Options{KV: st, MasterKey: hex.EncodeToString(newKey), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id  string
		dk  DataKey
		ctx string
	}{{k.ID, before, "c"}, {k.ID, after, "c"}, {DefaultKeyID, def, "d"}} {
		got, err := l2.Decrypt(ctx, c.id, c.dk.Sealed, []byte(c.ctx))
		if err != nil || !bytes.Equal(got, c.dk.Plaintext) {
			t.Fatalf("data key under %s after rekey: %v", c.id, err)
		}
	}
	if info, _ := l2.GetKey(ctx, "r"); info.CurrentVersion != 2 {
		t.Fatalf("key after rekey: %+v", info)
	}
}
