package s3api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coffer/internal/objects"
)

// The hand-rolled listing writer must render byte for byte what encodeXML
// renders; these tests compare the two on random and fuzzed values.

// appender is the hand-rolled writer of a listing result.
type appender interface{ appendXML([]byte) []byte }

func checkSameXML(t *testing.T, v appender) {
	t.Helper()
	want, err := encodeXML(v)
	if err != nil {
		t.Fatalf("encodeXML(%#v): %v", v, err)
	}
	got := v.appendXML(nil)
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Fatalf("appendXML differs from encodeXML at byte %d of %T\n got: %q\nwant: %q",
			i, v, got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}
	// Appending to a non-empty buffer must leave its contents alone.
	prefix := []byte("prefix")
	if got := v.appendXML(prefix); !bytes.Equal(got[:6], prefix) || !bytes.Equal(got[6:], want) {
		t.Fatalf("appendXML onto a non-empty buffer of %T is wrong", v)
	}
}

// pieces covers every class of byte and rune the escaper treats apart.
var pieces = []string{
	"", "a", "photos/2026/", "IMG_0001.jpg", "-_.~!*()+,;=:@$ ", "0123456789",
	`<`, `>`, `&`, `'`, `"`, `"etag"`, "&#34;", "&quot;", "&amp;", "]]>", "<![CDATA[x]]>",
	"\t", "\n", "\r", "\r\n", "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", " ",
	"\x80", "\xff", "\xc3", "\xc3(", "\xe2\x82", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80",
	"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x9f\x99",
	"\ufffe", "\uffff", "\ufffd", "\ud7ff", "\ue000", "\U00010000", "\U0010ffff", "\u0085", "\u2028",
	"日本", "é", "ß", "🙂", "Ω≈ç√", "\u200b", "\u202e",
}

