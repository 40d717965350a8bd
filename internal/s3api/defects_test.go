package s3api

import (
	"math"
	"testing"

	"coffer/internal/core"
	"coffer/internal/objects"
)

func TestParseRange_table(t *testing.T) {
	const max = math.MaxInt64
	for _, c := range []struct {
		in   string
		want *objects.ByteRange
	}{
		{"bytes=0-9", &objects.ByteRange{Start: 0, End: 9}},
		{"bytes=7-", &objects.ByteRange{Start: 7, End: -1}},
		{"bytes=-5", &objects.ByteRange{Suffix: 5}},
		{"bytes=9223372036854775807-", &objects.ByteRange{Start: max, End: -1}},
		// Overflowing positions saturate: past the end of any object.
		{"bytes=0-18446744073709551616", &objects.ByteRange{Start: 0, End: max}},
		{"bytes=3-99999999999999999999999999999", &objects.ByteRange{Start: 3, End: max}},
		{"bytes=18446744073709551616-", &objects.ByteRange{Start: max, End: -1}},
		{"bytes=99999999999999999999-99999999999999999999", &objects.ByteRange{Start: max, End: max}},
		{"bytes=-18446744073709551616", &objects.ByteRange{Suffix: max}},
		// Malformed: ignored (nil), the whole object is served.
		{"bytes=18446744073709551616-5", nil},
		{"bytes=1-0", nil},
		{"bytes=-0", nil},
		{"bytes=1x-2", nil},
		{"bytes=0-1,2-3", nil},
		{"items=0-1", nil},
		{"bytes=+1-2", nil},
		{"bytes=1-9999999999999999999999x", nil},
	} {
		got := parseRange(c.in)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("parseRange(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

// A principal that may delete none of the keys is refused before the bucket
// is looked up: a missing bucket and an existing one answer alike.
func TestDeleteObjects_authorizedBeforeBucketLookup(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	h.want(h.do("PUT", "/bkt/a", "x"), 200)
	h.authz.deny = func(r core.Request) bool { return true }
	doc := `<Delete><Object><Key>a</Key></Object></Delete>`
	for _, b := range []string{"bkt", "missing"} {
		if e := errorDoc(t, h.want(h.do("POST", "/"+b+"?delete", doc), 403)); e.Code != "AccessDenied" {
			t.Fatalf("DeleteObjects on %s without rights: %+v, want AccessDenied", b, e)
		}
	}
	// With rights on some key, a missing bucket is reported as such.
	h.authz.deny = func(r core.Request) bool { return r.Key == "secret" }
	if e := errorDoc(t, h.want(h.do("POST", "/missing?delete", doc), 404)); e.Code != "NoSuchBucket" {
		t.Fatalf("DeleteObjects on a missing bucket with rights: %+v", e)
	}
}

// An empty or malformed Content-MD5 is refused on every operation with a
// body, before anything is stored.
func TestContentMD5_emptyOrMalformed_InvalidDigest(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	del := `<Delete><Object><Key>a</Key></Object></Delete>`
	tags := `<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`
	for _, md5 := range []string{"", " ", "not base64!", "XrY7u+Ae7tCTyyK7j1rN", "XrY7u+Ae7tCTyyK7j1rNwwA=", "98O8HYCOBHMq32eZZczDTKeuNEE="} {
		for _, req := range []struct{ method, path, body string }{
			{"PUT", "/bkt/obj", "data"},
			{"POST", "/bkt?delete", del},
			{"PUT", "/bkt/obj?tagging", tags},
			{"PUT", "/bkt?versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`},
		} {
			e := errorDoc(t, h.want(h.do(req.method, req.path, req.body, "Content-MD5", md5), 400))
			if e.Code != "InvalidDigest" {
				t.Fatalf("%s %s with Content-MD5 %q: %+v, want InvalidDigest", req.method, req.path, md5, e)
			}
		}
	}
	h.want(h.do("GET", "/bkt/obj", ""), 404) // nothing was stored
}
