package core

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/errs"
	"coffer/internal/objects"
	"coffer/internal/policy"
	"coffer/internal/testkit"
)

// Internal tests of the vault plane (plans, nodes, sessions, profiles,
// vaults, endpoints, data aging) over a real Pebble store and object layer.
// Helpers carry a "vt" prefix.

type vtEnv struct {
	t      *testing.T
	s      *Service
	obj    *objects.Service
	clock  *testkit.Clock
	tenant string
}

var vtCtx = context.Background()

func vtNew(t *testing.T) *vtEnv {
	t.Helper()
	return vtNewWith(t, nil)
}

// vtNewWith is vtNew with the core's options adjusted by opt (nil: none).
func vtNewWith(t *testing.T, opt func(*Options)) *vtEnv {
	t.Helper()
	clock := testkit.NewClock(time.Now().UTC())
	st := testkit.NewStore(t, clock.Now)
	store, obj := st.KV, st.Objects
	o := Options{KV: store, Objects: obj, Now: clock.Now, PasswordIterations: 1000, ClusterName: "cluster1"}
	if opt != nil {
		opt(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := s.Bootstrap(vtCtx, BootstrapInput{TenantName: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BootstrapAdmin(vtCtx, "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &vtEnv{t: t, s: s, obj: obj, clock: clock, tenant: boot.Tenant.UUID}
}

// vtMust returns v, and panics (failing the test) on an error.
func vtMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func vtWant(t *testing.T, what string, err error, kind errs.Kind, r Reason) {
	t.Helper()
	if errs.KindOf(err) != kind || r != "" && ReasonOf(err) != r {
		t.Fatalf("%s: got %v, want %v %s", what, err, kind, r)
	}
}

func (e *vtEnv) user(name string) User {
	e.t.Helper()
	u, _, _, err := e.s.CreateUserWithProfile(vtCtx, CreateUserInput{Tenant: e.tenant, Name: name}, ProfileInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *vtEnv) put(bucket, key, data string) {
	e.t.Helper()
	body, err := checksum.NewReader(bytes.NewReader([]byte(data)), checksum.Expect{})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.obj.PutObject(vtCtx, objects.PutInput{Tenant: e.tenant, Bucket: bucket, Key: key, Body: body, Size: int64(len(data))}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *vtEnv) versions(bucket string) []string {
	e.t.Helper()
	out, err := e.obj.ListObjectVersions(vtCtx, objects.ListVersionsInput{Tenant: e.tenant, Bucket: bucket, MaxKeys: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var l []string
	for _, v := range out.Versions {
		s := v.Key
		if v.DeleteMarker {
			s += "(dm)"
		}
		l = append(l, s)
	}
	return l
}

func TestPlans(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "Gold plan"}))
	if p.ID <= 0 || p.RetentionDays != DefaultRetentionDays || p.Type != PlanTypeServer {
		t.Fatalf("plan %+v", p)
	}
	_, err := e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "Gold plan"})
	vtWant(t, "duplicate", err, errs.AlreadyExists, ReasonPlanExists)
	for _, bad := range []string{"", " lead", "trail ", "a\x01b", strings.Repeat("x", 129)} {
		_, err := e.s.CreatePlan(vtCtx, CreatePlanInput{Name: bad})
		vtWant(t, "name "+bad, err, errs.InvalidArgument, ReasonPlanNameInvalid)
	}
	for _, d := range []int{-1, MaxRetentionDays + 1} {
		_, err := e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p", RetentionDays: d})
		vtWant(t, "retention", err, errs.InvalidArgument, ReasonPlanRetention)
	}
	if got := vtMust(e.s.GetPlanByName(vtCtx, "Gold plan")); got.ID != p.ID {
		t.Fatalf("by name: %+v", got)
	}
	_, err = e.s.GetPlan(vtCtx, 999)
	vtWant(t, "unknown", err, errs.NotFound, ReasonPlanNotFound)
	p2 := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "Silver", RetentionDays: 7}))
	if l := vtMust(e.s.ListPlans(vtCtx)); len(l) != 2 || l[1].ID != p2.ID {
		t.Fatalf("list %+v", l)
	}
	vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "uses-gold", Plan: EntityRef{ID: p.ID}}))
	vtWant(t, "in use", e.s.DeletePlan(vtCtx, p.ID), errs.InUse, ReasonPlanInUse)
	if u := vtMust(e.s.PlanUsage(vtCtx)); u[p.ID] != 1 || u[p2.ID] != 0 {
		t.Fatalf("usage %v", u)
	}
	if err := e.s.DeletePlan(vtCtx, p2.ID); err != nil {
		t.Fatal(err)
	}
	// A vault deleted behind the vault plane's back (S3, ONTAP) frees its plan.
	if err := e.s.DeleteBucket(vtCtx, e.tenant, "uses-gold"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeletePlan(vtCtx, p.ID); err != nil {
		t.Fatalf("delete a plan whose vault is gone: %v", err)
	}
}

