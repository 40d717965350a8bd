package s3api

import (
	"context"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

// The fake backend keeps no ACLs: ACL handlers are tested end to end
// against the object layer (test/e2e/acl_test.go).

func (f *fakeBackend) GetObjectACL(ctx context.Context, tenant, bucket, key, versionID string) (objects.ObjectACL, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(tenant, bucket)
	if err != nil {
		return objects.ObjectACL{}, err
	}
	v, err := f.find(b, key, versionID)
	if err != nil {
		return objects.ObjectACL{}, err
	}
	return objects.ObjectACL{Owner: v.info.Owner, VersionID: v.info.VersionID}, nil
}

func (f *fakeBackend) PutObjectACL(ctx context.Context, tenant, bucket, key, versionID string, acl []byte, owner string) (string, error) {
	return "", errs.New(errs.NotImplemented, "the fake backend keeps no ACLs")
}
