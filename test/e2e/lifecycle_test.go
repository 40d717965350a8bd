package e2e

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Bucket lifecycle (Put/Get/DeleteBucketLifecycleConfiguration,
// x-amz-expiration, the lifecycle job with a shortened day) and Veeam's
// SOSAPI objects.

func lcRule(id, prefix string) types.LifecycleRule {
	return types.LifecycleRule{ID: aws.String(id), Status: types.ExpirationStatusEnabled,
		Filter: &types.LifecycleRuleFilter{Prefix: aws.String(prefix)}}
}

func TestPutBucketLifecycleConfiguration_sdk(t *testing.T) {
	c, b := s3c(t), newBucket(t)
	_, err := c.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	wantErr(t, "GET without rules", err, "NoSuchLifecycleConfiguration", 404)

	bad := lcRule("bad", "")
	bad.Expiration = &types.LifecycleExpiration{Days: aws.Int32(0)}
	_, err = c.PutBucketLifecycleConfiguration(ctxT(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{bad}}})
	wantErr(t, "Days 0", err, "InvalidArgument", 400)
	bad.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1), ExpiredObjectDeleteMarker: aws.Bool(true)}
	_, err = c.PutBucketLifecycleConfiguration(ctxT(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{bad}}})
	wantErr(t, "ExpiredObjectDeleteMarker with Days", err, "MalformedXML", 400)
	dup := lcRule("same", "a/")
	dup.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	_, err = c.PutBucketLifecycleConfiguration(ctxT(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{dup, dup}}})
	wantErr(t, "duplicate ids", err, "InvalidArgument", 400)

	logs := lcRule("logs", "logs/")
	logs.Expiration = &types.LifecycleExpiration{Days: aws.Int32(30)}
	logs.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(7), NewerNoncurrentVersions: aws.Int32(3)}
	logs.Transitions = []types.Transition{{Days: aws.Int32(10), StorageClass: types.TransitionStorageClassGlacier}}
	mpu := lcRule("mpu", "")
	mpu.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)}
	put, err := c.PutBucketLifecycleConfiguration(ctxT(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{logs, mpu}}})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	if put.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Fatalf("PUT minimum object size %q", put.TransitionDefaultMinimumObjectSize)
	}
	got, err := c.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
	}
	if len(got.Rules) != 2 || aws.ToString(got.Rules[0].ID) != "logs" || aws.ToInt32(got.Rules[0].Expiration.Days) != 30 ||
		aws.ToInt32(got.Rules[0].NoncurrentVersionExpiration.NewerNoncurrentVersions) != 3 || len(got.Rules[0].Transitions) != 1 ||
		aws.ToInt32(got.Rules[1].AbortIncompleteMultipartUpload.DaysAfterInitiation) != 2 {
		t.Fatalf("rules read back: %+v", got.Rules)
	}

	// x-amz-expiration: LastModified + 30 days, rounded up to midnight UTC.
	out, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("logs/today"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("logs/today")})
	if err != nil {
		t.Fatal(err)
	}
	day := head.LastModified.UTC().Truncate(24 * time.Hour).Add(31 * 24 * time.Hour)
	want := `expiry-date="` + day.Format("Mon, 02 Jan 2006 15:04:05 GMT") + `", rule-id="logs"`
	if aws.ToString(out.Expiration) != want || aws.ToString(head.Expiration) != want {
		t.Fatalf("x-amz-expiration: PUT %q, HEAD %q, want %q", aws.ToString(out.Expiration), aws.ToString(head.Expiration), want)
	}
	other, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("logs/today")})
	if err != nil || other.Expiration == nil {
		t.Fatalf("HEAD again: %v", err)
	}
	putObject(t, b, "elsewhere", []byte("y"))
	if h, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("elsewhere")}); err != nil || h.Expiration != nil {
		t.Fatalf("no rule applies, yet %v %v", h.Expiration, err)
	}

	if _, err := c.DeleteBucketLifecycle(ctxT(t), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
	wantErr(t, "GET after delete", err, "NoSuchLifecycleConfiguration", 404)
}