func TestNodes(t *testing.T) {
	e := vtNew(t)
	n := vtMust(e.s.RegisterNode(vtCtx, RegisterNodeInput{Name: "host-1.example", Interval: time.Second, S3Endpoint: "http://h/S3"}))
	if n.ID <= NodeClientIDBase || !n.Alive(e.clock.Now()) {
		t.Fatalf("node %+v", n)
	}
	again := vtMust(e.s.RegisterNode(vtCtx, RegisterNodeInput{Name: "host-1.example", Interval: time.Second}))
	if again.ID != n.ID {
		t.Fatalf("re-registering changed the id: %d %d", n.ID, again.ID)
	}
	e.clock.Advance(4 * time.Second)
	if got := vtMust(e.s.GetNode(vtCtx, n.ID)); got.Alive(e.clock.Now()) {
		t.Fatal("a node without heartbeats for 4 intervals is alive")
	}
	if err := e.s.NodeHeartbeat(vtCtx, "host-1.example"); err != nil {
		t.Fatal(err)
	}
	if got := vtMust(e.s.GetNodeByName(vtCtx, "host-1.example")); !got.Alive(e.clock.Now()) {
		t.Fatal("heartbeat did not revive the node")
	}
	if err := e.s.StopNode(vtCtx, "host-1.example"); err != nil {
		t.Fatal(err)
	}
	if got := vtMust(e.s.GetNode(vtCtx, n.ID)); got.Alive(e.clock.Now()) {
		t.Fatal("a stopped node is alive")
	}
	vtWant(t, "unknown heartbeat", e.s.NodeHeartbeat(vtCtx, "nope"), errs.NotFound, ReasonNodeNotFound)
	_, err := e.s.RegisterNode(vtCtx, RegisterNodeInput{Name: "bad name"})
	vtWant(t, "bad name", err, errs.InvalidArgument, ReasonNodeNameInvalid)
	if l := vtMust(e.s.ListNodes(vtCtx)); len(l) != 1 {
		t.Fatalf("nodes %+v", l)
	}
}

