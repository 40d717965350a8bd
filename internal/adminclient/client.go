package adminclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Dialects of the management API.
const (
	ONTAP     = "ONTAP"
	Commvault = "Commvault"
)

const (
	ontapRoot = "/api"
	cvRoot    = "/commandcenter/api"
)

// APIError is an error answered by the management API, with the dialect's
// code and message.
type APIError struct {
	Dialect string
	Status  int
	Code    string
	Message string
	Target  string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s error %s: %s", e.Dialect, e.Code, e.Message)
	if e.Target != "" {
		s += " (" + e.Target + ")"
	}
	return s + fmt.Sprintf(" [HTTP %d]", e.Status)
}

// IsNotFound reports whether err is an API error for a missing entity.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// Client calls the management API with a stored token.
type Client struct {
	mu   sync.Mutex
	cfg  Config
	hc   *http.Client
	save func(Config) error // persists a renewed token; may be nil
	load func() (Config, error)
	now  func() time.Time
}

// Options configures a Client.
type Options struct {
	// Save is called with the config after the token was renewed (to write
	// the config file); nil keeps it in memory only.
	Save func(Config) error
	// Load rereads the config before a renewal, so that a token another
	// process renewed meanwhile is used instead of failing; may be nil.
	Load func() (Config, error)
	// Timeout bounds each request. Default 2 minutes.
	Timeout time.Duration
}

// New returns a client for cfg.
func New(cfg Config, o Options) (*Client, error) {
	hc, err := httpClient(cfg.Endpoint, cfg.TLS, o.Timeout)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, hc: hc, save: o.Save, load: o.Load, now: time.Now}, nil
}

func httpClient(endpoint string, t TLSOptions, timeout time.Duration) (*http.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want https://host:port", endpoint)
	}
	tc, err := t.tlsConfig(u.Hostname())
	if err != nil {
		return nil, err
	}
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.Proxy = http.ProxyFromEnvironment
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// Config returns the client's current config (with a renewed token).
func (c *Client) Config() Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// request is one API call.
type request struct {
	dialect string
	method  string
	path    string // below the dialect's root
	query   url.Values
	body    any
	header  map[string]string
	noAuth  bool
}

// response is a call's answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) token(ctx context.Context, force bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !force && c.cfg.AccessToken != "" && (c.cfg.Expires.IsZero() || c.now().Add(30*time.Second).Before(c.cfg.Expires)) {
		return c.cfg.AccessToken, nil
	}
	if c.load != nil {
		// Another coffer process may have renewed the pair already: the
		// refresh token in memory would then be spent.
		if disk, err := c.load(); err == nil && disk.Endpoint == c.cfg.Endpoint && disk.RefreshToken != c.cfg.RefreshToken {
			c.cfg = disk
			if c.now().Add(30 * time.Second).Before(disk.Expires) {
				return disk.AccessToken, nil
			}
		}
	}
	if c.cfg.RefreshToken == "" {
		return "", errors.New("the stored token has expired: run coffer login again")
	}
	renewed, err := renew(ctx, c.hc, c.cfg.Endpoint, c.cfg.AccessToken, c.cfg.RefreshToken)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status < 500 {
			return "", fmt.Errorf("the stored token could not be renewed (%v): run coffer login again", err)
		}
		return "", err
	}
	c.cfg.AccessToken, c.cfg.RefreshToken, c.cfg.Expires = renewed.AccessToken, renewed.RefreshToken, renewed.Expires
	if c.save != nil {
		if err := c.save(c.cfg); err != nil {
			return "", fmt.Errorf("saving the renewed token: %w", err)
		}
	}
	return c.cfg.AccessToken, nil
}

// do sends rq with the token, renewing it once on a 401.
func (c *Client) do(ctx context.Context, rq request, out any) (*response, error) {
	for attempt := 0; ; attempt++ {
		var tok string
		if !rq.noAuth {
			var err error
			if tok, err = c.token(ctx, attempt > 0); err != nil {
				return nil, err
			}
		}
		resp, err := send(ctx, c.hc, c.cfg.Endpoint, rq, tok)
		if err != nil {
			return nil, err
		}
		if resp.status == http.StatusUnauthorized && !rq.noAuth && attempt == 0 {
			continue
		}
		if resp.status >= 300 {
			return resp, apiError(rq.dialect, resp)
		}
		if out != nil && len(bytes.TrimSpace(resp.body)) > 0 {
			if err := json.Unmarshal(resp.body, out); err != nil {
				return resp, fmt.Errorf("%s %s: unexpected answer: %w", rq.method, rq.path, err)
			}
		}
		return resp, nil
	}
}

func send(ctx context.Context, hc *http.Client, endpoint string, rq request, token string) (*response, error) {
	root := ontapRoot
	if rq.dialect == Commvault {
		root = cvRoot
	}
	u := strings.TrimRight(endpoint, "/") + root + rq.path
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	var body io.Reader
	if rq.body != nil {
		b, err := json.Marshal(rq.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		var cc *CertificateChangedError
		if errors.As(err, &cc) {
			return nil, cc
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// apiError decodes an error answer of either dialect.
func apiError(dialect string, resp *response) error {
	e := &APIError{Dialect: dialect, Status: resp.status}
	var ontapErr struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Target  string `json:"target"`
		} `json:"error"`
	}
	var cv struct {
		ErrorCode    json.RawMessage `json:"errorCode"`
		ErrorMessage string          `json:"errorMessage"`
		ErrList      []struct {
			ErrorCode     json.RawMessage `json:"errorCode"`
			ErrLogMessage string          `json:"errLogMessage"`
		} `json:"errList"`
		Error *struct {
			ErrorCode     json.RawMessage `json:"errorCode"`
			ErrorMessage  string          `json:"errorMessage"`
			ErrLogMessage string          `json:"errLogMessage"`
		} `json:"error"`
	}
	switch {
	case dialect == ONTAP && json.Unmarshal(resp.body, &ontapErr) == nil && ontapErr.Error.Code != "":
		e.Code, e.Message, e.Target = ontapErr.Error.Code, ontapErr.Error.Message, ontapErr.Error.Target
	case dialect == Commvault && json.Unmarshal(resp.body, &cv) == nil:
		switch {
		case cv.ErrorMessage != "":
			e.Code, e.Message = rawCode(cv.ErrorCode), cv.ErrorMessage
		case len(cv.ErrList) > 0:
			e.Code, e.Message = rawCode(cv.ErrList[0].ErrorCode), cv.ErrList[0].ErrLogMessage
		case cv.Error != nil:
			e.Code, e.Message = rawCode(cv.Error.ErrorCode), cv.Error.ErrorMessage+cv.Error.ErrLogMessage
		}
	}
	if e.Message == "" {
		e.Code = fmt.Sprint(resp.status)
		e.Message = strings.TrimSpace(http.StatusText(resp.status))
		if t := strings.TrimSpace(string(resp.body)); t != "" && len(t) < 200 {
			e.Message += ": " + t
		}
	}
	return e
}

// rawCode renders a Commvault errorCode, a number or an enum name.
func rawCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}
