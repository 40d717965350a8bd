package collection

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"coffer/internal/errs"
)

var bucketFields = NewFieldSet(
	"name", "comment", "size", "svm.name", "svm.uuid",
	"policy.statements.sid", "policy.statements.effect", "policy.statements.actions",
	"policy.statements.principals", "policy.statements.conditions.*",
	"qos_policy", // a whole object
	"versioning_state", "users.name",
)

func TestDecodeBodyMerge(t *testing.T) {
	tests := []struct {
		name, body string
		want       map[string]any
	}{
		{"empty", "", map[string]any{}},
		{"blank", " \n\t", map[string]any{}},
		{"empty object", "{}", map[string]any{}},
		{"dotted", `{"svm.name":"vs1","name":"b1"}`,
			map[string]any{"svm": map[string]any{"name": "vs1"}, "name": "b1"}},
		{"nested", `{"svm":{"name":"vs1"}}`, map[string]any{"svm": map[string]any{"name": "vs1"}}},
		{"dotted and nested merge", `{"svm.name":"vs1","svm":{"uuid":"u1"}}`,
			map[string]any{"svm": map[string]any{"name": "vs1", "uuid": "u1"}}},
		{"nested then dotted", `{"svm":{"uuid":"u1"},"svm.name":"vs1"}`,
			map[string]any{"svm": map[string]any{"name": "vs1", "uuid": "u1"}}},
		{"dotted inside arrays", `{"policy":{"statements":[{"sid":"1","conditions.operator":"ip_address","conditions":{"source_ips":["1.2.3.4/32"]}}]}}`,
			map[string]any{"policy": map[string]any{"statements": []any{map[string]any{
				"sid": "1", "conditions": map[string]any{"operator": "ip_address", "source_ips": []any{"1.2.3.4/32"}},
			}}}}},
		{"dotted array path", `{"policy.statements":[{"effect":"allow","actions":["*"]}]}`,
			map[string]any{"policy": map[string]any{"statements": []any{map[string]any{"effect": "allow", "actions": []any{"*"}}}}}},
		{"whole object", `{"qos_policy":{"name":"p","max_throughput_iops":10}}`,
			map[string]any{"qos_policy": map[string]any{"name": "p", "max_throughput_iops": json.Number("10")}}},
		{"numbers and nulls", `{"size":1099511627776,"comment":null,"users":[]}`,
			map[string]any{"size": json.Number("1099511627776"), "comment": nil, "users": []any{}}},
		{"array of objects", `{"users":[{"name":"a"},{"name":"b"}]}`,
			map[string]any{"users": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeBody(strings.NewReader(tc.body), bucketFields)
			if err != nil {
				t.Fatalf("DecodeBody: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeBodyErrors(t *testing.T) {
	tests := []struct {
		name, body, code, target string
		kind                     errs.Kind
	}{
		{"unknown field", `{"name":"b","foo":1}`, CodeUnexpectedArgument, "foo", errs.InvalidArgument},
		{"unknown nested", `{"svm":{"name":"vs1","foo":1}}`, CodeUnexpectedArgument, "svm.foo", errs.InvalidArgument},
		{"unknown dotted", `{"svm.foo":1}`, CodeUnexpectedArgument, "svm.foo", errs.InvalidArgument},
		{"unknown object reported at its root", `{"foo":{"bar":1}}`, CodeUnexpectedArgument, "foo", errs.InvalidArgument},
		{"unknown in array element", `{"users":[{"name":"a"},{"nam":"b"}]}`, CodeUnexpectedArgument, "users.nam", errs.InvalidArgument},
		{"unknown deep in array", `{"policy":{"statements":[{"sid":"1","foo":2}]}}`, CodeUnexpectedArgument, "policy.statements.foo", errs.InvalidArgument},
		{"scalar where object expected", `{"svm":"vs1"}`, CodeUnexpectedArgument, "svm", errs.InvalidArgument},
		{"empty segment", `{"svm..name":"x"}`, CodeUnexpectedArgument, "svm..name", errs.InvalidArgument},
		{"empty key", `{"":"x"}`, CodeUnexpectedArgument, "", errs.InvalidArgument},
		{"duplicate key", `{"name":"a","name":"b"}`, CodeInvalidJSON, "name", errs.InvalidArgument},
		{"duplicate dotted/nested", `{"svm.name":"a","svm":{"name":"b"}}`, CodeInvalidJSON, "svm.name", errs.InvalidArgument},
		{"dotted over scalar", `{"svm":"x","svm.name":"b"}`, CodeInvalidJSON, "svm", errs.InvalidArgument},
		{"malformed", `{"name":`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"trailing comma", `{"name":"a",}`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"not an object", `["name"]`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"string", `"x"`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"null", `null`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"trailing data", `{"name":"a"} {}`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"too deep", `{"qos_policy":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, CodeInvalidJSON, "", errs.InvalidArgument},
		{"too large", `{"comment":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, CodeBodyTooLarge, "", errs.EntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeBody(strings.NewReader(tc.body), bucketFields)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, %v; want *Error", m, err)
			}
			if e.Code != tc.code || e.Target != tc.target || !errors.Is(err, tc.kind) {
				t.Errorf("got code %s target %q kind %v (%v), want %s %q %v", e.Code, e.Target, errs.KindOf(err), err, tc.code, tc.target, tc.kind)
			}
		})
	}
	_, err := DecodeBody(strings.NewReader(`{"foo":1}`), bucketFields)
	if got := errs.Message(err); got != `Unexpected argument "foo".` {
		t.Errorf("message %q", got)
	}
}

func TestDecodeBodyExactlyMax(t *testing.T) {
	pad := MaxBodyBytes - len(`{"comment":""}`)
	body := `{"comment":"` + strings.Repeat("x", pad) + `"}`
	if len(body) != MaxBodyBytes {
		t.Fatal(len(body))
	}
	if _, err := DecodeBody(strings.NewReader(body), bucketFields); err != nil {
		t.Errorf("a body of exactly MaxBodyBytes must decode: %v", err)
	}
}

func TestFieldSet(t *testing.T) {
	s := NewFieldSet("name", "svm.name", "svm.uuid", "keys.*", "policy", "a.b.c")
	tests := []struct {
		path string
		want bool
	}{
		{"name", true}, {"svm", true}, {"svm.name", true}, {"svm.uuid", true}, {"svm.x", false},
		{"keys", true}, {"keys.id", true}, {"keys.a.b", true}, {"policy", true}, {"policy.statements.sid", true},
		{"a", true}, {"a.b", true}, {"a.b.c", true}, {"a.b.d", false}, {"a.b.c.d", true}, // a listed path with no listed sub-fields is a whole subtree
		{"nam", false}, {"names", false}, {"", false},
	}
	for _, tc := range tests {
		if got := s.Allows(tc.path); got != tc.want {
			t.Errorf("Allows(%q) = %v", tc.path, got)
		}
	}
	if !NewFieldSet("*").Allows("anything.at.all") || (FieldSet{}).Allows("x") {
		t.Error("* / zero FieldSet")
	}
	m, err := DecodeBody(strings.NewReader(`{"anything":{"at":[1,{"all":true}]}}`), NewFieldSet("*"))
	if err != nil || m["anything"] == nil {
		t.Errorf("FieldSet(*) = %v, %v", m, err)
	}
	if _, err := DecodeBody(strings.NewReader(`{"x":1}`), FieldSet{}); err == nil {
		t.Error("zero FieldSet must reject every field")
	}
}

func TestGetters(t *testing.T) {
	m, err := DecodeBody(strings.NewReader(`{"svm.name":"vs1","enabled":true,"size":10737418240,"ratio":1.5,"exp":1e3,
		"users":[{"name":"a"}],"qos_policy":{"name":"p"},"comment":null}`), NewFieldSet("*"))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := GetString(m, "svm.name"); !ok || s != "vs1" {
		t.Errorf("GetString = %q %v", s, ok)
	}
	if _, ok := GetString(m, "svm"); ok {
		t.Error("GetString on an object")
	}
	if _, ok := GetString(m, "svm.name.x"); ok {
		t.Error("GetString past a leaf")
	}
	if _, ok := GetString(m, "comment"); ok {
		t.Error("GetString on null")
	}
	if v, ok := Get(m, "comment"); !ok || v != nil {
		t.Error("Get must report an explicit null as present")
	}
	if b, ok := GetBool(m, "enabled"); !ok || !b {
		t.Error("GetBool")
	}
	if _, ok := GetBool(m, "size"); ok {
		t.Error("GetBool on a number")
	}
	if n, ok := GetInt(m, "size"); !ok || n != 10737418240 {
		t.Errorf("GetInt = %d %v", n, ok)
	}
	if n, ok := GetInt(m, "exp"); !ok || n != 1000 {
		t.Errorf("GetInt(1e3) = %d %v", n, ok)
	}
	if _, ok := GetInt(m, "ratio"); ok {
		t.Error("GetInt on 1.5")
	}
	if _, ok := GetInt(m, "missing"); ok {
		t.Error("GetInt on a missing field")
	}
	if n, ok := GetInt(map[string]any{"a": map[string]any{"b": float64(3)}, "c": 4}, "a.b"); !ok || n != 3 {
		t.Error("GetInt on float64")
	}
	if a, ok := GetArray(m, "users"); !ok || len(a) != 1 {
		t.Error("GetArray")
	}
	if o, ok := GetObject(m, "qos_policy"); !ok || o["name"] != "p" {
		t.Error("GetObject")
	}
	if _, ok := GetObject(m, "users"); ok {
		t.Error("GetObject on an array")
	}
}
