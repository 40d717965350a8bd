package collection

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const usersHref = "/api/protocols/s3/services/svm-1/users"

func usersSchema() Schema {
	return Schema{
		Key:       []string{"name"},
		Keep:      []string{"svm", "name"},
		Expensive: []string{"statistics"},
		SelfHref: func(rec map[string]any) string {
			n, _ := GetString(rec, "name")
			return usersHref + "/" + n
		},
	}
}

func user(name, comment string, size any) map[string]any {
	return map[string]any{
		"svm":        map[string]any{"uuid": "svm-1", "name": "vs1", "_links": map[string]any{"self": map[string]any{"href": "/api/svm/svms/svm-1"}}},
		"name":       name,
		"comment":    comment,
		"size":       size,
		"statistics": map[string]any{"ops": float64(len(name))},
	}
}

func names(recs []map[string]any) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i], _ = r["name"].(string)
	}
	return out
}

func apply(t *testing.T, recs []map[string]any, raw string, s Schema) Page {
	t.Helper()
	q := mustParse(t, raw)
	q.Schema = s
	return Apply(recs, q, usersHref)
}

func TestApplyFilterOrder(t *testing.T) {
	recs := []map[string]any{
		user("d", "x", float64(3)),
		user("b", "y", "10"),
		user("a", "x", nil),
		user("C", "y", float64(20)),
		user("e", "x", true),
		{"name": "f", "comment": "z"}, // no size at all
	}
	s := usersSchema()
	tests := []struct {
		raw  string
		want []string
	}{
		{"", []string{"a", "b", "C", "d", "e", "f"}}, // key order, case-insensitive
		{"order_by=name+desc", []string{"f", "e", "d", "C", "b", "a"}},
		{"comment=x", []string{"a", "d", "e"}},
		{"comment=x&order_by=name+desc", []string{"e", "d", "a"}},
		// mixed types: null < bool < number < string, ties by key
		{"order_by=size", []string{"a", "f", "e", "d", "C", "b"}},
		{"order_by=size+desc", []string{"b", "C", "d", "e", "a", "f"}},
		{"order_by=comment+desc,name+desc", []string{"f", "C", "b", "e", "d", "a"}},
		{"order_by=comment,size+desc", []string{"d", "e", "a", "b", "C", "f"}},
		{"size=>5", []string{"C"}},
		{"size=!null&order_by=size", []string{"e", "d", "C", "b"}},
		{"name=A|c|Z", []string{"a", "C"}},
	}
	for _, tc := range tests {
		p := apply(t, recs, tc.raw, s)
		if got := names(p.Records); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.raw, got, tc.want)
		}
		if p.NumRecords != len(tc.want) || p.Links.Next != "" {
			t.Errorf("%q: num_records %d next %q", tc.raw, p.NumRecords, p.Links.Next)
		}
	}
	// No key: input order is kept for ties.
	p := apply(t, recs, "order_by=comment&fields=name", Schema{})
	if got, want := names(p.Records), []string{"d", "a", "e", "b", "C", "f"}; !reflect.DeepEqual(got, want) {
		t.Errorf("keyless: got %v, want %v", got, want)
	}
	if recs[0]["name"] != "d" {
		t.Error("Apply modified its input")
	}
}

// walk follows _links.next from the first page and returns every record
// name seen, and the number of pages.
func walk(t *testing.T, recs func(page int) []map[string]any, raw string, s Schema) ([]string, int) {
	t.Helper()
	var seen []string
	href := usersHref + "?" + raw
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("pagination does not end")
		}
		u, err := url.Parse(href)
		if err != nil {
			t.Fatalf("bad href %q: %v", href, err)
		}
		if u.Path != usersHref {
			t.Fatalf("next href path %q", u.Path)
		}
		q, err := ParseQuery(u.Query())
		if err != nil {
			t.Fatalf("next href %q does not parse: %v", href, err)
		}
		q.Schema = s
		p := Apply(recs(page), q, usersHref)
		if q.MaxRecords > 0 && len(p.Records) > q.MaxRecords {
			t.Fatalf("page of %d > max_records %d", len(p.Records), q.MaxRecords)
		}
		seen = append(seen, names(p.Records)...)
		if p.Links.Next == "" {
			return seen, page + 1
		}
		if len(p.Records) == 0 {
			t.Fatal("empty page with a next link")
		}
		href = p.Links.Next
	}
}

