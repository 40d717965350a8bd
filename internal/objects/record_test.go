package objects

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"testing"

	"coffer/internal/checksum"
)

func sampleRecord() *versionRecord {
	return &versionRecord{flags: flagNull, Seq: 1234567890123, VID: "", Size: 42, ETag: "abc-2",
		Meta:     Metadata{ContentType: "text/plain", StorageClass: "STANDARD", User: map[string]string{"a": "b"}},
		Tags:     []Tag{{"k", "v"}},
		Checksum: checksum.Value{Algorithm: checksum.CRC32, Type: checksum.TypeComposite, Base64: "AAAAAA==-2"},
		Parts:    []PartInfo{{Number: 1, Size: 40, ETag: "e1"}, {Number: 2, Size: 2, ETag: "e2"}},
		Blobs:    []blobRef{{ID: "b1", Size: 40}, {ID: "b2", Size: 2}},
		Owner:    "user-1", inline: nil}
}

func TestVersionRecordRoundTrip(t *testing.T) {
	v := sampleRecord()
	got, err := decodeVersion(v.encode(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, v)
	}
	l, err := decodeListing(v.encode())
	if err != nil {
		t.Fatal(err)
	}
	if l.Seq != v.Seq || l.Size != v.Size || l.ETag != v.ETag || l.Owner != v.Owner || l.versionID() != "null" ||
		l.Checksum.Algorithm != v.Checksum.Algorithm || l.Checksum.Type != v.Checksum.Type || l.Meta.StorageClass != "STANDARD" {
		t.Fatalf("listing header: %+v", l)
	}
	inl := &versionRecord{Seq: 9, VID: "vid", Size: 3, ETag: "e", inline: []byte("xyz")}
	got, err = decodeVersion(inl.encode(), true)
	if err != nil || string(got.inline) != "xyz" || got.VID != "vid" {
		t.Fatalf("inline: %+v %v", got, err)
	}
	if _, err := decodeListing(inl.encode()[:5]); err == nil {
		t.Fatal("truncated record decoded")
	}
}

// A schema-1 record (no listing header) still decodes, fully and for listings.
func TestVersionRecordSchema1(t *testing.T) {
	v := sampleRecord()
	js, _ := json.Marshal(v)
	old := []byte{1, v.flags}
	old = binary.AppendUvarint(old, uint64(len(js)))
	old = append(old, js...)
	got, err := decodeVersion(old, true)
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("schema 1 full: %+v %v", got, err)
	}
	l, err := decodeListing(old)
	if err != nil || l.ETag != v.ETag || l.Size != v.Size || l.Seq != v.Seq {
		t.Fatalf("schema 1 listing: %+v %v", l, err)
	}
}
