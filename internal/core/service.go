package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/errs"
	"coffer/internal/jobs"
	"coffer/internal/kv"
	"coffer/internal/lease"
	"coffer/internal/loginguard"
	"coffer/internal/nodes"
	"coffer/internal/objects"
	"coffer/internal/vaults"
)

// Options configures the core.
type Options struct {
	// KV holds every core record. Required.
	KV kv.Store
	// Objects is the object layer; buckets are created, changed and deleted
	// through it. Required.
	Objects *objects.Service
	// Logger receives background errors. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// ClusterName names the cluster and its admin tenant at the first start
	// (later starts keep the stored name). Default "coffer".
	ClusterName string
	// Version is the software version GET /api/cluster reports. Default "dev".
	Version string
	// PasswordIterations is the PBKDF2-SHA256 iteration count for new
	// management passwords. Default 600,000 (OWASP 2023); tests lower it.
	PasswordIterations int
	// AdminCacheTTL is how long a successful VerifyAdmin is remembered (as
	// a keyed hash of the password, in memory only). Default 60 s; any
	// password change forgets it at once.
	AdminCacheTTL time.Duration
	// MaxKeysPerUser is the number of access keys one user may hold (ONTAP
	// key_id 1..2). Default 2.
	MaxKeysPerUser int
	// MinBucketSize and MaxBucketSize bound a bucket's size (its hard quota)
	// when one is given. Defaults 199,229,440 bytes (190 MiB, ONTAP's
	// minimum) and 62 PiB.
	MinBucketSize, MaxBucketSize int64
	// JobRetention is how long a finished job stays visible. Default 300 s
	// (ONTAP deletes jobs 300 s after they end).
	JobRetention time.Duration
	// JobWorkers bounds the jobs running at once. Default 4.
	JobWorkers int
	// Secrets seals S3 secret keys in the store (the KMS). Nil keeps them
	// in clear, which only tests should do; with a sealer, New seals every
	// secret still in clear (a data directory from before sealing).
	Secrets SecretSealer

	// The lockout policy of every management password check (ONTAP HTTP
	// Basic, Commvault Login; see internal/loginguard). LoginMaxFailures failures
	// of one account from one client address within LoginFailureWindow lock
	// that account from that address for LoginLockout; LoginMaxAddressFailures
	// failures from one address, over all accounts and bad tokens, within
	// the window block the address for LoginLockout. Defaults 5, 15 min,
	// 5 min and 50.
	LoginMaxFailures        int
	LoginFailureWindow      time.Duration
	LoginLockout            time.Duration
	LoginMaxAddressFailures int
	// PasswordChecks bounds the slow password hashes (PBKDF2) verified at
	// once; further attempts wait up to PasswordCheckWait, then fail
	// (ReasonLoginBusy). One client address has one check at a time; its
	// others wait behind it, not in front of other addresses'. Defaults: half the CPUs (at least 1) and 10 s.
	PasswordChecks    int
	PasswordCheckWait time.Duration

	// AuditMaxRecords and AuditRetention bound the audit log (audit.go):
	// older records are pruned as new ones arrive. Defaults 100,000 records
	// and 90 days.
	AuditMaxRecords int
	AuditRetention  time.Duration

	// Several nodes sharing KV (feed.go, leases.go): NodeName names this
	// node in leases and jobs (default: the host name); FeedPoll is how
	// often the change feed is read when no notification came (default
	// 200 ms); JobLease is the lease of a running job (default 10 s).
	NodeName string
	FeedPoll time.Duration
	JobLease time.Duration
	// JobStepDelay, tests only, makes every step of the management plane's
	// resumable jobs (mgmtjobs.go) wait this long first, so that a test can
	// kill a node in the middle of one (cmd/coffer:
	// COFFER_TEST_JOB_STEP_SECONDS). Default 0.
	JobStepDelay time.Duration
	// OrphanGrace is the least age of a blob or temp file the periodic
	// orphan sweep may remove (longer than any request; default 1 h), and
	// OrphanSweepEvery how often one node runs it (default 1 h; negative:
	// never, for tests).
	OrphanGrace      time.Duration
	OrphanSweepEvery time.Duration
	// Day is the length of one lifecycle day (lifecycle.go). Default 24 h;
	// tests shorten it (cmd/coffer: COFFER_TEST_DAY_SECONDS).
	Day time.Duration
	// LifecycleInterval is how often a lifecycle pass starts. Default 1 h;
	// negative: never on its own (StartLifecycle still runs one).
	LifecycleInterval time.Duration
	// LifecycleBatch is the number of versions or uploads a lifecycle batch
	// handles. Default 1000.
	LifecycleBatch int
}

