package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ACLs, object ownership and public access, against the built binary:
// aws-sdk-go-v2, the aws CLI, boto3 and anonymous curl. Each test runs in a
// tenant of its own (an ONTAP SVM) with a non-root user made through the
// ONTAP API.

type aclEnv struct {
	ontap     *ontapClient
	svm       ontapSVM
	root, bob *s3.Client
	bobAK     string
	bobSK     string
	// rootID and bobID are the canonical ids ListBuckets shows.
	rootID, bobID string
}

func newACLEnv(t *testing.T) *aclEnv {
	t.Helper()
	e := &aclEnv{ontap: ontapAPI(t)}
	e.svm = e.ontap.mkSVM(t)
	e.root = s3As(t, e.svm.RootAK, e.svm.RootSK)
	e.bobAK, e.bobSK = e.ontap.mkUser(t, e.svm.UUID, "bob")
	e.bob = s3As(t, e.bobAK, e.bobSK)
	e.rootID = e.ownerOf(t, e.root, "root")
	e.bobID = e.ownerOf(t, e.bob, "bob")
	if e.rootID == e.bobID {
		t.Fatalf("root and bob share the canonical id %s", e.rootID)
	}
	return e
}

// ownerOf is the canonical id ListBuckets shows for c, checked to be 64 hex
// digits with the user's name as display name.
func (e *aclEnv) ownerOf(t *testing.T, c *s3.Client, name string) string {
	t.Helper()
	out, err := c.ListBuckets(ctxT(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets as %s: %v", name, err)
	}
	id := aws.ToString(out.Owner.ID)
	if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" || aws.ToString(out.Owner.DisplayName) != name {
		t.Fatalf("ListBuckets owner for %s: %q %q", name, id, aws.ToString(out.Owner.DisplayName))
	}
	return id
}

func (e *aclEnv) bucket(t *testing.T, ownership types.ObjectOwnership) string {
	t.Helper()
	b := "acl-" + randHex(12)
	in := &s3.CreateBucketInput{Bucket: aws.String(b)}
	if ownership != "" {
		in.ObjectOwnership = ownership
	}
	if _, err := e.root.CreateBucket(ctxT(t), in); err != nil {
		t.Fatalf("CreateBucket %s: %v", b, err)
	}
	return b
}

