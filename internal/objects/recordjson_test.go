package objects

import (
	"encoding/json"
	"reflect"
	"testing"

	"coffer/internal/checksum"
)

// sampleVersions are records of the shapes PUTs write, each fast-decodable
// or not.
func sampleVersions() []versionRecord {
	return []versionRecord{
		{},
		{Seq: 1764633600123456789, Size: 4096, ETag: "0123456789abcdef0123456789abcdef", Owner: "root",
			Meta:     Metadata{ContentType: "application/octet-stream"},
			Checksum: checksum.Value{Algorithm: "CRC32", Type: "FULL_OBJECT", Base64: "AAAAAA=="}},
		{Seq: 7, VID: "0000000000000007-abc", Size: 16 << 20, ETag: "abc-2", Owner: "alice",
			Meta: Metadata{ContentType: "text/plain; charset=utf-8", ContentEncoding: "gzip", ContentDisposition: "attachment",
				ContentLanguage: "de", CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT",
				User: map[string]string{"a": "1", "grüße": "wörld", "empty": ""}, StorageClass: "STANDARD_IA"},
			Blobs: []blobRef{{ID: "b1", Size: 8 << 20}, {ID: "b2", Size: 8 << 20, IV: []byte{1, 2, 3}, CSize: 99}},
			ACL:   []byte(`{"owner":"alice"}`)},
		{Seq: 9, Meta: Metadata{User: map[string]string{}}, Blobs: []blobRef{}, ACL: []byte{}},
		// Not for the fast path: encoding/json decodes these.
		{Seq: 3, ETag: `quote"d`, Meta: Metadata{ContentType: "<html>"}},
		{Seq: 4, Tags: []Tag{{Key: "k", Value: "v"}}, Lock: &lockRecord{Mode: "GOVERNANCE", Until: 5}},
		{Seq: 5, Parts: []PartInfo{{Number: 1, Size: 5, ETag: "e"}}, Enc: &encRecord{Mode: SSES3, Sealed: []byte("k")}},
		{Seq: 1<<64 - 1, Size: 1},
	}
}

// decodeBoth decodes js with encoding/json and with the fast path; fast
// reports whether the fast path took it.
func decodeBoth(t *testing.T, js []byte) (want, got versionRecord, wantErr error, fast bool) {
	t.Helper()
	wantErr = json.Unmarshal(js, &want)
	fast = decodeVersionJSON(js, &got)
	return want, got, wantErr, fast
}

func TestDecodeVersionJSONMatchesEncodingJSON(t *testing.T) {
	fastCount := 0
	for i, v := range sampleVersions() {
		js, err := json.Marshal(&v)
		if err != nil {
			t.Fatal(err)
		}
		want, got, wantErr, fast := decodeBoth(t, js)
		if wantErr != nil {
			t.Fatalf("%d: encoding/json: %v", i, wantErr)
		}
		if fast {
			fastCount++
			if !reflect.DeepEqual(want, got) {
				t.Errorf("%d: %s\nfast path %+v\nencoding/json %+v", i, js, got, want)
			}
		}
		// The full decoder (fast path or fallback) gives the original.
		rec := v
		rec.flags = flagNull
		dec, err := decodeVersion(rec.encode(), false)
		if err != nil {
			t.Fatalf("%d: decodeVersion: %v", i, err)
		}
		if !reflect.DeepEqual(*dec, withFlags(want, flagNull)) {
			t.Errorf("%d: decodeVersion %+v, want %+v", i, *dec, want)
		}
	}
	// The first four are what PUTs write; the rest need encoding/json.
	if fastCount != 4 {
		t.Errorf("fast path took %d of the samples, want 4", fastCount)
	}
}

func withFlags(v versionRecord, f byte) versionRecord { v.flags = f; return v }

// The fast path refuses what encoding/json would read differently.
func TestDecodeVersionJSONRefuses(t *testing.T) {
	for _, js := range []string{
		`{"q":1,"q":2}`,             // repeated key
		`{"Q":1}`,                   // encoding/json folds case
		`{"q":1 }`,                  // white space
		`{"q":01}`,                  // not JSON
		`{"q":1.0}`,                 // a fraction
		`{"s":-1}`,                  // a sign
		`{"e":"a\"b"}`,              // an escape
		"{\"e\":\"\xff\"}",          // invalid UTF-8 (encoding/json writes U+FFFD)
		`{"m":null}`,                // null
		`{"lk":{"m":"GOVERNANCE"}}`, // a rare field
		`{"zz":1}`,                  // unknown
		`{"q":1}x`,                  // trailing bytes
		`{"acl":"!!"}`,              // bad base64
		`{"b":[{"i":"x"},]}`,        // not JSON
		`{"m":{"um":{"a":1}}}`,      // a number for a string
		`{"q":9223372036854775808}`, // beyond 63 bits
	} {
		var v versionRecord
		if decodeVersionJSON([]byte(js), &v) {
			t.Errorf("fast path accepted %s: %+v", js, v)
		}
	}
}

func FuzzDecodeVersionJSON(f *testing.F) {
	for _, v := range sampleVersions() {
		js, _ := json.Marshal(&v)
		f.Add(js)
	}
	f.Add([]byte(`{"q":1,"m":{"um":{"a":"b","a":"c"}},"b":[]}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		want, got, wantErr, fast := decodeBoth(t, js)
		if !fast {
			return
		}
		if wantErr != nil {
			t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", js, wantErr)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q:\nfast path %+v\nencoding/json %+v", js, got, want)
		}
	})
}
