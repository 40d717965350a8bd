package collection

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"coffer/internal/errs"
)

// MaxBodyBytes bounds a request body DecodeBody accepts.
const MaxBodyBytes = 1 << 20

// maxDepth bounds JSON nesting in a request body.
const maxDepth = 64

// FieldSet is a set of dotted field paths an endpoint accepts (in a body)
// or knows (for Query.Check). A path ending in ".*" accepts every
// sub-field of that object; "*" alone accepts everything. Listing an
// object path without listing any of its sub-fields accepts the whole
// object; listing some of its sub-fields accepts only those.
type FieldSet struct {
	all   bool
	exact map[string]bool // listed paths
	wild  map[string]bool // p for each listed "p.*"
	anc   map[string]bool // proper ancestors of listed paths
}

// NewFieldSet builds a FieldSet from dotted paths.
func NewFieldSet(paths ...string) FieldSet {
	s := FieldSet{exact: map[string]bool{}, wild: map[string]bool{}, anc: map[string]bool{}}
	for _, p := range paths {
		if p == "*" || p == "**" {
			s.all = true
			continue
		}
		if w, ok := strings.CutSuffix(p, ".*"); ok {
			s.wild[w] = true
			p = w
		} else {
			s.exact[p] = true
		}
		for i := strings.LastIndexByte(p, '.'); i > 0; i = strings.LastIndexByte(p[:i], '.') {
			s.anc[p[:i]] = true
		}
	}
	return s
}

// Allows reports whether path is a field of the set: listed, inside a
// listed "x.*" or a listed object with no listed sub-fields, or an object
// on the way to a listed field.
func (s FieldSet) Allows(path string) bool {
	return s.all || s.anc[path] || s.whole(path) || s.exact[path]
}

// Paths lists the set's paths as given, sorted ("x.*" for a whole
// subtree, "*" for everything): what the OpenAPI documents describe.
func (s FieldSet) Paths() []string {
	var out []string
	if s.all {
		out = append(out, "*")
	}
	for p := range s.exact {
		out = append(out, p)
	}
	for p := range s.wild {
		out = append(out, p+".*")
	}
	sort.Strings(out)
	return out
}

// whole reports whether path lies in a subtree accepted as a whole: a
// "p.*" entry, or a listed p none of whose sub-fields are listed.
func (s FieldSet) whole(path string) bool {
	if s.all {
		return true
	}
	for p := path; ; {
		if s.wild[p] || (s.exact[p] && !s.anc[p]) {
			return true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// DecodeBody reads an ONTAP JSON request body: one JSON object of at most
// MaxBodyBytes. Keys may be dotted and are merged with nested objects, at
// every level, so {"svm.name":"vs1"} ≡ {"svm":{"name":"vs1"}}; the result
// only has nested maps. Numbers are json.Number (use GetInt). An empty
// body is an empty object. Errors (*Error):
//   - malformed JSON, a non-object body, nesting deeper than 64, or the same
//     field given twice (literally or via dotted and nested forms):
//     CodeInvalidJSON;
//   - a field not in allowed: 262179 `Unexpected argument "<path>".` with
//     Target the dotted path (the shortest unknown prefix);
//   - a body over MaxBodyBytes: CodeBodyTooLarge, Kind errs.EntityTooLarge.
func DecodeBody(r io.Reader, allowed FieldSet) (map[string]any, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return nil, &Error{Code: CodeInvalidJSON, Message: "Failed to read the request body.", Kind: errs.IncompleteBody}
	}
	if len(data) > MaxBodyBytes {
		return nil, &Error{Code: CodeBodyTooLarge,
			Message: fmt.Sprintf("The request body exceeds %d bytes.", MaxBodyBytes), Kind: errs.EntityTooLarge}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, invalidJSON(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalidJSON(errors.New("the body must be a JSON object"))
	}
	m, err := decodeObject(dec, "", 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidJSON(errors.New("unexpected data after the JSON object"))
	}
	if err := checkFields(m, "", allowed); err != nil {
		return nil, err
	}
	return m, nil
}

func invalidJSON(err error) *Error {
	return &Error{Code: CodeInvalidJSON, Message: "Invalid JSON input: " + errs.Excerpt(err.Error()) + ".", Kind: errs.InvalidArgument}
}

func duplicate(path string) *Error {
	return &Error{Code: CodeInvalidJSON, Message: fmt.Sprintf("Field %q is specified more than once.", errs.Excerpt(path)),
		Target: path, Kind: errs.InvalidArgument}
}

// decodeObject reads the members of an object whose '{' was consumed.
func decodeObject(dec *json.Decoder, prefix string, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, invalidJSON(errors.New("nesting too deep"))
	}
	m := map[string]any{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalidJSON(err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return m, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, invalidJSON(errors.New("expected a field name"))
		}
		path := join(prefix, key)
		segs := strings.Split(key, ".")
		for _, s := range segs {
			if s == "" {
				return nil, UnexpectedArgument(path)
			}
		}
		v, err := decodeValue(dec, path, depth)
		if err != nil {
			return nil, err
		}
		if err := setPath(m, segs, v, prefix); err != nil {
			return nil, err
		}
	}
}

func decodeValue(dec *json.Decoder, path string, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, invalidJSON(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return decodeObject(dec, path, depth+1)
		case '[':
			if depth+1 > maxDepth {
				return nil, invalidJSON(errors.New("nesting too deep"))
			}
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, path, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, invalidJSON(err)
			}
			return arr, nil
		}
		return nil, invalidJSON(fmt.Errorf("unexpected %q", rune(t)))
	}
	return tok, nil // string, json.Number, bool or nil
}