func TestPaginationFollowsNext(t *testing.T) {
	var recs []map[string]any
	for i := 0; i < 23; i++ {
		// Sizes repeat and mix types so order_by has ties and type changes.
		var size any = float64(i % 4)
		if i%5 == 0 {
			size = fmt.Sprint("s", i%3)
		}
		if i%7 == 0 {
			size = nil
		}
		recs = append(recs, user(fmt.Sprintf("u%02d", i), []string{"x", "y"}[i%2], size))
	}
	static := func(int) []map[string]any { return recs }
	for _, s := range []Schema{usersSchema(), {}} {
		for _, order := range []string{"", "&order_by=size", "&order_by=size+desc", "&order_by=comment+desc,size"} {
			for _, filter := range []string{"", "&comment=x", "&name=!u1*"} {
				full := apply(t, recs, "fields=name,comment"+order+filter, s)
				want := names(full.Records)
				for _, size := range []int{1, 2, 3, 5, 22, 23, 24, 100} {
					raw := fmt.Sprintf("max_records=%d%s%s&fields=name,comment", size, order, filter)
					got, pages := walk(t, static, raw, s)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("key %v %s: got %v, want %v", s.Key, raw, got, want)
					}
					if wantPages := max(1, (len(want)+size-1)/size); pages != wantPages {
						t.Errorf("%s: %d pages, want %d", raw, pages, wantPages)
					}
				}
			}
		}
	}
}

func TestPaginationSurvivesDeletes(t *testing.T) {
	var recs []map[string]any
	for i := 0; i < 10; i++ {
		recs = append(recs, user(fmt.Sprintf("u%d", i), "", float64(10-i)))
	}
	// Before page 2 is fetched, the first record of page 2 (u4) and one
	// already returned (u0) are deleted; u4.5 is inserted after the cursor.
	changed := append([]map[string]any{}, recs[1:4]...)
	changed = append(changed, recs[5:]...)
	changed = append(changed, user("u4.5", "", float64(5.5)))
	pages := func(p int) []map[string]any {
		if p == 0 {
			return recs
		}
		return changed
	}
	got, _ := walk(t, pages, "max_records=4", usersSchema())
	want := []string{"u0", "u1", "u2", "u3", "u4.5", "u5", "u6", "u7", "u8", "u9"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("key order: got %v, want %v", got, want)
	}
	got, _ = walk(t, pages, "max_records=4&order_by=size+desc", usersSchema())
	// u4.5 (size 5.5) sorts after the cursor (u4, size 6) and is returned.
	want = []string{"u0", "u1", "u2", "u3", "u4.5", "u5", "u6", "u7", "u8", "u9"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("size desc: got %v, want %v", got, want)
	}
}

func TestNextHref(t *testing.T) {
	recs := []map[string]any{user("a", "", 1.0), user("b", "", 2.0), user("c", "", 3.0)}
	p := apply(t, recs, "max_records=2&fields=**&name=*", usersSchema())
	wantNext := usersHref + "?start.name=c&fields=%2A%2A&max_records=2&name=%2A"
	if p.Links.Next != wantNext {
		t.Errorf("next = %q, want %q", p.Links.Next, wantNext)
	}
	wantSelf := usersHref + "?fields=%2A%2A&max_records=2&name=%2A&return_records=true&return_timeout=15"
	if p.Links.Self != wantSelf {
		t.Errorf("self = %q, want %q", p.Links.Self, wantSelf)
	}
	p2 := apply(t, recs, strings.TrimPrefix(wantNext, usersHref+"?"), usersSchema())
	if got := names(p2.Records); !reflect.DeepEqual(got, []string{"c"}) || p2.Links.Next != "" {
		t.Errorf("page 2 = %v next %q", got, p2.Links.Next)
	}
	if !strings.HasPrefix(p2.Links.Self, usersHref+"?start.name=c&") {
		t.Errorf("page 2 self = %q", p2.Links.Self)
	}
}

func TestReturnRecordsFalse(t *testing.T) {
	recs := []map[string]any{user("a", "x", 1.0), user("b", "y", 2.0), user("c", "x", 3.0)}
	p := apply(t, recs, "return_records=false&comment=x", usersSchema())
	if p.Records != nil || p.NumRecords != 2 || p.Links.Next != "" {
		t.Errorf("page = %+v", p)
	}
	b, _ := p.MarshalJSON()
	want := `{"num_records":2,"_links":{"self":{"href":"/api/protocols/s3/services/svm-1/users?comment=x&return_records=false&return_timeout=15"}}}`
	if string(b) != want {
		t.Errorf("json = %s\nwant   %s", b, want)
	}
}

