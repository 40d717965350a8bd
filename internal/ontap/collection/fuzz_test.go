package collection

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"coffer/internal/errs"
)

// fuzzRecords is a fixed record set with nested objects, arrays, mixed
// types and nulls; names are unique.
func fuzzRecords() []map[string]any {
	var recs []map[string]any
	for i := 0; i < 17; i++ {
		var size any = float64(i % 5)
		switch i % 6 {
		case 0:
			size = nil
		case 1:
			size = fmt.Sprint(i)
		case 2:
			size = json.Number(fmt.Sprint(i * 1000))
		}
		recs = append(recs, map[string]any{
			"name":    fmt.Sprintf("n%02d", i),
			"comment": []string{"a", "B", "", "a|b"}[i%4],
			"size":    size,
			"enabled": i%3 == 0,
			"svm":     map[string]any{"name": fmt.Sprint("vs", i%2), "uuid": fmt.Sprint("u", i%2)},
			"users":   []any{map[string]any{"name": fmt.Sprint("x", i%3)}, map[string]any{"name": "y"}},
			"policy":  map[string]any{"statements": []any{map[string]any{"sid": float64(i % 4), "effect": "allow"}}},
		})
	}
	return recs
}

func FuzzParseQueryApply(f *testing.F) {
	for _, s := range []string{
		"", "max_records=3", "max_records=2&order_by=size+desc", "fields=*&name=n0*|n1*&max_records=4",
		"order_by=comment,size+desc&max_records=1&size=>1", "users.name=x1&fields=**", "svm.name=!vs0&order_by=svm.uuid+desc",
		"size=null", "size=!null&max_records=5", "size=1..3", "comment=a|b&fields=policy.statements.sid",
		"start.name=n05&max_records=2", "enabled=true&return_records=false", "max_records=abc", "order_by=%20",
		"fields=a..b", "name=%2A&return_timeout=0", "0",
	} {
		f.Add(s)
	}
	recs := fuzzRecords()
	byName := map[string]map[string]any{}
	for _, r := range recs {
		byName[r["name"].(string)] = r
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, _ := url.ParseQuery(raw)
		q, err := ParseQuery(vals, "delete_all")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, errs.InvalidArgument) || e.Code == "" {
				t.Fatalf("ParseQuery(%q) error %v is not an ONTAP InvalidArgument", raw, err)
			}
			return
		}
		for _, key := range [][]string{{"name"}, nil, {"svm.name"}} {
			q.Schema = Schema{Key: key, Keep: []string{"name"}, Expensive: []string{"policy"}}
			p := Apply(recs, q, "/api/x")
			if _, err := p.MarshalJSON(); err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			if !q.ReturnRecordsOr(true) {
				if p.Records != nil || p.Links.Next != "" {
					t.Fatalf("return_records=false returned records")
				}
				continue
			}
			if p.NumRecords != len(p.Records) {
				t.Fatalf("num_records %d != %d", p.NumRecords, len(p.Records))
			}
			if q.MaxRecords > 0 && len(p.Records) > q.MaxRecords {
				t.Fatalf("page too large")
			}
			for _, r := range p.Records {
				name, _ := r["name"].(string)
				if orig := byName[name]; orig == nil || !q.Match(orig) {
					t.Fatalf("record %q does not match the query", name)
				}
			}
			// Following next links yields exactly the unpaginated result.
			all := q
			all.MaxRecords = 0
			want := names(Apply(recs, all, "/api/x").Records)
			var got []string
			cur := p
			for i := 0; ; i++ {
				got = append(got, names(cur.Records)...)
				if cur.Links.Next == "" {
					break
				}
				if i > len(recs) {
					t.Fatalf("next links do not end (%q)", raw)
				}
				u, err := url.Parse(cur.Links.Next)
				if err != nil {
					t.Fatalf("bad next %q", cur.Links.Next)
				}
				nq, err := ParseQuery(u.Query(), "delete_all")
				if err != nil {
					t.Fatalf("next %q does not parse: %v", cur.Links.Next, err)
				}
				nq.Schema = q.Schema
				cur = Apply(recs, nq, "/api/x")
			}
			if len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Fatalf("%q key %v: pages %v, want %v", raw, key, got, want)
			}
		}
	})
}

func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		"", "{}", `{"svm.name":"vs1","svm":{"uuid":"u"}}`, `{"a":[1,2,{"b.c":null}]}`, `{"a.b":1,"a":{"b":2}}`,
		`{"name":"x","comment":"y","size":1e400}`, `[`, `{"a":{"b":{"c":{}}}}`, `{"policy.statements":[{"sid":1}]}`,
		`{"":1}`, `{"a..b":1}`, `{"x":"\ud800"}`, "{\"a\":1}\n", `{"a":1}x`,
	} {
		f.Add([]byte(s))
	}
	sets := []FieldSet{NewFieldSet("*"), bucketFields, NewFieldSet("a.b", "a.c.*", "name", "svm.name", "svm.uuid"), {}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, set := range sets {
			m, err := DecodeBody(bytes.NewReader(body), set)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code == "" {
					t.Fatalf("error %v is not an *Error", err)
				}
				continue
			}
			if m == nil {
				t.Fatal("nil map without error")
			}
			checkNoDots(t, m)
			// The result is a fixed point: re-encoding and decoding gives it back.
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			m2, err := DecodeBody(bytes.NewReader(b), set)
			if err != nil || !reflect.DeepEqual(m, m2) {
				t.Fatalf("not a fixed point: %v\n%v\n%v", err, m, m2)
			}
		}
	})
}

func checkNoDots(t *testing.T, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.Contains(k, ".") || k == "" {
				t.Fatalf("key %q survived decoding", k)
			}
			checkNoDots(t, e)
		}
	case []any:
		for _, e := range x {
			checkNoDots(t, e)
		}
	}
}
