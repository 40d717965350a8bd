package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestSelfSigned_createdOnceThenReused(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	first, err := loadOrCreateSelfSigned(dir, []string{"coffer.example.net", "192.0.2.7", "0.0.0.0", ""}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !first.generated {
		t.Fatal("first start did not generate a certificate")
	}
	leaf := first.cert.Leaf
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	for _, h := range []string{"localhost", "coffer.example.net", "127.0.0.1", "::1", "192.0.2.7"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	if hn, err := os.Hostname(); err == nil && hn != "" {
		if err := leaf.VerifyHostname(hn); err != nil {
			t.Errorf("certificate does not cover the host name %s: %v", hn, err)
		}
	}
	for _, ip := range leaf.IPAddresses {
		if ip.Equal(net.IPv4zero) {
			t.Error("the unspecified address is in the certificate")
		}
	}
	// It verifies as its own root (curl --cacert).
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Errorf("self-signed certificate does not verify against itself: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "tls", "admin.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, fi.Mode())
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(first.fingerprint) {
		t.Fatalf("fingerprint %q", first.fingerprint)
	}

	again, err := loadOrCreateSelfSigned(dir, nil, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if again.generated || again.fingerprint != first.fingerprint {
		t.Fatalf("restart: generated=%v fingerprint %s, want the kept certificate %s", again.generated, again.fingerprint, first.fingerprint)
	}

	// Expired: a new one replaces it.
	later, err := loadOrCreateSelfSigned(dir, nil, now.Add(selfSignedValidity+time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !later.generated || later.fingerprint == first.fingerprint {
		t.Fatal("an expired certificate was not replaced")
	}
}

func TestSelfSigned_unreadableIsReplaced(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tls"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "tls", "admin.crt"), []byte("garbage"), 0o644)
	c, err := loadOrCreateSelfSigned(dir, nil, time.Now())
	if err != nil || !c.generated {
		t.Fatalf("garbage certificate: %v generated=%v", err, c.generated)
	}
}

func TestFingerprint_format(t *testing.T) {
	// sha256("") = e3b0c442...
	if got := Fingerprint(nil); got[:11] != "E3:B0:C4:42" || len(got) != 95 {
		t.Fatalf("Fingerprint(nil) = %s", got)
	}
}