func TestPageJSON(t *testing.T) {
	recs := []map[string]any{user("a", "<x&y>", 1.0), user("b", "", 2.0)}
	s := usersSchema()
	s.SelfHref = nil
	p := apply(t, recs, "max_records=1&fields=comment", s)
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal re-escapes <, > and & as \u003c…; the value is the same.
	var viaMarshal, direct any
	if m, err := json.Marshal(p); err != nil || json.Unmarshal(m, &viaMarshal) != nil || json.Unmarshal(b, &direct) != nil ||
		!reflect.DeepEqual(viaMarshal, direct) {
		t.Errorf("json.Marshal and MarshalJSON disagree: %v", err)
	}
	want := `{"records":[{"comment":"<x&y>","name":"a","svm":{"_links":{"self":{"href":"/api/svm/svms/svm-1"}},"name":"vs1","uuid":"svm-1"}}],` +
		`"num_records":1,"_links":{"self":{"href":"` + usersHref + `?fields=comment&max_records=1&return_records=true&return_timeout=15"},` +
		`"next":{"href":"` + usersHref + `?start.name=b&fields=comment&max_records=1"}}}`
	if string(b) != want {
		t.Errorf("json = %s\nwant   %s", b, want)
	}
	// Empty result: records is [], not null, and there is no next link.
	p = apply(t, recs, "name=zzz", s)
	b, _ = p.MarshalJSON()
	want = `{"records":[],"num_records":0,"_links":{"self":{"href":"` + usersHref + `?name=zzz&return_records=true&return_timeout=15"}}}`
	if string(b) != want {
		t.Errorf("json = %s\nwant   %s", b, want)
	}
	b, _ = json.Marshal(Page{})
	if string(b) != `{"num_records":0}` {
		t.Errorf("zero page = %s", b)
	}
}

func TestApplyProjection(t *testing.T) {
	rec := map[string]any{
		"svm":        map[string]any{"uuid": "svm-1", "name": "vs1", "_links": map[string]any{"self": map[string]any{"href": "/api/svm/svms/svm-1"}}},
		"name":       "b1",
		"uuid":       "u-1",
		"comment":    "c",
		"statistics": map[string]any{"ops": 1.0},
		"policy": map[string]any{"statements": []any{
			map[string]any{"sid": "1", "effect": "allow", "conditions": []any{map[string]any{"operator": "ip_address"}}},
			map[string]any{"sid": "2", "effect": "deny"},
		}},
		"_links": map[string]any{"metrics": map[string]any{"href": "/m"}},
	}
	s := Schema{
		Key:       []string{"uuid"},
		Keep:      []string{"uuid", "name"},
		Expensive: []string{"statistics", "policy.statements.conditions"},
		SelfHref:  func(r map[string]any) string { return "/api/b/" + r["uuid"].(string) },
	}
	self := map[string]any{"metrics": map[string]any{"href": "/m"}, "self": map[string]any{"href": "/api/b/u-1"}}
	star := map[string]any{
		"svm": rec["svm"], "name": "b1", "uuid": "u-1", "comment": "c", "_links": self,
		"policy": map[string]any{"statements": []any{
			map[string]any{"sid": "1", "effect": "allow"},
			map[string]any{"sid": "2", "effect": "deny"},
		}},
	}
	all := deepCopy(rec).(map[string]any)
	all["_links"] = self
	starPlusStats := deepCopy(star).(map[string]any)
	starPlusStats["statistics"] = map[string]any{"ops": 1.0}
	tests := []struct {
		raw  string
		want map[string]any
	}{
		{"", map[string]any{"uuid": "u-1", "name": "b1", "_links": self}},
		{"fields=comment", map[string]any{"uuid": "u-1", "name": "b1", "comment": "c", "_links": self}},
		{"fields=svm.name", map[string]any{"uuid": "u-1", "name": "b1", "_links": self,
			"svm": map[string]any{"name": "vs1", "_links": map[string]any{"self": map[string]any{"href": "/api/svm/svms/svm-1"}}}}},
		{"fields=policy.statements.sid", map[string]any{"uuid": "u-1", "name": "b1", "_links": self,
			"policy": map[string]any{"statements": []any{map[string]any{"sid": "1"}, map[string]any{"sid": "2"}}}}},
		{"fields=policy.statements.sid,policy.statements.effect", map[string]any{"uuid": "u-1", "name": "b1", "_links": self,
			"policy": map[string]any{"statements": []any{map[string]any{"sid": "1", "effect": "allow"}, map[string]any{"sid": "2", "effect": "deny"}}}}},
		{"fields=statistics.*", map[string]any{"uuid": "u-1", "name": "b1", "_links": self, "statistics": map[string]any{"ops": 1.0}}},
		{"fields=*", star},
		{"fields=*,statistics", starPlusStats},
		{"fields=**", all},
		{"fields=*,**", all},
		{"fields=nosuch", map[string]any{"uuid": "u-1", "name": "b1", "_links": self}},
	}
	for _, tc := range tests {
		q := mustParse(t, tc.raw)
		q.Schema = s
		p := Apply([]map[string]any{rec}, q, "/api/b")
		if len(p.Records) != 1 || !reflect.DeepEqual(p.Records[0], tc.want) {
			got, _ := json.Marshal(p.Records)
			want, _ := json.Marshal(tc.want)
			t.Errorf("%q:\n got %s\nwant %s", tc.raw, got, want)
		}
	}
	// Single: no fields= means every non-expensive field.
	q := mustParse(t, "")
	q.Schema = s
	if got := q.Single(rec); !reflect.DeepEqual(got, star) {
		t.Errorf("Single = %v", got)
	}
	q = mustParse(t, "fields=comment")
	q.Schema = s
	if got := q.Single(rec); !reflect.DeepEqual(got, map[string]any{"uuid": "u-1", "name": "b1", "comment": "c", "_links": self}) {
		t.Errorf("Single(fields=comment) = %v", got)
	}
	// The input is untouched and shares nothing with the output.
	q = mustParse(t, "fields=**")
	q.Schema = s
	out := q.Single(rec)
	out["policy"].(map[string]any)["statements"].([]any)[0].(map[string]any)["sid"] = "changed"
	if rec["policy"].(map[string]any)["statements"].([]any)[0].(map[string]any)["sid"] != "1" {
		t.Error("output shares maps with the input")
	}
	if _, ok := rec["_links"].(map[string]any)["self"]; ok {
		t.Error("input _links modified")
	}
}

