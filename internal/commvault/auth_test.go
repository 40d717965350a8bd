package commvault

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"coffer/internal/core"
)

func TestLogin_tokenForms(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	tok := n.admin(t)
	bare := strings.TrimPrefix(tok, "QSDK ")
	n.call(t, "GET", "/commandcenter/api/V4/Plan/Summary", tok, nil).must(t, 200)
	n.call(t, "GET", "/commandcenter/api/V4/Plan/Summary", bare, nil).must(t, 200)
	// Authorization: Bearer.
	req, _ := http.NewRequest("GET", n.api.URL+"/commandcenter/api/V4/Plan/Summary", nil)
	req.Header.Set("Authorization", "Bearer "+bare)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("Bearer: HTTP %d", resp.StatusCode)
	}
	// A token from one node works on another sharing the store.
	other := e.addNode("node-b", nil)
	other.call(t, "GET", "/webconsole/api/V4/Plan/Summary", tok, nil).must(t, 200)
	// Logout ends it everywhere.
	n.call(t, "POST", "/commandcenter/api/Logout", tok, nil).must(t, 200)
	n.call(t, "GET", "/commandcenter/api/V4/Plan/Summary", tok, nil).mustError(t, 401, int(codeInvalidUser))
	other.call(t, "GET", "/commandcenter/api/V4/Plan/Summary", tok, nil).mustError(t, 401, int(codeInvalidUser))
}

func TestLogin_failuresAndLockout(t *testing.T) {
	e := newTestEnvWith(t, envOpts{coreTweak: func(o *core.Options) {
		o.LoginMaxFailures, o.LoginLockout = 3, 500*time.Millisecond
	}})
	n := e.api()
	login := func(pw string) reply {
		return n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"username": testAdmin, "password": b64(pw)})
	}
	r := login("wrong").mustError(t, 401, int(codeInvalidUser))
	if r.str("errList.0.errLogMessage") == "" || r.str("isAccountLocked") != "false" || r.num("loginAttempts") != 1 {
		t.Fatalf("failed login: %s", r.Raw)
	}
	login("wrong").must(t, 401)
	r = login("wrong").must(t, 401)
	if r.str("isAccountLocked") != "true" || r.num("remainingLockTime") < 1 {
		t.Fatalf("third failure should lock: %s", r.Raw)
	}
	// Locked: even the right password fails.
	r = login(testPassword).must(t, 401)
	if r.str("isAccountLocked") != "true" || !strings.Contains(r.str("errList.0.errLogMessage"), "locked") {
		t.Fatalf("locked account accepted a login: %s", r.Raw)
	}
	time.Sleep(600 * time.Millisecond)
	n.admin(t) // the lock ran out
	// Malformed requests.
	n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"username": testAdmin, "password": "not base64!"}).mustError(t, 400, 1)
	n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"password": b64("x")}).mustError(t, 400, 1)
	n.call(t, "POST", "/commandcenter/api/Login", "", "{").mustError(t, 400, 1)
}

func TestSession_idleExpiry(t *testing.T) {
	e := newTestEnvWith(t, envOpts{tweak: func(o *Options) { o.SessionIdle = 300 * time.Millisecond }})
	n := e.api()
	tok := n.admin(t)
	for i := 0; i < 4; i++ { // used within the idle time: stays valid
		time.Sleep(150 * time.Millisecond)
		n.call(t, "GET", "/commandcenter/api/V4/Plan/Summary", tok, nil).must(t, 200)
	}
	time.Sleep(400 * time.Millisecond)
	n.call(t, "GET", "/commandcenter/api/V4/Plan/Summary", tok, nil).mustError(t, 401, int(codeInvalidUser))
}

