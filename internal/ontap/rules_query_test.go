package ontap

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"coffer/internal/lifecycle"
)

// Rules given inside a bucket POST (lifecycle_management.rules) and the
// query-based PATCH and DELETE of .../rules.

func TestONTAP_BucketPost_lifecycleRules(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	for _, path := range []string{"/api/protocols/s3/services/" + svm + "/buckets", "/api/protocols/s3/buckets"} {
		name := "svm-family"
		svmField := ""
		if !strings.Contains(path, "/services/") {
			name, svmField = "cluster-family", `"svm":{"name":"svm1"},`
		}
		e.do("POST", path+"?return_timeout=30", `{`+svmField+`"name":"`+name+`","lifecycle_management":{"rules":[
			{"name":"old","expiration":{"object_age_days":30},"object_filter":{"prefix":"logs/"}},
			{"name":"mpu","enabled":false,"abort_incomplete_multipart_upload":{"after_initiation_days":2}}]}}`).must(t, 201)
		c, err := e.core.GetBucketLifecycle(context.Background(), svm, name)
		if err != nil || len(c.Rules) != 2 {
			t.Fatalf("%s: configuration %+v %v", name, c, err)
		}
		if r := c.Rules[0]; r.ID != "old" || r.Status != lifecycle.Enabled || r.Expiration.Days != 30 || r.Filter.Prefix != "logs/" {
			t.Fatalf("%s: rule %+v", name, r)
		}
		if r := c.Rules[1]; r.Status != lifecycle.Disabled || r.AbortUpload == nil || r.AbortUpload.DaysAfterInitiation != 2 {
			t.Fatalf("%s: rule %+v", name, r)
		}
		// /rules lists what the POST created (in name order).
		u := e.bucketUUID(svm, name)
		l := e.do("GET", "/api/protocols/s3/services/"+svm+"/buckets/"+u+"/rules?fields=**", "").must(t, 200)
		if l.str("num_records") != "2" || l.str("records.1.expiration.object_age_days") != "30" || l.str("records.0.enabled") != "false" {
			t.Fatalf("%s: rules %s", name, l.Raw)
		}
	}

	// A refused rule is answered before the job, with the rule's code and
	// its index in the target; no bucket is created.
	base := "/api/protocols/s3/services/" + svm + "/buckets?return_timeout=30"
	for _, c := range []struct{ rules, code, target string }{
		{`[{"name":"r"}]`, "92406149", "lifecycle_management.rules[0].name"},
		{`[{"name":"a","expiration":{"object_age_days":1}},{"name":"b","expiration":{"object_age_days":0}}]`, "92406132", "lifecycle_management.rules[1].expiration.object_age_days"},
		{`[{"name":"a","expiration":{"object_age_days":1}},{"name":"a","expiration":{"object_age_days":2}}]`, "92406146", "lifecycle_management.rules[1].name"},
		{`[{"expiration":{"object_age_days":1}}]`, "2", "lifecycle_management.rules[0].name"},
		{`[{"name":"t","object_filter":{"tags":["a=1"]},"abort_incomplete_multipart_upload":{"after_initiation_days":1}}]`, "92406120", "lifecycle_management.rules[0].abort_incomplete_multipart_upload"},
	} {
		r := e.do("POST", base, `{"name":"refused","lifecycle_management":{"rules":`+c.rules+`}}`)
		if r.Status/100 == 2 || r.errCode() != c.code || r.str("error.target") != c.target {
			t.Errorf("rules %s: %d %s, want code %s target %s", c.rules, r.Status, r.Raw, c.code, c.target)
		}
	}
	if r := e.do("POST", base, `{"name":"refused","lifecycle_management":{"rules":[{"name":"x","expiration":{"days":1}}]}}`); r.errCode() != "262179" {
		t.Errorf("an unknown rule field: %d %s", r.Status, r.Raw)
	}
	if _, err := e.core.GetBucket(context.Background(), svm, "refused"); err == nil {
		t.Fatal("a bucket was created with refused rules")
	}
	// No rules (or an empty list): no configuration.
	e.do("POST", base, `{"name":"plain","lifecycle_management":{"rules":[]}}`).must(t, 201)
	if _, err := e.core.GetBucketLifecycle(context.Background(), svm, "plain"); err == nil {
		t.Fatal("an empty rule list made a configuration")
	}
}

