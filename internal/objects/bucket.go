package objects

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/uuid"
)

// ValidateBucketName applies AWS's general-purpose bucket naming rules:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
func ValidateBucketName(name string) error {
	bad := func(why string) error {
		return errs.Field(errs.InvalidBucketName, "bucket", "The specified bucket is not valid: %s", why)
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("bucket names must be between 3 and 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("bucket names can consist only of lowercase letters, numbers, periods and hyphens")
		}
	}
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("bucket names must begin and end with a letter or number")
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return bad("bucket names must not contain two adjacent periods or a period next to a hyphen")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("bucket names must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad("bucket names must not start with " + p)
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, suf) {
			return bad("bucket names must not end with " + suf)
		}
	}
	return nil
}

func getBucket(tx kv.Reader, tenant, name string) (*bucketRecord, error) {
	v, err := tx.Get(bucketKey(tenant, name))
	if err != nil {
		return getBucketErr(name, err)
	}
	return decodeBucket(name, v)
}

// getBucketErr maps a failed read of a bucket record.
func getBucketErr(name string, err error) (*bucketRecord, error) {
	if errors.Is(err, kv.ErrNotFound) {
		return nil, errs.Field(errs.NoSuchBucket, "bucket", "The specified bucket does not exist")
	}
	return nil, err
}

func decodeBucket(name string, v []byte) (*bucketRecord, error) {
	var b bucketRecord
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("objects: bucket record %q: %w", name, err)
	}
	return &b, nil
}

// CreateBucket creates a bucket in a tenant. Names are unique per tenant.
func (s *Service) CreateBucket(ctx context.Context, in CreateBucketInput) (BucketInfo, error) {
	if err := ValidateBucketName(in.Name); err != nil {
		return BucketInfo{}, err
	}
	switch in.Versioning {
	case VersioningUnset, VersioningEnabled, VersioningSuspended:
	default:
		return BucketInfo{}, errs.New(errs.InvalidArgument, "unknown versioning state %q", in.Versioning)
	}
	if in.QuotaBytes < 0 {
		return BucketInfo{}, errs.New(errs.InvalidArgument, "quota must not be negative")
	}
	if in.ObjectLock != nil {
		// Object Lock at creation turns versioning on, for good (lock.go).
		if err := in.ObjectLock.Validate(); err != nil {
			return BucketInfo{}, err
		}
		in.Versioning = VersioningEnabled
	}
	var rec bucketRecord
	err := s.update(ctx, "CreateBucket", func(tx kv.Txn) error {
		if old, err := getBucket(tx, in.Tenant, in.Name); err == nil {
			_ = old
			return errs.Field(errs.BucketAlreadyOwnedByYou, "bucket",
				"Your previous request to create the named bucket succeeded and you already own it.")
		} else if !errors.Is(err, errs.NoSuchBucket) {
			return err
		}
		id, err := nextCounter(tx, "bucket")
		if err != nil {
			return err
		}
		rec = bucketRecord{Schema: 1, ID: id, UUID: uuid.New(), Name: in.Name, Tenant: in.Tenant,
			Created: s.opts.Now().UTC(), Owner: in.Owner, Versioning: in.Versioning,
			Region: in.Region, QuotaBytes: in.QuotaBytes, Comment: in.Comment}
		rec.Configs = cloneConfigs(in.Configs)
		if in.ObjectLock != nil {
			if err := setLockConfig(&rec, *in.ObjectLock); err != nil {
				return err
			}
		}
		if len(in.Policy) > 0 {
			rec.Policy = append(json.RawMessage(nil), in.Policy...)
		}
		if err := setBucketIndex(tx, &rec); err != nil {
			return err
		}
		return tx.Set(bucketKey(in.Tenant, in.Name), marshal(&rec))
	})
	if err != nil {
		return BucketInfo{}, err
	}
	return rec.info(), nil
}

