package objects

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"coffer/internal/blob"
	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/kv"
)

// MaxKeyLength is S3's limit on object key length in bytes.
const MaxKeyLength = 1024

func validateKey(key string) error {
	if key == "" {
		return errs.Field(errs.InvalidArgument, "key", "object key must not be empty")
	}
	if len(key) > MaxKeyLength {
		return errs.Field(errs.KeyTooLong, "key", "Your key is too long")
	}
	if !utf8.ValidString(key) {
		return errs.Field(errs.InvalidArgument, "key", "object key must be UTF-8")
	}
	return nil
}

// newVersionID makes an opaque version id that still names its record: the
// version's seq and four random bytes, base64url.
func newVersionID(seq uint64) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], seq)
	_, _ = rand.Read(b[8:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// parseVersionID returns the seq inside a version id.
func parseVersionID(id string) (uint64, bool) {
	if len(id) != 16 {
		return 0, false
	}
	var b [12]byte
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(id)); err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[:8]), true
}

func invalidVersion() error {
	return errs.Field(errs.InvalidArgument, "versionId", "Invalid version id specified")
}

// DeleteMarkerError is returned when a read finds a delete marker: as the
// latest version (Is NoSuchKey) or addressed by its version id (Is
// MethodNotAllowed). S3 then sends x-amz-delete-marker and the version id.
type DeleteMarkerError struct {
	Err       *errs.Error
	VersionID string
}

func (e *DeleteMarkerError) Error() string   { return e.Err.Error() }
func (e *DeleteMarkerError) Unwrap() error   { return e.Err }
func (e *DeleteMarkerError) Is(t error) bool { return e.Err.Is(t) }

// payload is an ingested body: inline bytes or one durable blob.
type payload struct {
	inline []byte
	blob   string
	size   int64
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// ingest reads body to EOF (so every verifier in the chain runs) and stores
// it: inline when it fits in InlineMax, else as a durable blob. size is the
// announced length or -1. A short or long body is IncompleteBody.
func (s *Service) ingest(body io.Reader, size int64) (payload, error) {
	if size >= 0 && size <= s.opts.InlineMax {
		buf := make([]byte, size)
		if _, err := io.ReadFull(body, buf); err != nil {
			return payload{}, bodyErr(err)
		}
		if err := expectEOF(body); err != nil {
			return payload{}, err
		}
		return payload{inline: buf, size: size}, nil
	}
	w, err := s.blobs.Create()
	if err != nil {
		return payload{}, errs.Wrap(errs.Internal, err, "create blob")
	}
	bp := copyBufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(w, onlyReader{body}, *bp)
	copyBufPool.Put(bp)
	if err != nil {
		_ = w.Abort()
		return payload{}, bodyErr(err)
	}
	if size >= 0 && n != size {
		_ = w.Abort()
		return payload{}, errs.New(errs.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	id, err := w.Commit()
	if err != nil {
		return payload{}, errs.Wrap(errs.Internal, err, "commit blob")
	}
	return payload{blob: string(id), size: n}, nil
}

// inlineBufs holds putInline's body buffers: the body is copied into the
// record's encoding and the store copies that (kv.Txn.Set), so the buffer
// is free again once the PUT returns.
var inlineBufs = sync.Pool{New: func() any { return new([]byte) }}

// ingestInline is ingest of a body known to be inline, into *bp (grown as
// needed).
func ingestInline(body io.Reader, size int64, bp *[]byte) (payload, error) {
	if int64(cap(*bp)) < size {
		*bp = make([]byte, size)
	}
	buf := (*bp)[:size]
	if _, err := io.ReadFull(body, buf); err != nil {
		return payload{}, bodyErr(err)
	}
	if err := expectEOF(body); err != nil {
		return payload{}, err
	}
	return payload{inline: buf, size: size}, nil
}

// onlyReader hides WriteTo/ReadFrom so io.CopyBuffer uses our buffer.
type onlyReader struct{ io.Reader }

func bodyErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errs.New(errs.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.Wrap(errs.IncompleteBody, err, "reading the request body")
}

// expectEOF reads past the announced end so the verifiers see EOF.
func expectEOF(r io.Reader) error {
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return errs.New(errs.IncompleteBody, "the request body is longer than its Content-Length")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyErr(err)
		}
	}
}

// discard removes blobs a failed write made. After an internal error the
// commit may or may not have happened, so the blob is left to the startup
// sweep, which only removes unreferenced ones; but an Update that ended with
// its context's error (or because the store closed) never committed, and
// its blobs would otherwise stay until the next restart.
func (s *Service) discard(err error, ids ...string) {
	if errs.KindOf(err) == errs.Internal && !notCommitted(err) {
		return
	}
	for _, id := range ids {
		if id != "" {
			_ = s.blobs.Remove(blob.ID(id))
		}
	}
}

// notCommitted reports errors with which kv.Store.Update returns before any
// commit: the context's end (checked before each attempt) and a closed store.
func notCommitted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kv.ErrClosed)
}

