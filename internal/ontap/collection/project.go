package collection

import (
	"strings"
)

// Project returns a new record holding only the given dotted fields of rec.
// "*" or "**" anywhere in fields returns a deep copy of the whole record
// (Project knows nothing of expensive fields; Query.Single does). "x.*"
// is the whole subtree x, as is "x". A path reaches through arrays, so
// "users.name" keeps users as an array of {name} objects. When a nested
// object is kept partially, its own "_links" comes along (HAL: every
// embedded object carries its links). Unknown paths are ignored. Project
// never modifies rec and never shares mutable maps or slices with it.
func Project(rec map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		if f == "*" || f == "**" {
			return deepCopy(rec).(map[string]any)
		}
	}
	for _, f := range fields {
		f = strings.TrimSuffix(f, ".*")
		if f == "" {
			continue
		}
		projectInto(out, rec, strings.Split(f, "."))
	}
	return out
}

func projectInto(dst, src map[string]any, segs []string) {
	v, ok := src[segs[0]]
	if !ok {
		return
	}
	if len(segs) == 1 {
		mergeInto(dst, segs[0], deepCopy(v))
		return
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := dst[segs[0]].(map[string]any)
		if !ok {
			child = map[string]any{}
			dst[segs[0]] = child
		}
		if l, ok := x["_links"]; ok {
			if _, have := child["_links"]; !have {
				child["_links"] = deepCopy(l)
			}
		}
		projectInto(child, x, segs[1:])
	case []any:
		arr, ok := dst[segs[0]].([]any)
		if !ok || len(arr) != len(x) {
			arr = make([]any, len(x))
			dst[segs[0]] = arr
		}
		for i, e := range x {
			arr[i] = projectElem(arr[i], e, segs[1:])
		}
	}
}

// projectElem projects array element e (which may itself be an array) into
// the already projected element have.
func projectElem(have, e any, segs []string) any {
	switch x := e.(type) {
	case map[string]any:
		m, ok := have.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		if l, ok := x["_links"]; ok {
			if _, had := m["_links"]; !had {
				m["_links"] = deepCopy(l)
			}
		}
		projectInto(m, x, segs)
		return m
	case []any:
		arr, ok := have.([]any)
		if !ok || len(arr) != len(x) {
			arr = make([]any, len(x))
		}
		for i, ee := range x {
			arr[i] = projectElem(arr[i], ee, segs)
		}
		return arr
	}
	return deepCopy(e)
}

// mergeInto sets dst[k] = v, merging with what is there: maps merge key by
// key, equal-length arrays merge element by element, anything else is
// replaced by v.
func mergeInto(dst map[string]any, k string, v any) {
	dst[k] = mergeValues(dst[k], v)
}

func mergeValues(have, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if h, ok := have.(map[string]any); ok {
			for k, e := range x {
				h[k] = mergeValues(h[k], e)
			}
			return h
		}
	case []any:
		if h, ok := have.([]any); ok && len(h) == len(x) {
			for i := range x {
				h[i] = mergeValues(h[i], x[i])
			}
			return h
		}
	}
	return v
}

// deepCopy copies maps and slices recursively; other values are shared
// (they are immutable: strings, numbers, booleans, json.Number).
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	case []map[string]any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	case []string:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = e
		}
		return a
	}
	return v
}

// removePath deletes the dotted path from m (in place), through arrays.
func removePath(v any, segs []string) {
	switch x := v.(type) {
	case map[string]any:
		if len(segs) == 1 {
			delete(x, segs[0])
			return
		}
		if c, ok := x[segs[0]]; ok {
			removePath(c, segs[1:])
		}
	case []any:
		for _, e := range x {
			removePath(e, segs)
		}
	}
}
