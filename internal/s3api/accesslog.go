package s3api

import (
	"crypto/tls"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Server access log records, in S3's format: one line per request, fields
// separated by spaces, "-" for a field that is unknown or does not apply.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html

// logRecord is one access log record, field by field in the format's order.
type logRecord struct {
	BucketOwner    string
	Bucket         string
	Time           time.Time
	RemoteIP       string
	Requester      string
	RequestID      string
	Operation      string
	Key            string // as requested; written URL-encoded
	RequestURI     string // "GET /bucket/key?x HTTP/1.1"
	Status         int
	ErrorCode      string
	BytesSent      int64 // <= 0: "-"
	ObjectSize     int64 // < 0: "-"
	TotalTime      int64 // milliseconds; < 0: "-"
	TurnAroundTime int64 // milliseconds; < 0: "-"
	Referer        string
	UserAgent      string
	VersionID      string
	HostID         string
	SigVersion     string
	CipherSuite    string
	AuthType       string
	HostHeader     string
	TLSVersion     string
	AccessPointARN string
	ACLRequired    string
}

// logTimeFormat is strftime's [%d/%b/%Y:%H:%M:%S %z].
const logTimeFormat = "[02/Jan/2006:15:04:05 -0700]"

// appendTo appends the record's line, with its newline.
func (l *logRecord) appendTo(b []byte) []byte {
	field := func(v string) {
		if v == "" {
			v = "-"
		}
		b = append(b, v...)
		b = append(b, ' ')
	}
	quoted := func(v string) {
		b = append(b, '"')
		if v == "" {
			b = append(b, '-')
		}
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '?') // a record is one line
			default:
				b = append(b, c)
			}
		}
		b = append(b, '"', ' ')
	}
	num := func(n int64, dashBelow int64) {
		if n < dashBelow {
			field("")
			return
		}
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
	}
	field(l.BucketOwner)
	field(l.Bucket)
	b = l.Time.UTC().AppendFormat(b, logTimeFormat)
	b = append(b, ' ')
	field(l.RemoteIP)
	field(l.Requester)
	field(l.RequestID)
	field(l.Operation)
	field(logKey(l.Key))
	quoted(l.RequestURI)
	num(int64(l.Status), 1)
	field(l.ErrorCode)
	num(l.BytesSent, 1)
	num(l.ObjectSize, 0)
	num(l.TotalTime, 0)
	num(l.TurnAroundTime, 0)
	quoted(l.Referer)
	quoted(l.UserAgent)
	field(l.VersionID)
	field(l.HostID)
	field(l.SigVersion)
	field(l.CipherSuite)
	field(l.AuthType)
	field(l.HostHeader)
	field(l.TLSVersion)
	field(l.AccessPointARN)
	field(l.ACLRequired)
	b[len(b)-1] = '\n'
	return b
}

// logKey URL-encodes a key for the Key field: every byte but unreserved
// characters and '/' is %XX, so the field holds no space.
func logKey(key string) string {
	if key == "" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}

// logOperations names each operation as S3's logs do: REST.<method>.<resource>.
var logOperations = map[OpKind]string{
	OpCreateBucket:                  "REST.PUT.BUCKET",
	OpHeadBucket:                    "REST.HEAD.BUCKET",
	OpDeleteBucket:                  "REST.DELETE.BUCKET",
	OpGetBucketLocation:             "REST.GET.LOCATION",
	OpGetBucketVersioning:           "REST.GET.VERSIONING",
	OpPutBucketVersioning:           "REST.PUT.VERSIONING",
	OpGetBucketAcl:                  "REST.GET.ACL",
	OpPutBucketAcl:                  "REST.PUT.ACL",
	OpListObjects:                   "REST.GET.BUCKET",
	OpListObjectsV2:                 "REST.GET.BUCKET",
	OpListObjectVersions:            "REST.GET.BUCKETVERSIONS",
	OpListMultipartUploads:          "REST.GET.UPLOADS",
	OpDeleteObjects:                 "REST.POST.MULTI_OBJECT_DELETE",
	OpPutObject:                     "REST.PUT.OBJECT",
	OpCopyObject:                    "REST.COPY.OBJECT",
	OpGetObject:                     "REST.GET.OBJECT",
	OpHeadObject:                    "REST.HEAD.OBJECT",
	OpDeleteObject:                  "REST.DELETE.OBJECT",
	OpGetObjectAcl:                  "REST.GET.ACL",
	OpPutObjectAcl:                  "REST.PUT.ACL",
	OpPutObjectTagging:              "REST.PUT.OBJECT_TAGGING",
	OpGetObjectTagging:              "REST.GET.OBJECT_TAGGING",
	OpDeleteObjectTagging:           "REST.DELETE.OBJECT_TAGGING",
	OpGetObjectAttributes:           "REST.GET.OBJECT_ATTRIBUTES",
	OpCreateMultipartUpload:         "REST.POST.UPLOADS",
	OpUploadPart:                    "REST.PUT.PART",
	OpUploadPartCopy:                "REST.COPY.PART",
	OpCompleteMultipartUpload:       "REST.POST.UPLOAD",
	OpAbortMultipartUpload:          "REST.DELETE.UPLOAD",
	OpListParts:                     "REST.GET.UPLOAD",
	OpGetBucketPolicy:               "REST.GET.BUCKETPOLICY",
	OpPutBucketPolicy:               "REST.PUT.BUCKETPOLICY",
	OpDeleteBucketPolicy:            "REST.DELETE.BUCKETPOLICY",
	OpGetBucketEncryption:           "REST.GET.ENCRYPTION",
	OpPutBucketEncryption:           "REST.PUT.ENCRYPTION",
	OpDeleteBucketEncryption:        "REST.DELETE.ENCRYPTION",
	OpGetBucketCors:                 "REST.GET.CORS",
	OpPutBucketCors:                 "REST.PUT.CORS",
	OpDeleteBucketCors:              "REST.DELETE.CORS",
	OpGetBucketTagging:              "REST.GET.TAGGING",
	OpPutBucketTagging:              "REST.PUT.TAGGING",
	OpDeleteBucketTagging:           "REST.DELETE.TAGGING",
	OpGetBucketLogging:              "REST.GET.LOGGING_STATUS",
	OpPutBucketLogging:              "REST.PUT.LOGGING_STATUS",
	OpGetBucketOwnershipControls:    "REST.GET.OWNERSHIP_CONTROLS",
	OpPutBucketOwnershipControls:    "REST.PUT.OWNERSHIP_CONTROLS",
	OpDeleteBucketOwnershipControls: "REST.DELETE.OWNERSHIP_CONTROLS",
	OpGetPublicAccessBlock:          "REST.GET.PUBLIC_ACCESS_BLOCK",
	OpPutPublicAccessBlock:          "REST.PUT.PUBLIC_ACCESS_BLOCK",
	OpDeletePublicAccessBlock:       "REST.DELETE.PUBLIC_ACCESS_BLOCK",
	OpGetBucketPolicyStatus:         "REST.GET.POLICY_STATUS",
	OpPostObject:                    "REST.POST.OBJECT",
	OpPreflight:                     "REST.OPTIONS.PREFLIGHT",
}

