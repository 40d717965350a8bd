// Package server wires Coffer together: storage, the object layer, identity,
// the S3 listener and the admin listener, with graceful shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"coffer/internal/blob"
	"coffer/internal/commvault"
	"coffer/internal/console"
	"coffer/internal/core"
	"coffer/internal/kms"
	"coffer/internal/kmsapi"
	"coffer/internal/kv/kvmetrics"
	"coffer/internal/kv/pebble"
	"coffer/internal/md5x"
	"coffer/internal/metrics"
	"coffer/internal/objects"
	"coffer/internal/ontap"
	"coffer/internal/reqlog"
	"coffer/internal/s3api"
)

// Options configures a Coffer server. cmd/coffer fills it from flags and
// environment variables; every field has a default.
type Options struct {
	// DataDir holds the metadata (meta/, with the embedded store) and object
	// data (data/). Default ./coffer-data. With PostgreSQL metadata several
	// nodes may share it (see metadata.go).
	DataDir string
	// Metadata names the metadata store: empty for the embedded Pebble store
	// in DataDir/meta, or a postgres:// URL (COFFER_METADATA).
	Metadata string
	// S3Addr is the S3 listener's address. Default 127.0.0.1:9000.
	S3Addr string
	// AdminAddr is the management listener's address. Default 127.0.0.1:9001.
	AdminAddr string
	// TLSCert and TLSKey, when both set, serve HTTPS on both listeners.
	// Without them the S3 listener serves plain HTTP and the management
	// listener HTTPS with a self-signed certificate generated at the first
	// start and kept in DataDir/tls (see tls.go).
	TLSCert, TLSKey string
	// AdminInsecureHTTP serves plain HTTP on the management listener
	// instead of the self-signed certificate (ignored with TLSCert).
	AdminInsecureHTTP bool
	// Domain enables virtual-hosted-style requests (bucket.Domain).
	Domain string
	// Region is the region S3 reports and expects in signatures. Default us-east-1.
	Region string
	// RootAccessKey and RootSecretKey are the default tenant's root keys;
	// empty means generate them on a fresh data directory.
	RootAccessKey, RootSecretKey string
	// DefaultTenant names the tenant created on a fresh data directory. Default "default".
	DefaultTenant string
	// ClusterName names the cluster (and its admin tenant) on a fresh data
	// directory. Default "coffer".
	ClusterName string
	// AdminUser and AdminPassword are the cluster administrator of the
	// management plane. AdminUser defaults to "admin"; an empty password
	// generates one on a fresh data directory (printed once to Out); a
	// given password is set on the account at every start.
	AdminUser, AdminPassword string
	// KMSMasterKeyFile is the file holding the KMS master key (32 bytes as
	// hex or base64). Default <DataDir>/master.key; created with a new key
	// on a fresh data directory. Exclusive with KMSMasterKey.
	KMSMasterKeyFile string
	// KMSMasterKey is the KMS master key itself in the same text form
	// (COFFER_KMS_MASTER_KEY), for deployments that inject secrets through
	// the environment.
	KMSMasterKey string
	// Version is the software version the management plane reports.
	Version string
	// InlineMax is the largest object stored inside its metadata record. Default 64 KiB.
	InlineMax int64
	// SSECAllowHTTP accepts SSE-C customer keys over plain HTTP (refused by
	// default, as AWS does).
	SSECAllowHTTP bool
	// MemoryBudget is the memory the process should stay under, in bytes
	// (memory.go shares it out). Default 128 MiB; at least 48 MiB.
	MemoryBudget int64
	// ShutdownTimeout bounds the graceful drain. Default 30 s.
	ShutdownTimeout time.Duration

	// Connection limits, on both listeners unless named otherwise. A zero
	// value takes the default; see docs/configuration.md.

	// ReadHeaderTimeout bounds reading a request's header block. Default 30 s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long. Default 120 s.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps a request's header block; larger answers 431.
	// Default 64 KiB (AWS allows 8 KiB of PUT headers); at least 4 KiB.
	MaxHeaderBytes int
	// BodyTimeout and MinBodyRate are the S3 listener's minimum body rate
	// (s3api.Options): a body that sends no byte for BodyTimeout, or less
	// than MinBodyRate bytes a second over that window, fails with
	// RequestTimeout. Defaults 30 s and 128 B/s; a negative MinBodyRate
	// only requires progress.
	BodyTimeout time.Duration
	MinBodyRate int64
	// AdminReadTimeout and AdminWriteTimeout bound a whole management
	// request (its JSON body) and its response. Defaults 60 s and 120 s
	// (the profiler's 30-s CPU profile fits).
	AdminReadTimeout, AdminWriteTimeout time.Duration
	// The lockout policy of management logins (core.Options, where the
	// defaults are documented): failures per account and client address,
	// their window, the lock's duration, failures per address over all
	// accounts. Zero takes the core's default.
	LoginMaxFailures, LoginMaxAddressFailures int
	LoginFailureWindow, LoginLockout          time.Duration
	// Pprof serves Go's profiler under /debug/pprof/ on the admin listener.
	Pprof bool
	// MetricsToken, when set, is the bearer token that reads /metrics and
	// /api/coffer/stats (at least 16 characters); MetricsPublic serves them
	// without credentials. With neither, they take the cluster
	// administrator's HTTP Basic credentials (internal/metrics, Auth).
	MetricsToken  string
	MetricsPublic bool
	// NodeName is this node's name as a Commvault client. Default: the host name.
	NodeName string
	// AccessLogFlush is how often S3 server access logs are delivered to
	// their target buckets. Default 60 s (tests: COFFER_TEST_LOG_FLUSH_SECONDS).
	AccessLogFlush time.Duration
	// Day is the length of one plan-retention day. Default 24 h (tests:
	// COFFER_TEST_DAY_SECONDS).
	Day time.Duration
	// LifecycleInterval is how often a lifecycle pass starts. Default 1 h
	// (tests: COFFER_LIFECYCLE_INTERVAL).
	LifecycleInterval time.Duration
	// JobStepDelay, tests only, slows the management plane's resumable
	// jobs (core.Options.JobStepDelay; COFFER_TEST_JOB_STEP_SECONDS).
	JobStepDelay time.Duration
	// Logger is the structured log. Default: JSON to stderr at info level.
	Logger *slog.Logger
	// Out receives the one-time banner with generated root keys. Default os.Stdout.
	Out io.Writer
}

