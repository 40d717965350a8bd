package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Object Lock and conditional deletes, end to end. Locked buckets cannot be
// cleaned up (that is the point); they are left in the test server's data
// directory with retention dates a few minutes ahead.

// newLockBucket creates a bucket with Object Lock enabled.
func newLockBucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	b := bucketName(t)
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(b), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("CreateBucket with lock: %v", err)
	}
	return b
}

func putLocked(t testing.TB, c *s3.Client, b, key string, mode types.ObjectLockMode, until time.Time) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key),
		Body: bytes.NewReader([]byte("locked " + key)), ObjectLockMode: mode, ObjectLockRetainUntilDate: aws.Time(until)})
	if err != nil {
		t.Fatalf("PutObject %s locked: %v", key, err)
	}
	return out
}

func TestObjectLock_complianceSurvivesDeletes(t *testing.T) {
	c := s3c(t)
	ctx := ctxT(t)
	b := newLockBucket(t, c)
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of a lock bucket: %+v %v", v, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantErr(t, "suspend versioning under lock", err, "InvalidBucketState", 409)

	until := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	put := putLocked(t, c, b, "doc", types.ObjectLockModeCompliance, until)
	vid := aws.ToString(put.VersionId)

	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("doc")})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeCompliance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(until) {
		t.Fatalf("HeadObject lock headers: %v %v %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate, err)
	}
	r, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(vid)})
	if err != nil || r.Retention.Mode != types.ObjectLockRetentionModeCompliance || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until) {
		t.Fatalf("GetObjectRetention: %+v %v", r, err)
	}

	// The root user, with and without the bypass header: refused.
	for _, bypass := range []bool{false, true} {
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(vid),
			BypassGovernanceRetention: aws.Bool(bypass)})
		wantErr(t, fmt.Sprintf("delete compliance version (bypass=%v)", bypass), err, "AccessDenied", 403)
	}
	// DeleteObjects reports the version in <Error>.
	do, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("doc"), VersionId: aws.String(vid)}}}})
	if err != nil || len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "AccessDenied" || len(do.Deleted) != 0 {
		t.Fatalf("DeleteObjects of a locked version: %+v %v", do, err)
	}
	// Shortening or removing the retention: refused, even with bypass.
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(vid),
		BypassGovernanceRetention: aws.Bool(true),
		Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(-time.Minute))}})
	wantErr(t, "shorten compliance", err, "AccessDenied", 403)
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(vid),
		BypassGovernanceRetention: aws.Bool(true),
		Retention:                 &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until.Add(time.Minute))}})
	wantErr(t, "downgrade compliance", err, "AccessDenied", 403)
	// Lengthening is always allowed.
	longer := until.Add(5 * time.Minute)
	if _, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(vid),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(longer)}}); err != nil {
		t.Fatalf("lengthen compliance: %v", err)
	}
	// Deleting the key adds a delete marker; the version stays readable.
	d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc")})
	if err != nil || !aws.ToBool(d.DeleteMarker) {
		t.Fatalf("delete key: %+v %v", d, err)
	}
	data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc"), VersionId: aws.String(vid)})
	mustEqualBytes(t, "locked version", data, []byte("locked doc"))
	// The bucket cannot be deleted.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantErr(t, "delete lock bucket", err, "BucketNotEmpty", 409)

	// Governance: refused without the bypass header, allowed to the root
	// user with it.
	g := putLocked(t, c, b, "gov", types.ObjectLockModeGovernance, until)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("gov"), VersionId: g.VersionId})
	wantErr(t, "delete governance without bypass", err, "AccessDenied", 403)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("gov"), VersionId: g.VersionId,
		BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("delete governance with bypass: %v", err)
	}
	// Lock headers need a lock bucket.
	plain := newBucket(t)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(plain), Key: aws.String("k"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(until)})
	wantErr(t, "lock headers on a plain bucket", err, "InvalidRequest", 400)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("past"), Body: strings.NewReader("x"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(-time.Hour))})
	wantErr(t, "retain-until in the past", err, "InvalidArgument", 400)
}