func grantsOf(t *testing.T, c *s3.Client, bucket, key string) (owner string, grants []string) {
	t.Helper()
	var o *types.Owner
	var gs []types.Grant
	if key == "" {
		out, err := c.GetBucketAcl(ctxT(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("GetBucketAcl: %v", err)
		}
		o, gs = out.Owner, out.Grants
	} else {
		out, err := c.GetObjectAcl(ctxT(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObjectAcl: %v", err)
		}
		o, gs = out.Owner, out.Grants
	}
	for _, g := range gs {
		who := aws.ToString(g.Grantee.ID) + aws.ToString(g.Grantee.URI)
		grants = append(grants, who+"="+string(g.Permission))
	}
	return aws.ToString(o.ID), grants
}

func TestACL_ownershipDefaultsAndControls(t *testing.T) {
	t.Parallel()
	e := newACLEnv(t)
	ctx := ctxT(t)
	b := e.bucket(t, "")
	oc, err := e.root.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b)})
	if err != nil || len(oc.OwnershipControls.Rules) != 1 || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("new bucket's ownership: %+v %v", oc, err)
	}
	pab, err := e.root.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b)})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicAcls) || !aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Fatalf("new bucket's public access block: %+v %v", pab, err)
	}
	// ACLs disabled: only owner-only ACLs are accepted.
	_, err = e.root.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPublicRead})
	wantErr(t, "PutBucketAcl public-read with BucketOwnerEnforced", err, "AccessControlListNotSupported", 400)
	if _, err := e.root.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("PutBucketAcl private with BucketOwnerEnforced: %v", err)
	}
	_, err = e.root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	wantErr(t, "PutObject public-read with BucketOwnerEnforced", err, "AccessControlListNotSupported", 400)
	if _, err := e.bob.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")}); err == nil {
		t.Fatal("bob wrote without any grant or policy")
	}
	if _, err := e.root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x"),
		ACL: types.ObjectCannedACLBucketOwnerFullControl}); err != nil {
		t.Fatalf("PutObject bucket-owner-full-control with BucketOwnerEnforced: %v", err)
	}
	if owner, grants := grantsOf(t, e.root, b, "k"); owner != e.rootID || len(grants) != 1 || grants[0] != e.rootID+"=FULL_CONTROL" {
		t.Fatalf("object ACL with ACLs disabled: %s %v", owner, grants)
	}
	_, err = e.root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl-" + randHex(12)), ACL: types.BucketCannedACLPublicRead})
	wantErr(t, "CreateBucket public-read (BucketOwnerEnforced)", err, "InvalidBucketAclWithObjectOwnership", 400)

	// Changing the setting, then deleting it: ObjectWriter behaviour, no configuration shown.
	if _, err := e.root.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}}}}); err != nil {
		t.Fatal(err)
	}
	oc, err = e.root.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b)})
	if err != nil || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerPreferred {
		t.Fatalf("after PutBucketOwnershipControls: %+v %v", oc, err)
	}
	if _, err := e.root.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.root.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b)})
	wantErr(t, "GetBucketOwnershipControls after delete", err, "OwnershipControlsNotFoundError", 404)
	if _, err := e.root.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), GrantRead: aws.String(`id="` + e.bobID + `"`)}); err != nil {
		t.Fatalf("PutBucketAcl after ownership controls were deleted: %v", err)
	}
	// Disabling ACLs while the ACL grants someone else is refused.
	_, err = e.root.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
	wantErr(t, "BucketOwnerEnforced over a granting ACL", err, "InvalidBucketAclWithObjectOwnership", 400)
}

