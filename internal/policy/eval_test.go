package policy

import (
	"net/netip"
	"testing"
	"time"
)

func mustParse(t testing.TB, js string) Document {
	t.Helper()
	d, err := ParseAWS([]byte(js))
	if err != nil {
		t.Fatalf("ParseAWS(%s): %v", js, err)
	}
	return d
}

// stmt wraps one statement in a 2012-10-17 policy.
func stmt(s string) string {
	return `{"Version":"2012-10-17","Statement":[` + s + `]}`
}

func TestEvaluate(t *testing.T) {
	ip := netip.MustParseAddr
	alice := Request{User: "alice", Groups: []string{"eng"}, Action: "s3:GetObject", Bucket: "b", Key: "k"}
	with := func(r Request, f func(*Request)) Request { f(&r); return r }
	ctx := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	allowAll := stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`)
	// cond builds an allow statement for alice with one condition block.
	cond := func(block string) string {
		return stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b*","Condition":` + block + `}`)
	}
	cases := []struct {
		name     string
		policies []string
		req      Request
		want     Decision
	}{
		{"no docs", nil, alice, NoMatch},
		{"allow all", []string{allowAll}, alice, Allow},
		{"anonymous allowed by *", []string{allowAll}, with(alice, func(r *Request) { r.User, r.Groups = "", nil }), Allow},
		{"other action no match", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*"}`)}, alice, NoMatch},
		{"deny wins in same doc", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}`)}, alice, Deny},
		{"deny wins across docs", []string{allowAll, stmt(`{"Effect":"Deny","Principal":{"AWS":"alice"},"Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}`)}, alice, Deny},
		{"deny for other user", []string{allowAll, stmt(`{"Effect":"Deny","Principal":{"AWS":"bob"},"Action":"*","Resource":"*"}`)}, alice, Allow},
		{"action case-insensitive", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"S3:getobject","Resource":"*"}`)}, alice, Allow},
		{"action wildcard Get*", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"*"}`)}, alice, Allow},
		{"action wildcard ?", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:?etObject","Resource":"*"}`)}, alice, Allow},
		{"action wildcard *Object", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*Object","Resource":"*"}`)}, with(alice, func(r *Request) { r.Action = "s3:DeleteObject" }), Allow},
		{"action wildcard miss", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:Put*","Resource":"*"}`)}, alice, NoMatch},
		{"action star", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`)}, alice, Allow},
		{"object resource", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}`)}, alice, Allow},
		{"object resource other bucket", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}`)}, alice, NoMatch},
		{"bucket resource does not cover objects", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"}`)}, alice, NoMatch},
		{"bucket action on bucket resource", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}`)}, with(alice, func(r *Request) { r.Action, r.Key = "s3:ListBucket", "" }), Allow},
		{"bucket action not on object resource", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}`)}, with(alice, func(r *Request) { r.Action, r.Key = "s3:ListBucket", "" }), NoMatch},
		{"bucket action ignores key", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetBucketVersioning","Resource":"arn:aws:s3:::b"}`)}, with(alice, func(r *Request) { r.Action = "s3:GetBucketVersioning" }), Allow},
		{"resource ? wildcard", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/?"}`)}, alice, Allow},
		{"resource ? needs one char", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k?"}`)}, alice, NoMatch},
		{"resource mid wildcard", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a*/x*.txt"}`)}, with(alice, func(r *Request) { r.Key = "ab/c/x1.txt" }), Allow},
		{"resource case-sensitive", []string{stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/K"}`)}, alice, NoMatch},
		{"service action", []string{stmt(`{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}`)}, Request{User: "alice", Action: "s3:ListAllMyBuckets"}, Allow},
		{"service action needs * resource", []string{stmt(`{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::b"}`)}, Request{User: "alice", Action: "s3:ListAllMyBuckets"}, NoMatch},
		{"ListMyBuckets alias", []string{stmt(`{"Effect":"Allow","Action":"s3:ListMyBuckets","Resource":"*"}`)}, Request{User: "alice", Action: "s3:ListAllMyBuckets"}, Allow},
		{"principal user", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"*"}`)}, alice, Allow},
		{"principal user arn", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/alice"]},"Action":"s3:*","Resource":"*"}`)}, alice, Allow},
		{"principal other user", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"*"}`)}, alice, NoMatch},
		{"principal group", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"group/eng"},"Action":"s3:*","Resource":"*"}`)}, alice, Allow},
		{"principal group arn", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123:group/eng"},"Action":"s3:*","Resource":"*"}`)}, alice, Allow},
		{"principal other group", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"group/ops"},"Action":"s3:*","Resource":"*"}`)}, alice, NoMatch},
		{"group name is not a user name", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"eng"},"Action":"s3:*","Resource":"*"}`)}, alice, NoMatch},
		{"principal user not matched by anonymous", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:*","Resource":"*"}`)}, Request{Action: "s3:GetObject", Bucket: "b", Key: "k"}, NoMatch},
		{"no principal: authenticated", []string{stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)}, alice, Allow},
		{"no principal: not anonymous", []string{stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)}, Request{Action: "s3:GetObject", Bucket: "b", Key: "k"}, NoMatch},
		{"principal root", []string{stmt(`{"Effect":"Allow","Principal":{"AWS":"root"},"Action":"s3:*","Resource":"*"}`)}, Request{Root: true, Action: "s3:GetObject", Bucket: "b", Key: "k"}, Allow},

		// Conditions.
		{"IpAddress v4 cidr", []string{cond(`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("10.1.2.3") }), Allow},
		{"IpAddress v4 miss", []string{cond(`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("11.1.2.3") }), NoMatch},
		{"IpAddress plain ip", []string{cond(`{"IpAddress":{"aws:SourceIp":"192.0.2.7"}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("192.0.2.7") }), Allow},
		{"IpAddress mapped v4", []string{cond(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("::ffff:192.0.2.9") }), Allow},
		{"IpAddress v6 cidr", []string{cond(`{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("2001:db8:1::5") }), Allow},
		{"IpAddress v6 miss", []string{cond(`{"IpAddress":{"aws:SourceIp":["2001:db8::/32"]}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("2001:db9::5") }), NoMatch},
		{"IpAddress no source ip", []string{cond(`{"IpAddress":{"aws:SourceIp":["0.0.0.0/0"]}}`)}, alice, NoMatch},
		{"NotIpAddress outside", []string{cond(`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("11.1.2.3") }), Allow},
		{"NotIpAddress inside", []string{cond(`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("2001:db8::1") }), NoMatch},
		{"StringEquals", []string{cond(`{"StringEquals":{"s3:prefix":["a/","b/"]}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "b/") }), Allow},
		{"StringEquals miss", []string{cond(`{"StringEquals":{"s3:prefix":"a/"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "A/") }), NoMatch},
		{"StringEquals absent key", []string{cond(`{"StringEquals":{"s3:prefix":"a/"}}`)}, alice, NoMatch},
		{"StringEquals key case-insensitive", []string{cond(`{"StringEquals":{"S3:Prefix":"a/"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "a/") }), Allow},
		{"StringEquals context key mixed case", []string{cond(`{"StringEquals":{"s3:x-amz-acl":"private"}}`)}, with(alice, func(r *Request) { r.Context = ctx("S3:X-Amz-Acl", "private") }), Allow},
		{"StringNotEquals", []string{cond(`{"StringNotEquals":{"s3:delimiter":"/"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:delimiter", "|") }), Allow},
		{"StringNotEquals miss", []string{cond(`{"StringNotEquals":{"s3:delimiter":["|","/"]}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:delimiter", "/") }), NoMatch},
		{"StringNotEquals absent key holds", []string{cond(`{"StringNotEquals":{"s3:delimiter":"/"}}`)}, alice, Allow},
		{"StringEqualsIgnoreCase", []string{cond(`{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`)}, alice, Allow},
		{"StringNotEqualsIgnoreCase", []string{cond(`{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`)}, alice, NoMatch},
		{"StringLike", []string{cond(`{"StringLike":{"s3:prefix":["home/*","pub/?"]}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "pub/x") }), Allow},
		{"StringLike miss", []string{cond(`{"StringLike":{"s3:prefix":"home/*"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "etc/") }), NoMatch},
		{"StringNotLike", []string{cond(`{"StringNotLike":{"s3:prefix":"home/*"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "etc/") }), Allow},
		{"StringNotLike miss", []string{cond(`{"StringNotLike":{"s3:prefix":"home/*"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "home/a") }), NoMatch},
		{"aws:username from User", []string{cond(`{"StringEquals":{"aws:username":"alice"}}`)}, alice, Allow},
		{"policy variable in condition", []string{cond(`{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "home/alice/x") }), Allow},
		{"policy variable other user", []string{cond(`{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "home/bob/x") }), NoMatch},
		{"policy variable in resource", []string{stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`)}, with(alice, func(r *Request) { r.Key = "home/alice/f" }), Allow},
		{"policy variable literal in 2008", []string{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}}`}, with(alice, func(r *Request) { r.Key = "home/alice/f" }), NoMatch},
		{"NumericEquals", []string{cond(`{"NumericEquals":{"s3:max-keys":"10"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "10") }), Allow},
		{"NumericNotEquals", []string{cond(`{"NumericNotEquals":{"s3:max-keys":10}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "10") }), NoMatch},
		{"NumericLessThan", []string{cond(`{"NumericLessThan":{"s3:max-keys":"100"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "99") }), Allow},
		{"NumericLessThan equal", []string{cond(`{"NumericLessThan":{"s3:max-keys":"100"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "100") }), NoMatch},
		{"NumericLessThanEquals", []string{cond(`{"NumericLessThanEquals":{"s3:max-keys":"100"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "100") }), Allow},
		{"NumericGreaterThan", []string{cond(`{"NumericGreaterThan":{"s3:max-keys":"100"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "100") }), NoMatch},
		{"NumericGreaterThanEquals", []string{cond(`{"NumericGreaterThanEquals":{"s3:max-keys":"100"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "100.0") }), Allow},
		{"Numeric bad request value", []string{cond(`{"NumericGreaterThan":{"s3:max-keys":"1"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:max-keys", "lots") }), NoMatch},
		{"Bool", []string{cond(`{"Bool":{"aws:SecureTransport":"true"}}`)}, with(alice, func(r *Request) { r.Context = ctx("aws:securetransport", "true") }), Allow},
		{"Bool json bool", []string{cond(`{"Bool":{"aws:SecureTransport":false}}`)}, with(alice, func(r *Request) { r.Context = ctx("aws:securetransport", "true") }), NoMatch},
		{"DateLessThan", []string{cond(`{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)}, with(alice, func(r *Request) { r.Now = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC) }), Allow},
		{"DateGreaterThan", []string{cond(`{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01"}}`)}, with(alice, func(r *Request) { r.Now = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC) }), NoMatch},
		{"DateEquals epoch", []string{cond(`{"DateEquals":{"aws:EpochTime":"1700000000"}}`)}, with(alice, func(r *Request) { r.Now = time.Unix(1700000000, 0) }), Allow},
		{"Date no time", []string{cond(`{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)}, alice, NoMatch},
		{"Null true: absent", []string{cond(`{"Null":{"s3:prefix":"true"}}`)}, alice, Allow},
		{"Null true: present", []string{cond(`{"Null":{"s3:prefix":"true"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "") }), NoMatch},
		{"Null false: present", []string{cond(`{"Null":{"s3:prefix":"false"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "x") }), Allow},
		{"IfExists absent", []string{cond(`{"StringEqualsIfExists":{"s3:prefix":"a"}}`)}, alice, Allow},
		{"IfExists present miss", []string{cond(`{"StringEqualsIfExists":{"s3:prefix":"a"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "b") }), NoMatch},
		{"ArnLike", []string{cond(`{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123:topic"}}`)}, with(alice, func(r *Request) { r.Context = ctx("aws:sourcearn", "arn:aws:sns:us-east-1:123:topic") }), Allow},
		{"ForAnyValue absent", []string{cond(`{"ForAnyValue:StringEquals":{"s3:prefix":"a"}}`)}, alice, NoMatch},
		{"ForAllValues absent", []string{cond(`{"ForAllValues:StringEquals":{"s3:prefix":"a"}}`)}, alice, Allow},
		{"multiple keys AND: both", []string{cond(`{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "a", "s3:delimiter", "/") }), Allow},
		{"multiple keys AND: one", []string{cond(`{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "a") }), NoMatch},
		{"multiple operators AND", []string{cond(`{"StringEquals":{"s3:prefix":"a"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)}, with(alice, func(r *Request) { r.Context = ctx("s3:prefix", "a"); r.SourceIP = ip("192.0.2.1") }), NoMatch},
		{"unknown key: positive operator false", []string{cond(`{"StringEquals":{"coffer:whatever":"x"}}`)}, alice, NoMatch},
		{"unknown key: negated operator true", []string{cond(`{"StringNotEquals":{"coffer:whatever":"x"}}`)}, alice, Allow},
		{"condition fails, deny skipped", []string{allowAll, stmt(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("10.9.9.9") }), Allow},
		{"condition holds, deny applies", []string{allowAll, stmt(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)}, with(alice, func(r *Request) { r.SourceIP = ip("11.9.9.9") }), Deny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var docs []Document
			for _, p := range tc.policies {
				docs = append(docs, mustParse(t, p))
			}
			if got := Evaluate(tc.req, docs...); got != tc.want {
				t.Errorf("Evaluate = %v, want %v", got, tc.want)
			}
			// A hand-built copy (never compiled) must decide the same.
			var raw []Document
			for _, d := range docs {
				raw = append(raw, Document{Version: d.Version, Statements: d.Statements})
			}
			if got := Evaluate(tc.req, raw...); got != tc.want {
				t.Errorf("Evaluate(uncompiled) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateIdentityPolicies(t *testing.T) {
	full, _ := BuiltIn("FullAccess")
	none, _ := BuiltIn("NoS3Access")
	ro, _ := BuiltIn("ReadOnlyAccess")
	get := Request{User: "u", Action: "s3:GetObject", Bucket: "b", Key: "k"}
	put := Request{User: "u", Action: "s3:PutObject", Bucket: "b", Key: "k"}
	list := Request{User: "u", Action: "s3:ListBucket", Bucket: "b"}
	listAll := Request{User: "u", Action: "s3:ListAllMyBuckets"}
	for _, tc := range []struct {
		name string
		req  Request
		docs []Document
		want Decision
	}{
		{"full get", get, []Document{full}, Allow},
		{"full list all", listAll, []Document{full}, Allow},
		{"none", get, []Document{none}, Deny},
		{"none beats full", put, []Document{full, none}, Deny},
		{"ro get", get, []Document{ro}, Allow},
		{"ro list", list, []Document{ro}, Allow},
		{"ro list all", listAll, []Document{ro}, Allow},
		{"ro put", put, []Document{ro}, NoMatch},
	} {
		if got := Evaluate(tc.req, tc.docs...); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, ok := BuiltIn("fullaccess"); ok {
		t.Error("BuiltIn is case-sensitive")
	}
}

func TestEvaluateStaleCompile(t *testing.T) {
	d := mustParse(t, stmt(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`))
	req := Request{Action: "s3:PutObject", Bucket: "b", Key: "k"}
	if got := Evaluate(req, d); got != NoMatch {
		t.Fatalf("got %v", got)
	}
	// Replacing Statements is noticed even without Compile.
	d.Statements = append([]Statement{{Effect: EffectDeny, Actions: []string{"s3:*"}, Resources: []string{"*"}, Principals: []string{"*"}}}, d.Statements...)
	if got := Evaluate(req, d); got != Deny {
		t.Fatalf("after edit got %v, want Deny", got)
	}
	// A hand-built invalid statement is ignored.
	bad := Document{Statements: []Statement{{Effect: "Maybe", Actions: []string{"s3:*"}, Resources: []string{"*"}}}}
	if got := Evaluate(req, bad); got != NoMatch {
		t.Fatalf("invalid statement: got %v", got)
	}
	if err := bad.Compile(); err == nil {
		t.Fatal("Compile accepted an invalid effect")
	}
}

func TestResourceFor(t *testing.T) {
	for _, tc := range []struct{ action, bucket, key, want string }{
		{"s3:GetObject", "b", "a/b.txt", "arn:aws:s3:::b/a/b.txt"},
		{"s3:PutObject", "b", "", "arn:aws:s3:::b/"},
		{"s3:ListBucket", "b", "", "arn:aws:s3:::b"},
		{"s3:listbucketversions", "b", "ignored", "arn:aws:s3:::b"},
		{"s3:GetBucketPolicy", "b", "", "arn:aws:s3:::b"},
		{"s3:CreateBucket", "b", "", "arn:aws:s3:::b"},
		{"s3:ListAllMyBuckets", "", "", "arn:aws:s3:::*"},
		{"s3:Unknown", "b", "", "arn:aws:s3:::b"},
		{"s3:Unknown", "b", "k", "arn:aws:s3:::b/k"},
	} {
		if got := ResourceFor(tc.action, tc.bucket, tc.key); got != tc.want {
			t.Errorf("ResourceFor(%q,%q,%q) = %q, want %q", tc.action, tc.bucket, tc.key, got, tc.want)
		}
	}
	for a, want := range map[string]bool{
		"s3:ListBucket": true, "s3:ListBucketVersions": true, "s3:ListBucketMultipartUploads": true,
		"s3:GetBucketLocation": true, "s3:GetBucketVersioning": true, "s3:PutBucketVersioning": true,
		"s3:GetBucketPolicy": true, "s3:PutBucketPolicy": true, "s3:DeleteBucketPolicy": true,
		"s3:DeleteBucket": true, "S3:LISTBUCKET": true,
		"s3:GetObject": false, "s3:ListMultipartUploadParts": false, "s3:ListAllMyBuckets": false, "bogus": false,
	} {
		if got := IsBucketAction(a); got != want {
			t.Errorf("IsBucketAction(%q) = %v", a, got)
		}
	}
	if !IsKnownAction("s3:getobject") || IsKnownAction("s3:Get*") || IsKnownAction("GetObject") {
		t.Error("IsKnownAction")
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		fold   bool
		want   bool
	}{
		{"*", "", false, true},
		{"a*", "a", false, true},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbc", false, false},
		{"a*b*c", "abbbcbc", false, true},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"a?c", "aéc", false, true},
		{"*?", "", false, false},
		{"***", "x", false, true},
		{"Ab*", "aBc", true, true},
		{"Ab*", "aBc", false, false},
		{"a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
	} {
		if got := globMatch(tc.pat, tc.s, tc.fold); got != tc.want {
			t.Errorf("globMatch(%q, %q, %v) = %v", tc.pat, tc.s, tc.fold, got)
		}
		p := newPattern(tc.pat, tc.fold)
		if got := p.match(tc.s); got != tc.want {
			t.Errorf("pattern(%q).match(%q) = %v", tc.pat, tc.s, got)
		}
	}
}
