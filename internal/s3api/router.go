package s3api

import (
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"coffer/internal/errs"
)

// OpKind is an S3 operation.
type OpKind int

// The operations the adapter understands.
const (
	OpUnknown OpKind = iota
	OpListBuckets
	OpCreateBucket
	OpHeadBucket
	OpDeleteBucket
	OpGetBucketLocation
	OpGetBucketVersioning
	OpPutBucketVersioning
	OpGetBucketAcl
	OpListObjects
	OpListObjectsV2
	OpListObjectVersions
	OpListMultipartUploads
	OpDeleteObjects
	OpPutObject
	OpCopyObject
	OpGetObject
	OpHeadObject
	OpDeleteObject
	OpGetObjectAcl
	OpPutObjectTagging
	OpGetObjectTagging
	OpDeleteObjectTagging
	OpGetObjectAttributes
	// Object Lock (objectlock.go).
	OpGetObjectLockConfiguration
	OpPutObjectLockConfiguration
	OpGetObjectRetention
	OpPutObjectRetention
	OpGetObjectLegalHold
	OpPutObjectLegalHold
	OpCreateMultipartUpload
	OpUploadPart
	OpUploadPartCopy
	OpCompleteMultipartUpload
	OpAbortMultipartUpload
	OpListParts
	OpGetBucketPolicy
	OpPutBucketPolicy
	OpDeleteBucketPolicy
	OpPutBucketAcl
	OpPutObjectAcl
	OpGetBucketEncryption
	OpPutBucketEncryption
	OpDeleteBucketEncryption
	OpGetBucketCors
	OpPutBucketCors
	OpDeleteBucketCors
	OpGetBucketTagging
	OpPutBucketTagging
	OpDeleteBucketTagging
	OpGetBucketLogging
	OpPutBucketLogging
	OpGetBucketOwnershipControls
	OpPutBucketOwnershipControls
	OpDeleteBucketOwnershipControls
	OpGetPublicAccessBlock
	OpPutPublicAccessBlock
	OpDeletePublicAccessBlock
	OpGetBucketPolicyStatus
	OpGetBucketLifecycleConfiguration
	OpPutBucketLifecycleConfiguration
	OpDeleteBucketLifecycle
	// OpPostObject is a browser-based upload (POST with a multipart/form-data
	// body); it is authenticated by its signed policy, not by headers.
	OpPostObject
	// OpPreflight is a CORS preflight (OPTIONS); it is never authenticated.
	OpPreflight
	numOps
)