func TestACL_grantsByCanonicalID(t *testing.T) {
	t.Parallel()
	e := newACLEnv(t)
	ctx := ctxT(t)
	b := e.bucket(t, types.ObjectOwnershipObjectWriter)
	if _, err := e.root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), Body: strings.NewReader("secret")}); err != nil {
		t.Fatal(err)
	}
	if owner, grants := grantsOf(t, e.root, b, ""); owner != e.rootID || len(grants) != 1 || grants[0] != e.rootID+"=FULL_CONTROL" {
		t.Fatalf("default bucket ACL: %s %v", owner, grants)
	}
	_, err := get(t, e.bob, b, "doc")
	wantErr(t, "bob reads without a grant", err, "AccessDenied", 403)

	// An object grant by canonical id lets bob read that object.
	if _, err := e.root.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("doc"),
		GrantRead: aws.String(`id="` + e.bobID + `"`), GrantFullControl: aws.String("id=" + e.rootID)}); err != nil {
		t.Fatalf("PutObjectAcl: %v", err)
	}
	if data, err := get(t, e.bob, b, "doc"); err != nil || string(data) != "secret" {
		t.Fatalf("bob reads with a READ grant: %q %v", data, err)
	}
	_, err = e.bob.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("doc")})
	wantErr(t, "bob reads the ACL without READ_ACP", err, "AccessDenied", 403)
	if err := put(t, e.bob, b, "bobs", []byte("b")); err == nil {
		t.Fatal("bob wrote without WRITE on the bucket")
	}

	// A bucket grant (XML body with display names ignored) lets bob write and list.
	_, err = e.root.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String(e.rootID)},
		Grants: []types.Grant{
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(e.rootID)}, Permission: types.PermissionFullControl},
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(e.bobID)}, Permission: types.PermissionWrite},
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(e.bobID)}, Permission: types.PermissionRead},
		}}})
	if err != nil {
		t.Fatalf("PutBucketAcl XML: %v", err)
	}
	awaitCoherence()
	if err := put(t, e.bob, b, "bobs", []byte("b")); err != nil {
		t.Fatalf("bob writes with WRITE: %v", err)
	}
	_, grants := grantsOf(t, e.root, b, "")
	if strings.Join(grants, " ") != e.rootID+"=FULL_CONTROL "+e.bobID+"=WRITE "+e.bobID+"=READ" {
		t.Fatalf("bucket grants: %v", grants)
	}
	// ObjectWriter: bob owns what he wrote, and the owner shows the same id
	// and name everywhere.
	lo, err := e.bob.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatalf("bob lists with READ: %v", err)
	}
	owners := map[string]string{}
	for _, o := range lo.Contents {
		owners[aws.ToString(o.Key)] = aws.ToString(o.Owner.ID) + "/" + aws.ToString(o.Owner.DisplayName)
	}
	if owners["doc"] != e.rootID+"/root" || owners["bobs"] != e.bobID+"/bob" {
		t.Fatalf("ListObjectsV2 owners: %v", owners)
	}
	if owner, grants := grantsOf(t, e.bob, b, "bobs"); owner != e.bobID || len(grants) != 1 {
		t.Fatalf("bob's object ACL: %s %v", owner, grants)
	}
	lv, err := e.root.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range lv.Versions {
		want := map[string]string{"doc": e.rootID, "bobs": e.bobID}[aws.ToString(v.Key)]
		if aws.ToString(v.Owner.ID) != want {
			t.Fatalf("ListObjectVersions owner of %s: %s", aws.ToString(v.Key), aws.ToString(v.Owner.ID))
		}
	}
	up, err := e.bob.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	if err != nil {
		t.Fatalf("bob starts an upload with WRITE: %v", err)
	}
	mu, err := e.root.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	if err != nil || len(mu.Uploads) != 1 || aws.ToString(mu.Uploads[0].Initiator.ID) != e.bobID ||
		aws.ToString(mu.Uploads[0].Owner.DisplayName) != "bob" {
		t.Fatalf("ListMultipartUploads initiator: %+v %v", mu, err)
	}
	lp, err := e.root.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId})
	if err != nil || aws.ToString(lp.Owner.ID) != e.bobID || aws.ToString(lp.Initiator.DisplayName) != "bob" {
		t.Fatalf("ListParts owner: %+v %v", lp, err)
	}
	if _, err := e.root.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId}); err != nil {
		t.Fatal(err)
	}
	// The root user reads everything in its tenant, ACLs or not.
	if _, err := get(t, e.root, b, "bobs"); err != nil {
		t.Fatalf("root reads bob's object: %v", err)
	}
	// An explicit Deny in the bucket policy wins over the ACL grant.
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + "111122223333" +
		`:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*"}]}`
	if _, err := e.root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(pol)}); err != nil {
		t.Fatalf("PutBucketPolicy deny: %v", err)
	}
	_, err = get(t, e.bob, b, "doc")
	wantErr(t, "bob reads with a grant and a Deny", err, "AccessDenied", 403)

	// Grants AWS refuses.
	_, err = e.root.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("doc"), GrantRead: aws.String(`emailAddress="bob@example.com"`)})
	wantErr(t, "grant by e-mail", err, "UnresolvableGrantByEmailAddress", 400)
	_, err = e.root.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("doc"), GrantRead: aws.String("id=" + strings.Repeat("0", 64))})
	wantErr(t, "grant to an unknown id", err, "InvalidArgument", 400)
	_, err = e.root.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("doc"), GrantRead: aws.String(`uri="http://example.com/group"`)})
	wantErr(t, "grant to an unknown group", err, "InvalidArgument", 400)
	var many []types.Grant
	for range 101 {
		many = append(many, types.Grant{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(e.bobID)}, Permission: types.PermissionRead})
	}
	_, err = e.root.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String(e.rootID)}, Grants: many}})
	wantErr(t, "101 grants", err, "MalformedACLError", 400)

	// Disabling ACLs gives every object to the bucket owner, in listings
	// and ACLs alike.
	if _, err := e.root.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.root.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}}); err != nil {
		t.Fatalf("BucketOwnerEnforced over a private ACL: %v", err)
	}
	if _, err := e.root.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, e.bob, b, "doc"); err != nil {
		t.Fatalf("bob reads by his READ grant once the Deny is gone: %v", err)
	}
	if _, err := e.root.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}}); err != nil {
		t.Fatal(err)
	}
	lo, err = e.root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range lo.Contents {
		if aws.ToString(o.Owner.ID) != e.rootID {
			t.Fatalf("owner of %s with BucketOwnerEnforced: %s", aws.ToString(o.Key), aws.ToString(o.Owner.ID))
		}
	}
	if owner, _ := grantsOf(t, e.root, b, "bobs"); owner != e.rootID {
		t.Fatalf("GetObjectAcl owner with BucketOwnerEnforced: %s", owner)
	}
	_, err = get(t, e.bob, b, "doc")
	wantErr(t, "bob reads by his READ grant with ACLs disabled", err, "AccessDenied", 403)
}

