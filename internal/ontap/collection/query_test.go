package collection

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"coffer/internal/errs"
)

func mustParse(t *testing.T, raw string, reserved ...string) Query {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", raw, err)
	}
	q, err := ParseQuery(v, reserved...)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", raw, err)
	}
	return q
}

func TestParseQueryReserved(t *testing.T) {
	q := mustParse(t, "fields=name,svm.name,,name,policy.statements.sid,statistics.*&max_records=5&return_records=false"+
		"&return_timeout=120&order_by=name+desc,comment,svm.name+asc&regenerate_keys=true&start.name=u3&name=u*&svm.name=vs1",
		"regenerate_keys")
	if want := []string{"name", "svm.name", "policy.statements.sid", "statistics.*"}; !reflect.DeepEqual(q.Fields, want) {
		t.Errorf("Fields = %v, want %v", q.Fields, want)
	}
	if q.MaxRecords != 5 {
		t.Errorf("MaxRecords = %d", q.MaxRecords)
	}
	if q.ReturnRecords == nil || *q.ReturnRecords || q.ReturnRecordsOr(true) {
		t.Errorf("ReturnRecords = %v", q.ReturnRecords)
	}
	if q.ReturnTimeoutOr(15) != 120 {
		t.Errorf("ReturnTimeout = %v", q.ReturnTimeout)
	}
	wantOrder := []Order{{"name", true}, {"comment", false}, {"svm.name", false}}
	if !reflect.DeepEqual(q.OrderBy, wantOrder) {
		t.Errorf("OrderBy = %v, want %v", q.OrderBy, wantOrder)
	}
	if q.Reserved.Get("regenerate_keys") != "true" {
		t.Errorf("Reserved = %v", q.Reserved)
	}
	if !reflect.DeepEqual(q.Start, map[string]string{"name": "u3"}) {
		t.Errorf("Start = %v", q.Start)
	}
	if len(q.Filters) != 2 || q.Filters[0].Field != "name" || q.Filters[0].Value != "u*" ||
		q.Filters[1].Field != "svm.name" || q.Filters[1].Value != "vs1" {
		t.Errorf("Filters = %+v", q.Filters)
	}
}

func TestParseQueryDefaults(t *testing.T) {
	q := mustParse(t, "")
	if q.Fields != nil || q.MaxRecords != 0 || q.ReturnRecords != nil || q.ReturnTimeout != nil ||
		q.OrderBy != nil || q.Filters != nil || q.Start != nil || q.Reserved != nil {
		t.Errorf("empty query parsed to %+v", q)
	}
	if !q.ReturnRecordsOr(true) || q.ReturnRecordsOr(false) {
		t.Error("ReturnRecordsOr must return the default")
	}
	if q.ReturnTimeoutOr(DefaultReturnTimeout) != 15 {
		t.Error("ReturnTimeoutOr must return the default")
	}
	// Repeated fields= parameters are concatenated; "*" and "**" are kept.
	q = mustParse(t, "fields=*&fields=**,name")
	if want := []string{"*", "**", "name"}; !reflect.DeepEqual(q.Fields, want) {
		t.Errorf("Fields = %v", q.Fields)
	}
	// Boolean parameters are case-insensitive; a repeated filter is ANDed.
	q = mustParse(t, "return_records=TRUE&name=a*&name=*b")
	if !q.ReturnRecordsOr(false) || len(q.Filters) != 2 {
		t.Errorf("q = %+v", q)
	}
	if !q.Match(map[string]any{"name": "axb"}) || q.Match(map[string]any{"name": "ax"}) {
		t.Error("repeated filters must AND")
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		raw, code, target string
	}{
		{"max_records=abc", CodeInvalidValue, "max_records"},
		{"max_records=0", CodeInvalidValue, "max_records"},
		{"max_records=-1", CodeInvalidValue, "max_records"},
		{"max_records=1.5", CodeInvalidValue, "max_records"},
		{"return_records=yes", CodeInvalidValue, "return_records"},
		{"return_timeout=121", CodeInvalidValue, "return_timeout"},
		{"return_timeout=-1", CodeInvalidValue, "return_timeout"},
		{"return_timeout=x", CodeInvalidValue, "return_timeout"},
		{"order_by=name+up", CodeInvalidValue, "order_by"},
		{"order_by=name+asc+desc", CodeInvalidValue, "order_by"},
		{"order_by=a..b", CodeInvalidValue, "order_by"},
		{"fields=name,a..b", CodeInvalidValue, "fields"},
		{"fields=na%20me", CodeInvalidValue, "fields"},
		{"a..b=1", CodeUnexpectedArgument, "a..b"},
		{"na$me=1", CodeUnexpectedArgument, "na$me"},
		{"start.=1", CodeUnexpectedArgument, "start."},
		{".name=x", CodeUnexpectedArgument, ".name"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			v, _ := url.ParseQuery(tc.raw)
			_, err := ParseQuery(v)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Code != tc.code || e.Target != tc.target {
				t.Errorf("got code %s target %q, want %s %q (%v)", e.Code, e.Target, tc.code, tc.target, err)
			}
			if !errors.Is(err, errs.InvalidArgument) || errs.KindOf(err) != errs.InvalidArgument {
				t.Errorf("err %v is not errs.InvalidArgument", err)
			}
			var ce *errs.Error
			if !errors.As(err, &ce) || ce.Field != tc.target || errs.Message(err) != e.Message {
				t.Errorf("errs view: %+v", ce)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	v, _ := url.ParseQuery("max_records=abc")
	_, err := ParseQuery(v)
	if got, want := errs.Message(err), `The value "abc" is invalid for field "max_records" (<integer>)`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	e := UnexpectedArgument("foo")
	if e.Message != `Unexpected argument "foo".` || e.Code != "262179" || e.Target != "foo" {
		t.Errorf("UnexpectedArgument = %+v", e)
	}
	if !errors.Is(e, &Error{Code: CodeUnexpectedArgument}) || errors.Is(e, &Error{Code: CodeInvalidValue}) {
		t.Error("*Error must match by code")
	}
	if errors.Is(e, errs.NotFound) {
		t.Error("must not match another kind")
	}
}

func TestCheck(t *testing.T) {
	known := NewFieldSet("name", "comment", "svm.name", "svm.uuid", "keys.*", "policy")
	ok := []string{
		"name=a&fields=name,comment,svm&order_by=svm.name",
		"keys.id=1&fields=keys.*,keys.access_key",
		"policy.statements.sid=1&fields=policy.statements",
		"fields=*,**",
		"svm=vs1", // an object on the way to known fields
	}
	for _, raw := range ok {
		if err := mustParse(t, raw).Check(known); err != nil {
			t.Errorf("Check(%q) = %v", raw, err)
		}
	}
	bad := []struct{ raw, code, target string }{
		{"foo=1", CodeUnexpectedArgument, "foo"},
		{"svm.foo=1", CodeUnexpectedArgument, "svm.foo"},
		{"fields=name,foo", CodeInvalidValue, "fields"},
		{"order_by=foo", CodeInvalidValue, "order_by"},
	}
	for _, tc := range bad {
		err := mustParse(t, tc.raw).Check(known)
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Target != tc.target {
			t.Errorf("Check(%q) = %v, want %s/%s", tc.raw, err, tc.code, tc.target)
		}
	}
}