func nextCounter(tx kv.Txn, name string) (uint64, error) {
	k := append([]byte{nsMeta}, name...)
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
	return n, tx.Set(k, binary.BigEndian.AppendUint64(nil, n))
}

func bucketWithUsage(tx kv.Reader, tenant, name string) (BucketInfo, error) {
	b, err := getBucket(tx, tenant, name)
	if err != nil {
		return BucketInfo{}, err
	}
	u, err := readUsage(tx, b.ID)
	if err != nil {
		return BucketInfo{}, err
	}
	info := b.info()
	info.UsedBytes, info.Objects = u.Bytes, u.Objects
	return info, nil
}

// GetBucket returns a bucket with its usage.
func (s *Service) GetBucket(ctx context.Context, tenant, name string) (BucketInfo, error) {
	var info BucketInfo
	err := s.view(ctx, "GetBucket", func(tx kv.Reader) error {
		var err error
		info, err = bucketWithUsage(tx, tenant, name)
		return err
	})
	return info, err
}

// GetBucketSettings returns a bucket without its usage (UsedBytes and
// Objects are zero): one point read, for the per-request checks that need
// only the bucket's settings. GetBucket also sums the usage deltas written
// since the last fold.
func (s *Service) GetBucketSettings(ctx context.Context, tenant, name string) (BucketInfo, error) {
	var info BucketInfo
	err := s.view(ctx, "GetBucket", func(tx kv.Reader) error {
		b, err := getBucket(tx, tenant, name)
		if err == nil {
			info = b.info()
		}
		return err
	})
	return info, err
}

// DeleteBucket deletes an empty bucket: no version, delete marker or pending
// upload may remain.
func (s *Service) DeleteBucket(ctx context.Context, tenant, name string) error {
	return s.update(ctx, "DeleteBucket", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, name)
		if err != nil {
			return err
		}
		for _, ns := range []byte{nsCurrent, nsVersion, nsUpload} {
			p := bidPrefix(ns, b.ID)
			it := tx.NewIterator(p, kv.PrefixEnd(p))
			found := it.First()
			err := it.Err()
			it.Close()
			if err != nil {
				return err
			}
			if found {
				return errs.Field(errs.BucketNotEmpty, "bucket", "The bucket you tried to delete is not empty")
			}
		}
		if err := deleteRange(tx, bidPrefix(nsDelta, b.ID)); err != nil {
			return err
		}
		if err := tx.Delete(bidPrefix(nsUsage, b.ID)); err != nil {
			return err
		}
		if err := deleteBucketIndex(tx, b); err != nil {
			return err
		}
		return tx.Delete(bucketKey(tenant, name))
	})
}

func deleteRange(tx kv.Txn, prefix []byte) error {
	it := tx.NewIterator(prefix, kv.PrefixEnd(prefix))
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	err := it.Err()
	it.Close()
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ListBuckets pages through a tenant's buckets in name order.
func (s *Service) ListBuckets(ctx context.Context, in ListBucketsInput) (ListBucketsOutput, error) {
	var out ListBucketsOutput
	err := s.view(ctx, "ListBuckets", func(tx kv.Reader) error {
		out = ListBucketsOutput{}
		p := bucketPrefix(in.Tenant)
		start := append(append([]byte(nil), p...), in.Prefix...)
		if in.After != "" && in.After >= in.Prefix {
			start = append(append(append([]byte(nil), p...), in.After...), 0)
		}
		it := tx.NewIterator(start, kv.PrefixEnd(append(append([]byte(nil), p...), in.Prefix...)))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			var b bucketRecord
			if err := json.Unmarshal(it.Value(), &b); err != nil {
				return err
			}
			info := b.info()
			if in.Filter != nil && !in.Filter(info) {
				continue
			}
			if in.MaxBuckets > 0 && len(out.Buckets) == in.MaxBuckets {
				out.Next = out.Buckets[len(out.Buckets)-1].Name
				return nil
			}
			out.Buckets = append(out.Buckets, info)
		}
		return it.Err()
	})
	return out, err
}

