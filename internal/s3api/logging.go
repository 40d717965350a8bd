package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"time"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// Bucket logging: Put/GetBucketLogging store the bucket's
// BucketLoggingStatus; accessLog (called at the end of every request)
// records requests on buckets with logging on in S3's server access log
// format (accesslog.go), and the records are delivered as log objects into
// the target bucket (logdelivery.go).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html

// DefaultAccessLogInterval is how often access logs are delivered when
// Options.AccessLogInterval is unset. S3 delivers best effort within hours;
// a minute keeps the buffers small.
const DefaultAccessLogInterval = 60 * time.Second

// loggingConfig is a bucket's LoggingEnabled.
type loggingConfig struct {
	TargetBucket string
	TargetPrefix string
	// Partitioned selects the PartitionedPrefix key format
	// ([prefix][tenant]/[region]/[bucket]/YYYY/MM/DD/...), SimplePrefix
	// otherwise. EventTime dates partitions by the records' time rather
	// than the delivery's.
	Partitioned bool
	EventTime   bool
}

// The wire shapes of PutBucketLogging and GetBucketLogging.
type loggingStatusXML struct {
	XMLName        xml.Name           `xml:"BucketLoggingStatus"`
	LoggingEnabled *loggingEnabledXML `xml:"LoggingEnabled"`
}

type loggingStatusOutXML struct {
	XMLName        xml.Name           `xml:"http://s3.amazonaws.com/doc/2006-03-01/ BucketLoggingStatus"`
	LoggingEnabled *loggingEnabledXML `xml:"LoggingEnabled"`
}

type loggingEnabledXML struct {
	TargetBucket string `xml:"TargetBucket"`
	TargetPrefix string `xml:"TargetPrefix"`
	// TargetGrants are accepted and given back; Coffer authorizes the
	// log objects with the target bucket's owner and policies, not grants.
	TargetGrants          *innerXML     `xml:"TargetGrants"`
	TargetObjectKeyFormat *keyFormatXML `xml:"TargetObjectKeyFormat"`
}

type innerXML struct {
	Inner []byte `xml:",innerxml"`
}

type keyFormatXML struct {
	SimplePrefix      *struct{}             `xml:"SimplePrefix"`
	PartitionedPrefix *partitionedPrefixXML `xml:"PartitionedPrefix"`
}

type partitionedPrefixXML struct {
	PartitionDateSource string `xml:"PartitionDateSource,omitempty"`
}

// parseLoggingStatus parses a PutBucketLogging body; nil LoggingEnabled
// (an empty BucketLoggingStatus) turns logging off.
func parseLoggingStatus(data []byte) (*loggingEnabledXML, *loggingConfig, error) {
	var doc loggingStatusXML
	if err := unmarshalXML(data, &doc); err != nil {
		return nil, nil, err
	}
	le := doc.LoggingEnabled
	if le == nil {
		return nil, nil, nil
	}
	if le.TargetBucket == "" {
		return nil, nil, malformed("LoggingEnabled must name a TargetBucket")
	}
	c := &loggingConfig{TargetBucket: le.TargetBucket, TargetPrefix: le.TargetPrefix}
	if f := le.TargetObjectKeyFormat; f != nil {
		switch {
		case f.SimplePrefix != nil && f.PartitionedPrefix != nil:
			return nil, nil, malformed("TargetObjectKeyFormat takes SimplePrefix or PartitionedPrefix, not both")
		case f.PartitionedPrefix != nil:
			c.Partitioned = true
			switch f.PartitionedPrefix.PartitionDateSource {
			case "", "DeliveryTime":
			case "EventTime":
				c.EventTime = true
			default:
				return nil, nil, malformed("PartitionDateSource must be EventTime or DeliveryTime")
			}
		}
	}
	return le, c, nil
}

// parseLoggingXML parses a stored configuration (as putBucketLogging
// stores it: the BucketLoggingStatus with its LoggingEnabled).
func parseLoggingXML(data []byte) (*loggingConfig, error) {
	_, c, err := parseLoggingStatus(data)
	return c, err
}

func (s *server) putBucketLogging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	data, err := s.readXMLBody(ri, r, maxSmallBody)
	if err != nil {
		return nil, err
	}
	le, c, err := parseLoggingStatus(data)
	if err != nil {
		return nil, err
	}
	var stored []byte
	if c != nil {
		// The target must be a bucket of the same tenant (S3: of the same
		// owner and region).
		if _, err := s.be.GetBucket(ctx, ri.Tenant(), c.TargetBucket); err != nil {
			if errs.KindOf(err) == errs.NoSuchBucket {
				return nil, errs.New(errs.InvalidTargetBucketForLogging, "The target bucket for logging does not exist")
			}
			return nil, err
		}
		if stored, err = encodeXML(loggingStatusOutXML{LoggingEnabled: le}); err != nil {
			return nil, err
		}
	}
	if err := s.be.PutBucketConfig(ctx, ri.Tenant(), ri.Op.Bucket, objects.ConfigLogging, stored); err != nil {
		return nil, err
	}
	s.views.invalidate(ri.Tenant(), ri.Op.Bucket)
	return &response{}, nil
}

func (s *server) getBucketLogging(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	b, err := s.be.GetBucket(ctx, ri.Tenant(), ri.Op.Bucket)
	if err != nil {
		return nil, err
	}
	if data := b.Configs[objects.ConfigLogging]; data != nil {
		return rawXMLResponse(data), nil
	}
	return &response{XML: loggingStatusOutXML{}}, nil
}

// accessLog records the request for the bucket's server access logging,
// when the bucket has it on. Requests that name no bucket, or a bucket
// without logging, cost one look at the cached bucket view.
func (s *server) accessLog(r *http.Request, ri *requestInfo, w *statusWriter, err error) {
	if ri.Op.Bucket == "" {
		return
	}
	v := s.requestView(r.Context(), ri)
	if v == nil || v.logging == nil {
		return
	}
	rec := newLogRecord(r, ri, w, err, v, time.Now())
	s.alog.add(v, rec)
}
