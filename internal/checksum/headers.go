package checksum

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"

	"coffer/internal/errs"
)

const (
	headerPrefix    = "x-amz-checksum-"
	headerSDKAlg    = "x-amz-sdk-checksum-algorithm"
	headerTrailer   = "x-amz-trailer"
	headerMD5       = "Content-MD5"
	msgMultiple     = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
	msgHeaderAndTrl = "Expecting a single x-amz-checksum- header" // AWS's wording when one is a trailer
)

// FromHeaders parses what a request claims about its body: Content-MD5,
// one x-amz-checksum-<alg> header or an x-amz-trailer announcing one, and
// x-amz-sdk-checksum-algorithm, which must agree with them. Errors follow
// S3: InvalidDigest for a malformed Content-MD5, InvalidRequest for the
// rest. For a trailer, Value is "" and the caller sets Expect.Trailer.
// Header names match case-insensitively, whether or not h is canonical.
func FromHeaders(h http.Header) (Expect, error) {
	var (
		e              Expect
		md5s, sdk, trl []string
		sums           []Algorithm // one entry per x-amz-checksum-<alg> value
		sumVal         string
		unknownSum     bool
	)
	for k, vs := range h {
		switch {
		case strings.EqualFold(k, headerMD5):
			md5s = append(md5s, vs...)
		case strings.EqualFold(k, headerSDKAlg):
			sdk = append(sdk, vs...)
		case strings.EqualFold(k, headerTrailer):
			trl = append(trl, vs...)
		case len(k) > len(headerPrefix) && strings.EqualFold(k[:len(headerPrefix)], headerPrefix):
			switch strings.ToLower(k[len(headerPrefix):]) {
			case "algorithm", "type", "mode": // not values: CreateMultipartUpload, GetObject
				continue
			}
			a, ok := algorithmFromHeader(k)
			if !ok {
				unknownSum = true
				continue
			}
			for _, v := range vs {
				sums = append(sums, a)
				sumVal = v
			}
		}
	}

	// Content-MD5. S3 strips control characters and blanks around the
	// value; present but empty is as invalid as malformed (InvalidDigest),
	// not absent.
	if len(md5s) > 1 {
		return Expect{}, errInvalidContentMD5()
	}
	if len(md5s) == 1 {
		v := strings.TrimFunc(md5s[0], func(r rune) bool { return r <= ' ' })
		if _, ok := decodeContentMD5(v); !ok {
			return Expect{}, errInvalidContentMD5()
		}
		e.ContentMD5 = v
	}

	// x-amz-checksum-<alg> headers.
	if unknownSum {
		return Expect{}, errs.New(errs.InvalidRequest,
			"The algorithm type you specified in x-amz-checksum- header is invalid.")
	}
	if len(sums) > 1 {
		return Expect{}, errs.New(errs.InvalidRequest, msgMultiple)
	}

	// x-amz-trailer: a comma-separated list of checksum header names.
	var trailers []Algorithm
	for _, v := range trl {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			a, ok := algorithmFromHeader(name)
			if !ok {
				return Expect{}, errs.Field(errs.InvalidRequest, headerTrailer,
					"The value specified in the x-amz-trailer header is not supported")
			}
			trailers = append(trailers, a)
		}
	}
	if len(trailers) > 1 {
		return Expect{}, errs.New(errs.InvalidRequest, msgMultiple)
	}
	if len(trailers)+len(sums) > 1 {
		return Expect{}, errs.New(errs.InvalidRequest, msgHeaderAndTrl)
	}

	switch {
	case len(sums) == 1:
		e.Algorithm = sums[0]
		e.Value = strings.TrimSpace(sumVal)
		if !ValidValue(e.Algorithm, e.Value) {
			return Expect{}, errInvalidValue(e.Algorithm, false)
		}
	case len(trailers) == 1:
		e.Algorithm = trailers[0]
	}

	// x-amz-sdk-checksum-algorithm only names what the SDK sent: S3 rejects
	// it alone, and when it disagrees with the header or trailer.
	if len(sdk) > 0 {
		s := strings.TrimSpace(strings.Join(sdk, ","))
		a, err := ParseAlgorithm(s)
		if err != nil {
			return Expect{}, withField(err, headerSDKAlg)
		}
		switch {
		case a == None:
		case e.Algorithm == None:
			return Expect{}, errs.Field(errs.InvalidRequest, headerSDKAlg,
				"x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		case a != e.Algorithm:
			return Expect{}, errs.Field(errs.InvalidRequest, headerSDKAlg,
				"Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return e, nil
}

// decodeContentMD5 decodes a base64 MD5. Like S3 it tolerates non-zero
// padding bits, but not a wrong length or alphabet.
func decodeContentMD5(s string) ([md5.Size]byte, bool) {
	var raw [md5.Size]byte
	if len(s) != base64.StdEncoding.EncodedLen(md5.Size) {
		return raw, false
	}
	var dst [md5.Size + 2]byte
	n, err := base64.StdEncoding.Decode(dst[:], []byte(s))
	if err != nil || n != md5.Size {
		return raw, false
	}
	copy(raw[:], dst[:n])
	return raw, true
}

func errInvalidContentMD5() error {
	return errs.Field(errs.InvalidDigest, headerMD5, "The Content-MD5 you specified was invalid.")
}

// errInvalidValue is S3's answer to a malformed x-amz-checksum-<alg> value.
func errInvalidValue(a Algorithm, trailer bool) error {
	kind := "header"
	if trailer {
		kind = "trailing header"
	}
	return errs.Field(errs.InvalidRequest, a.HeaderName(), "Value for %s %s is invalid.", a.HeaderName(), kind)
}

func withField(err error, field string) error {
	if e, ok := err.(*errs.Error); ok && e.Field == "" {
		c := *e
		c.Field = field
		return &c
	}
	return err
}
