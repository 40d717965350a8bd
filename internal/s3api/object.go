package s3api

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Object handlers: PutObject, GetObject/HeadObject, DeleteObject,
// DeleteObjects, GetObjectAcl, object tagging, GetObjectAttributes.

// objectVersion is the x-amz-version-id to show for an object: real version
// ids always; the null version only when the bucket has versioning
// configured (AWS shows no version id in a bucket that never had it).
func objectVersion(info objects.ObjectInfo) string {
	if info.VersionID == objects.NullVersionID && !info.Versioned {
		return ""
	}
	return info.VersionID
}

// versionHeader is objectVersion for answers that carry only a version id
// (tagging): "null" costs a bucket lookup to learn whether versioning is set.
func (s *server) versionHeader(ctx context.Context, ri *requestInfo, vid string) string {
	if vid != objects.NullVersionID {
		return vid
	}
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil || b.Versioning == objects.VersioningUnset {
		return ""
	}
	return vid
}

func setVersionHeader(resp *response, vid string) {
	if vid != "" {
		resp.setHeader("X-Amz-Version-Id", vid)
	}
}

// deleteMarkerResponse carries x-amz-delete-marker and the marker's version
// id when err says a read found a delete marker (the error itself is 404
// NoSuchKey, or 405 MethodNotAllowed when the marker was named by version).
func deleteMarkerResponse(err error) *response {
	var dm *objects.DeleteMarkerError
	if !errors.As(err, &dm) {
		return nil
	}
	resp := &response{}
	resp.setHeader("X-Amz-Delete-Marker", "true")
	setVersionHeader(resp, dm.VersionID)
	return resp
}

// setChecksumHeaders sets x-amz-checksum-<alg> and x-amz-checksum-type.
func setChecksumHeaders(resp *response, v checksum.Value) {
	if v.IsZero() {
		return
	}
	resp.setHeader(v.Algorithm.HeaderName(), v.Base64)
	resp.setHeader("X-Amz-Checksum-Type", checksumType(v))
}

func (s *server) putObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if sosapiKey(ri) { // Veeam's SOSAPI objects are virtual (sosapi.go)
		return s.sosapiPut(ctx, ri, r)
	}
	meta, err := metadataFromHeaders(r.Header)
	if err != nil {
		return nil, err
	}
	tags, err := tagsFromHeader(r.Header.Get("X-Amz-Tagging"))
	if err != nil {
		return nil, err
	}
	cond, err := writeConditions(r.Header)
	if err != nil {
		return nil, err
	}
	aclBytes, owner, err := s.objectACLForWrite(ctx, ri, ri.Op.Bucket, r.Header.Get)
	if err != nil {
		return nil, err
	}
	lock, err := s.writeLock(ctx, ri, r, r.Header.Get)
	if err != nil {
		return nil, err
	}
	if err := s.requireLockIntegrity(ctx, ri, r, lock, "Put Object"); err != nil {
		return nil, err
	}
	enc, err := s.sseWrite(r)
	if err != nil {
		return nil, err
	}
	body, size, err := s.objectBody(ri, r)
	if err != nil {
		return nil, err
	}
	info, err := s.be.PutObject(ctx, objects.PutInput{
		Tenant: ri.Tenant(), Bucket: ri.Op.Bucket, Key: ri.Op.Key,
		Body: body, Size: size, Meta: meta, Tags: tags, Cond: cond, Owner: owner, ACL: aclBytes, Lock: lock,
		Encryption: enc,
	})
	if err != nil {
		return nil, err
	}
	resp := &response{}
	resp.setETag(info.ETag)
	setSSEHeaders(resp, info.Encryption, enc)
	setVersionHeader(resp, objectVersion(info))
	if body.Requested() {
		setChecksumHeaders(resp, info.Checksum)
	}
	s.setExpiration(ctx, ri, resp, info)
	return resp, nil
}