func TestPutBucketLifecycleConfiguration_cli(t *testing.T) {
	t.Parallel() // a bucket of its own
	b := newBucket(t)
	file := filepath.Join(t.TempDir(), "lifecycle.json")
	doc := `{"Rules": [
	  {"ID": "tmp", "Status": "Enabled", "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "kind", "Value": "scratch"}]}},
	   "Expiration": {"Days": 3}},
	  {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"ExpiredObjectDeleteMarker": true},
	   "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	awsCLI(t, "s3api", "put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", "file://"+file)
	var got struct {
		Rules []struct {
			ID     string
			Filter struct {
				And struct {
					Prefix string
					Tags   []struct{ Key, Value string }
				}
			}
			Expiration struct {
				Days                      int
				ExpiredObjectDeleteMarker bool
			}
		}
	}
	if err := json.Unmarshal([]byte(awsCLI(t, "s3api", "get-bucket-lifecycle-configuration", "--bucket", b)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != 2 || got.Rules[0].Filter.And.Prefix != "tmp/" || len(got.Rules[0].Filter.And.Tags) != 1 ||
		got.Rules[0].Expiration.Days != 3 || !got.Rules[1].Expiration.ExpiredObjectDeleteMarker {
		t.Fatalf("get-bucket-lifecycle-configuration: %+v", got)
	}
	// A tag filter with ExpiredObjectDeleteMarker is refused.
	bad := strings.Replace(doc, `"Expiration": {"Days": 3}`, `"Expiration": {"ExpiredObjectDeleteMarker": true}`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := awsCLIResult(t, "s3api", "put-bucket-lifecycle-configuration", "--bucket", b, "--lifecycle-configuration", "file://"+file); err == nil || !strings.Contains(stderr, "InvalidRequest") {
		t.Fatalf("tag filter with ExpiredObjectDeleteMarker: %v %s", err, stderr)
	}
	awsCLI(t, "s3api", "delete-bucket-lifecycle", "--bucket", b)
	if _, stderr, err := awsCLIResult(t, "s3api", "get-bucket-lifecycle-configuration", "--bucket", b); err == nil || !strings.Contains(stderr, "NoSuchLifecycleConfiguration") {
		t.Fatalf("after delete: %v %s", err, stderr)
	}
}

// The lifecycle job with a one-second day and a one-second interval:
// current versions, noncurrent versions (keeping the newest), expired
// delete markers and stale uploads go; the rest stays.
func TestLifecycle_job_shortDay(t *testing.T) {
	srv := startPrivateCoffer(t, "COFFER_TEST_DAY_SECONDS=1", "COFFER_LIFECYCLE_INTERVAL=1s")
	c := newClient(t, srv.Endpoint(), cofferRootAccessKey, cofferRootSecretKey)
	ctx := ctxT(t)
	mk := func(name string, versioned bool) string {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if versioned {
			if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
				t.Fatal(err)
			}
		}
		return name
	}
	put := func(b, k, body string) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	rules := func(b string, rs ...types.LifecycleRule) {
		if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
			LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rs}}); err != nil {
			t.Fatal(err)
		}
	}
	versions := func(b string) string {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		var l []string
		for _, v := range out.Versions {
			l = append(l, aws.ToString(v.Key))
		}
		for _, m := range out.DeleteMarkers {
			l = append(l, aws.ToString(m.Key)+"(dm)")
		}
		return strings.Join(l, " ")
	}

	flat := mk("lc-flat", false)
	for _, k := range []string{"tmp/1", "tmp/2", "keep/1"} {
		put(flat, k, k)
	}
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(flat), Key: aws.String("tmp/big")}); err != nil {
		t.Fatal(err)
	}
	exp := lcRule("tmp", "tmp/")
	exp.Expiration = &types.LifecycleExpiration{Days: aws.Int32(2)}
	abort := lcRule("abort", "")
	abort.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}
	rules(flat, exp, abort)

	ver := mk("lc-versioned", true)
	for _, v := range []string{"1", "2", "3", "4"} {
		put(ver, "doc", v)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(ver), Key: aws.String("lonely")}); err != nil {
		t.Fatal(err) // a delete marker with no version under it
	}
	put(ver, "exp/x", "x")
	nc := lcRule("noncurrent", "")
	nc.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1), NewerNoncurrentVersions: aws.Int32(1)}
	nc.Expiration = &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}
	cur := lcRule("current", "exp/")
	cur.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	rules(ver, nc, cur)

	deadline := time.Now().Add(45 * time.Second)
	for {
		uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(flat)})
		if err != nil {
			t.Fatal(err)
		}
		// doc: the current and the newest noncurrent version stay; exp/x
		// gets a delete marker (versioned bucket); lonely's marker goes.
		gotFlat, gotVer := versions(flat), versions(ver)
		if gotFlat == "keep/1" && len(uploads.Uploads) == 0 && gotVer == "doc doc exp/x exp/x(dm)" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 45 s: flat %q (%d uploads), versioned %q\n%s", gotFlat, len(uploads.Uploads), gotVer, srv.logTail())
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The passes are jobs of the core, visible on the management plane.
	code, body := curlAdmin(t, "-u", cofferAdminUser+":"+cofferAdminPassword, srv.AdminEndpoint()+"/api/cluster/jobs?fields=description,state,message")
	if code != 200 || !strings.Contains(string(body), "Lifecycle rules of") {
		t.Fatalf("ONTAP jobs: %d %s", code, body)
	}

	// boto3 against the same server.
	out := runPythonAt(t, srv.Endpoint(), "testdata/lifecycle_boto3.py", "lc-boto3")
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}

// runPythonAt is runPython aimed at a private server.
func runPythonAt(t *testing.T, endpoint, script string, args ...string) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skipf("python3 -c 'import boto3' failed: %v", err)
	}
	cmd := exec.Command("python3", append([]string{script, endpoint}, args...)...)
	cmd.Env = toolEnv("AWS_ACCESS_KEY_ID="+cofferRootAccessKey, "AWS_SECRET_ACCESS_KEY="+cofferRootSecretKey)
	o, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 %s: %v\n%s", script, err, o)
	}
	return string(o)
}

const sosapiDir = ".system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/"

func TestSOSAPI_cli(t *testing.T) {
	t.Parallel() // a bucket of its own
	b := newBucket(t)
	dir := t.TempDir()
	sys := filepath.Join(dir, "system.xml")
	awsCLI(t, "s3api", "get-object", "--bucket", b, "--key", sosapiDir+"system.xml", sys)
	data, err := os.ReadFile(sys)
	if err != nil {
		t.Fatal(err)
	}
	var si struct {
		ProtocolVersion string    `xml:"ProtocolVersion"`
		ModelName       string    `xml:"ModelName"`
		CapacityInfo    bool      `xml:"ProtocolCapabilities>CapacityInfo"`
		Recommendations *struct{} `xml:"SystemRecommendations"`
	}
	// Veeam's document: a quoted version and model name, and no
	// SystemRecommendations without Veeam's approval (docs/s3.md).
	if err := xml.Unmarshal(data, &si); err != nil || si.ProtocolVersion != `"1.0"` || !strings.HasPrefix(si.ModelName, `"Coffer`) ||
		!si.CapacityInfo || si.Recommendations != nil {
		t.Fatalf("system.xml: %+v %v\n%s", si, err, data)
	}
	capFile := filepath.Join(dir, "capacity.xml")
	awsCLI(t, "s3api", "get-object", "--bucket", b, "--key", sosapiDir+"capacity.xml", capFile)
	if data, err = os.ReadFile(capFile); err != nil {
		t.Fatal(err)
	}
	var ci struct{ Capacity, Available, Used int64 }
	if err := xml.Unmarshal(data, &ci); err != nil || ci.Capacity <= 0 || ci.Available <= 0 || ci.Available > ci.Capacity {
		t.Fatalf("capacity.xml: %+v %v\n%s", ci, err, data)
	}
	head := awsCLI(t, "s3api", "head-object", "--bucket", b, "--key", sosapiDir+"capacity.xml")
	if !regexp.MustCompile(`"ContentLength": [1-9]`).MatchString(head) {
		t.Fatalf("head-object: %s", head)
	}
	if list := awsCLI(t, "s3api", "list-objects-v2", "--bucket", b); strings.Contains(list, ".system-") {
		t.Fatalf("SOSAPI objects listed: %s", list)
	}
}
