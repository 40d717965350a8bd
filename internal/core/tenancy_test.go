package core_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

func TestTenancy_adminTenantAndBootstrap(t *testing.T) {
	e := newEnv(t)
	ci := must(e.core.Cluster(ctx))
	if ci.Name != "cluster1" || ci.UUID == "" || ci.Version != "test" || ci.AdminTenant == "" {
		t.Fatalf("cluster = %+v", ci)
	}
	admin := must(e.core.GetTenant(ctx, ci.AdminTenant))
	if admin.IsData() || admin.Name != "cluster1" || admin.Type != core.TenantAdmin {
		t.Fatalf("admin tenant = %+v", admin)
	}
	list := must(e.core.ListTenants(ctx))
	if len(list) != 1 || list[0].Name != "default" || !list[0].IsData() || list[0].State != core.TenantRunning ||
		list[0].Subtype != core.SubtypeDefault || list[0].ID == 0 {
		t.Fatalf("tenants = %+v (the admin tenant must not be listed)", list)
	}
	// The default tenant: a data tenant with an enabled service and root.
	if !e.boot.Created || e.boot.Root.Name != "root" || !e.boot.Root.Root || len(e.boot.Key.AccessKey) != 20 || len(e.boot.Key.SecretKey) != 40 {
		t.Fatalf("bootstrap = %+v", e.boot)
	}
	svc := must(e.core.GetS3Service(ctx, e.boot.Tenant.UUID))
	if !svc.Enabled || svc.SecurePort != 443 || svc.Port != 80 || !svc.IsHTTPSEnabled {
		t.Fatalf("service = %+v", svc)
	}
	// Idempotent.
	again := must(e.core.Bootstrap(ctx, core.BootstrapInput{TenantName: "default"}))
	if again.Created || again.Key.AccessKey != "" || again.Tenant.UUID != e.boot.Tenant.UUID {
		t.Fatalf("second bootstrap = %+v", again)
	}
	// A restart keeps the cluster identity.
	c2 := e.openCore()
	defer c2.Close()
	if ci2 := must(c2.Cluster(ctx)); ci2.UUID != ci.UUID || ci2.AdminTenant != ci.AdminTenant {
		t.Fatalf("cluster changed across restart: %+v vs %+v", ci2, ci)
	}

	// Nothing S3 on the admin tenant.
	_, err := e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: ci.AdminTenant})
	wantReason(t, "service on admin", err, errs.InvalidArgument, core.ReasonNotDataTenant)
	_, _, err = e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ci.AdminTenant, Name: "u"})
	wantReason(t, "user on admin", err, errs.InvalidArgument, core.ReasonNotDataTenant)
	_, err = e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: ci.AdminTenant, Name: "bkt"})
	wantReason(t, "bucket on admin", err, errs.InvalidArgument, core.ReasonNotDataTenant)
	_, err = e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ci.AdminTenant, Name: "g", Users: []string{"x"}})
	wantReason(t, "group on admin", err, errs.InvalidArgument, core.ReasonNotDataTenant)
	_, err = e.core.UpdateTenant(ctx, ci.AdminTenant, core.TenantPatch{})
	wantReason(t, "update admin", err, errs.InvalidArgument, core.ReasonNotDataTenant)
	var ee *errs.Error
	if !errors.As(err, &ee) || ee.Field != "svm.uuid" {
		t.Fatalf("field = %+v", ee)
	}

	// Unknown tenant, duplicate and invalid names.
	_, _, err = e.core.CreateUser(ctx, core.CreateUserInput{Tenant: "nope", Name: "u"})
	wantReason(t, "unknown tenant", err, errs.NotFound, core.ReasonTenantNotFound)
	_, err = e.core.CreateTenant(ctx, core.CreateTenantInput{Name: "default"})
	wantReason(t, "duplicate", err, errs.AlreadyExists, core.ReasonTenantExists)
	_, err = e.core.CreateTenant(ctx, core.CreateTenantInput{Name: "cluster1"})
	wantReason(t, "admin name", err, errs.AlreadyExists, core.ReasonTenantExists)
	_, err = e.core.CreateTenant(ctx, core.CreateTenantInput{Name: "bad name"})
	wantReason(t, "bad name", err, errs.InvalidArgument, core.ReasonTenantNameInvalid)

	// A second tenant, by name and by int id; service twice; deletion rules.
	t2, _ := e.tenant("svm2")
	if got := must(e.core.GetTenantByName(ctx, "svm2")); got.UUID != t2.UUID {
		t.Fatal("by name")
	}
	if got := must(e.core.GetTenantByID(ctx, t2.ID)); got.UUID != t2.UUID {
		t.Fatal("by id")
	}
	_, err = e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: t2.UUID})
	wantReason(t, "second service", err, errs.AlreadyExists, core.ReasonS3ServiceExists)
	wantReason(t, "delete with service", e.core.DeleteTenant(ctx, t2.UUID), errs.InUse, core.ReasonTenantInUse)
	must(e.core.DeleteS3Service(ctx, core.DeleteS3ServiceInput{Tenant: t2.UUID, DeleteAll: true}))
	if err := e.core.DeleteTenant(ctx, t2.UUID); err != nil {
		t.Fatal(err)
	}
	_, err = e.core.GetTenant(ctx, t2.UUID)
	wantReason(t, "deleted", err, errs.NotFound, core.ReasonTenantNotFound)
}