// opInfo names each operation as AWS does, with its IAM action and, when
// addressing a specific version needs a different permission, that action.
var opInfo = [numOps]struct{ name, action, versionAction string }{
	OpUnknown:                 {"Unknown", "", ""},
	OpListBuckets:             {"ListBuckets", "s3:ListAllMyBuckets", ""},
	OpCreateBucket:            {"CreateBucket", "s3:CreateBucket", ""},
	OpHeadBucket:              {"HeadBucket", "s3:ListBucket", ""},
	OpDeleteBucket:            {"DeleteBucket", "s3:DeleteBucket", ""},
	OpGetBucketLocation:       {"GetBucketLocation", "s3:GetBucketLocation", ""},
	OpGetBucketVersioning:     {"GetBucketVersioning", "s3:GetBucketVersioning", ""},
	OpPutBucketVersioning:     {"PutBucketVersioning", "s3:PutBucketVersioning", ""},
	OpGetBucketAcl:            {"GetBucketAcl", "s3:GetBucketAcl", ""},
	OpListObjects:             {"ListObjects", "s3:ListBucket", ""},
	OpListObjectsV2:           {"ListObjectsV2", "s3:ListBucket", ""},
	OpListObjectVersions:      {"ListObjectVersions", "s3:ListBucketVersions", ""},
	OpListMultipartUploads:    {"ListMultipartUploads", "s3:ListBucketMultipartUploads", ""},
	OpDeleteObjects:           {"DeleteObjects", "s3:DeleteObject", ""},
	OpPutObject:               {"PutObject", "s3:PutObject", ""},
	OpCopyObject:              {"CopyObject", "s3:PutObject", ""},
	OpGetObject:               {"GetObject", "s3:GetObject", "s3:GetObjectVersion"},
	OpHeadObject:              {"HeadObject", "s3:GetObject", "s3:GetObjectVersion"},
	OpDeleteObject:            {"DeleteObject", "s3:DeleteObject", "s3:DeleteObjectVersion"},
	OpGetObjectAcl:            {"GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"},
	OpPutObjectTagging:        {"PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"},
	OpGetObjectTagging:        {"GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"},
	OpDeleteObjectTagging:     {"DeleteObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"},
	OpGetObjectAttributes:     {"GetObjectAttributes", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"},
	OpCreateMultipartUpload:   {"CreateMultipartUpload", "s3:PutObject", ""},
	OpUploadPart:              {"UploadPart", "s3:PutObject", ""},
	OpUploadPartCopy:          {"UploadPartCopy", "s3:PutObject", ""},
	OpCompleteMultipartUpload: {"CompleteMultipartUpload", "s3:PutObject", ""},
	OpAbortMultipartUpload:    {"AbortMultipartUpload", "s3:AbortMultipartUpload", ""},
	OpListParts:               {"ListParts", "s3:ListMultipartUploadParts", ""},
	OpGetBucketPolicy:         {"GetBucketPolicy", "s3:GetBucketPolicy", ""},
	OpPutBucketPolicy:         {"PutBucketPolicy", "s3:PutBucketPolicy", ""},
	OpDeleteBucketPolicy:      {"DeleteBucketPolicy", "s3:DeleteBucketPolicy", ""},
	OpPutBucketAcl:            {"PutBucketAcl", "s3:PutBucketAcl", ""},
	OpPutObjectAcl:            {"PutObjectAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"},

	// Object Lock's permissions cover every version (AWS has no *Version* variants).
	OpGetObjectLockConfiguration: {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", ""},
	OpPutObjectLockConfiguration: {"PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", ""},
	OpGetObjectRetention:         {"GetObjectRetention", "s3:GetObjectRetention", ""},
	OpPutObjectRetention:         {"PutObjectRetention", "s3:PutObjectRetention", ""},
	OpGetObjectLegalHold:         {"GetObjectLegalHold", "s3:GetObjectLegalHold", ""},
	OpPutObjectLegalHold:         {"PutObjectLegalHold", "s3:PutObjectLegalHold", ""},

	// AWS names the permissions of the Delete* configuration operations
	// after the Put* ones: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
	OpGetBucketEncryption:           {"GetBucketEncryption", "s3:GetEncryptionConfiguration", ""},
	OpPutBucketEncryption:           {"PutBucketEncryption", "s3:PutEncryptionConfiguration", ""},
	OpDeleteBucketEncryption:        {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration", ""},
	OpGetBucketCors:                 {"GetBucketCors", "s3:GetBucketCORS", ""},
	OpPutBucketCors:                 {"PutBucketCors", "s3:PutBucketCORS", ""},
	OpDeleteBucketCors:              {"DeleteBucketCors", "s3:PutBucketCORS", ""},
	OpGetBucketTagging:              {"GetBucketTagging", "s3:GetBucketTagging", ""},
	OpPutBucketTagging:              {"PutBucketTagging", "s3:PutBucketTagging", ""},
	OpDeleteBucketTagging:           {"DeleteBucketTagging", "s3:PutBucketTagging", ""},
	OpGetBucketLogging:              {"GetBucketLogging", "s3:GetBucketLogging", ""},
	OpPutBucketLogging:              {"PutBucketLogging", "s3:PutBucketLogging", ""},
	OpGetBucketOwnershipControls:    {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", ""},
	OpPutBucketOwnershipControls:    {"PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", ""},
	OpDeleteBucketOwnershipControls: {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", ""},
	OpGetPublicAccessBlock:          {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", ""},
	OpPutPublicAccessBlock:          {"PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", ""},
	OpDeletePublicAccessBlock:       {"DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", ""},
	OpGetBucketPolicyStatus:         {"GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", ""},
	OpPostObject:                    {"PostObject", "s3:PutObject", ""},
	OpPreflight:                     {"PreflightRequest", "", ""},

	// Lifecycle (lifecycle.go).
	OpGetBucketLifecycleConfiguration: {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", ""},
	OpPutBucketLifecycleConfiguration: {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", ""},
	OpDeleteBucketLifecycle:           {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", ""},
}

// String is the operation's AWS name, e.g. "PutObject".
func (k OpKind) String() string {
	if k < 0 || k >= numOps {
		return "Unknown"
	}
	return opInfo[k].name
}

// Op is one parsed S3 request: what to do, and to what.
type Op struct {
	Kind   OpKind
	Bucket string // "" for service-level operations
	Key    string // "" for bucket-level operations
	// VersionID is the versionId query parameter ("null" addresses the null version).
	VersionID  string
	UploadID   string
	PartNumber int // partNumber query parameter, 0 when absent
	// CopySource is set for CopyObject and UploadPartCopy.
	CopySource *CopySource
	// Query is the parsed query string, for the handlers' remaining parameters.
	Query url.Values
}

// CopySource is a parsed x-amz-copy-source header.
type CopySource struct {
	Bucket, Key, VersionID string
}

// Action is the IAM action the request needs on Bucket/Key, e.g.
// "s3:GetObjectVersion" for a GetObject that names a version.
func (o Op) Action() string {
	if o.Kind < 0 || o.Kind >= numOps {
		return ""
	}
	in := opInfo[o.Kind]
	if o.VersionID != "" && in.versionAction != "" {
		return in.versionAction
	}
	return in.action
}

// ParseRequest maps a request to an Op from its method, Host, path, query
// and headers; it reads no body and does no I/O. domain enables
// virtual-hosted-style addressing (bucket.<domain>[:port]) when not empty.
// On error the returned Op still carries whatever bucket and key were parsed,
// for the error response.
func ParseRequest(r *http.Request, domain string) (Op, error) {
	return parseOp(r.Method, r.Host, r.URL.EscapedPath(), r.URL.RawQuery, r.Header, domain)
}

func parseOp(method, host, escapedPath, rawQuery string, h http.Header, domain string) (Op, error) {
	var op Op
	bucket, rawKey := splitPath(host, escapedPath, domain)
	var err error
	if op.Bucket, err = url.PathUnescape(bucket); err != nil {
		return op, errs.New(errs.InvalidArgument, "the request path is not validly URL-encoded")
	}
	if op.Key, err = url.PathUnescape(rawKey); err != nil {
		return op, errs.New(errs.InvalidArgument, "the request path is not validly URL-encoded")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return op, errs.New(errs.InvalidArgument, "the query string is malformed")
	}
	op.Query = q
	if err := parseIDs(&op, q); err != nil {
		return op, err
	}
	switch {
	case op.Bucket == "":
		if op.Key != "" { // "//key": no bucket but a key
			return op, errs.New(errs.InvalidBucketName, "the request names a key but no bucket")
		}
		if method != http.MethodGet {
			return op, errs.New(errs.MethodNotAllowed, "the specified method is not allowed against the service")
		}
		op.Kind = OpListBuckets
		return op, nil
	case op.Key == "":
		return op, routeBucket(&op, method, q)
	default:
		return op, routeObject(&op, method, q, h)
	}
}

// splitPath returns the escaped bucket and key parts of a request.
func splitPath(host, escapedPath, domain string) (bucket, key string) {
	p := strings.TrimPrefix(escapedPath, "/")
	if b, ok := virtualHostBucket(host, domain); ok {
		return b, p
	}
	// Commvault addresses S3 as /S3/bucket/key. Bucket names are lower-case,
	// so a first segment of exactly "S3" is never a bucket.
	if p == "S3" {
		return "", ""
	}
	if rest, ok := strings.CutPrefix(p, "S3/"); ok {
		p = rest
	}
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// virtualHostBucket extracts the bucket from Host = bucket.<domain>[:port].
func virtualHostBucket(host, domain string) (string, bool) {
	if domain == "" {
		return "", false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	b, ok := strings.CutSuffix(host, "."+strings.ToLower(domain))
	if !ok || b == "" {
		return "", false
	}
	return b, true
}

func parseIDs(op *Op, q url.Values) error {
	if vs, ok := q["versionId"]; ok {
		if vs[0] == "" {
			return errs.Field(errs.InvalidArgument, "versionId", "Version id cannot be the empty string")
		}
		op.VersionID = vs[0]
	}
	if vs, ok := q["uploadId"]; ok {
		if vs[0] == "" {
			return errs.Field(errs.InvalidArgument, "uploadId", "Upload id cannot be the empty string")
		}
		op.UploadID = vs[0]
	}
	if vs, ok := q["partNumber"]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < 1 || n > 10000 {
			return errs.Field(errs.InvalidArgument, "partNumber", "Part number must be an integer between 1 and 10000, inclusive")
		}
		op.PartNumber = n
	}
	return nil
}

// Sub-resources Coffer does not implement. A request naming one fails with
// NotImplemented rather than being mistaken for a plain bucket or object
// operation (a PUT ?policy must never create a bucket).
var (
	bucketSubresources = []string{
		"accelerate", "acl", "analytics", "cors", "encryption", "intelligent-tiering",
		"inventory", "lifecycle", "logging", "metadataConfiguration", "metadataTable",
		"metrics", "notification", "object-lock", "ownershipControls", "policy",
		"policyStatus", "publicAccessBlock", "replication", "requestPayment", "session",
		"tagging", "website",
	}
	objectSubresources = []string{
		"acl", "legal-hold", "renameObject", "restore", "retention", "select", "torrent",
	}
)

func unsupported(method string, q url.Values, names []string, what string) error {
	var found []string
	for _, n := range names {
		if _, ok := q[n]; ok {
			found = append(found, n)
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.Strings(found)
	return errs.New(errs.NotImplemented, "%s on the %s sub-resource ?%s is not implemented", method, what, found[0])
}

// bucketConfigOps maps a bucket sub-resource to its GET, PUT and DELETE
// operations (OpUnknown: the method is not allowed on it).
var bucketConfigOps = []struct {
	sub              string
	get, put, delete OpKind
}{
	{"encryption", OpGetBucketEncryption, OpPutBucketEncryption, OpDeleteBucketEncryption},
	{"object-lock", OpGetObjectLockConfiguration, OpPutObjectLockConfiguration, OpUnknown},
	{"cors", OpGetBucketCors, OpPutBucketCors, OpDeleteBucketCors},
	{"tagging", OpGetBucketTagging, OpPutBucketTagging, OpDeleteBucketTagging},
	{"logging", OpGetBucketLogging, OpPutBucketLogging, OpUnknown},
	{"ownershipControls", OpGetBucketOwnershipControls, OpPutBucketOwnershipControls, OpDeleteBucketOwnershipControls},
	{"publicAccessBlock", OpGetPublicAccessBlock, OpPutPublicAccessBlock, OpDeletePublicAccessBlock},
	{"policyStatus", OpGetBucketPolicyStatus, OpUnknown, OpUnknown},
	{"lifecycle", OpGetBucketLifecycleConfiguration, OpPutBucketLifecycleConfiguration, OpDeleteBucketLifecycle},
}

// routeBucketConfig routes a request on one of bucketConfigOps; ok is false
// when the request names none of them.
func routeBucketConfig(op *Op, method string, q url.Values) (ok bool, err error) {
	for _, c := range bucketConfigOps {
		if _, has := q[c.sub]; !has {
			continue
		}
		k := OpUnknown
		switch method {
		case http.MethodGet:
			k = c.get
		case http.MethodPut:
			k = c.put
		case http.MethodDelete:
			k = c.delete
		}
		if k == OpUnknown {
			return true, errs.New(errs.MethodNotAllowed, "the specified method is not allowed against this resource")
		}
		op.Kind = k
		return true, nil
	}
	return false, nil
}

func routeBucket(op *Op, method string, q url.Values) error {
	has := func(k string) bool { _, ok := q[k]; return ok }
	if method == http.MethodOptions {
		op.Kind = OpPreflight
		return nil
	}
	if method != http.MethodPost {
		if ok, err := routeBucketConfig(op, method, q); ok {
			return err
		}
	}
	switch method {
	case http.MethodGet:
		switch {
		case has("location"):
			op.Kind = OpGetBucketLocation
		case has("versioning"):
			op.Kind = OpGetBucketVersioning
		case has("acl"):
			op.Kind = OpGetBucketAcl
		case has("versions"):
			op.Kind = OpListObjectVersions
		case has("uploads"):
			op.Kind = OpListMultipartUploads
		case has("policy"):
			op.Kind = OpGetBucketPolicy
		default:
			if err := unsupported(method, q, bucketSubresources, "bucket"); err != nil {
				return err
			}
			switch q.Get("list-type") {
			case "":
				op.Kind = OpListObjects
			case "2":
				op.Kind = OpListObjectsV2
			default:
				return errs.Field(errs.InvalidArgument, "list-type", "Invalid list type specified in Request")
			}
		}
	case http.MethodHead:
		op.Kind = OpHeadBucket
	case http.MethodPut:
		if has("versioning") {
			op.Kind = OpPutBucketVersioning
			return nil
		}
		if has("policy") {
			op.Kind = OpPutBucketPolicy
			return nil
		}
		if has("acl") {
			op.Kind = OpPutBucketAcl
			return nil
		}
		if err := unsupported(method, q, bucketSubresources, "bucket"); err != nil {
			return err
		}
		op.Kind = OpCreateBucket
	case http.MethodDelete:
		if has("policy") {
			op.Kind = OpDeleteBucketPolicy
			return nil
		}
		if err := unsupported(method, q, bucketSubresources, "bucket"); err != nil {
			return err
		}
		op.Kind = OpDeleteBucket
	case http.MethodPost:
		if has("delete") {
			op.Kind = OpDeleteObjects
			return nil
		}
		if err := unsupported(method, q, bucketSubresources, "bucket"); err != nil {
			return err
		}
		// POST Object: https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
		op.Kind = OpPostObject
	default:
		return errs.New(errs.MethodNotAllowed, "the specified method is not allowed against this resource")
	}
	return nil
}

func routeObject(op *Op, method string, q url.Values, h http.Header) error {
	has := func(k string) bool { _, ok := q[k]; return ok }
	switch method {
	case http.MethodOptions:
		op.Kind = OpPreflight
	case http.MethodGet:
		switch {
		case op.UploadID != "":
			op.Kind = OpListParts
		case has("tagging"):
			op.Kind = OpGetObjectTagging
		case has("attributes"):
			op.Kind = OpGetObjectAttributes
		case has("acl"):
			op.Kind = OpGetObjectAcl
		case has("retention"):
			op.Kind = OpGetObjectRetention
		case has("legal-hold"):
			op.Kind = OpGetObjectLegalHold
		default:
			if err := unsupported(method, q, objectSubresources, "object"); err != nil {
				return err
			}
			op.Kind = OpGetObject
		}
	case http.MethodHead:
		op.Kind = OpHeadObject
	case http.MethodPut:
		if has("acl") {
			op.Kind = OpPutObjectAcl
			return nil
		}
		if has("retention") {
			op.Kind = OpPutObjectRetention
			return nil
		}
		if has("legal-hold") {
			op.Kind = OpPutObjectLegalHold
			return nil
		}
		if err := unsupported(method, q, objectSubresources, "object"); err != nil {
			return err
		}
		copySrc := h.Get("X-Amz-Copy-Source")
		switch {
		case has("tagging"):
			op.Kind = OpPutObjectTagging
			return nil
		case op.UploadID != "" || op.PartNumber != 0:
			if op.UploadID == "" || op.PartNumber == 0 {
				return errs.New(errs.InvalidArgument, "UploadPart needs both partNumber and uploadId")
			}
			op.Kind = OpUploadPart
			if copySrc != "" {
				op.Kind = OpUploadPartCopy
			}
		case copySrc != "":
			op.Kind = OpCopyObject
		default:
			op.Kind = OpPutObject
			return nil
		}
		if copySrc != "" {
			src, err := parseCopySource(copySrc)
			if err != nil {
				return err
			}
			op.CopySource = src
		}
	case http.MethodPost:
		switch {
		case has("uploads"):
			op.Kind = OpCreateMultipartUpload
		case op.UploadID != "":
			op.Kind = OpCompleteMultipartUpload
		default:
			if err := unsupported(method, q, objectSubresources, "object"); err != nil {
				return err
			}
			return errs.New(errs.MethodNotAllowed, "POST is not allowed on an object without ?uploads or ?uploadId")
		}
	case http.MethodDelete:
		switch {
		case op.UploadID != "":
			op.Kind = OpAbortMultipartUpload
		case has("tagging"):
			op.Kind = OpDeleteObjectTagging
		default:
			if err := unsupported(method, q, objectSubresources, "object"); err != nil {
				return err
			}
			op.Kind = OpDeleteObject
		}
	default:
		return errs.New(errs.MethodNotAllowed, "the specified method is not allowed against this resource")
	}
	return nil
}

// parseCopySource parses x-amz-copy-source: a URL-encoded "bucket/key",
// optionally with a leading '/' and a "?versionId=" suffix.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_RequestSyntax
func parseCopySource(v string) (*CopySource, error) {
	bad := errs.Field(errs.InvalidArgument, "x-amz-copy-source",
		"Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	path, query, hasQuery := strings.Cut(strings.TrimPrefix(v, "/"), "?")
	path, err := url.PathUnescape(path)
	if err != nil {
		return nil, bad
	}
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return nil, bad
	}
	src := &CopySource{Bucket: bucket, Key: key}
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, bad
		}
		if vs, ok := q["versionId"]; ok {
			if vs[0] == "" {
				return nil, errs.Field(errs.InvalidArgument, "x-amz-copy-source", "Version id cannot be the empty string")
			}
			src.VersionID = vs[0]
		}
	}
	return src, nil
}
