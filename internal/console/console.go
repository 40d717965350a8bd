// Package console is Coffer's web console: static pages (HTML, CSS and
// vanilla JavaScript modules, embedded in the binary; no build step, no
// external resource) served at /console/ on the management listener, and
// the few calls the pages need that neither management dialect has.
//
// The console is a pure client of the management plane. The pages call
// the ONTAP REST API (/api, HTTP Basic) for SVMs, S3 services, users,
// groups, policies and buckets; the Commvault API (/commandcenter/api,
// its Login token) for login with lockout, plans, clients, vaults and
// jobs; and S3 itself, signed in the browser with SigV4 by the user's
// keys, for the object browser. Every rule stays in the core: this package
// decides nothing about tenants, users or buckets.
//
// What it adds (docs/console.md, "The console's own calls"):
//
//   - GET /console/api/info: the S3 endpoint and region the pages sign for;
//   - GET /console/api/admin: whether HTTP Basic credentials are an
//     administrator's (the login page's check, without a browser prompt);
//   - /S3/...: S3 itself on the management listener, as the S3 listener
//     answers it under its /S3 path prefix (Commvault's endpoint form), so
//     the browser's SigV4-signed requests reach S3 from the console's own
//     origin, without CORS or mixed content (the console is HTTPS, S3
//     often plain HTTP on another port). It authenticates nothing itself:
//     the S3 handler checks every request's signature as on the S3
//     listener, and the path is passed unchanged, so any S3 client can
//     use https://<admin>/S3 as its endpoint too.
//
// The dashboard's capacity, usage and request chart come from the metrics
// package's GET /api/coffer/stats, the one request history the server
// keeps. Info (the S3 endpoint and region) is public, for tenant users'
// pages too.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

//go:embed static
var staticFiles embed.FS

// Prefix is the console's path on the management listener.
const Prefix = "/console/"

// S3Prefix is where the management listener passes requests to S3: the
// S3 handler's own path prefix.
const S3Prefix = "/S3/"

// Core is the part of the core the console's own calls read.
type Core interface {
	VerifyAdmin(ctx context.Context, name, password string) (core.Admin, error)
}

// Options configures the console.
type Options struct {
	// Core answers the administrator checks.
	Core Core
	// S3 is the S3 handler that answers under S3Prefix (the same one the
	// S3 listener serves).
	S3 http.Handler
	// S3Endpoint is the S3 listener's URL (scheme://host:port) for
	// presigned share links, which work without the console.
	S3Endpoint string
	// Region is the region the pages sign for.
	Region string
	// Logger logs failures of the console's own calls.
	Logger *slog.Logger
}

// Handler serves the console.
type Handler struct {
	opts   Options
	static http.Handler
	log    *slog.Logger
}

// New returns the console's handler, to be mounted at Prefix.
func New(o Options) (*Handler, error) {
	if o.Core == nil {
		return nil, errs.New(errs.InvalidArgument, "console: Options.Core is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	return &Handler{opts: o, log: o.Logger, static: http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(sub))}, nil
}

// ServeHTTP routes the console's paths.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, S3Prefix):
		h.serveS3(w, r)
	case r.URL.Path == "/console/api/info":
		// Public: what the pages sign for, known to every S3 client anyway.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{errorJSON{Message: "method not allowed", Code: "3"}})
			return
		}
		v, _ := h.info(r)
		writeJSON(w, http.StatusOK, v)
	case r.URL.Path == "/console/api/admin":
		h.api(w, r, func(r *http.Request) (any, error) {
			user, _, _ := r.BasicAuth()
			return adminJSON{Name: user}, nil
		})
	case strings.HasPrefix(r.URL.Path, "/console/api/"):
		writeJSON(w, http.StatusNotFound, errorBody{errorJSON{Message: "API not found", Code: "3"}})
	default:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/") && r.URL.Path != Prefix { // no directory listings
			http.NotFound(w, r)
			return
		}
		// Pages change with the binary: revalidate, never serve stale code.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "+
			"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.static.ServeHTTP(w, r)
	}
}

// serveS3 hands a request under /S3/ to the S3 handler as it is: the
// browser signed this path for this host. Deadlines are the S3 handler's
// (its minimum body rate), not the management listener's whole-request
// timeouts, so large parts and downloads pass.
func (h *Handler) serveS3(w http.ResponseWriter, r *http.Request) {
	if h.opts.S3 == nil {
		writeJSON(w, http.StatusNotFound, errorBody{errorJSON{Message: "S3 is not available here", Code: "3"}})
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h.opts.S3.ServeHTTP(w, r)
}

// api authenticates an administrator and renders fn's answer.
func (h *Handler) api(w http.ResponseWriter, r *http.Request, fn func(r *http.Request) (any, error)) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{errorJSON{Message: "method not allowed", Code: "3"}})
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, errorBody{errorJSON{Message: "The request requires authentication: send a valid user name and password (HTTP Basic).", Code: "6"}})
		return
	}
	if _, err := h.opts.Core.VerifyAdmin(r.Context(), user, pass); err != nil {
		if errs.KindOf(err) == errs.Unauthenticated {
			writeJSON(w, http.StatusUnauthorized, errorBody{errorJSON{Message: "User is not authorized.", Code: "6"}})
			return
		}
		h.log.Error("console: verifying an administrator", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{errorJSON{Message: "internal error", Code: "1"}})
		return
	}
	v, err := fn(r)
	if err != nil {
		h.log.Error("console api", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{errorJSON{Message: "internal error", Code: "1"}})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// infoJSON is GET /console/api/info.
type infoJSON struct {
	// S3Endpoint is the S3 listener's URL, for share links.
	S3Endpoint string `json:"s3_endpoint"`
	// S3Proxy is the same-origin path prefix the pages send S3 requests to
	// (and sign).
	S3Proxy string `json:"s3_proxy"`
	Region  string `json:"region"`
}

func (h *Handler) info(r *http.Request) (any, error) {
	return infoJSON{S3Endpoint: h.opts.S3Endpoint, S3Proxy: strings.TrimSuffix(S3Prefix, "/"), Region: h.opts.Region}, nil
}

// adminJSON is GET /console/api/admin: the Basic credentials are an
// administrator's. Unlike ONTAP's 401, the console's carries no
// WWW-Authenticate challenge, which would make the browser prompt.
type adminJSON struct {
	Name string `json:"name"`
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

// errorJSON is ONTAP's error shape, so one parser serves the listener.
type errorJSON struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache,no-store,must-revalidate")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
