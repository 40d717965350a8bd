package e2e

import (
	"encoding/json"
	"net/url"
	"testing"

	"coffer/internal/testkit"
)

// ONTAP lifecycle rules given inside a bucket POST
// (lifecycle_management.rules) and changed by the query-based PATCH and
// DELETE of .../rules, with curl as a script would send them; S3 (the aws
// CLI) sees the same configuration.
func TestONTAP_BucketRules_postAndQueryOps_curl(t *testing.T) {
	o := ontapAPI(t)
	s := o.mkSVM(t)
	name := ontapName(t, "lcq")
	auth := cofferAdminUser + ":" + cofferAdminPassword
	api := sharedSrv.AdminEndpoint() + "/api"
	send := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		args := []string{"-u", auth, "-X", method, "-H", "Accept: application/hal+json", api + path}
		if body != "" {
			args = append(args, "-H", "Content-Type: application/json", "-d", body)
		}
		code, raw := curlAdmin(t, args...)
		var m map[string]any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s %s: HTTP %d, not JSON: %v: %s", method, path, code, err, raw)
			}
		}
		return code, m
	}
	str := func(m map[string]any, path string) string {
		v := testkit.Lookup(m, path)
		if v == nil {
			return ""
		}
		b, _ := json.Marshal(v)
		var s string
		if json.Unmarshal(b, &s) == nil {
			return s
		}
		return string(b)
	}

	// The cluster-wide family, as Ansible posts a bucket (svm.name).
	code, m := send("POST", "/protocols/s3/buckets?return_timeout=30&return_records=true",
		`{"svm":{"name":"`+s.Name+`"},"name":"`+name+`","versioning_state":"enabled","lifecycle_management":{"rules":[
		 {"name":"tmp-expire","object_filter":{"prefix":"tmp/"},"expiration":{"object_age_days":3}},
		 {"name":"logs-expire","object_filter":{"prefix":"logs/"},"expiration":{"object_age_days":30}},
		 {"name":"old-versions","non_current_version_expiration":{"non_current_days":7}}]}}`)
	if code != 201 {
		t.Fatalf("bucket POST with rules: %d %v", code, m)
	}
	uuid := str(m, "records.0.uuid")
	if uuid == "" {
		t.Fatalf("bucket POST: no uuid: %v", m)
	}
	// A refused rule: ONTAP's code, before any job, no bucket.
	code, m = send("POST", "/protocols/s3/buckets?return_timeout=30",
		`{"svm":{"name":"`+s.Name+`"},"name":"`+name+`-x","lifecycle_management":{"rules":[{"name":"r","expiration":{"object_age_days":1,"object_expiry_date":"2030-01-01T00:00:00Z"}}]}}`)
	if code != 400 || str(m, "error.code") != "92406117" || str(m, "error.target") != "lifecycle_management.rules[0].expiration.object_age_days" {
		t.Fatalf("bucket POST with a refused rule: %d %v", code, m)
	}

	rules := func() []string {
		out, stderr, err := awsCLIAs(t, s.RootAK, s.RootSK, "s3api", "get-bucket-lifecycle-configuration", "--bucket", name)
		if err != nil {
			return []string{"error: " + stderr}
		}
		var cfg struct {
			Rules []struct {
				ID, Status string
				Expiration *struct{ Days int }
			}
		}
		if err := json.Unmarshal([]byte(out), &cfg); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		var ids []string
		for _, r := range cfg.Rules {
			s := r.ID + "/" + r.Status
			if r.Expiration != nil {
				b, _ := json.Marshal(r.Expiration.Days)
				s += "/" + string(b)
			}
			ids = append(ids, s)
		}
		return ids
	}
	if got := rules(); len(got) != 3 || got[0] != "tmp-expire/Enabled/3" || got[1] != "logs-expire/Enabled/30" || got[2] != "old-versions/Enabled" {
		t.Fatalf("S3 after the bucket POST: %v", got)
	}

	base := "/protocols/s3/services/" + s.UUID + "/buckets/" + uuid + "/rules"
	// Query-based PATCH: every rule with an expiration age (a filter on a
	// parameter) is disabled and given 90 days.
	code, m = send("PATCH", base+"?expiration.object_age_days=>0&return_records=true", `{"enabled":false,"expiration":{"object_age_days":90}}`)
	if code != 200 || str(m, "num_records") != "2" {
		t.Fatalf("query PATCH: %d %v", code, m)
	}
	if got := rules(); len(got) != 3 || got[0] != "tmp-expire/Disabled/90" || got[1] != "logs-expire/Disabled/90" || got[2] != "old-versions/Enabled" {
		t.Fatalf("S3 after the query PATCH: %v", got)
	}
	// A refusal changes nothing.
	code, m = send("PATCH", base+"?name=*-expire", `{"expiration":{"expired_object_delete_marker":true}}`)
	if code != 400 || str(m, "error.code") != "92406122" {
		t.Fatalf("refused query PATCH: %d %v", code, m)
	}
	// Query-based DELETE by name.
	code, m = send("DELETE", base+"?name="+url.QueryEscape("tmp-expire|old-versions"), "")
	if code != 200 || str(m, "num_records") != "2" {
		t.Fatalf("query DELETE: %d %v", code, m)
	}
	if got := rules(); len(got) != 1 || got[0] != "logs-expire/Disabled/90" {
		t.Fatalf("S3 after the query DELETE: %v", got)
	}
	code, m = send("GET", base+"?fields=**", "")
	if code != 200 || str(m, "num_records") != "1" || str(m, "records.0.name") != "logs-expire" || str(m, "records.0.enabled") != "false" {
		t.Fatalf("GET after the query ops: %d %v", code, m)
	}
}