func TestObjectLock_configurationAndLegalHold(t *testing.T) {
	c := s3c(t)
	ctx := ctxT(t)
	b := newBucket(t)
	_, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	wantErr(t, "config of a plain bucket", err, "ObjectLockConfigurationNotFoundError", 404)
	putObject(t, b, "k", []byte("x"))
	_, err = c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantErr(t, "retention in a plain bucket", err, "InvalidRequest", 400)
	cfg := &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b), ObjectLockConfiguration: cfg})
	wantErr(t, "lock on an unversioned bucket", err, "InvalidBucketState", 409)
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	bad := &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1), Years: aws.Int32(1)}}}
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b), ObjectLockConfiguration: bad})
	wantErr(t, "Days and Years", err, "MalformedXML", 400)
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b), ObjectLockConfiguration: cfg}); err != nil {
		t.Fatalf("enable lock on a versioned bucket: %v", err)
	}
	got, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled ||
		got.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeGovernance ||
		aws.ToInt32(got.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 1 {
		t.Fatalf("GetObjectLockConfiguration: %+v %v", got, err)
	}
	// The default retention applies to new versions, which then need an
	// integrity check: a client sending neither Content-MD5 nor a checksum
	// is refused, as AWS does.
	noSum := newClient(t, suite.endpoint, suite.accessKey, suite.secretKey, func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	_, err = noSum.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("d"), Body: strings.NewReader("x")})
	wantErr(t, "PUT without integrity under default retention", err, "InvalidRequest", 400)
	put := putObject(t, b, "d", []byte("defaulted"))
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("d")})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeGovernance ||
		aws.ToTime(h.ObjectLockRetainUntilDate).Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("default retention on HEAD: %v %v %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate, err)
	}
	// Legal hold: independent of retention; never set is 404.
	_, err = c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("d")})
	wantErr(t, "legal hold never set", err, "NoSuchObjectLockConfiguration", 404)
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("d"), VersionId: put.VersionId,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatalf("PutObjectLegalHold: %v", err)
	}
	lh, err := c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("d")})
	if err != nil || lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("GetObjectLegalHold: %+v %v", lh, err)
	}
	// Removing the governance retention (with bypass) leaves the hold.
	if _, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: aws.String(b), Key: aws.String("d"), VersionId: put.VersionId,
		BypassGovernanceRetention: aws.Bool(true), Retention: &types.ObjectLockRetention{}}); err != nil {
		t.Fatalf("remove governance retention with bypass: %v", err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("d"), VersionId: put.VersionId,
		BypassGovernanceRetention: aws.Bool(true)})
	wantErr(t, "delete a held version", err, "AccessDenied", 403)
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("d"), VersionId: put.VersionId,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("d"), VersionId: put.VersionId}); err != nil {
		t.Fatalf("delete a released version: %v", err)
	}
	// Multipart and copy carry lock headers too.
	until := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until)})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC64NVME: part.ChecksumCRC64NVME, ChecksumCRC32: part.ChecksumCRC32}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("mp"), VersionId: done.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	wantErr(t, "delete a compliance multipart object", err, "AccessDenied", 403)
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("cp"), CopySource: aws.String(b + "/mp"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	if err != nil {
		t.Fatal(err)
	}
	lh, err = c.GetObjectLegalHold(ctx, &s3.GetObjectLegalHoldInput{Bucket: aws.String(b), Key: aws.String("cp"), VersionId: cp.VersionId})
	if err != nil || lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("copy's legal hold: %+v %v", lh, err)
	}
}

