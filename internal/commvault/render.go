package commvault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// request is one call being served.
type request struct {
	r      *http.Request
	ctx    context.Context
	h      *Handler
	rt     *route
	params []string
	sess   core.Session
	token  string
	body   []byte
}

// response is what an endpoint returns; ServeHTTP renders it.
type response struct {
	status int
	body   any
	// xml, when set, is rendered as XML instead of body (older APIs asked
	// with Accept: application/xml).
	xml any
}

func ok(body any) response { return response{status: http.StatusOK, body: body} }

// genericOK is Commvault's GenericResp for a success.
func genericOK(msg string) response {
	return ok(map[string]any{"errorCode": 0, "errorMessage": msg})
}

func writeXML(w http.ResponseWriter, r *http.Request, status int, body any) {
	b, err := xml.Marshal(body)
	if err != nil {
		writeJSON(w, r, http.StatusInternalServerError, map[string]any{"errorMessage": msgInternal, "errorCode": "INTERNAL_SERVER_PROBLEM"})
		return
	}
	b = append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

func writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil { // our own values always encode
		status, b = http.StatusInternalServerError, []byte(`{"errorMessage":"`+msgInternal+`","errorCode":"INTERNAL_SERVER_PROBLEM"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
}

func (rq *request) readBody(limit int64) error {
	if rq.r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(rq.r.Body, limit+1))
	if err != nil {
		return errs.Wrap(errs.IncompleteBody, err, "The request body could not be read.")
	}
	if int64(len(b)) > limit {
		return errs.New(errs.EntityTooLarge, "The request body exceeds %d bytes.", limit)
	}
	rq.body = b
	return nil
}

// decode reads the JSON body into v. An empty body leaves v as it is when
// optional, and is a 400 otherwise; so is anything but one JSON object.
// Unknown fields are ignored (Commvault clients send many).
func (rq *request) decode(v any, optional bool) error {
	if len(bytes.TrimSpace(rq.body)) == 0 {
		if optional {
			return nil
		}
		return errBadInput("body", "A JSON request body is required.")
	}
	return decodeJSON(rq.body, v)
}

func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return errBadInput("body", "The request body must be a JSON object.")
			}
			return errBadInput(te.Field, "%s must be %s.", errs.Excerpt(te.Field), jsonKind(te.Type))
		}
		return errBadInput("body", "The request body is not valid JSON.")
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) > 0 {
		return errBadInput("body", "The request body must hold one JSON object.")
	}
	return nil
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// id parses the i-th path parameter as a positive int32.
func (rq *request) id(i int, what string) (int32, error) {
	return parseID(rq.params[i], what)
}

func parseID(s, what string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 {
		return 0, errs.Field(errs.InvalidArgument, what, "%q is not a valid %s.", s, what)
	}
	return int32(n), nil
}

// ref32 turns an optional JSON number into an int32 id: nil or 0 is 0
// (absent); anything outside 1..MaxInt32 is a 400.
func ref32(v *int64, field string) (int32, error) {
	if v == nil || *v == 0 {
		return 0, nil
	}
	if *v < 0 || *v > math.MaxInt32 {
		return 0, errBadInput(field, "%s must be a positive 32-bit integer.", field)
	}
	return int32(*v), nil
}

// queryInt reads a non-negative integer query parameter (def when absent).
func (rq *request) queryInt(name string, def int) (int, error) {
	v := queryGet(rq.r, name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errBadInput(name, "%s must be a non-negative integer.", name)
	}
	return n, nil
}

// queryGet reads a query parameter, its name compared case-insensitively.
func queryGet(r *http.Request, name string) string {
	for k, vs := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// decodePassword decodes a base64 password (Commvault sends them so).
func decodePassword(field, s string) (string, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), nil
		}
	}
	return "", errBadInput(field, "%s must be base64-encoded.", field)
}

// epoch is a time as Commvault shows it: Unix seconds, 0 for none.
func epoch(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// page applies start/limit to n items and returns the slice bounds.
func page(n, start, limit int) (int, int) {
	if start > n {
		start = n
	}
	end := n
	if limit > 0 && limit < n-start { // not start+limit: it may overflow
		end = start + limit
	}
	return start, end
}
