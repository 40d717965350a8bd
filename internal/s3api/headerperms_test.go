package s3api

import (
	"testing"

	"coffer/internal/core"
)

// Headers that set a sub-resource ask for its permission (AWS's API
// reference for CreateBucket and PutObject); an ACL header on an object
// write does not.
func TestHeaderActions_askedWhereAWSAsks(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		method, path string
		hdr          []string
		deny         string // the action refused; "" = none needed beyond the operation's
	}{
		{"PUT", "/hb1", []string{"X-Amz-Acl", "private"}, "s3:PutBucketAcl"},
		{"PUT", "/hb2", []string{"X-Amz-Grant-Read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""}, "s3:PutBucketAcl"},
		{"PUT", "/hb3", []string{"X-Amz-Object-Ownership", "ObjectWriter"}, "s3:PutBucketOwnershipControls"},
		{"PUT", "/hb4/k", []string{"X-Amz-Tagging", "a=b"}, "s3:PutObjectTagging"},
		{"POST", "/hb4/k?uploads", []string{"X-Amz-Tagging", "a=b"}, "s3:PutObjectTagging"},
		{"PUT", "/hb4/c", []string{"X-Amz-Copy-Source", "/hb4/plain", "X-Amz-Tagging-Directive", "REPLACE", "X-Amz-Tagging", "a=b"}, "s3:PutObjectTagging"},
	}
	h.want(h.do("PUT", "/hb4", ""), 200)
	h.want(h.do("PUT", "/hb4/plain", "x"), 200)
	for _, c := range cases {
		h.authz.deny = func(r core.Request) bool { return r.Action == c.deny }
		if e := errorDoc(t, h.want(h.do(c.method, c.path, "", c.hdr...), 403)); e.Code != "AccessDenied" {
			t.Fatalf("%s %s %v without %s: %+v", c.method, c.path, c.hdr, c.deny, e)
		}
		h.authz.deny = nil
	}
	// Everything above except the header-named action is allowed: the
	// same requests pass once it is granted (buckets were not created).
	h.authz.deny = func(r core.Request) bool { return r.Action == "s3:PutObjectAcl" }
	h.want(h.do("PUT", "/hb4/acl", "x", "X-Amz-Acl", "bucket-owner-full-control"), 200)
	for _, c := range []int{0, 2} {
		h.want(h.do(cases[c].method, cases[c].path, "", cases[c].hdr...), 200)
	}
}
