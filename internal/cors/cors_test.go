package cors

import (
	"net/http"
	"strings"
	"testing"

	"coffer/internal/errs"
)

func mustParse(t *testing.T, doc string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestParseRefusals(t *testing.T) {
	rule := func(inner string) string {
		return `<CORSConfiguration><CORSRule>` + inner + `</CORSRule></CORSConfiguration>`
	}
	tests := []struct {
		name, doc string
		kind      errs.Kind
		msg       string
	}{
		{"not xml", `<CORSConfiguration>`, errs.MalformedXML, ""},
		{"wrong root", `<Foo><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></Foo>`, errs.MalformedXML, ""},
		{"no rules", `<CORSConfiguration></CORSConfiguration>`, errs.MalformedXML, ""},
		{"empty rule", rule(``), errs.MalformedXML, ""},
		{"no origin", rule(`<AllowedMethod>GET</AllowedMethod>`), errs.MalformedXML, ""},
		{"no method", rule(`<AllowedOrigin>*</AllowedOrigin>`), errs.MalformedXML, ""},
		{"bad method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>`), errs.InvalidRequest,
			"Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS"},
		{"lowercase method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>`), errs.InvalidRequest,
			"Unsupported method is get"},
		{"empty method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod/>`), errs.InvalidRequest,
			"Unsupported method is "},
		{"two origin wildcards", rule(`<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), errs.InvalidRequest,
			`AllowedOrigin "*example*.com" can not have more than one wildcard.`},
		{"two header wildcards", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>`), errs.InvalidRequest,
			`AllowedHeader "x-*-*" can not have more than one wildcard.`},
		{"expose wildcard", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>x-*</ExposeHeader>`), errs.InvalidRequest,
			"We currently do not support wildcard for ExposeHeader."},
		{"max age not a number", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds>`), errs.MalformedXML, ""},
		{"negative max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>`), errs.MalformedXML, ""},
		{"long id", rule(`<ID>` + strings.Repeat("i", 256) + `</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), errs.InvalidArgument, ""},
		{"101 rules", `<CORSConfiguration>` + strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 101) + `</CORSConfiguration>`,
			errs.InvalidRequest, "should not exceed allowed limit of 100 rules"},
		{"too large", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>` + strings.Repeat(" ", MaxSize) + `</ID>`), errs.MalformedXML, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if k := errs.KindOf(err); k != tc.kind {
				t.Fatalf("kind %v, want %v (%v)", k, tc.kind, err)
			}
			if tc.msg != "" && !strings.Contains(errs.Message(err), tc.msg) {
				t.Fatalf("message %q, want it to contain %q", errs.Message(err), tc.msg)
			}
		})
	}
}

