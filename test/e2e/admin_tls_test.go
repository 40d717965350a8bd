package e2e

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The management listener serves HTTPS by default with a self-signed
// certificate kept in the data directory; its fingerprint is printed and
// logged; --admin-insecure-http serves plain HTTP; the S3 listener stays
// plain HTTP without --tls-cert.

func servedFingerprint(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS handshake with the management listener %s: %v", addr, err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

var fingerprintLine = regexp.MustCompile(`SHA-256 fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n`)

func TestAdminTLS_selfSignedByDefault_keptAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"COFFER_ROOT_ACCESS_KEY=" + cofferRootAccessKey, "COFFER_ROOT_SECRET_KEY=" + cofferRootSecretKey,
		"COFFER_ADMIN_PASSWORD=" + cofferAdminPassword}
	p := runServer(t, dir, env)
	p.waitReady(t, adminHTTPClient(5*time.Second), "https")

	m := fingerprintLine.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("no SHA-256 fingerprint printed at start:\n%s", p.out.String())
	}
	if got := servedFingerprint(t, p.admin); got != m[1] {
		t.Fatalf("printed fingerprint %s, served certificate %s", m[1], got)
	}
	// The JSON log is written in the background (every 100 ms).
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.out.String(), `"sha256_fingerprint":"`+m[1]+`"`); {
		if time.Now().After(deadline) {
			t.Fatalf("fingerprint not in the JSON log:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The key is private to the server's user.
	if fi, err := os.Stat(filepath.Join(dir, "tls", "admin.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin.key: %v, mode %v", err, fi)
	}
	// A client that trusts exactly this certificate verifies it for 127.0.0.1 and localhost.
	srv := &cofferServer{dataDir: dir, adminAddr: p.admin}
	hc := srv.AdminClient(10 * time.Second)
	_, port, _ := strings.Cut(p.admin, ":")
	for _, base := range []string{srv.AdminEndpoint(), "https://localhost:" + port} {
		resp, err := hc.Get(base + "/health/live")
		if err != nil {
			t.Fatalf("pinned client, %s: %v", base, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s/health/live: %d", base, resp.StatusCode)
		}
	}
	// curl --cacert with the generated file, as the docs say.
	if code, body := curl(t, "--cacert", srv.AdminCertFile(), "-u", cofferAdminUser+":"+cofferAdminPassword,
		"https://localhost:"+port+"/api/cluster"); code != 200 || !strings.Contains(string(body), `"name"`) {
		t.Fatalf("curl --cacert /api/cluster: %d %s", code, body)
	}
	// Plain HTTP to the management listener gets no management API.
	resp, err := http.Get("http://" + p.admin + "/health/ready")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the HTTPS admin listener: %d, want 400", resp.StatusCode)
		}
	}
	// The S3 listener still speaks plain HTTP.
	if resp, err := http.Get("http://" + p.s3 + "/"); err != nil {
		t.Fatalf("S3 listener over plain HTTP: %v", err)
	} else {
		resp.Body.Close()
	}
	p.stop(t)

	p2 := runServer(t, dir, env)
	p2.waitReady(t, adminHTTPClient(5*time.Second), "https")
	m2 := fingerprintLine.FindStringSubmatch(p2.out.String())
	if m2 == nil || m2[1] != m[1] || strings.Contains(p2.out.String(), "generated now") {
		t.Fatalf("restart changed or regenerated the certificate (was %s):\n%s", m[1], p2.out.String())
	}
	if got := servedFingerprint(t, p2.admin); got != m[1] {
		t.Fatalf("after restart the listener serves %s, want %s", got, m[1])
	}
	p2.stop(t)
}

func TestAdminTLS_insecureHTTPOnlyWhenAsked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := runServer(t, dir, []string{"COFFER_ADMIN_INSECURE_HTTP=1"})
	p.waitReady(t, &http.Client{Timeout: 5 * time.Second}, "http")
	if !strings.Contains(p.out.String(), "plain HTTP") {
		t.Fatalf("no warning about plain HTTP:\n%s", p.out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "tls", "admin.crt")); err == nil {
		t.Fatal("a certificate was generated although the listener serves plain HTTP")
	}
	p.stop(t)
	p2 := runServer(t, dir, nil, "--admin-insecure-http")
	p2.waitReady(t, &http.Client{Timeout: 5 * time.Second}, "http")
	p2.stop(t)
}
