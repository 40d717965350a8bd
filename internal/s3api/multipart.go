package s3api

import (
	"context"
	"net/http"
	"strconv"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Multipart handlers: CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts. (UploadPartCopy
// is in copy.go, ListMultipartUploads in list.go.)

func (s *server) createMultipartUpload(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	h := r.Header
	in := objects.CreateUploadInput{Tenant: ri.Tenant(), Bucket: ri.Op.Bucket, Key: ri.Op.Key, Owner: ri.Principal.UserID}
	var err error
	if in.ACL, in.Owner, err = s.objectACLForWrite(ctx, ri, ri.Op.Bucket, h.Get); err != nil {
		return nil, err
	}
	if in.Meta, err = metadataFromHeaders(h); err != nil {
		return nil, err
	}
	if in.Tags, err = tagsFromHeader(h.Get("X-Amz-Tagging")); err != nil {
		return nil, err
	}
	if in.ChecksumAlgorithm, err = checksum.ParseAlgorithm(h.Get("X-Amz-Checksum-Algorithm")); err != nil {
		return nil, err
	}
	if in.ChecksumType, err = checksum.ParseType(h.Get("X-Amz-Checksum-Type")); err != nil {
		return nil, err
	}
	if in.Lock, err = s.writeLock(ctx, ri, r, h.Get); err != nil {
		return nil, err
	}
	if in.Encryption, err = s.sseWrite(r); err != nil {
		return nil, err
	}
	info, err := s.be.CreateMultipartUpload(ctx, in)
	if err != nil {
		return nil, err
	}
	resp := &response{XML: initiateMultipartUploadResultXML{Bucket: ri.Op.Bucket, Key: ri.Op.Key, UploadID: info.UploadID}}
	setSSEHeaders(resp, info.Encryption, in.Encryption)
	if info.ChecksumAlgorithm != checksum.None {
		resp.setHeader("X-Amz-Checksum-Algorithm", string(info.ChecksumAlgorithm))
	}
	if info.ChecksumType != checksum.TypeNone {
		resp.setHeader("X-Amz-Checksum-Type", string(info.ChecksumType))
	}
	return resp, nil
}

func (s *server) uploadPart(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.requireLockIntegrity(ctx, ri, r, objects.LockSpec{}, "Put Part"); err != nil {
		return nil, err
	}
	enc, err := s.sseCustomer(r, hSSECPrefix)
	if err != nil {
		return nil, err
	}
	body, size, err := s.objectBody(ri, r)
	if err != nil {
		return nil, err
	}
	op := ri.Op
	part, err := s.be.UploadPart(ctx, objects.UploadPartInput{
		Tenant: ri.Tenant(), Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID,
		PartNumber: op.PartNumber, Body: body, Size: size, Encryption: enc,
	})
	if err != nil {
		return nil, err
	}
	resp := &response{}
	resp.setETag(part.ETag)
	setSSEHeaders(resp, part.Encryption, enc)
	if body.Requested() && !part.Checksum.IsZero() {
		resp.setHeader(part.Checksum.Algorithm.HeaderName(), part.Checksum.Base64)
	}
	return resp, nil
}

// completeMultipartUpload validates everything before answering: unlike AWS,
// which may send 200 and then an error document, a failure here is a plain
// error response.
func (s *server) completeMultipartUpload(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	cond, err := writeConditions(r.Header)
	if err != nil {
		return nil, err
	}
	// On Complete, x-amz-checksum-<alg> is the whole object's checksum, not
	// the XML body's; only Content-MD5 describes the body.
	full, err := checksum.FromHeaders(r.Header)
	if err != nil {
		return nil, err
	}
	data, err := s.readXML(ri, r, maxCompleteBody, checksum.Expect{ContentMD5: full.ContentMD5})
	if err != nil {
		return nil, err
	}
	parts, err := parseCompleteXML(data)
	if err != nil {
		return nil, err
	}
	op := ri.Op
	info, err := s.be.CompleteMultipartUpload(ctx, objects.CompleteInput{
		Tenant: ri.Tenant(), Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID,
		Parts: parts, Cond: cond, FullObjectChecksum: full.Value,
	})
	if err != nil {
		return nil, err
	}
	resp := &response{XML: completeMultipartUploadResultXML{
		Location:     location(r),
		Bucket:       op.Bucket,
		Key:          op.Key,
		ETag:         quoteETag(info.ETag),
		ChecksumType: checksumType(info.Checksum),
		checksumXML:  checksumFields(info.Checksum),
	}}
	setVersionHeader(resp, objectVersion(info))
	setSSEHeaders(resp, info.Encryption, objects.Encryption{})
	return resp, nil
}

// location is the object's URL as the client addressed it.
func location(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

func (s *server) abortMultipartUpload(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	op := ri.Op
	if err := s.be.AbortMultipartUpload(ctx, ri.Tenant(), op.Bucket, op.Key, op.UploadID); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}

func (s *server) listParts(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	op, q := ri.Op, ri.Op.Query
	in := objects.ListPartsInput{Tenant: ri.Tenant(), Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID}
	var err error
	if in.MaxParts, err = maxParam(q, "max-parts"); err != nil {
		return nil, err
	}
	if v, ok := q["part-number-marker"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return nil, errs.Field(errs.InvalidArgument, "part-number-marker", "Provided part-number-marker not an integer or within integer range")
		}
		in.PartNumberMarker = n
	}
	out, err := s.be.ListParts(ctx, in)
	if err != nil {
		return nil, err
	}
	owner := s.owners(ctx, ri).of(out.Upload.Owner)
	res := listPartsResult{
		Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID,
		PartNumberMarker:     in.PartNumberMarker,
		NextPartNumberMarker: out.NextPartNumberMarker,
		MaxParts:             in.MaxParts,
		IsTruncated:          out.IsTruncated,
		Initiator:            owner,
		Owner:                owner,
		StorageClass:         storageClass(out.Upload.Meta),
		ChecksumAlgorithm:    string(out.Upload.ChecksumAlgorithm),
		ChecksumType:         string(out.Upload.ChecksumType),
	}
	for _, p := range out.Parts {
		res.Parts = append(res.Parts, partXML{
			PartNumber:   p.Number,
			LastModified: isoTime(p.LastModified),
			ETag:         quoteETag(p.ETag),
			Size:         p.Size,
			checksumXML:  checksumFields(p.Checksum),
		})
	}
	return &response{rawXML: res.appendXML(getXMLBuf())}, nil
}
