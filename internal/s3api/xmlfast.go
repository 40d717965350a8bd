package s3api

import (
	"encoding/xml"
	"strconv"
	"sync"
	"unicode/utf8"
)

// A hand-rolled writer for the listing responses, the hot XML documents:
// encoding/xml's reflection costs a third of a listing's CPU. Each appendXML
// renders exactly the bytes encodeXML renders for the same value (declaration,
// namespace, element order, omitempty, escaping, &quot;); xmlfast_test.go
// checks that differentially and by fuzzing. A field added to one of these
// types must be added here too, or the differential test fails.

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// Pooled render buffers. A 1,000-key page is a few hundred KB; a buffer
// grown beyond maxPooledXML is left to the collector rather than pinned.
const maxPooledXML = 4 << 20

var xmlBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// getXMLBuf returns an empty buffer to render a response into; the response
// hands it to writeResponse as rawXML, which returns it with putXMLBuf.
func getXMLBuf() []byte { return (*xmlBufPool.Get().(*[]byte))[:0] }

func putXMLBuf(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledXML {
		return
	}
	b = b[:0]
	xmlBufPool.Put(&b)
}

// xmlSafe[c] reports whether encoding/xml's EscapeString copies the ASCII
// byte c as is: printable ASCII (DEL included) but " & ' < >.
var xmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"&'<>` {
		t[c] = false
	}
	return t
}()

// appendEscaped appends s as encoding/xml's EscapeString writes character
// data, except that '"' is &quot; (encodeXML's spelling): " ' & < > and
// \t \n \r as entities, and every rune outside XML's Char production
// (other control characters, U+FFFE, U+FFFF, invalid UTF-8 byte by byte)
// as U+FFFD. Runs of bytes needing nothing are copied at once.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if xmlSafe[c] {
				i++
				continue
			}
			var esc string
			switch c {
			case '"':
				esc = "&quot;"
			case '\'':
				esc = "&#39;"
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '\t':
				esc = "&#x9;"
			case '\n':
				esc = "&#xA;"
			case '\r':
				esc = "&#xD;"
			default:
				esc = "\uFFFD"
			}
			b = append(b, s[last:i]...)
			b = append(b, esc...)
			i++
			last = i
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		if width == 1 || r == 0xFFFE || r == 0xFFFF { // invalid UTF-8 (RuneError, 1) or a noncharacter outside Char
			b = append(b, s[last:i]...)
			b = append(b, "\uFFFD"...)
			last = i + width
		}
		i += width
	}
	return append(b, s[last:]...)
}

