package s3api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"coffer/internal/errs"
	"coffer/internal/policy"
)

// BucketPolicies stores bucket policies. The core implements it, so that a
// policy set here is the one the management plane shows, and the one
// Authorize evaluates.
type BucketPolicies interface {
	PutBucketPolicy(ctx context.Context, tenant, bucket string, doc policy.Document) error
	// GetBucketPolicy fails with NoSuchBucketPolicy when there is none.
	GetBucketPolicy(ctx context.Context, tenant, bucket string) (policy.Document, error)
	DeleteBucketPolicy(ctx context.Context, tenant, bucket string) error
}

func (s *server) policies() (BucketPolicies, error) {
	if s.opts.BucketPolicies == nil {
		return nil, errs.New(errs.NotImplemented, "bucket policies are not available")
	}
	return s.opts.BucketPolicies, nil
}

// putBucketPolicy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
// The body is AWS policy JSON of at most 20 KiB; success is 204.
func (s *server) putBucketPolicy(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	bp, err := s.policies()
	if err != nil {
		return nil, err
	}
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	data, err := s.readXMLBody(ri, r, policy.MaxAWSPolicySize)
	if err != nil {
		if errs.KindOf(err) == errs.MalformedXML {
			return nil, errs.New(errs.MalformedPolicy, "Policies must be less than 20 KB in size")
		}
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errs.New(errs.MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'")
	}
	doc, err := policy.ParseAWS(data)
	if err != nil {
		return nil, err
	}
	if len(doc.Statements) == 0 {
		return nil, errs.New(errs.MalformedPolicy, "Could not parse the policy: Statement is empty!")
	}
	if err := doc.CheckBucket(ri.Op.Bucket); err != nil {
		return nil, err
	}
	if err := checkPublicPolicy(b, doc); err != nil {
		return nil, err
	}
	if err := bp.PutBucketPolicy(ctx, ri.Tenant(), ri.Op.Bucket, doc); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}

// getBucketPolicy answers the policy as canonical AWS JSON.
func (s *server) getBucketPolicy(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	bp, err := s.policies()
	if err != nil {
		return nil, err
	}
	doc, err := bp.GetBucketPolicy(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	body, err := doc.MarshalAWS()
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "render bucket policy")
	}
	resp := &response{Body: io.NopCloser(bytes.NewReader(body))}
	resp.setHeader("Content-Type", "application/json")
	resp.setHeader("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

func (s *server) deleteBucketPolicy(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	bp, err := s.policies()
	if err != nil {
		return nil, err
	}
	if err := bp.DeleteBucketPolicy(ctx, ri.Tenant(), ri.Op.Bucket); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}
