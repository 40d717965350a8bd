// Package sigv2 verifies AWS Signature Version 2 for S3, the scheme AWS and
// MinIO still accept next to Signature Version 4: the
// "Authorization: AWS AccessKeyId:Signature" header and query-string
// (presigned) URLs carrying AWSAccessKeyId, Signature and Expires.
//
// The functions mirror AWS's description step by step:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
//
//	Signature = Base64(HMAC-SHA1(SecretKey, UTF-8(StringToSign)))
//	StringToSign = HTTP-Verb + "\n" + Content-MD5 + "\n" + Content-Type + "\n" +
//	               Date + "\n" + CanonicalizedAmzHeaders + CanonicalizedResource
//
// Where AWS's prose and its published examples disagree, or clients sign
// differently in ways AWS accepts, Verify accepts each form (see
// candidates in verify.go); a forgery still needs the secret key.
//
// Errors are *errs.Error of kinds AccessDenied, InvalidAccessKeyID,
// SignatureDoesNotMatch (with a *Mismatch cause carrying the StringToSign),
// RequestTimeTooSkewed, InvalidArgument and InvalidDigest.
package sigv2

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
)

// StringToSign joins the elements of a request's string to sign. date is the
// Date header, "" when x-amz-date is used, or Expires for a presigned URL.
func StringToSign(method, contentMD5, contentType, date, amzHeaders, resource string) string {
	var b strings.Builder
	b.Grow(len(method) + len(contentMD5) + len(contentType) + len(date) + len(amzHeaders) + len(resource) + 4)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(contentMD5)
	b.WriteByte('\n')
	b.WriteString(contentType)
	b.WriteByte('\n')
	b.WriteString(date)
	b.WriteByte('\n')
	b.WriteString(amzHeaders)
	b.WriteString(resource)
	return b.String()
}

// Sign is Base64(HMAC-SHA1(secret, stringToSign)).
func Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// CanonicalAmzHeaders builds CanonicalizedAmzHeaders from every header whose
// name starts with "x-amz-" (skip, lower-case, is left out): names
// lower-cased and sorted, the values of a repeated header joined by ",",
// folded whitespace unfolded, whitespace around values trimmed, one
// "name:value\n" line per header.
func CanonicalAmzHeaders(h http.Header, skip string) string {
	vals := map[string][]string{}
	for name, vs := range h {
		l := strings.ToLower(name)
		if !strings.HasPrefix(l, "x-amz-") || l == skip {
			continue
		}
		vals[l] = append(vals[l], vs...)
	}
	if len(vals) == 0 {
		return ""
	}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		for i, v := range vals[n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(unfold(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// unfold trims v and replaces each run of whitespace that contains a line
// break (RFC 7230 obs-fold) by a single space.
func unfold(v string) string {
	v = strings.TrimSpace(v)
	if !strings.ContainsAny(v, "\r\n") {
		return v
	}
	isWS := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	var b strings.Builder
	for i := 0; i < len(v); {
		if !isWS(v[i]) {
			b.WriteByte(v[i])
			i++
			continue
		}
		j := i
		for j < len(v) && isWS(v[j]) {
			j++
		}
		if run := v[i:j]; strings.ContainsAny(run, "\r\n") {
			b.WriteByte(' ')
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String()
}

// Param is one query parameter as sent: its decoded name and value, the
// value exactly as it appeared on the wire, and whether it had an "=".
type Param struct {
	Key, Value, Raw string
	HasEq           bool
}

// docSubresources are the sub-resources AWS's page lists as part of the
// CanonicalizedResource, with the response-header overrides and the two
// (delete, cors) that every client signs as well.
var docSubresources = map[string]bool{
	"acl": true, "lifecycle": true, "location": true, "logging": true, "notification": true,
	"partNumber": true, "policy": true, "requestPayment": true, "torrent": true, "uploadId": true,
	"uploads": true, "versionId": true, "versioning": true, "versions": true, "website": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"delete": true, "cors": true,
}

// laterSubresources are sub-resources added to S3 after the page was
// written that AWS signs too (botocore's HmacV1Auth and MinIO include
// them). Clients disagree on some of them, so Verify also tries the
// resource without them.
var laterSubresources = map[string]bool{
	"tagging": true, "restore": true, "accelerate": true, "analytics": true, "inventory": true,
	"metrics": true, "replication": true, "select": true, "select-type": true, "object-lock": true,
	"storageClass": true, "encryption": true, "legal-hold": true, "retention": true,
	"defaultObjectAcl": true, "ownershipControls": true, "publicAccessBlock": true,
	"policyStatus": true, "intelligent-tiering": true, "attributes": true,
}

// IsSubresource reports whether a query parameter belongs in the
// CanonicalizedResource.
func IsSubresource(key string) bool { return docSubresources[key] || laterSubresources[key] }

// ResourceOptions picks among the canonical resource's variants.
type ResourceOptions struct {
	// DocOnly leaves out laterSubresources.
	DocOnly bool
	// RawValues signs sub-resource values as sent (URL-encoded), as s3cmd
	// does, instead of decoded, as AWS's page says.
	RawValues bool
	// NoEmptyEq signs a sub-resource sent with an empty value ("policy=")
	// as "?policy", as minio-go does (Go's url.Values always writes the "=").
	NoEmptyEq bool
}

// CanonicalResource is "/" + bucket (virtual-hosted requests only) + the
// path as sent, un-decoded, + the sub-resources among query sorted by name,
// "?name[=value]" joined by "&".
func CanonicalResource(bucket, escapedPath string, query []Param, o ResourceOptions) string {
	var b strings.Builder
	if bucket != "" {
		b.WriteByte('/')
		b.WriteString(bucket)
	}
	if escapedPath == "" {
		escapedPath = "/"
	}
	b.WriteString(escapedPath)
	var subs []Param
	for _, p := range query {
		if docSubresources[p.Key] || (!o.DocOnly && laterSubresources[p.Key]) {
			subs = append(subs, p)
		}
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].Key < subs[j].Key })
	for i, p := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.Key)
		v := p.Value
		if o.RawValues {
			v = p.Raw
		}
		if (p.HasEq && !o.NoEmptyEq) || v != "" {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}
