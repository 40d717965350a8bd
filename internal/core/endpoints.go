package core

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"coffer/internal/errs"
)

// CheckEndpoint decides whether node may serve S3 requests for a bucket of
// a tenant: yes when the bucket is not a vault with endpoints, or when node
// is one of its active endpoints. Otherwise it returns an AccessDenied
// *errs.Error whose message names the nodes that serve the vault and their
// S3 URLs, for example:
//
//	Vault "backups" is not served by this node (node-b). Use one of its S3 endpoints: node-a (http://10.0.0.1:9000/S3).
//
// node "" (a server without a node name) serves everything. A bucket that
// does not exist passes: the S3 layer answers NoSuchBucket.
func (s *Service) CheckEndpoint(ctx context.Context, tenant, bucket, node string) error {
	if node == "" || bucket == "" {
		return nil
	}
	rec, ok, err := s.vaults.Record(ctx, "check endpoint", tenant, bucket)
	if err != nil || !ok || len(rec.Endpoints) == 0 {
		return err
	}
	if live, err := s.vaults.Live(ctx, rec); err != nil || !live {
		return err // a record of a deleted bucket restricts nothing
	}
	var me int32
	var serving []string
	pending := false
	for _, e := range rec.Endpoints {
		n, err := s.GetNode(ctx, e.NodeID)
		if errs.KindOf(err) == errs.NotFound {
			continue
		} else if err != nil {
			return err
		}
		if n.Name == node {
			me = n.ID
			if e.State == EndpointActive {
				return nil
			}
		}
		switch e.State {
		case EndpointActive:
			desc := n.Name
			if n.S3Endpoint != "" {
				desc += " (" + n.S3Endpoint + ")"
			}
			serving = append(serving, desc)
		case EndpointPending:
			pending = true
		}
	}
	msg := fmt.Sprintf("Vault %q is not served by this node (%s).", bucket, node)
	if me != 0 && pending {
		msg = fmt.Sprintf("Vault %q is not served by this node (%s) yet: its S3 endpoint configuration job is still running.", bucket, node)
	}
	switch {
	case len(serving) > 0:
		msg += " Use one of its S3 endpoints: " + strings.Join(serving, ", ") + "."
	case pending && me == 0:
		msg += " Its S3 endpoints are still being configured."
	case !pending:
		msg += " None of its S3 endpoints is running: add one with POST /V4/Client/{clientId}/CVS3endpoint."
	}
	return errs.New(errs.AccessDenied, "%s", msg)
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
