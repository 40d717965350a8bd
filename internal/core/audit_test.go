package core

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"name":"u1","secret_key":"S3CR3T","access_key":"AK"}`, `{"access_key":"AK","name":"u1","secret_key":"********"}`},
		{`{"records":[{"keys":[{"secretAccessKey":"x","accessKeyID":"AK"}]}]}`,
			`{"records":[{"keys":[{"accessKeyID":"AK","secretAccessKey":"********"}]}]}`},
		{`{"password":"cGFzcw==","newPassword":"p","Authtoken":"QSDK 1","refresh_token":"r","token":""}`,
			`{"Authtoken":"********","newPassword":"********","password":"********","refresh_token":"********","token":""}`},
		{`[{"users":[{"name":"a","SECRET":"b"}]}]`, `[{"users":[{"SECRET":"********","name":"a"}]}]`},
		{`{"size":12345678901234567890}`, `{"size":12345678901234567890}`},
		{`not json secret_key=abc`, `"(23 bytes, not JSON)"`},
		{``, ``},
	} {
		if got := string(Redact([]byte(c.in))); got != c.want {
			t.Errorf("Redact(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestAudit_appendListPrune(t *testing.T) {
	e := vtNew(t)
	e.s.opts.AuditMaxRecords = 100
	for i := range 130 {
		_, err := e.s.AppendAudit(vtCtx, AuditRecord{Application: "ontap", User: "admin", Location: "10.0.0.1",
			Input:  fmt.Sprintf(`POST /api/x%d : {"secret_key":"leak"}`, i), // callers redact input; AppendAudit bounds it
			Before: json.RawMessage(`{"name":"old","password":"pw"}`), After: json.RawMessage(`{"name":"new","secret_key":"sk"}`),
			State: "success", Scope: "cluster", Status: 201})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := vtMust(e.s.ListAudit(vtCtx, AuditQuery{}))
	// At most 100 kept, the newest ones.
	if len(all) != 100 || all[len(all)-1].Index != 130 {
		t.Fatalf("%d records kept, last %d", len(all), all[len(all)-1].Index)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Index != all[i-1].Index+1 {
			t.Fatalf("indexes not consecutive: %d then %d", all[i-1].Index, all[i].Index)
		}
	}
	last := all[len(all)-1]
	if strings.Contains(string(last.Before)+string(last.After), "pw") || strings.Contains(string(last.After), `"sk"`) {
		t.Fatalf("secrets stored: before %s after %s", last.Before, last.After)
	}
	if last.Time.IsZero() || last.User != "admin" || last.Schema != auditSchema {
		t.Fatalf("record %+v", last)
	}
	page := vtMust(e.s.ListAudit(vtCtx, AuditQuery{After: 120, Limit: 5}))
	if len(page) != 5 || page[0].Index != 121 {
		t.Fatalf("page %+v", page)
	}
	newest := vtMust(e.s.ListAudit(vtCtx, AuditQuery{Newest: 3}))
	if len(newest) != 3 || newest[0].Index != 128 {
		t.Fatalf("newest %d records from %d", len(newest), newest[0].Index)
	}
	// Old records go after the retention.
	e.s.opts.AuditRetention = time.Hour
	e.clock.Advance(2 * time.Hour)
	for range 64 {
		vtMust(e.s.AppendAudit(vtCtx, AuditRecord{Application: "commvault", Input: "DELETE /x", State: "success"}))
	}
	for _, r := range vtMust(e.s.ListAudit(vtCtx, AuditQuery{})) {
		if r.Application == "ontap" {
			t.Fatalf("record %d outlived the retention", r.Index)
		}
	}
}

// A large input is cut; a large before/after document is replaced.
func TestAudit_bounds(t *testing.T) {
	e := vtNew(t)
	big := `{"v":"` + strings.Repeat("x", 40<<10) + `"}`
	r := vtMust(e.s.AppendAudit(vtCtx, AuditRecord{Input: "POST /x : " + big, After: json.RawMessage(big), State: "success"}))
	if len(r.Input) > maxAuditInput+64 || len(r.After) > 200 {
		t.Fatalf("input %d bytes, after %d bytes", len(r.Input), len(r.After))
	}
}

// Redact never fails, answers JSON, and never lets a secret member's
// string value through.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{`{"password":"hunter2-long"}`, `[{"a":{"secret_key":"abc"}}]`, `"x"`, `{`, `{"token":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out := Redact(doc)
		if out != nil && !json.Valid(out) {
			t.Fatalf("Redact(%q) = %q: not JSON", doc, out)
		}
		var m map[string]any
		if json.Unmarshal(doc, &m) != nil {
			return
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("Redact(%q) = %q: %v", doc, out, err)
		}
		for k, v := range got {
			if s, ok := v.(string); ok && secretName(k) && s != "" && s != redacted {
				t.Fatalf("secret %q kept: %q", k, s)
			}
		}
	})
}
