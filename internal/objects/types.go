package objects

import (
	"io"
	"time"

	"coffer/internal/checksum"
)

// VersioningState is a bucket's versioning configuration. The zero value is
// "never enabled" (S3 answers an empty VersioningConfiguration).
type VersioningState string

const (
	VersioningUnset     VersioningState = ""
	VersioningEnabled   VersioningState = "Enabled"
	VersioningSuspended VersioningState = "Suspended"
)

// NullVersionID is the version id S3 shows for the null version.
const NullVersionID = "null"

// BucketInfo describes a bucket.
type BucketInfo struct {
	Tenant     string
	Name       string
	ID         uint64
	UUID       string
	Created    time.Time
	Owner      string // user id of the creator
	Versioning VersioningState
	Region     string
	// QuotaBytes is a hard limit on the logical bytes of every version and
	// pending part in the bucket; 0 means none.
	QuotaBytes int64
	// UsedBytes and Objects are the bucket's usage counters (every version).
	UsedBytes int64
	Objects   int64
	// Comment is the management plane's free text.
	Comment string
	// Policy is the bucket policy (canonical AWS JSON), nil when none.
	Policy []byte
	// Configs are the bucket's sub-resource configurations by name (see
	// PutBucketConfig); absent names are not configured.
	Configs map[string][]byte
	// ObjectLock is the bucket's Object Lock configuration (zero: disabled).
	ObjectLock ObjectLockConfig
}

// CreateBucketInput creates a bucket in a tenant.
type CreateBucketInput struct {
	Tenant     string
	Name       string
	Owner      string
	Region     string
	Versioning VersioningState
	QuotaBytes int64
	Comment    string
	// Policy is the bucket policy (canonical AWS JSON), nil for none. The
	// object layer does not interpret it.
	Policy []byte
	// Configs are sub-resource configurations the bucket starts with (see
	// PutBucketConfig), e.g. its ACL and ownership from CreateBucket.
	Configs map[string][]byte
	// ObjectLock, when set, creates the bucket with Object Lock enabled
	// (and so versioning Enabled) and this default retention.
	ObjectLock *ObjectLockConfig
}

// BucketUpdate changes a bucket's settings in one transaction; nil fields
// stay as they are.
type BucketUpdate struct {
	Comment *string
	// QuotaBytes: 0 removes the quota.
	QuotaBytes *int64
	// Versioning: Enabled or Suspended (never back to unset).
	Versioning *VersioningState
	// Policy: a non-nil pointer to nil deletes the policy.
	Policy *[]byte
	// ObjectLock enables Object Lock and sets the default retention (see
	// PutObjectLockConfig).
	ObjectLock *ObjectLockConfig
}

// ListBucketsInput pages through a tenant's buckets in name order.
type ListBucketsInput struct {
	Tenant     string
	Prefix     string
	After      string // exclusive start (continuation)
	MaxBuckets int    // <= 0: all
	// Filter, when set, keeps only the buckets it returns true for (the
	// caller's authorization), before paging is applied.
	Filter func(BucketInfo) bool
}

// ListBucketsOutput is one page of buckets.
type ListBucketsOutput struct {
	Buckets []BucketInfo
	// Next is the name to pass as After for the next page ("" when done).
	Next string
}

// Metadata is the caller-set metadata of an object.
type Metadata struct {
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	User               map[string]string `json:"um,omitempty"` // x-amz-meta-* without the prefix, lower-case names
	StorageClass       string            `json:"sc,omitempty"`
}

// Tag is one object tag.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Conditions are HTTP preconditions on the current object (GET/HEAD/COPY
// source) or on the object a write would replace (PUT/Complete: only
// IfMatch and IfNoneMatch, where IfNoneMatch "*" means "must not exist").
// ETags are compared without quotes; "*" matches any existing object.
type Conditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   *time.Time
	IfUnmodifiedSince *time.Time
}

