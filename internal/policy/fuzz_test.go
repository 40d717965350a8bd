package policy

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// sortedConds orders a Document's conditions by (operator, key) so that
// Documents differing only in condition order compare equal.
func sortedConds(d Document) Document {
	d.c = nil
	d.Statements = slices.Clone(d.Statements)
	for i := range d.Statements {
		cs := slices.Clone(d.Statements[i].Conditions)
		slices.SortStableFunc(cs, func(a, b Condition) int {
			if c := strings.Compare(a.Operator, b.Operator); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		})
		d.Statements[i].Conditions = cs
	}
	return d
}

func FuzzParseAWS(f *testing.F) {
	for _, s := range []string{publicReadPolicy, ipRestrictedPolicy, denyUnlessPrefixPolicy,
		`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"k":[1,true,"x"]}}}}`,
		`{"Version":"2008-10-17","Statement":[]}`, `{}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseAWS(b)
		if err != nil {
			return
		}
		out, err := d.MarshalAWS()
		if err != nil {
			t.Fatalf("MarshalAWS of a parsed document: %v", err)
		}
		var d2 Document
		if err := d2.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if !sameDoc(d, d2) {
			t.Fatalf("round trip changed the document\n%s\n%+v\n%+v", out, d, d2)
		}
		_ = ToONTAP(d)
		req := Request{User: "u", Groups: []string{"g"}, Action: "s3:GetObject", Bucket: "b", Key: "k",
			SourceIP: netip.MustParseAddr("10.0.0.1"), Context: map[string]string{"s3:prefix": "p"}}
		_ = Evaluate(req, d)
	})
}

func FuzzFromONTAP(f *testing.F) {
	f.Add([]byte(ontapBucketPolicyJSON))
	f.Add([]byte(`[{"effect":"allow","actions":["*"],"resources":["*"]}]`))
	f.Add([]byte(`[{"sid":12,"effect":"deny","actions":["Get*"],"principals":["nasgroup/g","group/x","u"],"resources":["b","b/?"],` +
		`"conditions":[{"operator":"null","prefixes":["true"]},{"operator":"bool","object_creation_operation":true},{"operator":"string_like","if_match":["*"],"if_none_match":"x"}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var stmts []ONTAPStatement
		if json.Unmarshal(b, &stmts) != nil {
			return
		}
		for _, bucket := range []string{"", "b"} {
			var d Document
			var err error
			if bucket == "" {
				d, err = FromONTAP(stmts)
			} else {
				d, err = FromONTAPBucketPolicy(bucket, stmts)
			}
			if err != nil {
				continue
			}
			back := ToONTAP(d)
			if _, err := json.Marshal(back); err != nil {
				t.Fatalf("ToONTAP not encodable: %v", err)
			}
			d2, err := FromONTAP(back)
			if err != nil {
				t.Fatalf("FromONTAP(ToONTAP): %v\n%+v", err, back)
			}
			if !sameDoc(d, d2) {
				t.Fatalf("ONTAP round trip changed the document\n%+v\n%+v", d, d2)
			}
			out, err := d.MarshalAWS()
			if err != nil {
				t.Fatalf("MarshalAWS: %v", err)
			}
			var d3 Document
			if err := d3.UnmarshalJSON(out); err != nil {
				t.Fatalf("AWS re-parse: %v\n%s", err, out)
			}
			if !sameDoc(sortedConds(d), sortedConds(d3)) {
				t.Fatalf("AWS round trip changed the document\n%s\n%+v\n%+v", out, d, d3)
			}
			_ = Evaluate(Request{User: "u", Action: "s3:ListBucket", Bucket: "b"}, d)
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	f.Add(denyUnlessPrefixPolicy, "s3:ListBucket", "home", "", "alice", "eng", "10.0.0.1", "home/alice/x", "2")
	f.Add(ipRestrictedPolicy, "s3:GetObject", "DOC-EXAMPLE-BUCKET", "k", "", "", "2001:db8:1234:5678::1", "", "")
	f.Add(stmt(`{"Effect":"Allow","Action":"s3:?et*","Resource":"arn:aws:s3:::*/${s3:prefix}*","Condition":{"NumericLessThan":{"s3:max-keys":"5"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}}`),
		"s3:GetObject", "b", "pre", "u", "", "", "p", "4")
	f.Fuzz(func(t *testing.T, policy, action, bucket, key, user, group, ip, prefix, maxKeys string) {
		d, err := ParseAWS([]byte(policy))
		if err != nil {
			return
		}
		req := Request{User: user, Action: action, Bucket: bucket, Key: key,
			Context: map[string]string{"s3:prefix": prefix, "s3:max-keys": maxKeys}}
		if group != "" {
			req.Groups = []string{group}
		}
		req.SourceIP, _ = netip.ParseAddr(ip)
		got := Evaluate(req, d)
		raw := Document{Version: d.Version, Statements: d.Statements}
		if again := Evaluate(req, raw); again != got {
			t.Fatalf("compiled %v, uncompiled %v", got, again)
		}
	})
}
