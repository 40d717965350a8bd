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

// Real-world bucket policies, in the shapes AWS documents and tools emit.
const (
	publicReadPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]
    }
  ]
}`
	ipRestrictedPolicy = `{
  "Id": "SourceIP",
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "SourceIP",
      "Action": "s3:*",
      "Effect": "Deny",
      "Resource": [
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
      ],
      "Condition": {
        "NotIpAddress": {
          "aws:SourceIp": ["11.11.11.11/32", "22.22.22.22/32", "2001:DB8:1234:5678::/64"]
        }
      },
      "Principal": "*"
    }
  ]
}`
	denyUnlessPrefixPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowListingOfUserFolder",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::111122223333:user/alice", "group/eng"]},
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::home",
      "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/${aws:username}"]}}
    },
    {
      "Sid": "DenyOtherPrefixes",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::home",
      "Condition": {"StringNotLike": {"s3:prefix": ["home/${aws:username}/*", "home/${aws:username}"]}}
    },
    {
      "Sid": "AllowObjects",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      "Resource": "arn:aws:s3:::home/home/${aws:username}/*"
    }
  ]
}`
)

func TestParseAWSGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Document
	}{
		{"public read", publicReadPolicy, Document{Version: Version2012, Statements: []Statement{{
			Sid: "PublicRead", Effect: EffectAllow, Principals: []string{"*"},
			Actions:   []string{"s3:GetObject", "s3:GetObjectVersion"},
			Resources: []string{"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"},
		}}}},
		{"ip restricted", ipRestrictedPolicy, Document{Version: Version2012, ID: "SourceIP", Statements: []Statement{{
			Sid: "SourceIP", Effect: EffectDeny, Principals: []string{"*"}, Actions: []string{"s3:*"},
			Resources:  []string{"arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"},
			Conditions: []Condition{{"NotIpAddress", "aws:SourceIp", []string{"11.11.11.11/32", "22.22.22.22/32", "2001:DB8:1234:5678::/64"}}},
		}}}},
		{"single statement object, 2008, string forms", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NumericLessThan":{"s3:max-keys":100},"Bool":{"aws:SecureTransport":true}}}}`,
			Document{Version: Version2008, Statements: []Statement{{
				Effect: EffectAllow, Principals: []string{"*"}, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"},
				Conditions: []Condition{{"NumericLessThan", "s3:max-keys", []string{"100"}}, {"Bool", "aws:SecureTransport", []string{"true"}}},
			}}}},
		{"no principal, operator canonicalised", `{"Statement":[{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"*","Condition":{"stringequalsifexists":{"s3:prefix":"a"}}}]}`,
			Document{Statements: []Statement{{
				Effect: EffectAllow, Actions: []string{"s3:ListBucket"}, Resources: []string{"*"},
				Conditions: []Condition{{"StringEqualsIfExists", "s3:prefix", []string{"a"}}},
			}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.in)
			if !sameDoc(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			assertAWSRoundTrip(t, got)
		})
	}
}

// sameDoc compares the exported content of two Documents.
func sameDoc(a, b Document) bool {
	a.c, b.c = nil, nil
	return reflect.DeepEqual(a, b)
}

func assertAWSRoundTrip(t *testing.T, d Document) {
	t.Helper()
	b, err := d.MarshalAWS()
	if err != nil {
		t.Fatalf("MarshalAWS: %v", err)
	}
	if !json.Valid(b) {
		t.Fatalf("MarshalAWS produced invalid JSON: %s", b)
	}
	d2, err := ParseAWS(b)
	if err != nil {
		t.Fatalf("ParseAWS(MarshalAWS): %v\n%s", err, b)
	}
	if !sameDoc(d, d2) {
		t.Fatalf("round trip changed the document:\n%+v\n%+v\n%s", d, d2, b)
	}
	b2, _ := d2.MarshalAWS()
	if string(b) != string(b2) {
		t.Fatalf("MarshalAWS not canonical:\n%s\n%s", b, b2)
	}
}

