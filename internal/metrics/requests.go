package metrics

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"coffer/internal/reqlog"
	"coffer/internal/s3api"
)

// The request metrics' names (docs/operations.md).
const (
	nameRequests = "coffer_requests_total"
	nameDuration = "coffer_request_duration_seconds"
	nameIn       = "coffer_request_received_bytes_total"
	nameOut      = "coffer_request_sent_bytes_total"
)

// RequestBuckets are the request latency buckets, in seconds: 1 ms to
// 60 s (a small GET on a warm cache to a multi-gigabyte transfer).
var RequestBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Label bounds of the management listener: distinct dialects, and
// operations per dialect, beyond which "other" is used. The dialects'
// route tables are far smaller; the caps only guard against a dialect that
// would name operations after raw input.
const (
	maxDialects         = 16
	maxOpsPerDialect    = 200
	otherLabel          = "other"
	numClasses          = 5
	dialectS3           = "s3"
	s3StatusClassOffset = 1
)

var classNames = [numClasses]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// classOf maps a status to its class index (out-of-range statuses clamp).
func classOf(status int) int {
	return min(max(status/100-s3StatusClassOffset, 0), numClasses-1)
}

// requestMetrics are the per-request series of both listeners.
type requestMetrics struct {
	requests *prometheus.CounterVec   // dialect, op, status_class
	duration *prometheus.HistogramVec // dialect, op
	in, out  *prometheus.CounterVec   // dialect, op

	s3 [s3api.NumOps]opCells // by OpKind, resolved on first use

	mu    sync.Mutex
	admin map[string]map[string]*opCells // dialect → op
}

// opCells are one (dialect, op)'s resolved series. The status-class
// counters are resolved on first use too, so that a scrape shows only the
// classes that happened.
type opCells struct {
	once    sync.Once
	dur     prometheus.Observer
	in, out prometheus.Counter
	class   [numClasses]classCell
}

type classCell struct {
	once sync.Once
	c    prometheus.Counter
}

func newRequestMetrics() (*requestMetrics, error) {
	return &requestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: nameRequests,
			Help: "Requests served, by dialect (s3, ontap, commvault, coffer, health, metrics, console, admin), operation and status class."},
			[]string{"dialect", "op", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: nameDuration,
			Help: "Time from a request's arrival to its last response byte written, by dialect and operation.", Buckets: RequestBuckets},
			[]string{"dialect", "op"}),
		in: prometheus.NewCounterVec(prometheus.CounterOpts{Name: nameIn,
			Help: "Request body bytes received (S3: the declared Content-Length), by dialect and operation."}, []string{"dialect", "op"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{Name: nameOut,
			Help: "Response body bytes sent, by dialect and operation."}, []string{"dialect", "op"}),
		admin: map[string]map[string]*opCells{},
	}, nil
}

func (m *requestMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
	m.in.Describe(ch)
	m.out.Describe(ch)
}

func (m *requestMetrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
	m.in.Collect(ch)
	m.out.Collect(ch)
}

// observe counts one request on c (resolving its series on first use).
func (m *requestMetrics) observe(c *opCells, dialect, op string, status int, in, out int64, seconds float64) {
	c.once.Do(func() {
		c.dur = m.duration.WithLabelValues(dialect, op)
		c.in = m.in.WithLabelValues(dialect, op)
		c.out = m.out.WithLabelValues(dialect, op)
	})
	k := classOf(status)
	cc := &c.class[k]
	cc.once.Do(func() { cc.c = m.requests.WithLabelValues(dialect, op, classNames[k]) })
	cc.c.Inc()
	c.dur.Observe(seconds)
	if in > 0 {
		c.in.Add(float64(in))
	}
	if out > 0 {
		c.out.Add(float64(out))
	}
}

// ObserveS3 counts one S3 request (s3api.RequestObserver).
func (m *Metrics) ObserveS3(s s3api.Served) {
	op := s.Op
	if op < 0 || int(op) >= s3api.NumOps {
		op = 0 // OpUnknown
	}
	m.req.observe(&m.req.s3[op], dialectS3, op.String(), s.Status, s.BytesIn, s.BytesOut, s.Duration.Seconds())
	m.history.add(s.Start.Add(s.Duration), s.Status, s.BytesIn, s.BytesOut)
}

// ObserveRequest counts one management request (reqlog.Observer).
func (m *Metrics) ObserveRequest(s reqlog.Summary) {
	dialect, op := s.Dialect, adminOp(s)
	m.req.mu.Lock()
	ops, ok := m.req.admin[dialect]
	if !ok {
		if len(m.req.admin) >= maxDialects {
			dialect = otherLabel
			ops = m.req.admin[dialect]
		}
		if ops == nil {
			ops = map[string]*opCells{}
			m.req.admin[dialect] = ops
		}
	}
	c, ok := ops[op]
	if !ok {
		if len(ops) >= maxOpsPerDialect {
			op = otherLabel
			c = ops[op]
		}
		if c == nil {
			c = &opCells{}
			ops[op] = c
		}
	}
	m.req.mu.Unlock()
	m.req.observe(c, dialect, op, s.Status, s.BytesIn, s.BytesOut, s.Duration.Seconds())
	m.history.add(s.Start.Add(s.Duration), s.Status, s.BytesIn, s.BytesOut)
}

// adminOp is the operation label of a management request: the dialect's
// route name when it routed the request; for the listener's own endpoints
// a fixed name; otherwise "other" (a 404, a request refused before
// routing), never the raw path.
func adminOp(s reqlog.Summary) string {
	if s.Operation != "" {
		return s.Operation
	}
	switch s.Dialect {
	case "health":
		switch s.Path {
		case "/health/live":
			return "live"
		case "/health/ready":
			return "ready"
		}
	case "coffer": // /api/coffer/<api>/...: the API's name
		rest := strings.TrimPrefix(strings.ToLower(s.Path), "/api/coffer/")
		if name, _, _ := strings.Cut(rest, "/"); name != "" && len(name) <= 32 {
			return name
		}
	}
	return otherLabel
}
