package kmsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/kms"
	"coffer/internal/kv/pebble"
)

// admins accepts one fixed account (the core's real check is tested in core).
type admins struct{}

func (admins) VerifyAdmin(_ context.Context, name, pw string) (core.Admin, error) {
	if name == "admin" && pw == "correct horse" {
		return core.Admin{Name: name}, nil
	}
	return core.Admin{}, errs.New(errs.Unauthenticated, "bad credentials")
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newServerLogging(t, slog.New(slog.DiscardHandler))
}

func newServerLogging(t *testing.T, log *slog.Logger) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	st, err := pebble.Open(pebble.Options{Dir: filepath.Join(dir, "meta")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	quiet := slog.New(slog.DiscardHandler)
	k, _, err := kms.Open(context.Background(), kms.Options{KV: st, MasterKeyFile: filepath.Join(dir, "m.key"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Keys: k, Admins: admins{}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, auth bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if auth {
		req.SetBasicAuth("admin", "correct horse")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
	}
	return resp.StatusCode, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestKeysLifecycle(t *testing.T) {
	srv := newServer(t)
	st, m := call(t, srv, "POST", "/api/coffer/kms/keys", `{"alias":"backups","description":"nightly"}`, true)
	if st != 201 || m["alias"] != "backups" || m["state"] != "enabled" || m["current_version"] != 1.0 {
		t.Fatalf("create: %d %v", st, m)
	}
	id := m["id"].(string)
	if m["arn"] != "arn:aws:kms:us-east-1:000000000000:key/"+id {
		t.Fatalf("arn = %v", m["arn"])
	}
	st, m = call(t, srv, "GET", "/api/coffer/kms/keys", "", true)
	if st != 200 || m["num_records"] != 2.0 {
		t.Fatalf("list: %d %v", st, m)
	}
	recs := m["records"].([]any)
	if recs[0].(map[string]any)["id"] != kms.DefaultKeyID || recs[1].(map[string]any)["id"] != id {
		t.Fatalf("list order: %v", recs)
	}
	for _, ref := range []string{id, "backups", "alias%2Fbackups"} {
		if st, m = call(t, srv, "GET", "/api/coffer/kms/keys/"+ref, "", true); st != 200 || m["id"] != id {
			t.Fatalf("get %s: %d %v", ref, st, m)
		}
	}
	st, m = call(t, srv, "POST", "/api/coffer/kms/keys/"+id+"/rotate", "", true)
	if st != 200 || m["current_version"] != 2.0 || len(m["versions"].([]any)) != 2 {
		t.Fatalf("rotate: %d %v", st, m)
	}
	st, m = call(t, srv, "PATCH", "/api/coffer/kms/keys/backups", `{"enabled":false}`, true)
	if st != 200 || m["state"] != "disabled" {
		t.Fatalf("disable: %d %v", st, m)
	}
	if st, m = call(t, srv, "POST", "/api/coffer/kms/keys/"+id+"/rotate", "", true); st != 404 || errCode(m) != "4" {
		t.Fatalf("rotate disabled: %d %v", st, m)
	}
	if st, m = call(t, srv, "PATCH", "/api/coffer/kms/keys/"+id, `{"enabled":true}`, true); st != 200 || m["state"] != "enabled" {
		t.Fatalf("enable: %d %v", st, m)
	}
}

func TestErrors(t *testing.T) {
	srv := newServer(t)
	call(t, srv, "POST", "/api/coffer/kms/keys", `{"alias":"dup"}`, true)
	for _, tc := range []struct {
		method, path, body string
		auth               bool
		status             int
		code               string
	}{
		{"GET", "/api/coffer/kms/keys", "", false, 401, "6"},
		{"GET", "/api/coffer/kms/nothing", "", false, 401, "6"},
		{"POST", "/api/coffer/kms/keys", `{"alias":"x"}`, false, 401, "6"},
		{"GET", "/api/coffer/kms/keys/nope", "", true, 404, "4"},
		{"GET", "/api/coffer/kms/keys/00000000-0000-4000-8000-000000000000", "", true, 404, "4"},
		{"GET", "/api/coffer/kms/nothing", "", true, 404, "4"},
		{"DELETE", "/api/coffer/kms/keys", "", true, 404, "4"},
		{"POST", "/api/coffer/kms/keys", `{"alias":"dup"}`, true, 409, "1"},
		{"POST", "/api/coffer/kms/keys", `{"alias":"aws/x"}`, true, 400, "2"},
		{"POST", "/api/coffer/kms/keys", `{"name":"x"}`, true, 400, "2"},
		{"POST", "/api/coffer/kms/keys", `{"alias":`, true, 400, "2"},
		{"POST", "/api/coffer/kms/keys", `{} {}`, true, 400, "2"},
		{"POST", "/api/coffer/kms/keys", `{"description":"` + strings.Repeat("d", 9000) + `"}`, true, 400, "2"},
		{"PATCH", "/api/coffer/kms/keys/dup", `{}`, true, 400, "2"},
		{"PATCH", "/api/coffer/kms/keys/coffer-default", `{"enabled":false}`, true, 400, "2"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		if tc.auth {
			req.SetBasicAuth("admin", "correct horse")
		} else if tc.path == "/api/coffer/kms/nothing" {
			req.SetBasicAuth("admin", "wrong")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != tc.status || errCode(m) != tc.code {
			t.Errorf("%s %s %s: %d %v, want %d code %s", tc.method, tc.path, tc.body[:min(len(tc.body), 30)], resp.StatusCode, m, tc.status, tc.code)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", tc.method, tc.path)
		}
	}
}

func FuzzDecodeBody(f *testing.F) {
	f.Add(`{"alias":"a","description":"d"}`)
	f.Add(`{"enabled":true}`)
	f.Add(``)
	f.Add(`{"alias":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var c createRequest
		if err := decodeBody(r, &c); err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("decodeBody error %T is not an apiError", err)
			}
		}
		r = httptest.NewRequest("PATCH", "/", strings.NewReader(body))
		var p patchRequest
		_ = decodeBody(r, &p)
	})
}

func TestChangesAreLogged(t *testing.T) {
	var buf bytes.Buffer
	srv := newServerLogging(t, slog.New(slog.NewJSONHandler(&buf, nil)))
	call(t, srv, "GET", "/api/coffer/kms/keys", "", true)
	if buf.Len() != 0 {
		t.Fatalf("a read was logged: %s", buf.String())
	}
	call(t, srv, "POST", "/api/coffer/kms/keys/coffer-default/rotate", "", true)
	line := buf.String()
	if !strings.Contains(line, `"admin":"admin"`) || !strings.Contains(line, "/rotate") || !strings.Contains(line, `"status":200`) {
		t.Fatalf("rotation log: %s", line)
	}
}
