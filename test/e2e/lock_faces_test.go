package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Object Lock through the management faces, against the built binary: a
// locked bucket created through ONTAP (retention compliance P1D) and a
// vault of a Commvault plan with the WORM storage lock, each written by
// an S3 client, and neither's versions removable by an administrator.

func TestLockFaces_ontapComplianceBucket(t *testing.T) {
	t.Parallel() // an SVM and bucket of its own
	o := ontapAPI(t)
	s := o.mkSVM(t)
	name := ontapName(t, "lk")
	uuid := o.mkBucket(t, s.UUID, name, map[string]any{"retention": map[string]any{"mode": "compliance", "default_period": "P1D"}})
	path := "/api/protocols/s3/services/" + s.UUID + "/buckets/" + uuid

	g := o.do(t, "GET", path+"?fields=retention,versioning_state", nil).must(t, 200)
	if g.str("retention.mode") != "compliance" || g.str("retention.default_period") != "P1D" || g.str("versioning_state") != "enabled" {
		t.Fatalf("GET of a locked bucket: %s", g.Raw)
	}
	// The mode is chosen at creation.
	o.do(t, "PATCH", path+"?return_timeout=30", map[string]any{"retention": map[string]any{"mode": "governance"}}).
		mustError(t, 400, "2", "retention.mode")
	o.do(t, "POST", "/api/protocols/s3/services/"+s.UUID+"/buckets?return_timeout=30",
		map[string]any{"name": ontapName(t, "bad"), "retention": map[string]any{"default_period": "P1D"}}).
		mustError(t, 400, "92406165", "retention.default_period")
	o.do(t, "POST", "/api/protocols/s3/services/"+s.UUID+"/buckets?return_timeout=30",
		map[string]any{"name": ontapName(t, "bad"), "retention": map[string]any{"mode": "compliance", "default_period": "P1Y2D"}}).
		mustError(t, 400, "262197", "retention.default_period")

	// S3 sees the same configuration; the aws CLI writes a version, which
	// gets the default retention.
	c := s3As(t, s.RootAK, s.RootSK)
	cfg, err := c.GetObjectLockConfiguration(ctxT(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(name)})
	if err != nil || cfg.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled ||
		cfg.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeCompliance ||
		aws.ToInt32(cfg.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 1 {
		t.Fatalf("GetObjectLockConfiguration: %+v %v", cfg, err)
	}
	file := writeTemp(t, "backup", []byte("backup data"))
	out, stderr, err := awsCLIAs(t, s.RootAK, s.RootSK, "s3api", "put-object", "--bucket", name, "--key", "backup/1", "--body", file)
	if err != nil {
		t.Fatalf("aws s3api put-object: %v %s", err, stderr)
	}
	vid := jsonField(t, out, "VersionId")
	h, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String("backup/1"), VersionId: aws.String(vid)})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeCompliance || time.Until(aws.ToTime(h.ObjectLockRetainUntilDate)) < 23*time.Hour {
		t.Fatalf("the version's lock: %+v %v", h, err)
	}

	// ONTAP's DELETE of the bucket: the job fails, saying why.
	d := o.do(t, "DELETE", path, nil).must(t, 202)
	j := o.waitJob(t, jobUUID(t, d, ""))
	if j.str("state") != "failure" || j.str("error.code") != "92405779" || !strings.Contains(j.str("message"), "object locking") {
		t.Fatalf("DELETE job of a locked bucket: %s", j.Raw)
	}
	// Nor can the root user delete the version.
	if _, stderr, err := awsCLIAs(t, s.RootAK, s.RootSK, "s3api", "delete-object", "--bucket", name, "--key", "backup/1",
		"--version-id", vid, "--bypass-governance-retention"); err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("delete-object of the locked version: %v %s", err, stderr)
	}
	data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(name), Key: aws.String("backup/1"), VersionId: aws.String(vid)})
	mustEqualBytes(t, "locked version after the ONTAP DELETE", data, []byte("backup data"))
	o.do(t, "GET", path, nil).must(t, 200)
}

