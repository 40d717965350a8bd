package s3api

import (
	"net/http"
	"net/url"
	"testing"
	"unicode/utf8"

	"coffer/internal/objects"
)

// Fuzz targets for every parser of untrusted input in this package. Each
// checks that parsing never panics, that failures carry a kind the error
// table knows, and that what is accepted satisfies the documented limits.

func checkKnown(t *testing.T, err error) {
	t.Helper()
	if _, known := lookupError(err); !known {
		t.Fatalf("error without an S3 mapping: %v", err)
	}
}

func FuzzParseDeleteXML(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Quiet>maybe</Quiet></Delete>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseDeleteXML(data)
		if err != nil {
			checkKnown(t, err)
			return
		}
		if n := len(req.Objects); n == 0 || n > maxDeleteKeys {
			t.Fatalf("accepted %d objects", n)
		}
		for _, o := range req.Objects {
			if o.Key == "" {
				t.Fatal("accepted an empty key")
			}
		}
	})
}

func FuzzParseCompleteXML(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>0</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := parseCompleteXML(data)
		if err != nil {
			checkKnown(t, err)
			return
		}
		if len(parts) == 0 || len(parts) > maxParts {
			t.Fatalf("accepted %d parts", len(parts))
		}
		for _, p := range parts {
			if p.Number < 1 || p.Number > maxParts {
				t.Fatalf("accepted part number %d", p.Number)
			}
		}
	})
}

func FuzzParseTaggingXML(f *testing.F) {
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag><Tag><Key>a</Key><Value>c</Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet/></Tagging>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tags, err := parseTaggingXML(data)
		if err != nil {
			checkKnown(t, err)
			return
		}
		checkTags(t, tags)
	})
}

func FuzzTagsFromHeader(f *testing.F) {
	f.Add("a=1&b=2")
	f.Add("a=1&a=2")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, v string) {
		tags, err := tagsFromHeader(v)
		if err != nil {
			checkKnown(t, err)
			return
		}
		checkTags(t, tags)
	})
}

func checkTags(t *testing.T, tags []objects.Tag) {
	t.Helper()
	if len(tags) > maxTags {
		t.Fatalf("accepted %d tags", len(tags))
	}
	seen := map[string]bool{}
	for _, tg := range tags {
		if tg.Key == "" || utf8.RuneCountInString(tg.Key) > maxTagKey || utf8.RuneCountInString(tg.Value) > maxTagValue || seen[tg.Key] {
			t.Fatalf("accepted tag %+v", tg)
		}
		seen[tg.Key] = true
	}
}

func FuzzParseVersioningXML(f *testing.F) {
	f.Add([]byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`))
	f.Add([]byte(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`))
	f.Add([]byte(`<VersioningConfiguration/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		state, err := parseVersioningXML(data)
		if err != nil {
			checkKnown(t, err)
			return
		}
		if state != objects.VersioningEnabled && state != objects.VersioningSuspended {
			t.Fatalf("accepted state %q", state)
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	f.Add("GET", "bkt.s3.test:9000", "/k%20x", "versionId=v1", "")
	f.Add("PUT", "h", "/S3/bkt/k", "partNumber=3&uploadId=u", "/src/k?versionId=1")
	f.Add("POST", "h", "/bkt", "delete", "")
	f.Add("DELETE", "h", "//", "tagging", "")
	f.Fuzz(func(t *testing.T, method, host, path, query, copySource string) {
		h := http.Header{}
		if copySource != "" {
			h.Set("X-Amz-Copy-Source", copySource)
		}
		op, err := parseOp(method, host, path, query, h, "s3.test")
		if err != nil {
			checkKnown(t, err)
			return
		}
		if op.Kind <= OpUnknown || op.Kind >= numOps || op.Action() == "" {
			t.Fatalf("accepted request has no operation: %+v", op)
		}
		if (op.Kind == OpCopyObject || op.Kind == OpUploadPartCopy) != (op.CopySource != nil) {
			t.Fatalf("copy source mismatch: %+v", op)
		}
		if op.Bucket == "" && op.Kind != OpListBuckets {
			t.Fatalf("no bucket: %+v", op)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=7-", "bytes=9-0", "bytes=0-1,2-3", "items=0-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := parseRange(v)
		if r == nil {
			return
		}
		if r.Suffix < 0 || r.Start < 0 || r.Suffix == 0 && r.End >= 0 && r.End < r.Start {
			t.Fatalf("accepted %q as %+v", v, r)
		}
	})
}

func FuzzS3URLEncode(f *testing.F) {
	for _, s := range []string{"a b+c", "日本/x%y", "~*'()!", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := s3URLEncode(s)
		dec, err := url.QueryUnescape(enc)
		if err != nil || dec != s {
			t.Fatalf("%q encodes to %q, which decodes to %q (%v)", s, enc, dec, err)
		}
	})
}
