package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client is a minimal S3 client: path-style URLs, SigV4 header signing,
// the handful of operations the workloads need. Safe for concurrent use.
type Client struct {
	// ContentMD5, when set, sends Content-MD5 with every PUT body (S3
	// requires an integrity check on PUTs into a bucket with a default
	// Object Lock retention).
	ContentMD5 bool
	// Payload is the PUT payload mode (PayloadChunked, PayloadSigned,
	// PayloadTrailer, PayloadUnsigned); "" is PayloadSigned.
	Payload string
	// Checksum is PayloadTrailer's algorithm: ChecksumCRC32 ("" too) or
	// ChecksumCRC64NVME.
	Checksum string
	// TrailerChunkSize splits a PayloadTrailer body in chunks of this
	// size; 0 sends one chunk, as aws-sdk-go-v2 does for a body of known
	// length. PayloadChunked's chunk size is the Body's.
	TrailerChunkSize int
	// PutHeaders are added to every PUT (e.g. X-Amz-Storage-Class); x-amz-*
	// ones are signed.
	PutHeaders http.Header

	dials atomic.Int64 // TCP connections opened

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
	c := &Client{
		base:   &url.URL{Scheme: u.Scheme, Host: u.Host},
		signer: &Signer{AccessKey: accessKey, SecretKey: secretKey, Region: region},
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	conns = max(conns, 1)
	tr := &http.Transport{
		Proxy: nil, // loopback benchmarks never go through a proxy
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c.dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		// Keep-alive: an idle pool larger than the number of workers, so
		// that no worker ever waits for (or pays for) a new connection;
		// Dials counts them to prove it.
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   2 * conns,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ResponseHeaderTimeout: 2 * time.Minute,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
	}
	c.http = &http.Client{Transport: tr}
	return c, nil
}

// Dials is the number of TCP connections the client has opened.
func (c *Client) Dials() int64 { return c.dials.Load() }

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

// newRequest builds an unsigned request without a body.
func (c *Client) newRequest(ctx context.Context, method, bucket, key, rawQuery string) (*http.Request, error) {
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
	return http.NewRequestWithContext(ctx, method, u.String(), nil)
}

// do builds, signs and sends one request without a body. The caller must
// drain and close the response body.
func (c *Client) do(ctx context.Context, method, bucket, key, rawQuery string) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, bucket, key, rawQuery)
	if err != nil {
		return nil, err
	}
	c.signer.Sign(req, EmptySHA256, time.Now())
	return c.http.Do(req)
}

