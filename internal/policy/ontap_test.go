package policy

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"coffer/internal/errs"
)

// An ONTAP bucket policy as the REST API carries it (TRI/PY17 examples).
const ontapBucketPolicyJSON = `[
  {"sid": "FullAccessToUser1", "effect": "allow", "actions": ["GetObject", "PutObject", "DeleteObject", "ListBucket"],
   "principals": ["user1", "group/grp1"], "resources": ["bucket1", "bucket1/*"],
   "conditions": [
     {"operator": "ip_address", "source_ips": ["1.1.1.1/23", "1.2.2.2/20"]},
     {"operator": "string_equals", "usernames": ["user1"], "prefixes": ["pref"], "delimiters": ["/"]},
     {"operator": "numeric_less_than_equals", "max_keys": [1000]}
   ]},
  {"sid": 5, "effect": "deny", "actions": ["*Object"], "principals": ["*"], "resources": ["bucket1/secret/*"],
   "conditions": [{"operator": "not_ip_address", "source_ips": ["2001:db8::/32"]}]}
]`

func TestFromONTAPBucketPolicy(t *testing.T) {
	var stmts []ONTAPStatement
	// ONTAP's own example uses host bits; fix them to a valid subnet.
	in := strings.NewReplacer("1.1.1.1/23", "1.1.0.0/23", "1.2.2.2/20", "1.2.0.0/20").Replace(ontapBucketPolicyJSON)
	if err := json.Unmarshal([]byte(in), &stmts); err != nil {
		t.Fatal(err)
	}
	if stmts[1].Sid != "5" {
		t.Fatalf("numeric sid decoded as %q", stmts[1].Sid)
	}
	d, err := FromONTAPBucketPolicy("bucket1", stmts)
	if err != nil {
		t.Fatal(err)
	}
	want := Document{Version: Version2012, Statements: []Statement{
		{Sid: "FullAccessToUser1", Effect: EffectAllow,
			Actions:    []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"},
			Principals: []string{"user1", "group/grp1"},
			Resources:  []string{"arn:aws:s3:::bucket1", "arn:aws:s3:::bucket1/*"},
			Conditions: []Condition{
				{"IpAddress", "aws:SourceIp", []string{"1.1.0.0/23", "1.2.0.0/20"}},
				{"StringEquals", "aws:username", []string{"user1"}},
				{"StringEquals", "s3:prefix", []string{"pref"}},
				{"StringEquals", "s3:delimiter", []string{"/"}},
				{"NumericLessThanEquals", "s3:max-keys", []string{"1000"}},
			}},
		{Sid: "5", Effect: EffectDeny, Actions: []string{"s3:*Object"}, Principals: []string{"*"},
			Resources:  []string{"arn:aws:s3:::bucket1/secret/*"},
			Conditions: []Condition{{"NotIpAddress", "aws:SourceIp", []string{"2001:db8::/32"}}}},
	}}
	if !sameDoc(d, want) {
		t.Fatalf("got  %+v\nwant %+v", d, want)
	}

	// ONTAP -> Document -> ONTAP is exact.
	back := ToONTAP(d)
	if !reflect.DeepEqual(back, stmts) {
		t.Fatalf("ToONTAP:\n%+v\nwant\n%+v", back, stmts)
	}
	// ... and Document -> AWS JSON -> Document too.
	assertAWSRoundTrip(t, d)

	req := Request{User: "user1", Action: "s3:ListBucket", Bucket: "bucket1", SourceIP: netip.MustParseAddr("1.1.1.1"),
		Context: map[string]string{"s3:prefix": "pref", "s3:delimiter": "/", "s3:max-keys": "1000"}}
	if got := Evaluate(req, d); got != Allow {
		t.Fatalf("Evaluate = %v", got)
	}
	req.Context["s3:max-keys"] = "1001"
	if got := Evaluate(req, d); got != NoMatch {
		t.Fatalf("Evaluate max-keys 1001 = %v", got)
	}
	del := Request{User: "user1", Action: "s3:DeleteObject", Bucket: "bucket1", Key: "secret/x", SourceIP: netip.MustParseAddr("1.1.1.1")}
	if got := Evaluate(del, d); got != Deny {
		t.Fatalf("deny statement: %v", got)
	}
}

