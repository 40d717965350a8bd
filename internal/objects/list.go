package objects

import (
	"bytes"
	"context"
	"strings"

	"coffer/internal/kv"
)

// ListObjects lists current objects in key order. With a delimiter, keys
// sharing a prefix up to the delimiter are rolled up into one common prefix
// and the scan seeks past them rather than reading every key underneath.
func (s *Service) ListObjects(ctx context.Context, in ListInput) (ListOutput, error) {
	var out ListOutput
	err := s.view(ctx, "ListObjects", func(tx kv.Reader) error {
		out = ListOutput{}
		b, err := s.readBucket(tx, in.Tenant, in.Bucket)
		if err != nil {
			return err
		}
		if in.MaxKeys <= 0 {
			return nil
		}
		base := bidPrefix(nsCurrent, b.ID)
		lower := escapeKey(append([]byte(nil), base...), in.Prefix)
		it := tx.NewIterator(lower, kv.PrefixEnd(lower))
		defer it.Close()
		var ok bool
		if in.After != "" && in.After >= in.Prefix {
			ok = it.SeekGE(append(encKey(append([]byte(nil), base...), in.After), 0))
		} else {
			ok = it.First()
		}
		var dec listingDecoder
		count := 0
		for ok {
			key, valid := splitCurrentKey(it.Key())
			if !valid {
				ok = it.Next()
				continue
			}
			isDM := recordFlags(it.Value())&flagDeleteMarker != 0
			if in.Delimiter != "" {
				if i := strings.Index(key[len(in.Prefix):], in.Delimiter); i >= 0 {
					if isDM {
						ok = it.Next()
						continue
					}
					cp := key[:len(in.Prefix)+i+len(in.Delimiter)]
					if cp != in.After {
						if count == in.MaxKeys {
							out.IsTruncated = true
							break
						}
						out.CommonPrefixes = append(out.CommonPrefixes, cp)
						out.NextAfter = cp
						count++
					}
					ok = it.SeekGE(kv.PrefixEnd(escapeKey(append([]byte(nil), base...), cp)))
					continue
				}
			}
			if isDM {
				ok = it.Next()
				continue
			}
			if count == in.MaxKeys {
				out.IsTruncated = true
				break
			}
			v, err := dec.decode(it.Value())
			if err != nil {
				return err
			}
			info := v.info(in.Bucket, key, true)
			info.Versioned = b.Versioning != VersioningUnset
			if out.Objects == nil {
				out.Objects = make([]ObjectInfo, 0, min(in.MaxKeys, maxListPrealloc))
			}
			out.Objects = append(out.Objects, info)
			out.NextAfter = key
			count++
			ok = it.Next()
		}
		return it.Err()
	})
	return out, err
}

// maxListPrealloc caps the entries a listing allocates room for up front
// (S3's pages hold at most 1,000; internal callers may ask for more).
const maxListPrealloc = 1000

// listingDecoder decodes the records of one scan for a listing. The record
// it returns is valid until the next decode: its strings are reused from
// the previous record's when equal (readListingHeader), and the record
// itself is not allocated per key.
type listingDecoder struct{ prev versionRecord }

func (d *listingDecoder) decode(b []byte) (*versionRecord, error) {
	if len(b) < 3 || b[0] != recordSchema && b[0] != recordSchemaEncrypted {
		return decodeVersion(b, false)
	}
	v := versionRecord{flags: b[1]}
	if _, err := readListingHeader(b[2:], &v, &d.prev); err != nil {
		return nil, err
	}
	d.prev = v
	return &d.prev, nil
}

// versionCursor walks a bucket's versions in S3's order: keys ascending and,
// within a key, the current version first, then noncurrent ones newest
// first. It merges the 'C' and 'V' keyspaces.
type versionCursor struct {
	c, v       kv.Iterator
	cOK, vOK   bool
	cBase      []byte
	vBase      []byte
	fromC      bool
	key        string
	ekeyC, ekV []byte
}

func (vc *versionCursor) ekeyOfV() []byte {
	k := vc.v.Key()
	return k[9 : len(k)-8]
}

// pick chooses the next entry; false at the end.
func (vc *versionCursor) pick() bool {
	switch {
	case !vc.cOK && !vc.vOK:
		return false
	case vc.cOK && !vc.vOK:
		vc.fromC = true
	case !vc.cOK && vc.vOK:
		vc.fromC = false
	default:
		vc.fromC = bytes.Compare(vc.c.Key()[9:], vc.ekeyOfV()) <= 0
	}
	return true
}

