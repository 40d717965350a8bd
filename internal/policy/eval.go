package policy

func evaluate(req *Request, docs []Document) Decision {
	resource := ""
	allowed := false
	for i := range docs {
		c := docs[i].compiledForEval()
		for j := range c.stmts {
			s := &c.stmts[j]
			if allowed && !s.deny {
				continue // only a Deny can change the outcome now
			}
			if !s.matchAction(req.Action) {
				continue
			}
			if resource == "" {
				resource = resourceFor(req.Action, req.Bucket, req.Key)
			}
			if !s.matchResource(req, resource) || !s.princ.match(req) || !s.condsHold(req) {
				continue
			}
			if s.deny {
				return Deny
			}
			allowed = true
		}
	}
	if allowed {
		return Allow
	}
	return NoMatch
}

// compiledForEval returns d's precompiled form, compiling (leniently) when
// d was never compiled or its Statements were replaced since.
func (d *Document) compiledForEval() *compiled {
	c := d.c
	if c != nil && c.n == len(d.Statements) && (c.n == 0 || c.first == &d.Statements[0]) {
		return c
	}
	return compileLenient(d)
}

func (s *cstmt) matchAction(action string) bool {
	for i := range s.actions {
		if s.actions[i].match(action) {
			return true
		}
	}
	return false
}

func (s *cstmt) matchResource(req *Request, resource string) bool {
	for i := range s.resources {
		if s.resources[i].matchReq(req, resource) {
			return true
		}
	}
	return false
}

func (s *cstmt) condsHold(req *Request) bool {
	for i := range s.conds {
		if !s.conds[i].holds(req) {
			return false
		}
	}
	return true
}
