package kms

import (
	"crypto/cipher"

	"coffer/internal/errs"
)

// S3 secret keys are sealed with AES-256-GCM under the master-derived
// secrets key: format(1) = 1 ‖ nonce(12) ‖ ciphertext ‖ tag(16), with the
// access key id as associated data, so a sealed secret copied onto another
// access key does not open. Secrets are few, so random nonces are safe.

const secretFormat = 1

// SecretBox seals S3 secret keys under one master key (core.SecretSealer).
type SecretBox struct {
	aead cipher.AEAD
}

// NewSecretBox returns the secret sealer of a master key, without a store
// (Local has one; rekeying needs the old and the new key's at once).
func NewSecretBox(master []byte) (*SecretBox, error) {
	a, err := newGCM(derive(master, purposeSecrets))
	if err != nil {
		return nil, err
	}
	return &SecretBox{aead: a}, nil
}

func secretAD(accessKey string) []byte {
	return append([]byte("coffer s3 secret v1\x00"), accessKey...)
}

// SealSecret seals an S3 secret key for the access key it belongs to.
func (b *SecretBox) SealSecret(accessKey string, secret []byte) ([]byte, error) {
	nonce := randomBytes(b.aead.NonceSize())
	out := append([]byte{secretFormat}, nonce...)
	return b.aead.Seal(out, nonce, secret, secretAD(accessKey)), nil
}

// OpenSecret opens what SealSecret sealed for the same access key.
func (b *SecretBox) OpenSecret(accessKey string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != secretFormat {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "sealed secret of %q has an unknown format", accessKey)
	}
	s, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], secretAD(accessKey))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "sealed secret of %q", accessKey)
	}
	return s, nil
}

// SealSecret seals an S3 secret key under this KMS's master key.
func (l *Local) SealSecret(accessKey string, secret []byte) ([]byte, error) {
	return l.secrets.SealSecret(accessKey, secret)
}

// OpenSecret opens a secret sealed by SealSecret.
func (l *Local) OpenSecret(accessKey string, sealed []byte) ([]byte, error) {
	return l.secrets.OpenSecret(accessKey, sealed)
}
