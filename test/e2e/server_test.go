package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// serverProc is a coffer server started with custom flags and environment.
type serverProc struct {
	cmd       *exec.Cmd
	out       *bytes.Buffer
	s3, admin string
	done      chan error
}

func runServer(t *testing.T, dataDir string, env []string, args ...string) *serverProc {
	t.Helper()
	requireTarget(t)
	if suite.peer {
		t.Skip("needs a Coffer server controlled by the harness (peer mode)")
	}
	s3Addr, _ := freePort()
	adminAddr, _ := freePort()
	p := &serverProc{out: &bytes.Buffer{}, s3: s3Addr, admin: adminAddr, done: make(chan error, 1)}
	full := append([]string{"server", "--data-dir", dataDir, "--s3-addr", s3Addr, "--admin-addr", adminAddr}, args...)
	p.cmd = exec.Command(cofferBin, full...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *serverProc) waitReady(t *testing.T, client *http.Client, scheme string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(scheme + "://" + p.admin + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server not ready; output:\n%s", p.out.String())
}

// stop sends SIGTERM and requires a clean exit.
func (p *serverProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("server exited with %v after SIGTERM; output:\n%s", err, p.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server ignored SIGTERM")
	}
}

// TestServer_generatedRootKeys_printedOnce starts a fresh data directory
// without COFFER_ROOT_* and checks the AWS-style keys printed once work.
func TestServer_generatedRootKeys_printedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := []string{"COFFER_ROOT_ACCESS_KEY=", "COFFER_ROOT_SECRET_KEY="}
	p := runServer(t, dir, env)
	p.waitReady(t, adminHTTPClient(5*time.Second), "https")
	ak := regexp.MustCompile(`AWS_ACCESS_KEY_ID=([A-Z0-9]{20})\n`).FindStringSubmatch(p.out.String())
	sk := regexp.MustCompile(`AWS_SECRET_ACCESS_KEY=([A-Za-z0-9+/]{40})\n`).FindStringSubmatch(p.out.String())
	if ak == nil || sk == nil {
		t.Fatalf("no AWS-style root keys printed:\n%s", p.out.String())
	}
	c := newClient(t, "http://"+p.s3, ak[1], sk[1])
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("generated-keys")}); err != nil {
		t.Fatalf("generated keys do not work: %v", err)
	}
	p.stop(t)

	p2 := runServer(t, dir, env)
	p2.waitReady(t, adminHTTPClient(5*time.Second), "https")
	if strings.Contains(p2.out.String(), "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("root keys printed again on restart:\n%s", p2.out.String())
	}
	c = newClient(t, "http://"+p2.s3, ak[1], sk[1])
	if _, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String("generated-keys")}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	p2.stop(t)
}

// TestServer_tlsVirtualHosted serves HTTPS with --tls-cert/--tls-key and
// resolves buckets from the Host header with --domain.
func TestServer_tlsVirtualHosted(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSignedCert(t, dir, "s3.coffer.test", "*.s3.coffer.test")
	p := runServer(t, filepath.Join(dir, "data"), []string{"COFFER_ROOT_ACCESS_KEY=" + cofferRootAccessKey, "COFFER_ROOT_SECRET_KEY=" + cofferRootSecretKey}, "--tls-cert", certFile, "--tls-key", keyFile, "--domain", "s3.coffer.test")
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	_, port, _ := net.SplitHostPort(p.s3)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		// Every *.s3.coffer.test name goes to the local server.
		DialContext: func(ctx2 context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			if strings.HasSuffix(host, "s3.coffer.test") {
				addr = "127.0.0.1:" + port
			}
			return dialer.DialContext(ctx2, network, addr)
		},
	}}
	adminClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	p.waitReady(t, adminClient, "https")
	c := newClient(t, "https://s3.coffer.test:"+port, cofferRootAccessKey, cofferRootSecretKey, func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = hc
	})
	if _, err := c.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String("vhost-bucket")}); err != nil {
		t.Fatalf("create over TLS, virtual-hosted: %v", err)
	}
	body := []byte("over tls, by host name")
	if _, err := c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("dir/k"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	got, _ := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("dir/k")})
	mustEqualBytes(t, "virtual-hosted GET", got, body)
	// The same object by path style on the same listener.
	pc := newClient(t, "https://s3.coffer.test:"+port, cofferRootAccessKey, cofferRootSecretKey, func(o *s3.Options) { o.HTTPClient = hc })
	got, _ = getBytes(t, pc, &s3.GetObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("dir/k")})
	mustEqualBytes(t, "path-style GET", got, body)
	p.stop(t)
}

func selfSignedCert(t *testing.T, dir string, names ...string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}
