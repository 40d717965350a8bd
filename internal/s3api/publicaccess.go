package s3api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"

	"coffer/internal/acl"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/policy"
)

// Block Public Access (Get/Put/DeletePublicAccessBlock) and
// GetBucketPolicyStatus. New buckets created through S3 start with all four
// settings on, as AWS's have since April 2023; a bucket without a stored
// configuration (created through the management plane, or after
// DeletePublicAccessBlock) blocks nothing. What the settings do is the
// core's (Authorize: IgnorePublicAcls, RestrictPublicBuckets) and the
// adapter's (BlockPublicAcls in acl.go, BlockPublicPolicy here).
//
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html

type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ PublicAccessBlockConfiguration"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

type publicAccessBlockIn struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	BlockPublicAcls       *string  `xml:"BlockPublicAcls"`
	IgnorePublicAcls      *string  `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     *string  `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets *string  `xml:"RestrictPublicBuckets"`
}

// parsePublicAccessBlockXML reads a PublicAccessBlockConfiguration; an
// absent element is false, a value other than true/false is MalformedXML.
func parsePublicAccessBlockXML(data []byte) (acl.PublicAccessBlock, error) {
	bad := errs.New(errs.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema.")
	var in publicAccessBlockIn
	if err := xml.Unmarshal(data, &in); err != nil {
		return acl.PublicAccessBlock{}, bad
	}
	var out acl.PublicAccessBlock
	for _, f := range []struct {
		v   *string
		dst *bool
	}{{in.BlockPublicAcls, &out.BlockPublicAcls}, {in.IgnorePublicAcls, &out.IgnorePublicAcls},
		{in.BlockPublicPolicy, &out.BlockPublicPolicy}, {in.RestrictPublicBuckets, &out.RestrictPublicBuckets}} {
		if f.v == nil {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(*f.v)) {
		case "true":
			*f.dst = true
		case "false":
		default:
			return acl.PublicAccessBlock{}, bad
		}
	}
	return out, nil
}

func (s *server) getPublicAccessBlock(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	raw := b.Configs[objects.ConfigPublicAccessBlock]
	if raw == nil {
		return nil, errs.New(errs.NoSuchPublicAccessBlock, "The public access block configuration was not found")
	}
	p, err := acl.DecodePAB(raw)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "bucket %q", ri.Op.Bucket)
	}
	return &response{XML: publicAccessBlockXML{BlockPublicAcls: p.BlockPublicAcls, IgnorePublicAcls: p.IgnorePublicAcls,
		BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets}}, nil
}

func (s *server) putPublicAccessBlock(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if _, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket); err != nil {
		return nil, err
	}
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	p, err := parsePublicAccessBlockXML(data)
	if err != nil {
		return nil, err
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigPublicAccessBlock, acl.EncodePAB(p)); err != nil {
		return nil, err
	}
	return &response{}, nil
}

func (s *server) deletePublicAccessBlock(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigPublicAccessBlock, nil); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ PolicyStatus"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus answers whether the bucket's policy is public
// (policy.Document.IsPublic); a bucket without a policy is
// NoSuchBucketPolicy, as in AWS.
func (s *server) getBucketPolicyStatus(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	if len(b.Policy) == 0 {
		return nil, errs.New(errs.NoSuchBucketPolicy, "The bucket policy does not exist")
	}
	var d policy.Document
	if err := json.Unmarshal(b.Policy, &d); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "bucket %q: stored policy", ri.Op.Bucket)
	}
	return &response{XML: policyStatusXML{IsPublic: d.IsPublic()}}, nil
}

// checkPublicPolicy refuses a public policy on a bucket whose Block Public
// Access has BlockPublicPolicy (403 AccessDenied, as in AWS).
func checkPublicPolicy(b objects.BucketInfo, doc policy.Document) error {
	p, err := acl.DecodePAB(b.Configs[objects.ConfigPublicAccessBlock])
	if err != nil {
		return errs.Wrap(errs.Internal, err, "bucket %q", b.Name)
	}
	if p.BlockPublicPolicy && doc.IsPublic() {
		return errs.New(errs.AccessDenied, "Access Denied: the bucket's public access block refuses public policies")
	}
	return nil
}