func TestONTAP_Rules_queryPatchDelete(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	e.do("POST", "/api/protocols/s3/services/"+svm+"/buckets?return_timeout=30", `{"name":"bucket-1"}`).must(t, 201)
	u := e.bucketUUID(svm, "bucket-1")
	base := "/api/protocols/s3/services/" + svm + "/buckets/" + u + "/rules"
	e.do("POST", base, `{"name":"logs-a","expiration":{"object_age_days":10}}`).must(t, 201)
	e.do("POST", base, `{"name":"logs-b","expiration":{"object_age_days":40}}`).must(t, 201)
	e.do("POST", base, `{"name":"mpu","abort_incomplete_multipart_upload":{"after_initiation_days":3}}`).must(t, 201)
	ages := func() string {
		c, err := e.core.GetBucketLifecycle(context.Background(), svm, "bucket-1")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range c.Rules {
			s := r.ID + ":" + string(r.Status)
			if r.Expiration != nil {
				s += ":" + strconv.Itoa(r.Expiration.Days)
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}

	// PATCH by name glob: both logs rules, not mpu.
	r := e.do("PATCH", base+"?name=logs-*&return_records=true", `{"enabled":false,"expiration":{"object_age_days":20}}`).must(t, 200)
	if r.str("num_records") != "2" || r.str("records.0.name") != "logs-a" || r.str("records.1.expiration.object_age_days") != "20" {
		t.Fatalf("PATCH by query: %s", r.Raw)
	}
	if got := ages(); got != "logs-a:Disabled:20 logs-b:Disabled:20 mpu:Enabled" {
		t.Fatalf("after PATCH: %s", got)
	}
	// A filter on a parameter, and one that selects nothing (not an error).
	r = e.do("PATCH", base+"?abort_incomplete_multipart_upload.after_initiation_days=>2", `{"enabled":false}`).must(t, 200)
	if r.str("num_records") != "1" || r.field("records") != nil {
		t.Fatalf("PATCH by a parameter: %s", r.Raw)
	}
	if r = e.do("PATCH", base+"?name=nothing", `{"enabled":true}`).must(t, 200); r.str("num_records") != "0" {
		t.Fatalf("PATCH selecting nothing: %s", r.Raw)
	}
	// A refusal on one selected rule changes none (one transaction).
	r = e.do("PATCH", base+"?enabled=false", `{"expiration":{"object_age_days":0}}`)
	if r.Status != 400 || r.errCode() != "92406132" {
		t.Fatalf("PATCH refused: %d %s", r.Status, r.Raw)
	}
	if r = e.do("PATCH", base+"?name=logs-a", `{"object_filter":{"prefix":"x/"}}`); r.errCode() != "92406113" {
		t.Fatalf("PATCH of the filter: %d %s", r.Status, r.Raw)
	}
	if got := ages(); got != "logs-a:Disabled:20 logs-b:Disabled:20 mpu:Disabled" {
		t.Fatalf("after refused PATCHes: %s", got)
	}
	// Bad queries: an unknown field, a bad reserved value, a body field
	// PATCH does not take.
	if r = e.do("PATCH", base+"?colour=red", `{"enabled":true}`); r.errCode() != "262179" {
		t.Fatalf("unknown filter: %d %s", r.Status, r.Raw)
	}
	if r = e.do("PATCH", base+"?name=mpu&continue_on_failure=maybe", `{"enabled":true}`); r.errCode() != "262197" {
		t.Fatalf("bad continue_on_failure: %d %s", r.Status, r.Raw)
	}
	if r = e.do("PATCH", base+"?name=mpu", `{"name":"renamed"}`); r.errCode() != "262179" {
		t.Fatalf("PATCH of the name: %d %s", r.Status, r.Raw)
	}
	e.do("PATCH", base+"?name=mpu&continue_on_failure=true&serial_records=true", `{"enabled":true}`).must(t, 200)

	// DELETE by query; with every rule gone the configuration goes.
	r = e.do("DELETE", base+"?expiration.object_age_days=20&return_records=true", "").must(t, 200)
	if r.str("num_records") != "2" || r.str("records.1.name") != "logs-b" {
		t.Fatalf("DELETE by query: %s", r.Raw)
	}
	if got := ages(); got != "mpu:Enabled" {
		t.Fatalf("after DELETE: %s", got)
	}
	if r = e.do("DELETE", base+"?name=nothing", "").must(t, 200); r.str("num_records") != "0" {
		t.Fatalf("DELETE selecting nothing: %s", r.Raw)
	}
	e.do("DELETE", base, "").must(t, 200)
	if _, err := e.core.GetBucketLifecycle(context.Background(), svm, "bucket-1"); err == nil {
		t.Fatal("the configuration outlived a DELETE of every rule")
	}
	if r = e.do("DELETE", base, "").must(t, 200); r.str("num_records") != "0" {
		t.Fatalf("DELETE without rules: %s", r.Raw)
	}
	// An unknown bucket: ONTAP's rule code.
	if r = e.do("PATCH", "/api/protocols/s3/services/"+svm+"/buckets/00000000-0000-0000-0000-000000000000/rules?name=x", `{"enabled":true}`); r.Status != 404 || r.errCode() != "92405861" {
		t.Fatalf("unknown bucket: %d %s", r.Status, r.Raw)
	}
}
