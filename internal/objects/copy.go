package objects

import (
	"context"
	"errors"
	"io"
	"strings"

	"coffer/internal/checksum"
	"coffer/internal/errs"
)

type copySource struct {
	rec       *versionRecord
	versionID string
	body      io.ReadCloser
	start     int64
	length    int64
}

// openCopySource reads a copy source version after checking the
// x-amz-copy-source-if-* conditions (every failure is 412).
// cust carries the source's customer key when it is SSE-C; an encrypted
// source is decrypted (the copy is encrypted again as its own request says).
func (s *Service) openCopySource(ctx context.Context, tenant, bucket, key, versionID string, cond Conditions, rng *ByteRange, cust Encryption) (*copySource, error) {
	for attempt := 1; ; attempt++ {
		src, err := s.openCopySourceOnce(ctx, tenant, bucket, key, versionID, cond, rng, cust)
		if err != nil && errors.Is(err, errBlobGone) && attempt < maxReadAttempts {
			continue // replaced and collected since the lookup: look again
		}
		return src, err
	}
}

func (s *Service) openCopySourceOnce(ctx context.Context, tenant, bucket, key, versionID string, cond Conditions, rng *ByteRange, cust Encryption) (*copySource, error) {
	if err := validateKey(key); err != nil {
		return nil, err
	}
	v, _, _, err := s.readVersion(ctx, tenant, bucket, key, versionID, true)
	if err != nil {
		var dm *DeleteMarkerError
		if asDM(err, &dm) {
			if versionID == "" {
				return nil, errs.Field(errs.NoSuchKey, "x-amz-copy-source", "The specified key does not exist.")
			}
			return nil, errs.Field(errs.InvalidRequest, "x-amz-copy-source",
				"The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return nil, err
	}
	if v.Enc != nil || cust.Mode != SSENone {
		if err := checkCustomerKey(v.Enc, cust); err != nil {
			return nil, copySourceKeyErr(err)
		}
	}
	if err := checkReadConditions(cond, v.ETag, v.modTime(), true); err != nil {
		return nil, err
	}
	start, length := int64(0), v.Size
	if rng != nil {
		// A copy range must lie within the source (S3 does not clamp it).
		if rng.Suffix > 0 || rng.End < 0 || rng.End >= v.Size {
			err = errs.New(errs.InvalidRange, "range outside the source")
		} else {
			start, length, err = resolveRange(rng, v.Size)
		}
		if err != nil {
			return nil, errs.Field(errs.InvalidArgument, "x-amz-copy-source-range",
				"Range specified is not valid for source object of size: %d", v.Size)
		}
	}
	var body io.ReadCloser
	if v.Enc != nil {
		body, err = s.openSealed(ctx, v, cust, start, length)
	} else {
		body, err = s.openContent(v, start, length)
	}
	if err != nil {
		return nil, err
	}
	return &copySource{rec: v, versionID: v.versionID(), body: body, start: start, length: length}, nil
}

// copySourceKeyErr names the copy-source headers in an SSE-C error.
func copySourceKeyErr(err error) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Field != "" {
		c := *e
		c.Field = "x-amz-copy-source-" + strings.TrimPrefix(e.Field, "x-amz-")
		return &c
	}
	return err
}

func asDM(err error, dm **DeleteMarkerError) bool {
	e, ok := err.(*DeleteMarkerError)
	if ok {
		*dm = e
	}
	return ok
}

// CheckCopyOntoItself applies S3's rule that copying the current version of
// an object onto itself must change something: replace the metadata or
// compute a new checksum or change the encryption (a destination mode, or an
// SSE-C source whose copy is no longer under the customer's key). Otherwise
// it is InvalidRequest.
func CheckCopyOntoItself(in CopyInput) error {
	if in.SrcTenant == in.Tenant && in.SrcBucket == in.Bucket && in.SrcKey == in.Key && in.SrcVersionID == "" &&
		!in.ReplaceMeta && in.ChecksumAlgorithm == checksum.None && in.Encryption.Mode == SSENone &&
		in.SrcEncryption.Mode == SSENone {
		return errs.New(errs.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	return nil
}

// CopyObject copies an object version into a new object (or a new version
// of the same key). The data is rewritten, so the copy is independent of
// the source's lifetime.
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (CopyOutput, error) {
	if err := validateKey(in.Key); err != nil {
		return CopyOutput{}, err
	}
	if err := CheckCopyOntoItself(in); err != nil {
		return CopyOutput{}, err
	}
	if err := in.Lock.validate(s.opts.Now()); err != nil {
		return CopyOutput{}, err
	}
	enc, err := s.writeEncryption(ctx, in.Tenant, in.Bucket, in.Encryption)
	if err != nil {
		return CopyOutput{}, err
	}
	src, err := s.openCopySource(ctx, in.SrcTenant, in.SrcBucket, in.SrcKey, in.SrcVersionID, in.SrcCond, nil, in.SrcEncryption)
	if err != nil {
		return CopyOutput{}, err
	}
	defer src.body.Close()
	alg := in.ChecksumAlgorithm
	if alg == checksum.None {
		alg = src.rec.Checksum.Algorithm
	}
	if alg == checksum.None {
		alg = checksum.CRC64NVME
	}
	r := checksum.NewComputerMD5(src.body, alg, s.opts.MD5.Hash(src.length))
	var rec *versionRecord
	var blobID string
	if enc.Mode != SSENone {
		er, dk, err := s.newDataKey(ctx, enc, in.Bucket, in.Key)
		if err != nil {
			return CopyOutput{}, err
		}
		p, err := s.ingestSealed(r, src.length, dk, false)
		if err != nil {
			return CopyOutput{}, err
		}
		rec = &versionRecord{Size: p.size, ETag: encETag(enc.Mode, dk, r.MD5()), Meta: src.rec.Meta, Tags: src.rec.Tags,
			Checksum: r.Checksum(), Enc: er}
		rec.setSealed(p)
		blobID = p.blob
	} else {
		p, err := s.ingest(r, src.length)
		if err != nil {
			return CopyOutput{}, err
		}
		rec = &versionRecord{Size: p.size, ETag: hexMD5(r.MD5()), Meta: src.rec.Meta, Tags: src.rec.Tags,
			Checksum: r.Checksum(), inline: p.inline}
		if p.blob != "" {
			rec.Blobs = []blobRef{{ID: p.blob, Size: p.size}}
		}
		blobID = p.blob
	}
	rec.ACL = in.ACL
	if in.ReplaceMeta {
		rec.Meta = in.Meta
	}
	if in.ReplaceTags {
		rec.Tags = in.Tags
	}
	info, err := s.publish(ctx, publishInput{tenant: in.Tenant, bucket: in.Bucket, key: in.Key, rec: rec, cond: in.Cond, owner: in.Owner, lock: &in.Lock})
	if err != nil {
		s.discard(err, blobID)
		return CopyOutput{}, err
	}
	return CopyOutput{Info: info, SrcVersionID: src.versionID}, nil
}