func TestS3Service_rules(t *testing.T) {
	e := newEnv(t)
	tn, err := e.core.CreateTenant(ctx, core.CreateTenantInput{Name: "svm_a"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: tn.UUID, Name: "ab"})
	wantReason(t, "short name", err, errs.InvalidArgument, core.ReasonServiceNameLength)
	_, err = e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: tn.UUID, Name: "s3_a"})
	wantReason(t, "bad chars", err, errs.InvalidArgument, core.ReasonServiceNameChars)
	// A failing embedded user aborts everything.
	_, err = e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: tn.UUID, Name: "s3.example.com",
		Users: []core.CreateUserInput{{Name: "ok"}, {Name: "bad name"}}})
	wantReason(t, "bad embedded user", err, errs.InvalidArgument, core.ReasonUserNameChars)
	_, err = e.core.GetS3Service(ctx, tn.UUID)
	wantReason(t, "nothing created", err, errs.NotFound, core.ReasonNoS3Service)

	out, err := e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: tn.UUID, Name: "s3.example.com",
		Comment: "c", Users: []core.CreateUserInput{{Name: "u1"}, {Name: "u2", AccessKey: "GIVENKEY"}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.RootKey == nil || out.Root.Name != "root" || len(out.Users) != 2 || out.Users[1].Key.AccessKey != "GIVENKEY" ||
		out.Service.Name != "s3.example.com" || !out.Service.Enabled {
		t.Fatalf("create = %+v", out)
	}
	svc, err := e.core.UpdateS3Service(ctx, tn.UUID, core.S3ServicePatch{Comment: ptr("new"), Port: ptr(8080)})
	if err != nil || svc.Comment != "new" || svc.Port != 8080 || svc.Name != "s3.example.com" {
		t.Fatalf("update = %+v, %v", svc, err)
	}
	_, err = e.core.UpdateS3Service(ctx, tn.UUID, core.S3ServicePatch{Port: ptr(70000)})
	wantReason(t, "bad port", err, errs.InvalidArgument, core.ReasonServicePort)
	list := must(e.core.ListS3Services(ctx))
	if len(list) != 2 {
		t.Fatalf("services = %d", len(list))
	}

	// delete_all=false keeps users (root too): recreating reuses root.
	must(e.core.DeleteS3Service(ctx, core.DeleteS3ServiceInput{Tenant: tn.UUID}))
	out2, err := e.core.CreateS3Service(ctx, core.CreateS3ServiceInput{Tenant: tn.UUID, Name: "s3.example.com"})
	if err != nil || out2.RootKey != nil || out2.Root.UUID != out.Root.UUID {
		t.Fatalf("recreate = %+v %v", out2, err)
	}
	if _, err := e.core.GetUser(ctx, tn.UUID, "u1"); err != nil {
		t.Fatal(err)
	}
	// delete_all=true removes users and empty buckets, keeps non-empty ones.
	must(e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: tn.UUID, Name: "empty"}))
	must(e.core.CreateBucket(ctx, core.CreateBucketInput{Tenant: tn.UUID, Name: "full"}))
	c := e.client(*out.RootKey)
	if _, err := c.PutObject(ctx, putInput("full", "k", "x")); err != nil {
		t.Fatal(err)
	}
	del, err := e.core.DeleteS3Service(ctx, core.DeleteS3ServiceInput{Tenant: tn.UUID, DeleteAll: true})
	if err != nil || len(del.BucketsKept) != 1 || del.BucketsKept[0] != "full" {
		t.Fatalf("delete all = %+v %v", del, err)
	}
	_, err = e.core.Credential(ctx, out.RootKey.AccessKey)
	wantReason(t, "root key after delete_all", err, errs.InvalidAccessKeyID, "")
	bs := must(e.core.ListBuckets(ctx, tn.UUID))
	if len(bs) != 1 || bs[0].Name != "full" {
		t.Fatalf("buckets = %+v", bs)
	}
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_]{128}$`)

// TestCreateUser_seed checks every case of the ONTAP user-creation contract
// (shared/seeds/001): name rules, 92405773, 92405817, generated and given keys.
func TestCreateUser_seed(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	noSvc := must(e.core.CreateTenant(ctx, core.CreateTenantInput{Name: "bare"}))
	admin := must(e.core.Cluster(ctx)).AdminTenant
	cases := []struct {
		name   string
		in     core.CreateUserInput
		kind   errs.Kind
		reason core.Reason
		field  string
	}{
		{"no service (92405773)", core.CreateUserInput{Tenant: noSvc.UUID, Name: "u"}, errs.NotFound, core.ReasonNoS3Service, "svm.uuid"},
		{"admin SVM (92405817)", core.CreateUserInput{Tenant: admin, Name: "u"}, errs.InvalidArgument, core.ReasonNotDataTenant, "svm.uuid"},
		{"empty name (92405788)", core.CreateUserInput{Tenant: ten, Name: ""}, errs.InvalidArgument, core.ReasonUserNameLength, "name"},
		{"65 chars (92405788)", core.CreateUserInput{Tenant: ten, Name: strings.Repeat("a", 65)}, errs.InvalidArgument, core.ReasonUserNameLength, "name"},
		{"65 bad chars: length first", core.CreateUserInput{Tenant: ten, Name: strings.Repeat("!", 65)}, errs.InvalidArgument, core.ReasonUserNameLength, "name"},
		{"space (92405787)", core.CreateUserInput{Tenant: ten, Name: "user 1"}, errs.InvalidArgument, core.ReasonUserNameChars, "name"},
		{"slash (92405787)", core.CreateUserInput{Tenant: ten, Name: "a/b"}, errs.InvalidArgument, core.ReasonUserNameChars, "name"},
		{"non-ASCII (92405787)", core.CreateUserInput{Tenant: ten, Name: "usér"}, errs.InvalidArgument, core.ReasonUserNameChars, "name"},
		{"duplicate root", core.CreateUserInput{Tenant: ten, Name: "root"}, errs.AlreadyExists, core.ReasonUserExists, "name"},
		{"secret without access key", core.CreateUserInput{Tenant: ten, Name: "u", SecretKey: "secretsecret"}, errs.InvalidArgument, core.ReasonKeyPairIncomplete, "access_key"},
		{"access key with comma", core.CreateUserInput{Tenant: ten, Name: "u", AccessKey: "a,b"}, errs.InvalidArgument, core.ReasonAccessKeyInvalid, "access_key"},
		{"access key taken", core.CreateUserInput{Tenant: ten, Name: "u", AccessKey: e.boot.Key.AccessKey}, errs.AlreadyExists, core.ReasonAccessKeyExists, "access_key"},
		{"ttl > 1095 days", core.CreateUserInput{Tenant: ten, Name: "u", KeyTimeToLive: 1096 * 24 * time.Hour}, errs.InvalidArgument, core.ReasonKeyTTLTooLong, "key_time_to_live"},
		{"comment too long", core.CreateUserInput{Tenant: ten, Name: "u", Comment: strings.Repeat("c", 257)}, errs.InvalidArgument, core.ReasonCommentTooLong, "comment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.core.CreateUser(ctx, c.in)
			wantReason(t, c.name, err, c.kind, c.reason)
			var ee *errs.Error
			if !errors.As(err, &ee) || ee.Field != c.field {
				t.Fatalf("field = %q, want %q", ee.Field, c.field)
			}
		})
	}

	// Every allowed character, 64 of them; generated keys per the seed.
	name := strings.Repeat("aZ09_+=,.@-", 6)[:64]
	u, k, err := e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: name, Comment: "S3 user"})
	if err != nil {
		t.Fatal(err)
	}
	if !keyRE.MatchString(k.AccessKey) || !keyRE.MatchString(k.SecretKey) || k.AccessKey == k.SecretKey {
		t.Fatalf("generated keys %q / %q", k.AccessKey, k.SecretKey)
	}
	if u.ID == 0 || u.UUID == "" || u.Root || len(u.Keys) != 1 || u.Keys[0].Slot != 1 || u.Keys[0].AccessKey != k.AccessKey {
		t.Fatalf("user = %+v", u)
	}
	// The seed's example: a supplied access_key is accepted as-is.
	seedAK := "Pz3SB54G2B_6dsXQPrA5HrTPcf478qoAW6_Xx6qyqZ948AgZ_7YfCf_9nO87YoZmskxx3cq41U2JAH2M3_fs321B4rkzS3a_oC5_8u7D8j_45N8OsBCBPWGD_1d_ccfq"
	_, k2, err := e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: "user-1", AccessKey: seedAK})
	if err != nil || k2.AccessKey != seedAK || !keyRE.MatchString(k2.SecretKey) {
		t.Fatalf("given key: %+v %v", k2, err)
	}
	cred := must(e.core.Credential(ctx, seedAK))
	if cred.Secret != k2.SecretKey || cred.UserName != "user-1" || cred.Tenant != ten || cred.Root {
		t.Fatalf("credential = %+v", cred)
	}
	_, _, err = e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: "user-1"})
	wantReason(t, "duplicate", err, errs.AlreadyExists, core.ReasonUserExists)
	// Both keys given.
	_, k3, err := e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: "u3", AccessKey: "AKIAEXAMPLE", SecretKey: "s3cr3t-s3cr3t"})
	if err != nil || k3.SecretKey != "s3cr3t-s3cr3t" {
		t.Fatal(k3, err)
	}
	// By int id (Commvault userId); listing includes root.
	if got := must(e.core.GetUserByID(ctx, u.ID)); got.Name != name {
		t.Fatal("by id")
	}
	if users := must(e.core.ListUsers(ctx, ten)); len(users) != 4 {
		t.Fatalf("users = %d", len(users))
	}
	// The root user cannot be deleted.
	wantReason(t, "delete root", e.core.DeleteUser(ctx, ten, "root"), errs.InvalidArgument, core.ReasonRootUser)

	// Key lifetime against the service maximum.
	must(e.core.UpdateS3Service(ctx, ten, core.S3ServicePatch{MaxKeyTimeToLive: ptr(48 * time.Hour)}))
	_, _, err = e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: "t1"})
	wantReason(t, "ttl required", err, errs.InvalidArgument, core.ReasonKeyTTLRequired)
	_, _, err = e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: "t1", KeyTimeToLive: 72 * time.Hour})
	wantReason(t, "ttl above max", err, errs.InvalidArgument, core.ReasonKeyTTLAboveMax)
	_, kt, err := e.core.CreateUser(ctx, core.CreateUserInput{Tenant: ten, Name: "t1", KeyTimeToLive: time.Hour})
	if err != nil || kt.Expires == nil {
		t.Fatal(kt, err)
	}
	must(e.core.Credential(ctx, kt.AccessKey))
	e.clock.Advance(time.Hour)
	_, err = e.core.Credential(ctx, kt.AccessKey)
	wantReason(t, "expired key", err, errs.InvalidAccessKeyID, "")
}

func TestKeys_regenerateAndDelete(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	k1 := e.user(ten, "alice")
	c := e.client(k1)
	rc := e.client(e.boot.Key)
	if _, err := rc.CreateBucket(ctx, createBucket("bk1")); err != nil {
		t.Fatal(err)
	}
	// alice authenticates (AccessDenied is authorization, not authentication).
	_, err := c.HeadBucket(ctx, headBucket("bk1"))
	wantCode(t, "alice before", err, "Forbidden")
	_, err = c.ListBuckets(ctx, nil)
	wantCode(t, "alice list", err, "")

	nk, err := e.core.RegenerateKey(ctx, core.RegenerateKeyInput{Tenant: ten, User: "alice"})
	if err != nil || nk.Slot != 1 || nk.AccessKey == k1.AccessKey {
		t.Fatal(nk, err)
	}
	_, err = c.ListBuckets(ctx, nil)
	wantCode(t, "old key after regenerate", err, "InvalidAccessKeyId")
	if _, err := e.client(nk).ListBuckets(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A second key; slot rules.
	k2, err := e.core.AddKey(ctx, core.AddKeyInput{Tenant: ten, User: "alice"})
	if err != nil || k2.Slot != 2 {
		t.Fatal(k2, err)
	}
	_, err = e.core.AddKey(ctx, core.AddKeyInput{Tenant: ten, User: "alice"})
	wantReason(t, "third key", err, errs.InvalidArgument, core.ReasonTooManyKeys)
	_, err = e.core.RegenerateKey(ctx, core.RegenerateKeyInput{Tenant: ten, User: "alice", Slot: 3})
	wantReason(t, "slot 3", err, errs.InvalidArgument, core.ReasonKeySlotInvalid)
	// Deactivate key 2 (Commvault), then delete key 1: the user keeps nothing usable.
	if err := e.core.SetKeyStatus(ctx, ten, "alice", k2.AccessKey, core.KeyInactive); err != nil {
		t.Fatal(err)
	}
	_, err = e.client(k2).ListBuckets(ctx, nil)
	wantCode(t, "inactive key", err, "InvalidAccessKeyId")
	// In a group, the last usable key cannot go.
	must(e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "g", Users: []string{"alice"}}))
	wantReason(t, "delete keys of member", e.core.DeleteKeys(ctx, ten, "alice", 1), errs.InUse, core.ReasonUserInGroup)
	if _, err := e.client(nk).ListBuckets(ctx, nil); err != nil {
		t.Fatal("refused delete must not remove the key:", err)
	}
	// A user without keys cannot join a group.
	e.user(ten, "bob")
	if err := e.core.DeleteKeys(ctx, ten, "bob", 0); err != nil {
		t.Fatal(err)
	}
	_, err = e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "g2", Users: []string{"bob"}})
	wantReason(t, "disabled user in group", err, errs.InvalidArgument, core.ReasonGroupUserDisabled)
	// Deleting a user deletes its keys at once and leaves its groups.
	if err := e.core.DeleteUser(ctx, ten, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = e.client(nk).ListBuckets(ctx, nil)
	wantCode(t, "deleted user", err, "InvalidAccessKeyId")
	g := must(e.core.ListGroups(ctx, ten))
	if len(g) != 1 || len(g[0].Users) != 0 {
		t.Fatalf("groups = %+v", g)
	}
}

func ptr[T any](v T) *T { return &v }
