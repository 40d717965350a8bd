package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"

	"coffer/internal/errs"
	"coffer/internal/sigv2"
)

// s3Error is how one errs.Kind appears in S3: the Code element and the
// HTTP status, with the message used when the error carries none.
type s3Error struct {
	Code    string
	Status  int
	Message string
}

// errorTable is THE mapping from the error vocabulary to S3. Every errs.Kind
// has an entry (errors_test.go checks it); an error without a kind, or with
// an unknown one, is an InternalError whose message is never shown.
// Codes and statuses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
var errorTable = map[errs.Kind]s3Error{
	errs.Internal:                {"InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	errs.InvalidArgument:         {"InvalidArgument", http.StatusBadRequest, "Invalid Argument"},
	errs.NotImplemented:          {"NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented."},
	errs.AccessDenied:            {"AccessDenied", http.StatusForbidden, "Access Denied"},
	errs.NoSuchBucket:            {"NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist"},
	errs.NoSuchKey:               {"NoSuchKey", http.StatusNotFound, "The specified key does not exist."},
	errs.NoSuchVersion:           {"NoSuchVersion", http.StatusNotFound, "The specified version does not exist."},
	errs.NoSuchUpload:            {"NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."},
	errs.BucketAlreadyOwnedByYou: {"BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."},
	errs.BucketAlreadyExists:     {"BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available."},
	errs.BucketNotEmpty:          {"BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty"},
	errs.InvalidBucketName:       {"InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid."},
	errs.PreconditionFailed:      {"PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold"},
	errs.InvalidPartNumber:       {"InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"},
	errs.NotModified:             {"NotModified", http.StatusNotModified, "Not Modified"}, // 304: sent without a body
	errs.InvalidRange:            {"InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"},
	errs.InvalidPart:             {"InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."},
	errs.InvalidPartOrder:        {"InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number."},
	errs.EntityTooSmall:          {"EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."},
	errs.EntityTooLarge:          {"EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."},
	errs.BadDigest:               {"BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received."},
	errs.InvalidDigest:           {"InvalidDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified is not valid."},
	errs.MalformedXML:            {"MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema."},
	errs.KeyTooLong:              {"KeyTooLongError", http.StatusBadRequest, "Your key is too long"},
	// QuotaExceeded is not an AWS code (AWS has no hard bucket quotas); 403
	// makes SDKs fail the request at once instead of retrying it.
	errs.QuotaExceeded:         {"QuotaExceeded", http.StatusForbidden, "The bucket or tenant quota would be exceeded by this request."},
	errs.Conflict:              {"ConditionalRequestConflict", http.StatusConflict, "A conflicting operation occurred. If using PutObject you can retry the request."},
	errs.NoSuchTagSet:          {"NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist"},
	errs.InvalidTag:            {"InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag."},
	errs.MethodNotAllowed:      {"MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	errs.InvalidRequest:        {"InvalidRequest", http.StatusBadRequest, "Invalid Request"},
	errs.IncompleteBody:        {"IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	errs.InvalidAccessKeyID:    {"InvalidAccessKeyId", http.StatusForbidden, "The AWS access key Id you provided does not exist in our records."},
	errs.SignatureDoesNotMatch: {"SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	errs.RequestTimeTooSkewed:  {"RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the current time is too large."},
	errs.SignatureExpired:      {"AccessDenied", http.StatusForbidden, "Request has expired"},
	errs.ExpiredToken:          {"ExpiredToken", http.StatusBadRequest, "The provided token has expired."},
	errs.Unauthenticated:       {"AccessDenied", http.StatusForbidden, "Access Denied"},
	errs.ContentSHA256Mismatch: {"XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
	errs.MissingContentLength:  {"MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header."},
	errs.InvalidStorageClass:   {"InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid"},
	errs.NoSuchBucketPolicy:    {"NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist"},
	errs.MalformedPolicy:       {"MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'"},
	errs.ServiceDisabled:       {"AccessDenied", http.StatusForbidden, "The S3 service of this tenant is disabled."},
	// NotFound and AlreadyExists are management-plane kinds; should one reach
	// the S3 path it is shown in the nearest S3 terms.
	errs.NotFound:      {"NoSuchEntity", http.StatusNotFound, "The requested entity does not exist."},
	errs.AlreadyExists: {"EntityAlreadyExists", http.StatusConflict, "The requested entity already exists."},
	errs.InUse:         {"OperationAborted", http.StatusConflict, "The requested entity is in use."},

	errs.KMSKeyNotFound:                {"KMS.NotFoundException", http.StatusBadRequest, "Invalid keyId"},
	errs.InvalidEncryptionAlgorithm:    {"InvalidEncryptionAlgorithmError", http.StatusBadRequest, "The encryption request you specified is not valid. The valid value is AES256."},
	errs.NoSuchEncryptionConfiguration: {"ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found"},
	errs.NoSuchCORSConfiguration:       {"NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist"},
	errs.CORSForbidden:                 {"AccessForbidden", http.StatusForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."},
	errs.NoSuchPublicAccessBlock:       {"NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found"},
	errs.NoSuchOwnershipControls:       {"OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found"},
	errs.AccessControlListNotSupported: {"AccessControlListNotSupported", http.StatusBadRequest, "The bucket does not allow ACLs"},
	errs.InvalidPolicyDocument:         {"InvalidPolicyDocument", http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document."},
	errs.RequestTimeout:                {"RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."},
	errs.UnresolvableGrantByEmail:      {"UnresolvableGrantByEmailAddress", http.StatusBadRequest, "The e-mail address you provided does not match any account on record."},
	errs.MalformedACL:                  {"MalformedACLError", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema"},
	errs.InvalidBucketACLWithOwnership: {"InvalidBucketAclWithObjectOwnership", http.StatusBadRequest, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
	errs.InvalidTargetBucketForLogging: {"InvalidTargetBucketForLogging", http.StatusBadRequest, "The target bucket for logging does not exist, is not owned by you, or does not have the appropriate grants for the log-delivery group."},
	errs.MissingSecurityHeader:         {"MissingSecurityHeader", http.StatusBadRequest, "Your request was missing a required header."},
	errs.InvalidSecurity:               {"InvalidRequest", http.StatusBadRequest, "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."},
	errs.MalformedPOSTRequest:          {"MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data."},
	errs.BadRequest:                    {"BadRequest", http.StatusBadRequest, "Bad Request"},
	// Object Lock: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
	errs.InvalidBucketState:              {"InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket."},
	errs.ObjectLockConfigurationNotFound: {"ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket"},
	errs.NoSuchObjectLockConfiguration:   {"NoSuchObjectLockConfiguration", http.StatusNotFound, "The specified object does not have a ObjectLock configuration"},
	// The metadata store (a shared PostgreSQL) is unreachable or too slow.
	// SDKs retry SlowDown with backoff, which is what the client should do.
	errs.Unavailable:                  {"SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate."},
	errs.NoSuchLifecycleConfiguration: {"NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist"},
}

// lookupError maps err to its S3 code and status. The second result is false
// for errors that map to InternalError, whose message must not be shown.
func lookupError(err error) (s3Error, bool) {
	k := errs.KindOf(err)
	e, ok := errorTable[k]
	if !ok || k == errs.Internal {
		return errorTable[errs.Internal], false
	}
	return e, true
}

// errorBody is S3's error document. It has no namespace.
type errorBody struct {
	XMLName      xml.Name `xml:"Error"`
	Code         string   `xml:"Code"`
	Message      string   `xml:"Message"`
	BucketName   string   `xml:"BucketName,omitempty"`
	Key          string   `xml:"Key,omitempty"`
	ArgumentName string   `xml:"ArgumentName,omitempty"`
	Resource     string   `xml:"Resource"`
	RequestID    string   `xml:"RequestId"`
	HostID       string   `xml:"HostId"`

	// The signature details AWS adds to SignatureDoesNotMatch (sigv2.Mismatch).
	AWSAccessKeyID    string `xml:"AWSAccessKeyId,omitempty"`
	StringToSign      string `xml:"StringToSign,omitempty"`
	SignatureProvided string `xml:"SignatureProvided,omitempty"`
	StringToSignBytes string `xml:"StringToSignBytes,omitempty"`
}

// newErrorBody builds the error document for err. Messages of known kinds
// are the caller-facing text of the error; internal errors get AWS's generic
// text.
func newErrorBody(err error, op Op, resource, requestID, hostID string) (errorBody, int) {
	e, known := lookupError(err)
	body := errorBody{Code: e.Code, Message: e.Message, Resource: resource, RequestID: requestID, HostID: hostID}
	if known {
		if m := errs.Message(err); m != "" {
			body.Message = m
		}
		var ee *errs.Error
		if errors.As(err, &ee) && errs.KindOf(err) == errs.InvalidArgument {
			body.ArgumentName = ee.Field
		}
		var sm *sigv2.Mismatch
		if errors.As(err, &sm) && errs.KindOf(err) == errs.SignatureDoesNotMatch {
			body.AWSAccessKeyID, body.StringToSign, body.SignatureProvided = sm.AccessKey, sm.StringToSign, sm.SignatureProvided
			body.StringToSignBytes = spacedHex([]byte(sm.StringToSign))
		}
		switch errs.KindOf(err) {
		case errs.NoSuchBucket, errs.BucketAlreadyExists, errs.BucketAlreadyOwnedByYou, errs.BucketNotEmpty, errs.InvalidBucketName:
			body.BucketName = op.Bucket
		case errs.NoSuchKey, errs.NoSuchVersion, errs.KeyTooLong:
			body.Key = op.Key
		}
	}
	return body, e.Status
}

// spacedHex is AWS's StringToSignBytes: each byte in lower-case hex,
// separated by spaces.
func spacedHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