// IsZero reports whether no condition is set.
func (c Conditions) IsZero() bool {
	return c.IfMatch == "" && c.IfNoneMatch == "" && c.IfModifiedSince == nil && c.IfUnmodifiedSince == nil
}

// PartInfo describes one part of a multipart upload or multipart object.
type PartInfo struct {
	Number       int            `json:"n"`
	Size         int64          `json:"s"`
	ETag         string         `json:"e"` // hex MD5, no quotes
	LastModified time.Time      `json:"m"`
	Checksum     checksum.Value `json:"c,omitempty"`
	// Encryption is the upload's encryption, reported by UploadPart and
	// UploadPartCopy for the response headers (not stored with the part).
	Encryption EncryptionInfo `json:"-"`
}

// ObjectInfo describes one object version (or delete marker).
type ObjectInfo struct {
	Bucket       string
	Key          string
	VersionID    string // "null" for the null version
	IsLatest     bool
	DeleteMarker bool
	Size         int64
	ETag         string // no quotes; "hex" or "hex-N" for multipart
	LastModified time.Time
	Meta         Metadata
	Tags         []Tag
	Checksum     checksum.Value
	// Parts is set for objects completed from a multipart upload.
	Parts []PartInfo
	Owner string
	// Versioned reports that the bucket's versioning is Enabled or
	// Suspended, so S3 shows version ids (x-amz-version-id, "null").
	Versioned bool
	// Lock is the version's Object Lock retention and legal hold.
	Lock LockInfo
	// Encryption is how the version's data is encrypted at rest.
	Encryption EncryptionInfo
}

// ByteRange is a parsed HTTP Range: bytes=Start-End, bytes=Start-, or
// bytes=-Suffix. The object layer resolves it against the object's size.
type ByteRange struct {
	Start, End int64 // End < 0: to the end
	Suffix     int64 // > 0: the last Suffix bytes; Start/End unused
}

// PutInput stores one object from a body.
type PutInput struct {
	Tenant, Bucket, Key string
	// Body yields exactly the object's bytes; a verification failure surfaces
	// as a Read error, which aborts the write.
	Body *checksum.Reader
	// Size is the expected length (Content-Length or the decoded length), or -1.
	Size int64
	Meta Metadata
	Tags []Tag
	// Lock is the Object Lock the write asks for (x-amz-object-lock-*).
	Lock LockSpec
	Cond Conditions
	// Owner is the id of the user writing the object.
	Owner string
	// ACL is the new version's encoded ACL (versionRecord.ACL), nil for
	// the default.
	ACL []byte
	// Encryption is the requested server-side encryption; none applies the
	// bucket's default encryption.
	Encryption Encryption
}

// GetInput selects an object version and what of it to read.
type GetInput struct {
	Tenant, Bucket, Key string
	VersionID           string // "" = latest
	PartNumber          int    // > 0: only that part
	Range               *ByteRange
	Cond                Conditions
	// Encryption carries the customer key (SSE-C) that an SSE-C object
	// requires; other modes need nothing to read.
	Encryption Encryption
	// MetadataOnly reads what S3 shows of an SSE-C object without its key
	// (its ACL, its attributes): no body, no customer key check.
	MetadataOnly bool
}

// GetOutput is an object to serve. Body is nil for HEAD.
type GetOutput struct {
	Info ObjectInfo
	// Start and Length are the served byte range (Length == Info.Size and
	// Start == 0 for a whole object). Partial reports a Range or PartNumber.
	Start, Length int64
	Partial       bool
	// PartsCount is set when the object is multipart.
	PartsCount int
	// Body streams the range. Its WriteTo uses sendfile when it can.
	Body io.ReadCloser
}

// DeleteInput deletes an object or one version.
type DeleteInput struct {
	Tenant, Bucket, Key string
	VersionID           string
	// IfMatch, when set, must match the current version's ETag.
	IfMatch string
	// IfMatchSize and IfMatchLastModified, when set, must match the current
	// version's size and last-modified time (to the second); unlike
	// IfMatch, a missing key satisfies them (a 204, as S3 answers).
	IfMatchSize         *int64
	IfMatchLastModified *time.Time
	// BypassGovernance lets the delete remove a version under a Governance
	// retention: the caller asked to bypass and holds the permission.
	BypassGovernance bool
}

