package s3api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/md5x"
	"coffer/internal/reqlog"
	"coffer/internal/sigv4"
)

// Options configures the S3 handler.
type Options struct {
	// Backend is the object layer. Required.
	Backend Backend
	// Credentials resolves access keys to principals and secrets; the core
	// caches them, so it is called on every request. Required.
	Credentials core.CredentialSource
	// Authorizer decides whether a principal may perform an action. Required.
	Authorizer core.Authorizer
	// BucketPolicies stores bucket policies (Get/Put/DeleteBucketPolicy);
	// nil answers NotImplemented for them.
	BucketPolicies BucketPolicies
	// Directory resolves owners' canonical ids and display names, ACL
	// grantees, and the tenant of an anonymous request's bucket (acl.go);
	// nil shows user ids as display names and refuses anonymous requests.
	Directory Directory
	// Domain, when set, enables virtual-hosted-style requests: a Host of
	// "bucket.<Domain>" (with any port) addresses that bucket. A bare host
	// name, no scheme, port or leading dot.
	Domain string
	// Region is the region buckets are created in and that GetBucketLocation
	// reports. Default "us-east-1".
	Region string
	// Logger receives internal errors (with the request id) and a debug line
	// per request. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock used to check signature times. Default time.Now.
	Now func() time.Time
	// MaxObjectSize caps the body of one PutObject or UploadPart. Default 5 GiB
	// (AWS's single-PUT limit).
	MaxObjectSize int64
	// MD5 hashes the ETag MD5 of large PUT and UploadPart bodies side by
	// side (md5x); nil: crypto/md5. Not closed by Close: the process owns it.
	MD5 *md5x.Server
	// AccessLogInterval is how often buffered server access log records are
	// delivered to their target buckets (logging.go); they are also
	// delivered by Close. Default 60 s.
	AccessLogInterval time.Duration
	// BodyTimeout is the window of the minimum body rate: a request body
	// that delivers no byte for this long, or less than MinBodyRate bytes
	// per second over a window this long, fails with 400 RequestTimeout and
	// its connection is closed. Default 30 s (DefaultBodyTimeout).
	BodyTimeout time.Duration
	// MinBodyRate is the slowest a request body may arrive, in bytes per
	// second, measured over BodyTimeout. Default 128 (DefaultMinBodyRate);
	// negative disables the floor (then only a stalled body times out).
	MinBodyRate int64
	// AllowSSECOverHTTP accepts SSE-C customer keys on plain HTTP requests;
	// by default they are refused (InvalidRequest), as AWS does, since the
	// key would cross the network in clear.
	AllowSSECOverHTTP bool
	// Observer, when set, receives every request's outcome (metrics;
	// observer.go).
	Observer RequestObserver
	// Day is the length of a lifecycle day, for x-amz-expiration. Default
	// 24 h (tests shorten it, as the core's lifecycle job does).
	Day time.Duration
	// DiskSpace reports the data directory's filesystem size and free
	// bytes, for Veeam's SOSAPI capacity.xml of buckets without a quota
	// (sosapi.go); nil: such buckets report no capacity.
	DiskSpace func() (total, free int64, err error)
	// Version is the software version, named in Veeam's SOSAPI system.xml
	// (ModelName "Coffer <version>").
	Version string

	// authenticate replaces SigV4 verification in tests of the layers below it.
	authenticate func(*http.Request) (core.Principal, *sigv4.Auth, error)
}

// DefaultMaxObjectSize is AWS's limit for one PUT: 5 GiB.
const DefaultMaxObjectSize = 5 << 30

// Defaults of the minimum body rate: at least 128 bytes a second, measured
// over 30 s (AWS answers RequestTimeout after about 20 s without data).
const (
	DefaultBodyTimeout = 30 * time.Second
	DefaultMinBodyRate = 128
)