func TestLoginAndSessions(t *testing.T) {
	e := vtNewWith(t, func(o *Options) { o.LoginMaxFailures, o.LoginLockout = 2, time.Minute })
	u, _, _, err := e.s.CreateUserWithProfile(vtCtx, CreateUserInput{Tenant: e.tenant, Name: "alice"},
		ProfileInput{Email: ptrTo("alice@example.com"), Password: ptrTo("alice-password")})
	if err != nil {
		t.Fatal(err)
	}
	in := LoginInput{Tenant: e.tenant, Idle: 10 * time.Minute}
	login := func(name, pw string) (LoginResult, error) {
		in.Name, in.Password = name, pw
		return e.s.Login(vtCtx, in)
	}
	res := vtMust(login("admin", "admin-password"))
	if res.Session.Kind != SessionAdmin || len(res.Token) != 64 {
		t.Fatalf("admin login %+v", res)
	}
	res = vtMust(login("alice", "alice-password"))
	if res.Session.Kind != SessionUser || res.Session.UserID != u.ID || res.User.Name != "alice" {
		t.Fatalf("user login %+v", res)
	}
	sess := vtMust(e.s.ResumeSession(vtCtx, res.Token))
	if sess.Name != "alice" {
		t.Fatalf("resume %+v", sess)
	}
	_, err = login("alice", "wrong")
	vtWant(t, "wrong password", err, errs.Unauthenticated, ReasonBadCredentials)
	_, err = login("nobody", "whatever")
	vtWant(t, "unknown user", err, errs.Unauthenticated, ReasonBadCredentials)
	r, err := login("alice", "wrong")
	vtWant(t, "second failure locks", err, errs.Unauthenticated, ReasonAccountLocked)
	if !r.Locked || r.LockRemaining != time.Minute {
		t.Fatalf("lock %+v", r)
	}
	_, err = login("alice", "alice-password")
	vtWant(t, "locked", err, errs.Unauthenticated, ReasonAccountLocked)
	e.clock.Advance(time.Minute)
	vtMust(login("alice", "alice-password"))
	// Idle expiry: used within the idle time it lives on.
	for i := 0; i < 3; i++ {
		e.clock.Advance(6 * time.Minute)
		vtMust(e.s.ResumeSession(vtCtx, res.Token))
	}
	e.clock.Advance(10 * time.Minute)
	_, err = e.s.ResumeSession(vtCtx, res.Token)
	vtWant(t, "idle", err, errs.Unauthenticated, ReasonSessionInvalid)
	// Logout and password removal.
	res = vtMust(login("alice", "alice-password"))
	if err := e.s.EndSession(vtCtx, res.Token); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.ResumeSession(vtCtx, res.Token)
	vtWant(t, "ended", err, errs.Unauthenticated, ReasonSessionInvalid)
	vtMust(e.s.SetUserProfile(vtCtx, u.ID, ProfileInput{Password: ptrTo("")}))
	_, err = login("alice", "alice-password")
	vtWant(t, "no password", err, errs.Unauthenticated, ReasonBadCredentials)
	_, err = e.s.SetUserProfile(vtCtx, u.ID, ProfileInput{Email: ptrTo("not-an-email")})
	vtWant(t, "email", err, errs.InvalidArgument, ReasonEmailInvalid)
	if err := e.s.VaultUpkeep(vtCtx); err != nil {
		t.Fatal(err)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestCreateVault_roleAndKeys(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p", RetentionDays: 3}))
	owner, member := e.user("owner"), e.user("member")
	g := vtMust(e.s.CreateGroup(vtCtx, CreateGroupInput{Tenant: e.tenant, Name: "ops", Users: []string{"member"}}))
	oldMemberKey := member.Keys[0].AccessKey
	res := vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-1", Plan: EntityRef{ID: p.ID, Name: "p"},
		Owners: []EntityRef{{ID: owner.ID}, {Name: "owner"}}, Groups: []EntityRef{{ID: g.ID}}, RotateKeys: true}))
	v := res.Vault
	if v.Bucket.Versioning != VersioningEnabled || v.Plan == nil || v.Plan.ID != p.ID || len(v.Owners) != 1 || len(v.Groups) != 1 {
		t.Fatalf("vault %+v", v)
	}
	if len(res.Keys) != 2 || !res.Keys[0].Rotated {
		t.Fatalf("rotated keys %+v", res.Keys)
	}
	if _, err := e.s.Credential(vtCtx, oldMemberKey); errs.KindOf(err) != errs.InvalidAccessKeyID {
		t.Fatalf("the member's old key survived rotation: %v", err)
	}
	doc := v.Bucket.Policy
	if doc == nil || len(doc.Statements) != 1 {
		t.Fatalf("policy %+v", doc)
	}
	st := doc.Statements[0]
	if strings.Join(st.Principals, ",") != "owner,group/ops" || strings.Join(st.Actions, ",") != strings.Join(VaultRoleActions, ",") {
		t.Fatalf("statement %+v", st)
	}
	allowed := func(user string, groups []string, action, key string) bool {
		return policy.Evaluate(policy.Request{User: user, Groups: groups, Action: action, Bucket: "vault-1", Key: key}, *doc) == policy.Allow
	}
	// What a backup tool does on its vault, and nothing that changes the
	// vault's settings or reaches outside it.
	for _, a := range []struct{ action, key string }{{"s3:PutObject", "k"}, {"s3:GetObjectVersion", "k"},
		{"s3:DeleteObjectVersion", "k"}, {"s3:ListBucketVersions", ""}, {"s3:GetBucketLocation", ""},
		{"s3:GetBucketVersioning", ""}, {"s3:CreateBucket", ""}, {"s3:PutObjectTagging", "k"},
		{"s3:AbortMultipartUpload", "k"}, {"s3:ListBucketMultipartUploads", ""}, {"s3:PutObjectRetention", "k"}} {
		if !allowed("owner", nil, a.action, a.key) || !allowed("member", []string{"ops"}, a.action, a.key) {
			t.Errorf("the role does not grant %s", a.action)
		}
	}
	if allowed("member", nil, "s3:GetObject", "k") || allowed("owner", nil, "s3:PutBucketPolicy", "") ||
		allowed("owner", nil, "s3:PutBucketVersioning", "") || allowed("owner", nil, "s3:DeleteBucket", "") ||
		allowed("owner", nil, "s3:PutBucketObjectLockConfiguration", "") || allowed("owner", nil, "s3:BypassGovernanceRetention", "k") ||
		policy.Evaluate(policy.Request{User: "owner", Action: "s3:GetObject", Bucket: "other", Key: "k"}, *doc) == policy.Allow {
		t.Fatal("the role grants the wrong things")
	}
	// Errors, in order.
	_, err := e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "Bad", Plan: EntityRef{ID: p.ID}})
	vtWant(t, "name", err, errs.InvalidBucketName, "")
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2"})
	vtWant(t, "no plan", err, errs.InvalidArgument, ReasonVaultPlanRequired)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2", Plan: EntityRef{ID: p.ID, Name: "q"}})
	vtWant(t, "plan mismatch", err, errs.InvalidArgument, ReasonVaultPlanMismatch)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2", Plan: EntityRef{ID: 99}})
	vtWant(t, "plan", err, errs.NotFound, ReasonPlanNotFound)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2", Plan: EntityRef{ID: p.ID}, Endpoints: []EntityRef{{ID: NodeClientIDBase + 9}}})
	vtWant(t, "node", err, errs.NotFound, ReasonNodeNotFound)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2", Plan: EntityRef{ID: p.ID}, Owners: []EntityRef{{ID: 999}}})
	vtWant(t, "owner", err, errs.NotFound, ReasonUserNotFound)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2", Plan: EntityRef{ID: p.ID}, Groups: []EntityRef{{ID: 999}}})
	vtWant(t, "group", err, errs.NotFound, ReasonGroupNotFound)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-2", Plan: EntityRef{ID: p.ID}, Owners: []EntityRef{{}}})
	vtWant(t, "empty ref", err, errs.InvalidArgument, ReasonVaultRefInvalid)
	_, err = e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-1", Plan: EntityRef{ID: p.ID}})
	vtWant(t, "exists", err, errs.AlreadyExists, ReasonVaultExists)
	many := make([]EntityRef, 0, MaxVaultPrincipals+1)
	for i := 0; i <= MaxVaultPrincipals; i++ {
		many = append(many, EntityRef{ID: owner.ID})
	}
	// Duplicates collapse: 101 references to one owner are one principal.
	vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-3", Plan: EntityRef{ID: p.ID}, Owners: many}))
	if l := vtMust(e.s.ListVaults(vtCtx, e.tenant)); len(l) != 2 {
		t.Fatalf("vaults %+v", l)
	}
}

