package s3api

import (
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// storageClasses are the x-amz-storage-class values S3 accepts. Coffer has
// one tier; the class is stored and reported back, nothing more.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
	"OUTPOSTS": true, "SNOW": true, "EXPRESS_ONEZONE": true,
}

// metadataFromHeaders reads the caller-set metadata of a PUT, a
// CreateMultipartUpload or a CopyObject with REPLACE.
func metadataFromHeaders(h http.Header) (objects.Metadata, error) {
	m := objects.Metadata{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Get("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	if sc := h.Get("X-Amz-Storage-Class"); sc != "" {
		if !storageClasses[sc] {
			return m, errs.Field(errs.InvalidStorageClass, "x-amz-storage-class", "The storage class you specified is not valid")
		}
		m.StorageClass = sc
	}
	for name, vals := range h {
		lower := strings.ToLower(name)
		if k, ok := strings.CutPrefix(lower, "x-amz-meta-"); ok && k != "" {
			if m.User == nil {
				m.User = map[string]string{}
			}
			m.User[k] = strings.Join(vals, ",")
		}
	}
	return m, nil
}

// stripAWSChunked removes "aws-chunked" from a Content-Encoding list: it
// describes the transfer framing, not the stored object.
func stripAWSChunked(v string) string {
	if v == "" {
		return ""
	}
	if strings.EqualFold(strings.TrimSpace(v), "aws-chunked") { // what SDKs send: nothing to keep
		return ""
	}
	var keep []string
	for p := range strings.SplitSeq(v, ",") {
		p = strings.TrimSpace(p)
		if p != "" && !strings.EqualFold(p, "aws-chunked") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

// tagsFromHeader parses x-amz-tagging: URL query encoding, "k1=v1&k2=v2".
func tagsFromHeader(v string) ([]objects.Tag, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	bad := errs.Field(errs.InvalidArgument, "x-amz-tagging",
		"The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	if err != nil {
		return nil, bad
	}
	tags := make([]objects.Tag, 0, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, bad
		}
		tags = append(tags, objects.Tag{Key: k, Value: vs[0]})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, validateTags(tags)
}

// normalizeETags strips quotes (and weak markers) from an If-Match or
// If-None-Match value, leaving "*" and comma-separated lists as lists.
func normalizeETags(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		p = strings.TrimPrefix(p, "W/")
		parts[i] = strings.Trim(p, `"`)
	}
	return strings.Join(parts, ",")
}

// readConditions parses RFC 7232 preconditions named prefix+"Match",
// prefix+"None-Match", prefix+"Modified-Since", prefix+"Unmodified-Since":
// prefix "If-" for GET/HEAD, "X-Amz-Copy-Source-If-" for a copy source.
// An unparsable date is ignored, as AWS does.
func readConditions(h http.Header, prefix string) objects.Conditions {
	names := &getConditionNames
	if prefix != names[0] {
		names = &[5]string{prefix, prefix + "Match", prefix + "None-Match", prefix + "Modified-Since", prefix + "Unmodified-Since"}
	}
	var c objects.Conditions
	if v := h.Get(names[1]); v != "" {
		c.IfMatch = normalizeETags(v)
	}
	if v := h.Get(names[2]); v != "" {
		c.IfNoneMatch = normalizeETags(v)
	}
	parse := func(name string) *time.Time {
		v := h.Get(name)
		if v == "" { // most requests: no parse attempt (and its error) at all
			return nil
		}
		if t, err := http.ParseTime(v); err == nil {
			return &t
		}
		return nil
	}
	c.IfModifiedSince = parse(names[3])
	c.IfUnmodifiedSince = parse(names[4])
	return c
}

// getConditionNames are the header names of a GET's preconditions, built
// once rather than per request.
var getConditionNames = [5]string{"If-", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}

// writeConditions parses the preconditions of PutObject and
// CompleteMultipartUpload: If-None-Match "*" (the object must not exist; any
// other value is NotImplemented, as in AWS) and If-Match.
func writeConditions(h http.Header) (objects.Conditions, error) {
	var c objects.Conditions
	if v := h.Get("If-None-Match"); v != "" {
		if strings.TrimSpace(v) != "*" {
			return c, errs.Field(errs.NotImplemented, "If-None-Match",
				"A header you provided implies functionality that is not implemented: If-None-Match accepts only *")
		}
		c.IfNoneMatch = "*"
	}
	if v := h.Get("If-Match"); v != "" {
		c.IfMatch = normalizeETags(v)
	}
	return c, nil
}

func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseRange parses a Range header. S3 serves one range; a header with
// several ranges, or a malformed one, is ignored and the whole object
// served, as AWS does. Unsatisfiable ranges are the object layer's to judge.
// A position too large for 64 bits is past the end of any object, so it
// saturates rather than making the header malformed: a start answers 416
// InvalidRange, an end is clamped to the object's size, a suffix covers the
// whole object (as AWS does).
func parseRange(v string) *objects.ByteRange {
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return nil
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" {
		n, ok := parseRangePos(b)
		if !ok || n == 0 {
			return nil
		}
		return &objects.ByteRange{Suffix: n}
	}
	start, ok := parseRangePos(a)
	if !ok {
		return nil
	}
	if b == "" {
		return &objects.ByteRange{Start: start, End: -1}
	}
	end, ok := parseRangePos(b)
	if !ok || end < start {
		return nil
	}
	return &objects.ByteRange{Start: start, End: end}
}

// parseRangePos parses a Range position: decimal digits only, saturating at
// math.MaxInt64.
func parseRangePos(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			n = math.MaxInt64 // keep checking the remaining characters are digits
			continue
		}
		if n != math.MaxInt64 {
			n = n*10 + int64(c-'0')
		}
	}
	return n, true
}

