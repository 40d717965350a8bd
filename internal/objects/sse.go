package objects

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"

	"coffer/internal/blob"
	"coffer/internal/errs"
	"coffer/internal/kms"
	"coffer/internal/kv"
	"coffer/internal/sse"
)

// Server-side encryption. The object layer decides what is encrypted with
// which key; the adapter only parses headers into an Encryption.
//
// Every encrypted object version (and every multipart upload) has its own
// random 32-byte data key. Its data is the internal/sse format: 64 KiB
// packages sealed with AES-256-GCM, one stream per blob (or inline body),
// each stream with its own random nonce base. The record keeps only the
// data key's sealed form:
//
//   - SSE-S3 and SSE-KMS: sealed by Options.Keys under the named key
//     (kms.DefaultKeyID for SSE-S3), bound to a context naming the bucket
//     and key plus the caller's encryption context;
//   - SSE-C: sealed (AES-256-GCM) under a key-encryption key derived from
//     the customer key and a random per-version salt; beside it a keyed
//     digest (HMAC-SHA256 under the customer key of the salt) recognises
//     the right key. The customer key itself is never stored.
//
// ETags: SSE-S3 keeps the MD5 of the plaintext, as AWS does. For SSE-KMS
// and SSE-C AWS's ETag is not the MD5 of the data; Coffer's is an HMAC of
// the plaintext MD5 under the data key (32 hex digits, stable per version).
// Checksums (x-amz-checksum-*) are always over the plaintext.

// encRecord is how a version's (or an upload's) data is encrypted. Part of
// the version record (JSON "x"), the upload record and nothing else.
type encRecord struct {
	Mode SSEMode `json:"m"`
	// KeyID is the KMS key that sealed the data key (SSE-S3, SSE-KMS).
	KeyID string `json:"k,omitempty"`
	// Sealed is the data key sealed by the KMS or, for SSE-C, under the
	// key derived from the customer key.
	Sealed []byte `json:"d"`
	// KMSContext is the context the KMS bound the data key to.
	KMSContext []byte `json:"kc,omitempty"`
	// UserContext is the caller's SSE-KMS context as sent (echoed).
	UserContext string `json:"uc,omitempty"`
	BucketKey   bool   `json:"bk,omitempty"`
	// Salt and Digest recognise the SSE-C key: Digest =
	// HMAC-SHA256(customer key, "coffer sse-c digest" || Salt).
	Salt   []byte `json:"s,omitempty"`
	Digest []byte `json:"h,omitempty"`
	// IV is the nonce base of an inline body (blobs carry their own).
	IV []byte `json:"iv,omitempty"`
}

func (e *encRecord) info() EncryptionInfo {
	if e == nil {
		return EncryptionInfo{}
	}
	return EncryptionInfo{Mode: e.Mode, KMSKeyID: e.KeyID, KMSContext: e.UserContext, BucketKey: e.BucketKey}
}

func (e *encRecord) clone() *encRecord {
	if e == nil {
		return nil
	}
	c := *e
	c.IV = nil
	return &c
}

// Encode renders a bucket's default encryption for PutBucketConfig.
func (c BucketEncryption) Encode() []byte { return marshal(c) }

// ParseBucketEncryption reads what BucketEncryption.Encode wrote.
func ParseBucketEncryption(b []byte) (BucketEncryption, error) {
	var c BucketEncryption
	if err := json.Unmarshal(b, &c); err != nil {
		return c, errs.Wrap(errs.Internal, err, "bucket encryption configuration")
	}
	return c, nil
}

// writeEncryption reads the bucket for a write and resolves the encryption
// the write gets (resolveEncryption).
func (s *Service) writeEncryption(ctx context.Context, tenant, bucket string, req Encryption) (Encryption, error) {
	b, err := s.bucketForWrite(ctx, tenant, bucket)
	if err != nil {
		return Encryption{}, err
	}
	return resolveEncryption(req, b)
}

