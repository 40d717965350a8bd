package collection

import (
	"fmt"

	"coffer/internal/errs"
)

// ONTAP error codes produced by this package. ONTAP sends codes as strings of
// digits in {"error":{"message","code","target"}}.
const (
	// CodeUnexpectedArgument: an unknown query parameter, filter field or
	// body field. Message `Unexpected argument "<name>".` (observed on real
	// ONTAP; spec §1), HTTP 400.
	CodeUnexpectedArgument = "262179"
	// CodeInvalidValue: a reserved parameter or field name list with a bad
	// value. Message `The value "<v>" is invalid for field "<f>" (<type>)`,
	// target = the parameter (observed for fields=, HTTP 400).
	CodeInvalidValue = "262197"
	// CodeInvalidJSON: the request body is not a JSON object. ONTAP's own
	// code for this was not found in any source; Coffer uses the generic
	// "field invalid, missing or extra" code 2 (D-RESP table), HTTP 400.
	CodeInvalidJSON = "2"
	// CodeBodyTooLarge: the request body exceeds MaxBodyBytes. Chosen (no
	// ONTAP source); generic code 2, HTTP 400 (the Kind is EntityTooLarge
	// so an adapter may prefer 413).
	CodeBodyTooLarge = "2"
)

// Error is an ONTAP-dialect error: the code, message and target ONTAP puts in
// its error body. It Is its Kind (errs.InvalidArgument, except
// errs.EntityTooLarge for an oversized body and errs.IncompleteBody for an
// unreadable one) and unwraps to an
// *errs.Error whose Field is Target, so errs.KindOf and errs.Message work.
type Error struct {
	Code    string
	Message string
	Target  string
	Kind    errs.Kind
}

func (e *Error) Error() string {
	if e.Target != "" {
		return fmt.Sprintf("ontap %s: %s (target %s)", e.Code, e.Message, e.Target)
	}
	return fmt.Sprintf("ontap %s: %s", e.Code, e.Message)
}

// Is matches e's Kind (errs.InvalidArgument), an *errs.Error of that Kind,
// or another *Error with the same Code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case errs.Kind:
		return t == e.Kind
	case *errs.Error:
		return t.Kind == e.Kind
	case *Error:
		return t.Code == e.Code
	}
	return false
}

// Unwrap exposes the error as Coffer's *errs.Error (Kind, Msg, Field=Target).
func (e *Error) Unwrap() error {
	return &errs.Error{Kind: e.Kind, Msg: e.Message, Field: e.Target}
}

// UnexpectedArgument returns ONTAP's 262179 error for an unknown parameter
// or field name.
func UnexpectedArgument(name string) *Error {
	return &Error{Code: CodeUnexpectedArgument, Message: fmt.Sprintf("Unexpected argument %q.", errs.Excerpt(name)),
		Target: errs.Excerpt(name), Kind: errs.InvalidArgument}
}

// InvalidValue returns ONTAP's 262197 error: value is not valid for field;
// typ describes what was expected, in ONTAP's notation ("integer",
// "field,...", "boolean").
func InvalidValue(field, value, typ string) *Error {
	return &Error{Code: CodeInvalidValue,
		Message: fmt.Sprintf("The value %q is invalid for field %q (<%s>)", errs.Excerpt(value), errs.Excerpt(field), typ),
		Target:  errs.Excerpt(field), Kind: errs.InvalidArgument}
}
