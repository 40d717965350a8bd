package s3api

import "time"

// RequestObserver receives one call per S3 request, after its log line
// (Options.Observer; the metrics package implements it). It runs on every
// request's path: it must be cheap, must not block, and must not keep the
// value.
type RequestObserver interface {
	ObserveS3(Served)
}

// Served is what one finished S3 request amounts to.
type Served struct {
	Op     OpKind
	Status int
	// BytesIn is the request's Content-Length (0 when unknown); BytesOut
	// the response body bytes written.
	BytesIn, BytesOut int64
	Start             time.Time
	Duration          time.Duration
}

// NumOps is the number of operations: every OpKind is in [0, NumOps), so
// an observer can keep a table indexed by OpKind.
const NumOps = int(numOps)
