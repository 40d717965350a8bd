package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// JSONBody is a request body: nil is none, a string or []byte is sent as
// is (to test malformed input), any other value is JSON-encoded.
func JSONBody(t testing.TB, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encode body: %v", err)
	}
	return bytes.NewReader(data)
}

// Reply is a response of a JSON API, read and decoded (numbers as
// json.Number, so ids and sizes compare exactly).
type Reply struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         map[string]any // nil when the body is empty
	Raw          string
}

// Send sends req with hc (nil: http.DefaultClient) and reads the reply;
// path names the request in failure messages. It fails the test when the
// request fails or a non-empty body is not a JSON object.
func Send(t testing.TB, hc *http.Client, path string, req *http.Request) Reply {
	t.Helper()
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, path, err)
	}
	r := Reply{Method: req.Method, Path: path, Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.Body); err != nil {
			t.Fatalf("%s %s: HTTP %d, body is not a JSON object: %v\n%s", req.Method, path, resp.StatusCode, err, raw)
		}
	}
	return r
}

// Lookup returns the value at a dotted path of v; numeric segments index
// arrays ("records.0.name"). It returns nil where the path leads nowhere,
// and v itself for the empty path.
func Lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// Must fails the test unless the reply's status is one of want.
func (r Reply) Must(t testing.TB, want ...int) {
	t.Helper()
	for _, w := range want {
		if r.Status == w {
			return
		}
	}
	t.Fatalf("%s %s: HTTP %d, want %v; body:\n%s", r.Method, r.Path, r.Status, want, r.Raw)
}

// Text returns the value at a dotted path as text: a string as is, a
// number as written, "" for nothing, anything else as fmt prints it.
func (r Reply) Text(path string) string {
	switch v := Lookup(r.Body, path).(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// Int returns the value at a dotted path as an integer (0 when it is not
// one).
func (r Reply) Int(path string) int64 {
	n, _ := strconv.ParseInt(r.Text(path), 10, 64)
	return n
}

// List returns the array at a dotted path (nil when it is not one).
func (r Reply) List(path string) []any {
	l, _ := Lookup(r.Body, path).([]any)
	return l
}

// MustCommvaultError fails the test unless r is a Commvault error with
// the status, errorCode code (an int, or the enum name for 404 and 500, as
// printed) and a non-empty errorMessage string: the dialect's error
// contract.
func (r Reply) MustCommvaultError(t testing.TB, status int, code any) {
	t.Helper()
	r.Must(t, status)
	if got := r.Text("errorCode"); got != fmt.Sprint(code) {
		t.Fatalf("%s %s: errorCode %q, want %v; body:\n%s", r.Method, r.Path, got, code, r.Raw)
	}
	if msg, _ := r.Body["errorMessage"].(string); msg == "" {
		t.Fatalf("%s %s: no errorMessage; body:\n%s", r.Method, r.Path, r.Raw)
	}
}
