package core_test

import (
	"bytes"
	"fmt"
	"testing"

	"coffer/internal/acl"
	"coffer/internal/checksum"
	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/policy"
)

// TestAuthorize_ACLs decides requests with bucket and object ACLs, the
// ownership setting, Block Public Access and bucket policies together,
// as a table, against the real core and object layer.
func TestAuthorize_ACLs(t *testing.T) {
	e := newEnv(t)
	tenant := e.boot.Tenant.UUID
	cred := func(name string) core.Principal {
		k := e.user(tenant, name)
		c, err := e.core.Credential(ctx, k.AccessKey)
		if err != nil {
			t.Fatal(err)
		}
		return c.Principal
	}
	alice, bob := cred("alice"), cred("bob")
	anon := core.Principal{Tenant: tenant, Anonymous: true}
	rootP := core.Principal{Tenant: tenant, UserID: e.boot.Root.UUID, UserName: "root", Root: true}
	aliceID, bobID := alice.CanonicalID(), bob.CanonicalID()
	be := e.core.S3Backend()

	grant := func(id string, p acl.Permission) acl.Grant {
		return acl.Grant{Grantee: acl.Grantee{Type: acl.CanonicalUser, ID: id}, Permission: p}
	}
	allUsers := func(p acl.Permission) acl.Grant {
		return acl.Grant{Grantee: acl.Grantee{Type: acl.Group, URI: acl.AllUsers}, Permission: p}
	}
	authUsers := func(p acl.Permission) acl.Grant {
		return acl.Grant{Grantee: acl.Grantee{Type: acl.Group, URI: acl.AuthenticatedUsers}, Permission: p}
	}
	publicGet := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`
	denyBob := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"arn:aws:s3:::%s/*"}]}`

	tests := []struct {
		name      string
		ownership acl.Ownership // "" leaves none stored (BucketOwnerEnforced)
		bucketACL []acl.Grant   // nil: the default (owner FULL_CONTROL)
		objectACL []acl.Grant   // nil: the default
		pab       *acl.PublicAccessBlock
		policy    string // with %s for the bucket
		who       core.Principal
		action    string
		key       string
		want      bool
	}{
		{"root always", "", nil, nil, nil, "", rootP, "s3:GetObject", "k", true},
		{"bob without anything", acl.ObjectWriter, nil, nil, nil, "", bob, "s3:GetObject", "k", false},
		{"object READ grant", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.Read)}, nil, "", bob, "s3:GetObject", "k", true},
		{"object READ grant, version action", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.Read)}, nil, "", bob, "s3:GetObjectVersion", "k", true},
		{"object READ is not READ_ACP", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.Read)}, nil, "", bob, "s3:GetObjectAcl", "k", false},
		{"object FULL_CONTROL gives WRITE_ACP", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.FullControl)}, nil, "", bob, "s3:PutObjectAcl", "k", true},
		{"object grant does not allow delete", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.FullControl)}, nil, "", bob, "s3:DeleteObject", "k", false},
		{"ACLs ignored when enforced", acl.BucketOwnerEnforced, nil, []acl.Grant{grant(bobID, acl.Read)}, nil, "", bob, "s3:GetObject", "k", false},
		{"ACLs ignored with none stored", "", nil, []acl.Grant{grant(bobID, acl.Read)}, nil, "", bob, "s3:GetObject", "k", false},
		{"bucket WRITE allows PutObject", acl.BucketOwnerPreferred, []acl.Grant{grant(bobID, acl.Write)}, nil, nil, "", bob, "s3:PutObject", "n", true},
		{"bucket WRITE allows DeleteObject", acl.ObjectWriter, []acl.Grant{grant(bobID, acl.Write)}, nil, nil, "", bob, "s3:DeleteObject", "k", true},
		{"bucket WRITE does not list", acl.ObjectWriter, []acl.Grant{grant(bobID, acl.Write)}, nil, nil, "", bob, "s3:ListBucket", "", false},
		{"bucket READ lists", acl.ObjectWriter, []acl.Grant{grant(bobID, acl.Read)}, nil, nil, "", bob, "s3:ListBucketVersions", "", true},
		{"bucket READ does not read objects", acl.ObjectWriter, []acl.Grant{grant(bobID, acl.Read)}, nil, nil, "", bob, "s3:GetObject", "k", false},
		{"bucket READ_ACP", acl.ObjectWriter, []acl.Grant{grant(bobID, acl.ReadACP)}, nil, nil, "", bob, "s3:GetBucketAcl", "", true},
		{"no ACL gives PutBucketPolicy", acl.ObjectWriter, []acl.Grant{grant(bobID, acl.FullControl)}, nil, nil, "", bob, "s3:PutBucketPolicy", "", false},
		{"other user's grant", acl.ObjectWriter, nil, []acl.Grant{grant(aliceID, acl.Read)}, nil, "", bob, "s3:GetObject", "k", false},
		{"explicit Deny beats a grant", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.Read)}, nil, denyBob, bob, "s3:GetObject", "k", false},
		{"AuthenticatedUsers for a user", acl.ObjectWriter, nil, []acl.Grant{authUsers(acl.Read)}, nil, "", bob, "s3:GetObject", "k", true},
		{"AuthenticatedUsers not for anonymous", acl.ObjectWriter, nil, []acl.Grant{authUsers(acl.Read)}, nil, "", anon, "s3:GetObject", "k", false},
		{"AllUsers for anonymous", acl.ObjectWriter, nil, []acl.Grant{allUsers(acl.Read)}, nil, "", anon, "s3:GetObject", "k", true},
		{"AllUsers ignored by IgnorePublicAcls", acl.ObjectWriter, nil, []acl.Grant{allUsers(acl.Read)}, &acl.PublicAccessBlock{IgnorePublicAcls: true}, "", anon, "s3:GetObject", "k", false},
		{"AllUsers bucket READ for anonymous", acl.ObjectWriter, []acl.Grant{allUsers(acl.Read)}, nil, nil, "", anon, "s3:ListBucket", "", true},
		{"public policy for anonymous", "", nil, nil, nil, publicGet, anon, "s3:GetObject", "k", true},
		{"public policy and RestrictPublicBuckets", "", nil, nil, &acl.PublicAccessBlock{RestrictPublicBuckets: true}, publicGet, anon, "s3:GetObject", "k", false},
		{"RestrictPublicBuckets keeps tenant users", "", nil, nil, &acl.PublicAccessBlock{RestrictPublicBuckets: true}, publicGet, bob, "s3:GetObject", "k", true},
		{"public policy, other action", "", nil, nil, nil, publicGet, anon, "s3:PutObject", "k", false},
		{"anonymous root flag is not root", "", nil, nil, nil, "", core.Principal{Tenant: tenant, Anonymous: true, Root: true}, "s3:GetObject", "k", false},
		{"anonymous never lists buckets", "", nil, nil, nil, "", anon, "s3:ListAllMyBuckets", "", false},
		{"a missing object grants nothing", acl.ObjectWriter, nil, []acl.Grant{grant(bobID, acl.Read)}, nil, "", bob, "s3:GetObject", "missing", false},
	}
	for i, tt := range tests {
		b := fmt.Sprintf("acl-authz-%d", i)
		if _, err := be.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tenant, Name: b, Owner: alice.UserID}); err != nil {
			t.Fatal(err)
		}
		set := func(name string, v []byte) {
			if err := be.PutBucketConfig(ctx, tenant, b, name, v); err != nil {
				t.Fatal(err)
			}
		}
		if tt.ownership != "" {
			set(objects.ConfigOwnership, acl.EncodeOwnership(tt.ownership))
		}
		if tt.bucketACL != nil {
			set(objects.ConfigACL, acl.ACL{Owner: aliceID, Grants: tt.bucketACL}.Encode())
		}
		if tt.pab != nil {
			set(objects.ConfigPublicAccessBlock, acl.EncodePAB(*tt.pab))
		}
		if tt.policy != "" {
			d, err := policy.ParseAWS(fmt.Appendf(nil, tt.policy, b))
			if err != nil {
				t.Fatal(err)
			}
			if err := be.PutBucketPolicy(ctx, tenant, b, d); err != nil {
				t.Fatal(err)
			}
		}
		in := objects.PutInput{Tenant: tenant, Bucket: b, Key: "k", Size: 1, Owner: alice.UserID,
			Body: checksum.NewComputer(bytes.NewReader([]byte("x")), checksum.None)}
		if tt.objectACL != nil {
			in.ACL = acl.ACL{Owner: aliceID, Grants: tt.objectACL}.Encode()
		}
		if _, err := be.PutObject(ctx, in); err != nil {
			t.Fatal(err)
		}
		bucket := b
		if tt.action == "s3:ListAllMyBuckets" {
			bucket = ""
		}
		err := e.core.Authorize(ctx, core.Request{Principal: tt.who, Action: tt.action, Bucket: bucket, Key: tt.key})
		if got := err == nil; got != tt.want {
			t.Errorf("%s: allowed=%v (%v), want %v", tt.name, got, err, tt.want)
		}
		if err != nil && errs.KindOf(err) != errs.AccessDenied {
			t.Errorf("%s: error %v, want AccessDenied", tt.name, err)
		}
	}
	// The owner: alice owns the bucket and the objects; with ACLs enabled
	// the default ACL gives her full control of both.
	if err := e.core.Authorize(ctx, core.Request{Principal: alice, Action: "s3:GetObject", Bucket: "acl-authz-1", Key: "k"}); err != nil {
		t.Errorf("owner reads her object by the default ACL: %v", err)
	}
	if err := e.core.Authorize(ctx, core.Request{Principal: alice, Action: "s3:GetObject", Bucket: "acl-authz-7", Key: "k"}); err == nil {
		t.Error("owner reads by ACL in a BucketOwnerEnforced bucket")
	}
}