func TestVaultPolicy_chunks(t *testing.T) {
	var users []string
	for i := 0; i < 25; i++ {
		users = append(users, "u"+strings.Repeat("x", i))
	}
	doc := vaultPolicy("b", users, []string{"g"})
	if len(doc.Statements) != 3 || len(doc.Statements[2].Principals) != 6 {
		t.Fatalf("%d statements", len(doc.Statements))
	}
	if _, err := policyJSON(&doc, "b"); err != nil {
		t.Fatalf("the role policy is refused by the bucket-policy rules: %v", err)
	}
}

func TestCheckEndpoint(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p"}))
	a := vtMust(e.s.RegisterNode(vtCtx, RegisterNodeInput{Name: "a", Interval: time.Hour, S3Endpoint: "http://a:9000/S3"}))
	vtMust(e.s.RegisterNode(vtCtx, RegisterNodeInput{Name: "b", Interval: time.Hour}))
	res := vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "vault-a", Plan: EntityRef{ID: p.ID}, Endpoints: []EntityRef{{Name: "a"}}}))
	if res.EndpointJob == nil {
		t.Fatal("no endpoint job")
	}
	j := vtMust(e.s.WaitJob(vtCtx, res.EndpointJob.UUID, 10*time.Second))
	if j.State != JobSuccess {
		t.Fatalf("job %+v", j)
	}
	if err := e.s.CheckEndpoint(vtCtx, e.tenant, "vault-a", "a"); err != nil {
		t.Fatalf("endpoint a: %v", err)
	}
	err := e.s.CheckEndpoint(vtCtx, e.tenant, "vault-a", "b")
	if errs.KindOf(err) != errs.AccessDenied || !strings.Contains(errs.Message(err), "a (http://a:9000/S3)") {
		t.Fatalf("node b: %v", err)
	}
	for _, c := range []struct{ bucket, node string }{{"vault-a", ""}, {"nope", "b"}, {"", "b"}} {
		if err := e.s.CheckEndpoint(vtCtx, e.tenant, c.bucket, c.node); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	// The cached authorizer follows changes.
	az := e.s.EndpointAuthorizer("b")
	root := vtMust(e.s.GetUser(vtCtx, e.tenant, RootUserName))
	req := Request{Principal: Principal{Tenant: e.tenant, UserName: "root", Root: true, UserID: root.UUID}, Action: "s3:GetObject", Bucket: "vault-a", Key: "k"}
	vtWant(t, "authorizer b", az.Authorize(vtCtx, req), errs.AccessDenied, "")
	j2 := vtMust(e.s.AddVaultEndpoint(vtCtx, e.tenant, EntityRef{Name: "b"}, nil))
	if j := vtMust(e.s.WaitJob(vtCtx, j2.UUID, 10*time.Second)); j.State != JobSuccess {
		t.Fatalf("job %+v", j)
	}
	if err := az.Authorize(vtCtx, req); err != nil {
		t.Fatalf("after registering b: %v", err)
	}
	// Deleted and re-created without endpoints: the old record restricts nothing.
	if err := e.s.DeleteBucket(vtCtx, e.tenant, "vault-a"); err != nil {
		t.Fatal(err)
	}
	vtMust(e.s.CreateBucket(vtCtx, CreateBucketInput{Tenant: e.tenant, Name: "vault-a"}))
	if err := e.s.CheckEndpoint(vtCtx, e.tenant, "vault-a", "zzz"); err != nil {
		t.Fatalf("stale record: %v", err)
	}
	if err := e.s.VaultUpkeep(vtCtx); err != nil {
		t.Fatal(err)
	}
	if recs := vtMust(e.s.vaultRecords(vtCtx, "")); len(recs) != 0 {
		t.Fatalf("stale records kept: %+v", recs)
	}
	_ = a
}

