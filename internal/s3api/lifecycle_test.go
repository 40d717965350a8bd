package s3api

import (
	"encoding/xml"
	"strings"
	"testing"
)

const lifecycleDoc = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
 <Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
 <Rule><ID>tagged</ID><Filter><Tag><Key>tmp</Key><Value>yes</Value></Tag></Filter><Status>Enabled</Status><Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>
 <Rule><ID>mpu</ID><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>
</LifecycleConfiguration>`

func TestBucketLifecycleOperations(t *testing.T) {
	h := newHarness(t, nil)
	h.want(h.do("PUT", "/life", ""), 200)
	if e := errorDoc(t, h.want(h.do("GET", "/life?lifecycle", ""), 404)); e.Code != "NoSuchLifecycleConfiguration" {
		t.Fatalf("GET without rules: %s", e.Code)
	}
	if e := errorDoc(t, h.want(h.do("PUT", "/life?lifecycle", lifecycleDoc), 400)); e.Code != "InvalidRequest" || !strings.Contains(e.Message, "Content-MD5") {
		t.Fatalf("PUT without an integrity check: %s %s", e.Code, e.Message)
	}
	bad := strings.Replace(lifecycleDoc, "<Days>1</Days>", "<Days>0</Days>", 1)
	if e := errorDoc(t, h.want(h.do("PUT", "/life?lifecycle", bad, "Content-MD5", contentMD5(bad)), 400)); e.Code != "InvalidArgument" {
		t.Fatalf("Days 0: %s", e.Code)
	}
	if e := errorDoc(t, h.want(h.do("PUT", "/life?lifecycle", "<Lifecycle", "Content-MD5", contentMD5("<Lifecycle")), 400)); e.Code != "MalformedXML" {
		t.Fatalf("not XML: %s", e.Code)
	}
	resp := h.do("PUT", "/life?lifecycle", lifecycleDoc, "Content-MD5", contentMD5(lifecycleDoc), minSizeHeader, "varies_by_storage_class")
	h.want(resp, 200)
	if got := resp.Header.Get(minSizeHeader); got != "varies_by_storage_class" {
		t.Fatalf("PUT %s: %q", minSizeHeader, got)
	}
	resp = h.do("GET", "/life?lifecycle", "")
	got := h.want(resp, 200)
	if resp.Header.Get(minSizeHeader) != "varies_by_storage_class" {
		t.Fatalf("GET %s: %q", minSizeHeader, resp.Header.Get(minSizeHeader))
	}
	var doc struct {
		Rules []struct {
			ID     string `xml:"ID"`
			Prefix string `xml:"Filter>Prefix"`
			Days   int    `xml:"Expiration>Days"`
		} `xml:"Rule"`
	}
	if err := xml.Unmarshal([]byte(got), &doc); err != nil || len(doc.Rules) != 3 || doc.Rules[0].ID != "logs" ||
		doc.Rules[0].Prefix != "logs/" || doc.Rules[0].Days != 1 {
		t.Fatalf("GetBucketLifecycleConfiguration: %v\n%s", err, got)
	}
	// x-amz-expiration on PUT, GET and HEAD. The fake clock is 2026-03-04
	// 05:06:xx: plus one day, rounded up to midnight UTC.
	want := `expiry-date="Fri, 06 Mar 2026 00:00:00 GMT", rule-id="logs"`
	resp = h.do("PUT", "/life/logs/a", "x")
	h.want(resp, 200)
	if got := resp.Header.Get("X-Amz-Expiration"); got != want {
		t.Fatalf("PUT x-amz-expiration %q", got)
	}
	for _, m := range []string{"GET", "HEAD"} {
		resp = h.do(m, "/life/logs/a", "")
		h.want(resp, 200)
		if got := resp.Header.Get("X-Amz-Expiration"); got != want {
			t.Fatalf("%s x-amz-expiration %q", m, got)
		}
	}
	resp = h.do("PUT", "/life/other", "x", "X-Amz-Tagging", "tmp=yes")
	h.want(resp, 200)
	if got := resp.Header.Get("X-Amz-Expiration"); got != `expiry-date="Fri, 01 Jan 2027 00:00:00 GMT", rule-id="tagged"` {
		t.Fatalf("tag rule x-amz-expiration %q", got)
	}
	resp = h.do("PUT", "/life/plain", "x")
	h.want(resp, 200)
	if got := resp.Header.Get("X-Amz-Expiration"); got != "" {
		t.Fatalf("no rule applies, yet x-amz-expiration %q", got)
	}
	h.want(h.do("DELETE", "/life?lifecycle", ""), 204)
	h.want(h.do("GET", "/life?lifecycle", ""), 404)
	resp = h.do("GET", "/life/logs/a", "")
	h.want(resp, 200)
	if got := resp.Header.Get("X-Amz-Expiration"); got != "" {
		t.Fatalf("rules deleted, yet x-amz-expiration %q", got)
	}
	h.want(h.do("POST", "/life?lifecycle", ""), 501) // no such operation
}

func TestRouteLifecycle(t *testing.T) {
	for method, want := range map[string]OpKind{"GET": OpGetBucketLifecycleConfiguration, "PUT": OpPutBucketLifecycleConfiguration, "DELETE": OpDeleteBucketLifecycle} {
		op, err := parseOp(method, "h", "/b", "lifecycle", nil, "")
		if err != nil || op.Kind != want {
			t.Fatalf("%s ?lifecycle: %v %v", method, op.Kind, err)
		}
	}
	if a := (Op{Kind: OpDeleteBucketLifecycle}).Action(); a != "s3:PutLifecycleConfiguration" {
		t.Fatalf("DeleteBucketLifecycle action %s", a)
	}
	if a := (Op{Kind: OpGetBucketLifecycleConfiguration}).Action(); a != "s3:GetLifecycleConfiguration" {
		t.Fatalf("GetBucketLifecycleConfiguration action %s", a)
	}
}