// resolveEncryption is the encryption a write gets: the request's, or the
// bucket's default when the request asks for none.
func resolveEncryption(req Encryption, b *bucketRecord) (Encryption, error) {
	if req.Mode != SSENone {
		return req, nil
	}
	raw := b.Configs[ConfigEncryption]
	if raw == nil {
		return req, nil
	}
	c, err := ParseBucketEncryption(raw)
	if err != nil {
		return req, err
	}
	return Encryption{Mode: c.Algorithm, KMSKeyID: c.KMSKeyID, BucketKey: c.BucketKey}, nil
}

var (
	ssecDigestLabel = []byte("coffer sse-c digest")
	ssecKEKLabel    = []byte("coffer sse-c kek")
	ssecAAD         = []byte("coffer sse-c data key")
	etagLabel       = []byte("coffer sse etag")
)

func keyedHash(key, label, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(label)
	m.Write(data)
	return m.Sum(nil)
}

// kmsContext is what the data key of bucket/key is bound to in the KMS.
func kmsContext(bucket, key, user string) []byte {
	b := []byte("arn:aws:s3:::" + bucket + "/" + key)
	if user != "" {
		b = append(append(b, 0), user...)
	}
	return b
}

func (s *Service) keys() (kms.Service, error) {
	if s.opts.Keys == nil {
		return nil, errs.New(errs.NotImplemented, "server-side encryption with SSE-S3 or SSE-KMS needs a key service, and none is configured")
	}
	return s.opts.Keys, nil
}

// newDataKey makes the data key of a new version or upload of bucket/key,
// and the record that will keep it sealed.
func (s *Service) newDataKey(ctx context.Context, enc Encryption, bucket, key string) (*encRecord, []byte, error) {
	switch {
	case enc.Mode == SSEC:
		if len(enc.CustomerKey) != sse.KeySize {
			return nil, nil, errs.Field(errs.InvalidArgument, "x-amz-server-side-encryption-customer-key",
				"The secret key was invalid for the specified algorithm.")
		}
		dk := make([]byte, sse.KeySize)
		salt := make([]byte, 16)
		if _, err := rand.Read(dk); err != nil {
			return nil, nil, errs.Wrap(errs.Internal, err, "data key")
		}
		if _, err := rand.Read(salt); err != nil {
			return nil, nil, errs.Wrap(errs.Internal, err, "data key")
		}
		sealed, err := sse.SealKey(keyedHash(enc.CustomerKey, ssecKEKLabel, salt), dk, ssecAAD)
		if err != nil {
			return nil, nil, errs.Wrap(errs.Internal, err, "seal data key")
		}
		return &encRecord{Mode: SSEC, Sealed: sealed, Salt: salt,
			Digest: keyedHash(enc.CustomerKey, ssecDigestLabel, salt)}, dk, nil
	case enc.Mode == SSES3 || enc.Mode.IsKMS():
		ks, err := s.keys()
		if err != nil {
			return nil, nil, err
		}
		keyID := enc.KMSKeyID
		if enc.Mode == SSES3 || keyID == "" {
			keyID = kms.DefaultKeyID
		}
		kc := kmsContext(bucket, key, enc.KMSContext)
		dk, err := ks.GenerateDataKey(ctx, keyID, kc)
		if err != nil {
			return nil, nil, kmsErr(err, "generate data key")
		}
		if len(dk.Plaintext) != sse.KeySize {
			return nil, nil, errs.New(errs.Internal, "the key service returned a %d-byte data key", len(dk.Plaintext))
		}
		rec := &encRecord{Mode: enc.Mode, KeyID: dk.KeyID, Sealed: dk.Sealed, KMSContext: kc, BucketKey: enc.BucketKey}
		if rec.KeyID == "" {
			rec.KeyID = keyID
		}
		if enc.Mode.IsKMS() {
			rec.UserContext = enc.KMSContext
		}
		return rec, dk.Plaintext, nil
	}
	return nil, nil, errs.Field(errs.InvalidArgument, "x-amz-server-side-encryption", "The encryption method specified is not supported")
}

func kmsErr(err error, what string) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.Wrap(errs.Internal, err, "%s", what)
}

