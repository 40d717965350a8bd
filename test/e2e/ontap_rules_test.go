package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ONTAP's bucket lifecycle rules and S3's lifecycle configuration are one
// record: a rule POSTed through ONTAP is what the aws CLI's
// get-bucket-lifecycle-configuration returns, and a rule put through S3 is
// listed, changed and deleted through ONTAP.
func TestONTAP_BucketRules_sharedWithS3(t *testing.T) {
	o := ontapAPI(t)
	s := o.mkSVM(t)
	name := ontapName(t, "lc")
	uuid := o.mkBucket(t, s.UUID, name, map[string]any{"versioning_state": "enabled"})
	base := "/api/protocols/s3/services/" + s.UUID + "/buckets/" + uuid + "/rules"

	o.do(t, "POST", base, map[string]any{"name": "expire-logs",
		"object_filter":                  map[string]any{"prefix": "logs/", "tags": []string{"kind=log"}},
		"expiration":                     map[string]any{"object_age_days": 30},
		"non_current_version_expiration": map[string]any{"non_current_days": 7, "new_non_current_versions": 3}}).must(t, 201)
	o.do(t, "POST", base, map[string]any{"name": "stale-uploads",
		"abort_incomplete_multipart_upload": map[string]any{"after_initiation_days": 2}}).must(t, 201)
	o.do(t, "POST", base, map[string]any{"name": "bad", "expiration": map[string]any{"object_age_days": 1, "object_expiry_date": "2030-01-01T00:00:00Z"}}).
		mustError(t, 400, "92406117", "expiration.object_age_days")

	out, stderr, err := awsCLIAs(t, s.RootAK, s.RootSK, "s3api", "get-bucket-lifecycle-configuration", "--bucket", name)
	if err != nil {
		t.Fatalf("get-bucket-lifecycle-configuration: %v %s", err, stderr)
	}
	var cfg struct {
		Rules []struct {
			ID     string
			Status string
			Filter struct {
				And *struct {
					Prefix string
					Tags   []struct{ Key, Value string }
				}
			}
			Expiration                     *struct{ Days int }
			NoncurrentVersionExpiration    *struct{ NoncurrentDays, NewerNoncurrentVersions int }
			AbortIncompleteMultipartUpload *struct{ DaysAfterInitiation int }
		}
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(cfg.Rules) != 2 {
		t.Fatalf("S3 sees %d rules: %s", len(cfg.Rules), out)
	}
	r := cfg.Rules[0]
	if r.ID != "expire-logs" || r.Status != "Enabled" || r.Filter.And == nil || r.Filter.And.Prefix != "logs/" ||
		len(r.Filter.And.Tags) != 1 || r.Filter.And.Tags[0].Key != "kind" || r.Expiration == nil || r.Expiration.Days != 30 ||
		r.NoncurrentVersionExpiration == nil || r.NoncurrentVersionExpiration.NewerNoncurrentVersions != 3 {
		t.Fatalf("the ONTAP rule over S3: %s", out)
	}
	if a := cfg.Rules[1].AbortIncompleteMultipartUpload; cfg.Rules[1].ID != "stale-uploads" || a == nil || a.DaysAfterInitiation != 2 {
		t.Fatalf("the abort rule over S3: %s", out)
	}

	// Put through S3 (aws-sdk-go-v2), read and changed through ONTAP.
	c := s3As(t, s.RootAK, s.RootSK)
	_, err = c.PutBucketLifecycleConfiguration(ctxT(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(name),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("s3-rule"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	l := o.do(t, "GET", base+"?fields=**", nil).must(t, 200)
	if l.num("num_records") != 1 || l.str("records.0.name") != "s3-rule" || l.str("records.0.object_filter.prefix") != "tmp/" ||
		l.num("records.0.expiration.object_age_days") != 1 {
		t.Fatalf("the S3 rule through ONTAP: %s", l.Raw)
	}
	o.do(t, "PATCH", base+"/s3-rule", map[string]any{"enabled": false, "expiration": map[string]any{"object_age_days": 9}}).must(t, 200)
	got, err := c.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(name)})
	if err != nil || len(got.Rules) != 1 || got.Rules[0].Status != types.ExpirationStatusDisabled || aws.ToInt32(got.Rules[0].Expiration.Days) != 9 {
		t.Fatalf("after the ONTAP PATCH: %+v %v", got, err)
	}
	o.do(t, "DELETE", base+"/s3-rule", nil).must(t, 200)
	_, err = c.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(name)})
	if errCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("after deleting the last rule: %v", err)
	}
	if r := o.do(t, "GET", base+"/s3-rule", nil); r.Status != 404 || !strings.Contains(r.Raw, `"4"`) {
		t.Fatalf("GET a deleted rule: %s", r.Raw)
	}
}