func (o Options) withDefaults() Options {
	if o.DataDir == "" {
		o.DataDir = "./coffer-data"
	}
	if o.S3Addr == "" {
		o.S3Addr = "127.0.0.1:9000"
	}
	if o.AdminAddr == "" {
		o.AdminAddr = "127.0.0.1:9001"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.DefaultTenant == "" {
		o.DefaultTenant = "default"
	}
	if o.ClusterName == "" {
		o.ClusterName = core.DefaultClusterName
	}
	if o.AdminUser == "" {
		o.AdminUser = core.DefaultAdminName
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.ReadHeaderTimeout == 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.BodyTimeout == 0 {
		o.BodyTimeout = s3api.DefaultBodyTimeout
	}
	if o.MinBodyRate == 0 {
		o.MinBodyRate = s3api.DefaultMinBodyRate
	}
	if o.AdminReadTimeout == 0 {
		o.AdminReadTimeout = DefaultAdminReadTimeout
	}
	if o.AdminWriteTimeout == 0 {
		o.AdminWriteTimeout = DefaultAdminWriteTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	return o
}

// Defaults of the connection limits (Options).
const (
	DefaultReadHeaderTimeout = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultAdminReadTimeout  = 60 * time.Second
	DefaultAdminWriteTimeout = 120 * time.Second
)

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var problems []error
	if _, _, err := ParseMetadata(o.Metadata); err != nil {
		problems = append(problems, err)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		problems = append(problems, errors.New("--tls-cert and --tls-key must be given together"))
	}
	if (o.RootAccessKey == "") != (o.RootSecretKey == "") {
		problems = append(problems, errors.New("COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY must be set together"))
	}
	if o.RootAccessKey != "" && (len(o.RootAccessKey) < 3 || len(o.RootAccessKey) > 128) {
		problems = append(problems, errors.New("COFFER_ROOT_ACCESS_KEY must be 3 to 128 characters"))
	}
	if o.RootSecretKey != "" && (len(o.RootSecretKey) < 8 || len(o.RootSecretKey) > 128) {
		problems = append(problems, errors.New("COFFER_ROOT_SECRET_KEY must be 8 to 128 characters"))
	}
	for name, addr := range map[string]string{"--s3-addr": o.S3Addr, "--admin-addr": o.AdminAddr} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			problems = append(problems, fmt.Errorf("%s %q: %w", name, addr, err))
		}
	}
	if o.AdminPassword != "" && len(o.AdminPassword) < core.MinPasswordLength {
		problems = append(problems, fmt.Errorf("COFFER_ADMIN_PASSWORD must be at least %d characters", core.MinPasswordLength))
	}
	if o.DefaultTenant != "" && o.DefaultTenant == o.ClusterName {
		problems = append(problems, errors.New("the default tenant cannot be named after the cluster (that name is the admin tenant's)"))
	}
	if o.KMSMasterKey != "" && o.KMSMasterKeyFile != "" {
		problems = append(problems, errors.New("--kms-master-key-file and COFFER_KMS_MASTER_KEY cannot be given together"))
	} else if o.KMSMasterKey != "" {
		if _, err := kms.ParseMasterKey(o.KMSMasterKey); err != nil {
			problems = append(problems, fmt.Errorf("COFFER_KMS_MASTER_KEY: %w", err))
		}
	}
	if err := (metrics.Auth{Token: o.MetricsToken, Public: o.MetricsPublic}).Validate(); err != nil {
		problems = append(problems, fmt.Errorf("--metrics-token / --metrics-public: %w", err))
	}
	if o.InlineMax < -1 || o.InlineMax > 1<<20 {
		problems = append(problems, errors.New("inline max must be within -1..1 MiB"))
	}
	for name, d := range map[string]time.Duration{"--read-header-timeout": o.ReadHeaderTimeout, "--idle-timeout": o.IdleTimeout,
		"--body-timeout": o.BodyTimeout, "--admin-read-timeout": o.AdminReadTimeout, "--admin-write-timeout": o.AdminWriteTimeout,
		"--lifecycle-interval": o.LifecycleInterval} {
		if d < 0 {
			problems = append(problems, fmt.Errorf("%s %v must not be negative", name, d))
		}
	}
	if _, err := PlanMemory(o.MemoryBudget); err != nil {
		problems = append(problems, err)
	}
	if o.MaxHeaderBytes != 0 && (o.MaxHeaderBytes < 4<<10 || o.MaxHeaderBytes > 16<<20) {
		problems = append(problems, fmt.Errorf("--max-header-bytes %d must be within 4 KiB..16 MiB", o.MaxHeaderBytes))
	}
	return errors.Join(problems...)
}

