package s3api

import (
	"encoding/xml"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"coffer/internal/acl"
	"coffer/internal/errs"
)

const (
	testID  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	testID2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func aclDoc(grants string) string {
	return `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>` + testID +
		`</ID><DisplayName>alice</DisplayName></Owner><AccessControlList>` + grants + `</AccessControlList></AccessControlPolicy>`
}

const xsi = `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`

func TestParseACLXML(t *testing.T) {
	user := `<Grant><Grantee ` + xsi + ` xsi:type="CanonicalUser"><ID>` + testID2 + `</ID><DisplayName>bob</DisplayName></Grantee><Permission>READ</Permission></Grant>`
	group := `<Grant><Grantee ` + xsi + ` xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>WRITE</Permission></Grant>`
	email := `<Grant><Grantee ` + xsi + ` xsi:type="AmazonCustomerByEmail"><EmailAddress>a@example.com</EmailAddress></Grantee><Permission>FULL_CONTROL</Permission></Grant>`
	undeclared := `<Grant><Grantee xsi:type="Group"><URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI></Grantee><Permission>READ_ACP</Permission></Grant>`
	doc, err := parseACLXML([]byte(aclDoc(user + group + email + undeclared)))
	if err != nil {
		t.Fatal(err)
	}
	want := []acl.Grant{
		{Grantee: acl.Grantee{Type: acl.CanonicalUser, ID: testID2}, Permission: acl.Read},
		{Grantee: acl.Grantee{Type: acl.Group, URI: acl.AllUsers}, Permission: acl.Write},
		{Grantee: acl.Grantee{Type: acl.Email, Email: "a@example.com"}, Permission: acl.FullControl},
		{Grantee: acl.Grantee{Type: acl.Group, URI: acl.LogDelivery}, Permission: acl.ReadACP},
	}
	if doc.OwnerID != testID || !reflect.DeepEqual(doc.Grants, want) {
		t.Fatalf("parsed %+v", doc)
	}
	if doc, err := parseACLXML([]byte(aclDoc(""))); err != nil || len(doc.Grants) != 0 {
		t.Fatalf("empty list: %+v %v", doc, err)
	}
	for name, tt := range map[string]struct {
		body string
		kind errs.Kind
	}{
		"not XML":         {"{}", errs.MalformedACL},
		"other root":      {"<Policy/>", errs.MalformedACL},
		"no owner":        {`<AccessControlPolicy><AccessControlList/></AccessControlPolicy>`, errs.MalformedACL},
		"no list":         {`<AccessControlPolicy><Owner><ID>x</ID></Owner></AccessControlPolicy>`, errs.MalformedACL},
		"bad permission":  {aclDoc(strings.Replace(user, "READ<", "ALL<", 1)), errs.MalformedACL},
		"no type":         {aclDoc(`<Grant><Grantee><ID>x</ID></Grantee><Permission>READ</Permission></Grant>`), errs.MalformedACL},
		"unknown type":    {aclDoc(strings.Replace(user, "CanonicalUser", "Role", 1)), errs.MalformedACL},
		"no id":           {aclDoc(strings.Replace(user, testID2, "", 1)), errs.MalformedACL},
		"no grantee":      {aclDoc(`<Grant><Permission>READ</Permission></Grant>`), errs.MalformedACL},
		"unknown group":   {aclDoc(strings.Replace(group, "global/AllUsers", "global/Everyone", 1)), errs.InvalidArgument},
		"trailing data":   {aclDoc("") + "<x/>", errs.MalformedACL},
		"too many grants": {aclDoc(strings.Repeat(user, acl.MaxGrants+1)), errs.MalformedACL},
	} {
		if _, err := parseACLXML([]byte(tt.body)); errs.KindOf(err) != tt.kind {
			t.Errorf("%s: %v, want %v", name, err, tt.kind)
		}
	}
	if _, err := parseACLXML([]byte(aclDoc(strings.Repeat(user, acl.MaxGrants)))); err != nil {
		t.Errorf("%d grants: %v", acl.MaxGrants, err)
	}
}

func TestParseACLHeaders(t *testing.T) {
	hdr := func(kv ...string) func(string) string {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h.Get
	}
	req, err := parseACLHeaders(hdr())
	if err != nil || req.Given {
		t.Fatalf("no headers: %+v %v", req, err)
	}
	if req, err := parseACLHeaders(hdr("X-Amz-Acl", "public-read")); err != nil || !req.Given || req.Canned != "public-read" {
		t.Fatalf("canned: %+v %v", req, err)
	}
	req, err = parseACLHeaders(hdr(
		"X-Amz-Grant-Read", `id="`+testID+`", uri="http://acs.amazonaws.com/groups/global/AllUsers"`,
		"X-Amz-Grant-Write-Acp", "ID="+testID2,
		"X-Amz-Grant-Full-Control", `emailAddress="x@example.com"`))
	want := []acl.Grant{
		{Grantee: acl.Grantee{Type: acl.CanonicalUser, ID: testID}, Permission: acl.Read},
		{Grantee: acl.Grantee{Type: acl.Group, URI: acl.AllUsers}, Permission: acl.Read},
		{Grantee: acl.Grantee{Type: acl.CanonicalUser, ID: testID2}, Permission: acl.WriteACP},
		{Grantee: acl.Grantee{Type: acl.Email, Email: "x@example.com"}, Permission: acl.FullControl},
	}
	if err != nil || !req.Given || !reflect.DeepEqual(req.Grants, want) {
		t.Fatalf("grants: %+v %v", req, err)
	}
	for name, tt := range map[string]struct {
		h    func(string) string
		kind errs.Kind
	}{
		"unknown canned":    {hdr("X-Amz-Acl", "world-writable"), errs.InvalidArgument},
		"canned and grants": {hdr("X-Amz-Acl", "private", "X-Amz-Grant-Read", "id="+testID), errs.InvalidRequest},
		"no equals":         {hdr("X-Amz-Grant-Read", testID), errs.InvalidArgument},
		"unknown key":       {hdr("X-Amz-Grant-Read", "arn=x"), errs.InvalidArgument},
		"empty item":        {hdr("X-Amz-Grant-Read", "id=a,,id=b"), errs.InvalidArgument},
		"empty value":       {hdr("X-Amz-Grant-Read", `id=""`), errs.InvalidArgument},
		"unknown group":     {hdr("X-Amz-Grant-Read", "uri=http://acs.amazonaws.com/groups/global/Nobody"), errs.InvalidArgument},
		"too many":          {hdr("X-Amz-Grant-Read", strings.Repeat("id=a,", acl.MaxGrants)+"id=a"), errs.MalformedACL},
	} {
		if _, err := parseACLHeaders(tt.h); errs.KindOf(err) != tt.kind {
			t.Errorf("%s: %v, want %v", name, err, tt.kind)
		}
	}
}

func TestRenderACL(t *testing.T) {
	s := &server{}
	a, _ := acl.Canned("log-delivery-write", testID, "", false)
	a.Grants = append(a.Grants, acl.Grant{Grantee: acl.Grantee{Type: acl.Email, Email: "x@example.com"}, Permission: acl.Read})
	out, err := xml.Marshal(s.renderACL(&owners{s: s, byID: map[string]ownerXML{}, byCan: map[string]string{}}, a))
	if err != nil {
		t.Fatal(err)
	}
	// What is rendered parses back to the same grants.
	doc, err := parseACLXML(out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if doc.OwnerID != testID || !reflect.DeepEqual(doc.Grants, a.Grants) {
		t.Fatalf("round trip of %s: %+v", out, doc)
	}
	if !strings.Contains(string(out), `xsi:type="Group"`) || !strings.Contains(string(out), "<URI>"+acl.LogDelivery+"</URI>") {
		t.Fatalf("rendered %s", out)
	}
}

func TestParseOwnershipAndPublicAccessBlockXML(t *testing.T) {
	o, err := parseOwnershipXML([]byte(`<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`))
	if err != nil || o != acl.ObjectWriter {
		t.Fatalf("ownership: %v %v", o, err)
	}
	for _, bad := range []string{`<OwnershipControls/>`, `<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>`,
		`<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`,
		`<Other/>`, `junk`} {
		if _, err := parseOwnershipXML([]byte(bad)); errs.KindOf(err) != errs.MalformedXML {
			t.Errorf("ownership %s: %v", bad, err)
		}
	}
	p, err := parsePublicAccessBlockXML([]byte(`<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>TRUE</RestrictPublicBuckets><IgnorePublicAcls>false</IgnorePublicAcls></PublicAccessBlockConfiguration>`))
	if err != nil || p != (acl.PublicAccessBlock{BlockPublicAcls: true, RestrictPublicBuckets: true}) {
		t.Fatalf("PAB: %+v %v", p, err)
	}
	for _, bad := range []string{`<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>`, `<X/>`, ``} {
		if _, err := parsePublicAccessBlockXML([]byte(bad)); errs.KindOf(err) != errs.MalformedXML {
			t.Errorf("PAB %q: %v", bad, err)
		}
	}
}

func FuzzParseACLXML(f *testing.F) {
	f.Add([]byte(aclDoc(`<Grant><Grantee ` + xsi + ` xsi:type="CanonicalUser"><ID>` + testID2 + `</ID></Grantee><Permission>READ</Permission></Grant>`)))
	f.Add([]byte(aclDoc(`<Grant><Grantee xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>`)))
	f.Add([]byte(`<AccessControlPolicy><Owner/><AccessControlList><Grant/></AccessControlList></AccessControlPolicy>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := parseACLXML(data)
		if err != nil {
			checkKnown(t, err)
			return
		}
		a := acl.ACL{Owner: doc.OwnerID, Grants: doc.Grants}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted an invalid ACL: %v", err)
		}
		if _, err := acl.Decode(a.Encode()); err != nil {
			t.Fatalf("accepted ACL does not round-trip: %v", err)
		}
	})
}

func FuzzParseGrantHeader(f *testing.F) {
	f.Add(`id="` + testID + `", uri="http://acs.amazonaws.com/groups/global/AllUsers"`)
	f.Add(`emailAddress="a@example.com"`)
	f.Add(`id=,uri`)
	f.Fuzz(func(t *testing.T, v string) {
		gs, err := parseGrantHeader(v, acl.Read)
		if err != nil {
			checkKnown(t, err)
			return
		}
		if len(gs) == 0 {
			t.Fatal("accepted a header without grants")
		}
		if err := (acl.ACL{Grants: gs}).Validate(); err != nil && len(gs) <= acl.MaxGrants {
			t.Fatalf("accepted invalid grants %+v: %v", gs, err)
		}
	})
}
