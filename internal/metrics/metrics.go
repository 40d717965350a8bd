// Package metrics exposes Coffer's Prometheus metrics at /metrics on the
// management listener, and a small per-minute request history as JSON at
// /api/coffer/stats for the console's dashboard.
//
// Everything is registered on the Metrics value's own prometheus.Registry:
// no package-level state, no default registry, so two servers in one
// process (tests) never share a series.
//
// Three kinds of metrics, each with bounded labels (docs/operations.md,
// "Metrics", lists every name):
//
//   - request metrics, counted on each request's path: the S3 handler
//     calls ObserveS3 (s3api.RequestObserver) and the management
//     listener's request log calls ObserveRequest (reqlog.Observer). The S3
//     series are one table indexed by operation and status class, each cell
//     resolved once, so an S3 request costs a few atomic adds and no
//     allocation. Management operations are the dialect's route names
//     (ONTAP "GET svms", Commvault "POST login"), capped per dialect;
//   - storage metrics read on a scrape from the counters the storage
//     packages keep (blob.Store.Stats, pebble.Store.Stats,
//     objects usage and garbage, the core's caches, jobs and nodes);
//   - Go runtime and process metrics (client_golang's collectors).
//
// Access: see Auth. Without a token or Public, /metrics asks for the
// cluster administrator's HTTP Basic credentials, as the ONTAP API does.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"coffer/internal/blob"
	"coffer/internal/core"
	"coffer/internal/kv/pebble"
	"coffer/internal/objects"
	"coffer/internal/reqlog"
)

// Core is what the collector reads from the core (core.Service).
type Core interface {
	CredentialCacheStats() (hits, misses uint64)
	ListJobs(ctx context.Context, f core.JobFilter) ([]core.Job, error)
	ListNodes(ctx context.Context) ([]core.Node, error)
	ListTenants(ctx context.Context) ([]core.Tenant, error)
}

// Objects is what the collector reads from the object layer.
type Objects interface {
	UsageByTenant(ctx context.Context) ([]objects.TenantUsage, error)
	GarbageBacklog(ctx context.Context, limit int) (int, error)
	GarbageRemoved() uint64
	GarbagePasses() uint64
}

// KVStats is the embedded store's statistics source (*pebble.Store).
type KVStats interface{ Stats() pebble.Stats }

// BlobStats is the blob store's statistics source (*blob.Store).
type BlobStats interface{ Stats() blob.Stats }

// Options configures Metrics. Every source is optional: a nil one's
// metrics are not exported.
type Options struct {
	Core    Core
	Objects Objects
	KV      KVStats
	Blobs   BlobStats
	// DiskSpace measures the data directory's file system (total and free
	// bytes) for /api/coffer/stats's capacity; nil leaves it out.
	DiskSpace func() (total, free int64, err error)
	// Collectors are registered too (kv/kvmetrics's Store).
	Collectors []prometheus.Collector
	// Auth decides who may read /metrics and /api/coffer/stats.
	Auth Auth
	// MaxTenants bounds the tenant label of the usage gauges: the
	// MaxTenants tenants with the most bytes get their own series, the
	// rest are summed under tenant="(other)". Default 50.
	MaxTenants int
	// MaxNodes bounds the node label of the heartbeat gauges (the most
	// recently seen first). Default 64.
	MaxNodes int
	// Version is reported by coffer_build_info.
	Version string
	// Logger receives collection errors. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock of heartbeat ages and the per-minute history.
	// Default time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultMaxTenants = 50
	DefaultMaxNodes   = 64
	// GarbageBacklogLimit caps the count of the garbage backlog gauge (a
	// scrape must not walk an unbounded key range).
	GarbageBacklogLimit = 1_000_000
)

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var problems []error
	if o.MaxTenants < 0 {
		problems = append(problems, fmt.Errorf("metrics: MaxTenants %d is negative", o.MaxTenants))
	}
	if o.MaxNodes < 0 {
		problems = append(problems, fmt.Errorf("metrics: MaxNodes %d is negative", o.MaxNodes))
	}
	if err := o.Auth.Validate(); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// Metrics owns a registry and the request metrics.
type Metrics struct {
	opts    Options
	reg     *prometheus.Registry
	req     *requestMetrics
	history *history
}

// New builds the registry: runtime and process collectors, the request
// metrics and the storage collector over opts' sources.
func New(opts Options) (*Metrics, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxTenants == 0 {
		opts.MaxTenants = DefaultMaxTenants
	}
	if opts.MaxNodes == 0 {
		opts.MaxNodes = DefaultMaxNodes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Metrics{opts: opts, reg: prometheus.NewRegistry(), history: newHistory()}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "coffer_build_info",
		Help: "Always 1; the version label is the running software version.", ConstLabels: prometheus.Labels{"version": opts.Version}})
	build.Set(1)
	var err error
	if m.req, err = newRequestMetrics(); err != nil {
		return nil, err
	}
	for _, c := range append([]prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.req, newStorageCollector(&m.opts),
	}, opts.Collectors...) {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return m, nil
}

// Registerer is where other components (kv/kvmetrics) register their
// metrics.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Gatherer reads the registry (tests).
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves /metrics in the Prometheus text (or negotiated) format,
// after Auth; at most two scrapes run at once.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slogPrinter{m.opts.Logger},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := reqlog.From(r.Context())
		rec.SetOperation("scrape")
		if !m.opts.Auth.check(w, r, rec) {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// slogPrinter is promhttp's error log on slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.l.Warn("metrics: "+fmt.Sprint(v...), "component", "metrics")
}