// WithDefaults returns o with every unset field given its default.
func (o Options) WithDefaults() Options {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxObjectSize == 0 {
		o.MaxObjectSize = DefaultMaxObjectSize
	}
	if o.AccessLogInterval == 0 {
		o.AccessLogInterval = DefaultAccessLogInterval
	}
	if o.BodyTimeout == 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.MinBodyRate == 0 {
		o.MinBodyRate = DefaultMinBodyRate
	}
	if o.Day <= 0 {
		o.Day = 24 * time.Hour
	}
	return o
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var problems []error
	if o.Backend == nil {
		problems = append(problems, errors.New("s3api: Options.Backend is required"))
	}
	if o.Credentials == nil && o.authenticate == nil {
		problems = append(problems, errors.New("s3api: Options.Credentials is required"))
	}
	if o.Authorizer == nil {
		problems = append(problems, errors.New("s3api: Options.Authorizer is required"))
	}
	if o.Domain != "" && (strings.ContainsAny(o.Domain, ":/ ") || strings.HasPrefix(o.Domain, ".")) {
		problems = append(problems, fmt.Errorf("s3api: Options.Domain %q must be a bare host name", o.Domain))
	}
	if o.MaxObjectSize < 0 {
		problems = append(problems, fmt.Errorf("s3api: Options.MaxObjectSize %d is negative", o.MaxObjectSize))
	}
	if o.AccessLogInterval < 0 {
		problems = append(problems, fmt.Errorf("s3api: Options.AccessLogInterval %v is negative", o.AccessLogInterval))
	}
	if o.BodyTimeout < 0 {
		problems = append(problems, fmt.Errorf("s3api: Options.BodyTimeout %v is negative", o.BodyTimeout))
	}
	return errors.Join(problems...)
}

// New returns the S3 HTTP handler. It implements io.Closer: Close delivers
// the buffered server access logs (call it after the HTTP server drained).
func New(opts Options) (http.Handler, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &server{opts: opts, be: opts.Backend, log: opts.Logger}
	s.views = newViewCache(opts.Backend, opts.Logger)
	s.keys = sigv4.NewKeyCache()
	s.alog = newAccessLogger(s)
	var seed [16]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("s3api: request id seed: %w", err)
	}
	s.idBase = binary.BigEndian.Uint64(seed[:8])
	s.hostSeed = seed[8:]
	s.authenticate = opts.authenticate
	if s.authenticate == nil {
		s.authenticate = s.verifySignature
	}
	return s, nil
}

type server struct {
	opts         Options
	be           Backend
	log          *slog.Logger
	authenticate func(*http.Request) (core.Principal, *sigv4.Auth, error)

	idBase   uint64 // random per process: request ids differ across nodes and restarts
	idSeq    atomic.Uint64
	hostSeed []byte

	views *viewCache      // bucket CORS and logging configurations (bucketview.go)
	keys  *sigv4.KeyCache // SigV4 signing keys by access key, secret and scope
	alog  *accessLogger   // server access log buffers and delivery (logging.go)
}

// requestInfo is what every handler knows about its request.
type requestInfo struct {
	ID        string
	HostID    string
	Op        Op
	Principal core.Principal
	Auth      *sigv4.Auth
	Start     time.Time
	// Served is when the handler returned (access logs' turn-around time).
	Served time.Time
	// condCtx caches conditionContext (ListBuckets authorizes per bucket).
	condCtx map[string]string
}

// Tenant is the namespace every bucket of the request is looked up in.
func (ri *requestInfo) Tenant() string { return ri.Principal.Tenant }

// handler is one operation: it returns a response value or an error and
// never writes to the client itself.
type handler func(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error)

// opHandler is a handler as a method expression of server.
type opHandler func(s *server, ctx context.Context, ri *requestInfo, r *http.Request) (*response, error)

// newRequestID returns the request's id (16 upper-case hex digits) and
// host id (base64 of a SHA-256 over it), formatted without fmt: this runs
// on every request.
func (s *server) newRequestID() (id, hostID string) {
	const digits = "0123456789ABCDEF"
	n := s.idBase + s.idSeq.Add(1)
	var buf [16 + 16]byte // the id, then the host seed
	for i := 15; i >= 0; i-- {
		buf[i] = digits[n&0xF]
		n >>= 4
	}
	in := append(buf[:16], s.hostSeed...)
	h := sha256.Sum256(in)
	var b64 [44]byte // base64 of 32 bytes
	base64.StdEncoding.Encode(b64[:], h[:])
	return string(buf[:16]), string(b64[:])
}