func randString(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		return ""
	}
	var b strings.Builder
	for n := r.IntN(6); n >= 0; n-- {
		if r.IntN(6) == 0 { // a random byte, anything at all
			b.WriteByte(byte(r.IntN(256)))
			continue
		}
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// maybe returns s or, as often, "" (for omitempty fields).
func maybe(r *rand.Rand, s string) string {
	if r.IntN(2) == 0 {
		return ""
	}
	return s
}

func randInt(r *rand.Rand) int64 {
	switch r.IntN(6) {
	case 0:
		return 0
	case 1:
		return -r.Int64N(1 << 40)
	case 2:
		return math.MaxInt64
	case 3:
		return math.MinInt64
	}
	return r.Int64N(1 << 42)
}

func randOwner(r *rand.Rand) ownerXML {
	return ownerXML{ID: randString(r), DisplayName: maybe(r, randString(r))}
}

func randOwnerPtr(r *rand.Rand) *ownerXML {
	if r.IntN(2) == 0 {
		return nil
	}
	o := randOwner(r)
	return &o
}

func randPrefixes(r *rand.Rand) []commonPrefixXML {
	if r.IntN(3) == 0 {
		return nil
	}
	ps := make([]commonPrefixXML, r.IntN(4))
	for i := range ps {
		ps[i].Prefix = randString(r)
	}
	return ps
}

func randObjects(r *rand.Rand) []objectXML {
	if r.IntN(4) == 0 {
		return nil
	}
	os := make([]objectXML, r.IntN(5))
	for i := range os {
		os[i] = objectXML{
			Key: randString(r), LastModified: randString(r), ETag: randString(r),
			ChecksumAlgorithm: maybe(r, randString(r)), ChecksumType: maybe(r, randString(r)),
			Size: randInt(r), StorageClass: randString(r), Owner: randOwnerPtr(r),
		}
	}
	return os
}

func randListV1(r *rand.Rand) *listBucketResult {
	return &listBucketResult{
		Name: randString(r), Prefix: randString(r), Marker: randString(r), NextMarker: maybe(r, randString(r)),
		MaxKeys: int(randInt(r)), Delimiter: maybe(r, randString(r)), IsTruncated: r.IntN(2) == 0,
		EncodingType: maybe(r, randString(r)), Contents: randObjects(r), CommonPrefixes: randPrefixes(r),
	}
}

func randListV2(r *rand.Rand) *listBucketV2Result {
	return &listBucketV2Result{
		Name: randString(r), Prefix: randString(r),
		ContinuationToken: maybe(r, randString(r)), NextContinuationToken: maybe(r, randString(r)),
		StartAfter: maybe(r, randString(r)), KeyCount: int(randInt(r)), MaxKeys: int(randInt(r)),
		Delimiter: maybe(r, randString(r)), EncodingType: maybe(r, randString(r)), IsTruncated: r.IntN(2) == 0,
		Contents: randObjects(r), CommonPrefixes: randPrefixes(r),
	}
}

func randVersions(r *rand.Rand) *listVersionsResult {
	res := &listVersionsResult{
		Name: randString(r), Prefix: randString(r), KeyMarker: randString(r), VersionIDMarker: randString(r),
		NextKeyMarker: maybe(r, randString(r)), NextVersionIDMarker: maybe(r, randString(r)),
		MaxKeys: int(randInt(r)), Delimiter: maybe(r, randString(r)), EncodingType: maybe(r, randString(r)),
		IsTruncated: r.IntN(2) == 0, CommonPrefixes: randPrefixes(r),
	}
	for n := r.IntN(6); n > 0; n-- {
		v := versionEntryXML{
			Element: "Version", Key: randString(r), VersionID: randString(r), IsLatest: r.IntN(2) == 0,
			LastModified: randString(r), Owner: randOwnerPtr(r),
		}
		// Delete markers as the handler builds them, and now and then
		// with the version-only fields set too, to cover every omitempty.
		if r.IntN(2) == 0 {
			v.Element = "DeleteMarker"
		}
		if v.Element == "Version" || r.IntN(4) == 0 {
			v.ETag = maybe(r, randString(r))
			v.ChecksumAlgorithm = maybe(r, randString(r))
			v.ChecksumType = maybe(r, randString(r))
			if r.IntN(3) != 0 {
				size := randInt(r)
				v.Size = &size
			}
			v.StorageClass = maybe(r, randString(r))
		}
		res.Entries = append(res.Entries, v)
	}
	return res
}

func randUploads(r *rand.Rand) *listMultipartUploadsResult {
	res := &listMultipartUploadsResult{
		Bucket: randString(r), KeyMarker: randString(r), UploadIDMarker: randString(r),
		NextKeyMarker: randString(r), NextUploadIDMarker: randString(r), Delimiter: maybe(r, randString(r)),
		Prefix: randString(r), MaxUploads: int(randInt(r)), IsTruncated: r.IntN(2) == 0,
		EncodingType: maybe(r, randString(r)), CommonPrefixes: randPrefixes(r),
	}
	for n := r.IntN(4); n > 0; n-- {
		res.Uploads = append(res.Uploads, uploadXML{
			Key: randString(r), UploadID: randString(r), Initiator: randOwner(r), Owner: randOwner(r),
			StorageClass: randString(r), Initiated: randString(r),
			ChecksumAlgorithm: maybe(r, randString(r)), ChecksumType: maybe(r, randString(r)),
		})
	}
	return res
}

func randParts(r *rand.Rand) *listPartsResult {
	res := &listPartsResult{
		Bucket: randString(r), Key: randString(r), UploadID: randString(r),
		PartNumberMarker: int(randInt(r)), NextPartNumberMarker: int(randInt(r)), MaxParts: int(randInt(r)),
		IsTruncated: r.IntN(2) == 0, Initiator: randOwner(r), Owner: randOwner(r), StorageClass: randString(r),
		ChecksumAlgorithm: maybe(r, randString(r)), ChecksumType: maybe(r, randString(r)),
	}
	for n := r.IntN(4); n > 0; n-- {
		res.Parts = append(res.Parts, partXML{
			PartNumber: int(randInt(r)), LastModified: randString(r), ETag: randString(r), Size: randInt(r),
			checksumXML: checksumXML{
				ChecksumCRC32: maybe(r, randString(r)), ChecksumCRC32C: maybe(r, randString(r)),
				ChecksumCRC64NVME: maybe(r, randString(r)), ChecksumSHA1: maybe(r, randString(r)),
				ChecksumSHA256: maybe(r, randString(r)), ChecksumMD5: maybe(r, randString(r)),
				ChecksumSHA512: maybe(r, randString(r)), ChecksumXXHASH64: maybe(r, randString(r)),
				ChecksumXXHASH3: maybe(r, randString(r)), ChecksumXXHASH128: maybe(r, randString(r)),
			},
		})
	}
	return res
}

func TestAppendXMLMatchesEncodeXML(t *testing.T) {
	// Zero values: every omitempty unset, every slice empty.
	for _, v := range []appender{&listBucketResult{}, &listBucketV2Result{}, &listVersionsResult{},
		&listMultipartUploadsResult{}, &listPartsResult{}} {
		checkSameXML(t, v)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var v appender
		switch i % 5 {
		case 0:
			v = randListV1(r)
		case 1:
			v = randListV2(r)
		case 2:
			v = randVersions(r)
		case 3:
			v = randUploads(r)
		case 4:
			v = randParts(r)
		}
		checkSameXML(t, v)
		if t.Failed() {
			return
		}
	}
}

// TestAppendEscapedPieces checks the escaper on each piece alone and after
// and before safe text, against encoding/xml's EscapeText (plus &quot;).
func TestAppendEscapedPieces(t *testing.T) {
	for _, p := range pieces {
		for _, s := range []string{p, "ab" + p, p + "cd", "x" + p + p + "y"} {
			checkEscape(t, s)
		}
	}
	for c := range 256 {
		checkEscape(t, string([]byte{byte(c)}))
		checkEscape(t, "a"+string([]byte{byte(c)})+"b")
	}
}

func checkEscape(t *testing.T, s string) {
	t.Helper()
	var want bytes.Buffer
	if err := xml.EscapeText(&want, []byte(s)); err != nil {
		t.Fatal(err)
	}
	w := bytes.ReplaceAll(want.Bytes(), []byte("&#34;"), []byte("&quot;"))
	if got := appendEscaped(nil, s); !bytes.Equal(got, w) {
		t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, w)
	}
}

