package postpolicy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
)

// AWS's example policy from "Creating a POST policy" (user guide), with
// its conditions of every kind.
const awsExample = `{ "expiration": "2007-12-01T12:00:00.000Z",
  "conditions": [
    {"acl": "public-read" },
    {"bucket": "johnsmith" },
    ["starts-with", "$key", "user/eric/"],
    ["content-length-range", 1048576, 10485760]
  ]
}`

func form(kv ...string) *Form {
	f := &Form{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Fields = append(f.Fields, Field{Name: kv[i], Value: kv[i+1]})
	}
	return f
}

var before = time.Date(2007, 11, 30, 0, 0, 0, 0, time.UTC)

func TestParse_awsExample(t *testing.T) {
	p, err := Parse(base64.StdEncoding.EncodeToString([]byte(awsExample)))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Expiration.Equal(time.Date(2007, 12, 1, 12, 0, 0, 0, time.UTC)) || len(p.Conditions) != 4 {
		t.Fatalf("policy = %+v", p)
	}
	c := p.Conditions
	if c[0].Op != Eq || c[0].Field != "acl" || c[0].Value != "public-read" ||
		c[2].Op != StartsWith || c[2].Field != "key" || c[2].Value != "user/eric/" ||
		c[3].Op != ContentLengthRange || c[3].Min != 1048576 || c[3].Max != 10485760 {
		t.Fatalf("conditions = %+v", c)
	}
	lim, err := p.Check(form("key", "user/eric/photo.jpg", "acl", "public-read", "AWSAccessKeyId", "x", "signature", "s", "policy", "p"), "johnsmith", before)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !lim.Set || lim.Min != 1048576 || lim.Max != 10485760 {
		t.Fatalf("limits = %+v", lim)
	}
}

func TestCheck(t *testing.T) {
	pol := func(conds string) *Policy {
		t.Helper()
		p, err := ParseJSON([]byte(`{"expiration": "2030-01-01T00:00:00Z", "conditions": [` + conds + `]}`))
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", conds, err)
		}
		return p
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		conds  string
		form   *Form
		bucket string
		msg    string // "" = allowed
	}{
		{"exact", `{"key": "a"}`, form("key", "a"), "b", ""},
		{"exact fails", `{"key": "a"}`, form("key", "ab"), "b", `Policy Condition failed: ["eq", "$key", "a"]`},
		{"eq", `["eq", "$key", "a"]`, form("Key", "a"), "b", ""},
		{"eq case-insensitive name", `["eq", "$Content-Type", "text/plain"]`, form("content-type", "text/plain"), "b", ""},
		{"eq value is case-sensitive", `["eq", "$key", "a"]`, form("key", "A"), "b", "Policy Condition failed"},
		{"eq on a missing field", `["eq", "$key", "a"], ["eq", "$acl", "private"]`, form("key", "a"), "b", "Policy Condition failed"},
		{"starts-with", `["starts-with", "$key", "user/"]`, form("key", "user/x"), "b", ""},
		{"starts-with fails", `["starts-with", "$key", "user/"]`, form("key", "admin/x"), "b", `["starts-with", "$key", "user/"]`},
		{"starts-with empty prefix", `["starts-with", "$x-amz-meta-tag", ""]`, form("x-amz-meta-tag", "anything"), "b", ""},
		{"content-type list", `["starts-with", "$Content-Type", "image/"]`, form("Content-Type", "image/jpeg, image/png"), "b", ""},
		{"content-type list fails", `["starts-with", "$Content-Type", "image/"]`, form("Content-Type", "image/jpeg,text/html"), "b", "Policy Condition failed"},
		{"bucket", `{"bucket": "b"}`, form(), "b", ""},
		{"bucket fails", `{"bucket": "b"}`, form(), "c", `["eq", "$bucket", "b"]`},
		{"extra field", `{"key": "a"}`, form("key", "a", "x-amz-meta-foo", "1"), "b", "Extra input fields: x-amz-meta-foo"},
		{"exempt fields", `{"key": "a"}`, form("key", "a", "policy", "p", "x-amz-signature", "s", "X-Ignore-Me", "1", "AWSAccessKeyId", "a", "Signature", "s"), "b", ""},
		{"success_action_status must be covered", `{"key": "a"}`, form("key", "a", "success_action_status", "201"), "b", "Extra input fields: success_action_status"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := pol(c.conds).Check(c.form, c.bucket, now)
			if c.msg == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, errs.AccessDenied) || !strings.Contains(errs.Message(err), c.msg) ||
				!strings.HasPrefix(errs.Message(err), "Invalid according to Policy: ") {
				t.Fatalf("Check = %v, want AccessDenied %q", err, c.msg)
			}
		})
	}
	// Expired.
	_, err := pol(`{"key": "a"}`).Check(form("key", "a"), "b", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if !errors.Is(err, errs.AccessDenied) || !strings.Contains(errs.Message(err), "Policy expired") {
		t.Fatalf("expired: %v", err)
	}
	// Two ranges narrow each other.
	lim, err := pol(`["content-length-range", 10, 100], ["content-length-range", "20", "50"]`).Check(form(), "b", now)
	if err != nil || lim.Min != 20 || lim.Max != 50 {
		t.Fatalf("ranges: %+v %v", lim, err)
	}
}

