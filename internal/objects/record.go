package objects

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"coffer/internal/checksum"
)

// Persisted records. Each starts with a schema version byte; decoding an older
// schema migrates it.
//
// Version records, schema 2:
//
//	[2][flags][listing header][uvarint len][JSON of versionRecord][inline data]
//
// The listing header repeats, in a compact binary form, the fields a listing
// shows (seq, size, version id, ETag, owner, checksum algorithm and type,
// storage class), so listings never decode JSON. Schema 1 had no header;
// such records still decode, through their JSON.
//
// Schema 3 is schema 2 for an encrypted version (its JSON has "x", the
// encRecord): a binary that predates encryption refuses such a record
// instead of serving its ciphertext as the object. Unencrypted versions are
// still written as schema 2.
const (
	recordSchema          = 2
	recordSchemaEncrypted = 3
)

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
	Size int64  `json:"s"` // the plaintext size
	// IV is the nonce base of an encrypted blob's stream; its file then
	// holds sse.SealedSize(Size) bytes, recorded in CSize.
	IV    []byte `json:"n,omitempty"`
	CSize int64  `json:"cs,omitempty"`
}

// versionRecord is one object version or delete marker.
type versionRecord struct {
	flags byte
	// Seq orders versions of a key and gives LastModified (Unix nanoseconds).
	Seq uint64 `json:"q"`
	// VID is the version id; "" for the null version.
	VID string `json:"v,omitempty"`
	// Lock is the version's Object Lock retention and legal hold (lock.go),
	// nil when it has none.
	Lock     *lockRecord    `json:"lk,omitempty"`
	Size     int64          `json:"s"`
	ETag     string         `json:"e,omitempty"`
	Meta     Metadata       `json:"m,omitempty"`
	Tags     []Tag          `json:"t,omitempty"`
	Checksum checksum.Value `json:"c,omitempty"`
	Parts    []PartInfo     `json:"p,omitempty"`
	Blobs    []blobRef      `json:"b,omitempty"`
	Owner    string         `json:"o,omitempty"`
	// ACL is the version's access control list, encoded by its owner (the
	// S3 adapter, package acl); nil is the default: the owner has
	// FULL_CONTROL.
	ACL []byte `json:"acl,omitempty"`
	// Enc is how the data is encrypted at rest; nil when it is not. Size
	// and Blobs[].Size are then plaintext sizes, inline the ciphertext.
	Enc *encRecord `json:"x,omitempty"`
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

func (v *versionRecord) encode() []byte { return v.appendEncode(nil) }

// appendEncode appends the encoded record to out (encode's form).
func (v *versionRecord) appendEncode(out []byte) []byte {
	js, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data types: cannot fail
	}
	flags := v.flags &^ flagInline
	if v.inline != nil {
		flags |= flagInline
	}
	out = slices.Grow(out, 64+len(v.ETag)+len(v.VID)+len(v.Owner)+len(js)+len(v.inline))
	schema := byte(recordSchema)
	if v.Enc != nil {
		schema = recordSchemaEncrypted
	}
	out = append(out, schema, flags)
	out = v.appendListingHeader(out)
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

func (v *versionRecord) appendListingHeader(b []byte) []byte {
	b = binary.AppendUvarint(b, v.Seq)
	b = binary.AppendUvarint(b, uint64(v.Size))
	for _, s := range [...]string{v.VID, v.ETag, v.Owner, string(v.Checksum.Algorithm), string(v.Checksum.Type), v.Meta.StorageClass} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

var errTruncated = fmt.Errorf("objects: truncated version record")

// readListingHeader parses a schema-2 listing header into v and returns
// the bytes after it. Strings equal to prev's (when not nil) are taken
// from it rather than allocated again: the records of a listing mostly
// share their owner, storage class and checksum algorithm.
func readListingHeader(b []byte, v, prev *versionRecord) ([]byte, error) {
	var n int
	if v.Seq, n = binary.Uvarint(b); n <= 0 {
		return nil, errTruncated
	}
	b = b[n:]
	size, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errTruncated
	}
	v.Size, b = int64(size), b[n:]
	var strs [6]string
	var old [6]string
	if prev != nil {
		old = [6]string{prev.VID, prev.ETag, prev.Owner, string(prev.Checksum.Algorithm), string(prev.Checksum.Type), prev.Meta.StorageClass}
	}
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errTruncated
		}
		raw := b[n : n+int(l)]
		if string(raw) == old[i] { // compared without a conversion
			strs[i] = old[i]
		} else {
			strs[i] = string(raw)
		}
		b = b[n+int(l):]
	}
	v.VID, v.ETag, v.Owner = strs[0], strs[1], strs[2]
	v.Checksum.Algorithm, v.Checksum.Type = checksum.Algorithm(strs[3]), checksum.Type(strs[4])
	v.Meta.StorageClass = strs[5]
	return b, nil
}

// skipListingHeader returns the bytes after a schema-2 listing header.
func skipListingHeader(b []byte) ([]byte, error) {
	for range 2 {
		if _, n := binary.Uvarint(b); n > 0 {
			b = b[n:]
		} else {
			return nil, errTruncated
		}
	}
	for range 6 {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errTruncated
		}
		b = b[n+int(l):]
	}
	return b, nil
}

