package objects

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"

	"coffer/internal/checksum"
	"coffer/internal/kv"
)

// A read-only view of what is stored, for offline consistency checks
// (coffer fsck, package fsck): every version record of every bucket with
// the blobs it references, every part of a pending multipart upload, and the
// blobs waiting for garbage collection. It reads kv only; it never opens a
// Service (whose collector would delete garbage) and writes nothing.

// StoredVersion is one version record as stored.
type StoredVersion struct {
	Tenant, Bucket string
	Key            string
	// VersionID is "null" for the null version.
	VersionID    string
	Current      bool
	DeleteMarker bool
	// Size is the object's size (the plaintext's, when encrypted).
	Size     int64
	ETag     string // no quotes; "hex-N" for multipart
	Checksum checksum.Value
	// Parts are a multipart object's parts, one per blob, in order.
	Parts []PartInfo
	// Blobs hold the data in order; empty for inline data and delete markers.
	Blobs []StoredBlob
	// Inline is the data kept in the record (ciphertext when encrypted);
	// nil when there is none.
	Inline []byte
	// Encrypted means the stored bytes are ciphertext: only presence and
	// sizes can be checked without the keys.
	Encrypted bool
	// Err is set when the record could not be decoded; the other fields
	// but the names are then empty.
	Err error
}

// StoredBlob is one data file of a version or part.
type StoredBlob struct {
	ID string
	// Size is the number of object bytes it holds; FileSize the size of its
	// file (they differ for encrypted data, whose packages carry tags).
	Size, FileSize int64
}

// StoredPart is a part of a pending (not yet completed) multipart upload.
type StoredPart struct {
	Tenant, Bucket string
	Key, UploadID  string
	Number         int
	Size           int64
	ETag           string // hex MD5
	Checksum       checksum.Value
	Blob           StoredBlob
	Encrypted      bool
	Err            error
}

// StoredWalk receives what WalkStored finds; nil functions are skipped.
// An error returned by one stops the walk and is returned.
type StoredWalk struct {
	Version func(StoredVersion) error
	Part    func(StoredPart) error
	// Garbage receives the ids of retired blobs the collector has yet to
	// delete (their files may or may not still exist).
	Garbage func(blobID string) error
}

// WalkStored reads every bucket's versions and pending parts, then the
// garbage list, in one consistent read of store.
func WalkStored(ctx context.Context, store kv.Store, w StoredWalk) error {
	return store.View(ctx, func(tx kv.Reader) error {
		var buckets []bucketRecord
		p := []byte{nsBucket}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		for ok := it.First(); ok; ok = it.Next() {
			var b bucketRecord
			if err := json.Unmarshal(it.Value(), &b); err != nil {
				continue // not a bucket record: nothing to check under it
			}
			buckets = append(buckets, b)
		}
		err := it.Err()
		it.Close()
		if err != nil {
			return err
		}
		for i := range buckets {
			if err := walkBucket(ctx, tx, &buckets[i], w); err != nil {
				return err
			}
		}
		if w.Garbage == nil {
			return nil
		}
		g := []byte{nsGarbage}
		it = tx.NewIterator(g, kv.PrefixEnd(g))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			if err := w.Garbage(string(it.Key()[1:])); err != nil {
				return err
			}
		}
		return it.Err()
	})
}