// TestListRawXMLResponse checks the handler path: Content-Length and body
// of a listing rendered into a pooled buffer, twice over (so the second
// reuses the first's buffer).
func TestListRawXMLResponse(t *testing.T) {
	be := &cannedBackend{}
	for i := range 50 {
		be.list.Objects = append(be.list.Objects, objectInfoForBench(i))
	}
	for range 2 {
		rec := serveCanned(t, be, httptest.NewRequest("GET", "/bkt?list-type=2&fetch-owner=true&max-keys=50", nil))
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if cl := rec.Header().Get("Content-Length"); cl != fmt.Sprint(rec.Body.Len()) {
			t.Fatalf("Content-Length %s, body %d bytes", cl, rec.Body.Len())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/xml" {
			t.Fatalf("Content-Type %q", ct)
		}
		var res listBucketV2Result
		if err := xml.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Contents) != 50 || res.Contents[49].Key != be.list.Objects[49].Key || res.Contents[0].Owner == nil {
			t.Fatalf("round trip lost data: %d contents", len(res.Contents))
		}
	}
}

func FuzzAppendXML(f *testing.F) {
	f.Add("photos/2026/IMG_0001.jpg", `"d41d8cd98f00b204e9800998ecf8427e"`, "dir/", int64(1234), uint8(0xff))
	f.Add("a<b>&'\"c", "\t\n\r\x00", "\xff\xed\xa0\x80\ufffe\uffff", int64(-1), uint8(0))
	f.Add("日本/🙂", "&#34;&quot;", "", int64(0), uint8(0x55))
	f.Fuzz(func(t *testing.T, key, s, prefix string, n int64, flags uint8) {
		checkEscape(t, key)
		bit := func(i uint) bool { return flags&(1<<i) != 0 }
		opt := func(i uint, v string) string {
			if bit(i) {
				return v
			}
			return ""
		}
		var owner *ownerXML
		if bit(0) {
			owner = &ownerXML{ID: s, DisplayName: opt(1, key)}
		}
		obj := objectXML{Key: key, LastModified: s, ETag: s, ChecksumAlgorithm: opt(2, s), ChecksumType: opt(3, key),
			Size: n, StorageClass: prefix, Owner: owner}
		cps := []commonPrefixXML{{Prefix: prefix}, {Prefix: key}}
		checkSameXML(t, &listBucketResult{Name: s, Prefix: prefix, Marker: key, NextMarker: opt(4, key),
			MaxKeys: int(n), Delimiter: opt(5, s), IsTruncated: bit(6), EncodingType: opt(7, s),
			Contents: []objectXML{obj, obj}, CommonPrefixes: cps})
		checkSameXML(t, &listBucketV2Result{Name: s, Prefix: prefix, ContinuationToken: opt(1, s),
			NextContinuationToken: opt(2, key), StartAfter: opt(3, key), KeyCount: int(n), MaxKeys: int(-n),
			Delimiter: opt(4, prefix), EncodingType: opt(5, s), IsTruncated: bit(6),
			Contents: []objectXML{obj}, CommonPrefixes: cps})
		size := n
		version := versionEntryXML{Element: "Version", Key: key, VersionID: s, IsLatest: bit(1), LastModified: prefix,
			ETag: opt(2, s), ChecksumAlgorithm: opt(3, key), ChecksumType: opt(4, s), Size: &size,
			StorageClass: opt(5, prefix), Owner: owner}
		marker := versionEntryXML{Element: "DeleteMarker", Key: key, VersionID: prefix, IsLatest: bit(7),
			LastModified: s, Owner: owner}
		checkSameXML(t, &listVersionsResult{Name: prefix, Prefix: key, KeyMarker: s, VersionIDMarker: key,
			NextKeyMarker: opt(6, s), NextVersionIDMarker: opt(7, key), MaxKeys: int(n), Delimiter: opt(0, s),
			EncodingType: opt(1, prefix), IsTruncated: bit(2), Entries: []versionEntryXML{marker, version, marker},
			CommonPrefixes: cps})
		o := ownerXML{ID: key, DisplayName: opt(3, s)}
		checkSameXML(t, &listMultipartUploadsResult{Bucket: s, KeyMarker: key, UploadIDMarker: s,
			NextKeyMarker: prefix, NextUploadIDMarker: key, Delimiter: opt(0, s), Prefix: prefix,
			MaxUploads: int(n), IsTruncated: bit(1), EncodingType: opt(2, key),
			Uploads: []uploadXML{{Key: key, UploadID: s, Initiator: o, Owner: o, StorageClass: prefix,
				Initiated: s, ChecksumAlgorithm: opt(4, key), ChecksumType: opt(5, s)}},
			CommonPrefixes: cps})
		checkSameXML(t, &listPartsResult{Bucket: s, Key: key, UploadID: prefix, PartNumberMarker: int(n),
			NextPartNumberMarker: int(n) + 1, MaxParts: 1000, IsTruncated: bit(3),
			Parts: []partXML{{PartNumber: int(n), LastModified: s, ETag: key, Size: n,
				checksumXML: checksumXML{ChecksumCRC32: opt(4, s), ChecksumSHA256: opt(5, key)}}},
			Initiator: o, Owner: o, StorageClass: s, ChecksumAlgorithm: opt(6, key), ChecksumType: opt(7, s)})
	})
}

