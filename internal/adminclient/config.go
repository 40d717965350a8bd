// Package adminclient is a client of Coffer's management API for the
// coffer CLI: the ONTAP dialect under /api (tenants = SVMs, S3 servers,
// users and keys, groups, policies, buckets, jobs) and the Commvault dialect
// under /commandcenter/api (plans, vaults, jobs, login and access tokens).
// It never touches a data directory.
//
// Authentication: Login trades an administrator's name and password for a
// Commvault access token and its refresh token (POST /Login, then
// POST /V4/AccessToken; the password is not kept). The access token is
// sent as `Authorization: Bearer` to both dialects and renewed with the
// refresh token (POST /V4/AccessToken/Renew) when it expires, until the
// token's renewal limit; the renewed pair is written back to the config
// file.
//
// TLS: the management listener serves HTTPS, by default with a self-signed
// certificate. A certificate that verifies (system roots, or the CA file
// given at login) is trusted as is; otherwise Login pins the SHA-256
// fingerprint of the server's certificate, as ssh's known_hosts does, and
// every later connection must present that very certificate.
package adminclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Config is what `coffer login` stores: where the management API is, how to
// trust it, and the token. The file is written owner-only (0600).
type Config struct {
	// Endpoint is the management listener's base URL (https://host:9001).
	Endpoint string `json:"endpoint"`
	// User is the administrator the token acts as.
	User string `json:"user"`
	// AccessToken and RefreshToken are the Commvault access token pair;
	// TokenID identifies it (DELETE /V4/AccessToken/{id} at logout).
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenID      int64  `json:"token_id"`
	// Expires is when AccessToken ends; RenewableUntil when the refresh
	// token stops renewing it (then log in again).
	Expires        time.Time  `json:"expires"`
	RenewableUntil time.Time  `json:"renewable_until"`
	TLS            TLSOptions `json:"tls"`
}

// TLSOptions says how the management listener's certificate is trusted.
type TLSOptions struct {
	// CACert is a PEM bundle of the CAs to trust (--ca-file), instead of
	// the system's roots.
	CACert string `json:"ca_cert,omitempty"`
	// Fingerprint pins the server's certificate: its SHA-256, colon-separated
	// upper-case hex (what coffer server prints at start).
	Fingerprint string `json:"fingerprint,omitempty"`
	// Insecure accepts any certificate (--insecure without pinning).
	Insecure bool `json:"insecure,omitempty"`
}

// ConfigPath is $COFFER_CONFIG, or config.json in the user's configuration
// directory (~/.config/coffer/config.json).
func ConfigPath() (string, error) {
	if p := os.Getenv("COFFER_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory (set COFFER_CONFIG): %w", err)
	}
	return filepath.Join(dir, "coffer", "config.json"), nil
}

// ErrNotLoggedIn is returned by LoadConfig when there is no config file.
var ErrNotLoggedIn = errors.New("not logged in: run coffer login first")

// LoadConfig reads a config file.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, ErrNotLoggedIn
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if c.Endpoint == "" {
		return c, ErrNotLoggedIn
	}
	return c, nil
}

// SaveConfig writes a config file owner-only, atomically (a temp file
// renamed over it), creating its directory owner-only.
func SaveConfig(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".config-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