func TestParse_invalid(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{}`, `not json`,
		`{"conditions": []}`,
		`{"expiration": "tomorrow", "conditions": []}`,
		`{"expiration": "2030-01-01T00:00:00Z"}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "a"]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["matches", "$key", "a"]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 10, 5]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 5]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "a", 5]]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"key": 5}]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": ["key"]}`,
		`{"expiration": "2030-01-01T00:00:00Z", "conditions": []} trailing`,
	} {
		if _, err := ParseJSON([]byte(doc)); !errors.Is(err, errs.InvalidPolicyDocument) {
			t.Errorf("ParseJSON(%s) = %v, want InvalidPolicyDocument", doc, err)
		}
	}
	if _, err := Parse("!!!not base64"); !errors.Is(err, errs.InvalidPolicyDocument) {
		t.Errorf("bad base64: %v", err)
	}
}

func multipartBody(t *testing.T, fields [][2]string, file string, after ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if file != "\x00" {
		fw, err := w.CreateFormFile("file", "report 1.txt")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(file))
	}
	for _, f := range after {
		w.WriteField(f[0], f[1])
	}
	w.Close()
	return &b, w.Boundary()
}

func TestReadForm(t *testing.T) {
	body, boundary := multipartBody(t, [][2]string{{"key", "uploads/${filename}"}, {"Content-Type", "text/plain"}},
		"the file's content", [2]string{"after", "ignored"})
	f, err := ReadForm(body, boundary)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("KEY"); v != "uploads/${filename}" || len(f.Fields) != 2 || f.FileName != "report 1.txt" {
		t.Fatalf("form = %+v", f)
	}
	data, err := io.ReadAll(f.File)
	if err != nil || string(data) != "the file's content" {
		t.Fatalf("file = %q, %v", data, err)
	}
	if _, ok := f.Get("after"); ok {
		t.Fatal("a field after the file was read")
	}

	// No file part.
	body, boundary = multipartBody(t, [][2]string{{"key", "k"}}, "\x00")
	if _, err := ReadForm(body, boundary); !errors.Is(err, errs.InvalidArgument) || !strings.Contains(errs.Message(err), "exactly one file") {
		t.Fatalf("no file: %v", err)
	}
	// Duplicate field.
	body, boundary = multipartBody(t, [][2]string{{"key", "k"}, {"Key", "j"}}, "x")
	if _, err := ReadForm(body, boundary); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("duplicate: %v", err)
	}
	// Garbage and truncation.
	if _, err := ReadForm(strings.NewReader("not multipart at all"), "xyz"); !errors.Is(err, errs.MalformedPOSTRequest) {
		t.Fatalf("garbage: %v", err)
	}
	body, boundary = multipartBody(t, [][2]string{{"key", "k"}, {"acl", "private"}}, "x")
	if _, err := ReadForm(bytes.NewReader(body.Bytes()[:60]), boundary); !errors.Is(err, errs.MalformedPOSTRequest) {
		t.Fatalf("truncated: %v", err)
	}
	// Oversized fields.
	body, boundary = multipartBody(t, [][2]string{{"key", "k"}, {"x-ignore-big", strings.Repeat("a", MaxFieldsSize)}}, "x")
	if _, err := ReadForm(body, boundary); !errors.Is(err, errs.MalformedPOSTRequest) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestBoundary(t *testing.T) {
	if b, err := Boundary(`multipart/form-data; boundary="abc def"`); err != nil || b != "abc def" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := Boundary("application/x-www-form-urlencoded"); !errors.Is(err, errs.PreconditionFailed) {
		t.Fatalf("urlencoded: %v", err)
	}
	if _, err := Boundary("multipart/form-data"); !errors.Is(err, errs.MalformedPOSTRequest) {
		t.Fatalf("no boundary: %v", err)
	}
}