// getObject serves GetObject and HeadObject.
func (s *server) getObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	op := ri.Op
	if sosapiKey(ri) && op.VersionID == "" { // Veeam's SOSAPI objects are virtual (sosapi.go)
		return s.sosapiObject(ctx, ri, r)
	}
	in := objects.GetInput{
		Tenant: ri.Tenant(), Bucket: op.Bucket, Key: op.Key,
		VersionID: op.VersionID, PartNumber: op.PartNumber,
		Cond: readConditions(r.Header, "If-"),
	}
	if rg := r.Header.Get("Range"); rg != "" {
		if op.PartNumber > 0 {
			return nil, errs.New(errs.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
		}
		in.Range = parseRange(rg)
	}
	var out *objects.GetOutput
	var err error
	if in.Encryption, err = s.sseCustomer(r, hSSECPrefix); err != nil {
		return nil, err
	}
	if op.Kind == OpHeadObject {
		out, err = s.be.HeadObject(ctx, in)
	} else {
		out, err = s.be.GetObject(ctx, in)
	}
	if err != nil {
		if out != nil && out.Body != nil {
			out.Body.Close()
		}
		return deleteMarkerResponse(err), err
	}

	resp := &response{Body: out.Body}
	setObjectHeaders(resp, out.Info, objectVersion(out.Info))
	s.setLockHeaders(ctx, ri, r, resp, out.Info.Lock)
	setSSEHeaders(resp, out.Info.Encryption, in.Encryption)
	s.setExpiration(ctx, ri, resp, out.Info)
	resp.set("Content-Length", strconv.FormatInt(out.Length, 10))
	if out.Partial {
		resp.Status = http.StatusPartialContent
		if out.Length > 0 {
			resp.setHeader("Content-Range", "bytes "+strconv.FormatInt(out.Start, 10)+"-"+
				strconv.FormatInt(out.Start+out.Length-1, 10)+"/"+strconv.FormatInt(out.Info.Size, 10))
		}
	}
	// AWS sends the parts count only when a part was asked for.
	if op.PartNumber > 0 && out.PartsCount > 0 {
		resp.setHeader("X-Amz-Mp-Parts-Count", strconv.Itoa(out.PartsCount))
	}
	if strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		switch {
		case op.PartNumber > 0:
			for _, p := range out.Info.Parts {
				if p.Number == op.PartNumber && !p.Checksum.IsZero() {
					resp.setHeader(p.Checksum.Algorithm.HeaderName(), p.Checksum.Base64)
				}
			}
		case !out.Partial: // a range has no checksum of its own
			setChecksumHeaders(resp, out.Info.Checksum)
		}
	}
	for _, o := range responseOverrides {
		if v := op.Query.Get(o[0]); v != "" {
			resp.setHeader(o[1], v)
		}
	}
	return resp, nil
}

func (s *server) deleteObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if sosapiKey(ri) && ri.Op.VersionID == "" { // nothing stored to delete (sosapi.go)
		return &response{Status: http.StatusNoContent}, nil
	}
	in := objects.DeleteInput{
		Tenant: ri.Tenant(), Bucket: ri.Op.Bucket, Key: ri.Op.Key,
		VersionID: ri.Op.VersionID, IfMatch: normalizeETags(r.Header.Get("If-Match")),
		BypassGovernance: s.bypassGovernance(ctx, ri, r, ri.Op.Key),
	}
	if err := deleteConditions(r.Header, &in); err != nil {
		return nil, err
	}
	out, err := s.be.DeleteObject(ctx, in)
	if err != nil {
		return nil, err
	}
	resp := &response{Status: http.StatusNoContent}
	if out.DeleteMarker {
		resp.setHeader("X-Amz-Delete-Marker", "true")
	}
	setVersionHeader(resp, out.VersionID) // "" in a bucket that never had versioning
	return resp, nil
}

