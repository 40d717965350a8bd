package s3api

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request refused before its body was read (here: a malformed
// Content-MD5, InvalidDigest) still gets its S3 error when the client sends the
// whole body first, as SDKs do with a multipart part: the server reads the
// rest of the body instead of closing the connection on the client (which
// then sees a reset, not the error).
func TestErrorAfterUnreadBodyReachesTheClient(t *testing.T) {
	h := newHarness(t, nil)
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	const size = 16 << 20 // more than the socket buffers hold
	head := fmt.Sprintf("PUT /bkt/part HTTP/1.1\r\nHost: %s\r\nContent-MD5: not-a-digest\r\nContent-Length: %d\r\n\r\n", h.srv.Listener.Addr(), size)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(bytes.Repeat([]byte{'x'}, size)); err != nil {
		t.Fatalf("sending the body: %v (the server closed the connection before the client could read its error)", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 400 || !strings.Contains(string(body), "<Code>") {
		t.Fatalf("status %d, body %q: want an S3 error", resp.StatusCode, body)
	}
}

// TestRefusedExpectContinueAnswersAtOnceAndReadsTheBody: a request with
// "Expect: 100-continue" that is refused gets its error at once, with no
// 100 Continue before it; a client that sends the body anyway
// (aws-sdk-go-v2 does) must be able to send all of it, i.e. the server
// reads it instead of resetting the connection.
func TestRefusedExpectContinueAnswersAtOnceAndReadsTheBody(t *testing.T) {
	h := newHarness(t, nil)
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	const size = 16 << 20
	head := fmt.Sprintf("PUT /bkt/part HTTP/1.1\r\nHost: %s\r\nContent-MD5: not-a-digest\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", h.srv.Listener.Addr(), size)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	start := time.Now()
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidDigest</Code>") {
		t.Fatalf("status %d, body %q: want InvalidDigest (and no 100 Continue first)", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the error took %v: it must not wait for the body", d)
	}
	if _, err := conn.Write(bytes.Repeat([]byte{'x'}, size)); err != nil {
		t.Fatalf("sending the body after the error: %v (the server reset the connection instead of reading it)", err)
	}
}
