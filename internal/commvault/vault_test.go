package commvault

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The whole flow: log in, create a plan, users and a group, create a vault
// with the seed's body (owners, a group, this node as endpoint,
// rotateKeys), watch the endpoint job complete, fetch the keys, and use the
// vault over S3 at /S3: owners and group members hold the S3 User role,
// everyone else is refused.
func TestCreateVault_seedBody_fullFlow(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)

	// Keys the users had before: rotateKeys must invalidate them.
	oldOwnerAK, oldOwnerSK := n.keys(t, f.token, f.owner)

	r := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("vault-one", f.nodeID)).must(t, 200)
	clientID := r.num("response.entity.clientId")
	if clientID <= 0 || r.str("response.entity.clientName") != "vault-one" || r.str("response.errorCode") != "0" {
		t.Fatalf("create response: %s", r.Raw)
	}
	jobID := r.num("addEndpointJob.jobId")
	if jobID <= 0 || r.str("addEndpointJob.response.errorCode") != "NO_ERROR" {
		t.Fatalf("addEndpointJob: %s", r.Raw)
	}
	if r.num("response.warningCode") != 1 || !strings.Contains(r.str("response.warningMessage"), f.ownerName) {
		t.Fatalf("rotated keys not reported: %s", r.Raw)
	}
	j := n.waitJob(t, f.token, jobID)
	if s := j.str("jobs.0.jobSummary.status"); s != "Completed" {
		t.Fatalf("endpoint job: %s", j.Raw)
	}
	if j.num("jobs.0.jobSummary.percentComplete") != 100 || j.num("jobs.0.jobSummary.subclient.clientId") != clientID {
		t.Fatalf("endpoint job summary: %s", j.Raw)
	}

	// The old owner key stopped working at once.
	if _, err := n.s3client(oldOwnerAK, oldOwnerSK).ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("vault-one")}); s3code(err) != "InvalidAccessKeyId" {
		t.Fatalf("old owner key after rotateKeys: %v", err)
	}

	// Details: plan, versioning, owners, groups, endpoint.
	d := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", clientID), f.token, nil).must(t, 200)
	if d.num("plan.planId") != f.planID || d.str("versioning") != "ENABLED" || d.num("retentionPeriodDays") != 7 ||
		d.num("owners.0.userId") != f.owner || d.num("userGroups.0.userGroupId") != f.groupID ||
		d.num("cvs3Endpoints.0.clientId") != f.nodeID || d.str("cvs3Endpoints.0.status") != "active" {
		t.Fatalf("vault details: %s", d.Raw)
	}
	l := n.call(t, "GET", "/commandcenter/api/V4/cvS3Stores?hardRefresh=true&start=0&limit=100&fl=overview", f.token, nil).must(t, 200)
	if len(l.list("CVS3Stores")) != 1 || l.str("CVS3Stores.0.name") != "vault-one" || l.num("totalRecords") != 1 {
		t.Fatalf("list vaults: %s", l.Raw)
	}

	// Keys: the owner and the group member, and an outsider.
	ownerAK, ownerSK := n.keys(t, f.token, f.owner)
	memberAK, memberSK := n.keys(t, f.token, f.member)
	outAK, outSK := n.keys(t, f.token, f.outsider)
	owner, member, outsider := n.s3client(ownerAK, ownerSK), n.s3client(memberAK, memberSK), n.s3client(outAK, outSK)

	for who, c := range map[string]*s3.Client{"owner": owner, "member": member} {
		key := who + "/obj"
		if err := put(c, "vault-one", key, "data of "+who); err != nil {
			t.Fatalf("%s PutObject: %v", who, err)
		}
		if got, err := getBody(c, "vault-one", key); err != nil || got != "data of "+who {
			t.Fatalf("%s GetObject: %q %v", who, got, err)
		}
		if _, err := c.HeadBucket(bg, &s3.HeadBucketInput{Bucket: aws.String("vault-one")}); err != nil {
			t.Fatalf("%s HeadBucket: %v", who, err)
		}
		out, err := c.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("vault-one"), Prefix: aws.String(who + "/")})
		if err != nil || len(out.Contents) != 1 {
			t.Fatalf("%s ListObjectsV2: %v %v", who, out, err)
		}
		if _, err := c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String("vault-one"), Key: aws.String(key)}); err != nil {
			t.Fatalf("%s DeleteObject: %v", who, err)
		}
		// The role is put/get/list/delete and nothing else.
		if _, err := c.GetBucketPolicy(bg, &s3.GetBucketPolicyInput{Bucket: aws.String("vault-one")}); s3code(err) != "AccessDenied" {
			t.Fatalf("%s GetBucketPolicy: want AccessDenied, got %v", who, err)
		}
		if _, err := c.PutBucketVersioning(bg, &s3.PutBucketVersioningInput{Bucket: aws.String("vault-one"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); s3code(err) != "AccessDenied" {
			t.Fatalf("%s PutBucketVersioning: want AccessDenied, got %v", who, err)
		}
		if _, err := c.DeleteBucket(bg, &s3.DeleteBucketInput{Bucket: aws.String("vault-one")}); s3code(err) != "AccessDenied" {
			t.Fatalf("%s DeleteBucket: want AccessDenied, got %v", who, err)
		}
	}
	// A multipart upload works for a role holder.
	mp, err := owner.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("vault-one"), Key: aws.String("big")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	if _, err := owner.AbortMultipartUpload(bg, &s3.AbortMultipartUploadInput{Bucket: aws.String("vault-one"),
		Key: aws.String("big"), UploadId: mp.UploadId}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	// Everyone else is refused.
	if err := put(outsider, "vault-one", "x", "no"); s3code(err) != "AccessDenied" {
		t.Fatalf("outsider PutObject: want AccessDenied, got %v", err)
	}
	if _, err := getBody(outsider, "vault-one", "member/obj"); s3code(err) != "AccessDenied" {
		t.Fatalf("outsider GetObject: want AccessDenied, got %v", err)
	}
	if _, err := outsider.ListObjectsV2(bg, &s3.ListObjectsV2Input{Bucket: aws.String("vault-one")}); s3code(err) != "AccessDenied" {
		t.Fatalf("outsider ListObjectsV2: want AccessDenied, got %v", err)
	}

	// A user's one key pair works on every vault it holds a role on.
	r2 := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, map[string]any{
		"bucket": map[string]any{"clientName": "vault-two"}, "plan": map[string]any{"planId": f.planID, "planName": f.planName},
		"owners": []any{map[string]any{"userId": f.owner, "userName": f.ownerName}}}).must(t, 200)
	if r2.get("addEndpointJob") != nil || r2.num("response.warningCode") != 0 {
		t.Fatalf("a vault without endpoints and with keyed owners: %s", r2.Raw)
	}
	if err := put(owner, "vault-two", "k", "v"); err != nil {
		t.Fatalf("owner PutObject on a second vault with the same key: %v", err)
	}
	if err := put(owner, "vault-one", "k", "v"); err != nil {
		t.Fatalf("owner PutObject on the first vault: %v", err)
	}
	if err := put(member, "vault-two", "k", "v"); s3code(err) != "AccessDenied" {
		t.Fatalf("member on a vault of which its group holds no role: %v", err)
	}
}

