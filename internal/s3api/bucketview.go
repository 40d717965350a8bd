package s3api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"coffer/internal/core"
	"coffer/internal/cors"
	"coffer/internal/errs"
	"coffer/internal/lifecycle"
	"coffer/internal/objects"
)

// The per-request hooks (CORS headers on actual requests, server access
// logging) need a bucket's CORS and logging configurations on every request
// that names a bucket. Reading them from kv each time would cost a
// transaction per request, so they are kept here, parsed, per bucket:
//
//   - When the Backend reports a bucket generation (the core's S3Backend
//     does: it moves on every bucket creation, deletion and configuration
//     change made through the core), an entry serves while the generation
//     is the one it was read at.
//   - In any case an entry serves at most viewTTL after it was read: the
//     bound for a change made by another node (there is no change feed yet)
//     or through a backend without generations.
//
// A configuration change made through this handler also drops its bucket's
// entry at once.

// viewTTL bounds the age of a cached bucket view.
const viewTTL = 10 * time.Second

// maxViews bounds the cache; past it it is emptied (buckets that do not
// exist are cached too, so probing cannot grow it unbounded).
const maxViews = 10_000

// bucketGenerations is implemented by backends that version their bucket
// records (core.S3Backend): the value moves whenever a bucket is created or
// deleted or its configuration changes.
type bucketGenerations interface {
	BucketGeneration() uint64
}

// bucketTenants is implemented by backends that can find a bucket name
// across tenants: core.S3Backend answers from the core's BucketTenants,
// cached until the next bucket change, the same answer anonymous requests
// are authorized by (Directory.BucketTenants). The adapter keeps no copy.
type bucketTenants interface {
	BucketTenants(ctx context.Context, name string) ([]string, error)
}

// bucketSettings is implemented by backends that read a bucket without its
// usage (objects.Service.GetBucketSettings): the view needs no usage, and
// summing the usage deltas on every refresh cost ~15% of put4k's CPU.
type bucketSettings interface {
	GetBucketSettings(ctx context.Context, tenant, name string) (objects.BucketInfo, error)
}

// The backends Coffer runs with provide all three.
var (
	_ bucketGenerations = (*core.S3Backend)(nil)
	_ bucketTenants     = (*core.S3Backend)(nil)
	_ bucketSettings    = (*core.S3Backend)(nil)
)

// bucketView is what the per-request hooks know about a bucket.
type bucketView struct {
	exists  bool
	tenant  string
	name    string
	owner   string
	cors    *cors.Config   // nil: none
	logging *loggingConfig // nil: logging off
	// lifecycle is the lifecycle configuration, for x-amz-expiration (nil: none).
	lifecycle *lifecycle.Config
	// defaultRetention: new versions get an Object Lock retention without
	// asking, so a PUT must carry an integrity check (requireLockIntegrity).
	defaultRetention bool
}

type bucketRef struct{ tenant, name string }

type viewEntry struct {
	gen  uint64
	read time.Time
	view *bucketView
}

type viewCache struct {
	be   Backend
	gens bucketGenerations // nil when the backend has none
	log  *slog.Logger

	mu    sync.RWMutex
	views map[bucketRef]viewEntry
}

func newViewCache(be Backend, log *slog.Logger) *viewCache {
	c := &viewCache{be: be, log: log, views: map[bucketRef]viewEntry{}}
	c.gens, _ = be.(bucketGenerations)
	return c
}

func (c *viewCache) generation() uint64 {
	if c.gens == nil {
		return 0
	}
	return c.gens.BucketGeneration()
}

func (c *viewCache) fresh(gen uint64, read, now time.Time) bool {
	return gen == c.generation() && now.Sub(read) < viewTTL
}

// view returns the bucket's view (exists false when there is no such
// bucket).
func (c *viewCache) view(ctx context.Context, tenant, bucket string) (*bucketView, error) {
	ref := bucketRef{tenant, bucket}
	now := time.Now()
	c.mu.RLock()
	e, ok := c.views[ref]
	c.mu.RUnlock()
	if ok && c.fresh(e.gen, e.read, now) {
		return e.view, nil
	}
	gen := c.generation() // before the read: a change after it moves past gen
	var info objects.BucketInfo
	var err error
	if bs, ok := c.be.(bucketSettings); ok {
		info, err = bs.GetBucketSettings(ctx, tenant, bucket)
	} else {
		info, err = c.be.GetBucket(ctx, tenant, bucket)
	}
	v := &bucketView{tenant: tenant, name: bucket}
	switch {
	case errs.KindOf(err) == errs.NoSuchBucket:
	case err != nil:
		return nil, err
	default:
		v.exists, v.owner = true, info.Owner
		v.defaultRetention = info.ObjectLock.HasDefaultRetention()
		if data := info.Configs[objects.ConfigCORS]; data != nil {
			if v.cors, err = cors.Parse(data); err != nil {
				c.log.Warn("s3: stored CORS configuration does not parse; ignored", "bucket", bucket, "error", err)
			}
		}
		if data := info.Configs[objects.ConfigLifecycle]; data != nil {
			if v.lifecycle, err = lifecycle.Decode(data); err != nil {
				c.log.Warn("s3: stored lifecycle configuration does not decode; ignored", "bucket", bucket, "error", err)
			}
		}
		if data := info.Configs[objects.ConfigLogging]; data != nil {
			if v.logging, err = parseLoggingXML(data); err != nil {
				c.log.Warn("s3: stored logging configuration does not parse; ignored", "bucket", bucket, "error", err)
			}
		}
	}
	c.mu.Lock()
	if len(c.views) >= maxViews {
		clear(c.views)
	}
	c.views[ref] = viewEntry{gen: gen, read: now, view: v}
	c.mu.Unlock()
	return v, nil
}

// invalidate drops a bucket's entry after a change made through this
// handler.
func (c *viewCache) invalidate(tenant, bucket string) {
	c.mu.Lock()
	delete(c.views, bucketRef{tenant, bucket})
	c.mu.Unlock()
}

// tenantOf resolves a bucket name without a principal: the one tenant that
// has a bucket of that name. ok is false when none or several do (bucket
// names are unique per tenant only), or when the backend cannot say.
func (c *viewCache) tenantOf(ctx context.Context, name string) (tenant string, ok bool, err error) {
	bt, can := c.be.(bucketTenants)
	if !can || name == "" {
		return "", false, nil
	}
	tenants, err := bt.BucketTenants(ctx, name)
	if err != nil || len(tenants) != 1 {
		return "", false, err
	}
	return tenants[0], true, nil
}

// requestView is the view of the request's bucket: in the principal's
// tenant, or, for a request without one (a preflight, a request whose
// authentication failed), in the one tenant that has the name. nil when the
// request names no bucket or it cannot be resolved.
func (s *server) requestView(ctx context.Context, ri *requestInfo) *bucketView {
	b := ri.Op.Bucket
	if b == "" {
		return nil
	}
	tenant := ri.Tenant()
	if tenant == "" {
		t, ok, err := s.views.tenantOf(ctx, b)
		if err != nil || !ok {
			return nil
		}
		tenant = t
	}
	v, err := s.views.view(ctx, tenant, b)
	if err != nil || !v.exists {
		return nil
	}
	return v
}
