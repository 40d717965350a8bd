package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/bits"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ---------------------------------------------------------------------------
// Local checksum computations (independent of the SDK's).

// CRC-64/NVME: poly 0xad93d23594c93659, reflected, init/xorout all ones;
// hash/crc64 takes the reflected polynomial and applies init/xorout itself.
var crc64NVMETable = crc64.MakeTable(bits.Reverse64(0xad93d23594c93659))

func crc64nvme(b []byte) uint64 { return crc64.Checksum(b, crc64NVMETable) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func b64crc32(b []byte) string {
	return b64(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)))
}

func b64crc32c(b []byte) string {
	return b64(binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))))
}

func b64crc64nvme(b []byte) string { return b64(binary.BigEndian.AppendUint64(nil, crc64nvme(b))) }

func b64sha1(b []byte) string { s := sha1.Sum(b); return b64(s[:]) }

func b64sha256(b []byte) string { s := sha256.Sum256(b); return b64(s[:]) }

func b64md5(b []byte) string { s := md5.Sum(b); return b64(s[:]) }

func sha256hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// compositeChecksum is S3's checksum-of-checksums for COMPOSITE multipart
// objects: base64(H(raw part checksums concatenated)) + "-N".
func compositeChecksum(h func() hash.Hash, parts [][]byte) string {
	outer := h()
	for _, p := range parts {
		inner := h()
		inner.Write(p)
		outer.Write(inner.Sum(nil))
	}
	return fmt.Sprintf("%s-%d", b64(outer.Sum(nil)), len(parts))
}

func TestChecksumHelpers_knownVectors(t *testing.T) {
	t.Parallel()
	check := []byte("123456789")
	if got := crc64nvme(check); got != 0xae8b14860a799888 {
		t.Fatalf("crc64nvme(123456789): got %#x, want 0xae8b14860a799888", got)
	}
	if got := crc32.ChecksumIEEE(check); got != 0xcbf43926 {
		t.Fatalf("crc32: got %#x", got)
	}
	if got := crc32.Checksum(check, crc32.MakeTable(crc32.Castagnoli)); got != 0xe3069283 {
		t.Fatalf("crc32c: got %#x", got)
	}
}

// ---------------------------------------------------------------------------

type algoCase struct {
	algo  types.ChecksumAlgorithm
	local func([]byte) string
	put   func(*s3.PutObjectOutput) *string
	head  func(*s3.HeadObjectOutput) *string
	get   func(*s3.GetObjectOutput) *string
	set   func(*s3.PutObjectInput, string)
}

var algoCases = []algoCase{
	{types.ChecksumAlgorithmCrc32, b64crc32,
		func(o *s3.PutObjectOutput) *string { return o.ChecksumCRC32 },
		func(o *s3.HeadObjectOutput) *string { return o.ChecksumCRC32 },
		func(o *s3.GetObjectOutput) *string { return o.ChecksumCRC32 },
		func(i *s3.PutObjectInput, v string) { i.ChecksumCRC32 = aws.String(v) }},
	{types.ChecksumAlgorithmCrc32c, b64crc32c,
		func(o *s3.PutObjectOutput) *string { return o.ChecksumCRC32C },
		func(o *s3.HeadObjectOutput) *string { return o.ChecksumCRC32C },
		func(o *s3.GetObjectOutput) *string { return o.ChecksumCRC32C },
		func(i *s3.PutObjectInput, v string) { i.ChecksumCRC32C = aws.String(v) }},
	{types.ChecksumAlgorithmSha1, b64sha1,
		func(o *s3.PutObjectOutput) *string { return o.ChecksumSHA1 },
		func(o *s3.HeadObjectOutput) *string { return o.ChecksumSHA1 },
		func(o *s3.GetObjectOutput) *string { return o.ChecksumSHA1 },
		func(i *s3.PutObjectInput, v string) { i.ChecksumSHA1 = aws.String(v) }},
	{types.ChecksumAlgorithmSha256, b64sha256,
		func(o *s3.PutObjectOutput) *string { return o.ChecksumSHA256 },
		func(o *s3.HeadObjectOutput) *string { return o.ChecksumSHA256 },
		func(o *s3.GetObjectOutput) *string { return o.ChecksumSHA256 },
		func(i *s3.PutObjectInput, v string) { i.ChecksumSHA256 = aws.String(v) }},
	{types.ChecksumAlgorithmCrc64nvme, b64crc64nvme,
		func(o *s3.PutObjectOutput) *string { return o.ChecksumCRC64NVME },
		func(o *s3.HeadObjectOutput) *string { return o.ChecksumCRC64NVME },
		func(o *s3.GetObjectOutput) *string { return o.ChecksumCRC64NVME },
		func(i *s3.PutObjectInput, v string) { i.ChecksumCRC64NVME = aws.String(v) }},
}

