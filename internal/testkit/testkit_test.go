package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	var body map[string]any
	if err := json.Unmarshal([]byte(`{"records":[{"name":"a","n":[1,2]}],"x":{"y":"z"}}`), &body); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want any
	}{
		{"records.0.name", "a"},
		{"records.0.n.1", 2.0},
		{"x.y", "z"},
		{"records.1.name", nil}, // past the end
		{"records.-1", nil},
		{"records.first", nil}, // not an index
		{"x.y.z", nil},         // below a string
		{"missing", nil},
	} {
		if got := Lookup(body, c.path); got != c.want {
			t.Errorf("Lookup(%q) = %v, want %v", c.path, got, c.want)
		}
	}
	if got, ok := Lookup(body, "").(map[string]any); !ok || len(got) != 2 {
		t.Errorf("Lookup(\"\") = %v, want the whole body", got)
	}
}

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClock(start)
	c.Advance(90 * time.Minute)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
}

func TestSend_decodesJSONAndBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", string(in))
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":12345678901234567,"name":"n"}`)
	}))
	defer srv.Close()
	req, err := http.NewRequest("POST", srv.URL+"/p", JSONBody(t, map[string]any{"a": 1}))
	if err != nil {
		t.Fatal(err)
	}
	r := Send(t, nil, "/p", req)
	if r.Status != 201 || r.Method != "POST" || r.Path != "/p" || r.Header.Get("X-Echo") != `{"a":1}` {
		t.Fatalf("reply %+v", r)
	}
	if n, ok := r.Body["id"].(json.Number); !ok || n.String() != "12345678901234567" {
		t.Fatalf("id %#v: want the exact json.Number", r.Body["id"])
	}
	if JSONBody(t, nil) != nil {
		t.Fatal("JSONBody(nil) is not empty")
	}
}

// Must passes a wanted status and fails the test otherwise (checked on a
// recorder, so the failure itself is what is asserted).
func TestReplyMust(t *testing.T) {
	r := Reply{Method: "GET", Path: "/x", Status: 404, Raw: "{}"}
	ok := &recorder{TB: t}
	r.Must(ok, 200, 404)
	if ok.failed {
		t.Fatal("Must failed on a wanted status")
	}
	bad := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		r.Must(bad, 200)
	}()
	if !bad.failed {
		t.Fatal("Must passed on an unwanted status")
	}
}

// recorder is a testing.TB whose Fatalf records the failure and stops the
// caller (as Fatalf does) without failing the enclosing test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	panic("fatal")
}

func TestReplyAccessorsAndCommvaultError(t *testing.T) {
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"errorCode":2,"errorMessage":"bad","n":"7","l":[1],"o":{"a":true}}`))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	r := Reply{Method: "POST", Path: "/x", Status: 400, Body: body}
	if r.Text("errorCode") != "2" || r.Int("n") != 7 || r.Int("errorMessage") != 0 || len(r.List("l")) != 1 ||
		r.List("o") != nil || r.Text("o.a") != "true" || r.Text("missing") != "" {
		t.Fatalf("accessors: %q %d %d %v %v %q", r.Text("errorCode"), r.Int("n"), r.Int("errorMessage"), r.List("l"), r.List("o"), r.Text("o.a"))
	}
	for _, c := range []struct {
		status int
		code   any
		body   map[string]any
		fail   bool
	}{
		{400, 2, body, false},
		{400, "2", body, false},
		{400, 3, body, true},
		{404, 2, body, true},
		{400, 2, map[string]any{"errorCode": json.Number("2")}, true},                      // no message
		{400, 2, map[string]any{"errorCode": json.Number("2"), "errorMessage": 5.0}, true}, // not a string
	} {
		rec := &recorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			Reply{Status: 400, Body: c.body}.MustCommvaultError(rec, c.status, c.code)
		}()
		if rec.failed != c.fail {
			t.Errorf("MustCommvaultError(%d, %v) on %v: failed %v, want %v", c.status, c.code, c.body, rec.failed, c.fail)
		}
	}
}