// decodeVersion decodes a record. The inline data is copied out of b unless
// withData is false, so the result outlives the transaction.
func decodeVersion(b []byte, withData bool) (*versionRecord, error) {
	return decodeVersionIn(b, withData, false)
}

// decodeVersionIn is decodeVersion; with own, b is the caller's to give
// away (a value kv.MultiGetter returned, which nothing else holds) and the
// inline data is b's tail instead of a copy: a small GET then copies its
// data once, out of the database's reply.
func decodeVersionIn(b []byte, withData, own bool) (*versionRecord, error) {
	if len(b) < 3 || b[0] < 1 || b[0] > recordSchemaEncrypted {
		return nil, fmt.Errorf("objects: bad version record (schema %v)", b[:min(len(b), 1)])
	}
	v := &versionRecord{flags: b[1]}
	rest := b[2:]
	if b[0] >= 2 {
		var err error
		if rest, err = skipListingHeader(rest); err != nil {
			return nil, err
		}
	}
	n, w := binary.Uvarint(rest)
	if w <= 0 || uint64(len(rest)-w) < n {
		return nil, errTruncated
	}
	if js := rest[w : w+int(n)]; !decodeVersionJSON(js, v) {
		*v = versionRecord{flags: b[1]} // what the fast path filled in
		if err := json.Unmarshal(js, v); err != nil {
			return nil, fmt.Errorf("objects: version record: %w", err)
		}
	}
	if v.flags&flagInline != 0 {
		switch {
		case withData && own:
			v.inline = rest[w+int(n) : len(rest) : len(rest)]
		case withData:
			v.inline = append([]byte{}, rest[w+int(n):]...)
		default:
			v.inline = []byte{}
		}
	}
	return v, nil
}

// decodeListing decodes only what a listing shows: no JSON for schema-2
// records. Metadata other than the storage class, tags, parts and blobs are
// left empty.
func decodeListing(b []byte) (*versionRecord, error) {
	if len(b) < 3 || b[0] != recordSchema && b[0] != recordSchemaEncrypted {
		return decodeVersion(b, false)
	}
	v := &versionRecord{flags: b[1]}
	if _, err := readListingHeader(b[2:], v, nil); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *versionRecord) info(bucket, key string, latest bool) ObjectInfo {
	return ObjectInfo{
		Lock:   v.Lock.info(),
		Bucket: bucket, Key: key, VersionID: v.versionID(), IsLatest: latest,
		DeleteMarker: v.isDM(), Size: v.Size, ETag: v.ETag, LastModified: v.modTime(),
		Meta: v.Meta, Tags: v.Tags, Checksum: v.Checksum, Parts: v.Parts, Owner: v.Owner,
		Encryption: v.Enc.info(),
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
	// Configs holds the bucket's sub-resource configurations (encryption,
	// cors, tagging, logging, ownershipControls, publicAccessBlock, acl…) by
	// name. The object layer stores them opaquely; their owners (the S3
	// adapter or the core) encode and validate them.
	Configs map[string][]byte `json:"cfg,omitempty"`
	// Lock is the bucket's Object Lock configuration (lock.go), nil when
	// Object Lock was never enabled.
	Lock *ObjectLockConfig `json:"lock,omitempty"`
}

func (b *bucketRecord) info() BucketInfo {
	return BucketInfo{Tenant: b.Tenant, Name: b.Name, ID: b.ID, UUID: b.UUID, Created: b.Created,
		Owner: b.Owner, Versioning: b.Versioning, Region: b.Region, QuotaBytes: b.QuotaBytes,
		Comment: b.Comment, Policy: append([]byte(nil), b.Policy...), Configs: cloneConfigs(b.Configs),
		ObjectLock: b.lockConfig()}
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
	// Implicit marks an upload created without x-amz-checksum-algorithm:
	// Algorithm is S3's default (CRC64NVME FULL_OBJECT) and its parts may
	// carry a checksum of any algorithm (the SDKs' default CRC32).
	Implicit bool `json:"im,omitempty"`
	// ACL is given to the completed object (versionRecord.ACL).
	ACL []byte `json:"acl,omitempty"`
	// Lock is the Object Lock the upload asked for, given to the completed
	// object (the bucket's default retention applies at completion).
	Lock *LockSpec `json:"lk,omitempty"`
	// Enc holds the object's data key, sealed, when the upload is
	// encrypted; every part is encrypted under it.
	Enc *encRecord `json:"x,omitempty"`
}

// partRecord is an uploaded part; its data is one blob or inline.
type partRecord struct {
	Schema int `json:"_v"`
	PartInfo
	// Combine is the part's checksum in its upload's algorithm when the
	// client sent one of another algorithm (PartInfo.Checksum, echoed and
	// listed): the object's checksum is combined from it.
	Combine checksum.Value `json:"uc,omitzero"`
	Blob    string         `json:"b,omitempty"`
	Inline  []byte         `json:"d,omitempty"`
	// IV and CSize describe an encrypted part's stream (see blobRef).
	IV    []byte `json:"iv,omitempty"`
	CSize int64  `json:"cs,omitempty"`
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

func cloneConfigs(m map[string][]byte) map[string][]byte {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = append([]byte(nil), v...)
	}
	return out
}
