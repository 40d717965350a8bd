package collection

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Reserved query parameter names common to every ONTAP collection.
const (
	ParamFields        = "fields"
	ParamMaxRecords    = "max_records"
	ParamReturnRecords = "return_records"
	ParamReturnTimeout = "return_timeout"
	ParamOrderBy       = "order_by"
	// StartPrefix prefixes the continuation parameters of a _links.next
	// href: start.<key field>=<value of the first record of the next page>,
	// as ONTAP does (start.uuid=…).
	StartPrefix = "start."
)

// MaxReturnTimeout is the largest return_timeout ONTAP accepts (seconds).
const MaxReturnTimeout = 120

// DefaultReturnTimeout is ONTAP's return_timeout for a collection GET.
const DefaultReturnTimeout = 15

// Schema describes one collection. The endpoint sets it on the Query after
// ParseQuery (q.Schema = usersSchema); Apply, Single and Check read it.
type Schema struct {
	// Key is the collection's unique key as dotted paths, e.g.
	// {"svm.uuid", "name"} or {"uuid"}. Records are ordered by Key when the
	// client gives no order_by (and after its order_by fields), and a next
	// link continues with start.<key>=…. With no Key, input order is kept
	// and the next link carries start.offset (not robust to concurrent
	// inserts or deletes).
	Key []string
	// Keep lists the fields every returned record carries whatever fields=
	// asks for: ONTAP always returns a record's identity (e.g. "svm",
	// "name" for S3 users; "uuid", "name" for buckets).
	Keep []string
	// Expensive lists fields returned only with fields=** or when named
	// explicitly (bucket policy conditions, statistics.*, metric.*).
	Expensive []string
	// SelfHref, when set, gives each returned record's _links.self.href.
	SelfHref func(rec map[string]any) string
}

// Order is one order_by item.
type Order struct {
	Field string // dotted path
	Desc  bool
}

// Query is a parsed ONTAP collection query.
type Query struct {
	// Fields lists the fields= items in request order, deduplicated; "*"
	// (all but expensive fields), "**" (all fields) and "x.*" (subtree) may
	// appear. Nil when fields= was not given.
	Fields []string
	// MaxRecords is the page size; 0 when not given (no limit).
	MaxRecords int
	// ReturnRecords is return_records, nil when not given (the default is
	// true for GET and false for POST: see ReturnRecordsOr).
	ReturnRecords *bool
	// ReturnTimeout is return_timeout in seconds (0..120), nil when not
	// given (the default is 15 for a collection GET, 0 for POST/PATCH/DELETE).
	ReturnTimeout *int
	// OrderBy lists the order_by items.
	OrderBy []Order
	// Filters lists the field filters, ANDed, in a stable order (by field
	// name, then value).
	Filters []Filter
	// Start holds the start.* continuation values (key without "start.").
	Start map[string]string
	// Reserved holds the endpoint-specific reserved parameters named in the
	// call to ParseQuery (regenerate_keys, delete_all, …), as given.
	Reserved url.Values
	// Schema describes the collection; set by the endpoint.
	Schema Schema

	raw url.Values // the request query minus start.*, for links
}