// logOperation is the Operation field of a request.
func logOperation(op Op, method string) string {
	if name, ok := logOperations[op.Kind]; ok {
		return name
	}
	if op.Key != "" {
		return "REST." + method + ".OBJECT"
	}
	return "REST." + method + ".BUCKET"
}

// newLogRecord builds the record of a finished request on a bucket with
// logging on (v) and renders it.
func newLogRecord(r *http.Request, ri *requestInfo, w *statusWriter, err error, v *bucketView, now time.Time) []byte {
	l := logRecord{
		BucketOwner: v.owner,
		Bucket:      ri.Op.Bucket,
		Time:        ri.Start,
		RemoteIP:    sourceIP(r),
		Requester:   ri.Principal.UserID,
		RequestID:   ri.ID,
		Operation:   logOperation(ri.Op, r.Method),
		Key:         ri.Op.Key,
		RequestURI:  r.Method + " " + r.RequestURI + " " + r.Proto,
		Status:      w.code(),
		BytesSent:   w.bytes,
		ObjectSize:  -1,
		TotalTime:   now.Sub(ri.Start).Milliseconds(),
		Referer:     r.Referer(),
		UserAgent:   r.UserAgent(),
		VersionID:   w.Header().Get("X-Amz-Version-Id"),
		HostID:      ri.HostID,
		HostHeader:  r.Host,
	}
	l.TurnAroundTime = -1
	if !ri.Served.IsZero() {
		l.TurnAroundTime = ri.Served.Sub(ri.Start).Milliseconds()
	}
	if err != nil {
		if e, _ := lookupError(err); e.Code != "" {
			l.ErrorCode = e.Code
		}
	}
	if l.VersionID == "" {
		l.VersionID = ri.Op.VersionID
	}
	l.ObjectSize = logObjectSize(r, ri, w)
	switch {
	case ri.Auth != nil:
		l.SigVersion = "SigV4"
	case ri.Principal.UserID != "" && isSigV2(r):
		l.SigVersion = "SigV2"
	}
	if ri.Principal.UserID != "" {
		l.AuthType = "AuthHeader"
		q := r.URL.Query()
		if q.Has("X-Amz-Signature") || q.Has("Signature") {
			l.AuthType = "QueryString"
		}
	}
	if r.TLS != nil {
		l.CipherSuite = tls.CipherSuiteName(r.TLS.CipherSuite)
		l.TLSVersion = logTLSVersion(r.TLS.Version)
	}
	return l.appendTo(make([]byte, 0, 512))
}

// logObjectSize is the size of the object a request read or wrote, -1 when
// it is not an object read or write.
func logObjectSize(r *http.Request, ri *requestInfo, w *statusWriter) int64 {
	switch ri.Op.Kind {
	case OpGetObject, OpHeadObject:
		h := w.Header()
		if cr := h.Get("Content-Range"); cr != "" {
			if i := strings.LastIndexByte(cr, '/'); i >= 0 {
				if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
					return n
				}
			}
		}
		if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && w.code() < 300 {
			return n
		}
	case OpPutObject, OpUploadPart:
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
		if r.ContentLength >= 0 {
			return r.ContentLength
		}
	}
	return -1
}

func logTLSVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return ""
}
