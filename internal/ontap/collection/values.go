package collection

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// collect returns the values at dotted path in rec, walking through arrays
// at every level (a final array contributes its elements). A missing field
// contributes nothing; an explicit null contributes nil.
func collect(rec map[string]any, path string) []any {
	var out []any
	var walk func(v any, segs []string)
	walk = func(v any, segs []string) {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				walk(e, segs)
			}
			return
		}
		if len(segs) == 0 {
			out = append(out, v)
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		child, ok := m[segs[0]]
		if !ok {
			return
		}
		walk(child, segs[1:])
	}
	walk(rec, strings.Split(path, "."))
	return out
}

// number is a JSON number: exact when it is an integer that fits int64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func toNumber(v any) (number, bool) {
	switch n := v.(type) {
	case int:
		return number{i: int64(n), f: float64(n), isInt: true}, true
	case int32:
		return number{i: int64(n), f: float64(n), isInt: true}, true
	case int64:
		return number{i: n, f: float64(n), isInt: true}, true
	case uint32:
		return number{i: int64(n), f: float64(n), isInt: true}, true
	case uint64:
		if n <= math.MaxInt64 {
			return number{i: int64(n), f: float64(n), isInt: true}, true
		}
		return number{f: float64(n)}, true
	case float32:
		return floatNumber(float64(n)), true
	case float64:
		return floatNumber(n), true
	case json.Number:
		return parseNumber(string(n))
	}
	return number{}, false
}

func floatNumber(f float64) number {
	if f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
		return number{i: int64(f), f: f, isInt: true}
	}
	return number{f: f}
}

// parseNumber parses s as a JSON-style number (decimal, optional fraction
// and exponent). It rejects NaN, Inf and hex forms strconv would accept.
func parseNumber(s string) (number, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return number{}, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			return number{}, false
		}
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{i: i, f: float64(i), isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return number{}, false
	}
	return floatNumber(f), true
}

func (a number) cmp(b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

func (a number) String() string {
	if a.isInt {
		return strconv.FormatInt(a.i, 10)
	}
	return strconv.FormatFloat(a.f, 'g', -1, 64)
}

// scalarText renders a string, bool or number as query text.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	}
	if n, ok := toNumber(v); ok {
		return n.String(), true
	}
	return "", false
}

// equalToText reports whether v equals the query text s: strings
// case-insensitively, numbers by value, booleans as true/false.
func equalToText(v any, s string) bool {
	switch x := v.(type) {
	case string:
		return strings.EqualFold(x, s)
	case bool:
		b, ok := parseBool(s)
		return ok && b == x
	}
	if n, ok := toNumber(v); ok {
		m, ok := parseNumber(s)
		return ok && n.cmp(m) == 0
	}
	return false
}

// compareToText orders v against the query text s, in v's type: numbers
// numerically (false if s is not a number), strings as compareStrings does,
// booleans false < true. Other types do not compare.
func compareToText(v any, s string) (int, bool) {
	switch x := v.(type) {
	case string:
		return compareStrings(x, s), true
	case bool:
		b, ok := parseBool(s)
		if !ok {
			return 0, false
		}
		return compareBools(x, b), true
	}
	if n, ok := toNumber(v); ok {
		m, ok := parseNumber(s)
		if !ok {
			return 0, false
		}
		return n.cmp(m), true
	}
	return 0, false
}

// compareStrings orders case-insensitively, then bytewise so the order is
// total.
func compareStrings(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func compareBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// rank orders values of different types: null < bool < number < string <
// anything else.
func rank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case string:
		return 3
	}
	if _, ok := toNumber(v); ok {
		return 2
	}
	return 4
}

// compareValues is the total order used by order_by and pagination.
func compareValues(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch ra {
	case 0:
		return 0
	case 1:
		return compareBools(a.(bool), b.(bool))
	case 2:
		na, _ := toNumber(a)
		nb, _ := toNumber(b)
		return na.cmp(nb)
	case 3:
		return compareStrings(a.(string), b.(string))
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return strings.Compare(string(ja), string(jb))
}

// sortValue is the value of path used for ordering: the first value found
// (the first element for an array field), or nil.
func sortValue(rec map[string]any, path string) any {
	vals := collect(rec, path)
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

// tokenText renders a sort value for a start.* parameter; ok is false for
// null/absent values (the parameter is then omitted). A string is written
// as is (start.uuid=00c8…, as ONTAP does) unless it reads as JSON ("4",
// "true", "null", `"x"`), in which case it is written JSON-quoted; any other
// value is written as JSON. decodeToken inverts this, so a token keeps its
// type and resumes exactly where the sort put it.
func tokenText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		if !json.Valid([]byte(x)) {
			return x, true
		}
	}
	if n, ok := toNumber(v); ok {
		return n.String(), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// decodeToken reads a start.* value written by tokenText.
func decodeToken(s string) any {
	if !json.Valid([]byte(s)) {
		return s
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	return v
}

// compareToToken orders v against a start.* value; an absent token is null.
func compareToToken(v any, s string, present bool) int {
	if !present {
		return compareValues(v, nil)
	}
	return compareValues(v, decodeToken(s))
}