func TestProject(t *testing.T) {
	rec := map[string]any{
		"a":   map[string]any{"b": 1.0, "c": map[string]any{"d": 2.0, "e": 3.0}},
		"arr": []any{map[string]any{"x": 1.0, "y": 2.0}, "scalar", []any{map[string]any{"x": 3.0, "z": 4.0}}},
		"s":   "v",
	}
	tests := []struct {
		fields []string
		want   map[string]any
	}{
		{nil, map[string]any{}},
		{[]string{"s"}, map[string]any{"s": "v"}},
		{[]string{"a.c.d"}, map[string]any{"a": map[string]any{"c": map[string]any{"d": 2.0}}}},
		{[]string{"a.c.d", "a.b"}, map[string]any{"a": map[string]any{"b": 1.0, "c": map[string]any{"d": 2.0}}}},
		{[]string{"a.c", "a.c.d"}, map[string]any{"a": map[string]any{"c": map[string]any{"d": 2.0, "e": 3.0}}}},
		{[]string{"a.*"}, map[string]any{"a": rec["a"]}},
		{[]string{"arr.x"}, map[string]any{"arr": []any{map[string]any{"x": 1.0}, "scalar", []any{map[string]any{"x": 3.0}}}}},
		{[]string{"s.x", "missing", "a.missing"}, map[string]any{"a": map[string]any{}}},
		{[]string{"*"}, rec},
		{[]string{"s", "**"}, rec},
	}
	for _, tc := range tests {
		if got := Project(rec, tc.fields); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Project(%v) = %v, want %v", tc.fields, got, tc.want)
		}
	}
}

func TestPaginationNonUniqueKey(t *testing.T) {
	var recs []map[string]any
	for i := 0; i < 9; i++ {
		recs = append(recs, map[string]any{"name": fmt.Sprint("n", i), "svm": map[string]any{"name": fmt.Sprint("vs", i%2)}})
	}
	s := Schema{Key: []string{"svm.name"}, Keep: []string{"name"}}
	static := func(int) []map[string]any { return recs }
	for _, size := range []int{1, 2, 4} {
		got, _ := walk(t, static, fmt.Sprintf("max_records=%d", size), s)
		want := []string{"n0", "n2", "n4", "n6", "n8", "n1", "n3", "n5", "n7"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("max_records=%d: got %v, want %v", size, got, want)
		}
	}
	p := apply(t, recs, "max_records=2", s)
	if want := usersHref + "?start.skip=2&start.svm.name=vs0&max_records=2"; p.Links.Next != want {
		t.Errorf("next = %q, want %q", p.Links.Next, want)
	}
}

func TestTokenTypes(t *testing.T) {
	for _, v := range []any{"n09", "4", "true", "null", `"q"`, " 4", "", 4.0, int64(-3), json.Number("12"), 1.5, true, false,
		map[string]any{"a": 1.0}, []any{"x"}} {
		s, ok := tokenText(v)
		if !ok {
			t.Fatalf("tokenText(%#v) not ok", v)
		}
		if c := compareToToken(v, s, true); c != 0 {
			t.Errorf("value %#v -> token %q compares %d, want 0", v, s, c)
		}
	}
	if s, _ := tokenText("00c881eb-f36c-11e8-996b-00a0986e75a0"); s != "00c881eb-f36c-11e8-996b-00a0986e75a0" {
		t.Errorf("uuid token = %q, want it raw as ONTAP writes it", s)
	}
	if _, ok := tokenText(nil); ok {
		t.Error("nil has no token")
	}
}
