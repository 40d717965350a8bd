package loadgen

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a minimal S3 client: path-style URLs, SigV4 header signing,
// the handful of operations the workloads need. Safe for concurrent use.
type Client struct {
	// ContentMD5, when set, sends Content-MD5 with every PUT body (S3
	// requires an integrity check on PUTs into a bucket with a default
	// Object Lock retention).
	ContentMD5 bool

	base   *url.URL // scheme and host of the endpoint
	signer *Signer
	http   *http.Client
	// SSE, when set ("AES256" or "aws:kms"), is sent as
	// x-amz-server-side-encryption on every PUT, and PUT and GET answers
	// must report it (a server that ignores the header fails the run).
	SSE string
}

// NewClient returns a client for endpoint ("http://host:port"). conns sizes
// the connection pool; it should be at least the number of concurrent
// callers so that every worker keeps its own keep-alive connection.
func NewClient(endpoint, accessKey, secretKey, region string, conns int) (*Client, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("endpoint %q: want http://host:port", endpoint)
	}
	tr := &http.Transport{
		Proxy:                 nil, // loopback benchmarks never go through a proxy
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   2 * conns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 2 * time.Minute,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
	}
	return &Client{
		base:   &url.URL{Scheme: u.Scheme, Host: u.Host},
		signer: &Signer{AccessKey: accessKey, SecretKey: secretKey, Region: region},
		http:   &http.Client{Transport: tr},
	}, nil
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// S3Error is a non-2xx answer.
type S3Error struct {
	Op     string
	Status int
	Code   string // the S3 error code from the XML body, if any
}

func (e *S3Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s: HTTP %d %s", e.Op, e.Status, e.Code)
	}
	return fmt.Sprintf("%s: HTTP %d", e.Op, e.Status)
}

// do builds, signs and sends one request. body may be nil. The caller
// must drain and close the response body.
func (c *Client) do(ctx context.Context, method, bucket, key, rawQuery string, body []byte, bodySHA string) (*http.Response, error) {
	path := "/" + bucket
	if key != "" {
		path += "/" + key
	}
	u := *c.base
	u.Path = path
	if enc := CanonicalURI(path); enc != path {
		u.RawPath = enc
	}
	u.RawQuery = rawQuery
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	} else {
		bodySHA = EmptySHA256
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if c.SSE != "" && method == http.MethodPut && key != "" {
		req.Header["X-Amz-Server-Side-Encryption"] = []string{c.SSE}
	}
	c.signer.Sign(req, bodySHA, time.Now())
	if c.ContentMD5 && body != nil {
		sum := md5.Sum(body)
		req.Header["Content-Md5"] = []string{base64.StdEncoding.EncodeToString(sum[:])}
	}
	return c.http.Do(req)
}

// drain reads r to the end with buf (large reads go straight to the socket)
// and returns the byte count.
func drain(r io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// finish drains and closes a response, turning a non-2xx status into an
// *S3Error. It returns the number of body bytes.
func finish(op string, resp *http.Response, buf []byte) (int64, error) {
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_, _ = drain(resp.Body, buf)
		return 0, &S3Error{Op: op, Status: resp.StatusCode, Code: xmlField(head, "Code")}
	}
	return drain(resp.Body, buf)
}

// xmlField returns the text of the first <name>…</name> in b, or "".
func xmlField(b []byte, name string) string {
	open := []byte("<" + name + ">")
	i := bytes.Index(b, open)
	if i < 0 {
		return ""
	}
	rest := b[i+len(open):]
	j := bytes.Index(rest, []byte("</"+name+">"))
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// CreateBucket creates bucket; a bucket the caller already owns is fine.
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, http.MethodPut, bucket, "", "", nil, "")
	if err != nil {
		return err
	}
	_, err = finish("CreateBucket", resp, make([]byte, 4096))
	var se *S3Error
	if errors.As(err, &se) && se.Status == http.StatusConflict && se.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	return err
}