// captureHeaders returns a client option recording the final request headers.
func captureHeaders(dst *http.Header, mu *sync.Mutex) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("e2eCapture",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if req, ok := in.Request.(*smithyhttp.Request); ok {
						mu.Lock()
						*dst = req.Header.Clone()
						mu.Unlock()
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}

func TestPutObject_sdkDefaultChecksum_CRC32(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(300_000)
	var sent http.Header
	var mu sync.Mutex
	put, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("d"), Body: bytes.NewReader(body)}, captureHeaders(&sent, &mu))
	if err != nil {
		t.Fatalf("PutObject with SDK default checksum: %v", err)
	}
	mu.Lock()
	hdr, trailer := sent.Get("X-Amz-Checksum-Crc32"), sent.Get("X-Amz-Trailer")
	mu.Unlock()
	if hdr == "" && !strings.EqualFold(trailer, "x-amz-checksum-crc32") {
		t.Fatalf("premise: SDK sent neither x-amz-checksum-crc32 nor an x-amz-trailer for it (headers %v)", sent)
	}
	want := b64crc32(body)
	if got := aws.ToString(put.ChecksumCRC32); got != want {
		t.Fatalf("PutObject x-amz-checksum-crc32 response: got %q, want %q", got, want)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("d"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(head.ChecksumCRC32); got != want {
		t.Fatalf("HeadObject ChecksumMode=ENABLED CRC32: got %q, want %q", got, want)
	}
	if head.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("HeadObject x-amz-checksum-type: got %q, want FULL_OBJECT", head.ChecksumType)
	}
	data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("d"), ChecksumMode: types.ChecksumModeEnabled})
	mustEqualBytes(t, "GetObject", data, body)
	if got := aws.ToString(get.ChecksumCRC32); got != want {
		t.Fatalf("GetObject ChecksumMode=ENABLED CRC32: got %q, want %q", got, want)
	}
}

func TestPutObject_explicitChecksumAlgorithm_roundTrip(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	for _, ac := range algoCases {
		t.Run(string(ac.algo), func(t *testing.T) {
			body := randBytes(70_000)
			key := "algo-" + string(ac.algo)
			want := ac.local(body)
			put, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: ac.algo})
			if err != nil {
				t.Fatalf("PutObject %s: %v", ac.algo, err)
			}
			if got := aws.ToString(ac.put(put)); got != want {
				t.Fatalf("PutObject %s response checksum: got %q, want %q", ac.algo, got, want)
			}
			head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if got := aws.ToString(ac.head(head)); got != want {
				t.Fatalf("HeadObject %s: got %q, want %q", ac.algo, got, want)
			}
			// GetObject: the SDK validates the returned checksum against the body.
			data, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			mustEqualBytes(t, "GetObject", data, body)
			if got := aws.ToString(ac.get(get)); got != want {
				t.Fatalf("GetObject %s: got %q, want %q", ac.algo, got, want)
			}

			// A caller-supplied correct value is accepted too.
			in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-precomputed"), Body: bytes.NewReader(body)}
			ac.set(in, want)
			if _, err := c.PutObject(ctxT(t), in); err != nil {
				t.Fatalf("PutObject with precomputed correct %s: %v", ac.algo, err)
			}
		})
	}
}

