// Package kmsapi is the management face of the built-in KMS: a small JSON
// API on the admin listener, under /api/coffer/kms/ (ONTAP's REST API owns
// the rest of /api and has no /api/coffer). It is thin: parse, call the
// KMS, render. Callers authenticate with HTTP Basic as a cluster
// administrator, checked by the core like every other management request.
//
//	POST  /api/coffer/kms/keys              {"alias","description"}  → 201 key
//	GET   /api/coffer/kms/keys                                        → {"records":[key…],"num_records":n}
//	GET   /api/coffer/kms/keys/{key}                                  → key
//	PATCH /api/coffer/kms/keys/{key}        {"enabled": bool}         → key
//	POST  /api/coffer/kms/keys/{key}/rotate                           → key
//
// {key} is a key id, an alias (an alias holding '/' is written with %2F) or
// "alias%2Fname". Errors use the listener's envelope,
// {"error":{"message","code","target"}}, with ONTAP's generic codes: "2"
// invalid input (400), "4" not found (404), "6" not authenticated (401),
// "1" duplicate (409) or internal (500, logged, text never sent).
package kmsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/kms"
)

// Prefix is the path under which the handler is mounted.
const Prefix = "/api/coffer/kms/"

// Keys is what the API needs of the KMS (kms.Local implements it).
type Keys interface {
	CreateKey(ctx context.Context, in kms.CreateKeyInput) (kms.KeyInfo, error)
	ListKeys(ctx context.Context) ([]kms.KeyInfo, error)
	GetKey(ctx context.Context, ref string) (kms.KeyInfo, error)
	RotateKey(ctx context.Context, ref string) (kms.KeyInfo, error)
	SetKeyEnabled(ctx context.Context, ref string, enabled bool) (kms.KeyInfo, error)
}

// Admins checks management logins (core.Service implements it).
type Admins interface {
	VerifyAdmin(ctx context.Context, name, password string) (core.Admin, error)
}

// Options configures the handler.
type Options struct {
	Keys   Keys
	Admins Admins
	// Region and Account form the keys' ARNs
	// (arn:aws:kms:Region:Account:key/id). Default us-east-1 and 000000000000.
	Region, Account string
	Logger          *slog.Logger
}

type handler struct {
	o   Options
	mux *http.ServeMux
}

// New returns the API's handler, to mount at Prefix.
func New(o Options) (http.Handler, error) {
	if o.Keys == nil || o.Admins == nil {
		return nil, errors.New("kmsapi: Keys and Admins are required")
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "000000000000"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &handler{o: o, mux: http.NewServeMux()}
	h.route("POST /api/coffer/kms/keys", h.create)
	h.route("GET /api/coffer/kms/keys", h.list)
	h.route("GET /api/coffer/kms/keys/{key}", h.get)
	h.route("PATCH /api/coffer/kms/keys/{key}", h.patch)
	h.route("POST /api/coffer/kms/keys/{key}/rotate", h.rotate)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &apiError{Status: http.StatusNotFound, Code: codeNotFound,
			Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)})
	})
	return h, nil
}

// endpoint handles one parsed request and returns the status and body.
type endpoint func(r *http.Request) (int, any, error)

func (h *handler) route(pattern string, fn endpoint) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		status, body, err := fn(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, status, body)
	})
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Authentication first: an unauthenticated caller learns nothing about
	// which paths or keys exist.
	user, pass, found := r.BasicAuth()
	if !found {
		h.fail(w, r, errUnauthenticated)
		return
	}
	admin, err := h.o.Admins.VerifyAdmin(r.Context(), user, pass)
	if err != nil {
		if errs.KindOf(err) == errs.Unauthenticated {
			err = errUnauthenticated
		}
		h.fail(w, r, err)
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		h.mux.ServeHTTP(w, r)
		return
	}
	// Every change to a key is logged with who made it.
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.mux.ServeHTTP(sw, r)
	h.o.Logger.Info("kms admin request", "method", r.Method, "path", r.URL.Path, "admin", admin.Name, "status", sw.status)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Wire shapes.

type createRequest struct {
	Alias       string `json:"alias"`
	Description string `json:"description"`
}

type patchRequest struct {
	Enabled *bool `json:"enabled"`
}

type keyJSON struct {
	ID             string        `json:"id"`
	ARN            string        `json:"arn"`
	Alias          string        `json:"alias,omitempty"`
	Description    string        `json:"description,omitempty"`
	State          string        `json:"state"` // "enabled" or "disabled"
	Created        time.Time     `json:"created"`
	CurrentVersion uint32        `json:"current_version"`
	Versions       []versionJSON `json:"versions"`
}

type versionJSON struct {
	Version uint32    `json:"version"`
	Created time.Time `json:"created"`
}

type listJSON struct {
	Records    []keyJSON `json:"records"`
	NumRecords int       `json:"num_records"`
}

func (h *handler) render(k kms.KeyInfo) keyJSON {
	out := keyJSON{ID: k.ID, ARN: "arn:aws:kms:" + h.o.Region + ":" + h.o.Account + ":key/" + k.ID,
		Alias: k.Alias, Description: k.Description, State: "disabled", Created: k.Created,
		CurrentVersion: k.CurrentVersion, Versions: []versionJSON{}}
	if k.Enabled {
		out.State = "enabled"
	}
	for _, v := range k.Versions {
		out.Versions = append(out.Versions, versionJSON{Version: v.Version, Created: v.Created})
	}
	return out
}

// Endpoints.

func (h *handler) create(r *http.Request) (int, any, error) {
	var in createRequest
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	k, err := h.o.Keys.CreateKey(r.Context(), kms.CreateKeyInput{Alias: in.Alias, Description: in.Description})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, h.render(k), nil
}

func (h *handler) list(r *http.Request) (int, any, error) {
	keys, err := h.o.Keys.ListKeys(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := listJSON{Records: []keyJSON{}, NumRecords: len(keys)}
	for _, k := range keys {
		out.Records = append(out.Records, h.render(k))
	}
	return http.StatusOK, out, nil
}

func (h *handler) get(r *http.Request) (int, any, error) {
	k, err := h.o.Keys.GetKey(r.Context(), r.PathValue("key"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.render(k), nil
}

func (h *handler) patch(r *http.Request) (int, any, error) {
	var in patchRequest
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	if in.Enabled == nil {
		return 0, nil, &apiError{Status: http.StatusBadRequest, Code: codeInvalidField, Target: "enabled",
			Message: `the body must set "enabled"`}
	}
	k, err := h.o.Keys.SetKeyEnabled(r.Context(), r.PathValue("key"), *in.Enabled)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.render(k), nil
}

func (h *handler) rotate(r *http.Request) (int, any, error) {
	k, err := h.o.Keys.RotateKey(r.Context(), r.PathValue("key"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.render(k), nil
}

// maxBody bounds a request body; the shapes above are tiny.
const maxBody = 64 << 10

// decodeBody reads one JSON object with only known fields. An empty body is
// an empty object.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: codeInvalidField, Message: "request body too large or unreadable"}
	}
	if strings.TrimSpace(string(b)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: codeInvalidField, Message: "invalid JSON body: " + err.Error()}
	}
	if dec.More() {
		return &apiError{Status: http.StatusBadRequest, Code: codeInvalidField, Message: "invalid JSON body: trailing data"}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"message":"internal error: response encoding failed","code":"1"}}`)
	}
	data = append(data, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
