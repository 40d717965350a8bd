package ontap

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"coffer/internal/ontap/collection"
)

func TestONTAP_ParseRoute(t *testing.T) {
	const svm = "02c9e252-41be-11e9-81d5-00a0986138f7"
	tests := []struct {
		method, path string
		want         route
		status       int // routing error status, 0 for success
	}{
		{"GET", "/api/cluster", route{Res: resCluster, Method: "GET"}, 0},
		{"GET", "/api/cluster/", route{Res: resCluster, Method: "GET"}, 0},
		{"HEAD", "/api/cluster", route{Res: resCluster, Method: "GET", Head: true}, 0},
		{"GET", "/api/cluster/jobs/j1", route{Res: resJob, Method: "GET", UUID: "j1"}, 0},
		{"POST", "/api/svm/svms", route{Res: resSVMs, Method: "POST"}, 0},
		{"DELETE", "/api/svm/svms/u1", route{Res: resSVM, Method: "DELETE", UUID: "u1", SVM: "u1"}, 0},
		{"POST", "/api/protocols/s3/services", route{Res: resServices, Method: "POST"}, 0},
		{"PATCH", "/api/protocols/s3/services/" + svm, route{Res: resService, Method: "PATCH", SVM: svm}, 0},
		{"POST", "/api/protocols/s3/services/" + svm + "/users", route{Res: resUsers, Method: "POST", SVM: svm}, 0},
		{"GET", "/api/protocols/s3/services/" + svm + "/users/a+b%40c.d", route{Res: resUser, Method: "GET", SVM: svm, Name: "a+b@c.d"}, 0},
		{"PATCH", "/api/protocols/s3/services/" + svm + "/users/a%2Fb", route{Res: resUser, Method: "PATCH", SVM: svm, Name: "a/b"}, 0},
		{"POST", "/api/protocols/s3/services/" + svm + "/buckets", route{Res: resSvmBuckets, Method: "POST", SVM: svm}, 0},
		{"DELETE", "/api/protocols/s3/services/" + svm + "/buckets/b1", route{Res: resSvmBucket, Method: "DELETE", SVM: svm, UUID: "b1"}, 0},
		{"GET", "/api/protocols/s3/services/" + svm + "/groups/7", route{Res: resGroup, Method: "GET", SVM: svm, ID: "7"}, 0},
		{"PATCH", "/api/protocols/s3/services/" + svm + "/policies/P1", route{Res: resPolicy, Method: "PATCH", SVM: svm, Name: "P1"}, 0},
		{"GET", "/api/protocols/s3/buckets", route{Res: resBuckets, Method: "GET"}, 0},
		{"PATCH", "/api/protocols/s3/buckets/" + svm + "/b1", route{Res: resBucket, Method: "PATCH", SVM: svm, UUID: "b1"}, 0},
		{"OPTIONS", "/api/svm/svms", route{Res: resSVMs, Method: "OPTIONS"}, 0},
		// Errors.
		{"GET", "/api", route{}, 404},
		{"GET", "/api/nothing", route{}, 404},
		{"GET", "/other", route{}, 404},
		{"GET", "/api/protocols/s3/services/x/users/a/b", route{}, 404},
		{"GET", "/api/protocols/s3/services//users", route{}, 404},
		{"GET", "/api/protocols/s3/services/x/users/%zz", route{}, 404},
		{"DELETE", "/api/cluster", route{}, 405},
		{"POST", "/api/protocols/s3/services/x/users/u", route{}, 405},
		{"PUT", "/api/svm/svms", route{}, 405},
		{"POST", "/api/protocols/s3/buckets/x/y", route{}, 405},
	}
	for _, tc := range tests {
		got, err := parseRoute(tc.method, tc.path)
		if tc.status != 0 {
			var re *errRoute
			if !errors.As(err, &re) || re.status != tc.status {
				t.Errorf("%s %s: got %+v, %v; want status %d", tc.method, tc.path, got, err, tc.status)
			}
			if tc.status == 405 && len(re.allow) == 0 {
				t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %s: got %+v, %v; want %+v", tc.method, tc.path, got, err, tc.want)
		}
	}
}

func TestONTAP_ParseUserPost(t *testing.T) {
	in, err := parseUserPost([]byte(seedRequest))
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "user-1" || in.Comment != "S3 user" || !strings.HasPrefix(in.AccessKey, "Pz3SB54G2B") || in.SecretKey != "" {
		t.Fatalf("seed request parsed as %+v", in)
	}
	// Dotted keys are the same as nested objects.
	in, err = parseUserPost([]byte(`{"name":"u","svm.uuid":"x","key_time_to_live":"P1DT2H"}`))
	if err != nil || in.KeyTimeToLive != 26*time.Hour {
		t.Fatalf("dotted: %+v %v", in, err)
	}
	bad := []struct{ body, code, target string }{
		{`{"name":"u","nope":1}`, "262179", "nope"},
		{`{"name":"u","svm":{"uuid":"x","extra":1}}`, "", ""}, // svm.* is accepted whole
		{`{"name":"u","secret":"s"}`, "262179", "secret"},
		{`{"name":5}`, "262197", "name"},
		{`{"name":"u","comment":["x"]}`, "262197", "comment"},
		{`{"name":"u","key_time_to_live":"P1Y"}`, "2", ""},
		{`[1]`, "2", ""},
		{`{"name":"u"`, "2", ""},
		{`{"name":"u","name":"v"}`, "2", "name"},
		{`{"keys":[]}`, "262179", "keys"},
		{`{"key_expiry_time":"x"}`, "262179", "key_expiry_time"},
	}
	for _, tc := range bad {
		_, err := parseUserPost([]byte(tc.body))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		e, _ := toAPIError(err, route{Res: resUsers, Method: "POST"})
		if e.Code != tc.code || e.Status != 400 || tc.target != "" && e.Target != tc.target {
			t.Errorf("%s: got %+v (%v), want code %s target %s", tc.body, e, err, tc.code, tc.target)
		}
	}
}

func TestONTAP_ParseUserPatch(t *testing.T) {
	q := func(s string) collection.Query {
		v, _ := url.ParseQuery(s)
		cq, err := collection.ParseQuery(v, "regenerate_keys", "delete_keys")
		if err != nil {
			t.Fatal(err)
		}
		return cq
	}
	tests := []struct {
		query, body, code string
	}{
		{"regenerate_keys=true", `{}`, ""},
		{"regenerate_keys=true", `{"key_time_to_live":"PT1H","key_id":2}`, ""},
		{"delete_keys=true", ``, ""},
		{"", `{"comment":"c"}`, ""},
		{"regenerate_keys=true&delete_keys=true", `{}`, "92406082"},
		{"", `{"key_time_to_live":"P1D"}`, "92406088"},
		{"delete_keys=true", `{"access_key":"AK"}`, "92406202"},
		{"", `{"key_id":1}`, "92406108"},
		{"", `{"access_key":"AK","secret_key":"SSSSSSSS"}`, "2"},
		{"regenerate_keys=maybe", `{}`, "262197"},
		{"", `{"name":"x"}`, "262179"},
	}
	for _, tc := range tests {
		_, err := parseUserPatch(q(tc.query), []byte(tc.body))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tc.query, tc.body, err)
			}
			continue
		}
		e, _ := toAPIError(err, route{Res: resUser, Method: "PATCH"})
		if e.Code != tc.code {
			t.Errorf("%s %s: got %+v (%v), want %s", tc.query, tc.body, e, err, tc.code)
		}
	}
}

