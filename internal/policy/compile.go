package policy

import (
	"strings"

	"coffer/internal/errs"
)

// compiled is the precompiled form of a Document, built once by Compile
// (ParseAWS, FromONTAP, BuiltIn) and shared by every copy of the Document.
type compiled struct {
	stmts []cstmt
	// first and n identify the Statements slice this was compiled from, so
	// Evaluate can tell when a Document's Statements were replaced.
	first *Statement
	n     int
}

// cstmt is a precompiled Statement.
type cstmt struct {
	deny      bool
	princ     cprinc
	actions   []pattern
	resources []pattern
	conds     []ccond
}

// cprinc is a precompiled principal list.
type cprinc struct {
	anyone bool     // "*"
	authed bool     // nil list: every authenticated user
	root   bool     // "root" (also matched by Request.Root)
	users  []string // bare user names
	groups []string // "group/<g>" as g
	nas    []string // "nasgroup/<g>" verbatim, matched against Request.Groups
	canon  []string // "canonical/<id>" as id, matched against Request.CanonicalID
}

func malformed(field, format string, args ...any) *errs.Error {
	return errs.Field(errs.MalformedPolicy, field, format, args...)
}

func errMalformed(msg string) *errs.Error { return malformed("", "%s", msg) }

func compile(d *Document) (*compiled, error) {
	switch d.Version {
	case "", Version2012, Version2008:
	default:
		return nil, malformed("Version", "The policy must contain a valid version string")
	}
	vars := d.Version == Version2012
	c := &compiled{stmts: make([]cstmt, 0, len(d.Statements)), n: len(d.Statements)}
	if len(d.Statements) > 0 {
		c.first = &d.Statements[0]
	}
	for i := range d.Statements {
		cs, err := compileStatement(&d.Statements[i], vars)
		if err != nil {
			return nil, err
		}
		c.stmts = append(c.stmts, cs)
	}
	return c, nil
}

// compileLenient compiles what it can, dropping invalid statements; Evaluate
// uses it for Documents that were never compiled.
func compileLenient(d *Document) *compiled {
	vars := d.Version == Version2012
	c := &compiled{n: len(d.Statements)}
	if len(d.Statements) > 0 {
		c.first = &d.Statements[0]
	}
	for i := range d.Statements {
		if cs, err := compileStatement(&d.Statements[i], vars); err == nil {
			c.stmts = append(c.stmts, cs)
		}
	}
	return c
}

func compileStatement(s *Statement, vars bool) (cstmt, error) {
	var cs cstmt
	switch s.Effect {
	case EffectAllow:
	case EffectDeny:
		cs.deny = true
	case "":
		return cs, malformed("Effect", "Missing required field Effect")
	default:
		return cs, malformed("Effect", "Invalid effect: %s", s.Effect)
	}
	p, err := compilePrincipals(s.Principals)
	if err != nil {
		return cs, err
	}
	cs.princ = p
	if len(s.Actions) == 0 {
		return cs, malformed("Action", "Missing required field Action")
	}
	for _, a := range s.Actions {
		if !validAction(a) {
			return cs, malformed("Action", "Policy has invalid action")
		}
		if strings.EqualFold(a, "s3:ListMyBuckets") {
			a = "s3:ListAllMyBuckets"
		}
		cs.actions = append(cs.actions, newPattern(a, true))
	}
	if len(s.Resources) == 0 {
		return cs, malformed("Resource", "Missing required field Resource")
	}
	for _, r := range s.Resources {
		if !validResource(r) {
			return cs, malformed("Resource", "Policy has invalid resource")
		}
		cs.resources = append(cs.resources, newVarPattern(r, false, vars))
	}
	seen := make(map[[2]string]bool, len(s.Conditions))
	for i := range s.Conditions {
		cc, err := compileCondition(&s.Conditions[i], vars)
		if err != nil {
			return cs, err
		}
		k := [2]string{s.Conditions[i].Operator, strings.ToLower(s.Conditions[i].Key)}
		if seen[k] {
			return cs, malformed("Condition", "Duplicate condition %s on key %s", k[0], s.Conditions[i].Key)
		}
		seen[k] = true
		cs.conds = append(cs.conds, cc)
	}
	return cs, nil
}

// validAction accepts "*" and "s3:<name>" where name is a known action or
// a pattern of letters, '*' and '?'.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	if len(a) < 4 || !strings.EqualFold(a[:3], "s3:") {
		return false
	}
	name := a[3:]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '*' || c == '?') {
			return false
		}
	}
	if hasWildcard(name) {
		return true
	}
	_, ok := findAction(a)
	return ok
}

// validResource accepts "*" and "arn:aws:s3:::<something>".
func validResource(r string) bool {
	if r == "*" {
		return true
	}
	return len(r) > len(arnPrefix) && strings.HasPrefix(r, arnPrefix)
}

func compilePrincipals(ps []string) (cprinc, error) {
	var p cprinc
	if len(ps) == 0 {
		p.authed = true
		return p, nil
	}
	for _, s := range ps {
		switch kind, name := splitPrincipal(s); kind {
		case "*":
			p.anyone = true
		case "user":
			if name == "root" {
				p.root = true
			}
			p.users = append(p.users, name)
		case "group":
			p.groups = append(p.groups, name)
		case "nasgroup":
			p.nas = append(p.nas, s)
		case "canonical":
			p.canon = append(p.canon, name)
		default:
			return p, malformed("Principal", "Invalid principal in policy")
		}
	}
	return p, nil
}

// splitPrincipal classifies a canonical principal: "*", ("user", name),
// ("group", name), ("nasgroup", name), ("canonical", id), or ("", "") when
// invalid.
func splitPrincipal(s string) (kind, name string) {
	switch {
	case s == "*":
		return "*", ""
	case strings.HasPrefix(s, "group/"):
		if n := s[len("group/"):]; validName(n, 128) {
			return "group", n
		}
	case strings.HasPrefix(s, canonicalPrefix):
		if n := s[len(canonicalPrefix):]; isCanonicalID(n) {
			return "canonical", n
		}
	case strings.HasPrefix(s, "nasgroup/"):
		if n := s[len("nasgroup/"):]; n != "" && !strings.ContainsAny(n, "/ \t\r\n*?") {
			return "nasgroup", n
		}
	case validName(s, 64):
		return "user", s
	}
	return "", ""
}

// validName checks the ONTAP user/group name rule: 1..max characters of
// [0-9A-Za-z_+=,.@-].
func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

func (p *cprinc) match(req *Request) bool {
	if p.anyone {
		return true
	}
	if p.authed {
		return req.User != "" || req.Root
	}
	if p.root && req.Root {
		return true
	}
	if req.CanonicalID != "" {
		for _, c := range p.canon {
			if c == req.CanonicalID {
				return true
			}
		}
	}
	if req.User != "" {
		for _, u := range p.users {
			if u == req.User {
				return true
			}
		}
	}
	for _, g := range req.Groups {
		for _, pg := range p.groups {
			if pg == g {
				return true
			}
		}
		for _, pg := range p.nas {
			if pg == g {
				return true
			}
		}
	}
	return false
}

func checkBucket(d Document, bucket string) error {
	for _, s := range d.Statements {
		for _, r := range s.Resources {
			if r == "*" {
				continue
			}
			rest, ok := strings.CutPrefix(r, arnPrefix)
			if !ok {
				return malformed("Resource", "Policy has invalid resource")
			}
			b, _, _ := strings.Cut(rest, "/")
			if !globMatch(b, bucket, false) {
				return malformed("Resource", "Policy has invalid resource")
			}
		}
	}
	return nil
}