// checkCustomerKey applies S3's SSE-C rules to a read or a part upload:
// an SSE-C object needs its key (InvalidRequest without, AccessDenied with a
// wrong one), and SSE-C parameters on anything else are InvalidRequest.
func checkCustomerKey(e *encRecord, req Encryption) error {
	isC := e != nil && e.Mode == SSEC
	switch {
	case !isC && req.Mode == SSEC:
		return errs.Field(errs.InvalidRequest, "x-amz-server-side-encryption-customer-algorithm",
			"The encryption parameters are not applicable to this object.")
	case !isC:
		return nil
	case req.Mode != SSEC:
		return errs.Field(errs.InvalidRequest, "x-amz-server-side-encryption-customer-algorithm",
			"The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	case !hmac.Equal(keyedHash(req.CustomerKey, ssecDigestLabel, e.Salt), e.Digest):
		return errs.Field(errs.AccessDenied, "x-amz-server-side-encryption-customer-key",
			"The provided customer key does not match the key the object was encrypted with.")
	}
	return nil
}

// openDataKey unseals a version's data key (after checkCustomerKey).
func (s *Service) openDataKey(ctx context.Context, e *encRecord, req Encryption) ([]byte, error) {
	if err := checkCustomerKey(e, req); err != nil {
		return nil, err
	}
	if e.Mode == SSEC {
		dk, err := sse.OpenKey(keyedHash(req.CustomerKey, ssecKEKLabel, e.Salt), e.Sealed, ssecAAD)
		if err != nil {
			return nil, errs.Field(errs.AccessDenied, "x-amz-server-side-encryption-customer-key",
				"The provided customer key does not match the key the object was encrypted with.")
		}
		return dk, nil
	}
	ks, err := s.keys()
	if err != nil {
		return nil, err
	}
	dk, err := ks.Decrypt(ctx, e.KeyID, e.Sealed, e.KMSContext)
	if err != nil {
		return nil, kmsErr(err, "open data key")
	}
	return dk, nil
}

// encETag is the ETag of an encrypted object or part from its plaintext MD5.
func encETag(mode SSEMode, dataKey, md5 []byte) string {
	if mode == SSES3 {
		return hexMD5(md5)
	}
	return hex.EncodeToString(keyedHash(dataKey, etagLabel, md5)[:16])
}

// sealedPayload is an encrypted body as stored: payload.size is the
// plaintext size, csize the ciphertext's (sse.SealedSize of it).
type sealedPayload struct {
	payload
	csize int64
	iv    []byte
}

// ingestSealed is ingest (or ingestBlob, for parts) of the encryption of
// body under dataKey, with a fresh nonce base.
func (s *Service) ingestSealed(body io.Reader, size int64, dataKey []byte, alwaysBlob bool) (sealedPayload, error) {
	iv := sse.NewNonceBase()
	st, err := sse.NewStream(dataKey, iv)
	if err != nil {
		return sealedPayload{}, errs.Wrap(errs.Internal, err, "encryption")
	}
	er := st.EncryptReader(body)
	defer er.Close()
	csize := int64(-1)
	if size >= 0 {
		csize = sse.SealedSize(size)
	}
	var p payload
	if alwaysBlob {
		p, err = s.ingestBlob(er, csize)
	} else {
		p, err = s.ingest(er, csize)
	}
	if err != nil {
		return sealedPayload{}, err
	}
	out := sealedPayload{payload: p, csize: p.size, iv: iv}
	out.size = er.PlainBytes()
	if sse.SealedSize(out.size) != out.csize {
		if p.blob != "" {
			_ = s.blobs.Remove(blob.ID(p.blob))
		}
		return sealedPayload{}, errs.New(errs.Internal, "encrypted %d bytes into %d", out.size, out.csize)
	}
	return out, nil
}

// openSealed is openContent for an encrypted version: it opens the data
// key and returns a reader of the plaintext [start, start+length), which
// decrypts only the packages it needs. Encrypted data cannot be sent with
// sendfile.
func (s *Service) openSealed(ctx context.Context, v *versionRecord, req Encryption, start, length int64) (io.ReadCloser, error) {
	dk, err := s.openDataKey(ctx, v.Enc, req)
	if err != nil {
		return nil, err
	}
	c := &sealedContent{}
	if v.inline != nil || len(v.Blobs) == 0 {
		st, err := sse.NewStream(dk, v.Enc.IV)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "encrypted inline data")
		}
		if sse.SealedSize(v.Size) != int64(len(v.inline)) {
			return nil, errs.New(errs.Internal, "inline ciphertext of %d bytes for a %d-byte object", len(v.inline), v.Size)
		}
		d, err := st.DecryptRange(bytes.NewReader(v.inline), v.Size, start, length)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "encrypted inline data")
		}
		c.segs = append(c.segs, d)
		return c, nil
	}
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
		c.handles = append(c.handles, h)
		st, err := sse.NewStream(dk, bl.IV)
		if err == nil && h.Size() != sse.SealedSize(bl.Size) {
			err = errors.New("blob size is not the ciphertext size of its plaintext")
		}
		var d *sse.DecryptReader
		if err == nil {
			d, err = st.DecryptRange(h, bl.Size, lo-bStart, hi-lo)
		}
		if err != nil {
			c.Close()
			return nil, errs.Wrap(errs.Internal, err, "encrypted blob %s", bl.ID)
		}
		c.segs = append(c.segs, d)
	}
	return c, nil
}