func TestObjectLock_awsCLI(t *testing.T) {
	t.Parallel() // a bucket of its own
	b := bucketName(t)
	awsCLI(t, "s3api", "create-bucket", "--bucket", b, "--object-lock-enabled-for-bucket")
	awsCLI(t, "s3api", "put-object-lock-configuration", "--bucket", b, "--object-lock-configuration",
		`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}`)
	out := awsCLI(t, "s3api", "get-object-lock-configuration", "--bucket", b)
	if !strings.Contains(out, `"GOVERNANCE"`) || !strings.Contains(out, `"Days": 1`) {
		t.Fatalf("get-object-lock-configuration: %s", out)
	}
	file := writeTemp(t, "obj", []byte("cli data"))
	out = awsCLI(t, "s3api", "put-object", "--bucket", b, "--key", "k", "--body", file)
	vid := jsonField(t, out, "VersionId")
	// The version has the default (Governance, one day): changing its mode
	// needs the bypass; then it is Compliance for two days.
	until := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	retention := `{"Mode":"COMPLIANCE","RetainUntilDate":"` + until + `"}`
	if _, stderr, err := awsCLIResult(t, "s3api", "put-object-retention", "--bucket", b, "--key", "k", "--version-id", vid,
		"--retention", retention); err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("governance to compliance without bypass: %v %s", err, stderr)
	}
	awsCLI(t, "s3api", "put-object-retention", "--bucket", b, "--key", "k", "--version-id", vid,
		"--retention", retention, "--bypass-governance-retention")
	out = awsCLI(t, "s3api", "get-object-retention", "--bucket", b, "--key", "k", "--version-id", vid)
	if !strings.Contains(out, "COMPLIANCE") {
		t.Fatalf("get-object-retention: %s", out)
	}
	_, stderr, err := awsCLIResult(t, "s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", vid, "--bypass-governance-retention")
	if err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("delete-object of a compliance version: %v %s", err, stderr)
	}
	// A governance version goes with --bypass-governance-retention.
	out = awsCLI(t, "s3api", "put-object", "--bucket", b, "--key", "g", "--body", file)
	gvid := jsonField(t, out, "VersionId")
	awsCLI(t, "s3api", "put-object-legal-hold", "--bucket", b, "--key", "g", "--version-id", gvid, "--legal-hold", "Status=ON")
	if _, stderr, err := awsCLIResult(t, "s3api", "delete-object", "--bucket", b, "--key", "g", "--version-id", gvid, "--bypass-governance-retention"); err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("delete-object under legal hold: %v %s", err, stderr)
	}
	awsCLI(t, "s3api", "put-object-legal-hold", "--bucket", b, "--key", "g", "--version-id", gvid, "--legal-hold", "Status=OFF")
	if _, stderr, err := awsCLIResult(t, "s3api", "delete-object", "--bucket", b, "--key", "g", "--version-id", gvid); err == nil || !strings.Contains(stderr, "AccessDenied") {
		t.Fatalf("delete-object of a governance version without bypass: %v %s", err, stderr)
	}
	awsCLI(t, "s3api", "delete-object", "--bucket", b, "--key", "g", "--version-id", gvid, "--bypass-governance-retention")
	out = awsCLI(t, "s3api", "head-object", "--bucket", b, "--key", "k", "--version-id", vid)
	if !strings.Contains(out, `"ObjectLockMode": "COMPLIANCE"`) {
		t.Fatalf("head-object: %s", out)
	}
}

// jsonField extracts a top-level string field from the aws CLI's JSON.
func jsonField(t testing.TB, out, name string) string {
	t.Helper()
	i := strings.Index(out, `"`+name+`": "`)
	if i < 0 {
		t.Fatalf("no %s in %s", name, out)
	}
	rest := out[i+len(name)+5:]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestObjectLock_boto3(t *testing.T) {
	t.Parallel() // a bucket of its own
	out := runPython(t, "testdata/boto3_objectlock.py", bucketName(t))
	if !strings.Contains(out, "OK") {
		t.Fatalf("boto3 object lock script: %s", out)
	}
}

func TestDeleteObject_conditional(t *testing.T) {
	c := s3c(t)
	ctx := ctxT(t)
	b := newBucket(t)
	put := putObject(t, b, "k", []byte("hello"))
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	wantErr(t, "If-Match mismatch", err, "PreconditionFailed", 412)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfMatchSize: aws.Int64(6)})
	wantErr(t, "x-amz-if-match-size mismatch", err, "PreconditionFailed", 412)
	do, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("k"), ETag: aws.String(`"ffffffffffffffffffffffffffffffff"`)}}}})
	if err != nil || len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "PreconditionFailed" {
		t.Fatalf("DeleteObjects ETag mismatch: %+v %v", do, err)
	}
	getObject(t, b, "k") // still there
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfMatch: put.ETag, IfMatchSize: aws.Int64(5)}); err != nil {
		t.Fatalf("matching conditional delete: %v", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantErr(t, "after conditional delete", err, "NotFound", 404)
	put = putObject(t, b, "k2", []byte("again"))
	do, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("k2"), ETag: put.ETag}}}})
	if err != nil || len(do.Deleted) != 1 || len(do.Errors) != 0 {
		t.Fatalf("DeleteObjects ETag match: %+v %v", do, err)
	}
}

