package s3api

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Server-side encryption: the request headers that ask for it, the response
// headers that report it, and Put/Get/DeleteBucketEncryption. The adapter
// only parses and renders; the object layer decides and encrypts.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/serv-side-encryption.html

const (
	hSSE           = "X-Amz-Server-Side-Encryption"
	hSSEKMSKeyID   = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
	hSSEContext    = "X-Amz-Server-Side-Encryption-Context"
	hSSEBucketKey  = "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"
	hSSECPrefix    = "X-Amz-Server-Side-Encryption-Customer-"
	hSSECSrcPrefix = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-"
)

// sseWrite parses the encryption a write asks for (PutObject,
// CreateMultipartUpload, the destination of CopyObject).
func (s *server) sseWrite(r *http.Request) (objects.Encryption, error) {
	h := r.Header
	c, err := s.sseCustomer(r, hSSECPrefix)
	if err != nil {
		return c, err
	}
	mode := h.Get(hSSE)
	if c.Mode == objects.SSEC {
		if mode != "" || h.Get(hSSEKMSKeyID) != "" {
			return c, errs.Field(errs.InvalidArgument, hSSE,
				"Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
		}
		return c, nil
	}
	var e objects.Encryption
	switch m := objects.SSEMode(mode); m {
	case objects.SSENone:
	case objects.SSES3, objects.SSEKMS, objects.SSEKMSDSSE:
		e.Mode = m
	default:
		return e, errs.Field(errs.InvalidArgument, hSSE, "The encryption method specified is not supported")
	}
	keyID, kctx := h.Get(hSSEKMSKeyID), h.Get(hSSEContext)
	if (keyID != "" || kctx != "") && !e.Mode.IsKMS() {
		name := hSSEKMSKeyID
		if keyID == "" {
			name = hSSEContext
		}
		return e, errs.Field(errs.InvalidArgument, name,
			"Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
	}
	e.KMSKeyID = kmsKeyID(keyID)
	if kctx != "" {
		if err := validKMSContext(kctx); err != nil {
			return e, err
		}
		e.KMSContext = kctx
	}
	if v := h.Get(hSSEBucketKey); v != "" {
		switch strings.ToLower(v) {
		case "true":
			e.BucketKey = e.Mode.IsKMS() // S3 ignores it for SSE-S3
		case "false":
		default:
			return e, errs.Field(errs.InvalidArgument, hSSEBucketKey, "x-amz-server-side-encryption-bucket-key-enabled must be true or false")
		}
	}
	return e, nil
}

// kmsKeyID accepts a bare key id or alias, or an ARN of either
// (arn:aws:kms:region:account:key/ID, arn:aws:kms:region:account:alias/NAME).
func kmsKeyID(v string) string {
	if strings.HasPrefix(v, "arn:") {
		if _, id, ok := strings.Cut(v, ":key/"); ok {
			return id
		}
		if _, name, ok := strings.Cut(v, ":alias/"); ok {
			return "alias/" + name
		}
	}
	return v
}

// validKMSContext checks x-amz-server-side-encryption-context: base64 of a
// JSON object of string values.
func validKMSContext(v string) error {
	bad := errs.Field(errs.InvalidArgument, hSSEContext, "The header x-amz-server-side-encryption-context must be base64-encoded UTF-8 JSON of string key-value pairs")
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return bad
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return bad
	}
	return nil
}

// sseCustomer parses SSE-C headers (prefix hSSECPrefix, or hSSECSrcPrefix
// for a copy source). No header at all is no SSE-C. Customer keys are
// refused over plain HTTP unless Options.AllowSSECOverHTTP, as AWS does.
// sseCNames are the SSE-C headers under prefix: algorithm, key, key MD5.
// The two prefixes in use have theirs precomputed, so the check that every
// GET and PUT makes builds no string.
func sseCNames(prefix string) [3]string {
	switch prefix {
	case hSSECPrefix:
		return [3]string{hSSECPrefix + "Algorithm", hSSECPrefix + "Key", hSSECPrefix + "Key-Md5"}
	case hSSECSrcPrefix:
		return [3]string{hSSECSrcPrefix + "Algorithm", hSSECSrcPrefix + "Key", hSSECSrcPrefix + "Key-Md5"}
	}
	return [3]string{prefix + "Algorithm", prefix + "Key", prefix + "Key-Md5"}
}

func (s *server) sseCustomer(r *http.Request, prefix string) (objects.Encryption, error) {
	h := r.Header
	names := sseCNames(prefix)
	alg, key, sum := h[names[0]], h[names[1]], h[names[2]]
	if alg == nil && key == nil && sum == nil {
		return objects.Encryption{}, nil
	}
	if r.TLS == nil && !s.opts.AllowSSECOverHTTP {
		return objects.Encryption{}, errs.Field(errs.InvalidSecurity, strings.ToLower(prefix)+"key",
			"Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
	}
	field := func(n string) string { return strings.ToLower(prefix + n) }
	first := func(v []string) string {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	switch a := first(alg); {
	case a == "":
		return objects.Encryption{}, errs.Field(errs.InvalidArgument, field("algorithm"),
			"Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.")
	case a != "AES256":
		return objects.Encryption{}, errs.Field(errs.InvalidEncryptionAlgorithm, field("algorithm"),
			"The Encryption request you specified is not valid. Supported value: AES256.")
	}
	k := first(key)
	if k == "" {
		return objects.Encryption{}, errs.Field(errs.InvalidArgument, field("key"),
			"Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.")
	}
	kb, err := base64.StdEncoding.DecodeString(k)
	if err != nil || len(kb) != 32 {
		return objects.Encryption{}, errs.Field(errs.InvalidArgument, field("key"),
			"The secret key was invalid for the specified algorithm.")
	}
	m := first(sum)
	if m == "" {
		return objects.Encryption{}, errs.Field(errs.InvalidArgument, field("key-MD5"),
			"Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.")
	}
	want := md5.Sum(kb)
	if got, err := base64.StdEncoding.DecodeString(m); err != nil || string(got) != string(want[:]) {
		return objects.Encryption{}, errs.Field(errs.InvalidArgument, field("key-MD5"),
			"The calculated MD5 hash of the key did not match the hash that was provided.")
	}
	return objects.Encryption{Mode: objects.SSEC, CustomerKey: kb, CustomerKeyMD5: m}, nil
}

// setSSEHeaders reports how an object (or upload, or part) is encrypted, as
// AWS does on PUT, GET, HEAD, copies and multipart operations. req is the
// request's own SSE-C parameters, whose key MD5 is echoed.
func setSSEHeaders(resp *response, info objects.EncryptionInfo, req objects.Encryption) {
	switch {
	case info.Mode == objects.SSES3:
		resp.setHeader(hSSE, string(objects.SSES3))
	case info.Mode.IsKMS():
		resp.setHeader(hSSE, string(info.Mode))
		if info.KMSKeyID != "" {
			resp.setHeader(hSSEKMSKeyID, info.KMSKeyID)
		}
		if info.KMSContext != "" {
			resp.setHeader(hSSEContext, info.KMSContext)
		}
		if info.BucketKey {
			resp.setHeader(hSSEBucketKey, "true")
		}
	case info.Mode == objects.SSEC:
		resp.setHeader(hSSECPrefix+"Algorithm", "AES256")
		if req.CustomerKeyMD5 != "" {
			resp.setHeader(hSSECPrefix+"Key-Md5", req.CustomerKeyMD5)
		}
	}
}

// Bucket default encryption.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html

type sseConfigXML struct {
	XMLName xml.Name     `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ServerSideEncryptionConfiguration"`
	Rules   []sseRuleXML `xml:"Rule"`
}

type sseRuleXML struct {
	Default   *sseDefaultXML `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKey *bool          `xml:"BucketKeyEnabled"`
}

type sseDefaultXML struct {
	SSEAlgorithm   string `xml:"SSEAlgorithm"`
	KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
}

// sseConfigIn is the request shape: any namespace (clients omit it).
type sseConfigIn struct {
	XMLName xml.Name     `xml:"ServerSideEncryptionConfiguration"`
	Rules   []sseRuleXML `xml:"Rule"`
}

// parseBucketEncryptionXML reads a PutBucketEncryption body: one rule with
// a default algorithm of AES256, aws:kms or aws:kms:dsse (only the KMS
// ones may name a key).
func parseBucketEncryptionXML(data []byte) (objects.BucketEncryption, error) {
	var in sseConfigIn
	if err := unmarshalXML(data, &in); err != nil {
		return objects.BucketEncryption{}, err
	}
	if len(in.Rules) != 1 || in.Rules[0].Default == nil {
		return objects.BucketEncryption{}, malformed("ServerSideEncryptionConfiguration must hold exactly one Rule with ApplyServerSideEncryptionByDefault")
	}
	d := in.Rules[0].Default
	c := objects.BucketEncryption{Algorithm: objects.SSEMode(d.SSEAlgorithm), KMSKeyID: kmsKeyID(strings.TrimSpace(d.KMSMasterKeyID))}
	switch c.Algorithm {
	case objects.SSES3:
		if c.KMSKeyID != "" {
			return c, errs.Field(errs.InvalidArgument, "KMSMasterKeyID", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
		}
	case objects.SSEKMS, objects.SSEKMSDSSE:
	default:
		return c, malformed("SSEAlgorithm must be AES256, aws:kms or aws:kms:dsse")
	}
	if bk := in.Rules[0].BucketKey; bk != nil {
		c.BucketKey = *bk
	}
	return c, nil
}

func bucketEncryptionXML(c objects.BucketEncryption) sseConfigXML {
	bk := c.BucketKey
	return sseConfigXML{Rules: []sseRuleXML{{
		Default:   &sseDefaultXML{SSEAlgorithm: string(c.Algorithm), KMSMasterKeyID: c.KMSKeyID},
		BucketKey: &bk,
	}}}
}

// getBucketEncryption answers the bucket's default encryption. A bucket
// without one answers ServerSideEncryptionConfigurationNotFoundError (as
// AWS did before 2023 and MinIO does): Coffer does not encrypt objects
// unless asked to, so it does not claim an SSE-S3 default it would not apply.
func (s *server) getBucketEncryption(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	raw := b.Configs[objects.ConfigEncryption]
	if raw == nil {
		return nil, errs.New(errs.NoSuchEncryptionConfiguration, "The server side encryption configuration was not found")
	}
	c, err := objects.ParseBucketEncryption(raw)
	if err != nil {
		return nil, err
	}
	return &response{XML: bucketEncryptionXML(c)}, nil
}

func (s *server) putBucketEncryption(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	c, err := parseBucketEncryptionXML(data)
	if err != nil {
		return nil, err
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigEncryption, c.Encode()); err != nil {
		return nil, err
	}
	return &response{}, nil
}

func (s *server) deleteBucketEncryption(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigEncryption, nil); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}
