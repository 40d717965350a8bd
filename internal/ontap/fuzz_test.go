package ontap

import (
	"net/url"
	"testing"

	"coffer/internal/ontap/collection"
)

// Fuzz targets for every parser of untrusted management input: the JSON
// bodies of each endpoint, the user PATCH switches, the path router and
// ISO-8601 durations. The invariant is the same everywhere: no panic, and
// every failure is an ONTAP error of the table with a 4xx status (never an
// internal error).

func bodySeeds(f *testing.F) {
	for _, s := range []string{
		seedRequest, ``, `{}`, `[]`, `null`, `{"name":"u"}`, `{"svm.uuid":"x","svm":{"name":"y"}}`,
		`{"a.b.c":1,"a":{"b":{"d":2}}}`, `{"name":"bk1","policy":{"statements":[{"effect":"allow","sid":1,"conditions":[{"operator":"ip_address","source_ips":["10.0.0.0/8"]}]}]}}`,
		`{"users":[{"name":"u"}],"buckets":[{"name":"bk1"}],"svm":{"uuid":"x"}}`,
		`{"statements":[{"effect":"deny","actions":["*"],"resources":["*"]}]}`,
		`{"key_time_to_live":"P1DT2H","key_id":2}`, `{"name":"\u0000"}`, `{"size":1e400}`, `{"size":-1}`,
		`{"s3":{"enabled":true,"name":"s.example.com"}}`, `{"x":{"y":[{"z":[[[]]]}]}}`,
	} {
		f.Add([]byte(s))
	}
}

func checkParseErr(t *testing.T, err error, rt route) {
	t.Helper()
	if err == nil {
		return
	}
	e, mapped := toAPIError(err, rt)
	if !mapped || e.Status < 400 || e.Status >= 500 || e.Code == "" {
		t.Fatalf("parse error not a 4xx ONTAP error: %+v (%v)", e, err)
	}
}

func FuzzONTAP_ParseUserPost(f *testing.F) {
	bodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseUserPost(body)
		checkParseErr(t, err, route{Res: resUsers, Method: "POST"})
	})
}

func FuzzONTAP_ParseUserPatch(f *testing.F) {
	bodySeeds(f)
	f.Add([]byte(`{"access_key":"AK","secret_key":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, qs := range []string{"", "regenerate_keys=true", "delete_keys=true", "regenerate_keys=true&delete_keys=true"} {
			v, _ := url.ParseQuery(qs)
			q, err := collection.ParseQuery(v, "regenerate_keys", "delete_keys")
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseUserPatch(q, body)
			checkParseErr(t, err, route{Res: resUser, Method: "PATCH"})
		}
	})
}

func FuzzONTAP_ParseBucketBody(f *testing.F) {
	bodySeeds(f)
	f.Add([]byte(`{"name":"bucket-1","lifecycle_management":{"rules":[{"name":"r","object_filter":{"prefix":"a/","tags":["k=v"]},` +
		`"expiration":{"object_age_days":3}},{"name":"m","abort_incomplete_multipart_upload":{"after_initiation_days":1}}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := parseBucketPost(body)
		if err == nil {
			_, err = b.createInput("t")
		}
		checkParseErr(t, err, route{Res: resSvmBuckets, Method: "POST"})
		b, err = parseBucketPatch(body)
		if err == nil {
			_, err = b.patch("bucket-1")
		}
		checkParseErr(t, err, route{Res: resSvmBucket, Method: "PATCH"})
	})
}

func FuzzONTAP_ParseServiceBody(f *testing.F) {
	bodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, _, err := parseServicePost(body)
		if err == nil {
			for i := range b.Buckets {
				if _, err = b.Buckets[i].createInput("t"); err != nil {
					break
				}
			}
		}
		checkParseErr(t, err, route{Res: resServices, Method: "POST"})
		_, err = parseServicePatch(body)
		checkParseErr(t, err, route{Res: resService, Method: "PATCH"})
	})
}

func FuzzONTAP_ParseGroupPolicySVMBodies(f *testing.F) {
	bodySeeds(f)
	for _, s := range []string{`{"name":"vs1","language":"C.UTF-8","snapshot_policy":"none","ipspace":"Default","max_volumes":"100"}`,
		`{"name":"vs1","snapshot_policy":{"name":"default"},"ipspace":{"uuid":"x"},"max_volumes":7,"aggregates":[{"name":"a1"}]}`,
		`{"name":"vs1","aggregates":["a1"],"max_volumes":true}`, `{"snapshot_policy":{"name":{"x":1}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseGroupPost(body)
		checkParseErr(t, err, route{Res: resGroups, Method: "POST"})
		_, err = parseGroupPatch(body)
		checkParseErr(t, err, route{Res: resGroup, Method: "PATCH"})
		_, err = parsePolicyPost(body)
		checkParseErr(t, err, route{Res: resPolicies, Method: "POST"})
		_, err = parsePolicyPatch(body)
		checkParseErr(t, err, route{Res: resPolicy, Method: "PATCH"})
		b, err := parseSVMBody(body, true)
		if err == nil {
			_, err = b.createInput()
		}
		checkParseErr(t, err, route{Res: resSVMs, Method: "POST"})
		b, err = parseSVMBody(body, false)
		if err == nil {
			_, err = b.patch()
		}
		checkParseErr(t, err, route{Res: resSVM, Method: "PATCH"})
	})
}

func FuzzONTAP_ParseRoute(f *testing.F) {
	for _, s := range []string{"/api/cluster", "/api/protocols/s3/services/x/users/a%2Fb", "/api/protocols/s3/buckets/x/y",
		"/api//", "/api/%", "/api/protocols/s3/services/x/groups/1/"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		rt, err := parseRoute(method, path)
		if err != nil {
			checkParseErr(t, err, rt)
			return
		}
		if endpoints[rt.Res] == nil {
			t.Fatalf("route %+v has no endpoint", rt)
		}
	})
}

func FuzzONTAP_ISODuration(f *testing.F) {
	for _, s := range []string{"P1D", "PT1H", "P1W", "0", "P2DT6H3M10S", "P999999999W"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseISODuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("%q parsed as negative %v", s, d)
		}
		back, err := parseISODuration(formatISODuration(d))
		if err != nil || back != d.Truncate(1e9) {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, formatISODuration(d), back, err)
		}
	})
}