// PutObject stores one object from a body.
func (s *Service) PutObject(ctx context.Context, in PutInput) (ObjectInfo, error) {
	if err := validateKey(in.Key); err != nil {
		return ObjectInfo{}, err
	}
	if err := in.Lock.validate(s.opts.Now()); err != nil {
		return ObjectInfo{}, err
	}
	if in.Encryption.Mode == SSENone && in.Size >= 0 && in.Size <= s.opts.InlineMax &&
		!s.cachedDefaultEncryption(in.Tenant, in.Bucket) {
		return s.putInline(ctx, in)
	}
	enc, err := s.writeEncryption(ctx, in.Tenant, in.Bucket, in.Encryption)
	if err != nil {
		return ObjectInfo{}, err
	}
	if enc.Mode != SSENone {
		return s.putSealed(ctx, in, enc, in.Body)
	}
	p, err := s.ingest(in.Body, in.Size)
	if err != nil {
		return ObjectInfo{}, err
	}
	rec := &versionRecord{Size: p.size, ETag: hexMD5(in.Body.MD5()), Meta: in.Meta, Tags: in.Tags,
		Checksum: in.Body.Checksum(), inline: p.inline}
	rec.ACL = in.ACL
	if p.blob != "" {
		rec.Blobs = []blobRef{{ID: p.blob, Size: p.size}}
	}
	info, err := s.publish(ctx, publishInput{tenant: in.Tenant, bucket: in.Bucket, key: in.Key, rec: rec, cond: in.Cond, owner: in.Owner, lock: &in.Lock})
	if err != nil {
		s.discard(err, p.blob)
		return ObjectInfo{}, err
	}
	return info, nil
}

// errSealNeeded aborts a putInline commit that found the bucket's default
// encryption applying to the object.
var errSealNeeded = errors.New("objects: the bucket's default encryption applies")