// parseCopyRange parses x-amz-copy-source-range, which must be "bytes=first-last".
func parseCopyRange(v string) (*objects.ByteRange, error) {
	if v == "" {
		return nil, nil
	}
	bad := errs.Field(errs.InvalidArgument, "x-amz-copy-source-range",
		"The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return nil, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	start, ok1 := parseDigits(a)
	end, ok2 := parseDigits(b)
	if !ok || !ok1 || !ok2 || end < start {
		return nil, bad
	}
	return &objects.ByteRange{Start: start, End: end}, nil
}

// responseOverrides are the GetObject query parameters that replace a
// response header. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
var responseOverrides = [...][2]string{
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
	{"response-content-language", "Content-Language"},
	{"response-content-type", "Content-Type"},
	{"response-expires", "Expires"},
}

// setObjectHeaders renders an object's descriptive headers for GET and HEAD.
// versionID is the value for x-amz-version-id ("" omits it).
func setObjectHeaders(resp *response, info objects.ObjectInfo, versionID string) {
	h := resp.header()
	ct := info.Meta.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	// The names are canonical already: set skips Header.Set's
	// canonicalization and its allocation per value.
	resp.set("Content-Type", ct)
	resp.setETag(info.ETag)
	resp.set("Last-Modified", httpTime(info.LastModified))
	resp.set("Accept-Ranges", "bytes")
	if versionID != "" {
		resp.set("X-Amz-Version-Id", versionID)
	}
	set := func(name, v string) {
		if v != "" {
			resp.set(name, v)
		}
	}
	set("Content-Encoding", info.Meta.ContentEncoding)
	set("Content-Disposition", info.Meta.ContentDisposition)
	set("Content-Language", info.Meta.ContentLanguage)
	set("Cache-Control", info.Meta.CacheControl)
	set("Expires", info.Meta.Expires)
	if sc := info.Meta.StorageClass; sc != "" && sc != "STANDARD" {
		resp.set("X-Amz-Storage-Class", sc)
	}
	for k, v := range info.Meta.User {
		// Assigned directly: Set would canonicalise the name (X-Amz-Meta-Lang),
		// and SDKs report metadata keys exactly as the header spells them.
		h["x-amz-meta-"+k] = []string{v}
	}
	if len(info.Tags) > 0 {
		resp.set("X-Amz-Tagging-Count", strconv.Itoa(len(info.Tags)))
	}
}
