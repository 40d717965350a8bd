package ontap

import (
	"context"
	"strings"
	"testing"
	"time"

	"coffer/internal/lifecycle"
)

// Lifecycle management rules at .../buckets/{uuid}/rules: ONTAP's rule
// shape over the bucket's one S3 lifecycle configuration.

func TestONTAP_Rules_crud(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	e.do("POST", "/api/protocols/s3/services/"+svm+"/buckets?return_timeout=30", `{"name":"bucket-1"}`).must(t, 201)
	u := e.bucketUUID(svm, "bucket-1")
	base := "/api/protocols/s3/services/" + svm + "/buckets/" + u + "/rules"

	if l := e.do("GET", base, "").must(t, 200); l.str("num_records") != "0" {
		t.Fatalf("no rules yet: %s", l.Raw)
	}
	r := e.do("POST", base+"?return_records=true", `{"name":"logs","object_filter":{"prefix":"/logs","tags":["project1=projA","k\\=x=v"],"size_greater_than":10240},
		"expiration":{"object_age_days":30},"non_current_version_expiration":{"non_current_days":7,"new_non_current_versions":2}}`).must(t, 201)
	if r.Header.Get("Location") != base+"/logs" || r.str("records.0.name") != "logs" {
		t.Fatalf("POST: %s %v", r.Raw, r.Header)
	}
	e.do("POST", base, `{"name":"mpu","abort_incomplete_multipart_upload":{"after_initiation_days":3},"enabled":false}`).must(t, 201)
	e.do("POST", base, `{"name":"markers","expiration":{"expired_object_delete_marker":true}}`).must(t, 201)
	e.do("POST", base, `{"name":"dated","expiration":{"object_expiry_date":"2030-01-01T00:00:00Z"}}`).must(t, 201)

	// The collection: names only, unless fields=** (ONTAP's note).
	l := e.do("GET", base, "").must(t, 200)
	if l.str("num_records") != "4" || l.str("records.0.name") != "dated" || l.field("records.0.expiration") != nil {
		t.Fatalf("GET rules: %s", l.Raw)
	}
	l = e.do("GET", base+"?fields=**&name=logs", "").must(t, 200)
	if l.str("records.0.expiration.object_age_days") != "30" || l.str("records.0.object_filter.prefix") != "/logs" ||
		l.str("records.0.object_filter.tags.1") != `k\=x=v` || l.str("records.0.object_filter.size_greater_than") != "10240" ||
		l.str("records.0.non_current_version_expiration.new_non_current_versions") != "2" ||
		l.str("records.0.bucket_name") != "bucket-1" || l.str("records.0.uuid") != u || l.str("records.0.enabled") != "true" {
		t.Fatalf("GET rules fields=**: %s", l.Raw)
	}
	// One rule: the same (ONTAP's note), fields=** or named fields.
	if g := e.do("GET", base+"/mpu", "").must(t, 200); g.field("abort_incomplete_multipart_upload") != nil || g.str("name") != "mpu" {
		t.Fatalf("GET mpu without fields: %s", g.Raw)
	}
	g := e.do("GET", base+"/mpu?fields=**", "").must(t, 200)
	if g.str("enabled") != "false" || g.str("abort_incomplete_multipart_upload.after_initiation_days") != "3" {
		t.Fatalf("GET mpu: %s", g.Raw)
	}
	g = e.do("GET", base+"/dated?fields=expiration", "").must(t, 200)
	if !strings.HasPrefix(g.str("expiration.object_expiry_date"), "2030-01-01T00:00:00") {
		t.Fatalf("GET dated: %s", g.Raw)
	}

	// The same configuration is S3's.
	c, err := e.core.GetBucketLifecycle(context.Background(), svm, "bucket-1")
	if err != nil || len(c.Rules) != 4 {
		t.Fatalf("S3 configuration: %+v %v", c, err)
	}
	lr := c.Rules[0]
	if lr.ID != "logs" || lr.Status != lifecycle.Enabled || lr.Filter.Prefix != "/logs" || !lr.Filter.And ||
		len(lr.Filter.Tags) != 2 || lr.Filter.Tags[1] != (lifecycle.Tag{Key: "k=x", Value: "v"}) ||
		lr.Expiration.Days != 30 || lr.NoncurrentExpiration.NoncurrentDays != 7 || lr.NoncurrentExpiration.NewerNoncurrentVersions != 2 {
		t.Fatalf("S3 rule: %+v", lr)
	}
	if c.Rules[1].Status != lifecycle.Disabled || c.Rules[3].Expiration.Date != time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("S3 rules: %+v", c.Rules)
	}

	// PATCH: enabled and the actions; the filter stays.
	e.do("PATCH", base+"/mpu", `{"enabled":true,"abort_incomplete_multipart_upload":{"after_initiation_days":5}}`).must(t, 200)
	g = e.do("GET", base+"/mpu?fields=enabled,abort_incomplete_multipart_upload", "").must(t, 200)
	if g.str("enabled") != "true" || g.str("abort_incomplete_multipart_upload.after_initiation_days") != "5" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	e.do("PATCH", base+"/logs", `{"expiration":{"object_age_days":60},"object_filter":{"prefix":"/logs","tags":["k\\=x=v","project1=projA"],"size_greater_than":10240}}`).must(t, 200)
	e.do("PATCH", base+"/dated", `{"expiration":{"object_age_days":5}}`).must(t, 200)
	g = e.do("GET", base+"/dated?fields=**", "").must(t, 200)
	if g.str("expiration.object_age_days") != "5" || g.field("expiration.object_expiry_date") != nil {
		t.Fatalf("date replaced by an age: %s", g.Raw)
	}
	if r := e.do("PATCH", base+"/logs", `{"object_filter":{"prefix":"/other"}}`).must(t, 400); r.errCode() != "92406113" {
		t.Fatalf("PATCH filter: %s", r.Raw)
	}
	if r := e.do("PATCH", base+"/markers", `{"expiration":{"expired_object_delete_marker":false}}`).must(t, 400); r.errCode() != "92406142" {
		t.Fatalf("PATCH marker false: %s", r.Raw)
	}
	if r := e.do("PATCH", base+"/nope", `{"enabled":false}`).must(t, 404); r.errCode() != "4" {
		t.Fatalf("PATCH unknown: %s", r.Raw)
	}

	// DELETE one, then the rest: the configuration goes with the last.
	e.do("DELETE", base+"/logs", "").must(t, 200)
	e.do("GET", base+"/logs", "").must(t, 404)
	for _, n := range []string{"mpu", "markers", "dated"} {
		e.do("DELETE", base+"/"+n, "").must(t, 200)
	}
	if _, err := e.core.GetBucketLifecycle(context.Background(), svm, "bucket-1"); err == nil {
		t.Fatal("the configuration outlived its last rule")
	}
	e.do("DELETE", base+"/logs", "").must(t, 404)
}

