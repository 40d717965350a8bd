package objects

import (
	"context"

	"coffer/internal/kv"
)

// GetBucketSettings returns a bucket as GetBucket does but without its
// usage (UsedBytes and Objects are zero). GetBucket adds the usage, which
// reads every usage delta not folded yet: one per write since the last
// fold, so its cost grows with the write rate (and without bound while the
// fold cannot keep up). A check made on every request, such as the Object
// Lock integrity rule of each PUT, needs the settings only.
func (s *Service) GetBucketSettings(ctx context.Context, tenant, name string) (BucketInfo, error) {
	var info BucketInfo
	err := s.view(ctx, "GetBucket", func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, name)
		if err != nil {
			return err
		}
		info = b.info()
		return nil
	})
	return info, err
}
