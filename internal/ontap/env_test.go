package ontap

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coffer/internal/core"
	"coffer/internal/objects"
	"coffer/internal/testkit"
)

// testEnv is the ONTAP handler over a real core (Pebble and the object
// layer in a temporary directory), served by httptest.
type testEnv struct {
	t     *testing.T
	core  *core.Service
	obj   *objects.Service
	srv   *httptest.Server
	clock *testkit.Clock // the core's clock in these tests
}

const (
	testAdmin    = "admin"
	testPassword = "ontap-test-password"
)

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	st := testkit.NewStore(t, nil)
	kv, obj := st.KV, st.Objects
	clock := testkit.NewClock(time.Now())
	c, err := core.New(core.Options{KV: kv, Objects: obj, PasswordIterations: 1000, ClusterName: "cluster1",
		Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BootstrapAdmin(context.Background(), testAdmin, testPassword); err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Core: c})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return &testEnv{t: t, core: c, obj: obj, srv: srv, clock: clock}
}

// reply is a decoded response.
type reply struct{ testkit.Reply }

func (e *testEnv) do(method, path, body string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(testAdmin, testPassword)
	req.Header.Set("Content-Type", "application/json")
	return reply{testkit.Send(e.t, nil, path, req)}
}

// must checks the status of a reply.
func (r reply) must(t *testing.T, status int) reply {
	t.Helper()
	r.Reply.Must(t, status)
	return r
}

// errCode returns error.code of an error reply.
func (r reply) errCode() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// mkSVM creates an SVM with an S3 server and returns its uuid.
func (e *testEnv) mkSVM(name string) string {
	e.t.Helper()
	r := e.do("POST", "/api/svm/svms?return_timeout=30", `{"name":"`+name+`"}`).must(e.t, 201)
	loc := r.Header.Get("Location")
	uuid := loc[strings.LastIndex(loc, "/")+1:]
	e.do("POST", "/api/protocols/s3/services", `{"svm":{"uuid":"`+uuid+`"},"name":"`+name+`.example.com"}`).must(e.t, 201)
	return uuid
}