// Group members added after the vault was created hold the role too: the
// role names the group.
func TestCreateVault_groupMemberAddedLater(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("vault-late")).must(t, 200)
	ak, sk := n.keys(t, f.token, f.outsider)
	c := n.s3client(ak, sk)
	if err := put(c, "vault-late", "k", "v"); s3code(err) != "AccessDenied" {
		t.Fatalf("before joining the group: %v", err)
	}
	n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/V4/UserGroup/%d", f.groupID), f.token,
		map[string]any{"users": []any{map[string]any{"id": f.outsider}}, "userOperationType": "ADD"}).must(t, 200)
	if err := put(c, "vault-late", "k", "v"); err != nil {
		t.Fatalf("after joining the group: %v", err)
	}
	n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/V4/UserGroup/%d", f.groupID), f.token,
		map[string]any{"users": []any{map[string]any{"name": f.outsiderName}}, "userOperationType": "DELETE"}).must(t, 200)
	if err := put(c, "vault-late", "k", "v"); s3code(err) != "AccessDenied" {
		t.Fatalf("after leaving the group: %v", err)
	}
}

// An owner without S3 keys (an ONTAP user whose keys were deleted) gets
// keys at vault creation.
func TestCreateVault_ownerWithoutKeysGetsKeys(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	tn, err := e.core.GetTenantByName(bg, "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.core.DeleteKeys(bg, tn.UUID, f.ownerName, 0); err != nil {
		t.Fatal(err)
	}
	n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/User/%d/S3AccessKey", f.owner), f.token, nil).mustError(t, 404, "VALUE_NOT_FOUND")
	body := f.seedBody("vault-keys")
	body["rotateKeys"] = false
	r := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, body).must(t, 200)
	if r.num("response.warningCode") != 1 {
		t.Fatalf("issued key not reported: %s", r.Raw)
	}
	g := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/User/%d/S3AccessKey", f.owner), f.token, nil).must(t, 200)
	if g.str("accessKeyID") == "" || g.get("secretAccessKey") != nil {
		t.Fatalf("GET key: %s", g.Raw)
	}
}

// Paths are case-insensitive and /webconsole/api serves the same API.
func TestRouting_caseInsensitiveAndBothRoots(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	n.call(t, "POST", "/commandcenter/api/v4/cvs3store", f.token, f.seedBody("vault-lower")).must(t, 200)
	n.call(t, "GET", "/WebConsole/API/V4/CVS3STORES", f.token, nil).must(t, 200)
	n.call(t, "GET", "/webconsole/api/v4/Plan/summary", f.token, nil).must(t, 200)
	r := n.call(t, "DELETE", "/commandcenter/api/V4/cvs3stores", f.token, nil).mustError(t, 405, int(codeInvalidOperationType))
	if r.Header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", r.Header.Get("Allow"))
	}
	n.call(t, "GET", "/commandcenter/api/V4/NoSuchThing", f.token, nil).mustError(t, 404, "VALUE_NOT_FOUND")
	n.call(t, "GET", "/commandcenter/api/V4/NoSuchThing", "", nil).mustError(t, 401, int(codeInvalidUser))
}
