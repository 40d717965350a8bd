package objects

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"coffer/internal/checksum"
)

// Persisted records. Each starts with a schema version byte; decoding an older
// schema migrates it (there is only schema 1 so far).
const recordSchema = 1

// version record flags, kept outside the JSON so scans can skip delete
// markers and find the null version without decoding.
const (
	flagDeleteMarker = 1 << 0
	flagNull         = 1 << 1 // the null version (written while versioning was not Enabled)
	flagInline       = 1 << 2 // data follows the JSON in the record
)

// blobRef is one data file of a version; a version's bytes are the
// concatenation of its blobs in order (one for a plain PUT, one per part for
// a multipart object).
type blobRef struct {
	ID   string `json:"i"`
	Size int64  `json:"s"`
}

// versionRecord is one object version or delete marker.
type versionRecord struct {
	flags byte
	// Seq orders versions of a key and gives LastModified (Unix nanoseconds).
	Seq uint64 `json:"q"`
	// VID is the version id; "" for the null version.
	VID      string         `json:"v,omitempty"`
	Size     int64          `json:"s"`
	ETag     string         `json:"e,omitempty"`
	Meta     Metadata       `json:"m,omitempty"`
	Tags     []Tag          `json:"t,omitempty"`
	Checksum checksum.Value `json:"c,omitempty"`
	Parts    []PartInfo     `json:"p,omitempty"`
	Blobs    []blobRef      `json:"b,omitempty"`
	Owner    string         `json:"o,omitempty"`
	// inline holds the data of a small object (flagInline).
	inline []byte
}

func (v *versionRecord) isDM() bool   { return v.flags&flagDeleteMarker != 0 }
func (v *versionRecord) isNull() bool { return v.flags&flagNull != 0 }

func (v *versionRecord) versionID() string {
	if v.isNull() {
		return NullVersionID
	}
	return v.VID
}

func (v *versionRecord) modTime() time.Time { return time.Unix(0, int64(v.Seq)).UTC() }

func (v *versionRecord) encode() []byte {
	js, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data types: cannot fail
	}
	flags := v.flags &^ flagInline
	if v.inline != nil {
		flags |= flagInline
	}
	out := make([]byte, 0, 2+binary.MaxVarintLen32+len(js)+len(v.inline))
	out = append(out, recordSchema, flags)
	out = binary.AppendUvarint(out, uint64(len(js)))
	out = append(out, js...)
	return append(out, v.inline...)
}

// recordFlags reads the flags of an encoded version record without decoding it.
func recordFlags(b []byte) byte {
	if len(b) < 2 {
		return 0
	}
	return b[1]
}

// decodeVersion decodes a record. The inline data is copied out of b unless
// withData is false (listings), so the result outlives the transaction.
func decodeVersion(b []byte, withData bool) (*versionRecord, error) {
	if len(b) < 3 || b[0] != recordSchema {
		return nil, fmt.Errorf("objects: bad version record (schema %v)", b[:min(len(b), 1)])
	}
	n, w := binary.Uvarint(b[2:])
	if w <= 0 || uint64(len(b)-2-w) < n {
		return nil, fmt.Errorf("objects: truncated version record")
	}
	v := &versionRecord{flags: b[1]}
	js := b[2+w : 2+w+int(n)]
	if err := json.Unmarshal(js, v); err != nil {
		return nil, fmt.Errorf("objects: version record: %w", err)
	}
	if v.flags&flagInline != 0 {
		if withData {
			v.inline = append([]byte{}, b[2+w+int(n):]...)
		} else {
			v.inline = []byte{}
		}
	}
	return v, nil
}

func (v *versionRecord) info(bucket, key string, latest bool) ObjectInfo {
	return ObjectInfo{
		Bucket: bucket, Key: key, VersionID: v.versionID(), IsLatest: latest,
		DeleteMarker: v.isDM(), Size: v.Size, ETag: v.ETag, LastModified: v.modTime(),
		Meta: v.Meta, Tags: v.Tags, Checksum: v.Checksum, Parts: v.Parts, Owner: v.Owner,
	}
}

// bucketRecord is a bucket.
type bucketRecord struct {
	Schema     int             `json:"_v"`
	ID         uint64          `json:"id"`
	UUID       string          `json:"uuid"`
	Name       string          `json:"name"`
	Tenant     string          `json:"tenant"`
	Created    time.Time       `json:"created"`
	Owner      string          `json:"owner,omitempty"`
	Versioning VersioningState `json:"versioning,omitempty"`
	Region     string          `json:"region,omitempty"`
	QuotaBytes int64           `json:"quota,omitempty"`
	// Comment is free text set by the management plane (ONTAP comment).
	Comment string `json:"comment,omitempty"`
	// Policy is the bucket policy as canonical AWS policy JSON, or nil. The
	// object layer stores it opaquely; package core validates and parses it.
	Policy json.RawMessage `json:"policy,omitempty"`
}

func (b *bucketRecord) info() BucketInfo {
	return BucketInfo{Tenant: b.Tenant, Name: b.Name, ID: b.ID, UUID: b.UUID, Created: b.Created,
		Owner: b.Owner, Versioning: b.Versioning, Region: b.Region, QuotaBytes: b.QuotaBytes,
		Comment: b.Comment, Policy: append([]byte(nil), b.Policy...)}
}

// uploadRecord is a pending multipart upload.
type uploadRecord struct {
	Schema    int                `json:"_v"`
	Initiated time.Time          `json:"i"`
	Owner     string             `json:"o,omitempty"`
	Meta      Metadata           `json:"m,omitempty"`
	Tags      []Tag              `json:"t,omitempty"`
	Algorithm checksum.Algorithm `json:"a,omitempty"`
	Type      checksum.Type      `json:"ct,omitempty"`
}

// partRecord is an uploaded part; its data is one blob or inline.
type partRecord struct {
	Schema int `json:"_v"`
	PartInfo
	Blob   string `json:"b,omitempty"`
	Inline []byte `json:"d,omitempty"`
}

// usageRecord is a bucket's usage (folded 'Q' or a 'D' delta).
type usageRecord struct {
	Bytes   int64 `json:"b"`
	Objects int64 `json:"o"`
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