// A kill -9 in the middle of a storm of locked PUTs: after the restart
// every acknowledged version is present and still locked.
func TestObjectLock_kill9DuringLockedPuts(t *testing.T) {
	t.Parallel() // a private server
	srv := startPrivateCoffer(t)
	c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	ctx := ctxT(t)
	b := "e2e-lock-crash-" + randHex(6)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	type acked struct{ key, vid string }
	var mu sync.Mutex
	var done []acked
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("w%d/%d", w, i)
				out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key),
					Body: bytes.NewReader(randBytes(1 + i%3000)), ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until)})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				done = append(done, acked{key, aws.ToString(out.VersionId)})
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	srv.Kill9()
	stop.Store(true)
	wg.Wait()
	if len(done) == 0 {
		t.Fatal("no PUT was acknowledged before the kill")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, a := range done {
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(a.key), VersionId: aws.String(a.vid)})
		if err != nil || h.ObjectLockMode != types.ObjectLockModeCompliance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(until) {
			t.Fatalf("acknowledged %s %s after restart: %v %v", a.key, a.vid, h, err)
		}
	}
	a := done[len(done)-1]
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(a.key), VersionId: aws.String(a.vid), BypassGovernanceRetention: aws.Bool(true)})
	wantErr(t, "delete after restart", err, "AccessDenied", 403)
	t.Logf("%d acknowledged locked versions survived", len(done))
}

// The management planes go through the object layer: ONTAP's bucket
// DELETE and Commvault's forced vault deletion cannot remove a bucket
// holding a Compliance-locked version.
func TestObjectLock_managementDeletesRefused(t *testing.T) {
	c := s3c(t)
	ctx := ctxT(t)
	until := time.Now().Add(10 * time.Minute).UTC()

	t.Run("ONTAP bucket DELETE", func(t *testing.T) {
		o := ontapAPI(t)
		b := newLockBucket(t, c)
		put := putLocked(t, c, b, "k", types.ObjectLockModeCompliance, until)
		r := o.do(t, "GET", "/api/protocols/s3/buckets?name="+b+"&fields=uuid,svm.uuid", nil).must(t, 200)
		uuid, svm := r.str("records.0.uuid"), r.str("records.0.svm.uuid")
		if uuid == "" || svm == "" {
			t.Fatalf("bucket %s not found through ONTAP: %s", b, r.Raw)
		}
		d := o.do(t, "DELETE", "/api/protocols/s3/services/"+svm+"/buckets/"+uuid, nil)
		if d.Status == 202 || d.Status == 200 {
			j := o.waitJob(t, jobUUID(t, d, ""))
			if j.str("state") != "failure" {
				t.Fatalf("ONTAP delete of a locked bucket: %s", j.Raw)
			}
		} else if d.Status < 400 {
			t.Fatalf("ONTAP delete answered %d: %s", d.Status, d.Raw)
		}
		data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: put.VersionId})
		mustEqualBytes(t, "locked version after ONTAP delete", data, []byte("locked k"))
	})

	t.Run("Commvault forced vault delete", func(t *testing.T) {
		cv := cvAPI(t)
		f := cv.fixture(t)
		vault := "cv-lock-" + randHex(6)
		r := cv.do(t, "POST", "/V4/CVS3Store", f.seedBody(vault)).must(t, 200)
		id := r.num("response.entity.clientId")
		// The vault is a versioned bucket of the default tenant: Object
		// Lock is enabled on it through S3, as AWS allows.
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(vault),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(vault),
			ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}}); err != nil {
			t.Fatalf("lock the vault: %v", err)
		}
		put := putLocked(t, c, vault, "backup/chunk", types.ObjectLockModeCompliance, until)
		putObject(t, vault, "backup/unlocked", []byte("x"))
		d := cv.do(t, "DELETE", fmt.Sprintf("/V4/CVS3Store/%d?forceDelete=true", id), nil)
		if d.Status == 200 && d.num("errorCode") == 0 {
			if jobID := d.num("jobId"); jobID != 0 {
				j, _ := cv.waitJob(t, jobID)
				if j.str("jobs.0.jobSummary.status") == "Completed" {
					t.Fatalf("forced delete of a locked vault completed: %s", j.Raw)
				}
			} else {
				t.Fatalf("forced delete of a locked vault accepted: %s", d.Raw)
			}
		}
		data, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(vault), Key: aws.String("backup/chunk"), VersionId: put.VersionId})
		mustEqualBytes(t, "locked version after forced delete", data, []byte("locked backup/chunk"))
		getObject(t, vault, "backup/unlocked") // refused up front: nothing was purged
	})
}