func TestAgeVault(t *testing.T) {
	e := vtNew(t)
	p := vtMust(e.s.CreatePlan(vtCtx, CreatePlanInput{Name: "p", RetentionDays: 1}))
	vtMust(e.s.CreateVault(vtCtx, CreateVaultInput{Tenant: e.tenant, Name: "aging", Plan: EntityRef{ID: p.ID}}))
	day := time.Hour
	e.put("aging", "a", "1")
	e.put("aging", "a", "2") // a/1 noncurrent from now on
	e.put("aging", "gone", "1")
	if _, err := e.obj.DeleteObject(vtCtx, objects.DeleteInput{Tenant: e.tenant, Bucket: "aging", Key: "gone"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Minute)
	e.put("aging", "a", "3") // a/2 noncurrent since now: younger than a day later on
	res := vtMust(e.s.AgeVault(vtCtx, e.tenant, "aging", day, nil))
	if res.Removed != 0 || res.Examined != 5 {
		t.Fatalf("too early: %+v %v", res, e.versions("aging"))
	}
	e.clock.Advance(45 * time.Minute) // a/1 and gone/1: 75 min noncurrent; a/2: 45 min
	res = vtMust(e.s.AgeVault(vtCtx, e.tenant, "aging", day, nil))
	if got := strings.Join(e.versions("aging"), " "); res.Removed != 3 || got != "a a" {
		t.Fatalf("after a day: %+v %q", res, got)
	}
	e.clock.Advance(time.Hour)
	vtMust(e.s.AgeVault(vtCtx, e.tenant, "aging", day, nil))
	if got := strings.Join(e.versions("aging"), " "); got != "a" {
		t.Fatalf("the current version must stay: %q", got)
	}
	// Many keys across pages.
	for i := 0; i < 1100; i++ {
		k := "p/" + strings.Repeat("k", 1+i%7) + string(rune('a'+i%26)) + "-" + time.Duration(i).String()
		e.put("aging", k, "1")
		if i%2 == 0 {
			e.put("aging", k, "2")
		}
	}
	e.clock.Advance(2 * time.Hour)
	res = vtMust(e.s.AgeVault(vtCtx, e.tenant, "aging", day, nil))
	if res.Removed != 550 {
		t.Fatalf("paged aging removed %d, want 550", res.Removed)
	}
	// The scheduled job runs once per interval over every node.
	j, started, err := e.s.StartDataAging(vtCtx, DataAgingInput{Node: "n1", Day: day, Every: time.Minute})
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	if _, again, _ := e.s.StartDataAging(vtCtx, DataAgingInput{Node: "n2", Day: day, Every: time.Minute}); again {
		t.Fatal("aging ran twice within its interval")
	}
	if j = vtMust(e.s.WaitJob(vtCtx, j.UUID, 10*time.Second)); j.State != JobSuccess || j.Operation != "Data Aging" {
		t.Fatalf("aging job %+v", j)
	}
}

func TestRotateUserKeys(t *testing.T) {
	e := vtNew(t)
	u := e.user("bob")
	second := vtMust(e.s.AddKey(vtCtx, AddKeyInput{Tenant: e.tenant, User: "bob"}))
	nk := vtMust(e.s.RotateUserKeys(vtCtx, e.tenant, "bob"))
	if len(nk.AccessKey) != 20 || len(nk.SecretKey) != 40 || nk.Slot != 1 {
		t.Fatalf("new key %+v", nk)
	}
	for _, old := range []string{u.Keys[0].AccessKey, second.AccessKey} {
		if _, err := e.s.Credential(vtCtx, old); errs.KindOf(err) != errs.InvalidAccessKeyID {
			t.Fatalf("old key %s survived: %v", old, err)
		}
	}
	got := vtMust(e.s.GetUser(vtCtx, e.tenant, "bob"))
	if k, ok := e.s.PrimaryKey(got); !ok || k.AccessKey != nk.AccessKey || len(got.Keys) != 1 {
		t.Fatalf("keys %+v", got.Keys)
	}
	if _, created := vtMust2(e.s.EnsureUserKey(vtCtx, e.tenant, "bob")); created {
		t.Fatal("EnsureUserKey replaced a usable key")
	}
	if err := e.s.DeleteKeys(vtCtx, e.tenant, "bob", 0); err != nil {
		t.Fatal(err)
	}
	if nk, created := vtMust2(e.s.EnsureUserKey(vtCtx, e.tenant, "bob")); !created || nk.AccessKey == "" {
		t.Fatal("EnsureUserKey gave no key to a user without one")
	}
}

func vtMust2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

func TestKillJob(t *testing.T) {
	e := vtNew(t)
	started, release := make(chan struct{}), make(chan struct{})
	j, err := e.s.submitTracked(vtCtx, JobSpec{Description: "slow", Operation: "Test"}, JobInfo{Clients: []int32{7}, ClientName: "x"},
		func(ctx context.Context, p JobProgress, check func() error) (string, error) {
			close(started)
			<-release
			return "", check()
		})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if info, ok := vtMust2(e.s.JobInfo(vtCtx, j.ID)); !ok || info.Clients[0] != 7 {
		t.Fatalf("info %+v", info)
	}
	if err := e.s.KillJob(vtCtx, j.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	done := vtMust(e.s.WaitJob(vtCtx, j.UUID, 10*time.Second))
	if done.State != JobFailure || ReasonOf(done.Err()) != ReasonJobKilled {
		t.Fatalf("killed job %+v", done)
	}
	vtWant(t, "finished", e.s.KillJob(vtCtx, j.ID), errs.InvalidArgument, ReasonJobFinished)
	vtWant(t, "unknown", e.s.KillJob(vtCtx, 999), errs.NotFound, ReasonJobNotFound)
}
