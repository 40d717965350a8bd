package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// S3 groups and S3 (object-store-server) policies.

func groupsPath(svm string) string   { return "/api/protocols/s3/services/" + svm + "/groups" }
func policiesPath(svm string) string { return "/api/protocols/s3/services/" + svm + "/policies" }

func refs(names ...string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = map[string]any{"name": n}
	}
	return out
}

func TestONTAP_Groups_crud(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	c.mkUser(t, svm.UUID, "u1")
	c.mkUser(t, svm.UUID, "u2")
	r := c.do(t, "POST", groupsPath(svm.UUID)+"?return_records=true", map[string]any{
		"name": "Admin-Group", "comment": "Admin group", "users": refs("u1"), "policies": refs("FullAccess"),
	}).must(t, 201)
	id := r.num("records.0.id")
	if id <= 0 || r.Header.Get("Location") != groupsPath(svm.UUID)+"/"+strconv.FormatInt(id, 10) {
		t.Fatalf("group POST: %v %s", r.Header, r.Raw)
	}
	gp := groupsPath(svm.UUID) + "/" + strconv.FormatInt(id, 10)
	g := c.do(t, "GET", gp, nil).must(t, 200)
	if g.str("name") != "Admin-Group" || g.str("comment") != "Admin group" || g.str("users.0.name") != "u1" ||
		g.str("policies.0.name") != "FullAccess" || g.str("svm.uuid") != svm.UUID || g.str("_links.self.href") != gp {
		t.Fatalf("group GET: %s", g.Raw)
	}
	// Without return_records: {} and the Location.
	r = c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "g2", "users": refs("u2"), "policies": refs("ReadOnlyAccess")}).must(t, 201)
	if len(r.Body) != 0 || !strings.HasPrefix(r.Header.Get("Location"), groupsPath(svm.UUID)+"/") {
		t.Fatalf("POST without return_records: %v %s", r.Header, r.Raw)
	}
	l := c.do(t, "GET", groupsPath(svm.UUID)+"?fields=users&users.name=u2", nil).must(t, 200)
	if strings.Join(l.recordNames(), ",") != "g2" {
		t.Fatalf("filter users.name=u2: %s", l.Raw)
	}
	// PATCH replaces lists.
	c.do(t, "PATCH", gp, map[string]any{"users": refs("u1", "u2"), "comment": "both"}).must(t, 200)
	g = c.do(t, "GET", gp, nil).must(t, 200)
	if len(g.get("users").([]any)) != 2 || g.str("comment") != "both" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	c.do(t, "DELETE", gp, nil).must(t, 200)
	c.do(t, "GET", gp, nil).mustError(t, 404, "4", "id")
	c.do(t, "GET", groupsPath(svm.UUID)+"/not-a-number", nil).mustError(t, 404, "4", "id")
}

func TestONTAP_Groups_errors(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	c.mkUser(t, svm.UUID, "u1")
	p := groupsPath(svm.UUID)
	c.do(t, "POST", p, map[string]any{"name": "g", "users": []any{}, "policies": refs("FullAccess")}).mustError(t, 400, "92406207", "users")
	c.do(t, "POST", p, map[string]any{"name": "g", "users": refs("ghost"), "policies": refs("FullAccess")}).mustError(t, 400, "92405934", "")
	c.do(t, "POST", p, map[string]any{"name": "g", "users": refs("u1"), "policies": refs("NoSuchPolicy")}).mustError(t, 400, "92405937", "")
	c.do(t, "POST", p, map[string]any{"name": "g", "users": refs("u1", "u1"), "policies": refs("FullAccess")}).mustError(t, 400, "262222", "")
	c.do(t, "POST", p, map[string]any{"name": "bad name", "users": refs("u1"), "policies": refs("FullAccess")}).mustError(t, 400, "92405931", "name")
	c.do(t, "POST", p, map[string]any{"name": strings.Repeat("g", 129), "users": refs("u1"), "policies": refs("FullAccess")}).mustError(t, 400, "92405930", "name")
	c.do(t, "POST", p, map[string]any{"name": "g", "users": refs("*"), "policies": refs("FullAccess")}).mustError(t, 400, "92405936", "")
	loc := c.do(t, "POST", p, map[string]any{"name": "g", "users": refs("u1"), "policies": refs("FullAccess")}).must(t, 201).Header.Get("Location")
	c.do(t, "POST", p, map[string]any{"name": "g", "users": refs("u1"), "policies": refs("FullAccess")}).mustError(t, 409, "92405942", "name")
	c.do(t, "PATCH", loc, map[string]any{"users": []any{}}).mustError(t, 400, "92405896", "users")
	c.do(t, "POST", p, map[string]any{"name": "g3", "users": refs("u1"), "policies": refs("FullAccess"), "id": 5}).mustError(t, 400, "262179", "id")
	// A user without keys cannot join: 92406307.
	c.mkUser(t, svm.UUID, "nokeys")
	c.do(t, "PATCH", usersPath(svm.UUID)+"/nokeys?delete_keys=true", nil).must(t, 200)
	c.do(t, "POST", p, map[string]any{"name": "g4", "users": refs("nokeys"), "policies": refs("FullAccess")}).mustError(t, 400, "92406307", "")
	c.do(t, "POST", groupsPath(c.adminSVM(t)), map[string]any{"name": "g", "users": refs("u1"), "policies": refs("FullAccess")}).mustError(t, 400, "92405858", "")
}