func anonGet(t *testing.T, url string) int {
	t.Helper()
	code, _ := curl(t, url)
	return code
}

func TestACL_publicAccess_anonymousCurl(t *testing.T) {
	t.Parallel()
	e := newACLEnv(t)
	ctx := ctxT(t)
	ak, sk := e.svm.RootAK, e.svm.RootSK
	cli := func(args ...string) (string, error) {
		out, errOut, err := awsCLIAs(t, ak, sk, args...)
		if err != nil {
			return errOut, err
		}
		return out, nil
	}
	mustCLI := func(args ...string) string {
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return out
	}
	b := e.bucket(t, types.ObjectOwnershipObjectWriter)
	url := suite.endpoint + "/" + b
	for _, k := range []string{"pub", "priv"} {
		if err := put(t, e.root, b, k, []byte("data-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if code := anonGet(t, url+"/pub"); code != 403 {
		t.Fatalf("anonymous GET of a private object: %d", code)
	}
	// New buckets block public ACLs.
	if out, err := cli("s3api", "put-object-acl", "--bucket", b, "--key", "pub", "--acl", "public-read"); err == nil || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("public ACL with BlockPublicAcls: %v %s", err, out)
	}
	mustCLI("s3api", "put-public-access-block", "--bucket", b, "--public-access-block-configuration",
		"BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false")
	mustCLI("s3api", "put-object-acl", "--bucket", b, "--key", "pub", "--grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers")
	if code := anonGet(t, url+"/pub"); code != 200 {
		t.Fatalf("anonymous GET of a public-read object: %d", code)
	}
	if code := anonGet(t, url+"/priv"); code != 403 {
		t.Fatalf("anonymous GET of its private neighbour: %d", code)
	}
	if code := anonGet(t, url); code != 403 {
		t.Fatalf("anonymous ListObjects without a public bucket ACL: %d", code)
	}
	mustCLI("s3api", "put-bucket-acl", "--bucket", b, "--acl", "public-read")
	if code := anonGet(t, url); code != 200 {
		t.Fatalf("anonymous ListObjects with a public-read bucket: %d", code)
	}
	if code := anonGet(t, suite.endpoint+"/"); code != 403 {
		t.Fatalf("anonymous ListBuckets: %d", code)
	}
	// IgnorePublicAcls: the grants stay, and are ignored.
	mustCLI("s3api", "put-public-access-block", "--bucket", b, "--public-access-block-configuration", "IgnorePublicAcls=true")
	if code := anonGet(t, url+"/pub"); code != 403 {
		t.Fatalf("anonymous GET with IgnorePublicAcls: %d", code)
	}
	out := mustCLI("s3api", "get-public-access-block", "--bucket", b)
	if !strings.Contains(out, `"IgnorePublicAcls": true`) || !strings.Contains(out, `"BlockPublicAcls": false`) {
		t.Fatalf("get-public-access-block: %s", out)
	}

	// A public policy: refused while BlockPublicPolicy is on, then anonymous reads.
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/priv"}]}`
	mustCLI("s3api", "put-public-access-block", "--bucket", b, "--public-access-block-configuration", "BlockPublicPolicy=true,IgnorePublicAcls=true")
	if out, err := cli("s3api", "put-bucket-policy", "--bucket", b, "--policy", pol); err == nil || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("public policy with BlockPublicPolicy: %v %s", err, out)
	}
	// A policy naming users of the tenant is not public.
	userPol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/priv"}]}`
	mustCLI("s3api", "put-bucket-policy", "--bucket", b, "--policy", userPol)
	if out := mustCLI("s3api", "get-bucket-policy-status", "--bucket", b); !strings.Contains(out, `"IsPublic": false`) {
		t.Fatalf("policy status of a user policy: %s", out)
	}
	if data, err := get(t, e.bob, b, "priv"); err != nil || string(data) != "data-priv" {
		t.Fatalf("bob reads through a user policy with BlockPublicPolicy on: %v", err)
	}
	mustCLI("s3api", "put-public-access-block", "--bucket", b, "--public-access-block-configuration", "IgnorePublicAcls=true")
	mustCLI("s3api", "put-bucket-policy", "--bucket", b, "--policy", pol)
	if out := mustCLI("s3api", "get-bucket-policy-status", "--bucket", b); !strings.Contains(out, `"IsPublic": true`) {
		t.Fatalf("policy status of a public policy: %s", out)
	}
	if code := anonGet(t, url+"/priv"); code != 200 {
		t.Fatalf("anonymous GET through a public policy: %d", code)
	}
	// RestrictPublicBuckets: no anonymous access through the public
	// policy; users of the tenant still have it.
	mustCLI("s3api", "put-public-access-block", "--bucket", b, "--public-access-block-configuration", "RestrictPublicBuckets=true")
	if code := anonGet(t, url+"/priv"); code != 403 {
		t.Fatalf("anonymous GET with RestrictPublicBuckets: %d", code)
	}
	if _, err := get(t, e.bob, b, "priv"); err != nil {
		t.Fatalf("bob through the public policy with RestrictPublicBuckets: %v", err)
	}
	mustCLI("s3api", "delete-public-access-block", "--bucket", b)
	if out, err := cli("s3api", "get-public-access-block", "--bucket", b); err == nil || !strings.Contains(out, "NoSuchPublicAccessBlockConfiguration") {
		t.Fatalf("get-public-access-block after delete: %v %s", err, out)
	}
	if code := anonGet(t, url+"/priv"); code != 200 {
		t.Fatalf("anonymous GET with the block deleted: %d", code)
	}
	// A name two tenants share is not served anonymously.
	other := e.ontap.mkSVM(t)
	if _, err := s3As(t, other.RootAK, other.RootSK).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("same bucket name in another tenant: %v", err)
	}
	if code := anonGet(t, url+"/priv"); code != 403 {
		t.Fatalf("anonymous GET of an ambiguous bucket name: %d", code)
	}
}

