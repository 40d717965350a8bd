package commvault

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/reqlog"
)

// lockedError is the 401 of a request refused by the lockout policy, in
// the shape of a failed Login (isAccountLocked, remainingLockTime), with
// Retry-After.
func lockedError(ls core.LockState, format string) error {
	secs := int(ls.Remaining.Seconds() + 0.999)
	return &apiError{Status: http.StatusUnauthorized, Code: codeInvalidUser, Message: fmt.Sprintf(format, secs),
		retryAfter: secs, extra: map[string]any{"isAccountLocked": true, "remainingLockTime": secs,
			"loginAttempts": ls.Failures}}
}

// Sessions: POST /Login answers a token "QSDK <64 hex>"; later requests
// send it in the Authtoken header (with or without the "QSDK " prefix) or
// as "Authorization: Bearer <token>". Tokens end after Options.SessionIdle
// without use, or at POST /Logout.

// tokenPrefix starts every token Login returns (cvpysdk sends tokens
// without a known prefix as "QSDK <token>").
const tokenPrefix = "QSDK "

// requestToken extracts the session token of a request ("" when none).
func requestToken(r *http.Request) string {
	t := strings.TrimSpace(r.Header.Get("Authtoken"))
	if t == "" {
		a := strings.TrimSpace(r.Header.Get("Authorization"))
		if len(a) > 7 && strings.EqualFold(a[:7], "Bearer ") {
			t = strings.TrimSpace(a[7:])
		}
	}
	if len(t) >= len(tokenPrefix) && strings.EqualFold(t[:len(tokenPrefix)], tokenPrefix) {
		t = strings.TrimSpace(t[len(tokenPrefix):])
	}
	return t
}

// authenticate resumes the session of the request's token. A user
// session whose user was deleted ends. Under the core's lockout policy, a
// blocked client address is refused before the token is looked up, and an
// unknown or expired token counts against its address.
func (h *Handler) authenticate(rq *request) (core.Session, error) {
	addr := reqlog.ClientAddr(rq.r)
	if ls, blocked := h.core.AddressBlocked(addr); blocked {
		return core.Session{}, lockedError(ls, "Too many failed logins from this address; try again in %d seconds.")
	}
	rq.token = requestToken(rq.r)
	sess, err := h.core.ResumeSession(rq.ctx, rq.token)
	if rq.token != "" && core.ReasonOf(err) == core.ReasonSessionInvalid {
		h.core.FailedToken(addr) // a guess; a request without a token is not
	}
	if err != nil {
		return core.Session{}, err
	}
	if sess.Kind == core.SessionUser {
		u, err := h.core.GetUserByID(rq.ctx, sess.UserID)
		if errs.KindOf(err) == errs.NotFound || err == nil && u.Name != sess.Name {
			_ = h.core.EndSession(rq.ctx, rq.token)
			return core.Session{}, errs.New(errs.Unauthenticated, "The user of this session no longer exists.")
		} else if err != nil {
			return core.Session{}, err
		}
	}
	return sess, nil
}

type loginBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Domain   string `json:"domain"`
}

// login is POST /Login: {username, password (base64)} → {token, userName,
// ...}. A failure answers 401 with errList[0].errLogMessage and the lock
// state (isAccountLocked, remainingLockTime in seconds, loginAttempts).
func (h *Handler) login(rq *request) (response, error) {
	var in loginBody
	if err := rq.decode(&in, false); err != nil {
		return response{}, err
	}
	name := in.Username
	if i := strings.LastIndexByte(name, '\\'); i >= 0 { // DOMAIN\user
		name = name[i+1:]
	}
	if name == "" {
		return response{}, errBadInput("username", "username is required.")
	}
	pw, err := decodePassword("password", in.Password)
	if err != nil {
		return response{}, err
	}
	tenant, err := h.tenant(rq)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return response{}, err // without the company, administrators may still log in
	}
	res, err := h.core.Login(rq.ctx, core.LoginInput{Tenant: tenant.UUID, Name: name, Password: pw,
		Addr: reqlog.ClientAddr(rq.r), Idle: h.opts.SessionIdle})
	if err != nil {
		if errs.KindOf(err) != errs.Unauthenticated || core.ReasonOf(err) == core.ReasonLoginBusy {
			return response{}, err
		}
		msg := "Invalid Username or Password."
		if res.Locked {
			msg = errs.Message(err)
		}
		secs := int(res.LockRemaining.Seconds() + 0.999)
		e := &apiError{Status: http.StatusUnauthorized, Code: codeInvalidUser, Message: msg,
			extra: map[string]any{"isAccountLocked": res.Locked, "remainingLockTime": secs,
				"loginAttempts": res.Failures}}
		if res.Locked {
			e.retryAfter = secs
		}
		return response{}, e
	}
	out := map[string]any{
		"token": tokenPrefix + res.Token, "userName": res.Session.Name, "isAccountLocked": false,
		"remainingLockTime": 0, "loginAttempts": 0, "forcePasswordChange": false, "providerType": 1,
		"ccn": 0, "errList": []any{},
		"ownerOrganization": map[string]any{"providerId": tenant.ID, "providerDomainName": tenant.Name},
	}
	if res.Session.Kind == core.SessionUser {
		out["aliasName"] = strconv.Itoa(int(res.User.ID))
		out["userGUID"] = res.User.UUID
		if p, err := h.core.GetUserProfile(rq.ctx, res.User.ID); err == nil {
			out["smtpAddress"] = p.Email
		}
	} else {
		out["capability"] = "administrator"
		// Commvault's administrator is a user: make sure it has one.
		if u, err := h.core.AdminUser(rq.ctx, tenant.UUID, res.Session.Name); err == nil {
			out["aliasName"], out["userGUID"] = strconv.Itoa(int(u.ID)), u.UUID
		} else if tenant.UUID != "" {
			h.log.Warn("commvault: the administrator has no user", "admin", res.Session.Name, "err", err)
		}
	}
	return ok(out), nil
}

// logout is POST /Logout.
func (h *Handler) logout(rq *request) (response, error) {
	if err := h.core.EndSession(rq.ctx, rq.token); err != nil {
		return response{}, err
	}
	return genericOK("User logged out"), nil
}

// whoami is GET /v2/WhoAmI: the caller, with its userId (an
// administrator's too: core.AdminUser).
func (h *Handler) whoami(rq *request) (response, error) {
	u, err := h.whoUser(rq)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]any{"user": u}), nil
}

// tenant returns the default company's tenant.
func (h *Handler) tenant(rq *request) (core.Tenant, error) {
	return h.core.GetTenantByName(rq.ctx, h.opts.Tenant)
}
