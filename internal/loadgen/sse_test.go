package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientSSE: with SSE set, PUTs carry the (signed) header and an answer
// that does not report the encryption is an error.
func TestClientSSE(t *testing.T) {
	echo := true
	var sawHeader, signed bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			sawHeader = r.Header.Get("X-Amz-Server-Side-Encryption") == "AES256"
			signed = strings.Contains(r.Header.Get("Authorization"), "x-amz-server-side-encryption")
		}
		if echo {
			w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, "ak", "sk", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	c.SSE = "AES256"
	buf := make([]byte, 1024)
	if err := c.Put(context.Background(), "b", "k", NewBody([]byte("x"), 0), buf); err != nil {
		t.Fatal(err)
	}
	if !sawHeader || !signed {
		t.Fatalf("PUT header sent %v, signed %v", sawHeader, signed)
	}
	if _, err := c.Get(context.Background(), "b", "k", -1, buf); err != nil {
		t.Fatal(err)
	}
	echo = false
	if err := c.Put(context.Background(), "b", "k", NewBody([]byte("x"), 0), buf); err == nil {
		t.Fatal("a PUT answer without the encryption header was accepted")
	}
	if _, err := c.Get(context.Background(), "b", "k", -1, buf); err == nil {
		t.Fatal("a GET answer without the encryption header was accepted")
	}
	if err := (&Config{Endpoint: "x", AccessKey: "a", SecretKey: "b", Bucket: "c", Workload: "put16m", SSE: "DES"}).Validate(); err == nil {
		t.Fatal("bad SSE mode accepted")
	}
}