// Server is a running Coffer node.
type Server struct {
	s3Handler io.Closer // the S3 handler, closed after the listeners drain
	opts      Options
	log       *slog.Logger
	kv        *Metadata
	kms       *kms.Local
	objects   *objects.Service
	md5       *md5x.Server // the ETag MD5 of large bodies, shared by S3 and objects
	core      *core.Service
	metrics   *metrics.Metrics
	s3        *http.Server
	admin     *http.Server
	cv        *commvault.Handler
	s3ln      net.Listener
	adminln   net.Listener
	// adminTLS is the management listener's certificate; nil when it
	// serves plain HTTP.
	adminTLS *adminCert
	ready    atomic.Bool
}

// Start opens storage, sweeps what a crash left, bootstraps the default
// tenant and starts both listeners. Stop it with Shutdown.
func Start(ctx context.Context, opts Options) (*Server, error) {
	o := opts.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: o.Logger}
	ok := false
	defer func() {
		if !ok {
			s.closeStorage()
		}
	}()
	if err := s.prepareDataDir(); err != nil {
		return nil, err
	}
	mem, err := PlanMemory(o.MemoryBudget)
	if err != nil {
		return nil, err
	}
	s.log.Info("memory budget", "budget_mib", mem.Budget>>20, "pebble_cache_mib", mem.PebbleCache>>20,
		"pebble_memtable_mib", mem.PebbleMemTable>>20, "go_memory_limit_mib", debug.SetMemoryLimit(-1)>>20)
	s.kv, err = OpenMetadata(ctx, MetadataOptions{DataDir: o.DataDir, Metadata: o.Metadata, Logger: o.Logger,
		Pebble: PebbleMemory{CacheSize: mem.PebbleCache, MemTableSize: mem.PebbleMemTable, ConflictLogBytes: mem.PebbleConflictLog}})
	if err != nil {
		return nil, err
	}
	keyFile := o.KMSMasterKeyFile
	if keyFile == "" && o.KMSMasterKey == "" {
		keyFile = filepath.Join(o.DataDir, "master.key")
	}
	var kmsRes kms.OpenResult
	// Every layer reads and writes the metadata through the measuring
	// wrapper (coffer_kv_* metrics).
	mkv := kvmetrics.New(s.kv)
	// Everything writes through the change feed (core.ChangeFeed), so the
	// caches of other nodes sharing the store learn of every change.
	fed := core.ChangeFeed(mkv)
	s.kms, kmsRes, err = kms.Open(ctx, kms.Options{KV: fed, MasterKey: o.KMSMasterKey, MasterKeyFile: keyFile, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	if kmsRes.GeneratedKeyFile != "" {
		fmt.Fprintf(o.Out, "\nCoffer generated the KMS master key in %s.\n"+
			"It protects encrypted objects and S3 secret keys: back it up now, and keep the copy\n"+
			"apart from the data directory (see docs/kms.md). Losing it loses that data.\n\n", kmsRes.GeneratedKeyFile)
	}
	blobs, err := blob.Open(blob.Options{Dir: filepath.Join(o.DataDir, "data")})
	if err != nil {
		return nil, err
	}
	if s.md5, err = md5x.New(md5x.Options{}); err != nil {
		return nil, err
	}
	s.objects, err = objects.New(objects.Options{KV: fed, Blobs: blobs, Keys: s.kms, InlineMax: o.InlineMax, Logger: o.Logger, MD5: s.md5})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// On a directory that other nodes share (PostgreSQL metadata), spare
	// what another node may be writing right now.
	var grace time.Duration
	if s.kv.Kind == MetadataPostgres {
		grace = SharedSweepGrace
	}
	res, err := s.objects.Sweep(ctx, grace)
	if err != nil {
		return nil, fmt.Errorf("startup sweep: %w", err)
	}
	s.log.Info("startup sweep", "orphans_removed", res.Orphans, "garbage_removed", res.Garbage, "took", time.Since(start).String())

	s.core, err = core.New(core.Options{KV: fed, Objects: s.objects, Secrets: s.kms, Logger: o.Logger, NodeName: s.nodeName(),
		ClusterName: o.ClusterName, Version: o.Version,
		LoginMaxFailures: o.LoginMaxFailures, LoginMaxAddressFailures: o.LoginMaxAddressFailures,
		LoginFailureWindow: o.LoginFailureWindow, LoginLockout: o.LoginLockout,
		Day: o.Day, LifecycleInterval: o.LifecycleInterval, JobStepDelay: o.JobStepDelay})
	if err != nil {
		return nil, err
	}
	boot, err := s.core.Bootstrap(ctx, core.BootstrapInput{TenantName: o.DefaultTenant,
		AccessKey: o.RootAccessKey, SecretKey: o.RootSecretKey})
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if boot.Created {
		s.log.Info("created default tenant", "tenant", boot.Tenant.Name, "tenant_id", boot.Tenant.UUID)
	}
	if boot.Key.AccessKey != "" && o.RootAccessKey == "" {
		fmt.Fprintf(o.Out, "\nCoffer created the root user of tenant %q.\n"+
			"Root credentials (shown only this once; store them now):\n"+
			"  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n\n", boot.Tenant.Name, boot.Key.AccessKey, boot.Key.SecretKey)
	}
	admin, err := s.core.BootstrapAdmin(ctx, o.AdminUser, o.AdminPassword)
	if err != nil {
		return nil, fmt.Errorf("bootstrap admin: %w", err)
	}
	switch {
	case admin.GeneratedPassword != "":
		s.log.Info("created cluster administrator", "user", admin.Admin.Name)
		fmt.Fprintf(o.Out, "\nCoffer created the cluster administrator %q.\n"+
			"Management password (shown only this once; store it now):\n"+
			"  COFFER_ADMIN_USER=%s\n  COFFER_ADMIN_PASSWORD=%s\n\n", admin.Admin.Name, admin.Admin.Name, admin.GeneratedPassword)
	case admin.Created:
		s.log.Info("created cluster administrator", "user", admin.Admin.Name)
	case admin.PasswordReset:
		s.log.Info("reset the cluster administrator's password from the environment", "user", admin.Admin.Name)
	}

	// The embedded store's own statistics (WAL fsyncs, group commits); a
	// PostgreSQL store has none of these.
	var kvStats metrics.KVStats
	if ps, ok := s.kv.Store.(*pebble.Store); ok {
		kvStats = ps
	}
	s.metrics, err = metrics.New(metrics.Options{Core: s.core, Objects: s.objects, KV: kvStats, Blobs: blobs,
		Collectors: []prometheus.Collector{mkv}, Version: o.Version, Logger: o.Logger, DiskSpace: diskSpace(o.DataDir),
		Auth: metrics.Auth{Token: o.MetricsToken, Public: o.MetricsPublic, Admins: s.core}})
	if err != nil {
		return nil, err
	}
	backend := s.core.S3Backend()
	s3h, err := s3api.New(s3api.Options{Backend: backend, BucketPolicies: backend, Credentials: s.core,
		Authorizer: s.core.EndpointAuthorizer(s.nodeName()), Directory: s.core, Domain: o.Domain, Region: o.Region, Logger: o.Logger,
		AccessLogInterval: o.AccessLogFlush, Observer: s.metrics, Day: o.Day, DiskSpace: diskSpace(filepath.Join(o.DataDir, "data")),
		BodyTimeout: o.BodyTimeout, MinBodyRate: o.MinBodyRate,
		AllowSSECOverHTTP: o.SSECAllowHTTP, Version: o.Version, MD5: s.md5})
	if err != nil {
		return nil, err
	}
	// No whole-request read or write timeout on S3: a 5 GiB upload or
	// download may take long; the minimum body rate bounds a stalled one.
	// The S3 handler itself, not its wrappers, delivers buffered access logs
	// at shutdown.
	if c, ok := s3h.(io.Closer); ok {
		s.s3Handler = c
	}
	s.s3 = &http.Server{Handler: s3h, ReadHeaderTimeout: o.ReadHeaderTimeout, IdleTimeout: o.IdleTimeout,
		MaxHeaderBytes: o.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)}
	var s3TLS *adminCert
	switch {
	case o.TLSCert != "":
		c, err := loadCertFiles(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, err
		}
		s3TLS, s.adminTLS = &c, &c
	case !o.AdminInsecureHTTP:
		host, _, _ := net.SplitHostPort(o.AdminAddr)
		c, err := loadOrCreateSelfSigned(o.DataDir, []string{host, s.nodeName()}, time.Now())
		if err != nil {
			return nil, fmt.Errorf("management certificate: %w", err)
		}
		s.adminTLS = &c
	}
	// Listen before the Commvault node registers, so it advertises the
	// address actually bound (a port of 0 picks one).
	if s.s3ln, err = listen(o.S3Addr, s3TLS); err != nil {
		return nil, err
	}
	if s.adminln, err = listen(o.AdminAddr, s.adminTLS); err != nil {
		s.s3ln.Close()
		return nil, err
	}
	s.announceAdminTLS()
	scheme := "http"
	if o.TLSCert != "" {
		scheme = "https"
	}
	s.cv, err = commvault.New(commvault.Options{Core: s.core, Tenant: o.DefaultTenant, NodeName: s.nodeName(),
		S3Endpoint: scheme + "://" + s.s3ln.Addr().String() + "/S3", Version: o.Version, Logger: o.Logger, Day: o.Day})
	if err != nil {
		s.s3ln.Close()
		s.adminln.Close()
		return nil, err
	}
	s.admin = &http.Server{Handler: reqlog.Middleware(o.Logger, s.cv.Wrap(s.adminHandler()), s.metrics), ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout: o.AdminReadTimeout, WriteTimeout: o.AdminWriteTimeout, IdleTimeout: o.IdleTimeout,
		MaxHeaderBytes: o.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn)}
	go s.serve(s.s3, s.s3ln, "s3")
	go s.serve(s.admin, s.adminln, "admin")
	s.ready.Store(true)
	s.log.Info("coffer started", "s3", s.s3ln.Addr().String(), "admin", s.adminln.Addr().String(),
		"data_dir", o.DataDir, "metadata", s.kv.Kind, "metadata_id", s.kv.ID, "tls", o.TLSCert != "", "admin_https", s.adminTLS != nil)
	ok = true
	return s, nil
}

