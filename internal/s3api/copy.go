package s3api

import (
	"context"
	"net/http"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

// CopyObject and UploadPartCopy: the destination is authorized like a PUT
// (by the common step), the source here like a GET.

func (s *server) authorizeCopySource(ctx context.Context, ri *requestInfo, r *http.Request) error {
	src := ri.Op.CopySource
	action := "s3:GetObject"
	if src.VersionID != "" {
		action = "s3:GetObjectVersion"
	}
	return s.authorize(ctx, ri, r, action, src.Bucket, src.Key)
}

// directive reads x-amz-metadata-directive or x-amz-tagging-directive:
// COPY (the default) or REPLACE.
func directive(h http.Header, name, what string) (replace bool, err error) {
	switch h.Get(name) {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	}
	return false, errs.Field(errs.InvalidArgument, name, "Unknown %s directive.", what)
}

func setCopySourceVersion(resp *response, requested, read string) {
	if read != "" && (read != objects.NullVersionID || requested != "") {
		resp.setHeader("X-Amz-Copy-Source-Version-Id", read)
	}
}

func (s *server) copyObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.authorizeCopySource(ctx, ri, r); err != nil {
		return nil, err
	}
	op, src, h := ri.Op, ri.Op.CopySource, r.Header
	in := objects.CopyInput{
		SrcTenant: ri.Tenant(), SrcBucket: src.Bucket, SrcKey: src.Key, SrcVersionID: src.VersionID,
		SrcCond: readConditions(h, "X-Amz-Copy-Source-If-"),
		Tenant:  ri.Tenant(), Bucket: op.Bucket, Key: op.Key, Owner: ri.Principal.UserID,
	}
	var err error
	if in.ACL, in.Owner, err = s.objectACLForWrite(ctx, ri, op.Bucket, h.Get); err != nil {
		return nil, err
	}
	if in.Cond, err = writeConditions(h); err != nil {
		return nil, err
	}
	if in.ReplaceMeta, err = directive(h, "X-Amz-Metadata-Directive", "metadata"); err != nil {
		return nil, err
	}
	if in.ReplaceMeta {
		if in.Meta, err = metadataFromHeaders(h); err != nil {
			return nil, err
		}
	}
	if in.ReplaceTags, err = directive(h, "X-Amz-Tagging-Directive", "tagging"); err != nil {
		return nil, err
	}
	if in.ReplaceTags {
		if in.Tags, err = tagsFromHeader(h.Get("X-Amz-Tagging")); err != nil {
			return nil, err
		}
	}
	if in.ChecksumAlgorithm, err = checksum.ParseAlgorithm(h.Get("X-Amz-Checksum-Algorithm")); err != nil {
		return nil, err
	}
	if in.Lock, err = s.writeLock(ctx, ri, r, h.Get); err != nil {
		return nil, err
	}
	if in.Encryption, err = s.sseWrite(r); err != nil {
		return nil, err
	}
	if in.SrcEncryption, err = s.sseCustomer(r, hSSECSrcPrefix); err != nil {
		return nil, err
	}
	out, err := s.be.CopyObject(ctx, in)
	if err != nil {
		return nil, err
	}
	res := copyObjectResultXML{
		ETag:         quoteETag(out.Info.ETag),
		LastModified: isoTime(out.Info.LastModified),
		ChecksumType: checksumType(out.Info.Checksum),
		checksumXML:  checksumFields(out.Info.Checksum),
	}
	resp := &response{XML: res}
	setCopySourceVersion(resp, src.VersionID, out.SrcVersionID)
	setVersionHeader(resp, objectVersion(out.Info))
	setSSEHeaders(resp, out.Info.Encryption, in.Encryption)
	return resp, nil
}

func (s *server) uploadPartCopy(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.authorizeCopySource(ctx, ri, r); err != nil {
		return nil, err
	}
	op, src := ri.Op, ri.Op.CopySource
	rng, err := parseCopyRange(r.Header.Get("X-Amz-Copy-Source-Range"))
	if err != nil {
		return nil, err
	}
	enc, err := s.sseCustomer(r, hSSECPrefix)
	if err != nil {
		return nil, err
	}
	srcEnc, err := s.sseCustomer(r, hSSECSrcPrefix)
	if err != nil {
		return nil, err
	}
	part, srcVID, err := s.be.UploadPartCopy(ctx, objects.UploadPartCopyInput{
		Tenant: ri.Tenant(), Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID, PartNumber: op.PartNumber,
		SrcTenant: ri.Tenant(), SrcBucket: src.Bucket, SrcKey: src.Key, SrcVersionID: src.VersionID,
		SrcCond:  readConditions(r.Header, "X-Amz-Copy-Source-If-"),
		SrcRange: rng, Encryption: enc, SrcEncryption: srcEnc,
	})
	if err != nil {
		return nil, err
	}
	resp := &response{XML: copyPartResultXML{
		ETag:         quoteETag(part.ETag),
		LastModified: isoTime(part.LastModified),
		checksumXML:  checksumFields(part.Checksum),
	}}
	setCopySourceVersion(resp, src.VersionID, srcVID)
	setSSEHeaders(resp, part.Encryption, enc)
	return resp, nil
}
