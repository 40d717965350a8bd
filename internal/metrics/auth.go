package metrics

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"coffer/internal/core"
	"coffer/internal/errs"
	"coffer/internal/reqlog"
)

// Admins verifies management logins (core.Service).
type Admins interface {
	VerifyAdmin(ctx context.Context, name, password string) (core.Admin, error)
}

// Auth is who may read the metrics. Coffer's default, like MinIO's and
// AWS's, is that metrics are not public: a request must carry the bearer
// Token (when one is configured) or a cluster administrator's HTTP Basic
// credentials. Public opens them to anyone who reaches the management
// listener (Prometheus's common "scrape without credentials" setup on a
// private network).
type Auth struct {
	// Token, when set, is accepted as "Authorization: Bearer <Token>".
	// At least 16 characters.
	Token string
	// Public serves the metrics without credentials. Exclusive with Token.
	Public bool
	// Admins, when set, accepts administrators' HTTP Basic credentials.
	Admins Admins
}

// MinTokenLength is the shortest accepted metrics token.
const MinTokenLength = 16

// Validate reports a problem with the settings.
func (a Auth) Validate() error {
	var problems []error
	if a.Token != "" && len(a.Token) < MinTokenLength {
		problems = append(problems, errors.New("the metrics token must have at least 16 characters"))
	}
	if a.Token != "" && a.Public {
		problems = append(problems, errors.New("a metrics token and public metrics exclude each other"))
	}
	return errors.Join(problems...)
}

// Authorize reports whether r may read the metrics, with the principal to
// log ("" for public access), or an error of kind Unauthenticated.
func (a Auth) Authorize(r *http.Request) (principal string, err error) {
	if a.Public {
		return "", nil
	}
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok && a.Token != "" {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(a.Token)) == 1 {
			return "metrics-token", nil
		}
		return "", errs.New(errs.Unauthenticated, "the metrics token is not valid")
	}
	if user, pass, ok := r.BasicAuth(); ok && a.Admins != nil {
		adm, err := a.Admins.VerifyAdmin(r.Context(), user, pass)
		if err != nil {
			return "", err
		}
		return adm.Name, nil
	}
	return "", errs.New(errs.Unauthenticated, "credentials are required")
}

// check answers 401 (500 when the check itself failed) and returns false
// when r may not read.
func (a Auth) check(w http.ResponseWriter, r *http.Request, rec *reqlog.Record) bool {
	p, err := a.Authorize(r)
	if err == nil {
		rec.SetPrincipal(p)
		return true
	}
	status := http.StatusInternalServerError
	if errs.KindOf(err) == errs.Unauthenticated {
		status = http.StatusUnauthorized
		if a.Token != "" {
			w.Header().Add("WWW-Authenticate", `Bearer realm="coffer"`)
		}
		if a.Admins != nil {
			w.Header().Add("WWW-Authenticate", `Basic realm="coffer"`)
		}
	}
	rec.SetErrorCode(http.StatusText(status))
	http.Error(w, http.StatusText(status), status)
	return false
}
