package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"coffer/internal/core"
	"coffer/internal/errs"
)

// admins accepts one name and password (the core's VerifyAdmin is tested
// in core; here only the rule of who may read matters).
type admins struct{ name, password string }

func (a admins) VerifyAdmin(_ context.Context, name, password string) (core.Admin, error) {
	if name == a.name && password == a.password {
		return core.Admin{Name: name}, nil
	}
	return core.Admin{}, errs.New(errs.Unauthenticated, "invalid user name or password")
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestAuth_rules(t *testing.T) {
	const token = "0123456789abcdef-token"
	adm := admins{"admin", "secret-password"}
	for _, c := range []struct {
		name   string
		auth   Auth
		header string
		want   int
	}{
		{"default refuses anonymous", Auth{Admins: adm}, "", 401},
		{"default takes the administrator", Auth{Admins: adm}, basic("admin", "secret-password"), 200},
		{"default refuses a wrong password", Auth{Admins: adm}, basic("admin", "nope"), 401},
		{"default refuses a bearer token", Auth{Admins: adm}, "Bearer " + token, 401},
		{"token", Auth{Token: token, Admins: adm}, "Bearer " + token, 200},
		{"wrong token", Auth{Token: token, Admins: adm}, "Bearer " + token + "x", 401},
		{"token set, administrator still accepted", Auth{Token: token, Admins: adm}, basic("admin", "secret-password"), 200},
		{"token set, anonymous refused", Auth{Token: token}, "", 401},
		{"public", Auth{Public: true}, "", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(Options{Auth: c.auth})
			if err != nil {
				t.Fatal(err)
			}
			for path, h := range map[string]func() (int, string){
				"/metrics": func() (int, string) {
					w := httptest.NewRecorder()
					r := httptest.NewRequest("GET", "/metrics", nil)
					if c.header != "" {
						r.Header.Set("Authorization", c.header)
					}
					m.Handler().ServeHTTP(w, r)
					return w.Code, strings.Join(w.Header().Values("WWW-Authenticate"), ", ")
				},
				"/api/coffer/stats": func() (int, string) {
					w := httptest.NewRecorder()
					r := httptest.NewRequest("GET", "/api/coffer/stats", nil)
					if c.header != "" {
						r.Header.Set("Authorization", c.header)
					}
					m.StatsHandler().ServeHTTP(w, r)
					return w.Code, strings.Join(w.Header().Values("WWW-Authenticate"), ", ")
				},
			} {
				code, challenge := h()
				if code != c.want {
					t.Errorf("%s: %d, want %d", path, code, c.want)
				}
				if code == 401 && (c.auth.Admins != nil) != strings.Contains(challenge, "Basic") {
					t.Errorf("%s: challenge %q", path, challenge)
				}
			}
		})
	}
}

func TestAuth_validate(t *testing.T) {
	if err := (Auth{Token: "short"}).Validate(); err == nil {
		t.Error("a 5-character token accepted")
	}
	if err := (Auth{Token: "0123456789abcdef", Public: true}).Validate(); err == nil {
		t.Error("token and public together accepted")
	}
	if _, err := New(Options{Auth: Auth{Token: "short"}}); err == nil {
		t.Error("New accepted a short token")
	}
}