func (s *server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	ri := &requestInfo{Start: time.Now()}
	ri.ID, ri.HostID = s.newRequestID()
	// Canonical names assigned directly, both values in one allocation.
	ids := []string{ri.ID, ri.HostID}
	h := w.Header()
	h["X-Amz-Request-Id"], h["X-Amz-Id-2"] = ids[0:1:1], ids[1:2:2]
	restoreBody := s.limitBodyRate(rw, r)
	limited := r.Body

	resp, err := s.serve(r.Context(), ri, r)
	ri.Served = time.Now()
	if err != nil {
		drainForError(r)
	}
	restoreBody()
	// CORS headers go on every answer to a request with an Origin, errors
	// included, per the bucket's CORS configuration (cors.go).
	s.corsHeaders(r.Context(), w.Header(), r, ri)
	if err != nil {
		s.writeError(w, r, ri, resp, err)
	} else {
		s.writeResponse(w, r, ri, resp)
	}
	s.accessLog(r, ri, w, err)
	// The request log line (docs/operations.md): the admin listener's
	// fields (internal/reqlog), written here on the hot path without fmt.
	var code string
	if err != nil {
		e, _ := lookupError(err)
		code = e.Code
	}
	took := time.Since(ri.Start)
	// The record goes to the handler directly: Logger.LogAttrs would look
	// up the caller's program counter, which a request line never shows.
	if lh := s.log.Handler(); lh.Enabled(r.Context(), slog.LevelInfo) {
		rec := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
		rec.AddAttrs(
			slog.String("request_id", ri.ID), slog.String("listener", "s3"), slog.String("dialect", "s3"),
			slog.String("op", ri.Op.Kind.String()), slog.String("method", r.Method),
			slog.String("tenant", ri.Principal.Tenant), slog.String("bucket", ri.Op.Bucket),
			slog.String("key", ri.Op.Key), slog.String("principal", ri.Principal.UserName),
			slog.Int("status", w.code()), slog.String("error_code", code),
			slog.Int64("bytes_in", max(r.ContentLength, 0)), slog.Int64("bytes_out", w.bytes),
			slog.Float64("duration_ms", reqlog.DurationMS(took)))
		_ = lh.Handle(r.Context(), rec)
	}
	if s.opts.Observer != nil {
		s.opts.Observer.ObserveS3(Served{Op: ri.Op.Kind, Status: w.code(), BytesIn: max(r.ContentLength, 0),
			BytesOut: w.bytes, Start: ri.Start, Duration: took})
	}
	if err != nil {
		drainAfterRefusal(rw, r, limited)
	}
}

// errorDrainMax is how much of an unread request body is read and dropped
// before an error is sent. net/http itself drains only 256 KiB and then
// closes the connection, and a client still sending a multipart part
// (5–16 MiB from the SDKs and CLIs) then gets a connection reset instead of
// the error, retries, and reports no S3 error at all.
const errorDrainMax = 32 << 20

// drainForError reads what is left of a refused request's body, up to
// errorDrainMax of an announced length, still under the minimum body rate
// (limitBodyRate), so that the client reads the error. A client waiting on
// "Expect: 100-continue" has sent nothing yet and is not asked to.
func drainForError(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > errorDrainMax ||
		strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, errorDrainMax))
}

