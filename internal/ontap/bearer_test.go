package ontap

import (
	"context"
	"io"
	"net/http"
	"testing"

	"coffer/internal/core"
)

// An administrator's management token works as `Authorization: Bearer`
// (the coffer CLI's stored token); unknown, ended and users' tokens answer
// 401 code 6.
func TestBearerToken(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	login, err := e.core.Login(ctx, core.LoginInput{Name: testAdmin, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.core.CreateAccessToken(ctx, core.CreateAccessTokenInput{Owner: login.Session, Name: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(auth string) int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/svm/svms", nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		auth string
		want int
	}{
		{"Bearer " + tok.Token, 200},
		{"Bearer " + login.Token, 200},
		{"Bearer QSDK " + login.Token, 200},
		{"Bearer nope", 401},
		{"Bearer ", 401},
	} {
		if got := get(c.auth); got != c.want {
			t.Errorf("%q: status %d, want %d", c.auth, got, c.want)
		}
	}
	if err := e.core.RevokeAccessToken(ctx, login.Session, tok.ID); err != nil {
		t.Fatal(err)
	}
	if got := get("Bearer " + tok.Token); got != 401 {
		t.Errorf("revoked token: status %d, want 401", got)
	}
}
