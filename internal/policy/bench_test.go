package policy

import (
	"net/netip"
	"testing"
)

// BenchmarkEvaluate models one S3 request checked against a bucket policy
// (three statements, one with an IP condition) and two group policies.
func BenchmarkEvaluate(b *testing.B) {
	bucketPolicy := mustParse(b, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"ro","Effect":"Allow","Principal":{"AWS":["group/readers","carol"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]},
	  {"Sid":"home","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data/home/${aws:username}/*"},
	  {"Sid":"net","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data/*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}`)
	ro, _ := BuiltIn("ReadOnlyAccess")
	custom, err := FromONTAP([]ONTAPStatement{{Effect: "allow", Actions: []string{"PutObject", "DeleteObject"}, Resources: []string{"data/uploads/*"}}})
	if err != nil {
		b.Fatal(err)
	}
	req := Request{User: "alice", Groups: []string{"readers", "staff"}, Action: "s3:GetObject",
		Bucket: "data", Key: "reports/2024/q1.csv", SourceIP: netip.MustParseAddr("10.1.2.3")}
	b.ReportAllocs()
	for b.Loop() {
		if Evaluate(req, bucketPolicy, ro, custom) != Allow {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkEvaluateUncompiled is the slow path: a Document built by hand.
func BenchmarkEvaluateUncompiled(b *testing.B) {
	d := mustParse(b, publicReadPolicy)
	raw := Document{Version: d.Version, Statements: d.Statements}
	req := Request{Action: "s3:GetObject", Bucket: "DOC-EXAMPLE-BUCKET", Key: "k"}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, raw)
	}
}

func BenchmarkParseAWS(b *testing.B) {
	in := []byte(denyUnlessPrefixPolicy)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAWS(in); err != nil {
			b.Fatal(err)
		}
	}
}