func TestACL_ownershipBucketOwnerPreferred_cli(t *testing.T) {
	t.Parallel()
	e := newACLEnv(t)
	b := e.bucket(t, "")
	ak, sk := e.svm.RootAK, e.svm.RootSK
	run := func(args ...string) string {
		out, errOut, err := awsCLIAs(t, ak, sk, args...)
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, errOut)
		}
		return out
	}
	run("s3api", "put-bucket-ownership-controls", "--bucket", b, "--ownership-controls", "Rules=[{ObjectOwnership=BucketOwnerPreferred}]")
	var oc struct {
		OwnershipControls struct {
			Rules []struct{ ObjectOwnership string }
		}
	}
	if err := json.Unmarshal([]byte(run("s3api", "get-bucket-ownership-controls", "--bucket", b)), &oc); err != nil ||
		len(oc.OwnershipControls.Rules) != 1 || oc.OwnershipControls.Rules[0].ObjectOwnership != "BucketOwnerPreferred" {
		t.Fatalf("get-bucket-ownership-controls: %+v %v", oc, err)
	}
	// bob may write by a bucket grant; with bucket-owner-full-control the
	// bucket owner (root) owns his object.
	run("s3api", "put-bucket-acl", "--bucket", b, "--grant-write", "id="+e.bobID, "--grant-full-control", "id="+e.rootID)
	if _, errOut, err := awsCLIAs(t, e.bobAK, e.bobSK, "s3api", "put-object", "--bucket", b, "--key", "given",
		"--acl", "bucket-owner-full-control"); err != nil {
		t.Fatalf("bob put-object: %v %s", err, errOut)
	}
	if _, errOut, err := awsCLIAs(t, e.bobAK, e.bobSK, "s3api", "put-object", "--bucket", b, "--key", "kept"); err != nil {
		t.Fatalf("bob put-object: %v %s", err, errOut)
	}
	if owner, _ := grantsOf(t, e.root, b, "given"); owner != e.rootID {
		t.Fatalf("owner of an object written with bucket-owner-full-control: %s", owner)
	}
	if owner, _ := grantsOf(t, e.root, b, "kept"); owner != e.bobID {
		t.Fatalf("owner of an object written without it: %s", owner)
	}
	var acl struct {
		Owner  struct{ ID, DisplayName string }
		Grants []struct {
			Grantee    struct{ ID, DisplayName, Type string }
			Permission string
		}
	}
	if err := json.Unmarshal([]byte(run("s3api", "get-bucket-acl", "--bucket", b)), &acl); err != nil {
		t.Fatal(err)
	}
	if acl.Owner.ID != e.rootID || acl.Owner.DisplayName != "root" || len(acl.Grants) != 2 ||
		acl.Grants[0].Grantee.DisplayName != "bob" || acl.Grants[0].Permission != "WRITE" {
		t.Fatalf("get-bucket-acl: %+v", acl)
	}
}

