package sigv4

import (
	"strings"

	"coffer/internal/errs"
)

// authFields is what both signature forms carry: who signed, for which
// scope, over which headers, and the signature itself.
type authFields struct {
	cred          credential
	signedHeaders []string
	signature     string
}

// credential is "AK/yyyymmdd/region/service/aws4_request" taken apart.
type credential struct {
	accessKey, date, region, service string
}

// Messages mirror AWS's wording so clients and operators recognise them.
const (
	msgUnsupportedAuth = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgMalformedCred   = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
)

// malformedAuth reports an Authorization header AWS would answer with
// AuthorizationHeaderMalformed (400); InvalidArgument is our nearest kind.
func malformedAuth(detail string) *errs.Error {
	return errs.Field(errs.InvalidArgument, "Authorization",
		"The authorization header is malformed; %s", detail)
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
//
// Clients differ in the separators (", " or ","), so whitespace around the
// components is ignored; their order is free but each must appear once.
func parseAuthorization(v string) (authFields, error) {
	var f authFields
	v = strings.TrimSpace(v)
	alg, rest, _ := strings.Cut(v, " ")
	switch alg {
	case algorithm:
	case "AWS", "AWS4-ECDSA-P256-SHA256":
		// SigV2 and SigV4a: real protocols we deliberately do not speak.
		return f, errs.Field(errs.InvalidRequest, "Authorization", msgUnsupportedAuth)
	default:
		return f, errs.Field(errs.InvalidArgument, "Authorization", "Unsupported Authorization Type")
	}
	var haveCred, haveSH, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return f, malformedAuth("incorrect component: " + quoteShort(part))
		}
		var dup bool
		switch name {
		case "Credential":
			dup, haveCred = haveCred, true
			c, err := parseCredential(val)
			if err != nil {
				return f, malformedAuth(msgMalformedCred)
			}
			f.cred = c
		case "SignedHeaders":
			dup, haveSH = haveSH, true
			sh, err := parseSignedHeaders(val)
			if err != nil {
				return f, malformedAuth("SignedHeaders is mal-formed.")
			}
			f.signedHeaders = sh
		case "Signature":
			dup, haveSig = haveSig, true
			f.signature = val
		default:
			return f, malformedAuth("incorrect component: " + quoteShort(name))
		}
		if dup {
			return f, malformedAuth("duplicate component " + name + ".")
		}
	}
	if !haveCred || !haveSH || !haveSig {
		return f, malformedAuth("missing Credential, SignedHeaders or Signature.")
	}
	return f, nil
}

// parseCredential splits from the right: the last four fields are fixed,
// so whatever precedes them is the access key.
func parseCredential(s string) (credential, error) {
	var parts [4]string // date, region, service, terminator
	rest := s
	for i := len(parts) - 1; i >= 0; i-- {
		j := strings.LastIndexByte(rest, '/')
		if j < 0 {
			return credential{}, errs.New(errs.InvalidArgument, "bad credential")
		}
		rest, parts[i] = rest[:j], rest[j+1:]
	}
	if parts[3] != scopeTerminal {
		return credential{}, errs.New(errs.InvalidArgument, "bad credential")
	}
	c := credential{accessKey: rest, date: parts[0], region: parts[1], service: parts[2]}
	if c.accessKey == "" || !isDate8(c.date) || c.region == "" || c.service == "" {
		return credential{}, errs.New(errs.InvalidArgument, "bad credential")
	}
	return c, nil
}

// isDate8 accepts yyyymmdd digits; the calendar is checked later against the
// request time, which must fall on that day.
func isDate8(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSignedHeaders splits "host;range;x-amz-date". The list is kept as
// sent: it is itself a line of the canonical request, so reordering or
// re-casing it would change what is verified.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, errs.New(errs.InvalidArgument, "empty SignedHeaders")
	}
	names := strings.Split(s, ";")
	for _, n := range names {
		if n == "" || !isToken(n) {
			return nil, errs.New(errs.InvalidArgument, "bad SignedHeaders")
		}
	}
	return names, nil
}

// isToken reports an RFC 7230 header-name token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			continue
		}
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '^', '`', '|':
			continue
		}
		return false
	}
	return true
}

// hasName reports whether names contains n (signed-header lists are short).
func hasName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// quoteShort quotes client input for an error message, capped so a hostile
// header cannot inflate logs and responses.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
