package core_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/policy"
)

func putInput(bucket, key, body string) *s3.PutObjectInput {
	return &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
}
func getInput(bucket, key string) *s3.GetObjectInput {
	return &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
}
func createBucket(b string) *s3.CreateBucketInput {
	return &s3.CreateBucketInput{Bucket: aws.String(b)}
}
func headBucket(b string) *s3.HeadBucketInput { return &s3.HeadBucketInput{Bucket: aws.String(b)} }

func bucketNames(t *testing.T, c *s3.Client) []string {
	t.Helper()
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, *b.Name)
	}
	return names
}

func read(t *testing.T, c *s3.Client, bucket, key string) (string, error) {
	t.Helper()
	out, err := c.GetObject(ctx, getInput(bucket, key))
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func ontapDoc(t *testing.T, stmts string) policy.Document {
	t.Helper()
	var st []policy.ONTAPStatement
	if err := json.Unmarshal([]byte(stmts), &st); err != nil {
		t.Fatal(err)
	}
	d, err := policy.FromONTAP(st)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAuthz_groupsAndPolicies(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	root := e.client(e.boot.Key)
	for _, b := range []string{"bucket1", "bucket2"} {
		if _, err := root.CreateBucket(ctx, createBucket(b)); err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutObject(ctx, putInput(b, "obj", "data-"+b)); err != nil {
			t.Fatal(err)
		}
	}
	alice := e.client(e.user(ten, "alice"))
	bobKey := e.user(ten, "bob")
	bob := e.client(bobKey)

	// No policy: nothing but an empty bucket list.
	_, err := read(t, alice, "bucket1", "obj")
	wantCode(t, "alice get, no policy", err, "AccessDenied")
	_, err = alice.PutObject(ctx, putInput("bucket1", "x", "x"))
	wantCode(t, "alice put, no policy", err, "AccessDenied")
	if got := bucketNames(t, alice); len(got) != 0 {
		t.Fatalf("alice sees %v", got)
	}

	// A policy attached to alice's group lets her read bucket1.
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "read1",
		Document: ontapDoc(t, `[{"effect":"allow","actions":["GetObject","ListBucket"],"resources":["bucket1","bucket1/*"]}]`)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "readers", Users: []string{"alice"}, Policies: []string{"read1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := read(t, alice, "bucket1", "obj"); err != nil || got != "data-bucket1" {
		t.Fatalf("alice get = %q, %v", got, err)
	}
	_, err = read(t, alice, "bucket2", "obj")
	wantCode(t, "alice bucket2", err, "AccessDenied")
	_, err = alice.PutObject(ctx, putInput("bucket1", "x", "x"))
	wantCode(t, "alice put", err, "AccessDenied")
	if got := bucketNames(t, alice); len(got) != 1 || got[0] != "bucket1" {
		t.Fatalf("alice lists %v", got)
	}
	_, err = read(t, bob, "bucket1", "obj")
	wantCode(t, "bob not in group", err, "AccessDenied")

	// The built-in ReadOnlyAccess: reads everywhere, no writes.
	if _, err := e.core.UpdateGroup(ctx, ten, g.ID, core.GroupPatch{Policies: &[]string{"ReadOnlyAccess"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := read(t, alice, "bucket2", "obj"); err != nil || got != "data-bucket2" {
		t.Fatalf("read-only get = %q, %v", got, err)
	}
	_, err = alice.PutObject(ctx, putInput("bucket2", "x", "x"))
	wantCode(t, "read-only put", err, "AccessDenied")

	// FullAccess plus an explicit deny: the deny wins.
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "deny2",
		Document: ontapDoc(t, `[{"effect":"deny","actions":["*"],"resources":["bucket2","bucket2/*"]}]`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.UpdateGroup(ctx, ten, g.ID, core.GroupPatch{Policies: &[]string{"FullAccess", "deny2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.PutObject(ctx, putInput("bucket1", "x", "x")); err != nil {
		t.Fatal("full access put:", err)
	}
	_, err = read(t, alice, "bucket2", "obj")
	wantCode(t, "explicit deny", err, "AccessDenied")
	if got := bucketNames(t, alice); len(got) != 1 || got[0] != "bucket1" {
		t.Fatalf("alice lists %v with a deny on bucket2", got)
	}
	// Changing a policy's statements applies at once.
	if _, err := e.core.UpdatePolicy(ctx, ten, "deny2", core.PolicyPatch{Document: ptr(ontapDoc(t,
		`[{"effect":"deny","actions":["PutObject"],"resources":["bucket2/*"]}]`))}); err != nil {
		t.Fatal(err)
	}
	if _, err := read(t, alice, "bucket2", "obj"); err != nil {
		t.Fatal("after narrowing the deny:", err)
	}
	// A policy attached to a group cannot be deleted; a deleted group's
	// members lose its policies at once.
	wantReason(t, "delete attached policy", e.core.DeletePolicy(ctx, ten, "deny2"), errs.InUse, core.ReasonPolicyInUse)
	if err := e.core.DeleteGroup(ctx, ten, g.ID); err != nil {
		t.Fatal(err)
	}
	_, err = read(t, alice, "bucket1", "obj")
	wantCode(t, "group deleted", err, "AccessDenied")
	if err := e.core.DeletePolicy(ctx, ten, "deny2"); err != nil {
		t.Fatal(err)
	}
}

func TestPolicies_rules(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	ps := must(e.core.ListPolicies(ctx, ten))
	if len(ps) != 3 || ps[0].Name != "FullAccess" || !ps[0].ReadOnly || ps[1].Name != "NoS3Access" || ps[2].Name != "ReadOnlyAccess" {
		t.Fatalf("built-ins = %+v", ps)
	}
	doc := ontapDoc(t, `[{"effect":"allow","actions":["GetObject"],"resources":["*"]}]`)
	_, err := e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "FullAccess", Document: doc})
	wantReason(t, "reserved", err, errs.InvalidArgument, core.ReasonPolicyReservedName)
	_, err = e.core.UpdatePolicy(ctx, ten, "ReadOnlyAccess", core.PolicyPatch{Comment: ptr("x")})
	wantReason(t, "read-only", err, errs.InvalidArgument, core.ReasonPolicyReadOnly)
	wantReason(t, "delete read-only", e.core.DeletePolicy(ctx, ten, "NoS3Access"), errs.InvalidArgument, core.ReasonPolicyReadOnly)
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: strings.Repeat("p", 129), Document: doc})
	wantReason(t, "long name", err, errs.InvalidArgument, core.ReasonPolicyNameLength)
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "p p", Document: doc})
	wantReason(t, "bad name", err, errs.InvalidArgument, core.ReasonPolicyNameChars)
	bad := policy.Document{Statements: []policy.Statement{{Effect: policy.EffectAllow, Actions: []string{"s3:FlyObject"}, Resources: []string{"*"}}}}
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "p", Document: bad})
	wantReason(t, "bad action", err, errs.MalformedPolicy, core.ReasonPolicyInvalidAction)
	withPrincipal := policy.Document{Statements: []policy.Statement{{Effect: policy.EffectAllow, Principals: []string{"bob"}, Actions: []string{"s3:GetObject"}, Resources: []string{"*"}}}}
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "p", Document: withPrincipal})
	wantReason(t, "principal in identity policy", err, errs.MalformedPolicy, core.ReasonPolicyPrincipal)
	must(e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "p", Comment: "c", Document: doc}))
	_, err = e.core.CreatePolicy(ctx, core.CreatePolicyInput{Tenant: ten, Name: "p", Document: doc})
	wantReason(t, "duplicate", err, errs.AlreadyExists, core.ReasonPolicyExists)
	got := must(e.core.GetPolicy(ctx, ten, "p"))
	if got.Comment != "c" || len(got.Document.Statements) != 1 || got.ReadOnly {
		t.Fatalf("policy = %+v", got)
	}
	// ONTAP round trip.
	st := policy.ToONTAP(got.Document)
	if len(st) != 1 || st[0].Actions[0] != "GetObject" {
		t.Fatalf("ToONTAP = %+v", st)
	}

	// Group rules.
	e.user(ten, "u1")
	cases := []struct {
		in     core.CreateGroupInput
		reason core.Reason
	}{
		{core.CreateGroupInput{Name: "", Users: []string{"u1"}}, core.ReasonGroupNameLength},
		{core.CreateGroupInput{Name: "g g", Users: []string{"u1"}}, core.ReasonGroupNameChars},
		{core.CreateGroupInput{Name: "g"}, core.ReasonGroupUsersEmpty},
		{core.CreateGroupInput{Name: "g", Users: []string{"nobody"}}, core.ReasonGroupUserNotFound},
		{core.CreateGroupInput{Name: "g", Users: []string{"*"}}, core.ReasonGroupUserWildcard},
		{core.CreateGroupInput{Name: "g", Users: []string{"u1", "u1"}}, core.ReasonGroupUserDuplicate},
		{core.CreateGroupInput{Name: "g", Users: []string{"u1"}, Policies: []string{"nope"}}, core.ReasonGroupPolicyNotFound},
	}
	for _, c := range cases {
		c.in.Tenant = ten
		_, err := e.core.CreateGroup(ctx, c.in)
		if !errors_Is(err, c.reason) {
			t.Fatalf("%+v: got %v, want %s", c.in, err, c.reason)
		}
	}
	g := must(e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "g", Users: []string{"u1"}, Policies: []string{"p", "FullAccess"}}))
	_, err = e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "g", Users: []string{"u1"}})
	wantReason(t, "duplicate group", err, errs.AlreadyExists, core.ReasonGroupExists)
	_, err = e.core.UpdateGroup(ctx, ten, g.ID, core.GroupPatch{Users: &[]string{}})
	wantReason(t, "empty users on patch", err, errs.InvalidArgument, core.ReasonGroupUsersEmpty)
	if got := must(e.core.GetGroupByID(ctx, g.ID)); got.Name != "g" || got.Tenant != ten {
		t.Fatalf("by id = %+v", got)
	}
	// A group of one tenant is not found through another.
	other, _ := e.tenant("other")
	_, err = e.core.GetGroup(ctx, other.UUID, g.ID)
	wantReason(t, "group of another tenant", err, errs.NotFound, core.ReasonGroupNotFound)
}