// Users with a password log in and act on their own keys only.
func TestUserLogin_ownKeys(t *testing.T) {
	e := newTestEnv(t)
	n := e.api()
	f := e.fixture(t)
	tok := n.login(t, f.ownerName, f.ownerPassword)
	w := n.call(t, "GET", "/commandcenter/api/v2/WhoAmI", tok, nil).must(t, 200)
	if w.num("user.userId") != f.owner {
		t.Fatalf("whoami: %s", w.Raw)
	}
	g := n.call(t, "GET", "/commandcenter/api/V4/User/S3AccessKey", tok, nil).must(t, 200)
	if g.str("accessKeyID") == "" || g.get("secretAccessKey") != nil || g.num("response.errorCode") != 200 {
		t.Fatalf("GET own key: %s", g.Raw)
	}
	p := n.call(t, "PUT", "/commandcenter/api/V4/User/S3AccessKey", tok, nil).must(t, 200)
	if p.str("accessKeyID") == "" || p.str("accessKeyID") == g.str("accessKeyID") || p.str("secretAccessKey") == "" {
		t.Fatalf("PUT own key: %s", p.Raw)
	}
	n.call(t, "GET", "/commandcenter/api/V4/User/S3AccessKey", tok, nil).must(t, 200)
	n.call(t, "GET", "/commandcenter/api/V4/user/"+itoa64(f.owner), tok, nil).must(t, 200)
	n.call(t, "GET", "/commandcenter/api/V4/user/"+itoa64(f.owner)+"/S3AccessKey", tok, nil).must(t, 200)
	// A user that is deleted loses its session.
	admin := f.token
	n.call(t, "DELETE", "/commandcenter/api/V4/user/"+itoa64(f.owner), admin, nil).must(t, 200)
	n.call(t, "GET", "/commandcenter/api/V4/User/S3AccessKey", tok, nil).mustError(t, 401, int(codeInvalidUser))
	// A user without a password cannot log in.
	tn, _ := e.core.GetTenantByName(bg, "default")
	n.call(t, "POST", "/commandcenter/api/Login", "", map[string]any{"username": "root", "password": b64("anything")}).must(t, 401)
	_ = tn
}

func TestRoute_match(t *testing.T) {
	cases := []struct {
		method, path, pattern string
		params                []string
		status                int
	}{
		{"POST", "/commandcenter/api/Login", "login", nil, 0},
		{"POST", "/commandcenter/api/login/", "login", nil, 0},
		{"GET", "/commandcenter/api/V4/User/S3AccessKey", "v4/user/s3accesskey", nil, 0},
		{"GET", "/commandcenter/api/v4/user/s3accesskey", "v4/user/s3accesskey", nil, 0},
		{"GET", "/commandcenter/api/V4/User/12/S3AccessKey", "v4/user/{id}/s3accesskey", []string{"12"}, 0},
		{"GET", "/commandcenter/api/V4/user/12", "v4/user/{id}", []string{"12"}, 0},
		{"DELETE", "/commandcenter/api/V4/User/S3AccessKey", "", nil, 405},
		{"POST", "/webconsole/api/V4/CVS3Store", "v4/cvs3store", nil, 0},
		{"GET", "/WEBCONSOLE/API/v4/CvS3Stores", "v4/cvs3stores", nil, 0},
		{"POST", "/commandcenter/api/V4/Client/1000000001/CVS3endpoint", "v4/client/{id}/cvs3endpoint", []string{"1000000001"}, 0},
		{"POST", "/commandcenter/api/Job/5/Action/Kill", "job/{id}/action/kill", []string{"5"}, 0},
		{"GET", "/commandcenter/api/Job/5", "job/{id}", []string{"5"}, 0},
		{"GET", "/commandcenter/apix/Job/5", "", nil, 404},
		{"GET", "/commandcenter/api", "", nil, 0},
		{"GET", "/webconsole/api/", "", nil, 0},
		{"POST", "/commandcenter/api//V4/AccessToken", "v4/accesstoken", nil, 0},
		{"POST", "/commandcenter/api/V4/AccessToken/Renew", "v4/accesstoken/renew", nil, 0},
		{"DELETE", "/commandcenter/api//V4/AccessToken/7", "v4/accesstoken/{id}", []string{"7"}, 0},
		{"PUT", "/commandcenter/api/user/3/enable", "user/{id}/enable", []string{"3"}, 0},
		{"POST", "/commandcenter/api/Jobs/MultiJobOperation", "jobs/multijoboperation", nil, 0},
		{"GET", "/api/Job", "", nil, 404},
		{"PATCH", "/commandcenter/api/Job/5", "", nil, 405},
	}
	for _, c := range cases {
		r, params, err := match(c.method, c.path)
		if c.status != 0 {
			e, _ := toAPIError(err)
			if err == nil || e.Status != c.status {
				t.Errorf("%s %s: got %v, want HTTP %d", c.method, c.path, err, c.status)
			}
			continue
		}
		if err != nil || r.pattern != c.pattern || strings.Join(params, ",") != strings.Join(c.params, ",") {
			t.Errorf("%s %s: got %q %v %v, want %q %v", c.method, c.path, r.pattern, params, err, c.pattern, c.params)
		}
	}
}
