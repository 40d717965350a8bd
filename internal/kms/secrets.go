package kms

import "coffer/internal/errs"

// S3 secret keys are sealed with AES-256-GCM under the master-derived
// secrets key: format(1) = 1 ‖ nonce(12) ‖ ciphertext ‖ tag(16), with the
// access key id as associated data, so a sealed secret copied onto another
// access key does not open. Secrets are few, so random nonces are safe.

const secretFormat = 1

func secretAD(accessKey string) []byte {
	return append([]byte("coffer s3 secret v1\x00"), accessKey...)
}

// SealSecret seals an S3 secret key for the access key it belongs to.
func (l *Local) SealSecret(accessKey string, secret []byte) ([]byte, error) {
	nonce := randomBytes(l.secrets.NonceSize())
	out := append([]byte{secretFormat}, nonce...)
	return l.secrets.Seal(out, nonce, secret, secretAD(accessKey)), nil
}

// OpenSecret opens what SealSecret sealed for the same access key.
func (l *Local) OpenSecret(accessKey string, sealed []byte) ([]byte, error) {
	n := l.secrets.NonceSize()
	if len(sealed) < 1+n || sealed[0] != secretFormat {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "sealed secret of %q has an unknown format", accessKey)
	}
	s, err := l.secrets.Open(nil, sealed[1:1+n], sealed[1+n:], secretAD(accessKey))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "sealed secret of %q", accessKey)
	}
	return s, nil
}
