package s3api

import (
	"encoding/xml"
	"strings"
	"testing"

	"coffer/internal/checksum"
	"coffer/internal/objects"
)

// The checksums S3 added in 2026 over HTTP: each header is verified (a
// wrong value is BadDigest, a malformed one InvalidRequest naming the
// header), echoed by PUT, returned by HEAD and GET with
// x-amz-checksum-mode: ENABLED, and accepted in x-amz-sdk-checksum-algorithm.
func TestNewChecksumHeaders(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/bkt", ""), 200)
	body := "flexible checksums, 2026 edition"
	for _, a := range []checksum.Algorithm{checksum.MD5, checksum.SHA512, checksum.XXHASH64, checksum.XXHASH3, checksum.XXHASH128} {
		name := a.HeaderName()
		good := checksum.Sum(a, []byte(body))
		key := "/bkt/" + strings.ToLower(string(a))
		resp := h.do("PUT", key, body, name, good, "X-Amz-Sdk-Checksum-Algorithm", string(a))
		h.want(resp, 200)
		if got := resp.Header.Get(name); got != good {
			t.Fatalf("%s: PUT echoes %q, want %q", a, got, good)
		}
		for _, m := range []string{"HEAD", "GET"} {
			resp = h.do(m, key, "", "X-Amz-Checksum-Mode", "ENABLED")
			h.want(resp, 200)
			if resp.Header.Get(name) != good || resp.Header.Get("X-Amz-Checksum-Type") != "FULL_OBJECT" {
				t.Fatalf("%s: %s with checksum mode: %v", a, m, resp.Header)
			}
		}
		// The right size, the wrong value.
		e := errorDoc(t, h.want(h.do("PUT", key+"-bad", body, name, checksum.Sum(a, []byte("other"))), 400))
		if e.Code != "BadDigest" || e.Message != "The "+string(a)+" you specified did not match the calculated checksum." {
			t.Fatalf("%s wrong value: %+v", a, e)
		}
		if _, ok := h.be.buckets["t1/bkt"].versions[key[len("/bkt/"):]+"-bad"]; ok {
			t.Fatalf("%s: the refused object was stored", a)
		}
		// A CRC32-sized value is malformed for every new algorithm.
		e = errorDoc(t, h.want(h.do("PUT", key+"-bad", body, name, "AAAAAA=="), 400))
		if e.Code != "InvalidRequest" || e.Message != "Value for "+name+" header is invalid." {
			t.Fatalf("%s malformed value: %+v", a, e)
		}
	}
}

// CompleteMultipartUpload's XML carries the new part checksums, and
// ListParts, CopyPartResult and GetObjectAttributes render them under S3's
// element names (ChecksumXXHASH64, not ChecksumXxhash64).
func TestNewChecksumXML(t *testing.T) {
	parts, err := parseCompleteXML([]byte(`<CompleteMultipartUpload>` +
		`<Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumXXHASH3>xQCwyRKzdtg=</ChecksumXXHASH3></Part>` +
		`<Part><PartNumber>2</PartNumber><ETag>"b"</ETag><ChecksumSHA512>c2hh</ChecksumSHA512></Part>` +
		`<Part><PartNumber>3</PartNumber><ETag>"c"</ETag><ChecksumMD5>bWQ1</ChecksumMD5></Part>` +
		`<Part><PartNumber>4</PartNumber><ETag>"d"</ETag><ChecksumXXHASH64>eHg2NA==</ChecksumXXHASH64></Part>` +
		`<Part><PartNumber>5</PartNumber><ETag>"e"</ETag><ChecksumXXHASH128>eHgxMjg=</ChecksumXXHASH128></Part>` +
		`</CompleteMultipartUpload>`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"xQCwyRKzdtg=", "c2hh", "bWQ1", "eHg2NA==", "eHgxMjg="} {
		if parts[i].Checksum != want {
			t.Errorf("part %d checksum %q, want %q", i+1, parts[i].Checksum, want)
		}
	}
	for a, elem := range map[checksum.Algorithm]string{checksum.MD5: "ChecksumMD5", checksum.SHA512: "ChecksumSHA512",
		checksum.XXHASH64: "ChecksumXXHASH64", checksum.XXHASH3: "ChecksumXXHASH3", checksum.XXHASH128: "ChecksumXXHASH128"} {
		c := checksumFields(checksum.Value{Algorithm: a, Base64: "dmFs"})
		want := "<" + elem + ">dmFs</" + elem + ">"
		if got := string(c.appendXML(nil)); got != want {
			t.Errorf("%s fast XML %q, want %q", a, got, want)
		}
		out, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"X"`
			checksumXML
		}{checksumXML: c})
		if err != nil || string(out) != "<X>"+want+"</X>" {
			t.Errorf("%s encoding/xml %s %v, want %s", a, out, err, want)
		}
	}
}

// GetObjectAttributes gives a COMPOSITE checksum without its "-N" suffix
// (AWS does; minio-go's testPutMultipartObjectWithChecksums checks it), a
// FULL_OBJECT one as it is.
func TestObjectAttributesCompositeChecksum(t *testing.T) {
	for _, tc := range []struct {
		v    checksum.Value
		want string
	}{
		{checksum.Value{Algorithm: checksum.XXHASH3, Type: checksum.TypeComposite, Base64: "xQCwyRKzdtg=-13"}, "xQCwyRKzdtg="},
		{checksum.Value{Algorithm: checksum.SHA256, Type: checksum.TypeComposite, Base64: "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=-2"},
			"FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="},
		{checksum.Value{Algorithm: checksum.CRC64NVME, Type: checksum.TypeFullObject, Base64: "rosUhgp5mIg="}, "rosUhgp5mIg="},
		{checksum.Value{Algorithm: checksum.MD5, Base64: "1B2M2Y8AsgTpgAmY7PhCfg=="}, "1B2M2Y8AsgTpgAmY7PhCfg=="},
	} {
		out := &objects.GetOutput{Info: objects.ObjectInfo{Checksum: tc.v}}
		res := objectAttributesXML(out, map[string]bool{"Checksum": true}, 0, 1000)
		if res.Checksum == nil {
			t.Fatalf("%+v: no Checksum", tc.v)
		}
		got := string(res.Checksum.checksumXML.appendXML(nil))
		elem := "Checksum" + string(tc.v.Algorithm)
		if want := "<" + elem + ">" + tc.want + "</" + elem + ">"; got != want {
			t.Errorf("%+v: %s, want %s", tc.v, got, want)
		}
		if wantType := checksumType(tc.v); res.Checksum.ChecksumType != wantType {
			t.Errorf("%+v: type %q, want %q", tc.v, res.Checksum.ChecksumType, wantType)
		}
	}
}