func TestMarshalAWSCanonical(t *testing.T) {
	d := mustParse(t, denyUnlessPrefixPolicy)
	b, err := d.MarshalAWS()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AllowListingOfUserFolder","Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/alice","arn:aws:iam:::group/eng"]},"Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::home"],"Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*","home/${aws:username}"]}}},` +
		`{"Sid":"DenyOtherPrefixes","Effect":"Deny","Principal":"*","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::home"],"Condition":{"StringNotLike":{"s3:prefix":["home/${aws:username}/*","home/${aws:username}"]}}},` +
		`{"Sid":"AllowObjects","Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/alice"]},"Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::home/home/${aws:username}/*"]}]}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	assertAWSRoundTrip(t, d)

	// MarshalJSON/UnmarshalJSON use the same form, so Documents can be stored.
	var d2 Document
	if err := json.Unmarshal(b, &d2); err != nil || !sameDoc(d, d2) {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
	b3, _ := json.Marshal(d2)
	if string(b3) != want {
		t.Fatalf("MarshalJSON: %s", b3)
	}
}

func TestRealWorldPolicies(t *testing.T) {
	ip := netip.MustParseAddr
	pub := mustParse(t, publicReadPolicy)
	ipr := mustParse(t, ipRestrictedPolicy)
	home := mustParse(t, denyUnlessPrefixPolicy)
	for _, tc := range []struct {
		name string
		doc  Document
		req  Request
		want Decision
	}{
		{"public read anonymous", pub, Request{Action: "s3:GetObject", Bucket: "DOC-EXAMPLE-BUCKET", Key: "a/b"}, Allow},
		{"public read no put", pub, Request{Action: "s3:PutObject", Bucket: "DOC-EXAMPLE-BUCKET", Key: "a/b"}, NoMatch},
		{"public read no list", pub, Request{Action: "s3:ListBucket", Bucket: "DOC-EXAMPLE-BUCKET"}, NoMatch},
		{"ip allowed", ipr, Request{User: "u", Action: "s3:GetObject", Bucket: "DOC-EXAMPLE-BUCKET", Key: "k", SourceIP: ip("11.11.11.11")}, NoMatch},
		{"ip v6 allowed", ipr, Request{User: "u", Action: "s3:ListBucket", Bucket: "DOC-EXAMPLE-BUCKET", SourceIP: ip("2001:db8:1234:5678::9")}, NoMatch},
		{"ip denied", ipr, Request{User: "u", Action: "s3:GetObject", Bucket: "DOC-EXAMPLE-BUCKET", Key: "k", SourceIP: ip("11.11.11.12")}, Deny},
		{"ip denied bucket", ipr, Request{User: "u", Action: "s3:ListBucket", Bucket: "DOC-EXAMPLE-BUCKET", SourceIP: ip("2001:db8::1")}, Deny},
		{"home own prefix", home, Request{User: "alice", Action: "s3:ListBucket", Bucket: "home", Context: map[string]string{"s3:prefix": "home/alice/docs"}}, Allow},
		{"home group member", home, Request{User: "carol", Groups: []string{"eng"}, Action: "s3:ListBucket", Bucket: "home", Context: map[string]string{"s3:prefix": "home/carol"}}, Allow},
		{"home other prefix", home, Request{User: "alice", Action: "s3:ListBucket", Bucket: "home", Context: map[string]string{"s3:prefix": "home/bob/"}}, Deny},
		{"home no prefix denied", home, Request{User: "alice", Action: "s3:ListBucket", Bucket: "home"}, Deny},
		{"home own object", home, Request{User: "alice", Action: "s3:PutObject", Bucket: "home", Key: "home/alice/x"}, Allow},
		{"home other object", home, Request{User: "alice", Action: "s3:PutObject", Bucket: "home", Key: "home/bob/x"}, NoMatch},
	} {
		if got := Evaluate(tc.req, tc.doc); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseAWSErrors(t *testing.T) {
	ok := `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
	for _, tc := range []struct{ in, msg string }{
		{`not json`, "This policy contains invalid Json"},
		{`[]`, "This policy contains invalid Json"},
		{`{"Version":"2012-10-17"}`, "Missing required field Statement"},
		{`{"Statement":[]}`, "Missing required field Statement"},
		{`{"Statement":"x"}`, "Policy has an invalid Statement"},
		{`{"Version":"2013-01-01","Statement":{` + ok + `}}`, "The policy must contain a valid version string"},
		{`{"Version":1,"Statement":{` + ok + `}}`, "The policy must contain a valid version string"},
		{`{"Foo":1,"Statement":{` + ok + `}}`, "Unknown field Foo"},
		{`{"Statement":{"Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, "Missing required field Effect"},
		{`{"Statement":{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, "Invalid effect: allow"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}}`, "Missing required field Action"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`, "Missing required field Resource"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:Fly","Resource":"*"}}`, "Policy has invalid action"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"*"}}`, "Policy has invalid action"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":["s3:GetObject",1],"Resource":"*"}}`, "Policy has invalid action"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"bucket/*"}}`, "Policy has invalid resource"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::"}}`, "Policy has invalid resource"},
		{`{"Statement":{"Effect":"Allow","Principal":"alice","Action":"s3:GetObject","Resource":"*"}}`, "Invalid principal in policy"},
		{`{"Statement":{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"s3:GetObject","Resource":"*"}}`, "Invalid principal in policy"},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123:role/r"},"Action":"s3:GetObject","Resource":"*"}}`, "Invalid principal in policy"},
		{`{"Statement":{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}}`, "Invalid principal in policy"},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"bad name!"},"Action":"s3:GetObject","Resource":"*"}}`, "Invalid principal in policy"},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:GetObject","Resource":"*"}}`, "Invalid principal in policy"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","NotAction":"s3:GetObject","Resource":"*"}}`, "NotAction is not supported"},
		{`{"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*"}}`, "NotPrincipal is not supported"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"*"}}`, "NotResource is not supported"},
		{`{"Statement":{` + ok + `,"Condition":{"StringSortOf":{"s3:prefix":"a"}}}}`, "Invalid Condition type : StringSortOf"},
		{`{"Statement":{` + ok + `,"Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}}}`, "Invalid Condition value"},
		{`{"Statement":{` + ok + `,"Condition":{"NumericEquals":{"s3:max-keys":"ten"}}}}`, "Invalid Condition value"},
		{`{"Statement":{` + ok + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`, "Invalid Condition value"},
		{`{"Statement":{` + ok + `,"Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, "Invalid Condition value"},
		{`{"Statement":{` + ok + `,"Condition":{"StringEquals":{"s3:prefix":{"a":1}}}}}`, "Invalid Condition value"},
		{`{"Statement":{` + ok + `,"Condition":{"NullIfExists":{"s3:prefix":"true"}}}}`, "Invalid Condition type"},
		{`{"Statement":[{"Sid":"a",` + ok + `},{"Sid":"a",` + ok + `}]}`, "must be unique"},
		{`{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`, "invalid Statement"},
		{`{"Statement":{` + ok + `}}` + strings.Repeat(" ", MaxAWSPolicySize), "20 KB"},
	} {
		_, err := ParseAWS([]byte(tc.in))
		if err == nil {
			t.Errorf("ParseAWS(%.80s) accepted", tc.in)
			continue
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.MalformedPolicy || !errors.Is(err, errs.MalformedPolicy) {
			t.Errorf("ParseAWS(%.80s): %v is not MalformedPolicy", tc.in, err)
		}
		if !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("ParseAWS(%.80s) = %q, want %q", tc.in, e.Msg, tc.msg)
		}
	}
}

func TestCheckBucket(t *testing.T) {
	d := mustParse(t, stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*","arn:aws:s3:::pho*/x","*"]}`))
	if err := d.CheckBucket("photos"); err != nil {
		t.Fatal(err)
	}
	if err := d.CheckBucket("videos"); !errors.Is(err, errs.MalformedPolicy) {
		t.Fatalf("CheckBucket(videos) = %v", err)
	}
}