func TestFromONTAPDefaultsAndJSON(t *testing.T) {
	d, err := FromONTAPBucketPolicy("b1", []ONTAPStatement{{Effect: "Allow", Conditions: []ONTAPCondition{{Operator: "ip_address", SourceIps: []string{"10.0.0.1", "2001:db8::1"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := d.Statements[0]
	if len(s.Actions) != len(ontapDefaultActions) || s.Actions[0] != "s3:GetObject" ||
		!reflect.DeepEqual(s.Resources, []string{"arn:aws:s3:::b1/*"}) || s.Principals != nil {
		t.Fatalf("defaults: %+v", s)
	}
	if got := s.Conditions[0].Values; !reflect.DeepEqual(got, []string{"10.0.0.1/32", "2001:db8::1/128"}) {
		t.Fatalf("bare IPs: %v", got)
	}
	// Every SVM user, but not anonymous.
	r := Request{User: "x", Action: "s3:GetObject", Bucket: "b1", Key: "k", SourceIP: netip.MustParseAddr("10.0.0.1")}
	if Evaluate(r, d) != Allow {
		t.Fatal("SVM user not allowed")
	}
	r.User = ""
	if Evaluate(r, d) != NoMatch {
		t.Fatal("anonymous allowed")
	}
	b, err := json.Marshal(ToONTAP(d))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"effect":"allow","actions":["GetObject","PutObject","DeleteObject","ListBucket","ListBucketMultipartUploads","ListMultipartUploadParts","GetObjectTagging","PutObjectTagging","DeleteObjectTagging","GetBucketVersioning","PutBucketVersioning"],"resources":["b1/*"],"conditions":[{"operator":"ip_address","source_ips":["10.0.0.1/32","2001:db8::1/128"]}]}]`
	if string(b) != want {
		t.Fatalf("ToONTAP JSON:\n%s\nwant\n%s", b, want)
	}
}

func TestONTAPServerPolicyRoundTrip(t *testing.T) {
	// PY17 example statements of /protocols/s3/services/{svm}/policies.
	js := `[{"effect":"allow","index":0,"resources":["bucket1","bucket1/*"],"actions":["*"],"sid":"FullAccessToBucket1"},
	        {"effect":"deny","index":1,"resources":["*"],"actions":["DeleteBucket","GetBucket*"],"sid":"NoDelete"}]`
	var stmts []ONTAPStatement
	if err := json.Unmarshal([]byte(js), &stmts); err != nil {
		t.Fatal(err)
	}
	d, err := FromONTAP(stmts)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Statements[0].Actions; !reflect.DeepEqual(got, []string{"s3:*"}) {
		t.Fatalf("actions %v", got)
	}
	if got := d.Statements[1].Resources; !reflect.DeepEqual(got, []string{"arn:aws:s3:::*"}) {
		t.Fatalf("resources %v", got)
	}
	back := ToONTAP(d)
	for i := range stmts {
		stmts[i].Index = nil
	}
	if !reflect.DeepEqual(back, stmts) {
		t.Fatalf("round trip:\n%+v\n%+v", back, stmts)
	}
	for _, tc := range []struct {
		req  Request
		want Decision
	}{
		{Request{User: "u", Action: "s3:PutObject", Bucket: "bucket1", Key: "k"}, Allow},
		{Request{User: "u", Action: "s3:PutObject", Bucket: "bucket2", Key: "k"}, NoMatch},
		{Request{User: "u", Action: "s3:DeleteBucket", Bucket: "bucket1"}, Deny},
		{Request{User: "u", Action: "s3:GetBucketVersioning", Bucket: "bucket1"}, Deny},
	} {
		if got := Evaluate(tc.req, d); got != tc.want {
			t.Errorf("%+v: got %v want %v", tc.req, got, tc.want)
		}
	}
	// Built-ins convert cleanly.
	for _, n := range BuiltInNames() {
		b, _ := BuiltIn(n)
		d2, err := FromONTAP(ToONTAP(b))
		if err != nil || !sameDoc(b, d2) {
			t.Errorf("built-in %s: %v %+v", n, err, d2)
		}
	}
}

func TestFromONTAPErrors(t *testing.T) {
	base := func() ONTAPStatement {
		return ONTAPStatement{Effect: "allow", Actions: []string{"GetObject"}, Resources: []string{"b/*"}}
	}
	with := func(f func(*ONTAPStatement)) []ONTAPStatement { s := base(); f(&s); return []ONTAPStatement{s} }
	for _, tc := range []struct {
		name  string
		stmts []ONTAPStatement
		field string
	}{
		{"effect", with(func(s *ONTAPStatement) { s.Effect = "maybe" }), "effect"},
		{"unknown action", with(func(s *ONTAPStatement) { s.Actions = []string{"GetObjectRetention"} }), "actions"},
		{"s3 prefixed action", with(func(s *ONTAPStatement) { s.Actions = []string{"s3:GetObject"} }), "actions"},
		{"pattern matching nothing", with(func(s *ONTAPStatement) { s.Actions = []string{"Fly*"} }), "actions"},
		{"no actions", with(func(s *ONTAPStatement) { s.Actions = nil }), "actions"},
		{"no resources", with(func(s *ONTAPStatement) { s.Resources = nil }), "resources"},
		{"bad resource", with(func(s *ONTAPStatement) { s.Resources = []string{"Bucket/*"} }), "resources"},
		{"arn resource", with(func(s *ONTAPStatement) { s.Resources = []string{"arn:aws:s3:::b"} }), "resources"},
		{"bad principal", with(func(s *ONTAPStatement) { s.Principals = []string{"user 1"} }), "principals"},
		{"bad group principal", with(func(s *ONTAPStatement) { s.Principals = []string{"group/"} }), "principals"},
		{"long sid", with(func(s *ONTAPStatement) { s.Sid = ONTAPSid(strings.Repeat("s", 257)) }), "sid"},
		{"operator", with(func(s *ONTAPStatement) {
			s.Conditions = []ONTAPCondition{{Operator: "roughly", Prefixes: []string{"a"}}}
		}), "conditions"},
		{"no key", with(func(s *ONTAPStatement) { s.Conditions = []ONTAPCondition{{Operator: "string_equals"}} }), "conditions"},
		{"ip key on string op", with(func(s *ONTAPStatement) {
			s.Conditions = []ONTAPCondition{{Operator: "string_equals", SourceIps: []string{"1.1.1.1"}}}
		}), "conditions"},
		{"prefix on ip op", with(func(s *ONTAPStatement) {
			s.Conditions = []ONTAPCondition{{Operator: "ip_address", Prefixes: []string{"a"}}}
		}), "conditions"},
		{"host bits", with(func(s *ONTAPStatement) {
			s.Conditions = []ONTAPCondition{{Operator: "ip_address", SourceIps: []string{"1.1.1.1/10"}}}
		}), "conditions"},
		{"bad ip", with(func(s *ONTAPStatement) {
			s.Conditions = []ONTAPCondition{{Operator: "ip_address", SourceIps: []string{"1.1.1"}}}
		}), "conditions"},
		{"duplicate key", with(func(s *ONTAPStatement) {
			s.Conditions = []ONTAPCondition{{Operator: "string_like", Prefixes: []string{"a"}}, {Operator: "string_like", Prefixes: []string{"b"}}}
		}), "conditions"},
	} {
		_, err := FromONTAP(tc.stmts)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || e.Field != tc.field {
			t.Errorf("%s: got %v (%#v), want InvalidArgument on %s", tc.name, err, e, tc.field)
		}
	}
	many := make([]ONTAPStatement, 11)
	for i := range many {
		many[i] = base()
	}
	if _, err := FromONTAPBucketPolicy("b", many); !errors.Is(err, errs.InvalidArgument) || !errors.Is(err, ErrONTAPLimit) {
		t.Errorf("11 statements: %v", err)
	}
	if _, err := FromONTAPBucketPolicy("other", []ONTAPStatement{base()}); !errors.Is(err, errs.InvalidArgument) {
		t.Errorf("foreign bucket: %v", err)
	}
	if _, err := FromONTAPBucketPolicy("b", with(func(s *ONTAPStatement) { s.Resources = []string{"*", "b", "b/x/?y"} })); err != nil {
		t.Errorf("valid resources: %v", err)
	}
	hb := with(func(s *ONTAPStatement) {
		s.Conditions = []ONTAPCondition{{Operator: "not_ip_address", SourceIps: []string{"2001:db8::1/32"}}}
	})
	if _, err := FromONTAP(hb); !errors.Is(err, ErrCIDRHostBits) {
		t.Errorf("host bits: %v", err)
	}
	var s ONTAPSid
	if err := json.Unmarshal([]byte(`true`), &s); err == nil {
		t.Error("bool sid accepted")
	}
}

func TestToONTAPDropsInexpressible(t *testing.T) {
	d := mustParse(t, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{
		"DateLessThan":{"aws:CurrentTime":"2030-01-01"},
		"StringEquals":{"s3:x-amz-acl":"private","s3:prefix":"p","s3:if-none-match":"*"},
		"Bool":{"s3:ObjectCreationOperation":"true"},
		"NumericEquals":{"s3:max-keys":"5"}}}`))
	got := ToONTAP(d)[0].Conditions
	tr := true
	want := []ONTAPCondition{
		{Operator: "string_equals", Prefixes: []string{"p"}, IfNoneMatch: "*"},
		{Operator: "bool", ObjectCreationOperation: &tr},
		{Operator: "numeric_equals", MaxKeys: []json.Number{"5"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	d2, err := FromONTAP(ToONTAP(d))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d2.Statements[0].Conditions); n != 4 {
		t.Fatalf("conditions after round trip: %d", n)
	}
}
