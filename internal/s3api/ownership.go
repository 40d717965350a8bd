package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"

	"coffer/internal/acl"
	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Object Ownership (Get/Put/DeleteBucketOwnershipControls). New buckets are
// BucketOwnerEnforced unless CreateBucket's x-amz-object-ownership says
// otherwise; a bucket without a stored setting (created through the
// management plane) is BucketOwnerEnforced too and shows it; after
// DeleteBucketOwnershipControls the bucket shows none
// (OwnershipControlsNotFoundError) and behaves as ObjectWriter, as in AWS.
//
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html

type ownershipControlsXML struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ OwnershipControls"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

type ownershipControlsIn struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Rules   []struct {
		ObjectOwnership *string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// parseOwnershipXML reads an OwnershipControls document: exactly one Rule
// with a valid ObjectOwnership, else MalformedXML.
func parseOwnershipXML(data []byte) (acl.Ownership, error) {
	var in ownershipControlsIn
	if err := xml.Unmarshal(data, &in); err != nil || len(in.Rules) != 1 || in.Rules[0].ObjectOwnership == nil {
		return "", errs.New(errs.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema.")
	}
	o := acl.Ownership(strings.TrimSpace(*in.Rules[0].ObjectOwnership))
	if !o.Valid() {
		return "", errs.New(errs.MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema.")
	}
	return o, nil
}

func (s *server) getBucketOwnershipControls(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	o, shown := acl.DecodeOwnership(b.Configs[objects.ConfigOwnership])
	if !shown {
		return nil, errs.New(errs.NoSuchOwnershipControls, "The bucket ownership controls were not found")
	}
	var out ownershipControlsXML
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{string(o)})
	return &response{XML: out}, nil
}

// putBucketOwnershipControls sets the ownership. Disabling ACLs
// (BucketOwnerEnforced) is refused while the bucket's ACL grants anyone
// but its owner (InvalidBucketAclWithObjectOwnership), as in AWS.
func (s *server) putBucketOwnershipControls(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	st, err := s.bucketACLState(ctx, ri, ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	o, err := parseOwnershipXML(data)
	if err != nil {
		return nil, err
	}
	if raw := st.info.Configs[objects.ConfigACL]; o == acl.BucketOwnerEnforced && raw != nil && st.ownership.ACLsEnabled() {
		a, err := acl.Decode(raw)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "bucket %q", ri.Op.Bucket)
		}
		if !a.OnlyOwnerFullControl(st.ownerCanon) {
			return nil, errs.New(errs.InvalidBucketACLWithOwnership, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigOwnership, acl.EncodeOwnership(o)); err != nil {
		return nil, err
	}
	return &response{}, nil
}

func (s *server) deleteBucketOwnershipControls(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigOwnership, acl.DeletedOwnership()); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}
