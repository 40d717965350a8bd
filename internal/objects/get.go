package objects

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kv"
)

// NotModifiedError is a read's 304: S3 still sends the ETag and Last-Modified.
type NotModifiedError struct {
	Err          *errs.Error
	ETag         string
	LastModified time.Time
}

func (e *NotModifiedError) Error() string   { return e.Err.Error() }
func (e *NotModifiedError) Unwrap() error   { return e.Err }
func (e *NotModifiedError) Is(t error) bool { return e.Err.Is(t) }

func hexMD5(b []byte) string { return hex.EncodeToString(b) }

// etagMatches compares an If-Match style list ("a", "b" or *) with an ETag.
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		t = strings.Trim(t, `"`)
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// checkReadConditions applies RFC 7232 as S3 does: If-Match before
// If-Unmodified-Since, If-None-Match before If-Modified-Since. For a copy
// source every failure is PreconditionFailed.
func checkReadConditions(c Conditions, etag string, mtime time.Time, copySource bool) error {
	failed := func(h string) error {
		return errs.Field(errs.PreconditionFailed, h, "At least one of the pre-conditions you specified did not hold")
	}
	notModified := func(h string) error {
		if copySource {
			return failed(h)
		}
		return &NotModifiedError{Err: errs.Field(errs.NotModified, h, "Not Modified"), ETag: etag, LastModified: mtime}
	}
	mt := mtime.Truncate(time.Second)
	if c.IfMatch != "" {
		if !etagMatches(c.IfMatch, etag) {
			return failed("If-Match")
		}
	} else if c.IfUnmodifiedSince != nil && mt.After(*c.IfUnmodifiedSince) {
		return failed("If-Unmodified-Since")
	}
	if c.IfNoneMatch != "" {
		if etagMatches(c.IfNoneMatch, etag) {
			return notModified("If-None-Match")
		}
	} else if c.IfModifiedSince != nil && !mt.After(*c.IfModifiedSince) {
		return notModified("If-Modified-Since")
	}
	return nil
}

// lookup finds a version of key: the latest (versionID "") or a given one.
// It returns the record and whether it is the latest.
func lookup(tx kv.Reader, b *bucketRecord, key, versionID string, withData bool) (*versionRecord, bool, error) {
	ck := currentKey(b.ID, key)
	raw, err := tx.Get(ck)
	var cur *versionRecord
	switch {
	case err == nil:
		if cur, err = decodeVersion(raw, withData); err != nil {
			return nil, false, err
		}
	case errors.Is(err, kv.ErrNotFound):
	default:
		return nil, false, err
	}
	if versionID == "" {
		if cur == nil {
			return nil, false, errs.Field(errs.NoSuchKey, "key", "The specified key does not exist.")
		}
		return cur, true, nil
	}
	if versionID == NullVersionID {
		if cur != nil && cur.isNull() {
			return cur, true, nil
		}
		v, _, err := findNoncurrentNull(tx, b.ID, key)
		if err != nil {
			return nil, false, err
		}
		if v == nil {
			return nil, false, errs.Field(errs.NoSuchVersion, "versionId", "The specified version does not exist.")
		}
		if withData && v.inline != nil {
			// findNoncurrentNull decodes without data; read it again with data.
			raw, err := tx.Get(versionKey(b.ID, key, v.Seq))
			if err != nil {
				return nil, false, err
			}
			if v, err = decodeVersion(raw, true); err != nil {
				return nil, false, err
			}
		}
		return v, false, nil
	}
	seq, ok := parseVersionID(versionID)
	if !ok {
		return nil, false, invalidVersion()
	}
	if cur != nil && cur.Seq == seq && cur.VID == versionID {
		return cur, true, nil
	}
	raw, err = tx.Get(versionKey(b.ID, key, seq))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, false, errs.Field(errs.NoSuchVersion, "versionId", "The specified version does not exist.")
	}
	if err != nil {
		return nil, false, err
	}
	v, err := decodeVersion(raw, withData)
	if err != nil {
		return nil, false, err
	}
	if v.VID != versionID {
		return nil, false, errs.Field(errs.NoSuchVersion, "versionId", "The specified version does not exist.")
	}
	return v, false, nil
}