func TestPutObject_wrongChecksumHeader_BadDigest_notStored(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	for _, ac := range algoCases {
		t.Run(string(ac.algo), func(t *testing.T) {
			body := randBytes(10_000)
			key := "bad-" + string(ac.algo)
			in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body)}
			ac.set(in, ac.local([]byte("some other content"))) // well-formed but wrong
			_, err := c.PutObject(ctxT(t), in)
			wantErr(t, "PutObject with wrong x-amz-checksum-"+strings.ToLower(string(ac.algo)), err, "BadDigest", 400)
			_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
			wantErr(t, "HeadObject after rejected PUT (object must not be stored)", err, "", 404)
		})
	}
}

func TestPutObject_wrongChecksumOverwrite_keepsOldObject(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	old := []byte("the original content")
	putObject(t, b, "k", old)
	_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("replacement"),
		ChecksumCRC32: aws.String(b64crc32([]byte("not the replacement")))})
	wantErr(t, "PutObject overwrite with wrong CRC32", err, "BadDigest", 400)
	mustEqualBytes(t, "object after rejected overwrite", getObject(t, b, "k"), old)
}

func TestPutObject_wrongContentMD5_BadDigest_notStored(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	body := randBytes(5000)
	_, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("m"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(b64md5([]byte("different")))})
	wantErr(t, "PutObject wrong Content-MD5", err, "BadDigest", 400)
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("m")})
	wantErr(t, "HeadObject after rejected PUT", err, "", 404)

	_, err = c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("m"), Body: bytes.NewReader(body),
		ContentMD5: aws.String("not-a-valid-md5")})
	wantErr(t, "PutObject malformed Content-MD5", err, "InvalidDigest", 400)

	put, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("m"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(b64md5(body))})
	if err != nil {
		t.Fatalf("PutObject correct Content-MD5: %v", err)
	}
	if aws.ToString(put.ETag) != quotedMD5(body) {
		t.Fatalf("ETag: got %s, want %s", aws.ToString(put.ETag), quotedMD5(body))
	}
}

// ---------------------------------------------------------------------------
// Raw SigV4 requests (aws-chunked uploads, payload hash checks).

type rawResult struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResult) code() string {
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(r.body, &e)
	return e.Code
}

func signingKey(secret string, day string) []byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), day)
	k = mac(k, region)
	k = mac(k, "s3")
	return mac(k, "aws4_request")
}

// rawSigned signs req with SigV4 header auth using payloadHash as
// x-amz-content-sha256 and returns the seed signature.
func rawSigned(t testing.TB, req *http.Request, payloadHash, ak, sk string, now time.Time) string {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, req, payloadHash, "s3", region, now); err != nil {
		t.Fatalf("sign: %v", err)
	}
	m := regexp.MustCompile(`Signature=([0-9a-f]{64})`).FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		t.Fatalf("no signature in %q", req.Header.Get("Authorization"))
	}
	return m[1]
}

func doRaw(t testing.TB, req *http.Request) rawResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return rawResult{resp.StatusCode, resp.Header, body}
}

func chunks(data []byte, size int) [][]byte {
	var out [][]byte
	for len(data) > size {
		out = append(out, data[:size])
		data = data[size:]
	}
	return append(out, data)
}