func TestACL_boto3(t *testing.T) {
	t.Parallel()
	b := "acl-boto-" + randHex(10)
	out := runPython(t, "testdata/acl_boto3.py", b)
	if !strings.Contains(out, "OK") {
		t.Fatalf("boto3 ACL script: %s", out)
	}
	// The script leaves a public-read object behind: anonymous curl reads it.
	code, body := curl(t, suite.endpoint+"/"+b+"/public.txt")
	if code != 200 || string(body) != "hello" {
		t.Fatalf("anonymous GET of boto3's public-read object: %d %q", code, body)
	}
	destroyBucket(t.Logf, s3c(t), b)
}

// Object ACLs belong to one version: a grant on an older version lets bob
// read that version only.
func TestACL_perVersion(t *testing.T) {
	t.Parallel()
	e := newACLEnv(t)
	ctx := ctxT(t)
	b := e.bucket(t, types.ObjectOwnershipObjectWriter)
	if _, err := e.root.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var vids []string
	for _, body := range []string{"one", "two"} {
		out, err := e.root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		vids = append(vids, aws.ToString(out.VersionId))
	}
	if _, err := e.root.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(vids[0]),
		GrantRead: aws.String("id=" + e.bobID)}); err != nil {
		t.Fatalf("PutObjectAcl on the first version: %v", err)
	}
	data, _ := getBytes(t, e.bob, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(vids[0])})
	if string(data) != "one" {
		t.Fatalf("bob reads the granted version: %q", data)
	}
	_, err := get(t, e.bob, b, "k")
	wantErr(t, "bob reads the latest version", err, "AccessDenied", 403)
	out, err := e.root.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(vids[1])})
	if err != nil || len(out.Grants) != 1 {
		t.Fatalf("latest version's ACL: %+v %v", out, err)
	}
}