// deleteObjects deletes up to 1000 keys, authorizing each one, and reports
// each outcome; a failure of one key does not fail the request.
func (s *server) deleteObjects(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	data, err := s.readXMLBody(ri, r, maxDeleteBody)
	if err != nil {
		return nil, err
	}
	req, err := parseDeleteXML(data)
	if err != nil {
		return nil, err
	}
	// Authorize before looking the bucket up, as every other operation does,
	// so that a principal without rights cannot tell a missing bucket from
	// an existing one: one that may delete none of the keys is refused as a
	// whole (403 AccessDenied); otherwise each denied key is an <Error>.
	denied := make([]error, len(req.Objects))
	allowed := false
	for i, o := range req.Objects {
		action := "s3:DeleteObject"
		if o.VersionID != "" {
			action = "s3:DeleteObjectVersion"
		}
		denied[i] = s.authorize(ctx, ri, r, action, ri.Op.Bucket, o.Key)
		allowed = allowed || denied[i] == nil
	}
	if !allowed && len(denied) > 0 {
		return nil, denied[0]
	}
	if _, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket); err != nil {
		return nil, err
	}
	// The keys the caller may delete go to the object layer in one call,
	// which commits them together; the others keep their refusal.
	failed := denied // each key's refusal, nil for those deleted
	ins := make([]objects.DeleteInput, 0, len(req.Objects))
	at := make([]int, 0, len(req.Objects)) // ins[j] is req.Objects[at[j]]
	for i, o := range req.Objects {
		if failed[i] != nil {
			continue
		}
		in := objects.DeleteInput{Key: o.Key, VersionID: o.VersionID, IfMatch: normalizeETags(o.ETag),
			BypassGovernance: s.bypassGovernance(ctx, ri, r, o.Key)}
		if failed[i] = o.conditions(&in); failed[i] == nil {
			ins = append(ins, in)
			at = append(at, i)
		}
	}
	outs := make([]objects.DeleteOutput, len(req.Objects))
	for j, d := range s.be.DeleteObjects(ctx, ri.Tenant(), ri.Op.Bucket, ins) {
		outs[at[j]], failed[at[j]] = d.DeleteOutput, d.Err
	}
	res := deleteResultXML{}
	for i, o := range req.Objects {
		if err := failed[i]; err != nil {
			e, known := lookupError(err)
			msg := e.Message
			if !known {
				s.logInternal(ctx, ri, err)
			} else if m := errs.Message(err); m != "" {
				msg = m
			}
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: msg})
			continue
		}
		if req.Quiet {
			continue
		}
		d := deletedXML{Key: o.Key, VersionID: o.VersionID}
		if outs[i].DeleteMarker {
			d.DeleteMarker = true
			d.DeleteMarkerVersionID = outs[i].VersionID
		}
		res.Deleted = append(res.Deleted, d)
	}
	return &response{XML: res}, nil
}

// headInfo reads an object version's description, answering a delete marker
// as GetObject does.
func (s *server) headInfo(ctx context.Context, ri *requestInfo) (*objects.GetOutput, *response, error) {
	out, err := s.be.HeadObject(ctx, objects.GetInput{
		Tenant: ri.Tenant(), Bucket: ri.Op.Bucket, Key: ri.Op.Key, VersionID: ri.Op.VersionID,
		MetadataOnly: true,
	})
	if out != nil && out.Body != nil {
		out.Body.Close()
	}
	if err != nil {
		return nil, deleteMarkerResponse(err), err
	}
	return out, nil, nil
}

func (s *server) putObjectTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	tags, err := parseTaggingXML(data)
	if err != nil {
		return nil, err
	}
	vid, err := s.be.PutObjectTagging(ctx, ri.Tenant(), ri.Op.Bucket, ri.Op.Key, ri.Op.VersionID, tags)
	if err != nil {
		return nil, err
	}
	resp := &response{}
	setVersionHeader(resp, s.versionHeader(ctx, ri, vid))
	return resp, nil
}

func (s *server) getObjectTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	tags, vid, err := s.be.GetObjectTagging(ctx, ri.Tenant(), ri.Op.Bucket, ri.Op.Key, ri.Op.VersionID)
	if err != nil {
		return deleteMarkerResponse(err), err
	}
	res := taggingXML{TagSet: tagSetXML{Tags: []tagXML{}}}
	for _, t := range tags {
		res.TagSet.Tags = append(res.TagSet.Tags, tagXML{Key: t.Key, Value: t.Value})
	}
	resp := &response{XML: res}
	setVersionHeader(resp, s.versionHeader(ctx, ri, vid))
	return resp, nil
}