// ParseQuery splits an ONTAP query string into the reserved parameters and
// the field filters. reserved names the endpoint's own parameters (they go
// to Query.Reserved and are neither filters nor validated). Errors are
// *Error: 262197 (InvalidValue) with Target set to the parameter for a bad
// fields, max_records, return_records, return_timeout or order_by value, and
// 262179 (UnexpectedArgument) for a parameter name that is not a field path.
// A filter value never fails to parse: anything that is not an operator
// expression is an equality test.
func ParseQuery(q url.Values, reserved ...string) (Query, error) {
	var out Query
	res := make(map[string]bool, len(reserved))
	for _, r := range reserved {
		res[r] = true
	}
	out.raw = url.Values{}
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vals := q[name]
		if strings.HasPrefix(name, StartPrefix) {
			k := name[len(StartPrefix):]
			if k != "offset" && !validPath(k) {
				return Query{}, UnexpectedArgument(name)
			}
			if out.Start == nil {
				out.Start = map[string]string{}
			}
			out.Start[k] = first(vals)
			continue
		}
		out.raw[name] = append([]string(nil), vals...)
		switch {
		case name == ParamFields:
			f, err := parseFields(vals)
			if err != nil {
				return Query{}, err
			}
			out.Fields = f
		case name == ParamMaxRecords:
			v := first(vals)
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return Query{}, InvalidValue(name, v, "integer")
			}
			out.MaxRecords = n
		case name == ParamReturnRecords:
			v := first(vals)
			b, ok := parseBool(v)
			if !ok {
				return Query{}, InvalidValue(name, v, "boolean")
			}
			out.ReturnRecords = &b
		case name == ParamReturnTimeout:
			v := first(vals)
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 || n > MaxReturnTimeout {
				return Query{}, InvalidValue(name, v, "integer")
			}
			out.ReturnTimeout = &n
		case name == ParamOrderBy:
			o, err := parseOrderBy(vals)
			if err != nil {
				return Query{}, err
			}
			out.OrderBy = o
		case res[name]:
			if out.Reserved == nil {
				out.Reserved = url.Values{}
			}
			out.Reserved[name] = append([]string(nil), vals...)
		default:
			if !validPath(name) {
				return Query{}, UnexpectedArgument(name)
			}
			sorted := append([]string(nil), vals...)
			sort.Strings(sorted)
			for _, v := range sorted {
				out.Filters = append(out.Filters, NewFilter(name, v))
			}
		}
	}
	return out, nil
}

func first(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// parseFields splits fields= values (comma lists; repeated parameters are
// concatenated), trims blanks, drops empty items and duplicates.
func parseFields(vals []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range vals {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" || seen[f] {
				continue
			}
			if f != "*" && f != "**" && !validPath(strings.TrimSuffix(f, ".*")) {
				return nil, InvalidValue(ParamFields, f, "field,...")
			}
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// parseOrderBy parses "field [asc|desc]" items; the separator between field
// and direction is a space (a '+' in the raw URL).
func parseOrderBy(vals []string) ([]Order, error) {
	var out []Order
	for _, v := range vals {
		for _, item := range strings.Split(v, ",") {
			parts := strings.Fields(item)
			if len(parts) == 0 {
				continue
			}
			o := Order{Field: parts[0]}
			bad := len(parts) > 2 || !validPath(o.Field)
			if len(parts) == 2 {
				switch strings.ToLower(parts[1]) {
				case "asc":
				case "desc":
					o.Desc = true
				default:
					bad = true
				}
			}
			if bad {
				return nil, InvalidValue(ParamOrderBy, strings.TrimSpace(item), "field [asc|desc],...")
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// validPath reports whether p is a dotted field path: non-empty segments of
// letters, digits, '_' and '-' (ONTAP has hyphenated keys like "read-only").
func validPath(p string) bool {
	if p == "" {
		return false
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// ReturnRecordsOr returns return_records, or def when it was not given.
func (q Query) ReturnRecordsOr(def bool) bool {
	if q.ReturnRecords == nil {
		return def
	}
	return *q.ReturnRecords
}

// ReturnTimeoutOr returns return_timeout, or def when it was not given.
func (q Query) ReturnTimeoutOr(def int) int {
	if q.ReturnTimeout == nil {
		return def
	}
	return *q.ReturnTimeout
}

// Check validates the field names the query uses against the collection's
// fields: a filter on an unknown field is 262179 Unexpected argument (as
// ONTAP reports unknown parameters), an unknown fields= item is 262197
// target "fields", an unknown order_by field 262197 target "order_by".
// Fields in known may use a trailing ".*" for "any sub-field".
func (q Query) Check(known FieldSet) error {
	for _, f := range q.Filters {
		if !known.Allows(f.Field) {
			return UnexpectedArgument(f.Field)
		}
	}
	for _, f := range q.Fields {
		if f == "*" || f == "**" {
			continue
		}
		if !known.Allows(strings.TrimSuffix(f, ".*")) {
			return InvalidValue(ParamFields, f, "field,...")
		}
	}
	for _, o := range q.OrderBy {
		if !known.Allows(o.Field) {
			return InvalidValue(ParamOrderBy, o.Field, "field [asc|desc],...")
		}
	}
	return nil
}

// Match reports whether rec satisfies every filter of q.
func (q Query) Match(rec map[string]any) bool {
	for i := range q.Filters {
		if !q.Filters[i].Match(rec) {
			return false
		}
	}
	return true
}
