package s3api

import (
	"encoding/xml"
	"strings"
	"unicode/utf8"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Limits on XML request bodies. AWS publishes none; these hold the largest
// legal document with room to spare (1,000 keys of 1,024 bytes, escaped;
// 10,000 parts with checksums) and stop a client from making us buffer more.
const (
	maxDeleteBody   = 4 << 20
	maxCompleteBody = 4 << 20
	maxSmallBody    = 64 << 10 // tagging, versioning, bucket configuration

	maxDeleteKeys = 1000
	maxParts      = 10000
	maxTags       = 10
	maxTagKey     = 128
	maxTagValue   = 256
)

func malformed(format string, args ...any) error {
	return errs.New(errs.MalformedXML, format, args...)
}

// unmarshalXML decodes data into v, whose XMLName fixes the root element
// (any namespace, or none, is accepted, as AWS does).
func unmarshalXML(data []byte, v any) error {
	if err := xml.Unmarshal(data, v); err != nil {
		return errs.Wrap(errs.MalformedXML, err, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	return nil
}

// deleteRequest is a parsed DeleteObjects body.
type deleteRequest struct {
	Quiet   bool
	Objects []deleteObjectXML
}

type deleteXML struct {
	XMLName xml.Name          `xml:"Delete"`
	Quiet   bool              `xml:"Quiet"`
	Objects []deleteObjectXML `xml:"Object"`
}

type deleteObjectXML struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId"`
	ETag      string `xml:"ETag"`
	// LastModifiedTime and Size are the conditions S3 documents for
	// directory buckets (see deleteConditions).
	LastModifiedTime string `xml:"LastModifiedTime"`
	Size             string `xml:"Size"`
}

// parseDeleteXML parses <Delete><Quiet/><Object><Key/><VersionId/></Object>…</Delete>.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
func parseDeleteXML(data []byte) (deleteRequest, error) {
	var d deleteXML
	if err := unmarshalXML(data, &d); err != nil {
		return deleteRequest{}, err
	}
	if len(d.Objects) == 0 {
		return deleteRequest{}, malformed("The XML you provided lists no objects to delete")
	}
	if len(d.Objects) > maxDeleteKeys {
		return deleteRequest{}, malformed("The XML you provided lists more than %d objects", maxDeleteKeys)
	}
	for _, o := range d.Objects {
		if o.Key == "" {
			return deleteRequest{}, malformed("Every Object must name a Key")
		}
	}
	return deleteRequest{Quiet: d.Quiet, Objects: d.Objects}, nil
}

type completeXML struct {
	XMLName xml.Name          `xml:"CompleteMultipartUpload"`
	Parts   []completePartXML `xml:"Part"`
}

type completePartXML struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
	checksumXML
}

// parseCompleteXML parses a CompleteMultipartUpload body. Order, ETags and
// checksums are checked by the object layer.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
func parseCompleteXML(data []byte) ([]objects.CompletedPart, error) {
	var c completeXML
	if err := unmarshalXML(data, &c); err != nil {
		return nil, err
	}
	if len(c.Parts) == 0 {
		return nil, malformed("The XML you provided lists no parts")
	}
	if len(c.Parts) > maxParts {
		return nil, malformed("The XML you provided lists more than %d parts", maxParts)
	}
	parts := make([]objects.CompletedPart, len(c.Parts))
	for i, p := range c.Parts {
		if p.PartNumber < 1 || p.PartNumber > maxParts {
			return nil, errs.Field(errs.InvalidArgument, "PartNumber", "Part number must be an integer between 1 and 10000, inclusive")
		}
		parts[i] = objects.CompletedPart{Number: p.PartNumber, ETag: p.ETag, Checksum: firstChecksum(p.checksumXML)}
	}
	return parts, nil
}

func firstChecksum(c checksumXML) string {
	for _, v := range []string{c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumCRC64NVME, c.ChecksumSHA1, c.ChecksumSHA256,
		c.ChecksumMD5, c.ChecksumSHA512, c.ChecksumXXHASH64, c.ChecksumXXHASH3, c.ChecksumXXHASH128} {
		if v != "" {
			return v
		}
	}
	return ""
}

type taggingInXML struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []tagXML `xml:"TagSet>Tag"`
}

// parseTaggingXML parses <Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>.
func parseTaggingXML(data []byte) ([]objects.Tag, error) {
	tags, err := decodeTaggingXML(data)
	if err != nil {
		return nil, err
	}
	return tags, validateTags(tags)
}

// decodeTaggingXML decodes a Tagging document without checking its tags.
func decodeTaggingXML(data []byte) ([]objects.Tag, error) {
	var t taggingInXML
	if err := unmarshalXML(data, &t); err != nil {
		return nil, err
	}
	tags := make([]objects.Tag, len(t.Tags))
	for i, x := range t.Tags {
		tags[i] = objects.Tag{Key: x.Key, Value: x.Value}
	}
	return tags, nil
}

// validateTags applies S3's object tag limits.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
func validateTags(tags []objects.Tag) error {
	if len(tags) > maxTags {
		return errs.New(errs.InvalidTag, "Object tags cannot be greater than %d", maxTags)
	}
	return validateTagSet(tags)
}

// validateTagSet applies the limits every S3 tag set shares (objects and
// buckets): key and value lengths and characters, the reserved aws:
// prefix, distinct keys.
func validateTagSet(tags []objects.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "" || !utf8.ValidString(t.Key):
			return errs.New(errs.InvalidTag, "The TagKey you have provided is invalid")
		case utf8.RuneCountInString(t.Key) > maxTagKey:
			return errs.New(errs.InvalidTag, "The TagKey you have provided is too long, max %d", maxTagKey)
		case !utf8.ValidString(t.Value):
			return errs.New(errs.InvalidTag, "The TagValue you have provided is invalid")
		case utf8.RuneCountInString(t.Value) > maxTagValue:
			return errs.New(errs.InvalidTag, "The TagValue you have provided is too long, max %d", maxTagValue)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errs.New(errs.InvalidTag, "Your TagKey cannot be prefixed with aws:")
		case seen[t.Key]:
			return errs.New(errs.InvalidTag, "Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

type versioningInXML struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Status    string   `xml:"Status"`
	MfaDelete string   `xml:"MfaDelete"`
}

// parseVersioningXML parses a PutBucketVersioning body.
func parseVersioningXML(data []byte) (objects.VersioningState, error) {
	var v versioningInXML
	if err := unmarshalXML(data, &v); err != nil {
		return "", err
	}
	switch v.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		return "", errs.New(errs.NotImplemented, "MFA Delete is not implemented")
	default:
		return "", malformed("MfaDelete must be Enabled or Disabled")
	}
	switch s := objects.VersioningState(v.Status); s {
	case objects.VersioningEnabled, objects.VersioningSuspended:
		return s, nil
	}
	return "", malformed("Status must be Enabled or Suspended")
}

type createBucketXML struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

// parseCreateBucketXML returns the LocationConstraint of a CreateBucket body
// (an empty body is allowed and means the default region).
func parseCreateBucketXML(data []byte) (string, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return "", nil
	}
	var c createBucketXML
	if err := unmarshalXML(data, &c); err != nil {
		return "", err
	}
	return c.LocationConstraint, nil
}
