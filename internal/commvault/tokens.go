package commvault

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// Long-lived access tokens (Commvault "Access tokens for REST APIs"; the
// core's accesstokens.go): a logged-in caller creates a named token that
// acts as itself, sent like a login token (Authtoken header, raw or with
// "QSDK ", or Authorization: Bearer); it lives 30 minutes unless
// tokenExpiryTimestamp says otherwise, and its refresh token renews it
// (POST /V4/AccessToken/Renew, no session needed) until
// renewableUntilTimestamp (default 14 days). DELETE revokes both.

type createTokenBody struct {
	TokenName        *string  `json:"tokenName"`
	TokenType        *int     `json:"tokenType"`
	TokenExpiry      *int64   `json:"tokenExpiryTimestamp"`
	RenewableUntil   *int64   `json:"renewableUntilTimestamp"`
	APIEndpoints     []string `json:"apiEndpoints"`
	RefreshTokenTime *int64   `json:"refreshTokenExpiryTimestamp"`
}

func unixTime(p *int64) time.Time {
	if p == nil || *p <= 0 {
		return time.Time{}
	}
	return time.Unix(*p, 0)
}

// tokenInfo renders a token (with its secrets when issued now).
func (h *Handler) tokenInfo(rq *request, t core.AccessToken, access, refresh string) map[string]any {
	info := map[string]any{"accessTokenId": t.ID, "tokenName": t.Name, "tokenType": 0,
		"userId": t.Owner.UserID, "userName": t.Owner.Name,
		"tokenExpiryTimestamp": t.Expires.Unix(), "renewableUntilTimestamp": t.RenewableUntil.Unix(),
		"refreshTokenExpiryTimestamp": t.RenewableUntil.Unix(), "createdTimestamp": t.Created.Unix()}
	if t.Owner.Kind == core.SessionAdmin {
		if tn, err := h.tenant(rq); err == nil {
			if u, err := h.core.AdminUser(rq.ctx, tn.UUID, t.Owner.Name); err == nil {
				info["userId"] = u.ID
			}
		}
	}
	if access != "" {
		info["accessToken"], info["refreshToken"] = access, refresh
	}
	return info
}

// createToken is POST /V4/AccessToken {tokenName, tokenType?,
// tokenExpiryTimestamp?, renewableUntilTimestamp?} → {error: {errorCode:
// 0}, tokenInfo: {accessTokenId, tokenName, accessToken, refreshToken,
// userId, tokenExpiryTimestamp, renewableUntilTimestamp,
// refreshTokenExpiryTimestamp}} (cvpysdk user.py create_access_token reads
// error.errorCode and tokenInfo). Only all-scope tokens (tokenType 0 or 2)
// exist in Coffer.
func (h *Handler) createToken(rq *request) (response, error) {
	var in createTokenBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	if in.TokenType != nil && *in.TokenType != 0 && *in.TokenType != 2 || len(in.APIEndpoints) > 0 {
		return response{}, errs.New(errs.NotImplemented, "Only all-scope access tokens (tokenType 0 or 2) are supported.")
	}
	until := unixTime(in.RenewableUntil)
	if until.IsZero() {
		until = unixTime(in.RefreshTokenTime)
	}
	it, err := h.core.CreateAccessToken(rq.ctx, core.CreateAccessTokenInput{Owner: rq.sess, Name: deref(in.TokenName),
		Expires: unixTime(in.TokenExpiry), RenewableUntil: until})
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"error": map[string]any{"errorCode": 0, "errorMessage": ""},
		"tokenInfo": h.tokenInfo(rq, it.AccessToken, it.Token, it.RefreshToken)}), nil
}

// editToken is PUT /V4/AccessToken/{id}: not supported (create a new token
// and revoke the old one).
func (h *Handler) editToken(rq *request) (response, error) {
	return response{}, errs.New(errs.NotImplemented, "Access tokens cannot be edited: create a new one and revoke this one.")
}

// listTokens is GET /V4/AccessToken[?userId=]: the caller's tokens (an
// administrator's: every token, or those of userId), without secrets.
func (h *Handler) listTokens(rq *request) (response, error) {
	var uid int32
	if v := queryGet(rq.r, "userId"); v != "" {
		var err error
		if uid, err = parseID(v, "userId"); err != nil {
			return response{}, err
		}
	}
	ts, err := h.core.ListAccessTokens(rq.ctx, rq.sess, uid)
	if err != nil {
		return response{}, err
	}
	list := []map[string]any{}
	for _, t := range ts {
		list = append(list, h.tokenInfo(rq, t, "", ""))
	}
	return ok(map[string]any{"tokens": list, "errorCode": 0, "errorMessage": ""}), nil
}

// revokeToken is DELETE /V4/AccessToken/{id} → {errorCode: 0, errorMessage}
// (cvpysdk user.py delete_access_token reads errorCode): the token and its
// refresh token stop working at once.
func (h *Handler) revokeToken(rq *request) (response, error) {
	id, err := strconv.ParseInt(rq.params[0], 10, 64)
	if err != nil || id <= 0 {
		return response{}, errBadInput("accessTokenId", "%q is not a valid accessTokenId.", rq.params[0])
	}
	if err := h.core.RevokeAccessToken(rq.ctx, rq.sess, id); err != nil {
		return response{}, err
	}
	return genericOK("The access token was revoked."), nil
}

// renewToken is POST /V4/AccessToken/Renew {accessToken, refreshToken} →
// {accessToken, refreshToken, tokenExpiryTimestamp, errorCode: 0}
// (Commvault's MCP server _refresh_access_token reads both tokens; it
// calls without any auth header). A refresh token works once. An unknown,
// used, revoked or expired one is a 400 REFRESH_TOKEN_EXPIRED (not a 401,
// which cvpysdk would answer with another renewal).
func (h *Handler) renewToken(rq *request) (response, error) {
	var in struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
	}
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	access := strings.TrimSpace(in.AccessToken)
	if len(access) >= len(tokenPrefix) && strings.EqualFold(access[:len(tokenPrefix)], tokenPrefix) {
		access = strings.TrimSpace(access[len(tokenPrefix):])
	}
	it, err := h.core.RenewAccessToken(rq.ctx, access, strings.TrimSpace(in.RefreshToken))
	if errs.KindOf(err) == errs.Unauthenticated {
		return response{}, &apiError{Status: http.StatusBadRequest, Code: codeRefreshTokenExpired, Message: errs.Message(err)}
	} else if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"accessToken": it.Token, "refreshToken": it.RefreshToken,
		"tokenExpiryTimestamp": it.Expires.Unix(), "renewableUntilTimestamp": it.RenewableUntil.Unix(),
		"accessTokenId": it.ID, "errorCode": 0, "errorMessage": ""}), nil
}
