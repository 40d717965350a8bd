package collection

import (
	"encoding/json"
	"testing"
)

func TestFilterOperators(t *testing.T) {
	rec := map[string]any{
		"name":    "User-1",
		"comment": "",
		"size":    float64(100),
		"count":   int64(7),
		"big":     json.Number("9007199254740993"),
		"ratio":   1.5,
		"enabled": true,
		"nothing": nil,
		"time":    "2024-05-01T10:00:00Z",
		"svm":     map[string]any{"name": "vs1", "uuid": "u-1"},
		"users":   []any{map[string]any{"name": "alice"}, map[string]any{"name": "bob"}},
		"tags":    []any{"red", "green"},
		"policy": map[string]any{"statements": []any{
			map[string]any{"sid": "1", "effect": "allow", "actions": []any{"GetObject", "PutObject"}},
			map[string]any{"sid": float64(2), "effect": "deny"},
		}},
	}
	tests := []struct {
		field, value string
		want         bool
	}{
		// equality; strings are case-insensitive
		{"name", "User-1", true},
		{"name", "user-1", true},
		{"name", "user", false},
		{"comment", "", true},
		{"size", "100", true},
		{"size", "100.0", true},
		{"size", "1e2", true},
		{"size", "abc", false},
		{"count", "7", true},
		{"big", "9007199254740993", true},
		{"big", "9007199254740992", false},
		{"enabled", "true", true},
		{"enabled", "TRUE", true},
		{"enabled", "false", false},
		{"enabled", "1", false},
		// wildcard
		{"name", "*", true},
		{"name", "user*", true},
		{"name", "*-1", true},
		{"name", "U*r*1", true},
		{"name", "*x*", false},
		{"size", "1*", true},
		{"enabled", "t*", true},
		{"svm", "*", false},
		// not
		{"name", "!user-1", false},
		{"name", "!bob", true},
		{"name", "!u*", false},
		{"size", "!100", false},
		{"size", "!5", true},
		// or
		{"name", "bob|user-1", true},
		{"name", "bob|carol", false},
		{"name", "bob|!carol", true},
		{"size", "1|2|100", true},
		// comparisons, numeric when the field is a number
		{"size", "<101", true},
		{"size", "<100", false},
		{"size", "<=100", true},
		{"size", ">99", true},
		{"size", ">100", false},
		{"size", ">=100", true},
		{"size", ">=1e3", false},
		{"size", ">abc", false},
		{"ratio", ">1", true},
		{"ratio", "<1.6", true},
		{"size", ">9|<2", true},
		{"name", ">user-0", true},
		{"name", "<USER-2", true},
		{"time", ">2024-01-01T00:00:00Z", true},
		{"time", "<2024-01-01T00:00:00Z", false},
		{"enabled", ">false", true},
		// ranges, inclusive
		{"size", "100..200", true},
		{"size", "1..100", true},
		{"size", "1..99", false},
		{"size", "101..200", false},
		{"size", "!1..99", true},
		{"name", "a..z", true},
		{"name", "v..z", false},
		{"time", "2024-05-01..2024-05-02", true},
		// null / !null
		{"nothing", "null", true},
		{"nothing", "!null", false},
		{"missing", "null", true},
		{"missing", "!null", false},
		{"name", "null", false},
		{"name", "!null", true},
		{"svm", "!null", true},
		{"missing", "x", false},
		{"missing", "!x", true},
		{"missing", "*", false},
		// nested objects and arrays (any element)
		{"svm.name", "vs1", true},
		{"svm.name", "VS*", true},
		{"svm.name", "vs2", false},
		{"svm.uuid", "u-1|u-2", true},
		{"users.name", "bob", true},
		{"users.name", "alice", true},
		{"users.name", "carol", false},
		{"users.name", "!carol", true},
		{"users.name", "!bob", false},
		{"users.name", "a*", true},
		{"tags", "green", true},
		{"tags", "blue", false},
		{"policy.statements.sid", "2", true},
		{"policy.statements.sid", "1", true},
		{"policy.statements.sid", ">1", true},
		{"policy.statements.effect", "deny", true},
		{"policy.statements.actions", "putobject", true},
		{"policy.statements.actions", "Delete*", false},
		{"policy.statements.conditions", "null", true},
		{"name.first", "null", true},
		// literal text that only looks like an operator
		{"name", "..", false},
		{"name", "a..", false},
	}
	for _, tc := range tests {
		f := NewFilter(tc.field, tc.value)
		if got := f.Match(rec); got != tc.want {
			t.Errorf("%s=%s: got %v, want %v", tc.field, tc.value, got, tc.want)
		}
	}
}

func TestFilterLiteralDots(t *testing.T) {
	rec := map[string]any{"comment": "a..", "host": "x..y"}
	if !NewFilter("comment", "a..").Match(rec) {
		t.Error("a.. is an equality test")
	}
	// x..y is a range: "x..y" lies between x and y.
	if !NewFilter("host", "x..y").Match(rec) {
		t.Error("x..y range")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"*a*b*", "xaybz", true},
		{"*a*b", "xaybz", false},
		{"a**b", "ab", true},
		{"ab*cd*ef", "abcdxcdef", true},
		{"ab*cd*ef", "abcdxcdefg", false},
	}
	for _, tc := range tests {
		if got := glob(tc.p, tc.s); got != tc.want {
			t.Errorf("glob(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
