package core

import (
	"context"
	"sync"

	"coffer/internal/errs"
)

// CheckEndpoint decides whether node may serve S3 requests for a bucket of
// a tenant (vaults.CheckEndpoint): yes when the bucket is not a vault with
// endpoints, or when node is one of its active endpoints; otherwise an
// AccessDenied *errs.Error names the nodes that serve the vault.
func (s *Service) CheckEndpoint(ctx context.Context, tenant, bucket, node string) error {
	return s.vaults.CheckEndpoint(ctx, tenant, bucket, node)
}

// EndpointAuthorizer is an Authorizer for the S3 adapter of one node: it
// asks the core's Authorize first and then, for requests that name a
// bucket, CheckEndpoint. Endpoint answers are cached per bucket until the
// next bucket or vault change (bucketGen), so the check costs nothing on
// the hot path.
type EndpointAuthorizer struct {
	s    *Service
	node string

	mu    sync.Mutex
	cache map[bucketRef]endpointEntry
}

type endpointEntry struct {
	gen uint64
	err error
}

// EndpointAuthorizer returns the Authorizer to hand to the S3 adapter of
// node (the node's registered name; "" checks nothing).
func (s *Service) EndpointAuthorizer(node string) *EndpointAuthorizer {
	return &EndpointAuthorizer{s: s, node: node, cache: map[bucketRef]endpointEntry{}}
}

// Authorize implements Authorizer.
func (a *EndpointAuthorizer) Authorize(ctx context.Context, r Request) error {
	if err := a.s.Authorize(ctx, r); err != nil {
		return err
	}
	if a.node == "" || r.Bucket == "" {
		return nil
	}
	return a.check(ctx, r.Principal.Tenant, r.Bucket)
}

func (a *EndpointAuthorizer) check(ctx context.Context, tenant, bucket string) error {
	gen := a.s.bucketGen.Load()
	ref := bucketRef{tenant, bucket}
	a.mu.Lock()
	e, ok := a.cache[ref]
	a.mu.Unlock()
	if ok && e.gen == gen {
		return e.err
	}
	err := a.s.CheckEndpoint(ctx, tenant, bucket, a.node)
	if err != nil && errs.KindOf(err) != errs.AccessDenied {
		return err // storage trouble: do not cache
	}
	a.mu.Lock()
	if len(a.cache) > 100_000 {
		clear(a.cache)
	}
	a.cache[ref] = endpointEntry{gen: gen, err: err}
	a.mu.Unlock()
	return err
}

var _ Authorizer = (*EndpointAuthorizer)(nil)