// deleteObjectTagging removes every tag (PutObjectTagging with none).
func (s *server) deleteObjectTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	vid, err := s.be.PutObjectTagging(ctx, ri.Tenant(), ri.Op.Bucket, ri.Op.Key, ri.Op.VersionID, nil)
	if err != nil {
		return nil, err
	}
	resp := &response{Status: http.StatusNoContent}
	setVersionHeader(resp, s.versionHeader(ctx, ri, vid))
	return resp, nil
}

var objectAttributes = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

// parseObjectAttributes reads x-amz-object-attributes (one header with a
// comma-separated list, or several headers).
func parseObjectAttributes(h http.Header) (map[string]bool, error) {
	want := map[string]bool{}
	for _, v := range h.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if !objectAttributes[a] {
				return nil, errs.Field(errs.InvalidArgument, "x-amz-object-attributes", "Invalid attribute name specified: %q", a)
			}
			want[a] = true
		}
	}
	if len(want) == 0 {
		return nil, errs.Field(errs.InvalidArgument, "x-amz-object-attributes", "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	return want, nil
}

// getObjectAttributes answers GetObjectAttributes. Its ETag is unquoted, as
// in AWS's answer.
func (s *server) getObjectAttributes(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	want, err := parseObjectAttributes(r.Header)
	if err != nil {
		return nil, err
	}
	maxParts, marker := defaultMaxKeys, 0
	if v := r.Header.Get("X-Amz-Max-Parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errs.Field(errs.InvalidArgument, "x-amz-max-parts", "x-amz-max-parts must be a non-negative integer")
		}
		maxParts = min(n, defaultMaxKeys)
	}
	if v := r.Header.Get("X-Amz-Part-Number-Marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errs.Field(errs.InvalidArgument, "x-amz-part-number-marker", "x-amz-part-number-marker must be a non-negative integer")
		}
		marker = n
	}
	out, resp, err := s.headInfo(ctx, ri)
	if err != nil {
		return resp, err
	}
	res := objectAttributesXML(out, want, marker, maxParts)
	resp = &response{XML: res}
	resp.setHeader("Last-Modified", httpTime(out.Info.LastModified))
	setVersionHeader(resp, objectVersion(out.Info))
	return resp, nil
}

func objectAttributesXML(out *objects.GetOutput, want map[string]bool, marker, maxParts int) getObjectAttributesXML {
	info := out.Info
	var res getObjectAttributesXML
	if want["ETag"] {
		res.ETag = info.ETag
	}
	if want["Checksum"] && !info.Checksum.IsZero() {
		// S3 gives a COMPOSITE checksum here without its "-N" suffix (the
		// count is ObjectParts' TotalPartsCount), unlike HEAD, GET and
		// CompleteMultipartUpload; base64 has no '-' of its own.
		c := info.Checksum
		if i := strings.LastIndexByte(c.Base64, '-'); c.Type == checksum.TypeComposite && i >= 0 {
			c.Base64 = c.Base64[:i]
		}
		res.Checksum = &attributesChecksumXML{checksumXML: checksumFields(c), ChecksumType: checksumType(c)}
	}
	if want["StorageClass"] {
		res.StorageClass = storageClass(info.Meta)
	}
	if want["ObjectSize"] {
		size := info.Size
		res.ObjectSize = &size
	}
	count := out.PartsCount
	if count == 0 {
		count = len(info.Parts)
	}
	if want["ObjectParts"] && count > 0 {
		parts := append([]objects.PartInfo(nil), info.Parts...)
		sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
		op := &objectPartsXML{MaxParts: maxParts, PartNumberMarker: marker, PartsCount: count}
		for _, p := range parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) == maxParts {
				op.IsTruncated = true
				break
			}
			op.Parts = append(op.Parts, attributesPartsXML{checksumXML: checksumFields(p.Checksum), PartNumber: p.Number, Size: p.Size})
			op.NextPartNumberMarker = p.Number
		}
		res.ObjectParts = op
	}
	return res
}
