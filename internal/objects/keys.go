package objects

import (
	"bytes"
	"encoding/binary"
)

// Metadata key layout. Every key starts with a one-byte namespace. Buckets are
// addressed by (tenant, name); everything inside a bucket by its numeric id,
// so a deleted and re-created bucket never sees its predecessor's records.
//
//	'B' tenant 0x00 name                  bucket record
//	'C' bid(8) ekey                       the current (latest) version of a key, delete markers included
//	'V' bid(8) ekey ^seq(8)               a noncurrent version, newest first within a key
//	'U' bid(8) ekey uploadID              a pending multipart upload
//	'P' bid(8) uploadID 0x00 part(4)      a part of a pending upload
//	'D' bid(8) seq(8) rand(4)             a usage delta (bytes, objects), folded into 'Q'
//	'Q' bid(8)                            the folded usage of a bucket
//	'R' blobID                            a blob is referenced (orphan sweep looks here)
//	'G' blobID                            a blob is garbage: delete the file, then this key
//	'M' name                              small global counters (next bucket id)
//
// ekey is the object key with every 0x00 escaped as 0x00 0xff and a 0x00 0x01
// terminator: byte order of ekeys equals byte order of keys, and no ekey is a
// prefix of another, so a key's versions never interleave with another key's.
const (
	nsBucket  = 'B'
	nsCurrent = 'C'
	nsVersion = 'V'
	nsUpload  = 'U'
	nsPart    = 'P'
	nsDelta   = 'D'
	nsUsage   = 'Q'
	nsRef     = 'R'
	nsGarbage = 'G'
	nsMeta    = 'M'
)

// ChurnPrefixes are the key prefixes of records the object layer writes
// and deletes all the time, a few at a time (the usage deltas, folded as
// PUTs come in): a store should not take their deletes for a bulk delete
// worth compacting (kv/pebble DeleteCompactionOptions.Skip).
func ChurnPrefixes() [][]byte { return [][]byte{{nsDelta}} }

// escapeKey appends the escaped key without its terminator: for a prefix
// p of key k, escapeKey(p) is a byte prefix of encKey(k).
func escapeKey(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			dst = append(dst, 0, 0xff)
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// encKey appends the escaped, terminated key.
func encKey(dst []byte, key string) []byte {
	return append(escapeKey(dst, key), 0, 1)
}

// decKey decodes an ekey at the start of b and returns the key and the rest.
func decKey(b []byte) (key string, rest []byte, ok bool) {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			continue
		}
		if i+1 >= len(b) {
			return "", nil, false
		}
		switch b[i+1] {
		case 1:
			if out == nil {
				return string(b[:i]), b[i+2:], true
			}
			out = append(out, b[:i]...)
			return string(out), b[i+2:], true
		case 0xff:
			out = append(out, b[:i]...)
			out = append(out, 0)
			b = b[i+2:]
			i = -1
		default:
			return "", nil, false
		}
	}
	return "", nil, false
}

func bucketKey(tenant, name string) []byte {
	k := make([]byte, 0, 2+len(tenant)+len(name))
	k = append(k, nsBucket)
	k = append(k, tenant...)
	k = append(k, 0)
	return append(k, name...)
}

func bucketPrefix(tenant string) []byte {
	k := append([]byte{nsBucket}, tenant...)
	return append(k, 0)
}

func bidPrefix(ns byte, bid uint64) []byte {
	k := make([]byte, 9, 64)
	k[0] = ns
	binary.BigEndian.PutUint64(k[1:], bid)
	return k
}

func currentKey(bid uint64, key string) []byte {
	return encKey(bidPrefix(nsCurrent, bid), key)
}

// versionKeyPrefix is the prefix of every noncurrent version of key.
func versionKeyPrefix(bid uint64, key string) []byte {
	return encKey(bidPrefix(nsVersion, bid), key)
}

func versionKey(bid uint64, key string, seq uint64) []byte {
	k := versionKeyPrefix(bid, key)
	return binary.BigEndian.AppendUint64(k, ^seq)
}

func uploadKey(bid uint64, key, uploadID string) []byte {
	k := encKey(bidPrefix(nsUpload, bid), key)
	return append(k, uploadID...)
}

func partPrefix(bid uint64, uploadID string) []byte {
	k := append(bidPrefix(nsPart, bid), uploadID...)
	return append(k, 0)
}

func partKey(bid uint64, uploadID string, n int) []byte {
	return binary.BigEndian.AppendUint32(partPrefix(bid, uploadID), uint32(n))
}

func refKey(id string) []byte     { return append([]byte{nsRef}, id...) }
func garbageKey(id string) []byte { return append([]byte{nsGarbage}, id...) }

// splitVersionKey returns the key and seq of a 'V' record key.
func splitVersionKey(k []byte) (string, uint64, bool) {
	if len(k) < 9+2+8 {
		return "", 0, false
	}
	key, rest, ok := decKey(k[9:])
	if !ok || len(rest) != 8 {
		return "", 0, false
	}
	return key, ^binary.BigEndian.Uint64(rest), true
}

// splitCurrentKey returns the key of a 'C' record key.
func splitCurrentKey(k []byte) (string, bool) {
	if len(k) < 11 {
		return "", false
	}
	key, rest, ok := decKey(k[9:])
	return key, ok && len(rest) == 0
}

// splitUploadKey returns the key and upload id of a 'U' record key.
func splitUploadKey(k []byte) (string, string, bool) {
	if len(k) < 11 {
		return "", "", false
	}
	key, rest, ok := decKey(k[9:])
	return key, string(rest), ok
}

// hasKeyPrefix reports whether an encoded record key (after the 9-byte
// namespace+bid header) belongs to an object key starting with prefix.
func hasKeyPrefix(k []byte, escPrefix []byte) bool {
	return len(k) >= 9 && bytes.HasPrefix(k[9:], escPrefix)
}
