package commvault

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The WORM storage lock on a plan: its vaults get Object Lock in
// Compliance mode with the plan's retention, the retention is raised but
// never lowered, the lock is shown in plan, pool and vault details, and
// nothing (a forced vault delete, a version delete, data aging) removes a
// locked version.
func TestWORMPlan_vaultLockedAndRetentionRaisedOnly(t *testing.T) {
	e := newTestEnvWith(t, envOpts{tweak: func(o *Options) {
		o.Day, o.AgingInterval = 300*time.Millisecond, 100*time.Millisecond
	}})
	n := e.api()
	f := e.fixture(t)
	r := n.call(t, "POST", "/commandcenter/api/V4/ServerPlan", f.token, map[string]any{"planName": "worm-plan",
		"backupDestinations": []any{map[string]any{"backupDestinationName": "Primary", "retentionPeriodDays": 7,
			"storagePool": map[string]any{"name": "worm-pool", "isWormStorage": true}}}}).must(t, 200)
	planID := r.num("plan.id")

	p := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/ServerPlan/%d", planID), f.token, nil).must(t, 200)
	if p.str("isWormStorage") != "true" || p.str("backupDestinations.0.storagePool.isWormStorage") != "true" ||
		p.num("backupDestinations.0.storagePool.wormStorageFlag") != 7 || p.num("retentionPeriodDays") != 7 {
		t.Fatalf("WORM plan details: %s", p.Raw)
	}
	v2 := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V2/Plan/%d", planID), f.token, nil).must(t, 200)
	if v2.num("plan.storage.copy.0.copyFlags.wormCopy") != 1 || v2.num("plan.storage.copy.0.wormStorageFlag") != 7 {
		t.Fatalf("V2 plan: %s", v2.Raw)
	}
	plain := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/ServerPlan/%d", f.planID), f.token, nil).must(t, 200)
	if plain.str("isWormStorage") != "false" || plain.num("backupDestinations.0.storagePool.wormStorageFlag") != 0 {
		t.Fatalf("plain plan details: %s", plain.Raw)
	}
	// The pool the plan stores in is a WORM pool (cvpysdk's reads).
	pools := n.call(t, "GET", "/commandcenter/api/StoragePool", f.token, nil).must(t, 200)
	poolID := int64(0)
	for i := range pools.list("storagePoolList") {
		if pools.str(fmt.Sprintf("storagePoolList.%d.storagePoolEntity.storagePoolName", i)) == "worm-pool" {
			poolID = pools.num(fmt.Sprintf("storagePoolList.%d.storagePoolEntity.storagePoolId", i))
		}
	}
	pd := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/StoragePool/%d", poolID), f.token, nil).must(t, 200)
	if pd.str("storagePoolDetails.isWormStorage") != "true" || pd.num("storagePoolDetails.copyInfo.wormStorageFlag") != 7 ||
		pd.num("storagePoolDetails.copyInfo.copyFlags.wormCopy") != 1 {
		t.Fatalf("WORM pool: %s", pd.Raw)
	}

	body := f.seedBody("worm-vault")
	body["plan"] = map[string]any{"planId": planID}
	id := n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, body).must(t, 200).num("response.entity.clientId")
	vd := n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", id), f.token, nil).must(t, 200)
	if vd.str("isWormStorage") != "true" || vd.str("objectLock.enabled") != "true" || vd.str("objectLock.mode") != "COMPLIANCE" ||
		vd.num("objectLock.defaultRetentionDays") != 7 || vd.str("versioning") != "ENABLED" {
		t.Fatalf("WORM vault details: %s", vd.Raw)
	}

	// A backup product writes; the version is locked in Compliance mode.
	ak, sk := n.keys(t, f.token, f.owner)
	c := n.s3client(ak, sk)
	out, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("worm-vault"), Key: aws.String("chunk"),
		Body: strings.NewReader("backup"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String("worm-vault"), Key: aws.String("chunk")})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeCompliance ||
		time.Until(aws.ToTime(h.ObjectLockRetainUntilDate)) < 6*24*time.Hour {
		t.Fatalf("lock of a WORM vault's version: %+v %v", h, err)
	}
	if _, err := c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String("worm-vault"), Key: aws.String("chunk"),
		VersionId: out.VersionId}); s3code(err) != "AccessDenied" {
		t.Fatalf("delete a locked version: %v", err)
	}
	// A forced delete is refused; the version stays.
	n.call(t, "DELETE", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d?forceDelete=true", id), f.token, nil).
		mustError(t, 409, int(codeInvalidOperationType))
	// Data aging (a day is 300 ms here) keeps it: the lock is in real time.
	if _, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("worm-vault"), Key: aws.String("chunk"),
		Body: strings.NewReader("backup 2"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if got := strings.Join(e.versions(t, "worm-vault"), " "); got != "chunk:latest chunk:old" {
		t.Fatalf("versions of a WORM vault after aging: %s", got)
	}
	if _, err := c.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String("worm-vault"), Key: aws.String("chunk"), VersionId: out.VersionId}); err != nil {
		t.Fatalf("the locked version: %v", err)
	}

	// The retention: lowered is refused, raised is applied to the vault.
	dest := fmt.Sprintf("/commandcenter/api/V4/ServerPlan/%d/BackupDestination/1", planID)
	low := n.call(t, "PUT", dest, f.token, map[string]any{"retentionPeriodDays": 3}).mustError(t, 400, int(codeInvalidOperationType))
	if !strings.Contains(low.str("errorMessage"), "cannot be lowered") && !strings.Contains(low.str("errorMessage"), "not lowered") {
		t.Fatalf("lowering message: %s", low.Raw)
	}
	if r := n.call(t, "PUT", dest, f.token, map[string]any{"retentionPeriodDays": 30}).must(t, 200); r.num("errorCode") != 0 {
		t.Fatalf("raise: %s", r.Raw)
	}
	vd = n.call(t, "GET", fmt.Sprintf("/commandcenter/api/V4/CVS3Store/%d", id), f.token, nil).must(t, 200)
	if vd.num("retentionPeriodDays") != 30 || vd.num("objectLock.defaultRetentionDays") != 30 {
		t.Fatalf("vault after raising the plan: %s", vd.Raw)
	}
	n.call(t, "PUT", dest, f.token, map[string]any{"isWormStorage": false}).mustError(t, 400, int(codeInvalidOperationType))
	n.call(t, "PUT", fmt.Sprintf("/commandcenter/api/V4/ServerPlan/%d/BackupDestination/2", planID), f.token,
		map[string]any{"retentionPeriodDays": 40}).mustError(t, 404, "VALUE_NOT_FOUND")
	n.call(t, "PUT", dest, f.token, map[string]any{"retentionPeriodDays": 0}).mustError(t, 400, int(codeInvalidInput))

	// A plain plan: its retention goes down, and the WORM lock can be
	// turned on later, locking its vaults.
	pdest := fmt.Sprintf("/commandcenter/api/V4/ServerPlan/%d/BackupDestination/1", f.planID)
	n.call(t, "POST", "/commandcenter/api/V4/CVS3Store", f.token, f.seedBody("plain-vault")).must(t, 200)
	n.call(t, "PUT", pdest, f.token, map[string]any{"retentionPeriodDays": 2}).must(t, 200)
	n.call(t, "PUT", pdest, f.token, map[string]any{"storagePool": map[string]any{"isWormStorage": true}}).must(t, 200)
	l := n.call(t, "GET", "/commandcenter/api/V4/cvS3Stores", f.token, nil).must(t, 200)
	for i := range l.list("CVS3Stores") {
		pre := fmt.Sprintf("CVS3Stores.%d.", i)
		if l.str(pre+"name") == "plain-vault" &&
			(l.str(pre+"objectLock.mode") != "COMPLIANCE" || l.num(pre+"objectLock.defaultRetentionDays") != 2 || l.str(pre+"isWormStorage") != "true") {
			t.Fatalf("vault of a plan that became WORM: %s", l.Raw)
		}
	}
}