// awsChunkedPut sends a PUT with Content-Encoding: aws-chunked.
//
//	mode "unsigned-trailer": STREAMING-UNSIGNED-PAYLOAD-TRAILER
//	mode "signed":           STREAMING-AWS4-HMAC-SHA256-PAYLOAD
//	mode "signed-trailer":   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
//
// trailerName/trailerValue are the checksum trailer (trailer modes). When
// tamper is set, the second chunk's signature is corrupted.
func awsChunkedPut(t testing.TB, b, key string, data []byte, mode, trailerName, trailerValue string, tamper bool) rawResult {
	t.Helper()
	now := time.Now().UTC()
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	scope := day + "/" + region + "/s3/aws4_request"
	req, err := http.NewRequest(http.MethodPut, suite.endpoint+"/"+b+"/"+key, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
	var payloadHash string
	switch mode {
	case "unsigned-trailer":
		payloadHash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	case "signed":
		payloadHash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	case "signed-trailer":
		payloadHash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	default:
		t.Fatalf("bad mode %q", mode)
	}
	if trailerName != "" {
		req.Header.Set("X-Amz-Trailer", trailerName)
	}

	// Body length must be known before signing (Content-Length is sent), so
	// build the body after computing the seed signature; chunk signatures
	// are fixed length, so the length can be computed independently.
	parts := append(chunks(data, 64<<10), nil) // final zero-length chunk
	bodyLen := 0
	for _, p := range parts {
		bodyLen += len(fmt.Sprintf("%x", len(p))) + 2
		if mode != "unsigned-trailer" {
			bodyLen += len(";chunk-signature=") + 64
		}
		if len(p) > 0 {
			bodyLen += len(p) + 2
		}
	}
	trailerLine := ""
	if trailerName != "" {
		trailerLine = trailerName + ":" + trailerValue
		bodyLen += len(trailerLine) + 2
		if mode == "signed-trailer" {
			bodyLen += len("x-amz-trailer-signature:") + 64 + 2
		}
	}
	bodyLen += 2 // final CRLF
	req.ContentLength = int64(bodyLen)
	seed := rawSigned(t, req, payloadHash, suite.accessKey, suite.secretKey, now)
	key4 := signingKey(suite.secretKey, day)
	sign := func(sts string) string {
		h := hmac.New(sha256.New, key4)
		h.Write([]byte(sts))
		return hex.EncodeToString(h.Sum(nil))
	}

	var body bytes.Buffer
	prev := seed
	emptyHash := sha256hex(nil)
	for i, p := range parts {
		if mode == "unsigned-trailer" {
			fmt.Fprintf(&body, "%x\r\n", len(p))
		} else {
			sig := sign("AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + emptyHash + "\n" + sha256hex(p))
			prev = sig
			if tamper && i == 1 {
				sig = strings.Repeat("0", 64)
			}
			fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(p), sig)
		}
		if len(p) > 0 {
			body.Write(p)
			body.WriteString("\r\n")
		}
	}
	if trailerLine != "" {
		body.WriteString(trailerLine + "\r\n")
		if mode == "signed-trailer" {
			sig := sign("AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + sha256hex([]byte(trailerLine+"\n")))
			body.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
		}
	}
	body.WriteString("\r\n")
	if body.Len() != bodyLen {
		t.Fatalf("test bug: aws-chunked body is %d bytes, computed %d", body.Len(), bodyLen)
	}
	req.Body = io.NopCloser(&body)
	return doRaw(t, req)
}

func TestPutObject_awsChunkedUnsignedTrailer_CRC32(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	data := randBytes(200_000)
	res := awsChunkedPut(t, b, "ok", data, "unsigned-trailer", "x-amz-checksum-crc32", b64crc32(data), false)
	if res.status != 200 {
		t.Fatalf("aws-chunked unsigned trailer PUT: got HTTP %d %s, want 200", res.status, res.body)
	}
	if got := res.header.Get("ETag"); got != quotedMD5(data) {
		t.Fatalf("ETag: got %s, want %s (decoded payload)", got, quotedMD5(data))
	}
	mustEqualBytes(t, "GetObject after aws-chunked PUT", getObject(t, b, "ok"), data)
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("ok"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(head.ChecksumCRC32); got != b64crc32(data) {
		t.Fatalf("HeadObject CRC32 from trailer: got %q, want %q", got, b64crc32(data))
	}
	if got := aws.ToString(head.ContentEncoding); strings.Contains(got, "aws-chunked") {
		t.Fatalf("stored Content-Encoding must not include aws-chunked, got %q", got)
	}

	res = awsChunkedPut(t, b, "bad", data, "unsigned-trailer", "x-amz-checksum-crc32", b64crc32([]byte("other")), false)
	if res.status != 400 || res.code() != "BadDigest" {
		t.Fatalf("aws-chunked wrong trailer checksum: got HTTP %d code %q, want 400 BadDigest (%s)", res.status, res.code(), res.body)
	}
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("bad")})
	wantErr(t, "HeadObject after rejected trailer PUT", err, "", 404)
}

func TestPutObject_awsChunkedSignedPayload(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	data := randBytes(150_000)
	res := awsChunkedPut(t, b, "ok", data, "signed", "", "", false)
	if res.status != 200 {
		t.Fatalf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT: got HTTP %d %s, want 200", res.status, res.body)
	}
	mustEqualBytes(t, "GetObject", getObject(t, b, "ok"), data)

	res = awsChunkedPut(t, b, "tampered", data, "signed", "", "", true)
	if res.status != 403 || res.code() != "SignatureDoesNotMatch" {
		t.Fatalf("tampered chunk signature: got HTTP %d code %q, want 403 SignatureDoesNotMatch (%s)", res.status, res.code(), res.body)
	}
	_, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("tampered")})
	wantErr(t, "HeadObject after tampered chunk", err, "", 404)
}