func TestONTAP_Rules_errors(t *testing.T) {
	e := newTestEnv(t)
	svm := e.mkSVM("svm1")
	e.do("POST", "/api/protocols/s3/services/"+svm+"/buckets?return_timeout=30", `{"name":"bucket-1"}`).must(t, 201)
	u := e.bucketUUID(svm, "bucket-1")
	base := "/api/protocols/s3/services/" + svm + "/buckets/" + u + "/rules"
	for _, c := range []struct{ body, code string }{
		{`{"expiration":{"object_age_days":1}}`, "2"},
		{`{"name":"r"}`, "92406149"},
		{`{"name":"r","expiration":{}}`, "92406114"},
		{`{"name":"r","expiration":{"object_age_days":0}}`, "92406132"},
		{`{"name":"r","expiration":{"object_age_days":1,"object_expiry_date":"2030-01-01T00:00:00Z"}}`, "92406117"},
		{`{"name":"r","expiration":{"object_expiry_date":"2030-01-01T10:00:00Z"}}`, "92406136"},
		{`{"name":"r","expiration":{"object_expiry_date":"1960-01-01T00:00:00Z"}}`, "92406133"},
		{`{"name":"r","expiration":{"object_expiry_date":"tomorrow"}}`, "262197"},
		{`{"name":"r","expiration":{"expired_object_delete_marker":true,"object_age_days":1}}`, "92406122"},
		{`{"name":"r","expiration":{"expired_object_delete_marker":true},"object_filter":{"tags":["a=b"]}}`, "92406121"},
		{`{"name":"r","expiration":{"expired_object_delete_marker":true},"object_filter":{"size_less_than":5}}`, "92406150"},
		{`{"name":"r","expiration":{"expired_object_delete_marker":false}}`, "92406141"},
		{`{"name":"r","non_current_version_expiration":{}}`, "92406115"},
		{`{"name":"r","non_current_version_expiration":{"new_non_current_versions":3}}`, "92406131"},
		{`{"name":"r","non_current_version_expiration":{"non_current_days":1,"new_non_current_versions":101}}`, "92406148"},
		{`{"name":"r","abort_incomplete_multipart_upload":{}}`, "92406116"},
		{`{"name":"r","abort_incomplete_multipart_upload":{"after_initiation_days":1},"object_filter":{"tags":["a"]}}`, "92406120"},
		{`{"name":"r","abort_incomplete_multipart_upload":{"after_initiation_days":1},"object_filter":{"size_greater_than":1}}`, "92406144"},
		{`{"name":"r","expiration":{"object_age_days":1},"object_filter":{"tags":["a","b","c","d","e"]}}`, "92406111"},
		{`{"name":"r","expiration":{"object_age_days":1},"object_filter":{"tags":["a=1","a=2"]}}`, "92406128"},
		{`{"name":"r","expiration":{"object_age_days":1},"object_filter":{"tags":["a#=1"]}}`, "92406126"},
		{`{"name":"r","expiration":{"object_age_days":1},"object_filter":{"tags":["` + strings.Repeat("k", 129) + `"]}}`, "92406127"},
		{`{"name":"r","expiration":{"object_age_days":1},"object_filter":{"prefix":"` + strings.Repeat("p", 1025) + `"}}`, "92406129"},
		{`{"name":"r","expiration":{"object_age_days":1},"object_filter":{"size_greater_than":10,"size_less_than":5}}`, "92406130"},
		{`{"name":"r","expiration":{"object_age_days":1},"filter":{}}`, "262179"},
	} {
		if r := e.do("POST", base, c.body).must(t, 400); r.errCode() != c.code {
			t.Errorf("%s: %s", c.body, r.Raw)
		}
	}
	e.do("POST", base, `{"name":"r","expiration":{"object_age_days":1}}`).must(t, 201)
	if r := e.do("POST", base, `{"name":"r","expiration":{"object_age_days":2}}`).must(t, 409); r.errCode() != "92406146" {
		t.Fatalf("duplicate: %s", r.Raw)
	}
	if r := e.do("GET", "/api/protocols/s3/services/"+svm+"/buckets/00000000-0000-0000-0000-000000000000/rules", "").must(t, 404); r.errCode() != "92405861" {
		t.Fatalf("unknown bucket: %s", r.Raw)
	}
}

// FuzzRuleTag: a tag string parses or is refused with an ONTAP code, and
// a parsed tag renders to a string that parses back to it.
func FuzzRuleTag(f *testing.F) {
	for _, s := range []string{"k=v", "k", `a\=b=c\=d`, "=v", "k==v", "a b:c/d@e", "k#", `\`, `k\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag, err := parseRuleTag(s)
		if err != nil {
			if e, ok := err.(*apiError); !ok || e.Status != 400 || !strings.HasPrefix(e.Code, "924061") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		back, err := parseRuleTag(renderRuleTag(tag))
		if err != nil || back != tag {
			t.Fatalf("%q: %+v renders %q, reads back %+v %v", s, tag, renderRuleTag(tag), back, err)
		}
	})
}
