package s3api

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strconv"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Bucket-level handlers: ListBuckets, CreateBucket, HeadBucket,
// DeleteBucket, GetBucketLocation, Get/PutBucketVersioning (ACLs: acl.go).

// encodeToken and decodeToken make continuation tokens opaque.
// Continuation tokens are opaque to clients: the resume point and a CRC-32C
// of it, so a token Coffer did not issue is refused as S3 refuses it.
func encodeToken(after string) string {
	b := binary.BigEndian.AppendUint32([]byte(after), crc32.Checksum([]byte(after), tokenTable))
	return base64.RawURLEncoding.EncodeToString(b)
}

var tokenTable = crc32.MakeTable(crc32.Castagnoli)

func decodeToken(tok, field string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 4 || crc32.Checksum(b[:len(b)-4], tokenTable) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return "", errs.Field(errs.InvalidArgument, field, "The continuation token provided is incorrect")
	}
	return string(b[:len(b)-4]), nil
}

// listBuckets shows the tenant's buckets the caller may list (s3:ListBucket
// on the bucket), so that a user sees exactly what it can use.
func (s *server) listBuckets(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	q := ri.Op.Query
	in := objects.ListBucketsInput{Tenant: ri.Tenant(), Prefix: q.Get("prefix")}
	if v, ok := q["max-buckets"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > 10000 {
			return nil, errs.Field(errs.InvalidArgument, "max-buckets", "max-buckets must be an integer between 1 and 10000")
		}
		in.MaxBuckets = n
	}
	if tok := q.Get("continuation-token"); tok != "" {
		after, err := decodeToken(tok, "continuation-token")
		if err != nil {
			return nil, err
		}
		in.After = after
	}
	in.Filter = func(b objects.BucketInfo) bool {
		return s.authorize(ctx, ri, r, "s3:ListBucket", b.Name, "") == nil
	}
	out, err := s.be.ListBuckets(ctx, in)
	if err != nil {
		return nil, err
	}
	res := listAllMyBucketsResult{Owner: principalOwner(ri), Prefix: in.Prefix, Buckets: []bucketXML{}}
	for _, b := range out.Buckets {
		res.Buckets = append(res.Buckets, bucketXML{Name: b.Name, CreationDate: isoTime(b.Created), BucketRegion: s.region(b)})
	}
	if out.Next != "" {
		res.ContinuationToken = encodeToken(out.Next)
	}
	return &response{XML: res}, nil
}

func (s *server) region(b objects.BucketInfo) string {
	if b.Region != "" {
		return b.Region
	}
	return s.opts.Region
}

func (s *server) createBucket(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	loc, err := parseCreateBucketXML(data)
	if err != nil {
		return nil, err
	}
	if loc != "" && loc != s.opts.Region {
		return nil, errs.Field(errs.InvalidArgument, "LocationConstraint",
			"The specified location-constraint is not valid: this endpoint serves %s", s.opts.Region)
	}
	lock, err := s.createBucketLock(ctx, ri, r)
	if err != nil {
		return nil, err
	}
	cfgs, err := s.createBucketConfigs(ctx, ri, r)
	if err != nil {
		return nil, err
	}
	_, err = s.be.CreateBucket(ctx, objects.CreateBucketInput{
		Configs:    cfgs,
		ObjectLock: lock,
		Tenant:     ri.Tenant(),
		Name:       ri.Op.Bucket,
		Owner:      ri.Principal.UserID,
		Region:     s.opts.Region,
	})
	if err != nil {
		return nil, err
	}
	resp := &response{}
	resp.setHeader("Location", "/"+ri.Op.Bucket)
	return resp, nil
}

func (s *server) headBucket(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	resp := &response{}
	resp.setHeader("X-Amz-Bucket-Region", s.region(b))
	return resp, nil
}

func (s *server) deleteBucket(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.DeleteBucket(ctx, ri.Tenant(), ri.Op.Bucket); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}

// getBucketLocation answers an empty LocationConstraint for us-east-1, as AWS does.
func (s *server) getBucketLocation(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	region := s.region(b)
	if region == "us-east-1" {
		region = ""
	}
	return &response{XML: locationConstraintXML{Region: region}}, nil
}

func (s *server) getBucketVersioning(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	return &response{XML: versioningConfigurationXML{Status: string(b.Versioning)}}, nil
}

func (s *server) putBucketVersioning(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if r.Header.Get("X-Amz-Mfa") != "" {
		return nil, errs.New(errs.NotImplemented, "MFA Delete is not implemented")
	}
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	state, err := parseVersioningXML(data)
	if err != nil {
		return nil, err
	}
	if err := s.be.SetVersioning(ctx, ri.Tenant(), ri.Op.Bucket, state); err != nil {
		return nil, err
	}
	return &response{}, nil
}
