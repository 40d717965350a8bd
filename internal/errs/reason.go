package errs

import (
	"errors"
	"fmt"
)

// Reason is a stable code that tells apart rule violations sharing one
// Kind. It sits in the Err chain of the *Error a domain package returns,
// so adapters test it with errors.Is(err, core.ReasonUserNameChars) or read
// it with ReasonOf(err). The string values are stable (they may be logged
// or persisted in a job's error) and are never shown as messages. Each
// domain package declares its own reasons (internal/core/reasons.go lists
// the core's, with the ONTAP code each one maps to).
type Reason string

// Error makes a Reason usable as an errors.Is target.
func (r Reason) Error() string { return "reason " + string(r) }

// ReasonOf returns the Reason in err's chain, or "".
func ReasonOf(err error) Reason {
	var r Reason
	if errors.As(err, &r) {
		return r
	}
	return ""
}

// Fail builds a rule violation: kind, reason, the offending field and a
// human message (arguments quoted in it are bounded, see ExcerptQuoted).
func Fail(k Kind, r Reason, field, format string, args ...any) error {
	return &Error{Kind: k, Field: field, Msg: fmt.Sprintf(format, ExcerptQuoted(format, args)...), Err: r}
}
