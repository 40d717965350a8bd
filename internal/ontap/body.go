package ontap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"coffer/internal/errs"
	"coffer/internal/ontap/collection"
)

// readBodyOnce returns a function that reads r's body on first use (at
// most collection.MaxBodyBytes+1 bytes, so DecodeBody can tell an oversized
// body) and returns the same bytes afterwards.
func readBodyOnce(r *http.Request) func() []byte {
	var once sync.Once
	var data []byte
	return func() []byte {
		once.Do(func() {
			if r.Body != nil {
				data, _ = io.ReadAll(io.LimitReader(r.Body, collection.MaxBodyBytes+1))
			}
		})
		return data
	}
}

// decodeInto decodes an ONTAP JSON body: collection.DecodeBody merges
// dotted keys into nested objects and rejects fields outside allowed
// (262179); the normalized object is then decoded into out, a struct with
// JSON tags. A value of the wrong JSON type is 262197 naming the field.
// The normalized map is returned for presence checks.
// Each fix may rewrite the normalized object first (field aliases).
func decodeInto(raw []byte, allowed collection.FieldSet, out any, fixes ...func(map[string]any)) (map[string]any, error) {
	m, err := collection.DecodeBody(bytes.NewReader(raw), allowed)
	if err != nil {
		return nil, err
	}
	for _, fix := range fixes {
		fix(m)
	}
	norm, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(norm))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			v, _ := collection.Get(m, field)
			return nil, collection.InvalidValue(field, valueText(v), typeName(te.Type.String()))
		}
		// A custom UnmarshalJSON (policy sids, durations) refused a value.
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeInvalidField, Message: errs.BoundMessage(err.Error())}
	}
	return m, nil
}

// valueText renders a decoded JSON value for an error message.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// typeName turns a Go type into ONTAP's wording of the expected type.
func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case goType == "string" || strings.HasSuffix(goType, "string"):
		return "string"
	case goType == "bool" || goType == "*bool":
		return "boolean"
	case strings.Contains(goType, "int"):
		return "integer"
	case strings.Contains(goType, "float") || strings.Contains(goType, "Number"):
		return "number"
	}
	return "object"
}

// boolParam reads an endpoint's boolean query parameter (regenerate_keys,
// delete_all, ...), def when absent. A value other than true/false is
// 262197.
func boolParam(q collection.Query, name string, def bool) (bool, error) {
	vals, ok := q.Reserved[name]
	if !ok || len(vals) == 0 {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(vals[0])) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, collection.InvalidValue(name, vals[0], "boolean")
}

// parseQuery parses the request query with the endpoint's own reserved
// parameters and sets the collection schema. Field filters select records
// of a GET; on POST, PATCH and DELETE (which act on one record here) they
// are unexpected arguments (262179).
func parseQuery(rq *request, schema collection.Schema, reserved ...string) (collection.Query, error) {
	q, err := collection.ParseQuery(rq.query, reserved...)
	if err != nil {
		return q, err
	}
	if rq.Method != http.MethodGet && len(q.Filters) > 0 {
		return q, collection.UnexpectedArgument(q.Filters[0].Field)
	}
	q.Schema = schema
	return q, nil
}

// parseKnownQuery is parseQuery for an endpoint that knows its fields: the
// fields and filters asked for must be among known (262179 otherwise).
func parseKnownQuery(rq *request, schema collection.Schema, known collection.FieldSet) (collection.Query, error) {
	q, err := parseQuery(rq, schema)
	if err != nil {
		return q, err
	}
	return q, q.Check(known)
}