// putRequest builds and signs a PutObject of b in the client's payload mode.
func (c *Client) putRequest(ctx context.Context, bucket, key string, b *Body, now time.Time) (*http.Request, error) {
	req, err := c.newRequest(ctx, http.MethodPut, bucket, key, "")
	if err != nil {
		return nil, err
	}
	h := req.Header
	for k, v := range c.PutHeaders {
		h[http.CanonicalHeaderKey(k)] = v
	}
	if c.SSE != "" {
		h["X-Amz-Server-Side-Encryption"] = []string{c.SSE}
	}
	if c.ContentMD5 {
		h["Content-Md5"] = []string{b.MD5}
	}
	var segs [][]byte
	switch c.Payload {
	case PayloadChunked:
		n := chunkedLength(int64(len(b.Data)), b.chunkSize)
		h["Content-Encoding"] = []string{"aws-chunked"}
		h["Content-Length"] = []string{strconv.FormatInt(n, 10)}
		h["X-Amz-Decoded-Content-Length"] = []string{strconv.Itoa(len(b.Data))}
		seed := c.signer.Sign(req, streamingSigned, now)
		segs = chunkedSegments(c.signer, h["X-Amz-Date"][0], seed, b)
	case PayloadTrailer:
		name, value := b.Checksum(c.Checksum)
		h["Content-Encoding"] = []string{"aws-chunked"}
		h["X-Amz-Decoded-Content-Length"] = []string{strconv.Itoa(len(b.Data))}
		h["X-Amz-Trailer"] = []string{name}
		h["X-Amz-Sdk-Checksum-Algorithm"] = []string{strings.ToUpper(strings.TrimPrefix(name, "x-amz-checksum-"))}
		segs = trailerSegments(b, c.TrailerChunkSize, name, value)
		c.signer.Sign(req, streamingUnsignedTrailer, now)
	case PayloadUnsigned:
		segs = [][]byte{b.Data}
		c.signer.Sign(req, unsignedPayload, now)
	default:
		segs = [][]byte{b.Data}
		c.signer.Sign(req, b.SHA256, now)
	}
	req.ContentLength = segmentsLength(segs)
	if req.ContentLength > 0 {
		req.Body = &segmentReader{segs: segs}
		// Lets the transport resend on a keep-alive connection the server
		// closed just before the request went out.
		req.GetBody = func() (io.ReadCloser, error) { return &segmentReader{segs: segs}, nil }
	}
	return req, nil
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
	resp, err := c.do(ctx, http.MethodPut, bucket, "", "")
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

// Put uploads b under key in the client's payload mode.
func (c *Client) Put(ctx context.Context, bucket, key string, b *Body, buf []byte) error {
	req, err := c.putRequest(ctx, bucket, key, b, time.Now())
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
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
	resp, err := c.do(ctx, http.MethodGet, bucket, key, "")
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
	resp, err := c.do(ctx, http.MethodHead, bucket, key, "")
	if err != nil {
		return 0, err
	}
	size := resp.ContentLength
	_, err = finish("HeadObject", resp, buf)
	return size, err
}

// Delete removes key.
func (c *Client) Delete(ctx context.Context, bucket, key string, buf []byte) error {
	resp, err := c.do(ctx, http.MethodDelete, bucket, key, "")
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

// List fetches one ListObjectsV2 page into out (a reusable buffer). It
// does not decode the XML, to keep the client cheap: it counts <Key>
// elements and reads IsTruncated and NextContinuationToken.
func (c *Client) List(ctx context.Context, bucket, prefix, token string, maxKeys int, out *bytes.Buffer) (ListPage, error) {
	q := "list-type=2&max-keys=" + strconv.Itoa(maxKeys) + "&prefix=" + uriEncode(prefix, true)
	if token != "" {
		q = "continuation-token=" + uriEncode(token, true) + "&" + q
	}
	resp, err := c.do(ctx, http.MethodGet, bucket, "", q)
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

// Listing is the outcome of listing a prefix to its end.
type Listing struct {
	Keys  int // distinct keys listed
	Pages int
	// Duplicates counts keys listed again (equal to the key before them);
	// Unordered counts keys not after the key before them otherwise. Both
	// are server bugs: S3 lists keys once each, in UTF-8 binary order, which
	// is also what lets the client prove uniqueness without a set.
	Duplicates, Unordered int
}

// ListAll lists every key under prefix, page by page, following the
// continuation tokens to the end, and checks each key: under prefix,
// strictly after the one before it (across pages too). out is a reusable
// buffer.
func (c *Client) ListAll(ctx context.Context, bucket, prefix string, maxKeys int, out *bytes.Buffer) (Listing, error) {
	var (
		l     Listing
		token string
		last  []byte // the previous key, raw XML text
	)
	open, end := []byte("<Key>"), []byte("</Key>")
	for {
		page, err := c.List(ctx, bucket, prefix, token, maxKeys, out)
		if err != nil {
			return l, err
		}
		l.Pages++
		b := out.Bytes()
		for {
			i := bytes.Index(b, open)
			if i < 0 {
				break
			}
			b = b[i+len(open):]
			j := bytes.Index(b, end)
			if j < 0 {
				return l, errors.New("ListObjectsV2: unterminated <Key>")
			}
			k := b[:j]
			b = b[j+len(end):]
			if !bytes.HasPrefix(k, []byte(prefix)) {
				return l, fmt.Errorf("ListObjectsV2: key %q outside prefix %q", k, prefix)
			}
			switch cmp := bytes.Compare(k, last); {
			case last != nil && cmp == 0:
				l.Duplicates++
				continue
			case last != nil && cmp < 0:
				l.Unordered++
			}
			l.Keys++
			last = append(last[:0], k...)
		}
		if !page.Truncated {
			return l, nil
		}
		if page.Keys == 0 {
			return l, errors.New("ListObjectsV2: truncated page without keys")
		}
		token = page.NextToken
	}
}

var xmlUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&#34;", `"`, "&#39;", "'", "&amp;", "&")

func xmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return xmlUnescaper.Replace(s)
}