// DeleteOutput reports what a delete did.
type DeleteOutput struct {
	VersionID    string // the version deleted, or the delete marker created
	DeleteMarker bool   // a delete marker was created, or the version deleted was one
}

// CopyInput copies an object version into a new object.
type CopyInput struct {
	SrcTenant, SrcBucket, SrcKey, SrcVersionID string
	SrcCond                                    Conditions
	Tenant, Bucket, Key                        string
	// ReplaceMeta takes Meta instead of the source's (MetadataDirective REPLACE).
	ReplaceMeta bool
	Meta        Metadata
	// ReplaceTags takes Tags instead of the source's (TaggingDirective REPLACE).
	ReplaceTags bool
	Tags        []Tag
	// Lock is the copy's Object Lock (the source's is never copied).
	Lock LockSpec
	// ChecksumAlgorithm, when set, is the checksum to compute for the copy.
	ChecksumAlgorithm checksum.Algorithm
	Cond              Conditions
	// Owner is the id of the user writing the copy.
	Owner string
	// ACL is the copy's encoded ACL; a copy never inherits the source's.
	ACL []byte
	// Encryption is the copy's requested encryption (the source's is not
	// inherited; none applies the destination bucket's default).
	Encryption Encryption
	// SrcEncryption carries the source's customer key when it is SSE-C.
	SrcEncryption Encryption
}

// CopyOutput is the new object and the source version that was read.
type CopyOutput struct {
	Info         ObjectInfo
	SrcVersionID string
}

// ListInput lists current objects (ListObjects v1 and v2).
type ListInput struct {
	Tenant, Bucket string
	Prefix         string
	Delimiter      string
	// After is an exclusive start key (marker, start-after or a decoded
	// continuation token); listing begins after it.
	After   string
	MaxKeys int // 0 lists nothing; the adapter applies S3's default of 1000
}

// ListOutput is one page of a listing, in key order; CommonPrefixes are
// interleaved with keys in S3's order and counted against MaxKeys.
type ListOutput struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextAfter is the last key or common prefix returned, to resume after.
	NextAfter string
}

// ListVersionsInput lists every version and delete marker.
type ListVersionsInput struct {
	Tenant, Bucket  string
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
	// WithTags fills each version's Tags (a listing otherwise leaves them
	// out); the lifecycle job needs them for tag filters.
	WithTags bool
}