func TestLockFaces_commvaultWORMPlan(t *testing.T) {
	cv := cvAPI(t)
	f := cv.fixture(t)
	r := cv.do(t, "POST", "/V4/ServerPlan", map[string]any{"planName": "worm-" + randHex(4), "backupDestinations": []any{
		map[string]any{"backupDestinationName": "Primary", "retentionPeriodDays": 1,
			"storagePool": map[string]any{"name": "worm-pool", "isWormStorage": true}}}}).must(t, 200)
	plan := r.num("plan.id")
	p := cv.do(t, "GET", fmt.Sprintf("/V4/ServerPlan/%d", plan), nil).must(t, 200)
	if p.str("isWormStorage") != "true" || p.num("backupDestinations.0.storagePool.wormStorageFlag") != 7 {
		t.Fatalf("WORM plan: %s", p.Raw)
	}

	vault := "cv-worm-" + randHex(6)
	body := f.seedBody(vault)
	body["plan"] = map[string]any{"planId": plan}
	id := cv.do(t, "POST", "/V4/CVS3Store", body).must(t, 200).num("response.entity.clientId")
	vd := cv.do(t, "GET", fmt.Sprintf("/V4/CVS3Store/%d", id), nil).must(t, 200)
	if vd.str("isWormStorage") != "true" || vd.str("objectLock.mode") != "COMPLIANCE" || vd.num("objectLock.defaultRetentionDays") != 1 {
		t.Fatalf("WORM vault: %s", vd.Raw)
	}

	// The owner writes with aws-sdk-go-v2 (its default CRC32 checksum
	// satisfies Object Lock's integrity rule).
	ak, sk := cv.keys(t, f.owner)
	c := s3As(t, ak, sk)
	put, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(vault), Key: aws.String("chunk"), Body: strings.NewReader("worm data")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(vault), Key: aws.String("chunk"), VersionId: put.VersionId})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeCompliance {
		t.Fatalf("the version's lock: %+v %v", h, err)
	}

	// A forced vault delete is refused; the version is intact.
	cv.do(t, "DELETE", fmt.Sprintf("/V4/CVS3Store/%d?forceDelete=true", id), nil).mustError(t, 409, 7)
	data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(vault), Key: aws.String("chunk"), VersionId: put.VersionId})
	mustEqualBytes(t, "locked version after a forced delete", data, []byte("worm data"))

	// The plan's retention: lowered is refused, raised is applied.
	dest := fmt.Sprintf("/V4/ServerPlan/%d/BackupDestination/1", plan)
	cv.do(t, "PUT", dest, map[string]any{"retentionPeriodDays": 1}).must(t, 200) // unchanged: fine
	// A plan without the lock goes down freely.
	cv.do(t, "PUT", fmt.Sprintf("/V4/ServerPlan/%d/BackupDestination/1", f.planID), map[string]any{"retentionPeriodDays": 1}).must(t, 200)
	raised := cv.do(t, "PUT", dest, map[string]any{"retentionPeriodDays": 3}).must(t, 200)
	if raised.num("errorCode") != 0 {
		t.Fatalf("raise: %s", raised.Raw)
	}
	lowered := cv.do(t, "PUT", dest, map[string]any{"retentionPeriodDays": 2}).mustError(t, 400, 7)
	if !strings.Contains(lowered.str("errorMessage"), "lowered") {
		t.Fatalf("lowering message: %s", lowered.Raw)
	}
	vd = cv.do(t, "GET", fmt.Sprintf("/V4/CVS3Store/%d", id), nil).must(t, 200)
	if vd.num("retentionPeriodDays") != 3 || vd.num("objectLock.defaultRetentionDays") != 3 {
		t.Fatalf("vault after raising the plan: %s", vd.Raw)
	}
	cv.do(t, "PUT", dest, map[string]any{"isWormStorage": false}).mustError(t, 400, 7)
	cfg, err := c.GetObjectLockConfiguration(ctxT(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String(vault)})
	if err != nil || aws.ToInt32(cfg.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 3 {
		t.Fatalf("the vault's lock configuration over S3: %+v %v", cfg, err)
	}
}
