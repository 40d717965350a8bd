// Package cors is S3's cross-origin resource sharing: the CORSConfiguration
// document a bucket carries (PutBucketCors) and the evaluation of a browser's
// requests against it. It is pure: no I/O, no HTTP serving; package s3api
// reads the configuration, calls Match, and writes the headers Apply sets.
//
// The rules, as AWS documents and answers them
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html,
// ManageCorsUsing.html, cors-troubleshooting.html, API_PutBucketCors.html):
//
//   - A configuration holds 1 to 100 CORSRules, each with at least one
//     AllowedOrigin and one AllowedMethod (GET, PUT, POST, DELETE, HEAD).
//     An AllowedOrigin or AllowedHeader holds at most one '*', which matches
//     any run of characters, the empty one included; patterns are anchored
//     at both ends. ExposeHeader takes no wildcard.
//   - The first rule that matches wins. A rule matches a preflight when the
//     Origin matches one of its origins, Access-Control-Request-Method is one
//     of its methods, and every name in Access-Control-Request-Headers
//     matches one of its AllowedHeader patterns (case-insensitively).
//   - An actual request (any other request with an Origin) matches on the
//     origin and on its method, or on its Access-Control-Request-Method
//     header when it sends one; its headers are not checked. A request no
//     rule matches is served without CORS headers.
//   - The answer names the request's origin, or '*' when the origin matched
//     a rule's AllowedOrigin of exactly "*" (then without
//     Access-Control-Allow-Credentials, which browsers refuse next to '*'),
//     the rule's methods joined by ", ", the requested headers (lowercase,
//     in request order), the rule's expose headers and max age, and Vary.
//
// Where AWS is silent, Coffer matches origins without regard to ASCII case
// (scheme and host are case-insensitive; browsers send them lowercase).
package cors

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"coffer/internal/errs"
)

// Limits of a CORS configuration (AWS's).
const (
	MaxRules  = 100
	MaxSize   = 64 << 10 // the document, in bytes
	MaxIDSize = 255
)

// Methods are the methods a rule may allow.
var Methods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// Rule is one CORSRule.
type Rule struct {
	ID             string
	AllowedOrigins []string
	AllowedMethods []string
	AllowedHeaders []string
	ExposeHeaders  []string
	// MaxAgeSeconds is Access-Control-Max-Age; negative when the rule has none.
	MaxAgeSeconds int

	// lowered AllowedOrigins and AllowedHeaders, for matching.
	origins, headers []string
	methods          string // "GET, PUT": the Access-Control-Allow-Methods value
	expose           string // the Access-Control-Expose-Headers value
}

// Config is a bucket's CORS configuration.
type Config struct {
	Rules []Rule
}

type configXML struct {
	XMLName xml.Name  `xml:"CORSConfiguration"`
	Rules   []ruleXML `xml:"CORSRule"`
}

// ruleXML is a CORSRule on the wire. Element order is the one AWS's
// GetBucketCors response syntax shows.
type ruleXML struct {
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	ID             string   `xml:"ID,omitempty"`
	MaxAgeSeconds  *string  `xml:"MaxAgeSeconds"`
}

func malformed(format string, args ...any) error {
	return errs.New(errs.MalformedXML, format, args...)
}

const malformedMsg = "The XML you provided was not well-formed or did not validate against our published schema"

// Parse parses and validates a PutBucketCors body, refusing it as AWS does:
// MalformedXML for a document that is not a CORSConfiguration with rules
// that each name an origin and a method, InvalidRequest for an unsupported
// method, a second wildcard, a wildcard in an ExposeHeader or more than 100
// rules.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, malformed("The CORS configuration is larger than the maximum of %d bytes", MaxSize)
	}
	var doc configXML
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, errs.Wrap(errs.MalformedXML, err, malformedMsg)
	}
	if len(doc.Rules) == 0 {
		return nil, malformed(malformedMsg)
	}
	if len(doc.Rules) > MaxRules {
		return nil, errs.New(errs.InvalidRequest, "The number of CORS rules should not exceed allowed limit of %d rules.", MaxRules)
	}
	c := &Config{Rules: make([]Rule, 0, len(doc.Rules))}
	for _, x := range doc.Rules {
		r, err := ruleFrom(x)
		if err != nil {
			return nil, err
		}
		c.Rules = append(c.Rules, r)
	}
	return c, nil
}

func ruleFrom(x ruleXML) (Rule, error) {
	if len(x.AllowedOrigins) == 0 || len(x.AllowedMethods) == 0 {
		return Rule{}, malformed(malformedMsg)
	}
	if len(x.ID) > MaxIDSize {
		return Rule{}, errs.New(errs.InvalidArgument, "ID length should not exceed allowed limit of %d", MaxIDSize)
	}
	for _, m := range x.AllowedMethods {
		if !isMethod(m) {
			return Rule{}, errs.New(errs.InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
		}
	}
	for _, o := range x.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return Rule{}, errs.New(errs.InvalidRequest, "AllowedOrigin %q can not have more than one wildcard.", o)
		}
	}
	for _, h := range x.AllowedHeaders {
		if strings.Count(h, "*") > 1 {
			return Rule{}, errs.New(errs.InvalidRequest, "AllowedHeader %q can not have more than one wildcard.", h)
		}
	}
	for _, h := range x.ExposeHeaders {
		if strings.Contains(h, "*") {
			return Rule{}, errs.New(errs.InvalidRequest, "ExposeHeader %q contains wildcard. We currently do not support wildcard for ExposeHeader.", h)
		}
	}
	r := Rule{ID: x.ID, AllowedOrigins: x.AllowedOrigins, AllowedMethods: x.AllowedMethods,
		AllowedHeaders: x.AllowedHeaders, ExposeHeaders: x.ExposeHeaders, MaxAgeSeconds: -1}
	if x.MaxAgeSeconds != nil {
		n, err := strconv.Atoi(strings.TrimSpace(*x.MaxAgeSeconds))
		if err != nil || n < 0 {
			return Rule{}, malformed(malformedMsg)
		}
		r.MaxAgeSeconds = n
	}
	r.compile()
	return r, nil
}