// objectInfoForBench is the i-th object of a typical listing.
func objectInfoForBench(i int) objects.ObjectInfo {
	return objects.ObjectInfo{
		Key:          fmt.Sprintf("2026/01/02/IMG_%06d.jpg", i),
		Size:         int64(1<<20 + i*7919),
		ETag:         fmt.Sprintf("%032x", uint64(i)*0x9E3779B97F4A7C15),
		LastModified: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC).Add(time.Duration(i) * time.Second),
		Owner:        "u-alice",
	}
}

// benchListV2 is a full ListObjectsV2 page as the handler builds it:
// 1,000 keys, no owners (fetch-owner is off by default).
func benchListV2() *listBucketV2Result {
	res := &listBucketV2Result{Name: "photos", Prefix: "2026/", KeyCount: 1000, MaxKeys: 1000, IsTruncated: true,
		NextContinuationToken: encodeToken("2026/01/02/IMG_000999.jpg")}
	enc := listEncoder(false)
	objs := make([]objects.ObjectInfo, 1000)
	for i := range objs {
		objs[i] = objectInfoForBench(i)
	}
	res.Contents = enc.objects(objs, nil)
	return res
}

func BenchmarkListV2XML(b *testing.B) {
	res := benchListV2()
	want, _ := encodeXML(res)
	if got := res.appendXML(nil); !bytes.Equal(got, want) {
		b.Fatal("appendXML differs from encodeXML")
	}
	b.Run("encodeXML", func(b *testing.B) {
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeXML(res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendXML", func(b *testing.B) { // as the handler does: pooled buffer
		b.SetBytes(int64(len(want)))
		b.ReportAllocs()
		for b.Loop() {
			putXMLBuf(res.appendXML(getXMLBuf()))
		}
	})
}
