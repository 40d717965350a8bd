package sigv2

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
)

// The example credentials of AWS's page.
const (
	exampleAK     = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func lookupExample(ak string) (string, error) {
	if ak != exampleAK {
		return "", errs.New(errs.InvalidAccessKeyID, "The AWS access key Id you provided does not exist in our records.")
	}
	return exampleSecret, nil
}

// awsExample is one of the "Authentication examples" of
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
type awsExample struct {
	name         string
	method, uri  string
	bucket       string // virtual-hosted bucket (or CNAME)
	header       map[string][]string
	stringToSign string
	// signed is what AWS's signature signs when it is not stringToSign.
	signed    string
	signature string
}

var awsExamples = []awsExample{
	{
		name: "object GET", method: "GET", uri: "/photos/puppy.jpg", bucket: "awsexamplebucket1",
		header:       map[string][]string{"Date": {"Tue, 27 Mar 2007 19:36:42 +0000"}},
		stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
		signature:    "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
	},
	{
		name: "object PUT", method: "PUT", uri: "/photos/puppy.jpg", bucket: "awsexamplebucket1",
		header: map[string][]string{"Content-Type": {"image/jpeg"}, "Content-Length": {"94328"},
			"Date": {"Tue, 27 Mar 2007 21:15:45 +0000"}},
		stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg",
		signature:    "iqRzw+ileNPu1fhspnRs8nOjjIA=",
	},
	{
		name: "list", method: "GET", uri: "/?prefix=photos&max-keys=50&marker=puppy", bucket: "awsexamplebucket1",
		header:       map[string][]string{"User-Agent": {"Mozilla/5.0"}, "Date": {"Tue, 27 Mar 2007 19:42:41 +0000"}},
		stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/",
		signature:    "m0WP8eCtspQl5Ahe6L1SozdX9YA=",
	},
	{
		name: "fetch ACL", method: "GET", uri: "/?acl", bucket: "awsexamplebucket1",
		header:       map[string][]string{"Date": {"Tue, 27 Mar 2007 19:44:46 +0000"}},
		stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl",
		signature:    "82ZHiFIjc+WbcwFKGUVEQspPn+0=",
	},
	{
		// The page's DELETE puts the x-amz-date value on the Date line.
		name: "delete with x-amz-date", method: "DELETE", uri: "/awsexamplebucket1/photos/puppy.jpg",
		header: map[string][]string{"User-Agent": {"dotnet"}, "Date": {"Tue, 27 Mar 2007 21:20:27 +0000"},
			"X-Amz-Date": {"Tue, 27 Mar 2007 21:20:26 +0000"}},
		stringToSign: "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg",
		signed:       "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg",
		signature:    "XbyTlbQdu9Xw5o8P4iMwPktxQd8=",
	},
	{
		name: "upload with amz headers", method: "PUT", uri: "/db-backup.dat.gz", bucket: "static.johnsmith.net",
		header: map[string][]string{
			"User-Agent": {"curl/7.15.5"}, "Date": {"Tue, 27 Mar 2007 21:06:08 +0000"},
			"X-Amz-Acl": {"public-read"}, "Content-Type": {"application/x-download"},
			"Content-Md5":             {"4gJE4saaMU4BqNR0kLY+lw=="},
			"X-Amz-Meta-Reviewedby":   {"joe@johnsmith.net", "jane@johnsmith.net"},
			"X-Amz-Meta-Filechecksum": {"0x02661779"}, "X-Amz-Meta-Checksumalgorithm": {"crc32"},
			"Content-Disposition": {"attachment; filename=database.dat"}, "Content-Encoding": {"gzip"},
			"Content-Length": {"5913339"},
		},
		stringToSign: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n" +
			"x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n" +
			"x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
		signature: "ilyl83RwaSoYIEdixDQcA4OnAnc=",
	},
	{
		name: "list all my buckets", method: "GET", uri: "/",
		header:       map[string][]string{"Date": {"Wed, 28 Mar 2007 01:29:59 +0000"}},
		stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
		signature:    "qGdzdERIC03wnaRNKh6OqZehG9s=",
	},
	{
		name: "unicode keys", method: "GET", uri: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
		header:       map[string][]string{"Date": {"Wed, 28 Mar 2007 01:49:49 +0000"}},
		stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
		signature:    "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
	},
}

func exampleRequest(e awsExample, auth string) *http.Request {
	r := httptest.NewRequest(e.method, e.uri, nil)
	r.Header = http.Header{}
	for k, vs := range e.header {
		r.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func exampleTime(e awsExample) time.Time {
	v := e.header["X-Amz-Date"]
	if v == nil {
		v = e.header["Date"]
	}
	t, ok := ParseDate(v[0])
	if !ok {
		panic("bad example date " + v[0])
	}
	return t
}

func TestAWSExamples_stringToSignAndSignature(t *testing.T) {
	for _, e := range awsExamples {
		t.Run(e.name, func(t *testing.T) {
			signed := e.stringToSign
			if e.signed != "" {
				signed = e.signed
			}
			if got := Sign(exampleSecret, signed); got != e.signature {
				t.Fatalf("Sign = %s, AWS says %s", got, e.signature)
			}
			req, err := FromHTTP(exampleRequest(e, ""), e.bucket)
			if err != nil {
				t.Fatal(err)
			}
			d, forms, err := requestDate(req.Header)
			if err != nil || d.IsZero() {
				t.Fatalf("requestDate: %v", err)
			}
			got := candidates(req, false, forms)[0]
			if got != e.stringToSign {
				t.Fatalf("StringToSign\n got %q\nwant %q", got, e.stringToSign)
			}
		})
	}
}

func TestAWSExamples_verify(t *testing.T) {
	for _, e := range awsExamples {
		t.Run(e.name, func(t *testing.T) {
			now := exampleTime(e).Add(3 * time.Minute)
			r := exampleRequest(e, "AWS "+exampleAK+":"+e.signature)
			a, err := Verify(r, e.bucket, lookupExample, Options{Now: func() time.Time { return now }})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if a.AccessKey != exampleAK || a.Presigned {
				t.Fatalf("Auth = %+v", a)
			}
			// One changed byte of the signature is refused.
			bad := []byte(e.signature)
			bad[3] ^= 1
			r = exampleRequest(e, "AWS "+exampleAK+":"+string(bad))
			_, err = Verify(r, e.bucket, lookupExample, Options{Now: func() time.Time { return now }})
			if !errors.Is(err, errs.SignatureDoesNotMatch) {
				t.Fatalf("tampered signature: %v", err)
			}
			var m *Mismatch
			if !errors.As(err, &m) || m.StringToSign != e.stringToSign || m.SignatureProvided != string(bad) || m.AccessKey != exampleAK {
				t.Fatalf("mismatch detail = %+v", m)
			}
		})
	}
}

// The page's query-string example: a virtual-hosted GET with Expires.
func TestAWSExample_queryString(t *testing.T) {
	r := httptest.NewRequest("GET", "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D", nil)
	r.Header = http.Header{}
	before := func() time.Time { return time.Unix(1175139620-60, 0) }
	a, err := Verify(r, "johnsmith", lookupExample, Options{Now: before})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !a.Presigned || a.AccessKey != exampleAK || !a.Time.Equal(time.Unix(1175139620, 0)) {
		t.Fatalf("Auth = %+v", a)
	}
	// The same URL one second after its expiry.
	after := func() time.Time { return time.Unix(1175139621, 0) }
	_, err = Verify(r, "johnsmith", lookupExample, Options{Now: after})
	if !errors.Is(err, errs.AccessDenied) || !strings.Contains(errs.Message(err), "Request has expired") {
		t.Fatalf("expired: %v", err)
	}
	// Against another bucket the signature no longer matches.
	_, err = Verify(r, "otherbucket", lookupExample, Options{Now: before})
	var m *Mismatch
	if !errors.As(err, &m) || m.StringToSign != "GET\n\n\n1175139620\n/otherbucket/photos/puppy.jpg" {
		t.Fatalf("other bucket: %v", err)
	}
}

func TestCanonicalAmzHeaders(t *testing.T) {
	h := http.Header{
		"X-Amz-Meta-B":   {"  two ", "three"},
		"x-amz-meta-a":   {"one"},
		"X-AMZ-META-A":   {"uno"},
		"X-Amz-Folded":   {"line1\r\n   line2 \n\tline3"},
		"X-Amz-Date":     {"d"},
		"Content-Type":   {"text/plain"},
		"X-Amzn-Trace":   {"not amz"},
		"X-Amz-Internal": {"keep  two  spaces"},
	}
	got := CanonicalAmzHeaders(h, "x-amz-date")
	want := "x-amz-folded:line1 line2 line3\nx-amz-internal:keep  two  spaces\nx-amz-meta-a:"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("got %q", got)
	}
	// Header maps have no order between two spellings of one name; both
	// values are there, joined by a comma.
	if !strings.Contains(got, "x-amz-meta-a:one,uno\n") && !strings.Contains(got, "x-amz-meta-a:uno,one\n") {
		t.Fatalf("repeated header: %q", got)
	}
	if !strings.HasSuffix(got, "x-amz-meta-b:two,three\n") {
		t.Fatalf("got %q", got)
	}
	if CanonicalAmzHeaders(http.Header{"Date": {"x"}}, "") != "" {
		t.Fatal("no amz headers must give the empty string")
	}
}

func TestCanonicalResource(t *testing.T) {
	q := func(raw string) []Param {
		p, err := ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		bucket, path, query string
		o                   ResourceOptions
		want                string
	}{
		{"", "/b/k", "", ResourceOptions{}, "/b/k"},
		{"b", "", "", ResourceOptions{}, "/b/"},
		{"b", "/", "prefix=a&delimiter=%2F", ResourceOptions{}, "/b/"},
		{"", "/b/k", "versionId=v1&acl", ResourceOptions{}, "/b/k?acl&versionId=v1"},
		{"", "/b/k", "uploadId=a%2Bb&partNumber=3", ResourceOptions{}, "/b/k?partNumber=3&uploadId=a+b"},
		{"", "/b/k", "uploadId=a%2Bb&partNumber=3", ResourceOptions{RawValues: true}, "/b/k?partNumber=3&uploadId=a%2Bb"},
		{"", "/b/k", "response-content-type=text%2Fplain&response-expires=x", ResourceOptions{}, "/b/k?response-content-type=text/plain&response-expires=x"},
		{"", "/b/k", "tagging&versionId=1", ResourceOptions{}, "/b/k?tagging&versionId=1"},
		{"", "/b/k", "tagging&versionId=1", ResourceOptions{DocOnly: true}, "/b/k?versionId=1"},
		{"", "/b/", "uploads=", ResourceOptions{}, "/b/?uploads="},
		{"", "/b/", "delete", ResourceOptions{}, "/b/?delete"},
		{"", "/b/", "X-Amz-Foo=1&Signature=x&AWSAccessKeyId=y&Expires=3", ResourceOptions{}, "/b/"},
	}
	for _, c := range cases {
		if got := CanonicalResource(c.bucket, c.path, q(c.query), c.o); got != c.want {
			t.Errorf("CanonicalResource(%q, %q, %q, %+v) = %q, want %q", c.bucket, c.path, c.query, c.o, got, c.want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	for _, v := range []string{"AWS AK:sig", "  AWS AK:sig  ", "AWS AK:si:g"} {
		ak, sig, err := ParseAuthorization(v)
		if err != nil || ak != "AK" || !strings.HasPrefix(sig, "si") {
			t.Errorf("%q: %q %q %v", v, ak, sig, err)
		}
	}
	for _, v := range []string{"AWS", "AWS :sig", "AWS AK:", "AWS AK", "AWS4-HMAC-SHA256 Credential=x", "AWS A K:sig", ""} {
		if _, _, err := ParseAuthorization(v); !errors.Is(err, errs.InvalidArgument) {
			t.Errorf("%q: err = %v", v, err)
		}
	}
}

func TestIsSigned(t *testing.T) {
	cases := []struct {
		authz, query string
		want         bool
	}{
		{"AWS AK:sig", "", true},
		{"AWS4-HMAC-SHA256 Credential=...", "", false},
		{"", "AWSAccessKeyId=AK&Expires=1&Signature=s", true},
		{"", "X-Amz-Algorithm=AWS4-HMAC-SHA256", false},
		{"", "prefix=AWSAccessKeyId", false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := IsSigned(c.authz, c.query); got != c.want {
			t.Errorf("IsSigned(%q, %q) = %v", c.authz, c.query, got)
		}
	}
}

func TestVerify_errors(t *testing.T) {
	date := "Tue, 27 Mar 2007 19:36:42 +0000"
	now := func() time.Time { t, _ := ParseDate(date); return t }
	sts := "GET\n\n\n" + date + "\n/b/k"
	good := "AWS " + exampleAK + ":" + Sign(exampleSecret, sts)
	mk := func(mut func(r *http.Request)) *http.Request {
		r := httptest.NewRequest("GET", "/b/k", nil)
		r.Header = http.Header{"Date": {date}, "Authorization": {good}}
		mut(r)
		return r
	}
	cases := []struct {
		name string
		r    *http.Request
		now  func() time.Time
		kind errs.Kind
		msg  string
	}{
		{"ok", mk(func(*http.Request) {}), now, -1, ""},
		{"skew ahead", mk(func(*http.Request) {}), func() time.Time { return now().Add(16 * time.Minute) }, errs.RequestTimeTooSkewed, "too large"},
		{"skew behind", mk(func(*http.Request) {}), func() time.Time { return now().Add(-16 * time.Minute) }, errs.RequestTimeTooSkewed, "too large"},
		{"within skew", mk(func(*http.Request) {}), func() time.Time { return now().Add(14 * time.Minute) }, -1, ""},
		{"no date", mk(func(r *http.Request) { r.Header.Del("Date") }), now, errs.AccessDenied, "valid Date or x-amz-date"},
		{"bad date", mk(func(r *http.Request) { r.Header.Set("Date", "yesterday") }), now, errs.AccessDenied, "valid Date or x-amz-date"},
		{"unknown key", mk(func(r *http.Request) {
			r.Header.Set("Authorization", "AWS NOSUCHKEY:"+Sign(exampleSecret, sts))
		}), now, errs.InvalidAccessKeyID, ""},
		{"malformed header", mk(func(r *http.Request) { r.Header.Set("Authorization", "AWS nocolon") }), now, errs.InvalidArgument, "Expected AwsAccessKeyId:signature"},
		{"two headers", mk(func(r *http.Request) { r.Header.Add("Authorization", good) }), now, errs.InvalidArgument, "Only one"},
		{"bad content-md5", mk(func(r *http.Request) { r.Header.Set("Content-Md5", "notbase64!") }), now, errs.InvalidDigest, ""},
		{"short content-md5", mk(func(r *http.Request) { r.Header.Set("Content-Md5", "AAAA") }), now, errs.InvalidDigest, ""},
		{"empty content-md5", mk(func(r *http.Request) { r.Header["Content-Md5"] = []string{""} }), now, errs.InvalidDigest, ""},
		{"unsigned amz header", mk(func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") }), now, errs.SignatureDoesNotMatch, ""},
		{"other path", mk(func(r *http.Request) { r.RequestURI = "/b/k2"; r.URL.Path = "/b/k2" }), now, errs.SignatureDoesNotMatch, ""},
		{"both forms", mk(func(r *http.Request) { r.URL.RawQuery = "AWSAccessKeyId=a&Signature=b&Expires=1" }), now, errs.InvalidArgument, "Only one auth"},
		{"with v4 query", mk(func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" }), now, errs.InvalidArgument, "Only one auth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.r, "", lookupExample, Options{Now: c.now})
			if c.kind < 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, c.kind) || !strings.Contains(errs.Message(err), c.msg) {
				t.Fatalf("Verify = %v, want %v %q", err, c.kind, c.msg)
			}
		})
	}
}

func TestVerify_presigned(t *testing.T) {
	exp := "1700000000"
	sig := Sign(exampleSecret, "GET\n\n\n"+exp+"\n/b/k?response-content-type=text/plain")
	enc := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sig)
	mk := func(q string) *http.Request {
		r := httptest.NewRequest("GET", "/b/k?"+q, nil)
		r.Header = http.Header{}
		return r
	}
	now := func() time.Time { return time.Unix(1700000000-10, 0) }
	good := "response-content-type=text%2Fplain&AWSAccessKeyId=" + exampleAK + "&Expires=" + exp + "&Signature=" + enc
	if _, err := Verify(mk(good), "", lookupExample, Options{Now: now}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// Far in the past: SigV2 has no skew check on presigned URLs, only the expiry.
	if _, err := Verify(mk(good), "", lookupExample, Options{Now: func() time.Time { return time.Unix(0, 0) }}); err != nil {
		t.Fatalf("Verify long before expiry: %v", err)
	}
	// Unencoded '+' in the signature (decoded as a space) still matches.
	raw := "response-content-type=text%2Fplain&AWSAccessKeyId=" + exampleAK + "&Expires=" + exp + "&Signature=" + strings.ReplaceAll(enc, "%2B", "+")
	if _, err := Verify(mk(raw), "", lookupExample, Options{Now: now}); err != nil {
		t.Fatalf("Verify with raw +: %v", err)
	}
	for _, c := range []struct {
		q    string
		kind errs.Kind
		msg  string
	}{
		{"AWSAccessKeyId=" + exampleAK + "&Signature=" + enc, errs.AccessDenied, "requires the Signature, Expires and AWSAccessKeyId"},
		{"AWSAccessKeyId=" + exampleAK + "&Expires=x&Signature=" + enc, errs.AccessDenied, "seconds since epoch"},
		{"AWSAccessKeyId=" + exampleAK + "&Expires=" + exp + "&Signature=" + enc, errs.SignatureDoesNotMatch, ""}, // override missing
		{"response-content-type=text%2Fhtml&AWSAccessKeyId=" + exampleAK + "&Expires=" + exp + "&Signature=" + enc, errs.SignatureDoesNotMatch, ""},
		{"response-content-type=text%2Fplain&AWSAccessKeyId=" + exampleAK + "&Expires=1700000001&Signature=" + enc, errs.SignatureDoesNotMatch, ""},
		{"response-content-type=text%2Fplain&AWSAccessKeyId=" + exampleAK + "&Expires=" + exp + "&Signature=" + enc + "&X-Amz-Signature=x", errs.InvalidArgument, "Only one auth"},
	} {
		if _, err := Verify(mk(c.q), "", lookupExample, Options{Now: now}); !errors.Is(err, c.kind) || !strings.Contains(errs.Message(err), c.msg) {
			t.Errorf("%s: %v, want %v %q", c.q, err, c.kind, c.msg)
		}
	}
	// botocore's presigner moves signed x-amz-* headers into the query.
	sts := "PUT\n\ntext/plain\n" + exp + "\nx-amz-meta-a:1\n/b/k"
	enc = strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(Sign(exampleSecret, sts))
	r := httptest.NewRequest("PUT", "/b/k?x-amz-meta-a=1&content-type=text%2Fplain&AWSAccessKeyId="+exampleAK+"&Expires="+exp+"&Signature="+enc, nil)
	r.Header = http.Header{}
	if _, err := Verify(r, "", lookupExample, Options{Now: now}); err != nil {
		t.Fatalf("headers in query: %v", err)
	}
}

// s3cmd signs sub-resource values URL-encoded, and with x-amz-date on its
// own line; both are accepted.
func TestVerify_s3cmdForms(t *testing.T) {
	date := "Tue, 27 Mar 2007 19:36:42 +0000"
	sts := "PUT\n\n\n\nx-amz-date:" + date + "\n/b/k?partNumber=1&uploadId=a%2Fb"
	r := httptest.NewRequest("PUT", "/b/k?partNumber=1&uploadId=a%2Fb", nil)
	r.Header = http.Header{"X-Amz-Date": {date}, "Authorization": {"AWS " + exampleAK + ":" + Sign(exampleSecret, sts)}}
	now := func() time.Time { t, _ := ParseDate(date); return t }
	if _, err := Verify(r, "", lookupExample, Options{Now: now}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2007, 3, 27, 19, 36, 42, 0, time.UTC)
	for _, v := range []string{"Tue, 27 Mar 2007 19:36:42 +0000", "Tue, 27 Mar 2007 19:36:42 GMT",
		"Tuesday, 27-Mar-07 19:36:42 GMT", "Tue Mar 27 19:36:42 2007", "20070327T193642Z", "Tue, 27 Mar 2007 21:36:42 +0200"} {
		got, ok := ParseDate(v)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v %v", v, got, ok)
		}
	}
	if _, ok := ParseDate("2007-03-27"); ok {
		t.Error("accepted a bare date")
	}
}

// botocore signs "/bucket/" for a path-style bucket request sent as "/bucket".
func TestVerify_bucketTrailingSlash(t *testing.T) {
	date := "Tue, 27 Mar 2007 19:36:42 +0000"
	now := func() time.Time { t, _ := ParseDate(date); return t }
	for _, signed := range []string{"/b/", "/b"} {
		r := httptest.NewRequest("GET", "/b?list-type=2&prefix=a", nil)
		r.Header = http.Header{"Date": {date}, "Authorization": {"AWS " + exampleAK + ":" + Sign(exampleSecret, "GET\n\n\n"+date+"\n"+signed)}}
		if _, err := Verify(r, "", lookupExample, Options{Now: now}); err != nil {
			t.Fatalf("signed %s: %v", signed, err)
		}
	}
	r := httptest.NewRequest("GET", "/b/k", nil)
	r.Header = http.Header{"Date": {date}, "Authorization": {"AWS " + exampleAK + ":" + Sign(exampleSecret, "GET\n\n\n"+date+"\n/b/k/")}}
	if _, err := Verify(r, "", lookupExample, Options{Now: now}); !errors.Is(err, errs.SignatureDoesNotMatch) {
		t.Fatalf("a key path takes no slash: %v", err)
	}
}

// minio-go sends value-less sub-resources with an "=" ("?policy=", Go's
// url.Values) and signs them without it ("?policy"); both forms verify, and
// a value that is not empty still counts.
func TestVerify_emptySubresourceValue(t *testing.T) {
	date := "Tue, 27 Mar 2007 19:36:42 +0000"
	now := func() time.Time { t, _ := ParseDate(date); return t }
	for _, c := range []struct{ wire, signed string }{
		{"/b/?policy=", "/b/?policy"},
		{"/b/?policy=", "/b/?policy="},
		{"/b/k?uploads=", "/b/k?uploads"},
		{"/b/k?partNumber=1&uploadId=xyz", "/b/k?partNumber=1&uploadId=xyz"},
	} {
		r := httptest.NewRequest("PUT", c.wire, nil)
		r.Header = http.Header{"Date": {date}, "Authorization": {"AWS " + exampleAK + ":" + Sign(exampleSecret, "PUT\n\n\n"+date+"\n"+c.signed)}}
		if _, err := Verify(r, "", lookupExample, Options{Now: now}); err != nil {
			t.Errorf("%s signed as %s: %v", c.wire, c.signed, err)
		}
	}
	r := httptest.NewRequest("PUT", "/b/k?partNumber=1&uploadId=xyz", nil)
	r.Header = http.Header{"Date": {date}, "Authorization": {"AWS " + exampleAK + ":" + Sign(exampleSecret, "PUT\n\n\n"+date+"\n/b/k?partNumber&uploadId")}}
	if _, err := Verify(r, "", lookupExample, Options{Now: now}); !errors.Is(err, errs.SignatureDoesNotMatch) {
		t.Fatalf("sub-resource values left out: %v", err)
	}
}