// prepareDataDir creates the data directory and its meta/ and data/
// owner-only (0700): it holds the metadata, object data and, by default, the master
// key. An existing one open to group or others is tightened, with a
// warning; what is already inside keeps its modes. Files created later are
// 0600 (blob, master key) or as Pebble creates them under cmd/coffer's
// umask of 077.
func (s *Server) prepareDataDir() error {
	dirs := []string{s.opts.DataDir, filepath.Join(s.opts.DataDir, "data")}
	if kind, _, _ := ParseMetadata(s.opts.Metadata); kind == MetadataPebble {
		dirs = append(dirs, filepath.Join(s.opts.DataDir, "meta"))
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(dir, 0o700); err != nil {
				return fmt.Errorf("data dir: restricting %s to its owner: %w", dir, err)
			}
			s.log.Warn("restricted a data directory to its owner (0700)", "dir", dir, "was", perm.String())
		}
	}
	return nil
}

// listen binds addr, serving TLS with cert when it is not nil.
func listen(addr string, cert *adminCert) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert.cert}, MinVersion: tls.VersionTLS12})
	}
	return ln, nil
}

// announceAdminTLS prints and logs how the management listener serves, with
// the certificate's fingerprint for clients to check or pin.
func (s *Server) announceAdminTLS() {
	addr := s.adminln.Addr().String()
	if s.adminTLS == nil {
		s.log.Warn("the management listener serves plain HTTP (--admin-insecure-http): passwords cross the network in clear", "admin", addr)
		fmt.Fprintf(s.opts.Out, "Management API: http://%s (plain HTTP, --admin-insecure-http)\n", addr)
		return
	}
	kind := "given by --tls-cert"
	if s.opts.TLSCert == "" {
		kind = "self-signed"
		if s.adminTLS.generated {
			kind = "self-signed, generated now"
		}
	}
	s.log.Info("management listener serves HTTPS", "admin", addr, "certificate", s.adminTLS.certPath,
		"certificate_kind", kind, "sha256_fingerprint", s.adminTLS.fingerprint)
	fmt.Fprintf(s.opts.Out, "Management API: https://%s (certificate %s, %s)\n  SHA-256 fingerprint: %s\n",
		addr, s.adminTLS.certPath, kind, s.adminTLS.fingerprint)
}

