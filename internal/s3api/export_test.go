package s3api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"coffer/internal/core"
	"coffer/internal/sigv4"
)

// NewObservedHandler is newLoggedHandler with a request observer, for the
// benchmarks of package s3api_test (which may import internal/metrics).
func NewObservedHandler(tb testing.TB, log *slog.Logger, obs RequestObserver) http.Handler {
	tb.Helper()
	h, err := New(Options{Backend: newFakeBackend(), Authorizer: &fakeAuthz{}, Logger: log, Observer: obs,
		authenticate: func(r *http.Request) (core.Principal, *sigv4.Auth, error) {
			return testPrincipal, &sigv4.Auth{AccessKey: testPrincipal.AccessKey, Mode: sigv4.PayloadUnsigned, DecodedLength: -1}, nil
		}})
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range []string{"/bkt", "/bkt/dir/key"} {
		w := httptest.NewRecorder()
		body := ""
		if p != "/bkt" {
			body = "hello, world"
		}
		h.ServeHTTP(w, httptest.NewRequest("PUT", p, strings.NewReader(body)))
		if w.Code != 200 {
			tb.Fatalf("PUT %s: %d %s", p, w.Code, w.Body)
		}
	}
	return h
}