// putInline is PutObject of a body small enough to be inline and with no
// encryption asked for: the body is read first and the bucket once, in the
// commit, which checks that no default encryption applies. The bucket
// pre-check (bucketForWrite) would be a second read of the bucket record,
// and a snapshot, per small PUT. If the bucket does encrypt by default
// (its cached record did not say so: a new or just changed bucket), the
// buffered body is sealed and written by putSealed.
func (s *Service) putInline(ctx context.Context, in PutInput) (ObjectInfo, error) {
	bp := inlineBufs.Get().(*[]byte)
	defer inlineBufs.Put(bp)
	p, err := ingestInline(in.Body, in.Size, bp)
	if err != nil {
		// A missing bucket answers before a bad body, as when it is checked first.
		if berr := s.checkBucket(ctx, in.Tenant, in.Bucket); berr != nil {
			return ObjectInfo{}, berr
		}
		return ObjectInfo{}, err
	}
	rec := &versionRecord{Size: p.size, ETag: hexMD5(in.Body.MD5()), Meta: in.Meta, Tags: in.Tags,
		Checksum: in.Body.Checksum(), inline: p.inline}
	rec.ACL = in.ACL
	for range maxSealRechecks {
		info, err := s.publish(ctx, publishInput{tenant: in.Tenant, bucket: in.Bucket, key: in.Key, rec: rec,
			cond: in.Cond, owner: in.Owner, lock: &in.Lock, plain: true})
		if !errors.Is(err, errSealNeeded) {
			return info, err
		}
		enc, err := s.writeEncryption(ctx, in.Tenant, in.Bucket, in.Encryption)
		if err != nil {
			return ObjectInfo{}, err
		}
		if enc.Mode != SSENone {
			return s.putSealed(ctx, in, enc, bytes.NewReader(p.inline))
		}
		// The default encryption was removed meanwhile: commit plain again,
		// checking again.
	}
	return ObjectInfo{}, errs.New(errs.Conflict, "the bucket's encryption changed during the write, try again")
}

// maxSealRechecks bounds putInline's commits while the bucket's default
// encryption keeps changing under it.
const maxSealRechecks = 4

// putSealed is PutObject of an encrypted object; body is in.Body or, from
// putInline, the bytes in.Body delivered (whose MD5 and checksum it has).
func (s *Service) putSealed(ctx context.Context, in PutInput, enc Encryption, body io.Reader) (ObjectInfo, error) {
	er, dk, err := s.newDataKey(ctx, enc, in.Bucket, in.Key)
	if err != nil {
		return ObjectInfo{}, err
	}
	p, err := s.ingestSealed(body, in.Size, dk, false)
	if err != nil {
		return ObjectInfo{}, err
	}
	rec := &versionRecord{Size: p.size, ETag: encETag(enc.Mode, dk, in.Body.MD5()), Meta: in.Meta, Tags: in.Tags,
		Checksum: in.Body.Checksum(), inline: p.inline, Enc: er}
	rec.setSealed(p)
	rec.ACL = in.ACL
	info, err := s.publish(ctx, publishInput{tenant: in.Tenant, bucket: in.Bucket, key: in.Key, rec: rec, cond: in.Cond, owner: in.Owner, lock: &in.Lock})
	if err != nil {
		s.discard(err, p.blob)
		return ObjectInfo{}, err
	}
	return info, nil
}

// setSealed places an encrypted payload in a record: inline with the
// stream's nonce base in Enc, or as one blob carrying its own.
func (v *versionRecord) setSealed(p sealedPayload) {
	v.inline = p.inline
	if p.blob != "" {
		v.Blobs = []blobRef{{ID: p.blob, Size: p.size, IV: p.iv, CSize: p.csize}}
	} else {
		v.Enc.IV = p.iv
	}
}

// bucketForWrite is checkBucket returning the bucket record, whose default
// encryption the write applies.
func (s *Service) bucketForWrite(ctx context.Context, tenant, bucket string) (*bucketRecord, error) {
	var b *bucketRecord
	err := s.view(ctx, "checkBucket", func(tx kv.Reader) error {
		var err error
		b, err = s.readBucket(tx, tenant, bucket)
		return err
	})
	return b, err
}

// checkBucket fails early (before reading a body) when the bucket is missing.
func (s *Service) checkBucket(ctx context.Context, tenant, bucket string) error {
	return s.view(ctx, "checkBucket", func(tx kv.Reader) error {
		_, err := s.readBucket(tx, tenant, bucket)
		return err
	})
}

// publishInput is a new version to make current.
type publishInput struct {
	tenant, bucket, key string
	rec                 *versionRecord
	cond                Conditions
	owner               string
	// lock is the Object Lock the write asks for (nil: none); it is read
	// after hook runs, so a hook may fill it in.
	lock *LockSpec
	// hook runs first inside the transaction (multipart completion uses it
	// to check and consume its upload); it fills in rec and returns a usage
	// change of its own.
	hook func(tx kv.Txn, b *bucketRecord, rec *versionRecord) (usageRecord, error)
	// plain: rec is unencrypted without the bucket having been checked for
	// a default encryption (putInline); the commit fails with errSealNeeded
	// if one applies.
	plain bool
}