// SetVersioning sets a bucket's versioning. Once set, it can be Enabled or
// Suspended but never unset again (as in S3).
func (s *Service) SetVersioning(ctx context.Context, tenant, name string, state VersioningState) error {
	if state != VersioningEnabled && state != VersioningSuspended {
		return errs.New(errs.MalformedXML, "versioning status must be Enabled or Suspended")
	}
	return s.update(ctx, "SetVersioning", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, name)
		if err != nil {
			return err
		}
		if err := checkVersioningChange(b, state); err != nil {
			return err
		}
		if b.Versioning == state {
			return nil
		}
		b.Versioning = state
		return tx.Set(bucketKey(tenant, name), marshal(b))
	})
}

// SetQuota sets a bucket's hard quota in bytes (0 removes it).
func (s *Service) SetQuota(ctx context.Context, tenant, name string, quota int64) error {
	if quota < 0 {
		return errs.New(errs.InvalidArgument, "quota must not be negative")
	}
	return s.update(ctx, "SetQuota", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, name)
		if err != nil {
			return err
		}
		b.QuotaBytes = quota
		return tx.Set(bucketKey(tenant, name), marshal(b))
	})
}

// Bucket indexes, so the management plane can address a bucket by its uuid
// (ONTAP) or int id (Commvault clientId) without knowing its tenant:
//
//	'X' 'u' uuid        tenant 0x00 name
//	'X' 'i' id(8)       tenant 0x00 name
//	'M' "bucketindex"   set once every bucket created before the indexes has one
const nsIndex = 'X'

func uuidIndexKey(uuid string) []byte { return append([]byte{nsIndex, 'u'}, uuid...) }
func idIndexKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{nsIndex, 'i'}, id)
}

func setBucketIndex(tx kv.Txn, b *bucketRecord) error {
	ref := append(append([]byte(b.Tenant), 0), b.Name...)
	if err := tx.Set(uuidIndexKey(b.UUID), ref); err != nil {
		return err
	}
	return tx.Set(idIndexKey(b.ID), ref)
}

func deleteBucketIndex(tx kv.Txn, b *bucketRecord) error {
	if err := tx.Delete(uuidIndexKey(b.UUID)); err != nil {
		return err
	}
	return tx.Delete(idIndexKey(b.ID))
}

