package commvault

import (
	"errors"
	"net/http"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// This file is the Commvault dialect's one error table: every error the
// core (errs.Kind, core.Reason) or this adapter returns becomes an HTTP
// status and a Commvault ErrorCode, rendered by errorBody as
//
//	{"errorMessage": "...", "errorCode": <code>}
//
// where errorCode is the ErrorCode's ordinal (an int32) for 400, 401, 403,
// 405, 409 and 413, and its name (the string enum) for 404 and 500, as the
// CreateCVS3Store reference documents. Commvault publishes the enum's
// names but not its numbers; Coffer uses their ordinals (docs/commvault.md).
// Anything unmapped is 500 INTERNAL_SERVER_PROBLEM with a generic message,
// logged with the request, its text never sent.

// ErrorCode is Commvault's ErrorCode enum.
type ErrorCode int

// The ErrorCode members, in Commvault's order.
const (
	codeNoError ErrorCode = iota
	codeInvalidInput
	codeValueNotFound
	codeUnknownException
	codeConnectionProblem
	codeUnknownSQLError
	codeInvalidUser
	codeInvalidOperationType
	codeInternalServerProblem
	codeInsufficientPermission
	codeInvalidEntityID
	codeRefreshTokenExpired
)

var codeNames = [...]string{
	"NO_ERROR", "INVALID_INPUT", "VALUE_NOT_FOUND", "UNKNOWN_EXCEPTION", "CONNECTION_PROBLEM",
	"UNKNOWN_SQL_ERROR", "INVALID_USER", "INVALID_OPERATION_TYPE", "INTERNAL_SERVER_PROBLEM",
	"INSUFFICIENT_USER_PERMISSION_ON_ENTITY", "INVALID_ENTITY_ID", "REFRESH_TOKEN_EXPIRED",
}

func (c ErrorCode) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "UNKNOWN_EXCEPTION"
}

// apiError is a rendered Commvault error.
type apiError struct {
	Status  int
	Code    ErrorCode
	Message string
	// allow is the Allow header of a 405.
	allow string
	// extra fields of the body (a failed login's lock state).
	extra map[string]any
	// retryAfter, when set, is sent as Retry-After (seconds).
	retryAfter int
}

func (e *apiError) Error() string { return "commvault " + e.Code.String() + ": " + e.Message }

const msgInternal = "An internal error occurred. Retry the operation; if it persists, contact the administrator."

type entry struct {
	Status int
	Code   ErrorCode
}

// kindTable maps errs.Kind.
var kindTable = map[errs.Kind]entry{
	errs.InvalidArgument:         {http.StatusBadRequest, codeInvalidInput},
	errs.InvalidRequest:          {http.StatusBadRequest, codeInvalidInput},
	errs.InvalidBucketName:       {http.StatusBadRequest, codeInvalidInput},
	errs.MalformedPolicy:         {http.StatusBadRequest, codeInvalidInput},
	errs.IncompleteBody:          {http.StatusBadRequest, codeInvalidInput},
	errs.NotImplemented:          {http.StatusBadRequest, codeInvalidOperationType},
	errs.EntityTooLarge:          {http.StatusRequestEntityTooLarge, codeInvalidInput},
	errs.Unauthenticated:         {http.StatusUnauthorized, codeInvalidUser},
	errs.AccessDenied:            {http.StatusForbidden, codeInsufficientPermission},
	errs.ServiceDisabled:         {http.StatusForbidden, codeInsufficientPermission},
	errs.NotFound:                {http.StatusNotFound, codeValueNotFound},
	errs.NoSuchBucket:            {http.StatusNotFound, codeValueNotFound},
	errs.MethodNotAllowed:        {http.StatusMethodNotAllowed, codeInvalidOperationType},
	errs.AlreadyExists:           {http.StatusConflict, codeInvalidInput},
	errs.BucketAlreadyExists:     {http.StatusConflict, codeInvalidInput},
	errs.BucketAlreadyOwnedByYou: {http.StatusConflict, codeInvalidInput},
	errs.BucketNotEmpty:          {http.StatusConflict, codeInvalidOperationType},
	errs.InUse:                   {http.StatusConflict, codeInvalidOperationType},
	errs.Conflict:                {http.StatusConflict, codeUnknownException},
	errs.Unavailable:             {http.StatusServiceUnavailable, codeConnectionProblem},
	errs.InvalidBucketState:      {http.StatusConflict, codeInvalidOperationType},
}

// reasonTable overrides kindTable for reasons that need another code.
var reasonTable = map[core.Reason]entry{
	core.ReasonJobNotKillable:   {http.StatusBadRequest, codeInvalidOperationType},
	core.ReasonJobFinished:      {http.StatusBadRequest, codeInvalidOperationType},
	core.ReasonVaultRefInvalid:  {http.StatusBadRequest, codeInvalidEntityID},
	core.ReasonBadCredentials:   {http.StatusUnauthorized, codeInvalidUser},
	core.ReasonAccountLocked:    {http.StatusUnauthorized, codeInvalidUser},
	core.ReasonLoginBusy:        {http.StatusServiceUnavailable, codeConnectionProblem},
	core.ReasonSessionInvalid:   {http.StatusUnauthorized, codeInvalidUser},
	core.ReasonNoS3Service:      {http.StatusInternalServerError, codeInternalServerProblem},
	core.ReasonTenantNotFound:   {http.StatusInternalServerError, codeInternalServerProblem},
	core.ReasonRootUser:         {http.StatusBadRequest, codeInvalidOperationType},
	core.ReasonUserInGroup:      {http.StatusConflict, codeInvalidOperationType},
	core.ReasonPasswordTooShort: {http.StatusBadRequest, codeInvalidInput},
	// The WORM storage lock: refused operations, not bad input.
	core.ReasonPlanRetentionLocked: {http.StatusBadRequest, codeInvalidOperationType},
	core.ReasonPlanWORMPermanent:   {http.StatusBadRequest, codeInvalidOperationType},
}

// toAPIError translates err; mapped is false for internal errors (the
// caller logs them).
func toAPIError(err error) (apiError, bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return *ae, true
	}
	msg := errs.Message(err)
	e, ok := reasonTable[core.ReasonOf(err)]
	if !ok {
		e, ok = kindTable[errs.KindOf(err)]
	}
	if !ok || e.Status == http.StatusInternalServerError {
		return apiError{Status: http.StatusInternalServerError, Code: codeInternalServerProblem, Message: msgInternal}, false
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	out := apiError{Status: e.Status, Code: e.Code, Message: msg}
	if core.ReasonOf(err) == core.ReasonLoginBusy {
		out.retryAfter = 5
	}
	return out, true
}

// errorBody renders an error: errorCode as an int, or as the enum's name
// for 404 and 5xx; legacy routes also get Commvault's older errList form.
func errorBody(e apiError, legacy bool) map[string]any {
	body := map[string]any{"errorMessage": e.Message}
	if e.Status == http.StatusNotFound || e.Status >= 500 {
		body["errorCode"] = e.Code.String()
	} else {
		body["errorCode"] = int(e.Code)
	}
	if legacy {
		body["errList"] = []map[string]any{{"errorCode": int(e.Code), "errLogMessage": e.Message}}
	}
	return body
}

// errBadInput is a 400 INVALID_INPUT naming the offending field.
func errBadInput(field, format string, args ...any) error {
	return errs.Field(errs.InvalidArgument, field, format, args...)
}

// errForbidden is a 403 INSUFFICIENT_USER_PERMISSION_ON_ENTITY.
func errForbidden(msg string) error { return errs.New(errs.AccessDenied, "%s", msg) }
