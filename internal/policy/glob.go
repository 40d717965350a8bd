package policy

import (
	"strings"
	"unicode/utf8"
)

// patKind selects the matching strategy of a precompiled pattern.
type patKind uint8

const (
	patAny    patKind = iota // "*"
	patExact                 // no wildcard
	patPrefix                // a single trailing "*"
	patGlob                  // anything else
	patVar                   // contains policy variables ("${aws:username}")
)

// pattern is a precompiled IAM wildcard pattern: '*' matches any run of
// characters (including '/'), '?' exactly one character.
type pattern struct {
	kind patKind
	s    string // the pattern; without the trailing '*' for patPrefix
	fold bool   // ASCII case-insensitive (actions)
}

func newPattern(p string, fold bool) pattern {
	switch i := strings.IndexAny(p, "*?"); {
	case p == "*":
		return pattern{kind: patAny}
	case i < 0:
		return pattern{kind: patExact, s: p, fold: fold}
	case i == len(p)-1 && p[i] == '*':
		return pattern{kind: patPrefix, s: p[:i], fold: fold}
	}
	return pattern{kind: patGlob, s: p, fold: fold}
}

// newVarPattern is newPattern that recognises policy variables when vars
// is set (policy version 2012-10-17).
func newVarPattern(p string, fold, vars bool) pattern {
	if vars && strings.Contains(p, "${") {
		return pattern{kind: patVar, s: p, fold: fold}
	}
	return newPattern(p, fold)
}

// matchReq is match with policy variables expanded from req.
func (p *pattern) matchReq(req *Request, s string) bool {
	if p.kind != patVar {
		return p.match(s)
	}
	pat, ok := expandVars(p.s, req, true)
	return ok && globMatch(pat, s, p.fold)
}

func (p *pattern) match(s string) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		if p.fold {
			return strings.EqualFold(p.s, s)
		}
		return p.s == s
	case patPrefix:
		if len(s) < len(p.s) {
			return false
		}
		if p.fold {
			return strings.EqualFold(p.s, s[:len(p.s)])
		}
		return s[:len(p.s)] == p.s
	case patVar:
		return false // needs a request; see matchReq
	}
	return globMatch(p.s, s, p.fold)
}

// globMatch reports whether s matches pattern pat. It backtracks only to
// the last '*', so it runs in O(len(pat)*len(s)) at worst.
func globMatch(pat, s string, fold bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(s) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[sx:])
				px++
				sx += n
				continue
			default:
				if c == s[sx] || fold && lower(c) == lower(s[sx]) {
					px++
					sx++
					continue
				}
			}
		}
		if starPx < 0 {
			return false
		}
		// Let the last '*' absorb one more character (starSx <= sx < len(s)).
		_, n := utf8.DecodeRuneInString(s[starSx:])
		starSx += n
		px, sx = starPx+1, starSx
	}
	for px < len(pat) && pat[px] == '*' {
		px++
	}
	return px == len(pat)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }
