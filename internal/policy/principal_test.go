package policy

import (
	"strings"
	"testing"
)

const canonAlice = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// TestPrincipalForms parses each of AWS's principal forms and checks who it
// matches.
func TestPrincipalForms(t *testing.T) {
	anon := Request{}
	alice := Request{User: "alice", CanonicalID: canonAlice}
	bob := Request{User: "bob", CanonicalID: strings.Repeat("b", 64)}
	root := Request{User: "root", Root: true}
	tests := []struct {
		name, principal string
		canon           []string
		matches         []Request
		misses          []Request
	}{
		{"star", `"*"`, []string{"*"}, []Request{anon, alice, root}, nil},
		{"AWS star", `{"AWS":"*"}`, []string{"*"}, []Request{anon, alice}, nil},
		{"account root ARN", `{"AWS":"arn:aws:iam::111122223333:root"}`, []string{"root"}, []Request{root}, []Request{anon, alice}},
		{"account id", `{"AWS":"111122223333"}`, []string{"root"}, []Request{root}, []Request{anon, alice}},
		{"tenant name in ARN", `{"AWS":"arn:aws:iam::acme:root"}`, []string{"root"}, []Request{root}, []Request{alice}},
		{"user ARN", `{"AWS":"arn:aws:iam::111122223333:user/alice"}`, []string{"alice"}, []Request{alice}, []Request{anon, bob}},
		{"user ARN with path", `{"AWS":"arn:aws:iam::111122223333:user/div/alice"}`, []string{"alice"}, []Request{alice}, []Request{bob}},
		{"list", `{"AWS":["arn:aws:iam::1:user/alice","111122223333"]}`, []string{"alice", "root"}, []Request{alice, root}, []Request{bob, anon}},
		{"canonical user", `{"CanonicalUser":"` + canonAlice + `"}`, []string{"canonical/" + canonAlice}, []Request{alice}, []Request{bob, anon}},
		{"AWS and canonical", `{"AWS":"bob","CanonicalUser":["` + canonAlice + `"]}`, []string{"bob", "canonical/" + canonAlice}, []Request{alice, bob}, []Request{anon}},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + tt.principal +
			`,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
		d, err := ParseAWS([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := strings.Join(d.Statements[0].Principals, ","); got != strings.Join(tt.canon, ",") {
			t.Errorf("%s: principals %q, want %q", tt.name, got, tt.canon)
		}
		for _, r := range tt.matches {
			r.Action, r.Bucket, r.Key = "s3:GetObject", "b", "k"
			if Evaluate(r, d) != Allow {
				t.Errorf("%s: %+v not allowed", tt.name, r)
			}
		}
		for _, r := range tt.misses {
			r.Action, r.Bucket, r.Key = "s3:GetObject", "b", "k"
			if Evaluate(r, d) != NoMatch {
				t.Errorf("%s: %+v allowed", tt.name, r)
			}
		}
		// Rendering and parsing again keeps the meaning.
		out, err := d.MarshalAWS()
		if err != nil {
			t.Fatalf("%s: MarshalAWS: %v", tt.name, err)
		}
		d2, err := ParseAWS(out)
		if err != nil {
			t.Fatalf("%s: reparse %s: %v", tt.name, out, err)
		}
		if got := strings.Join(d2.Statements[0].Principals, ","); got != strings.Join(tt.canon, ",") {
			t.Errorf("%s: round trip %s gives %q", tt.name, out, got)
		}
	}
}

func TestIsPublic(t *testing.T) {
	stmt := func(effect, principal, cond string) string {
		s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + "}"
	}
	tests := []struct {
		name  string
		stmts []string
		want  bool
	}{
		{"anyone", []string{stmt("Allow", `"*"`, "")}, true},
		{"AWS star", []string{stmt("Allow", `{"AWS":"*"}`, "")}, true},
		{"deny anyone", []string{stmt("Deny", `"*"`, "")}, false},
		{"named user", []string{stmt("Allow", `{"AWS":"arn:aws:iam::1:user/alice"}`, "")}, false},
		{"account", []string{stmt("Allow", `{"AWS":"111122223333"}`, "")}, false},
		{"canonical user", []string{stmt("Allow", `{"CanonicalUser":"`+canonAlice+`"}`, "")}, false},
		{"no principal (tenant users)", []string{`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`}, false},
		{"narrow CIDR", []string{stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.1.1"]}}`)}, false},
		{"wide CIDR", []string{stmt("Allow", `"*"`, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}`)}, true},
		{"not CIDR", []string{stmt("Allow", `"*"`, `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)}, true},
		{"fixed source account", []string{stmt("Allow", `"*"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)}, false},
		{"wildcard source account", []string{stmt("Allow", `"*"`, `{"StringLike":{"aws:SourceAccount":"1111*"}}`)}, true},
		{"if exists", []string{stmt("Allow", `"*"`, `{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}`)}, true},
		{"unrelated condition", []string{stmt("Allow", `"*"`, `{"StringEquals":{"s3:prefix":"home/"}}`)}, true},
		{"one public statement among others", []string{stmt("Allow", `{"AWS":"alice"}`, ""), stmt("Allow", `"*"`, "")}, true},
	}
	for _, tt := range tests {
		d, err := ParseAWS([]byte(`{"Version":"2012-10-17","Statement":[` + strings.Join(tt.stmts, ",") + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := d.IsPublic(); got != tt.want {
			t.Errorf("%s: IsPublic = %v, want %v", tt.name, got, tt.want)
		}
	}
}
