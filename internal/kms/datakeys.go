package kms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"coffer/internal/errs"
)

// A sealed data key is
//
//	format(1) = 1 ‖ key version(4, big-endian) ‖ iv(32) ‖ AES-256-GCM ciphertext(32) ‖ tag(16)
//
// sealed with a one-time key HMAC-SHA256(version key, iv) and nonce iv[:12],
// so a key version seals any number of data keys without the 2^32 bound of
// random GCM nonces under one key. The associated data binds it to the
// named key's id, the header and the caller's context; Decrypt reads the
// version from the header, so a rotated key still opens every data key
// sealed before.
const (
	sealFormat = 1
	sealHeader = 1 + 4
	sealIV     = 32
	// SealedSize is the length of a sealed data key.
	SealedSize = sealHeader + sealIV + 32 + 16
)

func dataKeyAD(id string, header, context []byte) []byte {
	ad := make([]byte, 0, 32+len(id)+len(header)+len(context))
	ad = append(ad, "coffer data key v1\x00"...)
	ad = append(ad, id...)
	ad = append(ad, 0)
	ad = append(ad, header...)
	return append(ad, context...)
}

func oneTimeKey(versionKey, iv []byte) []byte {
	m := hmac.New(sha256.New, versionKey)
	m.Write(iv)
	return m.Sum(nil)
}

// GenerateDataKey returns a fresh 32-byte data key sealed under the current
// version of keyID ("" means DefaultKeyID; an alias or ARN is resolved).
func (l *Local) GenerateDataKey(ctx context.Context, keyID string, context []byte) (DataKey, error) {
	if keyID == "" {
		keyID = DefaultKeyID
	}
	e, err := l.entry(ctx, keyID, false)
	if err != nil {
		return DataKey{}, err
	}
	vk, err := l.versionKey(e, e.rec.Current)
	if err != nil {
		return DataKey{}, err
	}
	plain := randomBytes(32)
	sealed := make([]byte, sealHeader, SealedSize)
	sealed[0] = sealFormat
	binary.BigEndian.PutUint32(sealed[1:], e.rec.Current)
	iv := randomBytes(sealIV)
	sealed = append(sealed, iv...)
	k := oneTimeKey(vk, iv)
	aead, err := newGCM(k)
	if err != nil {
		return DataKey{}, err
	}
	sealed = aead.Seal(sealed, iv[:aead.NonceSize()], plain, dataKeyAD(e.rec.ID, sealed[:sealHeader], context))
	return DataKey{KeyID: e.rec.ID, Plaintext: plain, Sealed: sealed}, nil
}

// Decrypt opens a data key sealed by GenerateDataKey under keyID with the
// same context. A sealed value that does not open is errs.Internal with
// cause ErrInvalidCiphertext.
func (l *Local) Decrypt(ctx context.Context, keyID string, sealed, context []byte) ([]byte, error) {
	if keyID == "" {
		keyID = DefaultKeyID
	}
	if len(sealed) != SealedSize || sealed[0] != sealFormat {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "sealed data key has an unknown format")
	}
	e, err := l.entry(ctx, keyID, false)
	if err != nil {
		return nil, err
	}
	v := binary.BigEndian.Uint32(sealed[1:])
	if _, ok := e.rec.version(v); !ok {
		// A rotation newer than the cached record (just committed, or
		// made by another node): read the key again.
		if e, err = l.entry(ctx, keyID, true); err != nil {
			return nil, err
		}
	}
	vk, err := l.versionKey(e, v)
	if err != nil {
		return nil, err
	}
	iv := sealed[sealHeader : sealHeader+sealIV]
	k := oneTimeKey(vk, iv)
	aead, err := newGCM(k)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, iv[:aead.NonceSize()], sealed[sealHeader+sealIV:], dataKeyAD(e.rec.ID, sealed[:sealHeader], context))
	if err != nil {
		return nil, errs.Wrap(errs.Internal, ErrInvalidCiphertext, "data key sealed under KMS key %q", e.rec.ID)
	}
	return plain, nil
}
