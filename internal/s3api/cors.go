package s3api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"coffer/internal/cors"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

// CORS: Put/Get/DeleteBucketCors store the bucket's CORSConfiguration
// (package cors parses and evaluates it); preflight answers OPTIONS before
// any authentication; corsHeaders adds the CORS headers to every other
// answer for a request with an Origin, errors included.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html

// requireIntegrity applies S3's rule for the bucket configurations whose
// body must carry an integrity check (PutBucketCors, PutBucketTagging):
// Content-MD5 or a flexible checksum (header or trailer), which current
// SDKs send instead. The value itself is verified by the body chain.
func requireIntegrity(r *http.Request) error {
	if hasIntegrity(r) {
		return nil
	}
	return errs.New(errs.InvalidRequest, "Missing required header for this request: Content-MD5")
}

// hasIntegrity reports whether r carries what requireIntegrity asks for
// (without building its error: every PUT without a checksum asks).
func hasIntegrity(r *http.Request) bool {
	if r.Header.Get("Content-Md5") != "" || r.Header.Get("X-Amz-Sdk-Checksum-Algorithm") != "" ||
		declaredTrailer(r.Header) != "" {
		return true
	}
	for name := range r.Header {
		if strings.HasPrefix(name, "X-Amz-Checksum-") && name != "X-Amz-Checksum-Type" {
			return true
		}
	}
	return false
}

func (s *server) putBucketCors(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := requireIntegrity(r); err != nil {
		return nil, err
	}
	data, err := s.readXMLBody(ri, r, cors.MaxSize)
	if err != nil {
		return nil, err
	}
	c, err := cors.Parse(data)
	if err != nil {
		return nil, err
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigCORS, c.Marshal()); err != nil {
		return nil, err
	}
	s.views.invalidate(ri.Tenant(), ri.Op.Bucket)
	return &response{}, nil
}

func (s *server) getBucketCors(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	data := b.Configs[objects.ConfigCORS]
	if data == nil {
		return nil, errs.New(errs.NoSuchCORSConfiguration, "The CORS configuration does not exist")
	}
	return rawXMLResponse(data), nil
}

func (s *server) deleteBucketCors(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigCORS, nil); err != nil {
		return nil, err
	}
	s.views.invalidate(ri.Tenant(), ri.Op.Bucket)
	return &response{Status: http.StatusNoContent}, nil
}

// rawXMLResponse answers a stored XML document as is.
func rawXMLResponse(data []byte) *response {
	resp := &response{Body: io.NopCloser(bytes.NewReader(data))}
	resp.setHeader("Content-Type", "application/xml")
	resp.setHeader("Content-Length", strconv.Itoa(len(data)))
	return resp
}

// The preflight's refusals, in S3's words.
var (
	errNoOrigin     = errs.New(errs.BadRequest, "Insufficient information. Origin request header needed.")
	errCORSNoBucket = errs.New(errs.CORSForbidden, "CORSResponse: Bucket not found")
	errCORSDisabled = errs.New(errs.CORSForbidden, "CORSResponse: CORS is not enabled for this bucket.")
)

// preflight answers a CORS preflight (OPTIONS on a bucket or an object). It
// is never authenticated: browsers send no credentials with it. The bucket
// is resolved without a principal, in the one tenant that has a bucket of
// that name (see viewCache.tenantOf); a name several tenants use answers as
// a missing bucket. The order of the checks is S3's: the Origin, the
// bucket and its configuration, the requested method, then the rules.
func (s *server) preflight(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil, errNoOrigin
	}
	v := s.requestView(ctx, ri)
	if v == nil {
		return nil, errCORSNoBucket
	}
	if v.cors == nil {
		return nil, errCORSDisabled
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if !cors.IsMethod(method) {
		shown := method
		if shown == "" {
			shown = "null"
		}
		return nil, errs.New(errs.BadRequest, "Invalid Access-Control-Request-Method: %s", shown)
	}
	m, ok := v.cors.MatchPreflight(origin, method, cors.SplitHeaders(r.Header.Get("Access-Control-Request-Headers")))
	if !ok {
		return nil, errs.New(errs.CORSForbidden, "")
	}
	resp := &response{}
	m.Apply(resp.header())
	return resp, nil
}

// corsHeaders adds the CORS response headers for a request with an Origin
// that the bucket's CORS configuration allows. It reads nothing for a
// request without an Origin, and only the cached bucket view otherwise.
func (s *server) corsHeaders(ctx context.Context, h http.Header, r *http.Request, ri *requestInfo) {
	origin := r.Header.Get("Origin")
	if origin == "" || ri.Op.Kind == OpPreflight || ri.Op.Bucket == "" {
		return
	}
	v := s.requestView(ctx, ri)
	if v == nil || v.cors == nil {
		return
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if method == "" {
		method = r.Method
	}
	if m, ok := v.cors.MatchActual(origin, method); ok {
		m.Apply(h)
	}
}