func errors_Is(err error, r core.Reason) bool { return err != nil && core.ReasonOf(err) == r }

// TestBucketPolicy_S3EqualsCore: a policy put through the S3 API is the
// bucket's policy in the core (ONTAP statements), and the reverse.
func TestBucketPolicy_S3EqualsCore(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	root := e.client(e.boot.Key)
	if _, err := root.CreateBucket(ctx, createBucket("pbk")); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, putInput("pbk", "a/1", "one")); err != nil {
		t.Fatal(err)
	}
	alice := e.client(e.user(ten, "alice"))
	_, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pbk")})
	wantCode(t, "no policy yet", err, "NoSuchBucketPolicy")

	awsPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadA","Effect":"Allow",
		"Principal":{"AWS":["arn:aws:iam:::user/alice"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::pbk/a/*"]}]}`
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pbk"), Policy: aws.String(awsPolicy)}); err != nil {
		t.Fatal(err)
	}
	b := must(e.core.GetBucket(ctx, ten, "pbk"))
	if b.Policy == nil {
		t.Fatal("policy put through S3 is not in the core")
	}
	st := policy.ToONTAP(*b.Policy)
	if len(st) != 1 || st[0].Sid != "ReadA" || st[0].Effect != "allow" || len(st[0].Principals) != 1 || st[0].Principals[0] != "alice" ||
		st[0].Resources[0] != "pbk/a/*" || st[0].Actions[0] != "GetObject" {
		t.Fatalf("ONTAP statements = %+v", st)
	}
	if got, err := read(t, alice, "pbk", "a/1"); err != nil || got != "one" {
		t.Fatalf("alice through the bucket policy: %q %v", got, err)
	}
	// Set through the core as ONTAP statements; S3 reads the same policy.
	doc := ontapDoc(t, `[{"sid":"DenyAll","effect":"deny","actions":["GetObject"],"principals":["alice"],"resources":["pbk/*"]},
		{"sid":"7","effect":"allow","actions":["GetObject"],"principals":["alice"],"resources":["pbk/*"]}]`)
	if _, err := e.core.UpdateBucket(ctx, ten, "pbk", core.BucketPatch{Policy: &doc}); err != nil {
		t.Fatal(err)
	}
	out, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pbk")})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := policy.ParseAWS([]byte(*out.Policy))
	if err != nil || len(parsed.Statements) != 2 || parsed.Statements[0].Sid != "DenyAll" {
		t.Fatalf("S3 view = %s (%v)", *out.Policy, err)
	}
	_, err = read(t, alice, "pbk", "a/1")
	wantCode(t, "deny in bucket policy wins", err, "AccessDenied")
	// A group policy's allow does not beat the bucket policy's deny.
	must(e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "all", Users: []string{"alice"}, Policies: []string{"FullAccess"}}))
	_, err = read(t, alice, "pbk", "a/1")
	wantCode(t, "deny beats group allow", err, "AccessDenied")

	// Delete through S3: gone in the core.
	if _, err := root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pbk")}); err != nil {
		t.Fatal(err)
	}
	if b := must(e.core.GetBucket(ctx, ten, "pbk")); b.Policy != nil {
		t.Fatal("policy still in the core")
	}
	if _, err := read(t, alice, "pbk", "a/1"); err != nil {
		t.Fatal("group FullAccess after the deny is gone:", err)
	}

	// Resource outside the bucket; malformed JSON; missing bucket.
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pbk"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`)})
	wantCode(t, "foreign resource", err, "MalformedPolicy")
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("pbk"), Policy: aws.String(`{not json`)})
	wantCode(t, "bad json", err, "MalformedPolicy")
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("nobucket"), Policy: aws.String(awsPolicy)})
	wantCode(t, "no bucket", err, "NoSuchBucket")
	// ONTAP limits and CIDR host bits through the core.
	var many []string
	for i := 0; i < 11; i++ {
		many = append(many, `{"effect":"allow","actions":["GetObject"],"resources":["pbk/*"]}`)
	}
	big := ontapDoc(t, "["+strings.Join(many, ",")+"]")
	_, err = e.core.UpdateBucket(ctx, ten, "pbk", core.BucketPatch{Policy: &big})
	wantReason(t, "11 statements", err, errs.MalformedPolicy, core.ReasonPolicyTooLarge)
	hostBits := policy.Document{Statements: []policy.Statement{{Effect: policy.EffectAllow, Actions: []string{"s3:GetObject"},
		Resources:  []string{"arn:aws:s3:::pbk/*"},
		Conditions: []policy.Condition{{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"10.1.2.3/8"}}}}}}
	_, err = e.core.UpdateBucket(ctx, ten, "pbk", core.BucketPatch{Policy: &hostBits})
	wantReason(t, "host bits", err, errs.MalformedPolicy, core.ReasonPolicyCIDRHostBits)
}

func TestBucketPolicy_sourceIP(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	root := e.client(e.boot.Key)
	if _, err := root.CreateBucket(ctx, createBucket("ipb")); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, putInput("ipb", "k", "v")); err != nil {
		t.Fatal(err)
	}
	alice := e.client(e.user(ten, "alice"))
	set := func(cidr string) {
		t.Helper()
		d := ontapDoc(t, `[{"effect":"allow","actions":["GetObject"],"principals":["alice"],"resources":["ipb/*"],
			"conditions":[{"operator":"ip_address","source_ips":["`+cidr+`"]}]}]`)
		if _, err := e.core.UpdateBucket(ctx, ten, "ipb", core.BucketPatch{Policy: &d}); err != nil {
			t.Fatal(err)
		}
	}
	set("127.0.0.0/8") // httptest listens on 127.0.0.1
	if _, err := read(t, alice, "ipb", "k"); err != nil {
		t.Fatal("from an allowed network:", err)
	}
	set("10.0.0.0/8")
	_, err := read(t, alice, "ipb", "k")
	wantCode(t, "from another network", err, "AccessDenied")
	// not_ip_address deny on top of a group allow.
	must(e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: ten, Name: "all", Users: []string{"alice"}, Policies: []string{"FullAccess"}}))
	d := ontapDoc(t, `[{"effect":"deny","actions":["*"],"resources":["ipb","ipb/*"],
		"conditions":[{"operator":"not_ip_address","source_ips":["192.168.0.0/16"]}]}]`)
	if _, err := e.core.UpdateBucket(ctx, ten, "ipb", core.BucketPatch{Policy: &d}); err != nil {
		t.Fatal(err)
	}
	_, err = read(t, alice, "ipb", "k")
	wantCode(t, "deny unless 192.168/16", err, "AccessDenied")
	if _, err := read(t, root, "ipb", "k"); err != nil {
		t.Fatal("root is not bound by bucket policies:", err)
	}
}

func TestServiceDisable(t *testing.T) {
	e := newEnv(t)
	ten := e.boot.Tenant.UUID
	root := e.client(e.boot.Key)
	if _, err := root.CreateBucket(ctx, createBucket("sdb")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.UpdateS3Service(ctx, ten, core.S3ServicePatch{Enabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	_, err := root.ListBuckets(ctx, nil)
	wantCode(t, "disabled: list", err, "AccessDenied")
	_, err = root.PutObject(ctx, putInput("sdb", "k", "v"))
	wantCode(t, "disabled: put", err, "AccessDenied")
	// A wrong secret still fails the signature first.
	bad := e.boot.Key
	bad.SecretKey = "wrong-secret-wrong"
	_, err = e.client(bad).ListBuckets(ctx, nil)
	wantCode(t, "disabled, wrong secret", err, "SignatureDoesNotMatch")
	if _, err := e.core.UpdateS3Service(ctx, ten, core.S3ServicePatch{Enabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutObject(ctx, putInput("sdb", "k", "v")); err != nil {
		t.Fatal("re-enabled:", err)
	}
	// A stopped tenant is disabled too.
	if _, err := e.core.UpdateTenant(ctx, ten, core.TenantPatch{State: ptr(core.TenantStopped)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.ListBuckets(ctx, nil)
	wantCode(t, "stopped tenant", err, "AccessDenied")
}

// TestIsolation: two tenants with a bucket of the same name, and a bucket
// only the other tenant has.
func TestIsolation(t *testing.T) {
	e := newEnv(t)
	a, aRootKey := e.tenant("svm-a")
	_, bRootKey := e.tenant("svm-b")
	aRoot, bRoot := e.client(aRootKey), e.client(bRootKey)
	for _, c := range []*s3.Client{aRoot, bRoot} {
		if _, err := c.CreateBucket(ctx, createBucket("shared")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bRoot.CreateBucket(ctx, createBucket("b-only")); err != nil {
		t.Fatal(err)
	}
	if _, err := aRoot.PutObject(ctx, putInput("shared", "k", "from-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := bRoot.PutObject(ctx, putInput("shared", "k", "from-b")); err != nil {
		t.Fatal(err)
	}
	if _, err := bRoot.PutObject(ctx, putInput("b-only", "secret", "b")); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, aRoot, "shared", "k"); got != "from-a" {
		t.Fatalf("a reads %q", got)
	}
	if got, _ := read(t, bRoot, "shared", "k"); got != "from-b" {
		t.Fatalf("b reads %q", got)
	}
	if got := bucketNames(t, aRoot); len(got) != 1 || got[0] != "shared" {
		t.Fatalf("a lists %v", got)
	}
	// A's root: B's bucket does not exist, exactly like a made-up name.
	_, err := read(t, aRoot, "b-only", "secret")
	wantCode(t, "a root on b-only", err, "NoSuchBucket")
	_, err = read(t, aRoot, "never-existed", "secret")
	wantCode(t, "a root on a made-up bucket", err, "NoSuchBucket")
	_, err = aRoot.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("b-only"), Policy: aws.String(
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-only/*"}]}`)})
	wantCode(t, "a root policy on b-only", err, "NoSuchBucket")
	// A's ordinary user with full rights in A: same answers; without rights:
	// AccessDenied for both names.
	aUser := e.client(e.user(a.UUID, "u"))
	_, err = read(t, aUser, "b-only", "secret")
	wantCode(t, "a user without rights on b-only", err, "AccessDenied")
	_, err = read(t, aUser, "never-existed", "secret")
	wantCode(t, "a user without rights on a made-up bucket", err, "AccessDenied")
	must(e.core.CreateGroup(ctx, core.CreateGroupInput{Tenant: a.UUID, Name: "full", Users: []string{"u"}, Policies: []string{"FullAccess"}}))
	_, err = read(t, aUser, "b-only", "secret")
	wantCode(t, "a user with rights on b-only", err, "NoSuchBucket")
	if got := bucketNames(t, aUser); len(got) != 1 || got[0] != "shared" {
		t.Fatalf("a user lists %v", got)
	}
	// Through the core: a bucket uuid of B is not found in A.
	bb := must(e.core.ListBuckets(ctx, ""))
	if len(bb) != 3 {
		t.Fatalf("cluster-wide buckets = %d", len(bb))
	}
	for _, b := range bb {
		if b.Name == "b-only" {
			_, err := e.core.GetBucketByUUID(ctx, a.UUID, b.UUID)
			wantReason(t, "b's uuid in a", err, errs.NoSuchBucket, "")
			got := must(e.core.GetBucketByID(ctx, b.ID))
			if got.UUID != b.UUID {
				t.Fatal("by id")
			}
		}
	}
}