// drainAfterRefusal reads and drops the body of a refused request that
// announced "Expect: 100-continue", after its error has been sent. The
// error goes out at once, without a 100 Continue, as AWS answers, and a
// client that honours the header stops there and closes (the answer says
// "Connection: close"). But aws-sdk-go-v2 sends the header and then the body
// without waiting for the answer; closing on its unread part would reset
// the connection, and a reset drops the error from the client's receive
// buffer, so the SDK retried and reported no S3 error. Reading after the
// final status sends no 100 Continue (net/http disables it with the
// header). body is the request's rate-limited body: a client that neither
// sends nor closes is cut off by the minimum body rate.
func drainAfterRefusal(rw http.ResponseWriter, r *http.Request, body io.Reader) {
	if body == nil || body == http.NoBody || r.ContentLength <= 0 || r.ContentLength > errorDrainMax ||
		!strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	if err := http.NewResponseController(rw).Flush(); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, errorDrainMax))
}

// serve runs parse → authenticate → authorize → handler.
func (s *server) serve(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	op, perr := ParseRequest(r, s.opts.Domain)
	ri.Op = op
	switch {
	case perr != nil:
	case op.Kind == OpPreflight: // never authenticated (cors.go)
		return s.preflight(ctx, ri, r)
	case op.Kind == OpPostObject: // authenticated by its signed form (postobject.go)
		return s.postObject(ctx, ri, r)
	}
	p, auth, err := s.authenticate(r)
	if err != nil {
		if !sigv4.IsAnonymous(err) {
			return nil, err
		}
		// No signature at all: an anonymous request, allowed only where a
		// bucket's policy or ACL makes it public (acl.go).
		if p, err = s.anonymous(ctx, ri, r); err != nil {
			return nil, err
		}
	}
	ri.Principal, ri.Auth = p, auth
	if perr != nil {
		return nil, perr
	}
	if op.Kind != OpDeleteObjects { // DeleteObjects is authorized key by key
		if err := s.authorize(ctx, ri, r, op.Action(), op.Bucket, op.Key); err != nil {
			return nil, err
		}
		if err := s.authorizeHeaderActions(ctx, ri, r); err != nil {
			return nil, err
		}
	}
	h := handlerFor(op.Kind)
	if h == nil {
		return nil, errs.New(errs.NotImplemented, "%s is not implemented", op.Kind)
	}
	return h(s, ctx, ri, r)
}