func TestParseAcceptsAndRoundTrips(t *testing.T) {
	doc := `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
	  <CORSRule><ID>web</ID><AllowedOrigin>http://www.example.com</AllowedOrigin><AllowedOrigin>https://*.example.com</AllowedOrigin>
	    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>
	    <AllowedHeader>x-AMZ-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>
	  <CORSRule><AllowedOrigin></AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>
	</CORSConfiguration>`
	c := mustParse(t, doc)
	if len(c.Rules) != 2 {
		t.Fatalf("%d rules", len(c.Rules))
	}
	r := c.Rules[0]
	if r.ID != "web" || r.MaxAgeSeconds != 3000 || len(r.AllowedOrigins) != 2 || r.AllowedHeaders[0] != "x-AMZ-*" {
		t.Fatalf("rule 0: %+v", r)
	}
	if c.Rules[1].MaxAgeSeconds != -1 {
		t.Fatalf("rule 1 max age %d, want unset", c.Rules[1].MaxAgeSeconds)
	}
	again, err := Parse(c.Marshal())
	if err != nil {
		t.Fatalf("re-parse of Marshal: %v\n%s", err, c.Marshal())
	}
	if string(again.Marshal()) != string(c.Marshal()) {
		t.Fatalf("round trip differs:\n%s\n%s", c.Marshal(), again.Marshal())
	}
	out := string(c.Marshal())
	for _, want := range []string{`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
		`<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>`, `<ID>web</ID><MaxAgeSeconds>3000</MaxAgeSeconds>`,
		`<AllowedHeader>x-AMZ-*</AllowedHeader>`} {
		if !strings.Contains(out, want) {
			t.Errorf("Marshal lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<ID></ID>") || strings.Count(out, "<MaxAgeSeconds>") != 1 {
		t.Errorf("unset fields rendered:\n%s", out)
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"*suffix", "foo.suffix", true},
		{"*suffix", "suffix", true},
		{"*suffix", "foo.suffix.get", false},
		{"start*end", "startend", true},
		{"start*end", "start12end", true},
		{"start*end", "0start12end", false},
		{"start*end", "startenx", false},
		{"ab*ba", "aba", false}, // prefix and suffix must not overlap
		{"prefix*", "prefix", true},
		{"prefix*", "bla.prefix", false},
		{"http://*.example.com", "http://www.example.com", true},
		{"http://*.example.com", "https://www.example.com", false},
		{"http://*.example.com", "http://www.example.com/", false},
	}
	for _, tc := range tests {
		if got := Wildcard(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Wildcard(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// The rules of ceph s3-tests' test_cors_origin_response, recorded against S3.
const s3testsRules = `<CORSConfiguration>
 <CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*suffix</AllowedOrigin></CORSRule>
 <CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>start*end</AllowedOrigin></CORSRule>
 <CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>prefix*</AllowedOrigin></CORSRule>
 <CORSRule><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>*.put</AllowedOrigin></CORSRule>
</CORSConfiguration>`

func TestMatchPreflightOrigins(t *testing.T) {
	c := mustParse(t, s3testsRules)
	tests := []struct {
		origin, method string
		ok             bool
	}{
		{"foo.suffix", "GET", true},
		{"foo.bar", "GET", false},
		{"foo.suffix.get", "GET", false},
		{"startend", "GET", true},
		{"start1end", "GET", true},
		{"0start12end", "GET", false},
		{"prefix", "GET", true},
		{"prefix.suffix", "GET", true},
		{"bla.prefix", "GET", false},
		{"foo.put", "GET", false},
		{"foo.put", "PUT", true},
		{"foo.suffix", "PUT", false},
		{"FOO.SUFFIX", "GET", true}, // origins match without regard to case
	}
	for _, tc := range tests {
		m, ok := c.MatchPreflight(tc.origin, tc.method, nil)
		if ok != tc.ok {
			t.Errorf("%s %s: matched %v, want %v", tc.origin, tc.method, ok, tc.ok)
			continue
		}
		if ok && m.Origin != tc.origin {
			t.Errorf("%s: allow origin %q, want the request's", tc.origin, m.Origin)
		}
	}
}

func TestMatchFirstRuleWins(t *testing.T) {
	c := mustParse(t, `<CORSConfiguration>
	 <CORSRule><ID>one</ID><AllowedOrigin>http://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>1</MaxAgeSeconds></CORSRule>
	 <CORSRule><ID>two</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod></CORSRule>
	</CORSConfiguration>`)
	m, ok := c.MatchActual("http://a.example", "GET")
	if !ok || m.Rule.ID != "one" || m.Origin != "http://a.example" {
		t.Fatalf("GET from a: %+v %v", m, ok)
	}
	m, ok = c.MatchActual("http://a.example", "PUT")
	if !ok || m.Rule.ID != "two" || m.Origin != "*" {
		t.Fatalf("PUT from a: %+v %v", m, ok)
	}
	if _, ok := c.MatchActual("http://b.example", "DELETE"); ok {
		t.Fatal("DELETE matched")
	}
}

func TestMatchPreflightHeaders(t *testing.T) {
	c := mustParse(t, `<CORSConfiguration>
	 <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>
	   <AllowedHeader>x-amz-expected-bucket-owner</AllowedHeader><AllowedHeader>x-AMZ-server-SIDE-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader></CORSRule>
	 <CORSRule><AllowedOrigin>http://any.example</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule>
	 <CORSRule><AllowedOrigin>http://none.example</AllowedOrigin><AllowedMethod>POST</AllowedMethod></CORSRule>
	</CORSConfiguration>`)
	tests := []struct {
		name, origin, method, headers string
		ok                            bool
		want                          []string
	}{
		{"none requested", "http://x", "GET", "", true, nil},
		{"exact, case-insensitive", "http://x", "GET", "x-AMZ-expected-BUCKET-owner", true, []string{"x-amz-expected-bucket-owner"}},
		{"pattern", "http://x", "GET", "x-amz-server-side-encryption, content-type", true,
			[]string{"x-amz-server-side-encryption", "content-type"}},
		{"no spaces", "http://x", "GET", "content-type,x-amz-server-side-encryption", true,
			[]string{"content-type", "x-amz-server-side-encryption"}},
		{"one not allowed", "http://x", "GET", "content-type, x-amz-request-payer", false, nil},
		{"star allows all", "http://any.example", "PUT", "Authorization, X-Foo", true, []string{"authorization", "x-foo"}},
		{"no AllowedHeader allows none", "http://none.example", "POST", "x-foo", false, nil},
		{"no AllowedHeader, none requested", "http://none.example", "POST", " ", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := c.MatchPreflight(tc.origin, tc.method, SplitHeaders(tc.headers))
			if ok != tc.ok {
				t.Fatalf("matched %v, want %v", ok, tc.ok)
			}
			if ok && strings.Join(m.Headers, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("headers %q, want %q", m.Headers, tc.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	c := mustParse(t, `<CORSConfiguration>
	 <CORSRule><AllowedOrigin>https://localhost:4200</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>
	   <AllowedHeader>*</AllowedHeader><ExposeHeader>x-amz-request-id</ExposeHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>
	 <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
	</CORSConfiguration>`)
	m, ok := c.MatchPreflight("https://localhost:4200", "PUT", SplitHeaders("x-amz-meta-a"))
	if !ok {
		t.Fatal("no match")
	}
	h := http.Header{}
	m.Apply(h)
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://localhost:4200",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "x-amz-meta-a",
		"Access-Control-Expose-Headers":    "x-amz-request-id, ETag",
		"Access-Control-Max-Age":           "3000",
		"Access-Control-Allow-Credentials": "true",
		"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	m, ok = c.MatchActual("http://random:1234", "GET")
	if !ok {
		t.Fatal("wildcard rule did not match")
	}
	h = http.Header{}
	m.Apply(h)
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Methods") != "GET" || h.Get("Vary") == "" {
		t.Errorf("wildcard answer: %v", h)
	}
	for _, absent := range []string{"Access-Control-Allow-Credentials", "Access-Control-Max-Age", "Access-Control-Expose-Headers", "Access-Control-Allow-Headers"} {
		if v := h.Get(absent); v != "" {
			t.Errorf("%s = %q, want absent", absent, v)
		}
	}
}

func TestSplitHeaders(t *testing.T) {
	got := SplitHeaders(" Content-Type ,, X-Amz-Date,x-amz-meta-a ")
	if strings.Join(got, "|") != "content-type|x-amz-date|x-amz-meta-a" {
		t.Fatalf("%q", got)
	}
	if SplitHeaders("") != nil {
		t.Fatal("empty value gave names")
	}
}