// IndexBuckets gives every bucket created before the uuid and id indexes
// existed its index entries. It is idempotent and cheap once done; call it
// at startup.
func (s *Service) IndexBuckets(ctx context.Context) error {
	done := append([]byte{nsMeta}, "bucketindex"...)
	return s.update(ctx, "IndexBuckets", func(tx kv.Txn) error {
		if _, err := tx.Get(done); err == nil {
			return nil
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		var recs []bucketRecord
		p := []byte{nsBucket}
		it := tx.NewIterator(p, kv.PrefixEnd(p))
		for ok := it.First(); ok; ok = it.Next() {
			var b bucketRecord
			if err := json.Unmarshal(it.Value(), &b); err != nil {
				it.Close()
				return err
			}
			recs = append(recs, b)
		}
		err := it.Err()
		it.Close()
		if err != nil {
			return err
		}
		for i := range recs {
			if err := setBucketIndex(tx, &recs[i]); err != nil {
				return err
			}
		}
		return tx.Set(done, []byte{1})
	})
}

func (s *Service) bucketByIndex(ctx context.Context, what string, k []byte) (BucketInfo, error) {
	var info BucketInfo
	err := s.view(ctx, what, func(tx kv.Reader) error {
		ref, err := tx.Get(k)
		if errors.Is(err, kv.ErrNotFound) {
			return errs.Field(errs.NoSuchBucket, "bucket", "The specified bucket does not exist")
		}
		if err != nil {
			return err
		}
		tenant, name, ok := strings.Cut(string(ref), "\x00")
		if !ok {
			return fmt.Errorf("objects: bad bucket index entry %q", ref)
		}
		info, err = bucketWithUsage(tx, tenant, name)
		return err
	})
	return info, err
}

// GetBucketByUUID returns a bucket, of any tenant, by its uuid.
func (s *Service) GetBucketByUUID(ctx context.Context, uuid string) (BucketInfo, error) {
	return s.bucketByIndex(ctx, "GetBucketByUUID", uuidIndexKey(uuid))
}

// GetBucketByID returns a bucket, of any tenant, by its int id.
func (s *Service) GetBucketByID(ctx context.Context, id uint64) (BucketInfo, error) {
	return s.bucketByIndex(ctx, "GetBucketByID", idIndexKey(id))
}

// UpdateBucket changes a bucket's comment, quota, versioning and policy in
// one transaction and returns the result.
func (s *Service) UpdateBucket(ctx context.Context, tenant, name string, u BucketUpdate) (BucketInfo, error) {
	if u.QuotaBytes != nil && *u.QuotaBytes < 0 {
		return BucketInfo{}, errs.New(errs.InvalidArgument, "quota must not be negative")
	}
	if u.Versioning != nil && *u.Versioning != VersioningEnabled && *u.Versioning != VersioningSuspended {
		return BucketInfo{}, errs.Field(errs.InvalidArgument, "versioning", "versioning can only be Enabled or Suspended")
	}
	var info BucketInfo
	err := s.update(ctx, "UpdateBucket", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, name)
		if err != nil {
			return err
		}
		if u.Comment != nil {
			b.Comment = *u.Comment
		}
		if u.QuotaBytes != nil {
			b.QuotaBytes = *u.QuotaBytes
		}
		if u.Versioning != nil {
			if err := checkVersioningChange(b, *u.Versioning); err != nil {
				return err
			}
			b.Versioning = *u.Versioning
		}
		if u.ObjectLock != nil {
			if err := setLockConfig(b, *u.ObjectLock); err != nil {
				return err
			}
		}
		if u.Policy != nil {
			b.Policy = nil
			if len(*u.Policy) > 0 {
				b.Policy = append(json.RawMessage(nil), (*u.Policy)...)
			}
		}
		if err := tx.Set(bucketKey(tenant, name), marshal(b)); err != nil {
			return err
		}
		usage, err := readUsage(tx, b.ID)
		if err != nil {
			return err
		}
		info = b.info()
		info.UsedBytes, info.Objects = usage.Bytes, usage.Objects
		return nil
	})
	return info, err
}

// Names of bucket sub-resource configurations (BucketInfo.Configs).
const (
	ConfigEncryption        = "encryption"
	ConfigCORS              = "cors"
	ConfigTagging           = "tagging"
	ConfigLogging           = "logging"
	ConfigOwnership         = "ownershipControls"
	ConfigPublicAccessBlock = "publicAccessBlock"
	ConfigACL               = "acl"
	// ConfigLifecycle is the lifecycle configuration (package lifecycle's
	// stored form).
	ConfigLifecycle = "lifecycle"
)

// PutBucketConfig sets (value != nil) or removes (value == nil) one of a
// bucket's sub-resource configurations in one transaction. The value is
// stored as given; its owner encodes and validates it.
func (s *Service) PutBucketConfig(ctx context.Context, tenant, bucket, name string, value []byte) error {
	if name == "" {
		return errs.New(errs.InvalidArgument, "a bucket configuration needs a name")
	}
	return s.update(ctx, "PutBucketConfig", func(tx kv.Txn) error {
		b, err := getBucket(tx, tenant, bucket)
		if err != nil {
			return err
		}
		if value == nil {
			if _, ok := b.Configs[name]; !ok {
				return nil
			}
			delete(b.Configs, name)
		} else {
			if b.Configs == nil {
				b.Configs = map[string][]byte{}
			}
			b.Configs[name] = append([]byte(nil), value...)
		}
		return tx.Set(bucketKey(tenant, bucket), marshal(b))
	})
}