func appendOpen(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendClose(b []byte, name string) []byte {
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendElem appends <name>s</name>, s escaped.
func appendElem(b []byte, name, s string) []byte {
	b = appendOpen(b, name)
	b = appendEscaped(b, s)
	return appendClose(b, name)
}

// appendElemOmit is appendElem for an omitempty field.
func appendElemOmit(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendElem(b, name, s)
}

func appendIntElem(b []byte, name string, n int64) []byte {
	b = appendOpen(b, name)
	b = strconv.AppendInt(b, n, 10)
	return appendClose(b, name)
}

func appendBoolElem(b []byte, name string, v bool) []byte {
	b = appendOpen(b, name)
	b = strconv.AppendBool(b, v)
	return appendClose(b, name)
}

// appendRoot appends the XML declaration and the namespaced root start tag.
func appendRoot(b []byte, name string) []byte {
	b = append(b, xml.Header...)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, ` xmlns="`+s3Namespace+`">`...)
	return b
}

func (o *ownerXML) appendXML(b []byte, name string) []byte {
	b = appendOpen(b, name)
	b = appendElem(b, "ID", o.ID)
	b = appendElemOmit(b, "DisplayName", o.DisplayName)
	return appendClose(b, name)
}

func appendCommonPrefixes(b []byte, ps []commonPrefixXML) []byte {
	for i := range ps {
		b = append(b, "<CommonPrefixes>"...)
		b = appendElem(b, "Prefix", ps[i].Prefix)
		b = append(b, "</CommonPrefixes>"...)
	}
	return b
}

func (o *objectXML) appendXML(b []byte) []byte {
	b = append(b, "<Contents>"...)
	b = appendElem(b, "Key", o.Key)
	b = appendElem(b, "LastModified", o.LastModified)
	b = appendElem(b, "ETag", o.ETag)
	b = appendElemOmit(b, "ChecksumAlgorithm", o.ChecksumAlgorithm)
	b = appendElemOmit(b, "ChecksumType", o.ChecksumType)
	b = appendIntElem(b, "Size", o.Size)
	b = appendElem(b, "StorageClass", o.StorageClass)
	if o.Owner != nil {
		b = o.Owner.appendXML(b, "Owner")
	}
	return append(b, "</Contents>"...)
}

// appendXML appends r as encodeXML renders it.
func (r *listBucketResult) appendXML(b []byte) []byte {
	b = appendRoot(b, "ListBucketResult")
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	b = appendElem(b, "Marker", r.Marker)
	b = appendElemOmit(b, "NextMarker", r.NextMarker)
	b = appendIntElem(b, "MaxKeys", int64(r.MaxKeys))
	b = appendElemOmit(b, "Delimiter", r.Delimiter)
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	b = appendElemOmit(b, "EncodingType", r.EncodingType)
	for i := range r.Contents {
		b = r.Contents[i].appendXML(b)
	}
	b = appendCommonPrefixes(b, r.CommonPrefixes)
	return append(b, "</ListBucketResult>"...)
}

// appendXML appends r as encodeXML renders it.
func (r *listBucketV2Result) appendXML(b []byte) []byte {
	b = appendRoot(b, "ListBucketResult")
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	b = appendElemOmit(b, "ContinuationToken", r.ContinuationToken)
	b = appendElemOmit(b, "NextContinuationToken", r.NextContinuationToken)
	b = appendElemOmit(b, "StartAfter", r.StartAfter)
	b = appendIntElem(b, "KeyCount", int64(r.KeyCount))
	b = appendIntElem(b, "MaxKeys", int64(r.MaxKeys))
	b = appendElemOmit(b, "Delimiter", r.Delimiter)
	b = appendElemOmit(b, "EncodingType", r.EncodingType)
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	for i := range r.Contents {
		b = r.Contents[i].appendXML(b)
	}
	b = appendCommonPrefixes(b, r.CommonPrefixes)
	return append(b, "</ListBucketResult>"...)
}

// appendXML appends v as its MarshalXML renders it. Element is written as
// is: it is always "Version" or "DeleteMarker" (encoding/xml would reject
// an empty one).
func (v *versionEntryXML) appendXML(b []byte) []byte {
	b = appendOpen(b, v.Element)
	b = appendElem(b, "Key", v.Key)
	b = appendElem(b, "VersionId", v.VersionID)
	b = appendBoolElem(b, "IsLatest", v.IsLatest)
	b = appendElem(b, "LastModified", v.LastModified)
	b = appendElemOmit(b, "ETag", v.ETag)
	b = appendElemOmit(b, "ChecksumAlgorithm", v.ChecksumAlgorithm)
	b = appendElemOmit(b, "ChecksumType", v.ChecksumType)
	if v.Size != nil {
		b = appendIntElem(b, "Size", *v.Size)
	}
	b = appendElemOmit(b, "StorageClass", v.StorageClass)
	if v.Owner != nil {
		b = v.Owner.appendXML(b, "Owner")
	}
	return appendClose(b, v.Element)
}

// appendXML appends r as encodeXML renders it.
func (r *listVersionsResult) appendXML(b []byte) []byte {
	b = appendRoot(b, "ListVersionsResult")
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	b = appendElem(b, "KeyMarker", r.KeyMarker)
	b = appendElem(b, "VersionIdMarker", r.VersionIDMarker)
	b = appendElemOmit(b, "NextKeyMarker", r.NextKeyMarker)
	b = appendElemOmit(b, "NextVersionIdMarker", r.NextVersionIDMarker)
	b = appendIntElem(b, "MaxKeys", int64(r.MaxKeys))
	b = appendElemOmit(b, "Delimiter", r.Delimiter)
	b = appendElemOmit(b, "EncodingType", r.EncodingType)
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	for i := range r.Entries {
		b = r.Entries[i].appendXML(b)
	}
	b = appendCommonPrefixes(b, r.CommonPrefixes)
	return append(b, "</ListVersionsResult>"...)
}

// appendXML appends r as encodeXML renders it.
func (r *listMultipartUploadsResult) appendXML(b []byte) []byte {
	b = appendRoot(b, "ListMultipartUploadsResult")
	b = appendElem(b, "Bucket", r.Bucket)
	b = appendElem(b, "KeyMarker", r.KeyMarker)
	b = appendElem(b, "UploadIdMarker", r.UploadIDMarker)
	b = appendElem(b, "NextKeyMarker", r.NextKeyMarker)
	b = appendElem(b, "NextUploadIdMarker", r.NextUploadIDMarker)
	b = appendElemOmit(b, "Delimiter", r.Delimiter)
	b = appendElem(b, "Prefix", r.Prefix)
	b = appendIntElem(b, "MaxUploads", int64(r.MaxUploads))
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	b = appendElemOmit(b, "EncodingType", r.EncodingType)
	for i := range r.Uploads {
		u := &r.Uploads[i]
		b = append(b, "<Upload>"...)
		b = appendElem(b, "Key", u.Key)
		b = appendElem(b, "UploadId", u.UploadID)
		b = u.Initiator.appendXML(b, "Initiator")
		b = u.Owner.appendXML(b, "Owner")
		b = appendElem(b, "StorageClass", u.StorageClass)
		b = appendElem(b, "Initiated", u.Initiated)
		b = appendElemOmit(b, "ChecksumAlgorithm", u.ChecksumAlgorithm)
		b = appendElemOmit(b, "ChecksumType", u.ChecksumType)
		b = append(b, "</Upload>"...)
	}
	b = appendCommonPrefixes(b, r.CommonPrefixes)
	return append(b, "</ListMultipartUploadsResult>"...)
}

// appendXML appends r as encodeXML renders it.
func (r *listPartsResult) appendXML(b []byte) []byte {
	b = appendRoot(b, "ListPartsResult")
	b = appendElem(b, "Bucket", r.Bucket)
	b = appendElem(b, "Key", r.Key)
	b = appendElem(b, "UploadId", r.UploadID)
	b = appendIntElem(b, "PartNumberMarker", int64(r.PartNumberMarker))
	b = appendIntElem(b, "NextPartNumberMarker", int64(r.NextPartNumberMarker))
	b = appendIntElem(b, "MaxParts", int64(r.MaxParts))
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	for i := range r.Parts {
		p := &r.Parts[i]
		b = append(b, "<Part>"...)
		b = appendIntElem(b, "PartNumber", int64(p.PartNumber))
		b = appendElem(b, "LastModified", p.LastModified)
		b = appendElem(b, "ETag", p.ETag)
		b = appendIntElem(b, "Size", p.Size)
		b = p.checksumXML.appendXML(b)
		b = append(b, "</Part>"...)
	}
	b = r.Initiator.appendXML(b, "Initiator")
	b = r.Owner.appendXML(b, "Owner")
	b = appendElem(b, "StorageClass", r.StorageClass)
	b = appendElemOmit(b, "ChecksumAlgorithm", r.ChecksumAlgorithm)
	b = appendElemOmit(b, "ChecksumType", r.ChecksumType)
	return append(b, "</ListPartsResult>"...)
}

func (c *checksumXML) appendXML(b []byte) []byte {
	b = appendElemOmit(b, "ChecksumCRC32", c.ChecksumCRC32)
	b = appendElemOmit(b, "ChecksumCRC32C", c.ChecksumCRC32C)
	b = appendElemOmit(b, "ChecksumCRC64NVME", c.ChecksumCRC64NVME)
	b = appendElemOmit(b, "ChecksumSHA1", c.ChecksumSHA1)
	b = appendElemOmit(b, "ChecksumSHA256", c.ChecksumSHA256)
	b = appendElemOmit(b, "ChecksumMD5", c.ChecksumMD5)
	b = appendElemOmit(b, "ChecksumSHA512", c.ChecksumSHA512)
	b = appendElemOmit(b, "ChecksumXXHASH64", c.ChecksumXXHASH64)
	b = appendElemOmit(b, "ChecksumXXHASH3", c.ChecksumXXHASH3)
	b = appendElemOmit(b, "ChecksumXXHASH128", c.ChecksumXXHASH128)
	return b
}
