package acl

import (
	"errors"
	"reflect"
	"testing"
)

const (
	alice = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	bob   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestCanned(t *testing.T) {
	fc := userGrant(alice, FullControl)
	tests := []struct {
		name   string
		object bool
		want   []Grant
	}{
		{"private", false, []Grant{fc}},
		{"public-read", false, []Grant{fc, groupGrant(AllUsers, Read)}},
		{"public-read-write", true, []Grant{fc, groupGrant(AllUsers, Read), groupGrant(AllUsers, Write)}},
		{"authenticated-read", true, []Grant{fc, groupGrant(AuthenticatedUsers, Read)}},
		{"aws-exec-read", true, []Grant{fc}},
		{"bucket-owner-read", true, []Grant{fc, userGrant(bob, Read)}},
		{"bucket-owner-read", false, []Grant{fc}},
		{"bucket-owner-full-control", true, []Grant{fc, userGrant(bob, FullControl)}},
		{"bucket-owner-full-control", false, []Grant{fc}},
		{"log-delivery-write", false, []Grant{fc, groupGrant(LogDelivery, Write), groupGrant(LogDelivery, ReadACP)}},
	}
	for _, tt := range tests {
		a, err := Canned(tt.name, alice, bob, tt.object)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if a.Owner != alice || !reflect.DeepEqual(a.Grants, tt.want) {
			t.Errorf("Canned(%s, object=%v) = %+v, want %+v", tt.name, tt.object, a.Grants, tt.want)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", tt.name, err)
		}
	}
	// The bucket owner writing its own object gets one grant, not two.
	if a, _ := Canned("bucket-owner-full-control", alice, alice, true); len(a.Grants) != 1 {
		t.Errorf("bucket-owner-full-control by the bucket owner: %+v", a.Grants)
	}
	if _, err := Canned("public", alice, bob, false); !errors.Is(err, ErrUnknownCanned) {
		t.Errorf("unknown canned ACL: %v", err)
	}
}

func TestAllows(t *testing.T) {
	pub, _ := Canned("public-read", alice, "", false)
	auth, _ := Canned("authenticated-read", alice, "", false)
	grants := ACL{Owner: alice, Grants: []Grant{userGrant(alice, FullControl), userGrant(bob, Write), userGrant(bob, ReadACP)}}
	anon := Requester{}
	tests := []struct {
		name         string
		acl          ACL
		who          Requester
		perm         Permission
		ignorePublic bool
		want         bool
	}{
		{"owner full control", Private(alice), Requester{alice}, Write, false, true},
		{"other user on private", Private(alice), Requester{bob}, Read, false, false},
		{"anonymous on private", Private(alice), anon, Read, false, false},
		{"anonymous public-read", pub, anon, Read, false, true},
		{"anonymous public-read write", pub, anon, Write, false, false},
		{"anonymous public-read ignored", pub, anon, Read, true, false},
		{"user public-read", pub, Requester{bob}, Read, false, true},
		{"anonymous authenticated-read", auth, anon, Read, false, false},
		{"user authenticated-read", auth, Requester{bob}, Read, false, true},
		{"user authenticated-read ignored", auth, Requester{bob}, Read, true, false},
		{"grant by id", grants, Requester{bob}, Write, false, true},
		{"grant by id, other permission", grants, Requester{bob}, Read, false, false},
		{"grant by id, read acp", grants, Requester{bob}, ReadACP, true, true},
		{"owner always has acp", ACL{Owner: alice}, Requester{alice}, WriteACP, false, true},
		{"owner acp is not read", ACL{Owner: alice}, Requester{alice}, Read, false, false},
		{"empty owner is not anonymous", ACL{Grants: []Grant{userGrant("", FullControl)}}, anon, Read, false, false},
	}
	for _, tt := range tests {
		if got := tt.acl.Allows(tt.who, tt.perm, tt.ignorePublic); got != tt.want {
			t.Errorf("%s: Allows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPermissionMapping(t *testing.T) {
	for action, want := range map[string]Permission{"s3:ListBucket": Read, "s3:ListBucketVersions": Read,
		"s3:ListBucketMultipartUploads": Read, "s3:PutObject": Write, "s3:DeleteObject": Write,
		"s3:GetBucketAcl": ReadACP, "s3:PutBucketAcl": WriteACP} {
		if got, ok := BucketPermission(action); !ok || got != want {
			t.Errorf("BucketPermission(%s) = %v %v, want %v", action, got, ok, want)
		}
	}
	for action, want := range map[string]Permission{"s3:GetObject": Read, "s3:GetObjectVersion": Read,
		"s3:GetObjectAcl": ReadACP, "s3:GetObjectVersionAcl": ReadACP, "s3:PutObjectAcl": WriteACP,
		"s3:PutObjectVersionAcl": WriteACP} {
		if got, ok := ObjectPermission(action); !ok || got != want {
			t.Errorf("ObjectPermission(%s) = %v %v, want %v", action, got, ok, want)
		}
	}
	for _, action := range []string{"s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutObjectTagging", "s3:PutBucketVersioning"} {
		if _, ok := BucketPermission(action); ok {
			t.Errorf("BucketPermission(%s) allowed by an ACL", action)
		}
		if _, ok := ObjectPermission(action); ok {
			t.Errorf("ObjectPermission(%s) allowed by an ACL", action)
		}
	}
}

func TestPublicAndOwnerOnly(t *testing.T) {
	for name, want := range map[string]bool{"private": false, "public-read": true, "public-read-write": true,
		"authenticated-read": true, "log-delivery-write": false, "bucket-owner-full-control": false} {
		a, _ := Canned(name, alice, bob, true)
		if a.IsPublic() != want {
			t.Errorf("%s: IsPublic = %v", name, !want)
		}
	}
	a, _ := Canned("bucket-owner-full-control", bob, bob, true)
	if !a.OnlyOwnerFullControl(bob) {
		t.Error("bucket-owner-full-control by the bucket owner is owner-only")
	}
	a, _ = Canned("bucket-owner-read", alice, bob, true)
	if a.OnlyOwnerFullControl(alice) {
		t.Error("bucket-owner-read adds a grant")
	}
}

func TestValidate(t *testing.T) {
	many := ACL{Owner: alice}
	for range MaxGrants + 1 {
		many.Grants = append(many.Grants, userGrant(bob, Read))
	}
	for name, a := range map[string]ACL{
		"too many grants": many,
		"bad permission":  {Grants: []Grant{{Grantee: Grantee{Type: CanonicalUser, ID: bob}, Permission: "ALL"}}},
		"no id":           {Grants: []Grant{{Grantee: Grantee{Type: CanonicalUser}, Permission: Read}}},
		"unknown group":   {Grants: []Grant{groupGrant("http://example.com/g", Read)}},
		"unknown type":    {Grants: []Grant{{Grantee: Grantee{Type: "Role", ID: bob}, Permission: Read}}},
	} {
		if a.Validate() == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
	many.Grants = many.Grants[:MaxGrants]
	if err := many.Validate(); err != nil {
		t.Errorf("%d grants: %v", MaxGrants, err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	a, _ := Canned("log-delivery-write", alice, bob, false)
	a.Grants = append(a.Grants, Grant{Grantee: Grantee{Type: Email, Email: "x@example.com"}, Permission: Read})
	got, err := Decode(a.Encode())
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := Decode([]byte(`{"_v":9}`)); err == nil {
		t.Error("unknown schema decoded")
	}
	if _, err := Decode([]byte(`not json`)); err == nil {
		t.Error("garbage decoded")
	}
}

func TestCanonicalID(t *testing.T) {
	id := CanonicalID("t1", "u1")
	if !IsCanonicalID(id) || id != CanonicalID("t1", "u1") {
		t.Fatalf("CanonicalID = %q", id)
	}
	if id == CanonicalID("t2", "u1") || id == CanonicalID("t1", "u2") {
		t.Error("canonical ids collide across tenants or users")
	}
	if CanonicalID("t1", "") != "" {
		t.Error("no user, no canonical id")
	}
	if IsCanonicalID("ABC") || IsCanonicalID(id[:63]+"G") {
		t.Error("IsCanonicalID accepts malformed ids")
	}
}

func TestSettings(t *testing.T) {
	for _, tt := range []struct {
		stored []byte
		want   Ownership
		shown  bool
	}{
		{nil, BucketOwnerEnforced, true},
		{EncodeOwnership(ObjectWriter), ObjectWriter, true},
		{EncodeOwnership(BucketOwnerPreferred), BucketOwnerPreferred, true},
		{DeletedOwnership(), ObjectWriter, false},
	} {
		o, shown := DecodeOwnership(tt.stored)
		if o != tt.want || shown != tt.shown {
			t.Errorf("DecodeOwnership(%q) = %v %v", tt.stored, o, shown)
		}
	}
	if BucketOwnerEnforced.ACLsEnabled() || !ObjectWriter.ACLsEnabled() {
		t.Error("ACLsEnabled")
	}
	p, err := DecodePAB(EncodePAB(PublicAccessBlock{IgnorePublicAcls: true}))
	if err != nil || p != (PublicAccessBlock{IgnorePublicAcls: true}) {
		t.Errorf("PAB round trip: %+v %v", p, err)
	}
	if p, _ := DecodePAB(nil); p != (PublicAccessBlock{}) {
		t.Error("no PAB blocks something")
	}
}
