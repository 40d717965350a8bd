package core

import (
	"context"

	"coffer/internal/kv"
)

// SimulateCrash stops this node's job work as a kill -9 would: its job
// leases are no longer renewed and its jobs write nothing more; other
// nodes sharing the store take them over once the leases expire.
func (s *Service) SimulateCrash() { s.jobs.Crash() }

// FeedCounts sums the change-feed counters (ident, bucket, admin, kms).
func FeedCounts(ctx context.Context, t interface{ Fatal(...any) }, st kv.Store) [numChangeKinds]uint64 {
	c, err := readFeed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
