package adminclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"coffer/internal/server"
)

// Fingerprint is the SHA-256 fingerprint of a DER certificate in the form
// openssl x509 -fingerprint -sha256 and coffer server print (AB:CD:...):
// the server's own function, so both sides always agree.
func Fingerprint(der []byte) string { return server.Fingerprint(der) }

// NormalizeFingerprint accepts a fingerprint with or without colons, in any
// case, with an optional "SHA256:" or "sha256 Fingerprint=" prefix, and
// returns it in Fingerprint's form; "" when it is not 32 bytes of hex.
func NormalizeFingerprint(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "="); i >= 0 {
		s = s[i+1:] // openssl: "sha256 Fingerprint=AB:…"
	} else if strings.HasPrefix(strings.ToLower(s), "sha256:") {
		s = s[len("sha256:"):]
	}
	s = strings.NewReplacer(":", "", " ", "").Replace(s)
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != sha256.Size {
		return ""
	}
	h := strings.ToUpper(s)
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// CertificateChangedError is returned when the server presents another
// certificate than the one pinned at login.
type CertificateChangedError struct {
	Pinned, Got string
}

func (e *CertificateChangedError) Error() string {
	return fmt.Sprintf("the server's certificate changed (pinned %s, presented %s): if that is expected, run coffer login again", e.Pinned, e.Got)
}

// tlsConfig builds the client's TLS configuration.
func (o TLSOptions) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	switch {
	case o.Fingerprint != "":
		want := NormalizeFingerprint(o.Fingerprint)
		if want == "" {
			return nil, fmt.Errorf("invalid certificate fingerprint %q", o.Fingerprint)
		}
		// The pin replaces chain verification: the server must present
		// exactly this certificate.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server presented no certificate")
			}
			if got := Fingerprint(cs.PeerCertificates[0].Raw); got != want {
				return &CertificateChangedError{Pinned: want, Got: got}
			}
			return nil
		}
	case o.Insecure:
		cfg.InsecureSkipVerify = true
	case o.CACert != "":
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(o.CACert)) {
			return nil, errors.New("the CA file holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Probe is what a TLS handshake showed of a server's certificate.
type Probe struct {
	// Fingerprint is the leaf certificate's SHA-256 fingerprint.
	Fingerprint string
	// Subject and DNSNames describe it; NotAfter is its expiry.
	Subject  string
	DNSNames []string
	NotAfter time.Time
	// VerifyErr is why it does not verify against the roots (the CA file
	// or the system's) for the endpoint's host name; nil when it does.
	VerifyErr error
}

// ProbeTLS connects to an https endpoint, accepting any certificate, and
// reports the certificate and whether it verifies against caPEM (or the
// system roots when caPEM is empty).
func ProbeTLS(ctx context.Context, endpoint, caPEM string) (Probe, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return Probe{}, err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return Probe{}, err
	}
	defer conn.Close()
	cs := conn.(*tls.Conn).ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return Probe{}, errors.New("the server presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	p := Probe{Fingerprint: Fingerprint(leaf.Raw), Subject: leaf.Subject.String(), DNSNames: leaf.DNSNames, NotAfter: leaf.NotAfter}
	opts := x509.VerifyOptions{DNSName: u.Hostname(), Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if caPEM != "" {
		opts.Roots = x509.NewCertPool()
		if !opts.Roots.AppendCertsFromPEM([]byte(caPEM)) {
			return Probe{}, errors.New("the CA file holds no PEM certificate")
		}
	}
	_, p.VerifyErr = leaf.Verify(opts)
	return p, nil
}