func (vc *versionCursor) advance() bool {
	if vc.fromC {
		vc.cOK = vc.c.Next()
	} else {
		vc.vOK = vc.v.Next()
	}
	return vc.pick()
}

func (vc *versionCursor) seek(escKeyPrefixEnd []byte) bool {
	vc.cOK = vc.c.SeekGE(append(append([]byte(nil), vc.cBase...), escKeyPrefixEnd...))
	vc.vOK = vc.v.SeekGE(append(append([]byte(nil), vc.vBase...), escKeyPrefixEnd...))
	return vc.pick()
}

func (vc *versionCursor) entry() (key string, raw []byte, current bool) {
	if vc.fromC {
		k, _ := splitCurrentKey(vc.c.Key())
		return k, vc.c.Value(), true
	}
	k, _, _ := splitVersionKey(vc.v.Key())
	return k, vc.v.Value(), false
}

// ListObjectVersions lists every version and delete marker.
func (s *Service) ListObjectVersions(ctx context.Context, in ListVersionsInput) (ListVersionsOutput, error) {
	var out ListVersionsOutput
	err := s.view(ctx, "ListObjectVersions", func(tx kv.Reader) error {
		out = ListVersionsOutput{}
		b, err := s.readBucket(tx, in.Tenant, in.Bucket)
		if err != nil {
			return err
		}
		if in.MaxKeys <= 0 {
			return nil
		}
		esc := escapeKey(nil, in.Prefix)
		vc := &versionCursor{cBase: bidPrefix(nsCurrent, b.ID), vBase: bidPrefix(nsVersion, b.ID)}
		cl := append(append([]byte(nil), vc.cBase...), esc...)
		vl := append(append([]byte(nil), vc.vBase...), esc...)
		vc.c = tx.NewIterator(cl, kv.PrefixEnd(cl))
		defer vc.c.Close()
		vc.v = tx.NewIterator(vl, kv.PrefixEnd(vl))
		defer vc.v.Close()

		var ok bool
		skipUntil := "" // version id marker to pass within KeyMarker
		switch {
		case in.KeyMarker != "" && in.KeyMarker >= in.Prefix && in.VersionIDMarker == "":
			ok = vc.seek(kv.PrefixEnd(encKey(nil, in.KeyMarker)))
		case in.KeyMarker != "" && in.KeyMarker >= in.Prefix:
			ok = vc.seek(encKey(nil, in.KeyMarker))
			skipUntil = in.VersionIDMarker
		default:
			vc.cOK, vc.vOK = vc.c.First(), vc.v.First()
			ok = vc.pick()
		}
		dec := listingDecoder{}
		count := 0
		for ok {
			key, raw, current := vc.entry()
			if skipUntil != "" {
				if key != in.KeyMarker {
					skipUntil = ""
				} else {
					v, err := dec.decode(raw)
					if err != nil {
						return err
					}
					if v.versionID() == skipUntil {
						skipUntil = ""
					}
					ok = vc.advance()
					continue
				}
			}
			if in.Delimiter != "" {
				if i := strings.Index(key[len(in.Prefix):], in.Delimiter); i >= 0 {
					cp := key[:len(in.Prefix)+i+len(in.Delimiter)]
					if cp != in.KeyMarker {
						if count == in.MaxKeys {
							out.IsTruncated = true
							break
						}
						out.CommonPrefixes = append(out.CommonPrefixes, cp)
						out.NextKeyMarker, out.NextVersionIDMarker = cp, ""
						count++
					}
					ok = vc.seek(kv.PrefixEnd(escapeKey(nil, cp)))
					continue
				}
			}
			if count == in.MaxKeys {
				out.IsTruncated = true
				break
			}
			decode := dec.decode
			if in.WithTags {
				decode = func(b []byte) (*versionRecord, error) { return decodeVersion(b, false) }
			}
			v, err := decode(raw)
			if err != nil {
				return err
			}
			info := v.info(in.Bucket, key, current)
			info.Versioned = b.Versioning != VersioningUnset
			if out.Versions == nil {
				out.Versions = make([]ObjectInfo, 0, min(in.MaxKeys, maxListPrealloc))
			}
			out.Versions = append(out.Versions, info)
			out.NextKeyMarker, out.NextVersionIDMarker = key, info.VersionID
			count++
			ok = vc.advance()
		}
		if err := vc.c.Err(); err != nil {
			return err
		}
		return vc.v.Err()
	})
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = "", ""
	}
	return out, err
}
