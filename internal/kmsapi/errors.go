package kmsapi

import (
	"errors"
	"net/http"

	"coffer/internal/errs"
)

// This file is the API's one error table.

// apiError is a rendered error.
type apiError struct {
	Status  int
	Code    string
	Message string
	Target  string
}

func (e *apiError) Error() string { return "kmsapi " + e.Code + ": " + e.Message }

// ONTAP's generic error codes, so that one client error parser serves the
// whole admin listener.
const (
	codeInternal         = "1"
	codeDuplicate        = "1"
	codeInvalidField     = "2"
	codeNotFound         = "4"
	codeNotAuthenticated = "6"
)

var errUnauthenticated = &apiError{Status: http.StatusUnauthorized, Code: codeNotAuthenticated,
	Message: "User is not authorized."}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Target  string `json:"target,omitempty"`
}

// toAPIError maps err; mapped is false for an internal error.
func toAPIError(err error) (e *apiError, mapped bool) {
	if errors.As(err, &e) {
		return e, true
	}
	var ce *errs.Error
	msg, target := "", ""
	if errors.As(err, &ce) {
		msg, target = ce.Msg, ce.Field
	}
	switch errs.KindOf(err) {
	case errs.KMSKeyNotFound, errs.NotFound:
		return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: msg, Target: target}, true
	case errs.InvalidArgument:
		return &apiError{Status: http.StatusBadRequest, Code: codeInvalidField, Message: msg, Target: target}, true
	case errs.AlreadyExists:
		return &apiError{Status: http.StatusConflict, Code: codeDuplicate, Message: msg, Target: target}, true
	case errs.Unauthenticated:
		return errUnauthenticated, true
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "internal error"}, false
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, mapped := toAPIError(err)
	if !mapped {
		h.o.Logger.Error("kmsapi: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="coffer"`)
	}
	writeJSON(w, e.Status, errorBody{Error: errorJSON{Message: e.Message, Code: e.Code, Target: e.Target}})
}
