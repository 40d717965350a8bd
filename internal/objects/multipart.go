package objects

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Multipart uploads: the upload record ('U') and one record per part ('P')
// live in kv, part data in blobs. Completion references the chosen parts'
// blobs from the new version; it copies no data.

func newUploadID(seq uint64) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], seq)
	_, _ = rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}

func validUploadID(id string) bool {
	if len(id) != 24 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func noSuchUpload() error {
	return errs.Field(errs.NoSuchUpload, "uploadId",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
}

func getUpload(tx kv.Reader, bid uint64, key, uploadID string) (*uploadRecord, error) {
	if !validUploadID(uploadID) {
		return nil, noSuchUpload()
	}
	raw, err := tx.Get(uploadKey(bid, key, uploadID))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, noSuchUpload()
	}
	if err != nil {
		return nil, err
	}
	var u uploadRecord
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateMultipartUpload starts an upload. Without a checksum algorithm the
// upload uses CRC64NVME FULL_OBJECT, as AWS does, and its parts may carry a
// checksum of any algorithm (see UploadPart).
func (s *Service) CreateMultipartUpload(ctx context.Context, in CreateUploadInput) (UploadInfo, error) {
	if err := validateKey(in.Key); err != nil {
		return UploadInfo{}, err
	}
	alg, typ := in.ChecksumAlgorithm, in.ChecksumType
	implicit := alg == checksum.None
	if implicit {
		if typ != checksum.TypeNone {
			return UploadInfo{}, errs.Field(errs.InvalidRequest, "x-amz-checksum-type",
				"The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		alg = checksum.CRC64NVME
	}
	if typ == checksum.TypeNone {
		typ = checksum.DefaultType(alg)
	}
	if err := checksum.ValidType(alg, typ); err != nil {
		return UploadInfo{}, err
	}
	if err := in.Lock.validate(s.opts.Now()); err != nil {
		return UploadInfo{}, err
	}
	er, err := s.uploadDataKey(ctx, in)
	if err != nil {
		return UploadInfo{}, err
	}
	var info UploadInfo
	err = s.update(ctx, "CreateMultipartUpload", func(tx kv.Txn) error {
		b, err := getBucket(tx, in.Tenant, in.Bucket)
		if err != nil {
			return err
		}
		seq := s.nextSeq(0)
		id := newUploadID(seq)
		rec := uploadRecord{Schema: 1, Initiated: s.opts.Now().UTC(), Meta: in.Meta, Tags: in.Tags,
			Algorithm: alg, Type: typ, Implicit: implicit, Owner: in.Owner, Enc: er}
		rec.ACL = in.ACL
		if !in.Lock.IsZero() {
			if !b.lockConfig().Enabled {
				return errNoBucketLock()
			}
			l := in.Lock
			rec.Lock = &l
		}
		info = rec.info(in.Bucket, in.Key, id)
		return tx.Set(uploadKey(b.ID, in.Key, id), marshal(&rec))
	})
	return info, err
}

func (s *Service) checkPartNumber(n int) error {
	if n < 1 || n > s.opts.MaxParts {
		return errs.Field(errs.InvalidArgument, "partNumber",
			"Part number must be an integer between 1 and %d, inclusive", s.opts.MaxParts)
	}
	return nil
}

// uploadAlgorithm reads an upload's checksum algorithm and whether the client
// left it to S3's default (and checks the upload exists).
func (s *Service) uploadAlgorithm(ctx context.Context, tenant, bucket, key, uploadID string) (alg checksum.Algorithm, implicit bool, err error) {
	err = s.view(ctx, "UploadPart", func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		u, err := getUpload(tx, b.ID, key, uploadID)
		if err != nil {
			return err
		}
		alg, implicit = u.Algorithm, u.Implicit
		return nil
	})
	return alg, implicit, err
}

// partSums decides a part's checksums: the one UploadPart reports (and
// ListParts lists) and, when that one is not in the upload's algorithm, the
// upload-algorithm checksum the object's checksum is combined from.
//
// A part checksum of another algorithm than the upload's is refused
// ("Checksum Type mismatch"), except on an upload created without an
// algorithm: AWS accepts the SDKs' default part checksum there (CRC32 from
// boto3 1.36+, the aws CLI and aws-sdk-go-v2), verifies it, echoes it, and
// still gives the object its default CRC64NVME FULL_OBJECT checksum.
type partSums struct {
	upload  checksum.Algorithm
	extra   hash.Hash // the upload's algorithm, computed alongside the body's
	useBody bool      // the body's own checksum is the part's reported one
}

func newPartSums(body *checksum.Reader, alg checksum.Algorithm, implicit bool) (partSums, error) {
	got := body.Checksum().Algorithm
	ps := partSums{upload: alg}
	switch {
	case alg == checksum.None:
		ps.useBody = true
	case body.Requested() && got == alg:
		ps.useBody = true
	case body.Requested() && !implicit:
		return partSums{}, errs.New(errs.InvalidRequest,
			"Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(string(alg)), strings.ToLower(string(got)))
	case body.Requested(): // implicit upload, another algorithm
		ps.useBody, ps.extra = true, checksum.New(alg)
	case got == alg: // nothing requested: the body computes the default, CRC64NVME
		ps.useBody = true
	default: // nothing requested, the upload's algorithm is not the default
		ps.extra = checksum.New(alg)
	}
	return ps, nil
}

// wrap tees body into the extra hash, if any.
func (ps *partSums) wrap(body io.Reader) io.Reader {
	if ps.extra == nil {
		return body
	}
	return io.TeeReader(body, ps.extra)
}

// results are (reported, combine) after the body's EOF; combine is zero
// when reported is already in the upload's algorithm.
func (ps *partSums) results(body *checksum.Reader) (reported, combine checksum.Value) {
	var extra checksum.Value
	if ps.extra != nil {
		extra = checksum.Value{Algorithm: ps.upload, Base64: base64.StdEncoding.EncodeToString(ps.extra.Sum(nil))}
	}
	switch {
	case !ps.useBody:
		return extra, checksum.Value{}
	case ps.extra != nil:
		return body.Checksum(), extra
	}
	return body.Checksum(), checksum.Value{}
}

// UploadPart stores one part from a body.
func (s *Service) UploadPart(ctx context.Context, in UploadPartInput) (PartInfo, error) {
	if err := s.checkPartNumber(in.PartNumber); err != nil {
		return PartInfo{}, err
	}
	alg, implicit, err := s.uploadAlgorithm(ctx, in.Tenant, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return PartInfo{}, err
	}
	sums, err := newPartSums(in.Body, alg, implicit)
	if err != nil {
		return PartInfo{}, err
	}
	ps, err := s.partSealer(ctx, in.Tenant, in.Bucket, in.Key, in.UploadID, in.Encryption)
	if err != nil {
		return PartInfo{}, err
	}
	p, err := ps.ingest(s, sums.wrap(in.Body), in.Size)
	if err != nil {
		return PartInfo{}, err
	}
	cs, combine := sums.results(in.Body)
	part := PartInfo{Number: in.PartNumber, Size: p.size, ETag: ps.etag(in.Body.MD5()),
		LastModified: s.opts.Now().UTC(), Checksum: cs}
	if err := s.storePart(ctx, in.Tenant, in.Bucket, in.Key, in.UploadID, part, combine, p); err != nil {
		s.discard(err, p.blob)
		return PartInfo{}, err
	}
	part.Encryption = ps.info()
	return part, nil
}

// ingestBlob is ingest that always writes a blob (parts are referenced by
// the completed object, so they are never inline).
func (s *Service) ingestBlob(body io.Reader, size int64) (payload, error) {
	saved := s.opts.InlineMax
	if size >= 0 && size <= saved {
		// Read through the blob path regardless of size.
		w, err := s.blobs.Create()
		if err != nil {
			return payload{}, errs.Wrap(errs.Internal, err, "create blob")
		}
		n, err := io.Copy(w, onlyReader{body})
		if err != nil {
			_ = w.Abort()
			return payload{}, bodyErr(err)
		}
		if n != size {
			_ = w.Abort()
			return payload{}, errs.New(errs.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		}
		id, err := w.Commit()
		if err != nil {
			return payload{}, errs.Wrap(errs.Internal, err, "commit blob")
		}
		return payload{blob: string(id), size: n}, nil
	}
	return s.ingest(body, size)
}

func (s *Service) storePart(ctx context.Context, tenant, bucket, key, uploadID string, part PartInfo, combine checksum.Value, p sealedPayload) error {
	blobID := p.blob
	var garbage bool
	err := s.update(ctx, "UploadPart", func(tx kv.Txn) error {
		garbage = false
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if _, err := getUpload(tx, b.ID, key, uploadID); err != nil {
			return err
		}
		pk := partKey(b.ID, uploadID, part.Number)
		delta := usageRecord{Bytes: part.Size}
		if raw, err := tx.Get(pk); err == nil {
			var old partRecord
			if err := json.Unmarshal(raw, &old); err != nil {
				return err
			}
			delta.Bytes -= old.Size
			if old.Blob != "" {
				if err := markGarbage(tx, []blobRef{{ID: old.Blob}}); err != nil {
					return err
				}
				garbage = true
			}
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if err := s.chargeUsage(tx, b, delta, s.nextSeq(0)); err != nil {
			return err
		}
		if err := tx.Set(refKey(blobID), nil); err != nil {
			return err
		}
		return tx.Set(pk, marshal(&partRecord{Schema: 1, PartInfo: part, Combine: combine, Blob: blobID, IV: p.iv, CSize: p.csize}))
	})
	if garbage {
		s.kickGC()
	}
	return err
}

// UploadPartCopy stores one part copied from (a range of) an object version.
func (s *Service) UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (PartInfo, string, error) {
	if err := s.checkPartNumber(in.PartNumber); err != nil {
		return PartInfo{}, "", err
	}
	alg, _, err := s.uploadAlgorithm(ctx, in.Tenant, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return PartInfo{}, "", err
	}
	ps, err := s.partSealer(ctx, in.Tenant, in.Bucket, in.Key, in.UploadID, in.Encryption)
	if err != nil {
		return PartInfo{}, "", err
	}
	src, err := s.openCopySource(ctx, in.SrcTenant, in.SrcBucket, in.SrcKey, in.SrcVersionID, in.SrcCond, in.SrcRange, in.SrcEncryption)
	if err != nil {
		return PartInfo{}, "", err
	}
	defer src.body.Close()
	r := checksum.NewComputerMD5(src.body, alg, s.opts.MD5.Hash(src.length))
	p, err := ps.ingest(s, r, src.length)
	if err != nil {
		return PartInfo{}, "", err
	}
	part := PartInfo{Number: in.PartNumber, Size: p.size, ETag: ps.etag(r.MD5()),
		LastModified: s.opts.Now().UTC(), Checksum: r.Checksum()}
	if err := s.storePart(ctx, in.Tenant, in.Bucket, in.Key, in.UploadID, part, checksum.Value{}, p); err != nil {
		s.discard(err, p.blob)
		return PartInfo{}, "", err
	}
	part.Encryption = ps.info()
	return part, src.versionID, nil
}

func readParts(tx kv.Reader, bid uint64, uploadID string, after, limit int) ([]partRecord, bool, error) {
	p := partPrefix(bid, uploadID)
	it := tx.NewIterator(p, kv.PrefixEnd(p))
	defer it.Close()
	var parts []partRecord
	ok := it.First()
	if after > 0 {
		ok = it.SeekGE(partKey(bid, uploadID, after+1))
	}
	for ; ok; ok = it.Next() {
		if limit > 0 && len(parts) == limit {
			return parts, true, nil
		}
		var pr partRecord
		if err := json.Unmarshal(it.Value(), &pr); err != nil {
			return nil, false, err
		}
		parts = append(parts, pr)
	}
	return parts, false, it.Err()
}

// CompleteMultipartUpload makes the chosen parts one object version.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in CompleteInput) (ObjectInfo, error) {
	if err := validateKey(in.Key); err != nil {
		return ObjectInfo{}, err
	}
	if len(in.Parts) == 0 {
		return ObjectInfo{}, errs.New(errs.MalformedXML, "You must specify at least one part")
	}
	for i := 1; i < len(in.Parts); i++ {
		if in.Parts[i].Number <= in.Parts[i-1].Number {
			return ObjectInfo{}, errs.New(errs.InvalidPartOrder, "The list of parts was not in ascending order. Parts must be ordered by part number.")
		}
	}
	var unused []blobRef
	var lock LockSpec
	hook := func(tx kv.Txn, b *bucketRecord, rec *versionRecord) (usageRecord, error) {
		unused = nil
		u, err := getUpload(tx, b.ID, in.Key, in.UploadID)
		if err != nil {
			return usageRecord{}, err
		}
		lock = LockSpec{}
		if u.Lock != nil {
			lock = *u.Lock
		}
		stored, _, err := readParts(tx, b.ID, in.UploadID, 0, 0)
		if err != nil {
			return usageRecord{}, err
		}
		byNum := make(map[int]*partRecord, len(stored))
		var delta usageRecord
		for i := range stored {
			byNum[stored[i].Number] = &stored[i]
			delta.Bytes -= stored[i].Size
		}
		md5s := make([]byte, 0, 16*len(in.Parts))
		rec.Parts, rec.Blobs, rec.Size = nil, nil, 0
		var sums []checksum.PartSum
		var values []string
		used := map[int]bool{}
		for _, cp := range in.Parts {
			sp := byNum[cp.Number]
			if sp == nil || strings.Trim(cp.ETag, `"`) != sp.ETag {
				return usageRecord{}, errs.Field(errs.InvalidPart, "Part",
					"One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
			}
			if cp.Checksum != "" && cp.Checksum != sp.Checksum.Base64 && cp.Checksum != sp.Combine.Base64 {
				return usageRecord{}, errs.Field(errs.InvalidPart, "Part",
					"The checksum of part %d does not match the checksum it was uploaded with.", cp.Number)
			}
			// The object's parts carry the object's algorithm.
			info := sp.PartInfo
			if !sp.Combine.IsZero() {
				info.Checksum = sp.Combine
			}
			raw, err := hex.DecodeString(sp.ETag)
			if err != nil {
				return usageRecord{}, err
			}
			md5s = append(md5s, raw...)
			used[cp.Number] = true
			rec.Parts = append(rec.Parts, info)
			rec.Blobs = append(rec.Blobs, blobRef{ID: sp.Blob, Size: sp.Size, IV: sp.IV, CSize: sp.CSize})
			rec.Size += sp.Size
			sums = append(sums, checksum.PartSum{Base64: info.Checksum.Base64, Size: sp.Size})
			values = append(values, info.Checksum.Base64)
		}
		// Sizes are checked once every part is known to exist, as S3 reports
		// InvalidPart before EntityTooSmall.
		for i, p := range rec.Parts[:len(rec.Parts)-1] {
			if p.Size < s.opts.MinPartSize {
				return usageRecord{}, errs.Field(errs.EntityTooSmall, "Part",
					"Your proposed upload is smaller than the minimum allowed size (part %d is %d bytes)", in.Parts[i].Number, p.Size)
			}
		}
		sum := md5.Sum(md5s)
		rec.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(in.Parts))
		rec.Meta, rec.Tags, rec.Owner, rec.Enc = u.Meta, u.Tags, u.Owner, u.Enc.clone()
		rec.ACL = u.ACL
		rec.Checksum = checksum.Value{}
		if u.Algorithm != checksum.None {
			var cv checksum.Value
			if u.Type == checksum.TypeFullObject {
				cv, err = checksum.FullObject(u.Algorithm, sums)
			} else {
				cv, err = checksum.Composite(u.Algorithm, values)
			}
			if err != nil {
				return usageRecord{}, err
			}
			if in.FullObjectChecksum != "" && strings.TrimSuffix(cv.Base64, fmt.Sprintf("-%d", len(in.Parts))) != in.FullObjectChecksum && cv.Base64 != in.FullObjectChecksum {
				return usageRecord{}, errs.Field(errs.BadDigest, "x-amz-checksum-"+strings.ToLower(string(u.Algorithm)),
					"The %s you specified did not match the calculated checksum.", u.Algorithm)
			}
			rec.Checksum = cv
		}
		for _, sp := range stored {
			if !used[sp.Number] && sp.Blob != "" {
				unused = append(unused, blobRef{ID: sp.Blob, Size: sp.Size})
			}
			if err := tx.Delete(partKey(b.ID, in.UploadID, sp.Number)); err != nil {
				return usageRecord{}, err
			}
		}
		if err := markGarbage(tx, unused); err != nil {
			return usageRecord{}, err
		}
		return delta, tx.Delete(uploadKey(b.ID, in.Key, in.UploadID))
	}
	info, err := s.publish(ctx, publishInput{tenant: in.Tenant, bucket: in.Bucket, key: in.Key,
		rec: &versionRecord{}, cond: in.Cond, hook: hook, lock: &lock})
	if err == nil && len(unused) > 0 {
		s.kickGC()
	}
	return info, err
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, tenant, bucket, key, uploadID string) error {
	err := s.update(ctx, "AbortMultipartUpload", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if _, err := getUpload(tx, b.ID, key, uploadID); err != nil {
			return err
		}
		parts, _, err := readParts(tx, b.ID, uploadID, 0, 0)
		if err != nil {
			return err
		}
		var delta usageRecord
		for _, p := range parts {
			delta.Bytes -= p.Size
			if p.Blob != "" {
				if err := markGarbage(tx, []blobRef{{ID: p.Blob}}); err != nil {
					return err
				}
			}
			if err := tx.Delete(partKey(b.ID, uploadID, p.Number)); err != nil {
				return err
			}
		}
		if err := s.chargeUsage(tx, b, delta, s.nextSeq(0)); err != nil {
			return err
		}
		return tx.Delete(uploadKey(b.ID, key, uploadID))
	})
	if err == nil {
		s.kickGC()
	}
	return err
}

func (u *uploadRecord) info(bucket, key, id string) UploadInfo {
	return UploadInfo{Bucket: bucket, Key: key, UploadID: id, Initiated: u.Initiated, Owner: u.Owner,
		Meta: u.Meta, ChecksumAlgorithm: u.Algorithm, ChecksumType: u.Type, Encryption: u.Enc.info()}
}

// ListParts pages through an upload's parts.
func (s *Service) ListParts(ctx context.Context, in ListPartsInput) (ListPartsOutput, error) {
	var out ListPartsOutput
	err := s.view(ctx, "ListParts", func(tx kv.Reader) error {
		b, err := getBucket(tx, in.Tenant, in.Bucket)
		if err != nil {
			return err
		}
		u, err := getUpload(tx, b.ID, in.Key, in.UploadID)
		if err != nil {
			return err
		}
		max := in.MaxParts
		if max <= 0 || max > 1000 {
			max = 1000
		}
		parts, more, err := readParts(tx, b.ID, in.UploadID, in.PartNumberMarker, max)
		if err != nil {
			return err
		}
		out = ListPartsOutput{Upload: u.info(in.Bucket, in.Key, in.UploadID), IsTruncated: more}
		for _, p := range parts {
			out.Parts = append(out.Parts, p.PartInfo)
		}
		if more && len(parts) > 0 {
			out.NextPartNumberMarker = parts[len(parts)-1].Number
		}
		return nil
	})
	return out, err
}

// ListMultipartUploads pages through a bucket's pending uploads by key, then
// by initiation time.
func (s *Service) ListMultipartUploads(ctx context.Context, in ListUploadsInput) (ListUploadsOutput, error) {
	var out ListUploadsOutput
	err := s.view(ctx, "ListMultipartUploads", func(tx kv.Reader) error {
		out = ListUploadsOutput{}
		b, err := getBucket(tx, in.Tenant, in.Bucket)
		if err != nil {
			return err
		}
		max := in.MaxUploads
		if max <= 0 || max > 1000 {
			max = 1000
		}
		base := bidPrefix(nsUpload, b.ID)
		lower := escapeKey(append([]byte(nil), base...), in.Prefix)
		it := tx.NewIterator(lower, kv.PrefixEnd(lower))
		defer it.Close()
		var ok bool
		switch {
		case in.KeyMarker != "" && in.UploadIDMarker == "":
			ok = it.SeekGE(kv.PrefixEnd(encKey(append([]byte(nil), base...), in.KeyMarker)))
		case in.KeyMarker != "":
			ok = it.SeekGE(append(append(encKey(append([]byte(nil), base...), in.KeyMarker), in.UploadIDMarker...), 0))
		default:
			ok = it.First()
		}
		count := 0
		for ok {
			key, id, valid := splitUploadKey(it.Key())
			if !valid {
				ok = it.Next()
				continue
			}
			if in.Delimiter != "" {
				if i := strings.Index(key[len(in.Prefix):], in.Delimiter); i >= 0 {
					cp := key[:len(in.Prefix)+i+len(in.Delimiter)]
					if cp != in.KeyMarker {
						if count == max {
							out.IsTruncated = true
							break
						}
						out.CommonPrefixes = append(out.CommonPrefixes, cp)
						out.NextKeyMarker, out.NextUploadIDMarker = cp, ""
						count++
					}
					ok = it.SeekGE(kv.PrefixEnd(escapeKey(append([]byte(nil), base...), cp)))
					continue
				}
			}
			if count == max {
				out.IsTruncated = true
				break
			}
			var u uploadRecord
			if err := json.Unmarshal(it.Value(), &u); err != nil {
				return err
			}
			out.Uploads = append(out.Uploads, u.info(in.Bucket, key, id))
			out.NextKeyMarker, out.NextUploadIDMarker = key, id
			count++
			ok = it.Next()
		}
		return it.Err()
	})
	return out, err
}