// readVersion is lookup plus the delete-marker rules of reads.
func (s *Service) readVersion(ctx context.Context, tenant, bucket, key, versionID string, withData bool) (*versionRecord, *bucketRecord, bool, error) {
	var v *versionRecord
	var b *bucketRecord
	var latest bool
	var err error
	var fast bool
	if versionID == "" {
		v, b, fast, err = s.readLatestFast(ctx, tenant, bucket, key, withData)
		latest = true
	}
	if !fast {
		err = s.view(ctx, "GetObject", func(tx kv.Reader) error {
			var err error
			if b, err = s.readBucket(tx, tenant, bucket); err != nil {
				return err
			}
			v, latest, err = lookup(tx, b, key, versionID, withData)
			return err
		})
	}
	if err != nil {
		return nil, nil, false, err
	}
	if v.isDM() {
		if versionID == "" {
			return nil, nil, false, &DeleteMarkerError{VersionID: v.versionID(),
				Err: errs.Field(errs.NoSuchKey, "key", "The specified key does not exist.")}
		}
		return nil, nil, false, &DeleteMarkerError{VersionID: v.versionID(),
			Err: errs.Field(errs.MethodNotAllowed, "versionId", "The specified method is not allowed against this resource.")}
	}
	return v, b, latest, nil
}

// resolveRange turns a ByteRange into [start, start+length) within size.
func resolveRange(r *ByteRange, size int64) (int64, int64, error) {
	bad := errs.Field(errs.InvalidRange, "Range", "The requested range is not satisfiable")
	if r.Suffix > 0 {
		if size == 0 {
			return 0, 0, bad
		}
		n := min(r.Suffix, size)
		return size - n, n, nil
	}
	if r.Start >= size || r.Start < 0 {
		return 0, 0, bad
	}
	end := r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	if end < r.Start {
		return 0, 0, bad
	}
	return r.Start, end - r.Start + 1, nil
}

// errBlobGone is the cause of the NoSuchKey openContent returns when a
// version's blob file is missing: the version was replaced or deleted, and
// its blob collected, after the lookup that found it. A fresh lookup then
// finds what replaced it.
var errBlobGone = errors.New("objects: blob removed after lookup")

// maxReadAttempts bounds how often a read looks up again after finding the
// blob of what it looked up already collected.
const maxReadAttempts = 5

func (s *Service) getObject(ctx context.Context, in GetInput, withBody bool) (*GetOutput, error) {
	for attempt := 1; ; attempt++ {
		out, err := s.getObjectOnce(ctx, in, withBody)
		if err != nil && errors.Is(err, errBlobGone) && attempt < maxReadAttempts {
			continue
		}
		return out, err
	}
}

func (s *Service) getObjectOnce(ctx context.Context, in GetInput, withBody bool) (*GetOutput, error) {
	if err := validateKey(in.Key); err != nil {
		return nil, err
	}
	v, b, latest, err := s.readVersion(ctx, in.Tenant, in.Bucket, in.Key, in.VersionID, withBody)
	if err != nil {
		return nil, err
	}
	if (v.Enc != nil || in.Encryption.Mode != SSENone) && !(in.MetadataOnly && !withBody) {
		if err := checkCustomerKey(v.Enc, in.Encryption); err != nil {
			return nil, err
		}
	}
	if err := checkReadConditions(in.Cond, v.ETag, v.modTime(), false); err != nil {
		return nil, err
	}
	info := v.info(in.Bucket, in.Key, latest)
	info.Versioned = b.Versioning != VersioningUnset
	out := &GetOutput{Info: info, Start: 0, Length: v.Size, PartsCount: len(v.Parts)}
	switch {
	case in.PartNumber > 0:
		if len(v.Parts) == 0 {
			if in.PartNumber != 1 {
				return nil, errs.Field(errs.InvalidPartNumber, "partNumber", "The requested partnumber is not satisfiable")
			}
			out.Partial = true
			break
		}
		if in.PartNumber > len(v.Parts) {
			return nil, errs.Field(errs.InvalidPartNumber, "partNumber", "The requested partnumber is not satisfiable")
		}
		var off int64
		for _, p := range v.Parts[:in.PartNumber-1] {
			off += p.Size
		}
		out.Start, out.Length, out.Partial = off, v.Parts[in.PartNumber-1].Size, true
	case in.Range != nil:
		start, n, err := resolveRange(in.Range, v.Size)
		if err != nil {
			return nil, err
		}
		out.Start, out.Length, out.Partial = start, n, true
	}
	if withBody {
		if s.testHookBeforeOpen != nil {
			s.testHookBeforeOpen()
		}
		var body io.ReadCloser
		if v.Enc != nil {
			body, err = s.openSealed(ctx, v, in.Encryption, out.Start, out.Length)
		} else {
			body, err = s.openContent(v, out.Start, out.Length)
		}
		if err != nil {
			return nil, err
		}
		out.Body = body
	}
	return out, nil
}