// Put uploads body under key with its precomputed hex SHA-256 as the signed
// payload hash.
func (c *Client) Put(ctx context.Context, bucket, key string, body []byte, bodySHA string, buf []byte) error {
	resp, err := c.do(ctx, http.MethodPut, bucket, key, "", body, bodySHA)
	if err != nil {
		return err
	}
	_, err = finish("PutObject", resp, buf)
	if err == nil {
		err = c.checkSSE("PutObject", resp)
	}
	return err
}

// checkSSE fails an answer that does not report the requested encryption.
func (c *Client) checkSSE(op string, resp *http.Response) error {
	if c.SSE == "" {
		return nil
	}
	if got := resp.Header.Get("X-Amz-Server-Side-Encryption"); got != c.SSE {
		return fmt.Errorf("%s: x-amz-server-side-encryption %q, want %q", op, got, c.SSE)
	}
	return nil
}

// Get downloads key, discarding the bytes, and returns their number. When
// want >= 0 a different length is an error.
func (c *Client) Get(ctx context.Context, bucket, key string, want int64, buf []byte) (int64, error) {
	resp, err := c.do(ctx, http.MethodGet, bucket, key, "", nil, "")
	if err != nil {
		return 0, err
	}
	n, err := finish("GetObject", resp, buf)
	if err == nil && want >= 0 && n != want {
		err = fmt.Errorf("GetObject %s: got %d bytes, want %d", key, n, want)
	}
	if err == nil {
		err = c.checkSSE("GetObject", resp)
	}
	return n, err
}

// Head returns the Content-Length of key.
func (c *Client) Head(ctx context.Context, bucket, key string, buf []byte) (int64, error) {
	resp, err := c.do(ctx, http.MethodHead, bucket, key, "", nil, "")
	if err != nil {
		return 0, err
	}
	size := resp.ContentLength
	_, err = finish("HeadObject", resp, buf)
	return size, err
}

// Delete removes key.
func (c *Client) Delete(ctx context.Context, bucket, key string, buf []byte) error {
	resp, err := c.do(ctx, http.MethodDelete, bucket, key, "", nil, "")
	if err != nil {
		return err
	}
	_, err = finish("DeleteObject", resp, buf)
	return err
}

// ListPage is what the workloads need from one ListObjectsV2 page.
type ListPage struct {
	Keys      int
	Truncated bool
	NextToken string
}

// List fetches one ListObjectsV2 page. It counts <Key> elements instead of
// decoding the XML, to keep the client cheap; out is a reusable buffer.
func (c *Client) List(ctx context.Context, bucket, prefix, token string, maxKeys int, out *bytes.Buffer) (ListPage, error) {
	q := "list-type=2&max-keys=" + strconv.Itoa(maxKeys) + "&prefix=" + uriEncode(prefix, true)
	if token != "" {
		q = "continuation-token=" + uriEncode(token, true) + "&" + q
	}
	resp, err := c.do(ctx, http.MethodGet, bucket, "", q, nil, "")
	if err != nil {
		return ListPage{}, err
	}
	defer resp.Body.Close()
	out.Reset()
	if _, err := out.ReadFrom(resp.Body); err != nil {
		return ListPage{}, err
	}
	if resp.StatusCode/100 != 2 {
		return ListPage{}, &S3Error{Op: "ListObjectsV2", Status: resp.StatusCode, Code: xmlField(out.Bytes(), "Code")}
	}
	b := out.Bytes()
	p := ListPage{
		Keys:      bytes.Count(b, []byte("<Key>")),
		Truncated: xmlField(b, "IsTruncated") == "true",
	}
	if p.Truncated {
		p.NextToken = xmlUnescape(xmlField(b, "NextContinuationToken"))
		if p.NextToken == "" {
			return p, errors.New("ListObjectsV2: truncated page without NextContinuationToken")
		}
	}
	return p, nil
}

var xmlUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&#34;", `"`, "&#39;", "'", "&amp;", "&")

func xmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return xmlUnescaper.Replace(s)
}
