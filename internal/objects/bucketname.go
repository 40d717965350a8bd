package objects

import (
	"bytes"
	"context"

	"coffer/internal/kv"
)

// TenantsOfBucket returns the tenants that have a bucket of this name, in
// tenant order. Bucket names are unique per tenant, not globally, so a
// request that carries no principal (a CORS preflight, an anonymous
// request) can only be served when exactly one tenant has the name; the
// caller decides what to do with none or several.
//
// It costs one seek per tenant that has any bucket, not a scan of the
// buckets: bucket records are keyed 'B' tenant 0x00 name, so the walk
// probes "tenant 0x00 name" in each tenant and jumps to the next tenant.
// Tenant ids never contain 0x00.
func (s *Service) TenantsOfBucket(ctx context.Context, name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	var tenants []string
	err := s.view(ctx, "TenantsOfBucket", func(tx kv.Reader) error {
		tenants = tenants[:0]
		p := []byte{nsBucket}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		defer it.Close()
		for ok := it.First(); ok; {
			k := it.Key()
			i := bytes.IndexByte(k[1:], 0)
			if i < 0 { // not a bucket key; step over it
				ok = it.Next()
				continue
			}
			tenant := string(k[1 : 1+i])
			want := bucketKey(tenant, name)
			if ok = it.SeekGE(want); ok && bytes.Equal(it.Key(), want) {
				tenants = append(tenants, tenant)
			}
			// The next tenant starts after every "tenant 0x00 …" key.
			ok = it.SeekGE(append(append([]byte{nsBucket}, tenant...), 1))
		}
		return it.Err()
	})
	return tenants, err
}