// AdminScheme is "https" when the management listener serves TLS, else "http".
func (s *Server) AdminScheme() string {
	if s.adminTLS == nil {
		return "http"
	}
	return "https"
}

func (s *Server) serve(h *http.Server, ln net.Listener, name string) {
	if err := h.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("listener failed", "listener", name, "err", err)
	}
}

// S3Addr and AdminAddr return the bound addresses (useful with port 0).
func (s *Server) S3Addr() string    { return s.s3ln.Addr().String() }
func (s *Server) AdminAddr() string { return s.adminln.Addr().String() }

func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	if h, err := ontap.New(ontap.Options{Core: s.core, Logger: s.log, NodeName: s.nodeName()}); err == nil {
		mux.Handle("/api/", h) // the ONTAP REST dialect
	} else {
		s.log.Error("ONTAP API not mounted", "err", err)
	}
	if h, err := kmsapi.New(kmsapi.Options{Keys: s.kms, Admins: s.core, Region: s.opts.Region, Logger: s.log}); err == nil {
		mux.Handle(kmsapi.Prefix, h) // the KMS's named keys; more specific than ONTAP's /api/
	} else {
		s.log.Error("KMS API not mounted", "err", err)
	}
	mux.Handle("GET /metrics", s.metrics.Handler())           // Prometheus (internal/metrics)
	mux.Handle("/api/coffer/stats", s.metrics.StatsHandler()) // the console's request history
	s.mountConsole(mux)
	if s.opts.Pprof {
		// Profiling is opt-in: it exposes internals and costs CPU when used.
		// The mutex and block profiles are sampled (one contention event in
		// 20, one blocking event per 100 µs blocked) so that they cost little
		// while still showing what serializes concurrent requests.
		runtime.SetMutexProfileFraction(20)
		runtime.SetBlockProfileRate(100_000)
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	}
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !s.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"not ready"}`)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.kv.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"not ready","reason":"metadata store unreachable"}`)
			return
		}
		io.WriteString(w, `{"status":"ready"}`)
	})
	return mux
}

