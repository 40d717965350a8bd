package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