// handlerFor returns the operation's handler as a method expression: a
// method value (s.getObject) would be allocated on every request.
func handlerFor(k OpKind) opHandler {
	switch k {
	case OpListBuckets:
		return (*server).listBuckets
	case OpCreateBucket:
		return (*server).createBucket
	case OpHeadBucket:
		return (*server).headBucket
	case OpDeleteBucket:
		return (*server).deleteBucket
	case OpGetBucketLocation:
		return (*server).getBucketLocation
	case OpGetBucketVersioning:
		return (*server).getBucketVersioning
	case OpPutBucketVersioning:
		return (*server).putBucketVersioning
	case OpGetBucketAcl:
		return (*server).getBucketACL
	case OpListObjects:
		return (*server).listObjectsV1
	case OpListObjectsV2:
		return (*server).listObjectsV2
	case OpListObjectVersions:
		return (*server).listObjectVersions
	case OpListMultipartUploads:
		return (*server).listMultipartUploads
	case OpDeleteObjects:
		return (*server).deleteObjects
	case OpPutObject:
		return (*server).putObject
	case OpCopyObject:
		return (*server).copyObject
	case OpGetObject, OpHeadObject:
		return (*server).getObject
	case OpDeleteObject:
		return (*server).deleteObject
	case OpGetObjectAcl:
		return (*server).getObjectACL
	case OpPutObjectTagging:
		return (*server).putObjectTagging
	case OpGetObjectTagging:
		return (*server).getObjectTagging
	case OpDeleteObjectTagging:
		return (*server).deleteObjectTagging
	case OpGetObjectAttributes:
		return (*server).getObjectAttributes
	case OpGetObjectLockConfiguration:
		return (*server).getObjectLockConfiguration
	case OpPutObjectLockConfiguration:
		return (*server).putObjectLockConfiguration
	case OpGetObjectRetention:
		return (*server).getObjectRetention
	case OpPutObjectRetention:
		return (*server).putObjectRetention
	case OpGetObjectLegalHold:
		return (*server).getObjectLegalHold
	case OpPutObjectLegalHold:
		return (*server).putObjectLegalHold
	case OpCreateMultipartUpload:
		return (*server).createMultipartUpload
	case OpUploadPart:
		return (*server).uploadPart
	case OpUploadPartCopy:
		return (*server).uploadPartCopy
	case OpCompleteMultipartUpload:
		return (*server).completeMultipartUpload
	case OpAbortMultipartUpload:
		return (*server).abortMultipartUpload
	case OpListParts:
		return (*server).listParts
	case OpGetBucketPolicy:
		return (*server).getBucketPolicy
	case OpPutBucketPolicy:
		return (*server).putBucketPolicy
	case OpDeleteBucketPolicy:
		return (*server).deleteBucketPolicy
	case OpPutBucketAcl:
		return (*server).putBucketACL
	case OpPutObjectAcl:
		return (*server).putObjectACL
	case OpGetBucketEncryption:
		return (*server).getBucketEncryption
	case OpPutBucketEncryption:
		return (*server).putBucketEncryption
	case OpDeleteBucketEncryption:
		return (*server).deleteBucketEncryption
	case OpGetBucketCors:
		return (*server).getBucketCors
	case OpPutBucketCors:
		return (*server).putBucketCors
	case OpDeleteBucketCors:
		return (*server).deleteBucketCors
	case OpGetBucketTagging:
		return (*server).getBucketTagging
	case OpPutBucketTagging:
		return (*server).putBucketTagging
	case OpDeleteBucketTagging:
		return (*server).deleteBucketTagging
	case OpGetBucketLogging:
		return (*server).getBucketLogging
	case OpPutBucketLogging:
		return (*server).putBucketLogging
	case OpGetBucketOwnershipControls:
		return (*server).getBucketOwnershipControls
	case OpPutBucketOwnershipControls:
		return (*server).putBucketOwnershipControls
	case OpDeleteBucketOwnershipControls:
		return (*server).deleteBucketOwnershipControls
	case OpGetPublicAccessBlock:
		return (*server).getPublicAccessBlock
	case OpPutPublicAccessBlock:
		return (*server).putPublicAccessBlock
	case OpDeletePublicAccessBlock:
		return (*server).deletePublicAccessBlock
	case OpGetBucketPolicyStatus:
		return (*server).getBucketPolicyStatus
	case OpGetBucketLifecycleConfiguration:
		return (*server).getBucketLifecycle
	case OpPutBucketLifecycleConfiguration:
		return (*server).putBucketLifecycle
	case OpDeleteBucketLifecycle:
		return (*server).deleteBucketLifecycle
	}
	return nil
}

// verifySignature authenticates r with Signature Version 2 (sigv2.go) when
// it is signed that way, otherwise with Signature Version 4.
func (s *server) verifySignature(r *http.Request) (core.Principal, *sigv4.Auth, error) {
	if isSigV2(r) {
		p, err := s.verifySigV2(r)
		return p, nil, err
	}
	return s.verifySigV4(r)
}

// verifySigV4 authenticates r and resolves its principal.
func (s *server) verifySigV4(r *http.Request) (core.Principal, *sigv4.Auth, error) {
	var cred core.Credential
	lookup := func(accessKey string) (string, error) {
		c, err := s.opts.Credentials.Credential(r.Context(), accessKey)
		if err != nil {
			return "", err
		}
		cred = c
		return c.Secret, nil
	}
	auth, err := sigv4.Verify(r, lookup, sigv4.Options{Now: s.opts.Now, Keys: s.keys})
	if err != nil {
		return core.Principal{}, nil, err
	}
	if cred.AccessKey == "" {
		cred.AccessKey = auth.AccessKey
	}
	return cred.Principal, auth, nil
}

// authorize asks the Authorizer whether the request's principal may perform
// action on bucket/key.
func (s *server) authorize(ctx context.Context, ri *requestInfo, r *http.Request, action, bucket, key string) error {
	return s.opts.Authorizer.Authorize(ctx, core.Request{
		Principal: ri.Principal,
		Action:    action,
		Bucket:    bucket,
		Key:       key,
		SourceIP:  sourceIP(r),
		Context:   conditionContext(ri, r),
	})
}

