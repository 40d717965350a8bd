package objects

import (
	"bytes"
	"testing"
	"unsafe"
)

// TestDecodeVersionOwnedAliases: a record the caller owns (a value
// kv.MultiGetter returned, readLatestFast's) lends its tail as the inline
// data, no copy; any other record's data is copied (it must outlive the
// transaction whose buffer it sits in). Both read the same bytes.
func TestDecodeVersionOwnedAliases(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	raw := (&versionRecord{ETag: "e", Size: int64(len(data)), VID: "v", inline: data}).encode()
	tail := unsafe.SliceData(raw[len(raw)-len(data):])
	for _, own := range []bool{true, false} {
		v, err := decodeVersionIn(raw, true, own)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v.inline, data) {
			t.Fatalf("own %v: inline data of %d bytes differs from the %d written", own, len(v.inline), len(data))
		}
		if aliased := unsafe.SliceData(v.inline) == tail; aliased != own {
			t.Errorf("own %v: inline data aliases the record: %v", own, aliased)
		}
		if own && cap(v.inline) != len(v.inline) {
			// An append to the data must never write past it into b.
			t.Errorf("inline data has spare capacity %d", cap(v.inline)-len(v.inline))
		}
	}
	// An empty inline object: empty data, not absent.
	raw = (&versionRecord{ETag: "e", VID: "v", inline: []byte{}}).encode()
	if v, err := decodeVersionIn(raw, true, true); err != nil || v.inline == nil || len(v.inline) != 0 {
		t.Errorf("empty inline object: %q (nil %v), %v", v.inline, v.inline == nil, err)
	}
}
