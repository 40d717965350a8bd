package testkit

import (
	"bytes"
	"encoding/json"
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