// authorizeHeaderActions asks for the permissions of the sub-resources a
// write sets through its headers, where AWS's API reference asks for them:
// x-amz-tagging on PutObject, CopyObject and CreateMultipartUpload needs
// s3:PutObjectTagging; on CreateBucket, an ACL (x-amz-acl or a grant
// header) needs s3:PutBucketAcl and x-amz-object-ownership
// s3:PutBucketOwnershipControls. An ACL header on an object write needs
// only s3:PutObject, as on AWS (whose user guide grants s3:PutObject on the
// condition that the writer sets bucket-owner-full-control). The Object
// Lock headers are checked with their values, in objectlock.go.
func (s *server) authorizeHeaderActions(ctx context.Context, ri *requestInfo, r *http.Request) error {
	op := ri.Op
	var actions [2]string
	n := 0
	switch op.Kind {
	case OpPutObject, OpCopyObject, OpCreateMultipartUpload:
		if r.Header.Get("X-Amz-Tagging") != "" {
			actions[n], n = "s3:PutObjectTagging", n+1
		}
	case OpCreateBucket:
		if hasACLHeaders(r.Header) {
			actions[n], n = "s3:PutBucketAcl", n+1
		}
		if r.Header.Get("X-Amz-Object-Ownership") != "" {
			actions[n], n = "s3:PutBucketOwnershipControls", n+1
		}
	}
	for _, a := range actions[:n] {
		if err := s.authorize(ctx, ri, r, a, op.Bucket, op.Key); err != nil {
			return err
		}
	}
	return nil
}

// conditionContext is the request's values for policy condition keys other
// than aws:SourceIp and aws:username (which the Authorizer knows), computed
// once per request.
func conditionContext(ri *requestInfo, r *http.Request) map[string]string {
	if ri.condCtx != nil {
		return ri.condCtx
	}
	c := map[string]string{"aws:securetransport": strconv.FormatBool(r.TLS != nil)}
	if ua := r.UserAgent(); ua != "" {
		c["aws:useragent"] = ua
	}
	if ref := r.Referer(); ref != "" {
		c["aws:referer"] = ref
	}
	q := ri.Op.Query
	switch ri.Op.Kind {
	case OpListObjects, OpListObjectsV2, OpListObjectVersions, OpListMultipartUploads:
		for _, name := range []string{"prefix", "delimiter", "max-keys"} {
			if vs, ok := q[name]; ok {
				c["s3:"+name] = vs[0]
			}
		}
		if ri.Op.Kind == OpListObjects || ri.Op.Kind == OpListObjectsV2 {
			if _, ok := q["max-keys"]; !ok {
				c["s3:max-keys"] = "1000"
			}
		}
	}
	if ri.Op.VersionID != "" {
		c["s3:versionid"] = ri.Op.VersionID
	}
	// The encryption a write asks for, for policies that require it
	// (s3:x-amz-server-side-encryption and friends).
	for _, h := range [...]string{hSSE, hSSEKMSKeyID, hSSECPrefix + "Algorithm"} {
		if v := r.Header.Get(h); v != "" {
			c["s3:"+strings.ToLower(h)] = v
		}
	}
	for _, h := range []string{"If-Match", "If-None-Match", "X-Amz-Acl"} {
		if v := r.Header.Get(h); v != "" {
			c["s3:"+strings.ToLower(h)] = v
		}
	}
	// The grant headers, for policies that require the bucket owner's full
	// control (s3:x-amz-grant-full-control and friends).
	for _, g := range grantHeaders {
		if v := r.Header.Get(g.name); v != "" {
			c["s3:"+strings.ToLower(g.name)] = v
		}
	}
	ri.condCtx = c
	return c
}

// sourceIP is the peer address. Forwarding headers are not trusted: a proxy
// in front of Coffer is not distinguishable from a client lying about them.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
