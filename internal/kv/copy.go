package kv

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// CopyStats counts what Copy copied.
type CopyStats struct {
	Keys  int64
	Bytes int64 // keys and values
}

// Copy copies every record of src, read from one consistent View, into dst
// in a sequence of Updates of at most batchKeys keys or about batchBytes
// bytes (0 take 1000 and 8 MiB). It overwrites keys that dst has and leaves
// other keys of dst alone; moving a deployment means copying into an empty
// store (coffer migrate checks that). progress, if not nil, is called after
// each batch.
func Copy(ctx context.Context, dst, src Store, batchKeys, batchBytes int, progress func(CopyStats)) (CopyStats, error) {
	if batchKeys <= 0 {
		batchKeys = 1000
	}
	if batchBytes <= 0 {
		batchBytes = 8 << 20
	}
	var st CopyStats
	type pair struct{ k, v []byte }
	var batch []pair
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := dst.Update(ctx, func(tx Txn) error {
			for _, p := range batch {
				if err := tx.Set(p.k, p.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		st.Keys += int64(len(batch))
		st.Bytes += int64(size)
		batch, size = batch[:0], 0
		if progress != nil {
			progress(st)
		}
		return nil
	}
	err := src.View(ctx, func(r Reader) error {
		it := r.NewIterator([]byte{}, nil)
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			k := append([]byte(nil), it.Key()...)
			v := append([]byte{}, it.Value()...)
			batch = append(batch, pair{k, v})
			size += len(k) + len(v)
			if len(batch) >= batchKeys || size >= batchBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := it.Err(); err != nil {
			return err
		}
		return flush()
	})
	return st, err
}

// Digest is a SHA-256 over every record of s in key order (each key and
// value length-prefixed), read from one View, with the number of records:
// two stores with the same digest hold the same records.
func Digest(ctx context.Context, s Store) (n int64, sum [32]byte, err error) {
	h := sha256.New()
	err = s.View(ctx, func(r Reader) error {
		n = 0
		h.Reset()
		it := r.NewIterator([]byte{}, nil)
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			writeLV(h, it.Key())
			writeLV(h, it.Value())
			n++
		}
		return it.Err()
	})
	copy(sum[:], h.Sum(nil))
	return n, sum, err
}

func writeLV(h hash.Hash, b []byte) {
	var l [binary.MaxVarintLen64]byte
	h.Write(l[:binary.PutUvarint(l[:], uint64(len(b)))])
	h.Write(b)
}