// setPath stores v at segs under m, merging objects; a field set twice is
// an error.
func setPath(m map[string]any, segs []string, v any, prefix string) error {
	for i, s := range segs[:len(segs)-1] {
		switch c := m[s].(type) {
		case nil:
			if _, exists := m[s]; exists {
				return duplicate(join(prefix, strings.Join(segs[:i+1], ".")))
			}
			n := map[string]any{}
			m[s] = n
			m = n
		case map[string]any:
			m = c
		default:
			return duplicate(join(prefix, strings.Join(segs[:i+1], ".")))
		}
	}
	last := segs[len(segs)-1]
	path := join(prefix, strings.Join(segs, "."))
	have, exists := m[last]
	if !exists {
		m[last] = v
		return nil
	}
	hm, ok1 := have.(map[string]any)
	vm, ok2 := v.(map[string]any)
	if !ok1 || !ok2 {
		return duplicate(path)
	}
	keys := sortedKeys(vm)
	for _, k := range keys {
		if err := setPath(hm, []string{k}, vm[k], path); err != nil {
			return err
		}
	}
	return nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkFields rejects the first (in sorted order) field of m not in allowed.
func checkFields(m map[string]any, prefix string, allowed FieldSet) error {
	for _, k := range sortedKeys(m) {
		if err := checkValue(m[k], join(prefix, k), allowed); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(v any, path string, allowed FieldSet) error {
	if !allowed.Allows(path) {
		return UnexpectedArgument(path)
	}
	if allowed.whole(path) {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		return checkFields(x, path, allowed)
	case []any:
		for _, e := range x {
			if err := checkValue(e, path, allowed); err != nil {
				return err
			}
		}
		return nil
	}
	// A scalar where only sub-fields are accepted.
	if !allowed.exact[path] {
		return UnexpectedArgument(path)
	}
	return nil
}

// Get returns the value at a dotted path of a decoded body or record,
// walking nested objects (not arrays).
func Get(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, s := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[s]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// GetString returns the string at path; ok is false when absent or not a
// string.
func GetString(m map[string]any, path string) (string, bool) {
	v, _ := Get(m, path)
	s, ok := v.(string)
	return s, ok
}

// GetBool returns the boolean at path; ok is false when absent or not a
// boolean.
func GetBool(m map[string]any, path string) (bool, bool) {
	v, _ := Get(m, path)
	b, ok := v.(bool)
	return b, ok
}

// GetInt returns the integer at path (a JSON number without fraction that
// fits int64); ok is false when absent or not such a number.
func GetInt(m map[string]any, path string) (int64, bool) {
	v, found := Get(m, path)
	if !found {
		return 0, false
	}
	if n, ok := v.(json.Number); ok {
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err == nil {
			return i, true
		}
	}
	n, ok := toNumber(v)
	if !ok || !n.isInt {
		return 0, false
	}
	return n.i, true
}

// GetArray returns the array at path; ok is false when absent or not an
// array.
func GetArray(m map[string]any, path string) ([]any, bool) {
	v, _ := Get(m, path)
	a, ok := v.([]any)
	return a, ok
}

// GetObject returns the object at path; ok is false when absent or not an
// object.
func GetObject(m map[string]any, path string) (map[string]any, bool) {
	v, _ := Get(m, path)
	o, ok := v.(map[string]any)
	return o, ok
}