// mountConsole mounts the web console at /console/, S3 at /S3/ (the
// console's object browser signs its requests for this origin) and the
// OpenAPI documents of the ONTAP and Commvault dialects at /docs/api.
func (s *Server) mountConsole(mux *http.ServeMux) {
	scheme := "http"
	if s.opts.TLSCert != "" {
		scheme = "https"
	}
	h, err := console.New(console.Options{Core: s.core, S3: s.s3.Handler, S3Endpoint: scheme + "://" + s.s3ln.Addr().String(),
		Region: s.opts.Region, Logger: s.log})
	if err != nil {
		s.log.Error("console not mounted", "err", err)
		return
	}
	mux.Handle(console.Prefix, h)
	mux.Handle(console.S3Prefix, h) // S3 for the console's own origin
	mux.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusFound))
	docs := console.DocsHandler([]console.APIDoc{
		{Name: "ontap.json", Title: "NetApp ONTAP S3 REST API (/api)", JSON: ontap.OpenAPI(s.opts.Version)},
		{Name: "commvault.json", Title: "Commvault S3 Vault API (/commandcenter/api, /webconsole/api)", JSON: commvault.OpenAPI(s.opts.Version)},
	})
	mux.Handle(console.DocsPrefix, docs)
	mux.Handle(console.DocsPrefix+"/", docs)
}

