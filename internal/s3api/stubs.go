package s3api

import "coffer/internal/errs"

// notImplemented is the answer of an operation whose family is routed but
// not built yet.
func notImplemented(op OpKind) error {
	return errs.New(errs.NotImplemented, "%s is not implemented", op)
}
