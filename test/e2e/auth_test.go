package e2e

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithymw "github.com/aws/smithy-go/middleware"
)

func TestAuth_unknownAccessKey_InvalidAccessKeyId(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	bad := newClient(t, suite.endpoint, "AKIAE2EUNKNOWNKEY000", suite.secretKey)
	_, err := bad.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	wantErr(t, "ListBuckets with unknown access key", err, "InvalidAccessKeyId", 403)
	b := newBucket(t)
	_, err = bad.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantErr(t, "PutObject with unknown access key", err, "InvalidAccessKeyId", 403)
	assertKeys(t, b, "", nil)
}

func TestAuth_wrongSecret_SignatureDoesNotMatch(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	bad := newClient(t, suite.endpoint, suite.accessKey, suite.secretKey+"x")
	_, err := bad.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	wantErr(t, "ListBuckets with wrong secret", err, "SignatureDoesNotMatch", 403)
	b := newBucket(t)
	_, err = bad.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantErr(t, "PutObject with wrong secret", err, "SignatureDoesNotMatch", 403)
	assertKeys(t, b, "", nil)
}

func TestAuth_anonymous_AccessDenied(t *testing.T) {
	t.Parallel()
	b := newBucket(t)
	putObject(t, b, "private", []byte("x"))
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/" + b + "/private"},
		{http.MethodGet, "/" + b + "?list-type=2"},
		{http.MethodPut, "/" + b + "/anon"},
	} {
		req, _ := http.NewRequest(tc.method, suite.endpoint+tc.path, bytes.NewReader([]byte("anon")))
		res := doRaw(t, req)
		if res.status != 403 || res.code() != "AccessDenied" {
			t.Fatalf("anonymous %s %s: got HTTP %d code %q, want 403 AccessDenied (%s)", tc.method, tc.path, res.status, res.code(), res.body)
		}
	}
	assertKeys(t, b, "anon", nil)
}

func TestAuth_requestTimeSkewed_RequestTimeTooSkewed(t *testing.T) {
	t.Parallel()
	requireTarget(t)
	req, _ := http.NewRequest(http.MethodGet, suite.endpoint+"/", nil)
	rawSigned(t, req, sha256hex(nil), suite.accessKey, suite.secretKey, time.Now().Add(-30*time.Minute).UTC())
	res := doRaw(t, req)
	if res.status != 403 || res.code() != "RequestTimeTooSkewed" {
		t.Fatalf("request signed 30 min ago: got HTTP %d code %q, want 403 RequestTimeTooSkewed", res.status, res.code())
	}
}

func TestRequestID_everyResponse(t *testing.T) {
	t.Parallel()
	c := s3c(t)
	b := newBucket(t)

	// Raw HTTP: unauthenticated error, authenticated success and 404.
	req, _ := http.NewRequest(http.MethodGet, suite.endpoint+"/", nil)
	if res := doRaw(t, req); res.header.Get("x-amz-request-id") == "" {
		t.Fatalf("raw anonymous GET /: no x-amz-request-id (HTTP %d, headers %v)", res.status, res.header)
	}
	req, _ = http.NewRequest(http.MethodGet, suite.endpoint+"/", nil)
	rawSigned(t, req, sha256hex(nil), suite.accessKey, suite.secretKey, time.Now().UTC())
	if res := doRaw(t, req); res.status != 200 || res.header.Get("x-amz-request-id") == "" {
		t.Fatalf("raw signed ListBuckets: HTTP %d x-amz-request-id %q", res.status, res.header.Get("x-amz-request-id"))
	}
	req, _ = http.NewRequest(http.MethodHead, suite.endpoint+"/"+b+"/missing", nil)
	rawSigned(t, req, sha256hex(nil), suite.accessKey, suite.secretKey, time.Now().UTC())
	if res := doRaw(t, req); res.status != 404 || res.header.Get("x-amz-request-id") == "" {
		t.Fatalf("raw signed HEAD missing: HTTP %d x-amz-request-id %q", res.status, res.header.Get("x-amz-request-id"))
	}

	// SDK successes.
	successes := map[string]smithymw.Metadata{}
	put := putObject(t, b, "k", []byte("x"))
	successes["PutObject"] = put.ResultMetadata
	_, get := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	successes["GetObject"] = get.ResultMetadata
	if head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); err == nil {
		successes["HeadObject"] = head.ResultMetadata
	}
	if l, err := c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)}); err == nil {
		successes["ListObjectsV2"] = l.ResultMetadata
	}
	if d, err := c.DeleteObject(ctxT(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); err == nil {
		successes["DeleteObject"] = d.ResultMetadata
	}
	if len(successes) != 5 {
		t.Fatalf("setup: some operations failed: got %d of 5", len(successes))
	}
	for op, md := range successes {
		if id, ok := awsmiddleware.GetRequestIDMetadata(md); !ok || id == "" {
			t.Fatalf("%s: no x-amz-request-id on success", op)
		}
	}

	// SDK errors.
	_, err := c.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	var rid interface{ ServiceRequestID() string }
	if !errors.As(err, &rid) || rid.ServiceRequestID() == "" {
		t.Fatalf("GetObject NoSuchKey: no x-amz-request-id on error (%v)", err)
	}
	_, err = c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if !errors.As(err, &rid) || rid.ServiceRequestID() == "" {
		t.Fatalf("HeadObject 404: no x-amz-request-id on error (%v)", err)
	}
}
