package errs_test

import (
	"fmt"
	"testing"

	"coffer/internal/errs"
)

func TestKindOfUnavailableWins(t *testing.T) {
	cause := &errs.Error{Kind: errs.Unavailable, Msg: "database down"}
	for _, err := range []error{
		cause,
		fmt.Errorf("loading bucket: %w", cause),
		errs.Wrap(errs.Internal, cause, "PutObject"),
		errs.Wrap(errs.Conflict, fmt.Errorf("x: %w", cause), "y"),
	} {
		if k := errs.KindOf(err); k != errs.Unavailable {
			t.Errorf("KindOf(%v) = %v, want Unavailable", err, k)
		}
	}
	if k := errs.KindOf(errs.Wrap(errs.Internal, fmt.Errorf("plain"), "x")); k != errs.Internal {
		t.Errorf("KindOf(internal) = %v", k)
	}
}