func TestPutObject_awsChunkedSignedTrailer_CRC32C(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	data := randBytes(100_000)
	res := awsChunkedPut(t, b, "ok", data, "signed-trailer", "x-amz-checksum-crc32c", b64crc32c(data), false)
	if res.status != 200 {
		t.Fatalf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER PUT: got HTTP %d %s, want 200", res.status, res.body)
	}
	mustEqualBytes(t, "GetObject", getObject(t, b, "ok"), data)
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("ok"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(head.ChecksumCRC32C); got != b64crc32c(data) {
		t.Fatalf("HeadObject CRC32C from signed trailer: got %q, want %q", got, b64crc32c(data))
	}
	res = awsChunkedPut(t, b, "bad", data, "signed-trailer", "x-amz-checksum-crc32c", b64crc32c([]byte("x")), false)
	if res.status != 400 || res.code() != "BadDigest" {
		t.Fatalf("signed trailer with wrong CRC32C: got HTTP %d code %q, want 400 BadDigest (%s)", res.status, res.code(), res.body)
	}
}

func TestPutObject_contentSHA256Mismatch_XAmzContentSHA256Mismatch(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)
	data := []byte("payload whose hash is lied about")
	req, _ := http.NewRequest(http.MethodPut, suite.endpoint+"/"+b+"/lie", bytes.NewReader(data))
	rawSigned(t, req, sha256hex([]byte("something else")), suite.accessKey, suite.secretKey, time.Now().UTC())
	res := doRaw(t, req)
	if res.status != 400 || res.code() != "XAmzContentSHA256Mismatch" {
		t.Fatalf("x-amz-content-sha256 mismatch: got HTTP %d code %q, want 400 XAmzContentSHA256Mismatch (%s)", res.status, res.code(), res.body)
	}
	_, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("lie")})
	wantErr(t, "HeadObject after hash mismatch", err, "", 404)

	// UNSIGNED-PAYLOAD is accepted.
	req, _ = http.NewRequest(http.MethodPut, suite.endpoint+"/"+b+"/unsigned", bytes.NewReader(data))
	rawSigned(t, req, "UNSIGNED-PAYLOAD", suite.accessKey, suite.secretKey, time.Now().UTC())
	if res := doRaw(t, req); res.status != 200 {
		t.Fatalf("UNSIGNED-PAYLOAD PUT: got HTTP %d %s", res.status, res.body)
	}
	mustEqualBytes(t, "unsigned payload object", getObject(t, b, "unsigned"), data)
}
