package adminclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// LoginOptions are the credentials and the trust of a login.
type LoginOptions struct {
	Endpoint       string
	User, Password string
	TLS            TLSOptions
	// TokenName names the access token on the server (GET /V4/AccessToken
	// lists it). Default "coffer-cli".
	TokenName string
	// RenewFor is how long the token may be renewed before logging in
	// again. Default 14 days (the server's), at most 366.
	RenewFor time.Duration
}

type tokenInfo struct {
	AccessToken             string `json:"accessToken"`
	RefreshToken            string `json:"refreshToken"`
	AccessTokenID           int64  `json:"accessTokenId"`
	UserName                string `json:"userName"`
	TokenExpiryTimestamp    int64  `json:"tokenExpiryTimestamp"`
	RenewableUntilTimestamp int64  `json:"renewableUntilTimestamp"`
}

// Login verifies the credentials and returns a config holding a new
// access token (the password is not kept). The session used to create the
// token is ended.
func Login(ctx context.Context, o LoginOptions) (Config, error) {
	cfg := Config{Endpoint: o.Endpoint, User: o.User, TLS: o.TLS}
	hc, err := httpClient(o.Endpoint, o.TLS, time.Minute)
	if err != nil {
		return cfg, err
	}
	var login struct {
		Token           string `json:"token"`
		IsAccountLocked bool   `json:"isAccountLocked"`
		RemainingLock   int    `json:"remainingLockTime"`
	}
	resp, err := send(ctx, hc, o.Endpoint, request{dialect: Commvault, method: http.MethodPost, path: "/Login",
		body: map[string]string{"username": o.User, "password": base64.StdEncoding.EncodeToString([]byte(o.Password))}}, "")
	if err != nil {
		return cfg, err
	}
	if resp.status >= 300 {
		err := apiError(Commvault, resp)
		if jsonInto(resp.body, &login) == nil && login.IsAccountLocked {
			return cfg, fmt.Errorf("%w; the account is locked for %d more seconds", err, login.RemainingLock)
		}
		return cfg, err
	}
	if err := jsonInto(resp.body, &login); err != nil || login.Token == "" {
		return cfg, fmt.Errorf("login: unexpected answer from %s (is it a Coffer management listener?)", o.Endpoint)
	}
	session := login.Token
	defer func() {
		_, _ = send(context.WithoutCancel(ctx), hc, o.Endpoint, request{dialect: Commvault, method: http.MethodPost, path: "/Logout",
			header: map[string]string{"Authtoken": session}}, "")
	}()
	name := o.TokenName
	if name == "" {
		name = "coffer-cli"
	}
	body := map[string]any{"tokenName": name}
	if o.RenewFor > 0 {
		body["renewableUntilTimestamp"] = time.Now().Add(o.RenewFor).Unix()
	}
	var created struct {
		TokenInfo tokenInfo `json:"tokenInfo"`
	}
	resp, err = send(ctx, hc, o.Endpoint, request{dialect: Commvault, method: http.MethodPost, path: "/V4/AccessToken",
		body: body, header: map[string]string{"Authtoken": session}}, "")
	if err != nil {
		return cfg, err
	}
	if resp.status >= 300 {
		return cfg, apiError(Commvault, resp)
	}
	if err := jsonInto(resp.body, &created); err != nil || created.TokenInfo.AccessToken == "" {
		return cfg, errors.New("login: the server issued no access token")
	}
	t := created.TokenInfo
	cfg.AccessToken, cfg.RefreshToken, cfg.TokenID = t.AccessToken, t.RefreshToken, t.AccessTokenID
	cfg.Expires, cfg.RenewableUntil = time.Unix(t.TokenExpiryTimestamp, 0).UTC(), time.Unix(t.RenewableUntilTimestamp, 0).UTC()
	return cfg, nil
}

type renewed struct {
	AccessToken, RefreshToken string
	Expires                   time.Time
}

func renew(ctx context.Context, hc *http.Client, endpoint, access, refresh string) (renewed, error) {
	resp, err := send(ctx, hc, endpoint, request{dialect: Commvault, method: http.MethodPost, path: "/V4/AccessToken/Renew",
		body: map[string]string{"accessToken": access, "refreshToken": refresh}}, "")
	if err != nil {
		return renewed{}, err
	}
	if resp.status >= 300 {
		return renewed{}, apiError(Commvault, resp)
	}
	var r struct {
		AccessToken          string `json:"accessToken"`
		RefreshToken         string `json:"refreshToken"`
		TokenExpiryTimestamp int64  `json:"tokenExpiryTimestamp"`
	}
	if err := jsonInto(resp.body, &r); err != nil || r.AccessToken == "" {
		return renewed{}, errors.New("token renewal: unexpected answer")
	}
	return renewed{r.AccessToken, r.RefreshToken, time.Unix(r.TokenExpiryTimestamp, 0).UTC()}, nil
}

// Logout revokes the stored token on the server.
func (c *Client) Logout(ctx context.Context) error {
	id := c.Config().TokenID
	if id == 0 {
		return nil
	}
	_, err := c.do(ctx, request{dialect: Commvault, method: http.MethodDelete, path: "/V4/AccessToken/" + strconv.FormatInt(id, 10)}, nil)
	return err
}

// Cluster is the management API's identity (GET /api/cluster).
type Cluster struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	Version struct {
		Full string `json:"full"`
	} `json:"version"`
}

// Cluster reads the cluster's name and version (and proves the token works
// on the ONTAP dialect).
func (c *Client) Cluster(ctx context.Context) (Cluster, error) {
	var out Cluster
	_, err := c.do(ctx, request{dialect: ONTAP, method: http.MethodGet, path: "/cluster"}, &out)
	return out, err
}