func TestONTAP_ParseBucketPost(t *testing.T) {
	b, err := parseBucketPost([]byte(`{"name":"bk1","svm.name":"vs1","policy":{"statements":[{"effect":"allow","sid":12,
		"actions":["GetObject"],"principals":["u1"],"resources":["bk1/*"],"conditions":[{"operator":"ip_address","source_ips":["10.0.0.0/8"]}]}]},
		"versioning_state":"enabled","size":300000000}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.createInput("t1")
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "bk1" || in.Size != 300000000 || in.Versioning != "enabled" || in.Policy == nil ||
		len(in.Policy.Statements) != 1 || in.Policy.Statements[0].Sid != "12" || b.SVM.Name != "vs1" {
		t.Fatalf("parsed %+v", in)
	}
	for _, tc := range []struct{ body, code string }{
		{`{"name":"Bad_Name"}`, "92405785"},
		{`{"name":"a..b"}`, "92405785"},
		{`{"name":"ab"}`, "92405786"},
		{`{}`, "92405786"},
		{`{"name":"bk1","type":"nas"}`, "3"},
		{`{"name":"bk1","policy":{"statements":[{"effect":"allow","actions":["Nope"]}]}}`, "92405906"},
		{`{"name":"bk1","policy":{"statements":[{"effect":"maybe"}]}}`, "92405963"},
		{`{"name":"bk1","aggregates":[]}`, "262179"},
		{`{"name":"bk1","policy":{"statements":[{"index":1}]}}`, "262179"},
	} {
		b, err := parseBucketPost([]byte(tc.body))
		if err == nil {
			_, err = b.createInput("t1")
		}
		e, _ := toAPIError(err, route{Res: resSvmBuckets, Method: "POST"})
		if e.Code != tc.code {
			t.Errorf("%s: got %+v (%v), want %s", tc.body, e, err, tc.code)
		}
	}
}

func TestONTAP_ParseGroupAndPolicy(t *testing.T) {
	g, err := parseGroupPost([]byte(`{"name":"g1","users":[{"name":"u1"},{"name":"u2"}],"policies":[{"name":"FullAccess"}],"svm":{"uuid":"x"}}`))
	if err != nil || g.Name != "g1" || len(g.Users) != 2 || g.Policies[0] != "FullAccess" {
		t.Fatalf("group: %+v %v", g, err)
	}
	p, err := parsePolicyPost([]byte(`{"name":"p1","statements":[{"effect":"deny","actions":["GetObject","PutObject"],"resources":["b/*"],"sid":"s1"}]}`))
	if err != nil || p.Name != "p1" || len(p.Document.Statements) != 1 || p.Document.Statements[0].Effect != "Deny" {
		t.Fatalf("policy: %+v %v", p, err)
	}
	if _, err := parsePolicyPost([]byte(`{"name":"p1","statements":[{"effect":"allow","actions":["*"],"resources":["*"],"principals":["u"]}]}`)); err == nil {
		t.Fatal("principals accepted in a server policy")
	}
}

func TestONTAP_ISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"P2DT6H3M10S": 2*24*time.Hour + 6*time.Hour + 3*time.Minute + 10*time.Second,
		"P1W":         7 * 24 * time.Hour, "PT6H3M": 6*time.Hour + 3*time.Minute,
		"0": 0, "PT0S": 0, "p30d": 30 * 24 * time.Hour,
	} {
		got, err := parseISODuration(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"P", "PT", "P1Y", "P1M", "1D", "P1H", "PT1D", "P1DT", "P-1D", "P99999999999D", "P1D2"} {
		if d, err := parseISODuration(in); err == nil {
			t.Errorf("%q accepted as %v", in, d)
		}
	}
	for d, want := range map[time.Duration]string{0: "PT0S", time.Hour: "PT1H", 26 * time.Hour: "P1DT2H", 90 * time.Second: "PT1M30S"} {
		if got := formatISODuration(d); got != want {
			t.Errorf("format %v: %q, want %q", d, got, want)
		}
	}
}
