package cors

import (
	"bytes"
	"testing"

	"coffer/internal/errs"
)

// FuzzParse feeds arbitrary documents to the CORS parser: it must never
// panic, refuse only with S3 error kinds, and whatever it accepts must
// render (Marshal) to a document it accepts again, unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(s3testsRules))
	f.Add([]byte(`<CORSConfiguration><CORSRule><ID>x</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>10</MaxAgeSeconds></CORSRule></CORSConfiguration>`))
	f.Add([]byte(`<CORSConfiguration><CORSRule><AllowedOrigin>a*b*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`))
	f.Add([]byte(`<CORSConfiguration/>`))
	f.Add([]byte(`<?xml version="1.0"?><CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedOrigin>&amp;</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule></CORSConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			switch errs.KindOf(err) {
			case errs.MalformedXML, errs.InvalidRequest, errs.InvalidArgument:
			default:
				t.Fatalf("refused with kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
			t.Fatalf("accepted %d rules", len(c.Rules))
		}
		out := c.Marshal()
		again, err := Parse(out)
		if err != nil {
			// Marshal may lose characters XML cannot carry (invalid UTF-8
			// becomes U+FFFD); anything else must come back.
			if bytes.ContainsRune(out, 0xFFFD) {
				return
			}
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !bytes.Equal(again.Marshal(), out) {
			t.Fatalf("round trip changed:\n%s\n%s", out, again.Marshal())
		}
		for _, r := range c.Rules {
			for _, o := range r.AllowedOrigins {
				c.MatchPreflight(o, r.AllowedMethods[0], SplitHeaders(o))
				c.MatchActual(o, r.AllowedMethods[0])
			}
		}
	})
}
