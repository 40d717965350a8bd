// Package kms is Coffer's key management: one master key per deployment
// (from a file or an environment variable, never in kv), named keys stored
// wrapped by it in kv, and data keys wrapped by a named key. The object layer
// asks it for a fresh data key per object version and keeps only the sealed
// form in the version record; rotating a named key rewraps, never rewrites
// data.
package kms

import "context"

// DefaultKeyID names the deployment's built-in key used for SSE-S3
// (x-amz-server-side-encryption: AES256) and for SSE-KMS requests that name
// no key.
const DefaultKeyID = "coffer-default"

// DataKey is a fresh data key: its plaintext, for encrypting now, and its
// sealed form, for storing.
type DataKey struct {
	KeyID     string // the named key that sealed it (DefaultKeyID for SSE-S3)
	Plaintext []byte // 32 bytes; never stored
	Sealed    []byte // opaque; only Decrypt with the same KeyID and context opens it
}

// Service seals and opens data keys. Every error for a key that does not
// exist or is disabled is of kind errs.KMSKeyNotFound. Implementations are
// safe for concurrent use.
type Service interface {
	// GenerateDataKey returns a new data key sealed under keyID ("" means
	// DefaultKeyID), bound to context (e.g. bucket and key), which Decrypt
	// must be given again.
	GenerateDataKey(ctx context.Context, keyID string, context []byte) (DataKey, error)
	// Decrypt opens a sealed data key.
	Decrypt(ctx context.Context, keyID string, sealed, context []byte) ([]byte, error)
}