func TestDirectory(t *testing.T) {
	e := newEnv(t)
	tenant := e.boot.Tenant.UUID
	k := e.user(tenant, "carol")
	c, err := e.core.Credential(ctx, k.AccessKey)
	if err != nil {
		t.Fatal(err)
	}
	id, name, err := e.core.Owner(ctx, tenant, c.UserID)
	if err != nil || id != acl.CanonicalID(tenant, c.UserID) || name != "carol" {
		t.Fatalf("Owner(carol) = %q %q %v", id, name, err)
	}
	if id, name, _ := e.core.Owner(ctx, tenant, ""); name != "root" || id != acl.CanonicalID(tenant, e.boot.Root.UUID) {
		t.Fatalf("Owner(\"\") = %q %q, want the root user", id, name)
	}
	uid, name, ok, err := e.core.UserByCanonicalID(ctx, tenant, c.CanonicalID())
	if err != nil || !ok || uid != c.UserID || name != "carol" {
		t.Fatalf("UserByCanonicalID = %q %q %v %v", uid, name, ok, err)
	}
	if _, _, ok, _ := e.core.UserByCanonicalID(ctx, tenant, acl.CanonicalID("other", c.UserID)); ok {
		t.Fatal("a canonical id of another tenant resolved")
	}
	t2, _ := e.tenant("second")
	be := e.core.S3Backend()
	for _, tn := range []string{tenant, t2.UUID} {
		if _, err := be.CreateBucket(ctx, objects.CreateBucketInput{Tenant: tn, Name: "twice"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := be.CreateBucket(ctx, objects.CreateBucketInput{Tenant: t2.UUID, Name: "once"}); err != nil {
		t.Fatal(err)
	}
	if ts, err := e.core.BucketTenants(ctx, "twice"); err != nil || len(ts) != 2 {
		t.Fatalf("BucketTenants(twice) = %v %v", ts, err)
	}
	if ts, _ := e.core.BucketTenants(ctx, "once"); len(ts) != 1 || ts[0] != t2.UUID {
		t.Fatalf("BucketTenants(once) = %v", ts)
	}
	if err := be.DeleteBucket(ctx, t2.UUID, "once"); err != nil {
		t.Fatal(err)
	}
	if ts, _ := e.core.BucketTenants(ctx, "once"); len(ts) != 0 {
		t.Fatalf("BucketTenants after delete = %v (stale cache)", ts)
	}
}
