package objects

import (
	"encoding/base64"
	"unicode/utf8"

	"coffer/internal/checksum"
)

// A version record's JSON (record.go) is decoded on every GET and HEAD.
// encoding/json's reflection costs more there than the rest of the object
// layer, so decodeVersionJSON reads the shape json.Marshal gives the
// fields of an ordinary object (sequence, version id, size, ETag,
// metadata, checksum, blobs, owner, ACL) directly. It knows exactly what
// json.Marshal writes and nothing more: anything else (a string with an
// escape, a number that is not plain digits, an unknown, repeated or
// rarely set field such as the lock, tags, parts or encryption, white
// space) makes it give up, and the caller decodes with encoding/json, so
// the result is always encoding/json's (FuzzDecodeVersionJSON compares
// the two on arbitrary input). The stored format does not change.

// jsonScan walks a JSON text; every method returns false where the fast
// path gives up.
type jsonScan struct {
	b []byte
	i int
	// s is b as a string, made at the first string field that is not
	// in common: the record's strings are then substrings of one
	// allocation instead of one allocation each.
	s string
}

func (s *jsonScan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// raw returns the bytes of a string without escapes, in valid UTF-8 (which
// encoding/json would otherwise repair), without its quotes.
func (s *jsonScan) raw() ([]byte, bool) {
	lo, hi, ok := s.span()
	return s.b[lo:hi], ok
}

// span is raw as offsets into b.
func (s *jsonScan) span() (lo, hi int, ok bool) {
	if !s.eat('"') {
		return 0, 0, false
	}
	start := s.i
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		switch {
		case c == '"':
			lo, hi := start, s.i
			s.i++
			return lo, hi, ascii || utf8.Valid(s.b[lo:hi])
		case c == '\\' || c < 0x20:
			return 0, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, 0, false
}

func (s *jsonScan) str() (string, bool) {
	lo, hi, ok := s.span()
	if !ok || lo == hi {
		return "", ok
	}
	if s.s == "" {
		s.s = string(s.b)
	}
	return s.s[lo:hi], true
}

// common are values many records share, returned without an allocation.
var common = [...]string{
	string(checksum.CRC32), string(checksum.CRC32C), string(checksum.CRC64NVME), string(checksum.SHA1),
	string(checksum.SHA256), string(checksum.TypeFullObject), string(checksum.TypeComposite),
	"binary/octet-stream", "application/octet-stream", "STANDARD",
}

// commonStr is str for a field whose values are mostly in common.
func (s *jsonScan) commonStr() (string, bool) {
	start := s.i
	r, ok := s.raw()
	for _, c := range common {
		if string(r) == c {
			return c, ok
		}
	}
	s.i = start
	return s.str()
}

// uint reads a non-negative integer as json.Marshal writes one: no sign,
// no leading zero, no fraction or exponent, within 63 bits (sizes and
// sequences both fit).
func (s *jsonScan) uint() (uint64, bool) {
	start := s.i
	var n uint64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if n > (1<<63-1)/10 {
			return 0, false
		}
		n = n*10 + uint64(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 1 && s.b[start] == '0' || n > 1<<63-1 {
		return 0, false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, false
	}
	return n, true
}

// bytes reads a []byte field: base64 in a string, decoded as encoding/json
// does.
func (s *jsonScan) bytes() ([]byte, bool) {
	r, ok := s.raw()
	if !ok {
		return nil, false
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(r)))
	n, err := base64.StdEncoding.Decode(out, r)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// object reads {"k":value,...}, calling field for each key with the
// scanner at its value; field returns false to give up. Keys must be
// distinct (seen is a bit per known key, which field sets).
func (s *jsonScan) object(field func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		k, ok := s.raw()
		if !ok || !s.eat(':') || !field(k) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// once records key bit in seen and reports whether it was new.
func once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// decodeVersionJSON fills v (whose JSON fields are zero) from js, or
// returns false, leaving v partly filled, where encoding/json must decode
// instead.
func decodeVersionJSON(js []byte, v *versionRecord) bool {
	s := &jsonScan{b: js}
	var seen uint32
	ok := s.object(func(k []byte) bool {
		var ok bool
		switch string(k) {
		case "q":
			if !once(&seen, 1<<0) {
				return false
			}
			v.Seq, ok = s.uint()
		case "v":
			if !once(&seen, 1<<1) {
				return false
			}
			v.VID, ok = s.str()
		case "s":
			if !once(&seen, 1<<2) {
				return false
			}
			var n uint64
			n, ok = s.uint()
			v.Size = int64(n)
		case "e":
			if !once(&seen, 1<<3) {
				return false
			}
			v.ETag, ok = s.str()
		case "m":
			ok = once(&seen, 1<<4) && s.metadata(&v.Meta)
		case "c":
			ok = once(&seen, 1<<5) && s.checksum(&v.Checksum)
		case "b":
			ok = once(&seen, 1<<6) && s.blobs(&v.Blobs)
		case "o":
			if !once(&seen, 1<<7) {
				return false
			}
			v.Owner, ok = s.str()
		case "acl":
			if !once(&seen, 1<<8) {
				return false
			}
			v.ACL, ok = s.bytes()
		}
		return ok // unknown and rare keys (lk, t, p, x) included: false
	})
	return ok && s.i == len(s.b)
}

func (s *jsonScan) metadata(m *Metadata) bool {
	var seen uint32
	return s.object(func(k []byte) bool {
		var dst *string
		var bit uint32
		switch string(k) {
		case "ct":
			dst, bit = &m.ContentType, 1<<0
		case "ce":
			dst, bit = &m.ContentEncoding, 1<<1
		case "cd":
			dst, bit = &m.ContentDisposition, 1<<2
		case "cl":
			dst, bit = &m.ContentLanguage, 1<<3
		case "cc":
			dst, bit = &m.CacheControl, 1<<4
		case "ex":
			dst, bit = &m.Expires, 1<<5
		case "sc":
			dst, bit = &m.StorageClass, 1<<6
		case "um":
			if !once(&seen, 1<<7) {
				return false
			}
			m.User = map[string]string{} // encoding/json's for {} too
			return s.object(func(k []byte) bool {
				v, ok := s.str()
				m.User[string(k)] = v // a repeated name: the last wins, as in encoding/json
				return ok
			})
		default:
			return false
		}
		if !once(&seen, bit) {
			return false
		}
		var ok bool
		*dst, ok = s.commonStr()
		return ok
	})
}

func (s *jsonScan) checksum(c *checksum.Value) bool {
	var seen uint32
	return s.object(func(k []byte) bool {
		var ok bool
		var v string
		switch string(k) {
		case "a":
			if ok = once(&seen, 1<<0); ok {
				v, ok = s.commonStr()
				c.Algorithm = checksum.Algorithm(v)
			}
		case "t":
			if ok = once(&seen, 1<<1); ok {
				v, ok = s.commonStr()
				c.Type = checksum.Type(v)
			}
		case "v":
			if ok = once(&seen, 1<<2); ok {
				c.Base64, ok = s.str()
			}
		}
		return ok
	})
}

func (s *jsonScan) blobs(out *[]blobRef) bool {
	if !s.eat('[') {
		return false
	}
	refs := make([]blobRef, 0, 1) // encoding/json's empty slice for [] too
	if !s.eat(']') {
		for {
			var r blobRef
			var seen uint32
			ok := s.object(func(k []byte) bool {
				var ok bool
				var n uint64
				switch string(k) {
				case "i":
					if ok = once(&seen, 1<<0); ok {
						r.ID, ok = s.str()
					}
				case "s":
					if ok = once(&seen, 1<<1); ok {
						n, ok = s.uint()
						r.Size = int64(n)
					}
				case "n":
					if ok = once(&seen, 1<<2); ok {
						r.IV, ok = s.bytes()
					}
				case "cs":
					if ok = once(&seen, 1<<3); ok {
						n, ok = s.uint()
						r.CSize = int64(n)
					}
				}
				return ok
			})
			if !ok {
				return false
			}
			refs = append(refs, r)
			if s.eat(']') {
				break
			}
			if !s.eat(',') {
				return false
			}
		}
	}
	*out = refs
	return true
}