// Defaults of Options.
const (
	DefaultClusterName        = "coffer"
	DefaultPasswordIterations = 600_000
	DefaultMaxKeysPerUser     = 2
	DefaultMinBucketSize      = 199_229_440
	DefaultMaxBucketSize      = 62 << 50
	// DefaultBucketSize is the size a management dialect gives a bucket
	// created without one (ONTAP's 800 GB-style default, in GiB).
	DefaultBucketSize   = 800 << 30
	DefaultJobRetention = 300 * time.Second

	DefaultLoginMaxFailures        = 5
	DefaultLoginFailureWindow      = 15 * time.Minute
	DefaultLoginLockout            = 5 * time.Minute
	DefaultLoginMaxAddressFailures = 50
	DefaultPasswordCheckWait       = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClusterName == "" {
		o.ClusterName = DefaultClusterName
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.PasswordIterations == 0 {
		o.PasswordIterations = DefaultPasswordIterations
	}
	if o.AdminCacheTTL == 0 {
		o.AdminCacheTTL = 60 * time.Second
	}
	if o.MaxKeysPerUser == 0 {
		o.MaxKeysPerUser = DefaultMaxKeysPerUser
	}
	if o.MinBucketSize == 0 {
		o.MinBucketSize = DefaultMinBucketSize
	}
	if o.MaxBucketSize == 0 {
		o.MaxBucketSize = DefaultMaxBucketSize
	}
	if o.JobRetention == 0 {
		o.JobRetention = DefaultJobRetention
	}
	if o.JobWorkers == 0 {
		o.JobWorkers = 4
	}
	if o.LoginMaxFailures == 0 {
		o.LoginMaxFailures = DefaultLoginMaxFailures
	}
	if o.LoginFailureWindow == 0 {
		o.LoginFailureWindow = DefaultLoginFailureWindow
	}
	if o.LoginLockout == 0 {
		o.LoginLockout = DefaultLoginLockout
	}
	if o.LoginMaxAddressFailures == 0 {
		o.LoginMaxAddressFailures = DefaultLoginMaxAddressFailures
	}
	if o.PasswordChecks == 0 {
		o.PasswordChecks = max(1, runtime.NumCPU()/2)
	}
	if o.PasswordCheckWait == 0 {
		o.PasswordCheckWait = DefaultPasswordCheckWait
	}
	if o.AuditMaxRecords == 0 {
		o.AuditMaxRecords = DefaultAuditMaxRecords
	}
	if o.AuditRetention == 0 {
		o.AuditRetention = DefaultAuditRetention
	}
	o.multiNodeDefaults()
	if o.Day == 0 {
		o.Day = 24 * time.Hour
	}
	if o.LifecycleInterval == 0 {
		o.LifecycleInterval = DefaultLifecycleInterval
	}
	if o.LifecycleBatch == 0 {
		o.LifecycleBatch = DefaultLifecycleBatch
	}
	return o
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var problems []error
	if o.KV == nil {
		problems = append(problems, errors.New("core: Options.KV is required"))
	}
	if o.Objects == nil {
		problems = append(problems, errors.New("core: Options.Objects is required"))
	}
	if err := validateTenantName(o.ClusterName); o.ClusterName != "" && err != nil {
		problems = append(problems, fmt.Errorf("core: Options.ClusterName %q: %s", o.ClusterName, errs.Message(err)))
	}
	if o.PasswordIterations < 0 {
		problems = append(problems, errors.New("core: Options.PasswordIterations must not be negative"))
	}
	if o.MaxKeysPerUser < 0 {
		problems = append(problems, errors.New("core: Options.MaxKeysPerUser must not be negative"))
	}
	if o.MinBucketSize < 0 || o.MaxBucketSize < 0 || o.MaxBucketSize != 0 && o.MinBucketSize > o.MaxBucketSize {
		problems = append(problems, errors.New("core: Options.MinBucketSize/MaxBucketSize must satisfy 0 <= min <= max"))
	}
	if o.LoginMaxFailures < 0 || o.LoginFailureWindow < 0 || o.LoginLockout < 0 || o.LoginMaxAddressFailures < 0 ||
		o.PasswordChecks < 0 || o.PasswordCheckWait < 0 || o.AuditMaxRecords < 0 || o.AuditRetention < 0 {
		problems = append(problems, errors.New("core: the Login*, PasswordCheck* and Audit* options must not be negative"))
	}
	if o.Day < 0 || o.LifecycleBatch < 0 {
		problems = append(problems, errors.New("core: Options.Day and LifecycleBatch must not be negative"))
	}
	if o.JobRetention < 0 || o.JobWorkers < 0 || o.AdminCacheTTL < 0 {
		problems = append(problems, errors.New("core: Options.JobRetention, JobWorkers and AdminCacheTTL must not be negative"))
	}
	return errors.Join(problems...)
}

// Service is the core. It is safe for concurrent use.
type Service struct {
	opts Options
	kv   kv.Store
	obj  *objects.Service
	log  *slog.Logger
	now  func() time.Time

	cluster clusterRecord // fixed after New

	// identGen and bucketGen version the caches (see the package doc).
	identGen  atomic.Uint64
	bucketGen atomic.Uint64

	credMu sync.RWMutex
	creds  map[string]credEntry
	// credHits and credMisses count Credential's cache lookups (metrics).
	credHits, credMisses atomic.Uint64

	authzMu sync.Mutex
	authz   map[string]*tenantAuthz     // by tenant uuid
	bpols   map[bucketRef]*bucketAccess // bucket policies, ACLs, ownership, public access blocks
	// bnames caches BucketTenants at bnamesGen (a bucketGen).
	bnames    map[string][]string
	bnamesGen uint64

	adminMu    sync.Mutex
	adminCache map[string]adminEntry
	adminKey   []byte // per-process HMAC key for adminCache
	adminGen   uint64 // bumped by every account change (under adminMu)
	// adminRemote counts account changes the change feed reported (feed.go).
	adminRemote atomic.Uint64

	jobs   *jobs.Runner
	feed   *follower
	bg     *background
	node   nodeIdentity    // this process in leases (leases.go)
	leases *lease.Manager  // the kv leases that divide work between nodes
	nodes  *nodes.Registry // the nodes sharing the store
	vaults *vaults.Service // plans, vault records, the vault plane's jobs, data aging
	// lifecycleBusy is set while this process runs (or starts) a lifecycle
	// pass: the lease is reentrant for its holder, this is not.
	lifecycleBusy atomic.Bool

	guard  *loginguard.Guard
	checks *loginguard.Gate // bounds the slow password hashes
	hashes atomic.Int64     // slow hashes computed (tests count them)
}

// New opens the core: it creates the cluster record and the admin tenant
// at the first start, fails the jobs a previous process left unfinished,
// and starts the job runner. Call Bootstrap next to create the default
// tenant, and Close when done.
func New(opts Options) (*Service, error) {
	o := opts.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.KV = ChangeFeed(o.KV)
	s := &Service{opts: o, kv: o.KV, obj: o.Objects, log: o.Logger, now: o.Now,
		creds: map[string]credEntry{}, authz: map[string]*tenantAuthz{}, bpols: map[bucketRef]*bucketAccess{},
		adminCache: map[string]adminEntry{}, adminKey: randomBytes(32),
		checks: loginguard.NewGate(o.PasswordChecks, o.PasswordCheckWait)}
	guard, err := loginguard.New(loginguard.Options{
		Policy: loginguard.Policy{MaxFailures: o.LoginMaxFailures, FailureWindow: o.LoginFailureWindow,
			Lockout: o.LoginLockout, MaxAddressFailures: o.LoginMaxAddressFailures},
		Store: s.kv, Prefix: 'o', Log: s.log,
		// Other nodes drop the pair locks they hold once an account's
		// counts were deleted (a password reset unlocks it).
		OnForget: func(tx kv.Txn) { markChange(tx, changeAdmin) }})
	if err != nil {
		return nil, err
	}
	s.guard = guard
	ctx := context.Background()
	if err := s.initCluster(ctx); err != nil {
		return nil, err
	}
	if n, err := s.sealStoredSecrets(ctx); err != nil {
		return nil, fmt.Errorf("core: seal stored secrets: %w", err)
	} else if n > 0 {
		s.log.Info("sealed S3 secret keys stored in clear", "keys", n)
	}
	if err := s.obj.IndexBuckets(ctx); err != nil {
		return nil, fmt.Errorf("core: index buckets: %w", err)
	}
	s.node = newNodeIdentity(o.NodeName)
	runner, err := s.newJobs()
	if err != nil {
		return nil, err
	}
	s.jobs = runner
	leases, err := s.newLeases()
	if err != nil {
		return nil, err
	}
	s.leases = leases
	if s.nodes, err = s.newNodes(); err != nil {
		return nil, err
	}
	if s.vaults, err = s.newVaults(); err != nil {
		return nil, err
	}
	s.RegisterJobKind(vaults.JobKindDataAging, s.vaults.RunDataAging)
	s.registerManagementJobs()
	if err := s.jobs.Recover(ctx); err != nil {
		return nil, fmt.Errorf("core: recover jobs: %w", err)
	}
	if err := s.startFeed(ctx); err != nil {
		return nil, fmt.Errorf("core: read the change feed: %w", err)
	}
	s.jobs.Start()
	s.startBackground()
	s.startLifecycleLoop()
	return s, nil
}

// Close stops the job runner: running jobs are cancelled and end in failure
// (ReasonJobInterrupted). It does not close KV or Objects.
func (s *Service) Close() error {
	if s.jobs != nil {
		s.jobs.Stop()
	}
	s.stopBackground()
	if s.feed != nil {
		s.feed.close()
	}
	return nil
}

// changed bumps the generations after a committed change.
func (s *Service) identChanged()  { s.identGen.Add(1) }
func (s *Service) bucketChanged() { s.bucketGen.Add(1) }

// --- kv helpers --------------------------------------------------------------

func key(ns byte, parts ...string) []byte {
	b := []byte{ns}
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func key32(ns byte, n int32) []byte { return binary.BigEndian.AppendUint32([]byte{ns}, uint32(n)) }
func key64(ns byte, n int64) []byte { return binary.BigEndian.AppendUint64([]byte{ns}, uint64(n)) }

// scan calls fn with every record under prefix, in key order.
func scan(tx kv.Reader, prefix []byte, fn func(k, v []byte) error) error {
	it := tx.NewIterator(prefix, kv.PrefixEnd(prefix))
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Err()
}

// nextID draws the next int id of an entity type.
func nextID(tx kv.Txn, counter string) (int64, error) {
	k := key('i', counter)
	var n uint64
	v, err := tx.Get(k)
	switch {
	case err == nil && len(v) == 8:
		n = binary.BigEndian.Uint64(v)
	case err == nil || errors.Is(err, kv.ErrNotFound):
	default:
		return 0, err
	}
	n++
	return int64(n), tx.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

func nextID32(tx kv.Txn, counter string) (int32, error) {
	n, err := nextID(tx, counter)
	if err != nil {
		return 0, err
	}
	if n > 1<<31-1 {
		return 0, errs.New(errs.Internal, "the %s id counter is exhausted", counter)
	}
	return int32(n), nil
}

// internal turns storage failures into errs values; rule errors pass.
func internal(err error, what string) error { return errs.FromStorage(err, what, kv.ErrConflict) }

func (s *Service) view(ctx context.Context, what string, fn func(tx kv.Reader) error) error {
	return internal(s.kv.View(ctx, fn), what)
}

func (s *Service) update(ctx context.Context, what string, fn func(tx kv.Txn) error) error {
	return internal(s.kv.Update(ctx, fn), what)
}

// viewGet is view for a read that returns one value.
func viewGet[T any](s *Service, ctx context.Context, what string, fn func(tx kv.Reader) (T, error)) (T, error) {
	var v T
	err := s.view(ctx, what, func(tx kv.Reader) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}
