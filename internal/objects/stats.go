package objects

import (
	"context"
	"encoding/json"

	"coffer/internal/kv"
)

// TenantUsage is the usage of one tenant's buckets (every version and
// pending part, as the buckets' usage counters count them).
type TenantUsage struct {
	Tenant  string // tenant id
	Buckets int64
	Objects int64
	Bytes   int64
}

// UsageByTenant sums the usage counters of every bucket per tenant, in one
// consistent read. It reads each bucket's usage record and pending deltas,
// so its cost grows with the number of buckets: it is for the metrics
// collector's scrape and the dashboard, not for request paths.
func (s *Service) UsageByTenant(ctx context.Context) ([]TenantUsage, error) {
	var out []TenantUsage
	err := s.view(ctx, "UsageByTenant", func(tx kv.Reader) error {
		out = out[:0]
		idx := map[string]int{}
		p := []byte{nsBucket}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var b bucketRecord
			if err := json.Unmarshal(it.Value(), &b); err != nil {
				return err
			}
			u, err := readUsage(tx, b.ID)
			if err != nil {
				return err
			}
			i, seen := idx[b.Tenant]
			if !seen {
				i = len(out)
				idx[b.Tenant] = i
				out = append(out, TenantUsage{Tenant: b.Tenant})
			}
			out[i].Buckets++
			out[i].Objects += u.Objects
			out[i].Bytes += u.Bytes
		}
		return it.Err()
	})
	return out, err
}

// GarbageBacklog counts the blobs waiting for the collector to delete
// them ('G' records), up to limit (then it returns limit).
func (s *Service) GarbageBacklog(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.view(ctx, "GarbageBacklog", func(tx kv.Reader) error {
		n = 0
		p := []byte{nsGarbage}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok && n < limit; ok = it.Next() {
			n++
		}
		return it.Err()
	})
	return n, err
}

// GarbageRemoved is the number of garbage blobs the collector has deleted
// since New.
func (s *Service) GarbageRemoved() uint64 { return s.gcRemoved.Load() }

// GarbagePasses returns how many collection passes ran since start.
func (s *Service) GarbagePasses() uint64 { return s.gcPasses.Load() }