func TestONTAP_Policies_crud(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	p := policiesPath(svm.UUID)
	// The three read-only built-ins are listed.
	l := c.do(t, "GET", p+"?read-only=true", nil).must(t, 200)
	if strings.Join(l.recordNames(), ",") != "FullAccess,NoS3Access,ReadOnlyAccess" {
		t.Fatalf("built-ins: %s", l.Raw)
	}
	r := c.do(t, "POST", p+"?return_records=true", map[string]any{
		"name": "Policy1", "comment": "S3 policy.",
		"statements": []any{map[string]any{"effect": "allow", "actions": []any{"*"}, "resources": []any{"bucket1", "bucket1/*"}, "sid": 12}},
	}).must(t, 201)
	if r.Header.Get("Location") != p+"/Policy1" || r.str("records.0.name") != "Policy1" {
		t.Fatalf("POST: %v %s", r.Header, r.Raw)
	}
	g := c.do(t, "GET", p+"/Policy1", nil).must(t, 200)
	if g.get("read-only") != false || g.str("statements.0.effect") != "allow" || g.str("statements.0.resources.1") != "bucket1/*" ||
		g.str("statements.0.sid") != "12" || g.get("statements.0.index") != nil || g.str("comment") != "S3 policy." {
		t.Fatalf("GET: %s", g.Raw)
	}
	c.do(t, "PATCH", p+"/Policy1", map[string]any{"comment": "new", "statements": []any{
		map[string]any{"effect": "deny", "actions": []any{"DeleteObject"}, "resources": []any{"*"}},
		map[string]any{"effect": "allow", "actions": []any{"GetObject"}, "resources": []any{"*"}},
	}}).must(t, 200)
	// The index only when asked for (ONTAP does not retrieve it by default).
	g = c.do(t, "GET", p+"/Policy1?fields=statements,statements.index", nil).must(t, 200)
	if n := len(g.get("statements").([]any)); n != 2 || g.num("statements.1.index") != 1 || g.str("statements.1.effect") != "allow" {
		t.Fatalf("after PATCH: %s", g.Raw)
	}
	b := c.do(t, "GET", p+"/FullAccess", nil).must(t, 200)
	if b.get("read-only") != true {
		t.Fatalf("FullAccess: %s", b.Raw)
	}
	// A policy attached to a group is in use.
	c.mkUser(t, svm.UUID, "u1")
	gl := c.do(t, "POST", groupsPath(svm.UUID), map[string]any{"name": "g", "users": refs("u1"), "policies": refs("Policy1")}).must(t, 201).Header.Get("Location")
	c.do(t, "DELETE", p+"/Policy1", nil).mustError(t, 409, "8", "")
	c.do(t, "DELETE", gl, nil).must(t, 200)
	c.do(t, "DELETE", p+"/Policy1", nil).must(t, 200)
	c.do(t, "GET", p+"/Policy1", nil).mustError(t, 404, "4", "name")
}

func TestONTAP_Policies_errors(t *testing.T) {
	t.Parallel()
	c := ontapAPI(t)
	svm := c.mkSVM(t)
	p := policiesPath(svm.UUID)
	stmt := []any{map[string]any{"effect": "allow", "actions": []any{"GetObject"}, "resources": []any{"*"}}}
	c.do(t, "POST", p, map[string]any{"name": "FullAccess", "statements": stmt}).mustError(t, 400, "92405954", "name")
	c.do(t, "PATCH", p+"/ReadOnlyAccess", map[string]any{"comment": "mine now"}).mustError(t, 400, "92405953", "")
	c.do(t, "DELETE", p+"/NoS3Access", nil).mustError(t, 400, "92405953", "")
	c.do(t, "POST", p, map[string]any{"name": "bad name", "statements": stmt}).mustError(t, 400, "92405949", "name")
	c.do(t, "POST", p, map[string]any{"name": strings.Repeat("p", 129), "statements": stmt}).mustError(t, 400, "92405948", "name")
	c.do(t, "POST", p, map[string]any{"name": "p1", "statements": []any{map[string]any{"effect": "allow", "actions": []any{"Teleport"}, "resources": []any{"*"}}}}).
		mustError(t, 400, "92405906", "statements.actions")
	c.do(t, "POST", p, map[string]any{"name": "p1", "statements": []any{map[string]any{"effect": "sometimes", "actions": []any{"*"}, "resources": []any{"*"}}}}).
		mustError(t, 400, "92405963", "")
	c.do(t, "POST", p, map[string]any{"name": "p1", "statements": []any{map[string]any{"effect": "allow", "actions": []any{"*"}, "resources": []any{"*"}, "principals": []any{"u"}}}}).
		mustError(t, 400, "262179", "statements.principals")
	c.do(t, "POST", p, map[string]any{"name": "p1", "statements": stmt}).must(t, 201)
	c.do(t, "POST", p, map[string]any{"name": "p1", "statements": stmt}).mustError(t, 409, "92405950", "name")
	c.do(t, "POST", policiesPath(c.adminSVM(t)), map[string]any{"name": "p1", "statements": stmt}).mustError(t, 400, "92405858", "")
}
