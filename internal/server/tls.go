package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The management listener serves HTTPS by default, as ONTAP and Commvault
// do: with --tls-cert/--tls-key when given, otherwise with a self-signed
// certificate generated at the first start and kept in the data directory
// (DataDir/tls/admin.crt and admin.key, the key 0600), valid for
// selfSignedValidity and regenerated when it has expired or is unreadable.
// Its SHA-256 fingerprint is printed at every start so clients can pin it.
const (
	selfSignedDir      = "tls"
	selfSignedCertName = "admin.crt"
	selfSignedKeyName  = "admin.key"
	selfSignedValidity = 10 * 365 * 24 * time.Hour
)

// adminCert is the certificate the management listener serves.
type adminCert struct {
	cert        tls.Certificate
	fingerprint string // SHA-256 of the leaf certificate's DER, colon-separated upper-case hex
	certPath    string // file the certificate was loaded from
	generated   bool   // true when created by this start
}

// SelfSignedCertPath returns where the generated management certificate
// lives in a data directory (clients may pin it with --cacert).
func SelfSignedCertPath(dataDir string) string {
	return filepath.Join(dataDir, selfSignedDir, selfSignedCertName)
}

// loadOrCreateSelfSigned returns the data directory's self-signed
// certificate, creating it when missing, unreadable or expired. hosts are
// extra DNS names or IP addresses for its subject alternative names.
func loadOrCreateSelfSigned(dataDir string, hosts []string, now time.Time) (adminCert, error) {
	certPath := SelfSignedCertPath(dataDir)
	keyPath := filepath.Join(dataDir, selfSignedDir, selfSignedKeyName)
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && c.Leaf != nil && now.Before(c.Leaf.NotAfter) {
		return adminCert{cert: c, fingerprint: Fingerprint(c.Leaf.Raw), certPath: certPath}, nil
	}
	certPEM, keyPEM, err := generateSelfSigned(hosts, now)
	if err != nil {
		return adminCert{}, err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return adminCert{}, fmt.Errorf("tls dir: %w", err)
	}
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return adminCert{}, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o600); err != nil {
		return adminCert{}, err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return adminCert{}, err
	}
	return adminCert{cert: c, fingerprint: Fingerprint(c.Leaf.Raw), certPath: certPath, generated: true}, nil
}

// generateSelfSigned makes an ECDSA P-256 certificate for localhost,
// 127.0.0.1, ::1, the host name and hosts, valid from an hour before now.
func generateSelfSigned(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	names := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append([]string{h}, hosts...)
	}
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() && !containsIP(ips, ip) {
				ips = append(ips, ip)
			}
			continue
		}
		if !containsFold(names, h) {
			names = append(names, h)
		}
	}
	cn := names[len(names)-1]
	if len(names) > 1 {
		cn = names[1] // the host name
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Coffer self-signed"}},
		DNSNames:              names,
		IPAddresses:           ips,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so that clients can trust it as its own root (--cacert)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), nil
}

// Fingerprint is the SHA-256 fingerprint of a DER certificate in the form
// openssl x509 -fingerprint -sha256 prints (AB:CD:...).
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// loadCertFiles loads --tls-cert/--tls-key.
func loadCertFiles(certPath, keyPath string) (adminCert, error) {
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return adminCert{}, fmt.Errorf("tls: %w", err)
	}
	if c.Leaf == nil {
		return adminCert{}, errors.New("tls: certificate file holds no certificate")
	}
	return adminCert{cert: c, fingerprint: Fingerprint(c.Leaf.Raw), certPath: certPath}, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode) // the umask must not widen or narrow it
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
