package core

import (
	"os"

	"coffer/internal/lease"
	"coffer/internal/uuid"
)

// Leases (internal/lease) divide work between the nodes sharing the store:
// the gc lease, the orphan sweep, lifecycle, data aging. Their records live
// under 'l' name. Jobs carry their own lease fields (internal/jobs) but fail
// with the same lease.ReasonLost when another node took them over.

// DefaultJobLease is the default Options.JobLease.
const DefaultJobLease = lease.DefaultTTL

// ReasonLeaseLost is lease.ReasonLost (Conflict): another node holds the
// lease, or took the job over, now.
const ReasonLeaseLost = lease.ReasonLost

// nodeIdentity names this process in leases and jobs: the node name and a
// random instance id, so a restarted node does not take its previous
// process's leases for its own.
type nodeIdentity struct{ name, holder string }

func newNodeIdentity(name string) nodeIdentity {
	return nodeIdentity{name: name, holder: name + "/" + uuid.New()[:8]}
}

func (s *Service) newLeases() (*lease.Manager, error) {
	return lease.New(lease.Options{Store: s.kv, Prefix: 'l', Node: s.node.name, Holder: s.node.holder,
		DefaultTTL: s.opts.JobLease, Now: s.now, Log: s.log, Crashed: s.jobs.Crashed})
}

// Leases is this node's lease manager (tests look at who holds what).
func (s *Service) Leases() *lease.Manager { return s.leases }

func (o *Options) multiNodeDefaults() {
	if o.NodeName == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.NodeName = h
		} else {
			o.NodeName = "coffer"
		}
	}
	if o.FeedPoll <= 0 {
		o.FeedPoll = DefaultFeedPoll
	}
	if o.JobLease <= 0 {
		o.JobLease = DefaultJobLease
	}
}

// NodeName returns the name this node uses in leases and jobs.
func (s *Service) NodeName() string { return s.node.name }
