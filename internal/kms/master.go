package kms

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of the master key: 32 bytes (AES-256).
const MasterKeySize = 32

// The master key's text form, in a file or in COFFER_KMS_MASTER_KEY, is
// either 64 hexadecimal digits (`openssl rand -hex 32`) or the standard
// base64 of 32 bytes, 44 characters with padding (`openssl rand -base64 32`).
// The two cannot be confused: they differ in length. Surrounding white space
// (a trailing newline) is ignored. A generated file holds the base64 form.

// ParseMasterKey decodes the text form of a master key.
func ParseMasterKey(text string) ([]byte, error) {
	t := strings.TrimSpace(text)
	var key []byte
	var err error
	switch len(t) {
	case 2 * MasterKeySize:
		key, err = hex.DecodeString(t)
	case base64.StdEncoding.EncodedLen(MasterKeySize):
		key, err = base64.StdEncoding.DecodeString(t)
	default:
		return nil, fmt.Errorf("a master key is 32 bytes written as 64 hex digits or 44 base64 characters, not %d characters", len(t))
	}
	if err != nil || len(key) != MasterKeySize {
		return nil, errors.New("a master key is 32 bytes written as 64 hex digits or 44 base64 characters; this one does not decode")
	}
	return key, nil
}

// FormatMasterKey is the text form a generated key file holds (base64).
func FormatMasterKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key) + "\n"
}

// ReadMasterKeyFile reads and parses a key file; an absent file is reported
// with an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadMasterKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, nil
}

// WriteMasterKeyFile creates path (mode 0600, its directory 0700 when
// missing) with a new random key; it refuses to overwrite an existing file.
func WriteMasterKeyFile(path string) ([]byte, error) {
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(FormatMasterKey(key))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return key, nil
}

// Purposes of the keys derived from the master key. The master key itself
// encrypts nothing: each use has its own key, so no ciphertext made for one
// purpose can be passed off as another's.
const (
	purposeWrap    = "coffer kms: wrap named key versions v1"
	purposeSecrets = "coffer kms: seal S3 secret keys v1"
	purposeCheck   = "coffer kms: master key check v1"
)

func derive(master []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, master, nil, purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	return k
}