// compile fills the matching fields from the exported ones.
func (r *Rule) compile() {
	r.origins = lowerAll(r.AllowedOrigins)
	r.headers = lowerAll(r.AllowedHeaders)
	r.methods = strings.Join(r.AllowedMethods, ", ")
	r.expose = strings.Join(r.ExposeHeaders, ", ")
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}

func isMethod(m string) bool {
	for _, v := range Methods {
		if m == v {
			return true
		}
	}
	return false
}

// IsMethod reports whether m is a method a CORS rule can allow (the
// methods of an Access-Control-Request-Method S3 accepts).
func IsMethod(m string) bool { return isMethod(m) }

// Marshal renders the configuration as GetBucketCors answers it (and as it
// is stored): the rules in order, each list in the order given.
func (c *Config) Marshal() []byte {
	doc := struct {
		XMLName xml.Name  `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CORSConfiguration"`
		Rules   []ruleXML `xml:"CORSRule"`
	}{}
	for _, r := range c.Rules {
		x := ruleXML{ID: r.ID, AllowedOrigins: r.AllowedOrigins, AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders}
		if r.MaxAgeSeconds >= 0 {
			s := strconv.Itoa(r.MaxAgeSeconds)
			x.MaxAgeSeconds = &s
		}
		doc.Rules = append(doc.Rules, x)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		// Only strings and ints: encoding cannot fail.
		panic(fmt.Sprintf("cors: encoding a configuration: %v", err))
	}
	return buf.Bytes()
}

// Match is the outcome of evaluating a request: the rule that allowed it
// and what to answer.
type Match struct {
	Rule *Rule
	// Origin is the Access-Control-Allow-Origin value: the request's origin,
	// or "*".
	Origin string
	// Headers are the requested headers (preflight), lowercase, in request
	// order.
	Headers []string
}

// MatchPreflight evaluates a preflight (OPTIONS) request: the first rule
// that allows origin, method and every requested header (as split by
// SplitHeaders). ok is false when none does.
func (c *Config) MatchPreflight(origin, method string, headers []string) (m Match, ok bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		o, okOrigin := r.matchOrigin(origin)
		if !okOrigin || !r.allowsMethod(method) || !r.allowsHeaders(headers) {
			continue
		}
		return Match{Rule: r, Origin: o, Headers: headers}, true
	}
	return Match{}, false
}

// MatchActual evaluates an actual (non-preflight) request with an Origin:
// the first rule that allows origin and method. Request headers are not
// checked, as in S3.
func (c *Config) MatchActual(origin, method string) (m Match, ok bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if o, okOrigin := r.matchOrigin(origin); okOrigin && r.allowsMethod(method) {
			return Match{Rule: r, Origin: o}, true
		}
	}
	return Match{}, false
}

// matchOrigin reports whether origin matches one of the rule's origins, and
// the Access-Control-Allow-Origin to answer.
func (r *Rule) matchOrigin(origin string) (string, bool) {
	lo := strings.ToLower(origin)
	for _, p := range r.origins {
		if p == "*" {
			return "*", true
		}
		if Wildcard(p, lo) {
			return origin, true
		}
	}
	return "", false
}

func (r *Rule) allowsMethod(method string) bool {
	for _, m := range r.AllowedMethods {
		if m == method {
			return true
		}
	}
	return false
}

// allowsHeaders reports whether every requested (lowercase) header matches
// one of the rule's AllowedHeader patterns.
func (r *Rule) allowsHeaders(headers []string) bool {
next:
	for _, h := range headers {
		for _, p := range r.headers {
			if Wildcard(p, h) {
				continue next
			}
		}
		return false
	}
	return true
}

// Wildcard reports whether s matches pattern, in which one '*' (the first;
// a configuration holds at most one) matches any run of bytes, the empty
// one included. Without '*' it is equality.
func Wildcard(pattern, s string) bool {
	before, after, found := strings.Cut(pattern, "*")
	if !found {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// SplitHeaders splits an Access-Control-Request-Headers value: names
// separated by commas and optional whitespace, lowercased, empty ones
// dropped, order kept.
func SplitHeaders(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

// Vary is the Vary value S3 sends with CORS answers.
const Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// Apply sets the CORS response headers of a match on h.
func (m Match) Apply(h http.Header) {
	r := m.Rule
	h.Set("Access-Control-Allow-Origin", m.Origin)
	h.Set("Access-Control-Allow-Methods", r.methods)
	if len(m.Headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(m.Headers, ", "))
	}
	if r.expose != "" {
		h.Set("Access-Control-Expose-Headers", r.expose)
	}
	if r.MaxAgeSeconds >= 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(r.MaxAgeSeconds))
	}
	if m.Origin != "*" {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Vary", Vary)
}