// GetObject reads an object version (or a range or part of it).
func (s *Service) GetObject(ctx context.Context, in GetInput) (*GetOutput, error) {
	return s.getObject(ctx, in, true)
}

// HeadObject is GetObject without a body.
func (s *Service) HeadObject(ctx context.Context, in GetInput) (*GetOutput, error) {
	return s.getObject(ctx, in, false)
}

// openContent returns a reader of [start, start+length) of a version. Blob
// files are opened now, so a concurrent delete cannot pull them away
// mid-response (an open file outlives its unlink).
// openBlob opens a version's blob for reading. A blob gone under a reader
// (collected after an overwrite it raced) is NoSuchKey wrapping
// errBlobGone, which the GET paths retry on.
func (s *Service) openBlob(id string) (blob.ReadHandle, error) {
	h, err := s.blobs.Open(blob.ID(id))
	if err == nil {
		return h, nil
	}
	if errs.KindOf(err) == errs.NotFound {
		return nil, &errs.Error{Kind: errs.NoSuchKey, Field: "key", Msg: "The specified key does not exist.", Err: errBlobGone}
	}
	return nil, errs.Wrap(errs.Internal, err, "open blob")
}

func (s *Service) openContent(v *versionRecord, start, length int64) (io.ReadCloser, error) {
	if v.inline != nil || len(v.Blobs) == 0 {
		data := v.inline
		if int64(len(data)) < start+length {
			return nil, errs.New(errs.Internal, "inline data shorter than its record")
		}
		return &inlineContent{data: data[start : start+length]}, nil
	}
	c := &blobContent{}
	off := int64(0)
	for _, bl := range v.Blobs {
		bStart, bEnd := off, off+bl.Size
		off = bEnd
		lo, hi := max(start, bStart), min(start+length, bEnd)
		if lo >= hi {
			continue
		}
		h, err := s.openBlob(bl.ID)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.segs = append(c.segs, segment{h: h, off: lo - bStart, n: hi - lo})
	}
	return c, nil
}

type inlineContent struct {
	data []byte
	off  int
}

func (c *inlineContent) Read(p []byte) (int, error) {
	if c.off >= len(c.data) {
		return 0, io.EOF
	}
	n := copy(p, c.data[c.off:])
	c.off += n
	return n, nil
}

func (c *inlineContent) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(c.data[c.off:])
	c.off += n
	return int64(n), err
}

func (c *inlineContent) Close() error { return nil }

type segment struct {
	h      blob.ReadHandle
	off, n int64
}

// blobContent streams segments of blob files. WriteTo hands each segment to
// the writer as an *os.File section when it can, so net/http uses sendfile.
type blobContent struct {
	segs []segment
	cur  int
	pos  int64 // within segs[cur]
}

func (c *blobContent) Read(p []byte) (int, error) {
	for c.cur < len(c.segs) {
		sg := c.segs[c.cur]
		if c.pos >= sg.n {
			c.cur++
			c.pos = 0
			continue
		}
		want := min(int64(len(p)), sg.n-c.pos)
		n, err := sg.h.ReadAt(p[:want], sg.off+c.pos)
		c.pos += int64(n)
		if err == io.EOF && int64(n) == want {
			err = nil
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	return 0, io.EOF
}

func (c *blobContent) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for ; c.cur < len(c.segs); c.cur, c.pos = c.cur+1, 0 {
		sg := c.segs[c.cur]
		remaining := sg.n - c.pos
		if f := sg.h.File(); f != nil {
			if _, err := f.Seek(sg.off+c.pos, io.SeekStart); err != nil {
				return total, err
			}
			n, err := io.Copy(w, &io.LimitedReader{R: f, N: remaining})
			total += n
			c.pos += n
			if err != nil {
				return total, err
			}
			if n < remaining {
				return total, io.ErrUnexpectedEOF
			}
			continue
		}
		n, err := io.Copy(w, io.NewSectionReader(sg.h, sg.off+c.pos, remaining))
		total += n
		c.pos += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (c *blobContent) Close() error {
	var first error
	for _, sg := range c.segs {
		if err := sg.h.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.segs = nil
	return first
}