// publish commits a new current version in one transaction: preconditions,
// versioning, the replaced version's fate, references, quota and usage.
func (s *Service) publish(ctx context.Context, in publishInput) (ObjectInfo, error) {
	var out ObjectInfo
	var garbage bool
	enc := recordBufs.Get().(*[]byte)
	defer recordBufs.Put(enc)
	err := s.update(ctx, "PutObject", func(tx kv.Txn) error {
		garbage = false
		b, err := s.readBucket(tx, in.tenant, in.bucket)
		if err != nil {
			return err
		}
		if in.plain {
			if enc, err := resolveEncryption(Encryption{}, b); err != nil {
				return err
			} else if enc.Mode != SSENone {
				return errSealNeeded
			}
		}
		rec := *in.rec
		var hookDelta usageRecord
		if in.hook != nil {
			if hookDelta, err = in.hook(tx, b, &rec); err != nil {
				return err
			}
		}
		ck := currentKey(b.ID, in.key)
		cur, curRaw, err := getCurrent(tx, ck)
		if err != nil {
			return err
		}
		if err := checkWriteConditions(in.cond, cur); err != nil {
			return err
		}
		var floor uint64
		if cur != nil {
			floor = cur.Seq
		}
		rec.Seq = s.nextSeq(floor)
		rec.flags &^= flagDeleteMarker | flagNull
		if b.Versioning == VersioningEnabled {
			rec.VID = newVersionID(rec.Seq)
		} else {
			rec.VID = ""
			rec.flags |= flagNull
		}
		if in.owner != "" {
			rec.Owner = in.owner
		}
		var spec LockSpec
		if in.lock != nil {
			spec = *in.lock
		}
		if rec.Lock, err = newVersionLock(b, spec, rec.modTime()); err != nil {
			return err
		}
		delta, g, err := s.retireCurrent(tx, b, in.key, cur, curRaw)
		if err != nil {
			return err
		}
		garbage = g
		delta.Bytes += rec.Size + hookDelta.Bytes
		delta.Objects += 1 + hookDelta.Objects
		if err := s.chargeUsage(tx, b, delta, rec.Seq); err != nil {
			return err
		}
		for _, bl := range rec.Blobs {
			if err := tx.Set(refKey(bl.ID), nil); err != nil {
				return err
			}
		}
		*enc = rec.appendEncode((*enc)[:0])
		if err := tx.Set(ck, *enc); err != nil {
			return err
		}
		out = rec.info(in.bucket, in.key, true)
		out.Versioned = b.Versioning != VersioningUnset
		return nil
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	if garbage {
		s.kickGC()
	}
	return out, nil
}

// recordBufs holds publish's encoding buffers (kv.Txn.Set copies the value).
var recordBufs = sync.Pool{New: func() any { return new([]byte) }}

// retireCurrent makes room for a new current version: a null current version
// is dropped when the new one will be null too; any other current version
// becomes noncurrent. While versioning is Suspended a noncurrent null version
// is dropped as well (a key has one null version at most).
func (s *Service) retireCurrent(tx kv.Txn, b *bucketRecord, key string, cur *versionRecord, curRaw []byte) (usageRecord, bool, error) {
	var delta usageRecord
	garbage := false
	newIsNull := b.Versioning != VersioningEnabled
	// Every refusal comes before the first write, so that a transaction
	// shared by several keys (DeleteObjects) can refuse this one alone.
	var oldNull *versionRecord
	var oldNullSeq uint64
	if newIsNull && b.Versioning == VersioningSuspended {
		var err error
		if oldNull, oldNullSeq, err = findNoncurrentNull(tx, b.ID, key); err != nil {
			return delta, false, err
		}
		if oldNull != nil {
			if err := checkRemoval(oldNull.Lock, s.opts.Now(), false); err != nil {
				return delta, false, err
			}
		}
	}
	if cur != nil {
		if cur.isNull() && newIsNull {
			// Replacing the null version in place removes it.
			if err := checkRemoval(cur.Lock, s.opts.Now(), false); err != nil {
				return delta, false, err
			}
			delta.Bytes -= cur.Size
			delta.Objects--
			if err := markGarbage(tx, cur.Blobs); err != nil {
				return delta, false, err
			}
			garbage = len(cur.Blobs) > 0
		} else if err := tx.Set(versionKey(b.ID, key, cur.Seq), curRaw); err != nil {
			return delta, false, err
		}
	}
	if oldNull != nil {
		// Found before cur was written among the noncurrent versions: cur is
		// not null there (else it was the null one replaced above), so the
		// write cannot have changed what the scan finds.
		if err := tx.Delete(versionKey(b.ID, key, oldNullSeq)); err != nil {
			return delta, false, err
		}
		delta.Bytes -= oldNull.Size
		delta.Objects--
		if err := markGarbage(tx, oldNull.Blobs); err != nil {
			return delta, false, err
		}
		garbage = garbage || len(oldNull.Blobs) > 0
	}
	return delta, garbage, nil
}

func getCurrent(tx kv.Reader, ck []byte) (*versionRecord, []byte, error) {
	return readCurrent(tx, ck, true)
}

// readCurrent reads and decodes the current version record at ck (nil when
// there is none). withData copies the raw record and decodes the inline
// data; without it the record is the store's (valid until the transaction
// ends) and the data is left out.
func readCurrent(tx kv.Reader, ck []byte, withData bool) (*versionRecord, []byte, error) {
	raw, err := tx.Get(ck)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if withData {
		raw = append([]byte(nil), raw...)
	}
	v, err := decodeVersion(raw, withData)
	if err != nil {
		return nil, nil, err
	}
	return v, raw, nil
}

// findNoncurrentNull scans a key's noncurrent versions for the null one.
func findNoncurrentNull(tx kv.Reader, bid uint64, key string) (*versionRecord, uint64, error) {
	p := versionKeyPrefix(bid, key)
	it := tx.NewIterator(p, kv.PrefixEnd(p))
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if recordFlags(it.Value())&flagNull == 0 {
			continue
		}
		v, err := decodeVersion(it.Value(), false)
		if err != nil {
			return nil, 0, err
		}
		_, seq, _ := splitVersionKey(it.Key())
		return v, seq, nil
	}
	return nil, 0, it.Err()
}

func markGarbage(tx kv.Txn, blobs []blobRef) error {
	for _, b := range blobs {
		if err := tx.Delete(refKey(b.ID)); err != nil {
			return err
		}
		if err := tx.Set(garbageKey(b.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// checkWriteConditions applies If-None-Match: * and If-Match to the version
// a write would replace, inside the write's transaction (no race).
func checkWriteConditions(c Conditions, cur *versionRecord) error {
	exists := cur != nil && !cur.isDM()
	if c.IfNoneMatch != "" {
		if c.IfNoneMatch == "*" && exists || exists && etagMatches(c.IfNoneMatch, cur.ETag) {
			return errs.Field(errs.PreconditionFailed, "If-None-Match", "At least one of the pre-conditions you specified did not hold")
		}
	}
	if c.IfMatch != "" {
		if !exists {
			return errs.Field(errs.NoSuchKey, "If-Match", "The specified key does not exist.")
		}
		if !etagMatches(c.IfMatch, cur.ETag) {
			return errs.Field(errs.PreconditionFailed, "If-Match", "At least one of the pre-conditions you specified did not hold")
		}
	}
	return nil
}

var _ = checksum.None
