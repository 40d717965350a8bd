package e2e

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// ONTAP's collection conventions on real records: fields, max_records with
// _links.next, return_records, order_by, filters and their operators,
// dotted JSON bodies, unknown fields.

func TestONTAP_Collection_conventions(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	p := usersPath(svm.UUID)
	// Nested and dotted bodies are the same.
	for i := 1; i <= 5; i++ {
		body := fmt.Sprintf(`{"name":"user%d","comment":"c%d","svm.uuid":"ignored"}`, i, i)
		if i%2 == 0 {
			body = fmt.Sprintf(`{"name":"user%d","comment":"c%d","svm":{"uuid":"ignored","name":"ignored"}}`, i, i)
		}
		c.do(t, "POST", p, body).must(t, 201)
	}
	all := []string{"root", "user1", "user2", "user3", "user4", "user5"}

	// Default: key fields only (svm and name), each record with its link.
	r := c.do(t, "GET", p, nil).must(t, 200)
	if r.num("num_records") != 6 || r.get("records.0.comment") != nil || r.str("records.1._links.self.href") != p+"/user1" ||
		r.str("records.1.svm.name") != svm.Name || r.str("_links.self.href") == "" {
		t.Fatalf("default fields: %s", r.Raw)
	}
	// fields: a list, a dotted name, * and **.
	r = c.do(t, "GET", p+"?fields=comment,svm.uuid", nil).must(t, 200)
	if r.str("records.1.comment") != "c1" || r.str("records.1.svm.uuid") != svm.UUID || r.get("records.1.access_key") != nil {
		t.Fatalf("fields=comment,svm.uuid: %s", r.Raw)
	}
	for _, f := range []string{"*", "**"} {
		r = c.do(t, "GET", p+"?fields="+url.QueryEscape(f), nil).must(t, 200)
		if r.str("records.1.comment") != "c1" || r.str("records.1.access_key") == "" || r.get("records.1.keys.0.id") == nil {
			t.Fatalf("fields=%s: %s", f, r.Raw)
		}
	}
	c.do(t, "GET", p+"?fields=nonsense", nil).mustError(t, 400, "262197", "fields")

	// max_records and _links.next, followed to the end.
	var got []string
	next := p + "?max_records=2&fields=name"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatalf("too many pages")
		}
		r = c.do(t, "GET", next, nil).must(t, 200)
		if n := len(r.records()); n == 0 || n > 2 || r.num("num_records") != int64(n) {
			t.Fatalf("page %d: %s", pages, r.Raw)
		}
		got = append(got, r.recordNames()...)
		next = r.str("_links.next.href")
		if next != "" && !strings.HasPrefix(next, p+"?") {
			t.Fatalf("next href %q", next)
		}
	}
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("paged names %v, want %v", got, all)
	}

	// return_records=false: the count only.
	r = c.do(t, "GET", p+"?return_records=false", nil).must(t, 200)
	if r.num("num_records") != 6 || r.get("records") != nil {
		t.Fatalf("return_records=false: %s", r.Raw)
	}

	// order_by.
	r = c.do(t, "GET", p+"?order_by="+url.QueryEscape("name desc"), nil).must(t, 200)
	want := append([]string(nil), all...)
	sort.Sort(sort.Reverse(sort.StringSlice(want)))
	if strings.Join(r.recordNames(), ",") != strings.Join(want, ",") {
		t.Fatalf("order_by name desc: %v", r.recordNames())
	}
	r = c.do(t, "GET", p+"?order_by=comment&comment=c*&fields=comment", nil).must(t, 200)
	if strings.Join(r.recordNames(), ",") != "user1,user2,user3,user4,user5" {
		t.Fatalf("order_by comment: %v", r.recordNames())
	}

	// Filters: wildcard, not, or, comparisons, dotted fields, arrays.
	for _, tc := range []struct{ query, want string }{
		{"name=user*", "user1,user2,user3,user4,user5"},
		{"name=!user*", "root"},
		{"name=user1|user3", "user1,user3"},
		{"name=!user1&name=!root", "user2,user3,user4,user5"},
		{"comment=<c3", "root,user1,user2"}, // root's comment is ""
		{"comment=>c3", "user4,user5"},
		{"comment=>=c4", "user4,user5"},
		{"svm.name=" + svm.Name + "&name=user5", "user5"},
		{"svm.name=nope", ""},
		{"keys.id=1&name=root", "root"},
		{"comment=C2", "user2"},
	} {
		r = c.do(t, "GET", p+"?"+tc.query, nil).must(t, 200)
		if got := strings.Join(r.recordNames(), ","); got != tc.want {
			t.Fatalf("?%s: got %q, want %q (%s)", tc.query, got, tc.want, r.Raw)
		}
		if r.get("records") == nil {
			t.Fatalf("?%s: no records array: %s", tc.query, r.Raw)
		}
	}
	// Filters on unknown fields and unknown body fields: 262179.
	c.do(t, "GET", p+"?color=red", nil).mustError(t, 400, "262179", "color")
	c.do(t, "POST", p, `{"name":"x","color":"red"}`).mustError(t, 400, "262179", "color")
	c.do(t, "POST", p, `{"name":"x","svm":{"uuid":"u"},"svm.uuid":"v"}`).mustError(t, 400, "2", "")
	c.do(t, "POST", p, `{"name":"x"`).mustError(t, 400, "2", "")
	c.do(t, "GET", p+"?max_records=zero", nil).mustError(t, 400, "262197", "max_records")
	c.do(t, "GET", p+"?order_by="+url.QueryEscape("name sideways"), nil).mustError(t, 400, "262197", "order_by")
}

func TestONTAP_Collection_bucketsAcrossSVMs(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	a, b := c.mkSVM(t), c.mkSVM(t)
	name := "same-" + randHex(8)
	c.mkBucket(t, a.UUID, name, map[string]any{"comment": "in a"})
	c.mkBucket(t, b.UUID, name, map[string]any{"comment": "in b", "size": 400000000})
	r := c.do(t, "GET", "/api/protocols/s3/buckets?name="+name+"&fields=comment,size,svm.name&order_by=comment+desc", nil).must(t, 200)
	if r.num("num_records") != 2 || r.str("records.0.comment") != "in b" || r.str("records.0.svm.name") != b.Name ||
		r.str("records.1.svm.name") != a.Name {
		t.Fatalf("cluster-wide by name: %s", r.Raw)
	}
	r = c.do(t, "GET", "/api/protocols/s3/buckets?name="+name+"&size=<500000000", nil).must(t, 200)
	if r.num("num_records") != 1 || r.str("records.0.svm.uuid") != b.UUID {
		t.Fatalf("size filter (a has the 800 GiB default): %s", r.Raw)
	}
}
