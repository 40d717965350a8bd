package checksum

import (
	"strconv"
	"strings"

	"coffer/internal/errs"
)

// ParseType parses an x-amz-checksum-type value, case-insensitively; ""
// is TypeNone.
func ParseType(s string) (Type, error) {
	switch s = strings.TrimSpace(s); {
	case s == "":
		return TypeNone, nil
	case strings.EqualFold(s, string(TypeComposite)):
		return TypeComposite, nil
	case strings.EqualFold(s, string(TypeFullObject)):
		return TypeFullObject, nil
	}
	return TypeNone, errs.Field(errs.InvalidRequest, "x-amz-checksum-type",
		"Value for x-amz-checksum-type header is invalid.")
}

// DefaultType is the multipart checksum type S3 uses for a when the client
// names none: FULL_OBJECT for CRC64NVME, COMPOSITE for the others.
func DefaultType(a Algorithm) Type {
	switch {
	case a == CRC64NVME:
		return TypeFullObject
	case a.Valid():
		return TypeComposite
	}
	return TypeNone
}

// ValidType reports (as an InvalidRequest error, in S3's words) whether a
// multipart upload may combine a's part checksums as t: CRC64NVME only as
// FULL_OBJECT, SHA1 and SHA256 only as COMPOSITE, CRC32 and CRC32C either.
// TypeNone (the default) is always valid.
func ValidType(a Algorithm, t Type) error {
	switch t {
	case TypeNone:
		return nil
	case TypeComposite, TypeFullObject:
	default:
		return errs.Field(errs.InvalidRequest, "x-amz-checksum-type",
			"Value for x-amz-checksum-type header is invalid.")
	}
	switch {
	case a == None:
		return errs.Field(errs.InvalidRequest, "x-amz-checksum-type",
			"The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case !a.Valid():
		return errs.New(errs.InvalidRequest, msgUnsupported)
	case a == CRC64NVME && t == TypeComposite, !a.IsCRC() && t == TypeFullObject:
		return errs.Field(errs.InvalidRequest, "x-amz-checksum-type",
			"The %s checksum type cannot be used with the %s checksum algorithm.", t, strings.ToLower(string(a)))
	}
	return nil
}

// PartSum is one part's checksum (base64) and size in bytes.
type PartSum struct {
	Base64 string
	Size   int64
}

// Composite is S3's COMPOSITE multipart checksum: a over the concatenated
// raw checksums of the parts, base64, then "-N" for N parts. It needs at
// least one part, each a well-formed value of a.
func Composite(a Algorithm, parts []string) (Value, error) {
	if err := ValidType(a, TypeComposite); err != nil {
		return Value{}, err
	}
	if len(parts) == 0 {
		return Value{}, errs.New(errs.InvalidRequest, "A COMPOSITE checksum needs at least one part.")
	}
	h, n := New(a), a.Size()
	for _, p := range parts {
		raw, ok := decodeValue(a, p)
		if !ok {
			return Value{}, errInvalidPartSum()
		}
		h.Write(raw[:n])
	}
	var buf rawSum
	v := b64.EncodeToString(h.Sum(buf[:0])) + "-" + strconv.Itoa(len(parts))
	return Value{Algorithm: a, Type: TypeComposite, Base64: v}, nil
}

// FullObject is S3's FULL_OBJECT multipart checksum: the CRC of the whole
// object, combined from the parts' CRCs and sizes without the data (zlib's
// crc32_combine method, for CRC32, CRC32C and CRC64NVME). No parts is the
// CRC of nothing. SHA1 and SHA256 cannot be combined: InvalidRequest.
func FullObject(a Algorithm, parts []PartSum) (Value, error) {
	if err := ValidType(a, TypeFullObject); err != nil {
		return Value{}, err
	}
	c, n := polyOf(a), a.Size()
	var crc uint64
	for _, p := range parts {
		raw, ok := decodeValue(a, p.Base64)
		if !ok {
			return Value{}, errInvalidPartSum()
		}
		if p.Size < 0 {
			return Value{}, errs.New(errs.InvalidArgument, "Part size %d is negative.", p.Size)
		}
		var v uint64
		for _, b := range raw[:n] {
			v = v<<8 | uint64(b)
		}
		crc = c.combine(crc, v, p.Size)
	}
	v := encode64(crc)
	if n == 4 {
		v = encode32(uint32(crc))
	}
	return Value{Algorithm: a, Type: TypeFullObject, Base64: v}, nil
}

// errInvalidPartSum is S3's CompleteMultipartUpload answer to a part
// checksum that is not a well-formed value of the upload's algorithm.
func errInvalidPartSum() error {
	return errs.Field(errs.InvalidArgument, "Checksum",
		"Invalid Base64 or multiple checksums present in request")
}