// Shutdown stops accepting requests, drains in-flight ones (bounded by
// ShutdownTimeout) and closes storage.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	ctx, cancel := context.WithTimeout(ctx, s.opts.ShutdownTimeout)
	defer cancel()
	err := errors.Join(s.s3.Shutdown(ctx), s.admin.Shutdown(ctx))
	if s.s3Handler != nil { // delivers buffered access logs
		err = errors.Join(err, s.s3Handler.Close())
	}
	return errors.Join(err, s.closeStorage())
}

// KMS returns the built-in key management service.
func (s *Server) KMS() *kms.Local { return s.kms }

// Core returns the domain service (for the management adapters and tests).
func (s *Server) Core() *core.Service { return s.core }

func (s *Server) nodeName() string {
	if s.opts.NodeName != "" {
		return s.opts.NodeName
	}
	h, _ := os.Hostname()
	return h
}

func (s *Server) closeStorage() error {
	var err error
	if s.cv != nil {
		err = errors.Join(err, s.cv.Close())
		s.cv = nil
	}
	if s.core != nil {
		err = errors.Join(err, s.core.Close())
		s.core = nil
	}
	if s.objects != nil {
		err = errors.Join(err, s.objects.Close())
		s.objects = nil
	}
	if s.md5 != nil { // after the S3 listener and the objects: no body hashes any more
		err = errors.Join(err, s.md5.Close())
		s.md5 = nil
	}
	if s.kv != nil {
		err = errors.Join(err, s.kv.Close())
		s.kv = nil
	}
	return err
}
