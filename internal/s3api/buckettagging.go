package s3api

import (
	"context"
	"net/http"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Bucket tagging: the bucket's tag set, stored as the Tagging document
// GetBucketTagging answers. The tag rules are the object tags' (one
// validateTagSet), with S3's bucket limit of 50 tags.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html

const maxBucketTags = 50

// parseBucketTaggingXML parses and checks a PutBucketTagging body.
func parseBucketTaggingXML(data []byte) ([]objects.Tag, error) {
	tags, err := decodeTaggingXML(data)
	if err != nil {
		return nil, err
	}
	if len(tags) > maxBucketTags {
		return nil, errs.New(errs.InvalidTag, "Bucket tag count cannot be greater than %d", maxBucketTags)
	}
	return tags, validateTagSet(tags)
}

func (s *server) putBucketTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := requireIntegrity(r); err != nil {
		return nil, err
	}
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	tags, err := parseBucketTaggingXML(data)
	if err != nil {
		return nil, err
	}
	var stored []byte // an empty tag set removes the tags
	if len(tags) > 0 {
		doc := taggingXML{TagSet: tagSetXML{Tags: make([]tagXML, len(tags))}}
		for i, t := range tags {
			doc.TagSet.Tags[i] = tagXML{Key: t.Key, Value: t.Value}
		}
		if stored, err = encodeXML(doc); err != nil {
			return nil, err
		}
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigTagging, stored); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}

func (s *server) getBucketTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	data := b.Configs[objects.ConfigTagging]
	if data == nil {
		return nil, errs.New(errs.NoSuchTagSet, "The TagSet does not exist")
	}
	return rawXMLResponse(data), nil
}

func (s *server) deleteBucketTagging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigTagging, nil); err != nil {
		return nil, err
	}
	return &response{Status: http.StatusNoContent}, nil
}