// ListVersionsOutput is one page of versions, keys ascending, each key's
// versions newest first.
type ListVersionsOutput struct {
	Versions            []ObjectInfo // DeleteMarker set for markers
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// CreateUploadInput starts a multipart upload.
type CreateUploadInput struct {
	Tenant, Bucket, Key string
	Meta                Metadata
	Tags                []Tag
	// Lock is the Object Lock the completed object gets.
	Lock              LockSpec
	ChecksumAlgorithm checksum.Algorithm
	ChecksumType      checksum.Type
	// Owner is the id of the user starting the upload.
	Owner string
	// ACL is the completed object's encoded ACL, nil for the default.
	ACL []byte
	// Encryption is the requested encryption of the object (every part is
	// encrypted under one data key); none applies the bucket's default.
	Encryption Encryption
}

// UploadInfo describes a pending multipart upload.
type UploadInfo struct {
	Bucket, Key       string
	UploadID          string
	Initiated         time.Time
	Owner             string
	Meta              Metadata
	ChecksumAlgorithm checksum.Algorithm
	ChecksumType      checksum.Type
	Encryption        EncryptionInfo
}

// UploadPartInput stores one part from a body.
type UploadPartInput struct {
	Tenant, Bucket, Key, UploadID string
	PartNumber                    int
	Body                          *checksum.Reader
	Size                          int64
	// Encryption carries the customer key of an SSE-C upload.
	Encryption Encryption
}

// UploadPartCopyInput stores one part copied from an object (range).
type UploadPartCopyInput struct {
	Tenant, Bucket, Key, UploadID              string
	PartNumber                                 int
	SrcTenant, SrcBucket, SrcKey, SrcVersionID string
	SrcCond                                    Conditions
	SrcRange                                   *ByteRange
	// Encryption carries the customer key of an SSE-C upload;
	// SrcEncryption the source's, when it is SSE-C.
	Encryption, SrcEncryption Encryption
}

// CompletedPart is one entry of CompleteMultipartUpload's body.
type CompletedPart struct {
	Number   int
	ETag     string // quotes allowed
	Checksum string // base64 of the upload's algorithm, optional
}

// CompleteInput completes a multipart upload.
type CompleteInput struct {
	Tenant, Bucket, Key, UploadID string
	Parts                         []CompletedPart
	Cond                          Conditions
	// FullObjectChecksum is an optional client-supplied full-object checksum
	// (x-amz-checksum-<alg> on the Complete request) to verify.
	FullObjectChecksum string
}

// ListPartsInput pages through an upload's parts.
type ListPartsInput struct {
	Tenant, Bucket, Key, UploadID string
	PartNumberMarker              int
	MaxParts                      int
}

// ListPartsOutput is one page of parts.
type ListPartsOutput struct {
	Upload               UploadInfo
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListUploadsInput pages through a bucket's pending uploads.
type ListUploadsInput struct {
	Tenant, Bucket string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsOutput is one page of uploads, by key then initiation.
type ListUploadsOutput struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// SSEMode is a server-side encryption mode, spelled as S3 names it in
// x-amz-server-side-encryption (SSEC has no such value: S3 signals it with
// the x-amz-server-side-encryption-customer-* headers).
type SSEMode string

const (
	SSENone    SSEMode = ""
	SSES3      SSEMode = "AES256"       // keys managed by Coffer's KMS, default key
	SSEKMS     SSEMode = "aws:kms"      // a named KMS key
	SSEKMSDSSE SSEMode = "aws:kms:dsse" // accepted and handled as aws:kms
	SSEC       SSEMode = "SSE-C"        // a key the customer sends with every request
)

// IsKMS reports the modes whose data key comes from a named KMS key.
func (m SSEMode) IsKMS() bool { return m == SSEKMS || m == SSEKMSDSSE }

// Encryption is a request's server-side encryption parameters, as the
// adapter parsed them (the object layer decides what is done with them).
type Encryption struct {
	Mode SSEMode
	// KMSKeyID names the KMS key of SSE-KMS ("" is the default key).
	KMSKeyID string
	// KMSContext is the SSE-KMS encryption context as sent (base64 of a
	// JSON object), "" for none; it is bound to the data key and echoed.
	KMSContext string
	// BucketKey is S3's bucket-key flag: accepted, stored and echoed (every
	// version still has its own data key).
	BucketKey bool
	// CustomerKey is the SSE-C key (32 bytes) and CustomerKeyMD5 its MD5
	// as sent (base64), echoed in responses. Never stored.
	CustomerKey    []byte
	CustomerKeyMD5 string
}

// EncryptionInfo describes how a stored version (or upload) is encrypted.
type EncryptionInfo struct {
	Mode       SSEMode
	KMSKeyID   string
	KMSContext string
	BucketKey  bool
}

// BucketEncryption is a bucket's default encryption (PutBucketEncryption),
// stored under ConfigEncryption in the JSON form Encode writes. It applies
// to writes that ask for no encryption.
type BucketEncryption struct {
	Algorithm SSEMode `json:"alg"` // SSES3, SSEKMS or SSEKMSDSSE
	KMSKeyID  string  `json:"kms,omitempty"`
	BucketKey bool    `json:"bk,omitempty"`
}