// sealedContent streams the decryption of one or more streams in order.
type sealedContent struct {
	segs    []*sse.DecryptReader
	handles []blob.ReadHandle
	cur     int
}

func (c *sealedContent) Read(p []byte) (int, error) {
	for c.cur < len(c.segs) {
		n, err := c.segs[c.cur].Read(p)
		if err == io.EOF {
			c.cur++
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
	return 0, io.EOF
}

func (c *sealedContent) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for ; c.cur < len(c.segs); c.cur++ {
		n, err := c.segs[c.cur].WriteTo(w)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (c *sealedContent) Close() error {
	for _, d := range c.segs {
		d.Close()
	}
	var first error
	for _, h := range c.handles {
		if err := h.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.segs, c.handles = nil, nil
	return first
}

// uploadDataKey makes the data key of a new multipart upload (nil when the
// upload, after the bucket's default, is not encrypted).
func (s *Service) uploadDataKey(ctx context.Context, in CreateUploadInput) (*encRecord, error) {
	enc, err := s.writeEncryption(ctx, in.Tenant, in.Bucket, in.Encryption)
	if err != nil || enc.Mode == SSENone {
		return nil, err
	}
	er, _, err := s.newDataKey(ctx, enc, in.Bucket, in.Key)
	return er, err
}

// partSealer encrypts the parts of an encrypted upload under the upload's
// data key, each part with its own nonce base. A nil *partSealer stores
// parts in clear.
type partSealer struct {
	mode SSEMode
	key  []byte
	enc  EncryptionInfo
}

// partSealer reads an upload's encryption and opens its data key (with the
// customer key of an SSE-C upload).
func (s *Service) partSealer(ctx context.Context, tenant, bucket, key, uploadID string, req Encryption) (*partSealer, error) {
	var u *uploadRecord
	err := s.view(ctx, "UploadPart", func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		u, err = getUpload(tx, b.ID, key, uploadID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if u.Enc == nil {
		return nil, checkCustomerKey(nil, req)
	}
	dk, err := s.openDataKey(ctx, u.Enc, req)
	if err != nil {
		return nil, err
	}
	return &partSealer{mode: u.Enc.Mode, key: dk, enc: u.Enc.info()}, nil
}

func (ps *partSealer) ingest(s *Service, body io.Reader, size int64) (sealedPayload, error) {
	if ps == nil {
		p, err := s.ingestBlob(body, size)
		return sealedPayload{payload: p}, err
	}
	return s.ingestSealed(body, size, ps.key, true)
}

func (ps *partSealer) etag(md5 []byte) string {
	if ps == nil {
		return hexMD5(md5)
	}
	return encETag(ps.mode, ps.key, md5)
}

func (ps *partSealer) info() EncryptionInfo {
	if ps == nil {
		return EncryptionInfo{}
	}
	return ps.enc
}
