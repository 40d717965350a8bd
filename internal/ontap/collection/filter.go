package collection

import (
	"strings"
)

// Filter is one field filter, <field>=<value>, in ONTAP's query syntax:
//
//	a|b      or: matches if any alternative matches
//	!x       not: no value of the field matches x (also !null, !a*)
//	null     the field is absent or null; !null: present and not null
//	a*b      wildcard, '*' matches any run of characters
//	<N >N <=N >=N   comparisons (numeric when both sides are numbers)
//	N..M     inclusive range
//	x        equality (true/false for booleans; numbers compare by value)
//
// Strings compare case-insensitively (ONTAP CLI query convention; the REST
// documentation does not say). A dotted Field reaches into nested objects
// and through arrays: users.name=u1 matches when any element's name is u1.
type Filter struct {
	Field string // dotted path
	Value string // the raw value as given
	terms []term
}

type opKind uint8

const (
	opEq opKind = iota
	opGlob
	opLT
	opLE
	opGT
	opGE
	opRange
	opNull
)

type term struct {
	neg  bool
	op   opKind
	a, b string
}

// NewFilter parses value (never fails: text that is not an operator
// expression is an equality test).
func NewFilter(field, value string) Filter {
	f := Filter{Field: field, Value: value}
	for _, alt := range strings.Split(value, "|") {
		f.terms = append(f.terms, parseTerm(alt))
	}
	return f
}

func parseTerm(s string) term {
	var t term
	if strings.HasPrefix(s, "!") {
		t.neg = true
		s = s[1:]
	}
	switch {
	case strings.EqualFold(s, "null"):
		t.op = opNull
	case strings.HasPrefix(s, "<="):
		t.op, t.a = opLE, s[2:]
	case strings.HasPrefix(s, ">="):
		t.op, t.a = opGE, s[2:]
	case strings.HasPrefix(s, "<"):
		t.op, t.a = opLT, s[1:]
	case strings.HasPrefix(s, ">"):
		t.op, t.a = opGT, s[1:]
	default:
		if i := strings.Index(s, ".."); i > 0 && i+2 < len(s) {
			t.op, t.a, t.b = opRange, s[:i], s[i+2:]
		} else if strings.Contains(s, "*") {
			t.op, t.a = opGlob, strings.ToLower(s)
		} else {
			t.op, t.a = opEq, s
		}
	}
	return t
}

// Match reports whether rec satisfies the filter.
func (f Filter) Match(rec map[string]any) bool {
	vals := collect(rec, f.Field)
	for _, t := range f.terms {
		if t.match(vals) {
			return true
		}
	}
	return false
}

func (t term) match(vals []any) bool {
	var hit bool
	if t.op == opNull {
		hit = true
		for _, v := range vals {
			if v != nil {
				hit = false
				break
			}
		}
	} else {
		for _, v := range vals {
			if v != nil && t.matchOne(v) {
				hit = true
				break
			}
		}
	}
	return hit != t.neg
}

func (t term) matchOne(v any) bool {
	switch t.op {
	case opEq:
		return equalToText(v, t.a)
	case opGlob:
		s, ok := scalarText(v)
		return ok && glob(t.a, strings.ToLower(s))
	case opRange:
		lo, ok1 := compareToText(v, t.a)
		hi, ok2 := compareToText(v, t.b)
		return ok1 && ok2 && lo >= 0 && hi <= 0
	}
	c, ok := compareToText(v, t.a)
	if !ok {
		return false
	}
	switch t.op {
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	case opGE:
		return c >= 0
	}
	return false
}

// glob matches s against pattern p where '*' matches any (possibly empty)
// run of bytes. Both are expected lower-cased by the caller.
func glob(p, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && p[px] == '*':
			star, mark = px, sx
			px++
		case px < len(p) && p[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}