func walkBucket(ctx context.Context, tx kv.Reader, b *bucketRecord, w StoredWalk) error {
	if w.Version != nil {
		for _, ns := range []byte{nsCurrent, nsVersion} {
			p := bidPrefix(ns, b.ID)
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			for ok := it.First(); ok; ok = it.Next() {
				if err := ctx.Err(); err != nil {
					it.Close()
					return err
				}
				var key string
				var kok bool
				if ns == nsCurrent {
					key, kok = splitCurrentKey(it.Key())
				} else {
					key, _, kok = splitVersionKey(it.Key())
				}
				if !kok {
					continue
				}
				sv := storedVersion(it.Value())
				sv.Tenant, sv.Bucket, sv.Key, sv.Current = b.Tenant, b.Name, key, ns == nsCurrent
				if err := w.Version(sv); err != nil {
					it.Close()
					return err
				}
			}
			err := it.Err()
			it.Close()
			if err != nil {
				return err
			}
		}
	}
	if w.Part == nil {
		return nil
	}
	keys := map[string]string{} // upload id → object key
	p := bidPrefix(nsUpload, b.ID)
	it := tx.NewIterator(p, kv.PrefixEnd(p))
	for ok := it.First(); ok; ok = it.Next() {
		if key, id, ok := splitUploadKey(it.Key()); ok {
			keys[id] = key
		}
	}
	err := it.Err()
	it.Close()
	if err != nil {
		return err
	}
	p = bidPrefix(nsPart, b.ID)
	it = tx.NewIterator(p, kv.PrefixEnd(p))
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()[9:]
		i := bytes.IndexByte(k, 0)
		if i < 0 || len(k) != i+5 {
			continue
		}
		id := string(k[:i])
		sp := StoredPart{Tenant: b.Tenant, Bucket: b.Name, Key: keys[id], UploadID: id,
			Number: int(binary.BigEndian.Uint32(k[i+1:]))}
		var pr partRecord
		var aux storedAux
		if err := json.Unmarshal(it.Value(), &pr); err != nil {
			sp.Err = err
		} else {
			_ = json.Unmarshal(it.Value(), &aux)
			sp.Size, sp.ETag, sp.Checksum = pr.Size, pr.ETag, pr.Checksum
			sp.Blob = StoredBlob{ID: pr.Blob, Size: pr.Size, FileSize: pr.Size}
			if aux.CSize > 0 {
				sp.Blob.FileSize = aux.CSize
			}
			sp.Encrypted = len(aux.Enc) > 0 || aux.CSize > 0 || len(aux.IV) > 0
		}
		if err := w.Part(sp); err != nil {
			return err
		}
	}
	return it.Err()
}

// storedAux reads the fields of encrypted records (SSE), which this
// file's decoding does not depend on: the encryption record of a version
// ("x"), the file size of an encrypted blob or part ("cs") and a part's
// nonce ("iv").
type storedAux struct {
	Enc   json.RawMessage `json:"x"`
	CSize int64           `json:"cs"`
	IV    []byte          `json:"iv"` // an encrypted part's nonce base
	Blobs []struct {
		CSize int64 `json:"cs"`
	} `json:"b"`
}

// recordSchemaSealed is the schema byte of an encrypted version record
// (schema 2 with the encryption record in its JSON).
const recordSchemaSealed = 3

func storedVersion(b []byte) StoredVersion {
	var sv StoredVersion
	v, err := decodeVersion(b, true)
	if err != nil {
		sv.Err = err
		return sv
	}
	var aux storedAux
	if js := recordJSON(b); js != nil {
		_ = json.Unmarshal(js, &aux)
	}
	sv.VersionID, sv.DeleteMarker = v.versionID(), v.isDM()
	sv.Size, sv.ETag, sv.Checksum, sv.Parts = v.Size, v.ETag, v.Checksum, v.Parts
	sv.Encrypted = b[0] == recordSchemaSealed || len(aux.Enc) > 0
	if v.inline != nil {
		sv.Inline = v.inline
	}
	for i, r := range v.Blobs {
		sb := StoredBlob{ID: r.ID, Size: r.Size, FileSize: r.Size}
		if i < len(aux.Blobs) && aux.Blobs[i].CSize > 0 {
			sb.FileSize = aux.Blobs[i].CSize
		}
		sv.Blobs = append(sv.Blobs, sb)
	}
	return sv
}

// recordJSON returns the JSON part of an encoded version record, or nil.
func recordJSON(b []byte) []byte {
	if len(b) < 3 {
		return nil
	}
	rest := b[2:]
	if b[0] >= 2 {
		var err error
		if rest, err = skipListingHeader(rest); err != nil {
			return nil
		}
	}
	n, w := binary.Uvarint(rest)
	if w <= 0 || uint64(len(rest)-w) < n {
		return nil
	}
	return rest[w : w+int(n)]
}
