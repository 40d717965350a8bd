package e2e

// The web console in a real browser: Debian's chromium, headless, driven
// by chromedp against a private server. One browser and one server serve
// the whole test. With COFFER_CONSOLE_SCREENSHOTS=DIR it also writes a
// screenshot of every page at 1280 and 390 px wide into DIR (docs/console
// keeps them; scripts/console-screenshots.sh refreshes them).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath finds the browser; without one the test fails on CI (the
// test script installs it) and skips elsewhere.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (scripts/test.sh installs Debian's chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// browserCtx starts one headless chromium with a fresh profile.
func browserCtx(t *testing.T, downloads string) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("ignore-certificate-errors", true), // the admin listener's self-signed certificate
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	// chromedp may log from its goroutines while the browser stops: never
	// after the test has ended (t.Logf would panic).
	var logMu sync.Mutex
	ended := false
	logf := func(f string, a ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !ended {
			t.Logf(f, a...)
		}
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithLogf(logf),
		chromedp.WithBrowserOption(chromedp.WithConsolef(func(f string, a ...any) { logf("browser console: "+f, a...) })))
	t.Cleanup(func() {
		cancelC()
		cancelA()
		logMu.Lock()
		ended = true
		logMu.Unlock()
	})
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// The first run opens the tab, which lives as long as that run's
	// context: this one, without a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// page drives the console in one tab.
type page struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(what, err)
	}
}

// get runs one action that answers a value.
func pget[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 45*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fail(what, err)
	}
	return v
}

func (p *page) fail(what string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		f := filepath.Join(os.TempDir(), "coffer-console-failure.png")
		if os.WriteFile(f, png, 0o644) == nil {
			p.t.Logf("screenshot of the failure: %s", f)
		}
	}
	p.t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
}

// open shows a console route and waits until the page rendered.
func (p *page) open(route string) {
	p.t.Helper()
	name := strings.SplitN(route, "?", 2)[0]
	js := fmt.Sprintf(`(() => { const m = document.getElementById("main"); m.removeAttribute("data-ready");
		const h = %q; if (location.hash === h) dispatchEvent(new HashChangeEvent("hashchange")); else location.hash = h; return true; })()`, "#/"+route)
	pget(p, "open "+route, chromedp.Evaluate[bool](js))
	p.run("open "+route, chromedp.WaitVisible(chromedp.CSS(`main[data-ready="`+name+`"]`)))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	p.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	return strings.TrimSpace(pget(p, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func (p *page) bodyText() string {
	return pget(p, "body text", chromedp.Evaluate[string](`document.body.innerText`))
}

// shot writes the viewport at 1280 and 390 px wide (with COFFER_CONSOLE_SCREENSHOTS).
func (p *page) shot(name string) {
	p.t.Helper()
	if p.shots == "" {
		return
	}
	for _, w := range []int64{1280, 390} {
		h := int64(900)
		if w == 390 {
			h = 844
		}
		p.run("viewport", jsAction(`document.getElementById("notices").replaceChildren()`), chromedp.EmulateViewport(w, h), chromedp.Sleep(150*time.Millisecond))
		buf := pget(p, "screenshot "+name, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(p.shots, fmt.Sprintf("%s-%d.png", name, w)), buf, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	p.run("viewport", chromedp.EmulateViewport(1280, 900))
}

func adminJSON(t *testing.T, srv *cofferServer, method, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.AdminEndpoint()+path, nil)
	req.SetBasicAuth(cofferAdminUser, cofferAdminPassword)
	resp, err := srv.AdminClient(10 * time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func waitFile(t *testing.T, path string, size int64) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Size() == size {
			if _, err := os.Stat(path + ".crdownload"); os.IsNotExist(err) {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("download %s of %d bytes did not arrive; directory has %v", path, size, names)
	return nil
}

// setv sets a control's value as typing would, with input and change events.
func setv(sel, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) throw new Error("no element %s");
		el.value = %q; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`,
		sel, strings.ReplaceAll(sel, `"`, `'`), value)
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return chromedp.Void{}, err
	})
}

// jsAction runs a statement in the page.
func jsAction(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(() => { "+js+"; return true; })()")(ctx, t)
		return chromedp.Void{}, err
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestConsoleBrowser(t *testing.T) {
	requireTarget(t)
	chromiumPath(t)
	srv := startPrivateCoffer(t)
	downloads := t.TempDir()
	p := &page{t: t, ctx: browserCtx(t, downloads), base: srv.AdminEndpoint() + "/console/", shots: os.Getenv("COFFER_CONSOLE_SCREENSHOTS")}
	if p.shots != "" {
		if err := os.MkdirAll(p.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// Log in: a wrong password first, rendered as an error, then the right one.
	p.run("load", chromedp.Navigate(p.base), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="login"]`)))
	p.shot("login")
	p.run("bad login", setv(`#login-form [name=password]`, "wrong-password"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#login-form .error`)))
	if msg := p.text(`#login-form .error`); !strings.Contains(strings.ToLower(msg), "password") && !strings.Contains(strings.ToLower(msg), "login") {
		t.Errorf("bad login shows %q", msg)
	}
	// Five failed logins lock a name: the page says so, with the time left.
	locked := false
	for i := 0; i < 6 && !locked; i++ {
		p.run("failed login", setv(`#login-form [name=username]`, "ghost"), setv(`#login-form [name=password]`, "wrong-password"),
			jsAction(`document.querySelector("#login-form .form-error").replaceChildren()`),
			chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#login-form .error`)))
		locked = strings.Contains(p.text(`#login-form .error`), "locked")
	}
	if !locked {
		t.Errorf("no lockout shown after failed logins: %q", p.text(`#login-form .error`))
	} else if msg := p.text(`#login-form .error`); !strings.Contains(msg, "seconds") {
		t.Errorf("lockout message %q names no remaining time", msg)
	}
	p.shot("login-locked")
	p.run("login", setv(`#login-form [name=username]`, cofferAdminUser),
		setv(`#login-form [name=password]`, cofferAdminPassword),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="dashboard"]`)))
	if s := p.text(`#who`); !strings.Contains(s, cofferAdminUser) {
		t.Errorf("header shows %q, want the user", s)
	}
	p.shot("dashboard")

	// Keyboard (after a reload, which keeps the tab's session): the first Tab reaches the skip link, then the menu; Enter on a menu link opens the page.
	active := func() string {
		return pget(p, "focus", chromedp.Evaluate[string](`(document.activeElement.id || "") + "|" + (document.activeElement.getAttribute("href") || "") + "|" + document.activeElement.textContent.trim()`))
	}
	p.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="dashboard"]`)), chromedp.KeyEvent(kb.Tab))
	if a := active(); !strings.Contains(a, "Skip to content") {
		t.Errorf("first Tab focuses %q, want the skip link", a)
	}
	var reached bool
	for i := 0; i < 8 && !reached; i++ {
		p.run("tab", chromedp.KeyEvent(kb.Tab))
		reached = strings.Contains(active(), "#/tenants")
	}
	if !reached {
		t.Fatalf("Tab never reaches the Tenants menu link; focus is on %q", active())
	}
	p.run("enter", jsAction(`document.getElementById("main").removeAttribute("data-ready")`), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`main[data-ready="tenants"]`)))

	// A tenant with its S3 service: the root keys are shown once.
	p.open("tenants")
	p.run("create tenant", setv(`#svm-name`, "console1"), chromedp.Click(chromedp.CSS(`#create-svm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog #new-secret-key`)))
	rootAK, rootSecret := p.text(`dialog #new-access-key`), p.text(`dialog #new-secret-key`)
	if len(rootSecret) < 40 {
		t.Fatalf("root secret %q", rootSecret)
	}
	p.run("close", chromedp.Click(chromedp.Search(`//dialog//button[text()="Done"]`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	var svms struct {
		Records []struct{ UUID string } `json:"records"`
	}
	adminJSON(t, srv, "GET", "/api/svm/svms?name=console1&fields=uuid", &svms)
	if len(svms.Records) != 1 {
		t.Fatalf("SVM console1 not created: %+v", svms)
	}
	svm := svms.Records[0].UUID
	p.open("tenants")
	p.shot("tenants")

	// A user: its secret is shown once with a copy button, then never again.
	p.open("users?svm=" + svm)
	p.run("create user", setv(`#user-name`, "alice"), chromedp.Click(chromedp.CSS(`#create-user button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog #new-secret-key`)))
	ak, sk := p.text(`dialog #new-access-key`), p.text(`dialog #new-secret-key`)
	if ak == "" || len(sk) < 40 {
		t.Fatalf("keys %q %q", ak, sk)
	}
	if n := pget(p, "copy buttons", chromedp.Evaluate[int](`[...document.querySelectorAll("dialog button")].filter(b => b.textContent === "Copy").length`)); n != 2 {
		t.Errorf("the secret dialog has %d copy buttons, want 2", n)
	}
	p.shot("user-secret")
	p.run("use keys", chromedp.Click(chromedp.Search(`//dialog//button[contains(., "Use these keys")]`)),
		chromedp.Click(chromedp.Search(`//dialog//button[text()="Done"]`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	p.open("users?svm=" + svm)
	if body := p.bodyText(); strings.Contains(body, sk) || !strings.Contains(body, "alice") {
		t.Fatalf("after the dialog, the users page shows the secret again (or no alice):\n%s", body)
	}
	p.shot("users")

	// A bad input is rendered as the API's error; then a good bucket.
	p.open("buckets?svm=" + svm)
	p.run("bad bucket", setv(`#bucket-name`, "Bad_Bucket!"), chromedp.Click(chromedp.CSS(`#create-bucket button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#create-bucket .form-error .error`)))
	if msg := p.text(`#create-bucket .form-error .error`); msg == "" {
		t.Error("no error shown for a bad bucket name")
	}
	p.run("bad policy", chromedp.SendKeys(chromedp.CSS(`#json-policy`), `[{"effect": "maybe"`),
		chromedp.WaitVisible(chromedp.CSS(`#json-policy-status .error`)))
	p.shot("bucket-error")
	p.run("good bucket", setv(`#json-policy`, ""), setv(`#bucket-name`, "console-b1"),
		setv(`#bucket-versioning`, "enabled"), setv(`#bucket-grant`, "alice"),
		setv(`#bucket-quota`, "1"),
		chromedp.Click(chromedp.CSS(`#create-bucket button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//a[text()="console-b1"]`)))
	// Object locking at creation: ONTAP's retention (governance, 30 days); and a
	// versioned bucket without it, whose Object Lock the S3 form turns on below.
	p.run("locked bucket", setv(`#bucket-name`, "console-lock"), setv(`#bucket-versioning`, "enabled"),
		setv(`#bucket-lock`, "governance"), setv(`#bucket-lock-period`, "30"), setv(`#bucket-lock-unit`, "D"),
		chromedp.Click(chromedp.CSS(`#create-bucket button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//tr[.//a[text()="console-lock"]]//td[contains(., "governance P30D")]`)))
	p.run("versioned bucket", setv(`#bucket-name`, "console-v2"), setv(`#bucket-versioning`, "enabled"),
		chromedp.Click(chromedp.CSS(`#create-bucket button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//a[text()="console-v2"]`)))
	var lockRec struct {
		Records []struct {
			Retention struct {
				Mode          string `json:"mode"`
				DefaultPeriod string `json:"default_period"`
			} `json:"retention"`
		} `json:"records"`
	}
	adminJSON(t, srv, "GET", "/api/protocols/s3/services/"+svm+"/buckets?name=console-lock&fields=retention", &lockRec)
	if len(lockRec.Records) != 1 || lockRec.Records[0].Retention.Mode != "governance" || lockRec.Records[0].Retention.DefaultPeriod != "P30D" {
		t.Errorf("ONTAP's record of the bucket created with object locking: %+v", lockRec)
	}
	p.shot("buckets")

	// Upload 20 MiB through the page (multipart), download it byte-identical.
	dir := t.TempDir()
	big := randBytes(20 << 20)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	p.open("objects?bucket=console-b1")
	p.run("upload", chromedp.SetUploadFiles(chromedp.CSS(`#upload-input`), []string{filepath.Join(dir, "big.bin")}),
		chromedp.WaitVisible(chromedp.CSS(`.uploads li.done`)),
		chromedp.WaitVisible(chromedp.Search(`//table//span[text()="big.bin"]`)))
	p.shot("objects")
	p.run("download", chromedp.Click(chromedp.Search(`//tr[.//span[text()="big.bin"]]//button[text()="Download"]`)))
	got := waitFile(t, filepath.Join(downloads, "big.bin"), int64(len(big)))
	if sha(got) != sha(big) {
		t.Fatalf("downloaded SHA-256 %s, uploaded %s", sha(got), sha(big))
	}
	// The object is what S3 clients see too.
	c := newClient(t, srv.Endpoint(), ak, sk)
	head, err := c.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String("console-b1"), Key: aws.String("big.bin")})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(big)) || !strings.Contains(aws.ToString(head.ETag), "-3") {
		t.Fatalf("HeadObject: %v %v (want a 3-part multipart ETag)", err, head)
	}

	// Details: metadata, and tags saved through the page.
	p.run("details", chromedp.Click(chromedp.Search(`//tr[.//span[text()="big.bin"]]//button[text()="Details"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tags-editor`)), setv(`#tags-editor`, "env=test\nowner=alice"),
		chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "notice")][contains(., "Tags saved")]`)))
	if dl := p.text(`dialog dl`); !strings.Contains(dl, "20.0 MiB") || !strings.Contains(dl, "-3") {
		t.Errorf("details show %q, want the size and the multipart ETag", dl)
	}
	p.shot("object-details")
	p.run("close details", chromedp.Click(chromedp.CSS(`dialog .close`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	if tags, err := c.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String("console-b1"), Key: aws.String("big.bin")}); err != nil || len(tags.TagSet) != 2 {
		t.Errorf("GetObjectTagging after the page saved two tags: %v %+v", err, tags)
	}

	// A share link: a presigned GET on the S3 listener that works without any key.
	p.run("share", chromedp.Click(chromedp.Search(`//tr[.//span[text()="big.bin"]]//button[text()="Share"]`)),
		setv(`#share-expiry`, "900"), chromedp.Click(chromedp.CSS(`dialog button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#share-url`)))
	shareURL := p.text(`#share-url`)
	p.shot("share")
	p.run("close share", chromedp.Click(chromedp.CSS(`dialog .close`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	if !strings.HasPrefix(shareURL, srv.Endpoint()+"/console-b1/big.bin?") || !strings.Contains(shareURL, "X-Amz-Expires=900") {
		t.Errorf("share link %q", shareURL)
	}
	if resp, err := http.Get(shareURL); err != nil {
		t.Errorf("share link: %v", err)
	} else {
		shared, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || sha(shared) != sha(big) {
			t.Errorf("share link: %s, %d bytes, SHA-256 %s", resp.Status, len(shared), sha(shared))
		}
	}

	// Several files at once: a second version of big.bin and another file; then the page deletes big.bin (a delete marker).
	dir2 := t.TempDir()
	for name, body := range map[string]string{"big.bin": "second version", "notes.txt": "notes"} {
		if err := os.WriteFile(filepath.Join(dir2, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.run("upload two", chromedp.SetUploadFiles(chromedp.CSS(`#upload-input`), []string{filepath.Join(dir2, "big.bin"), filepath.Join(dir2, "notes.txt")}),
		chromedp.WaitVisible(chromedp.CSS(`.uploads li.done[data-name="notes.txt"]`)), chromedp.WaitVisible(chromedp.CSS(`.uploads li.done:nth-child(2)`)),
		chromedp.WaitVisible(chromedp.CSS(`.uploads li.done:nth-child(3)`)), chromedp.WaitVisible(chromedp.Search(`//table//span[text()="notes.txt"]`)))
	p.run("delete", jsAction(`window.confirm = () => true`),
		chromedp.Click(chromedp.Search(`//tr[.//span[text()="big.bin"]]//button[text()="Delete"]`)),
		chromedp.WaitNotPresent(chromedp.Search(`//table//span[text()="big.bin"]`)))
	p.open("objects?bucket=console-b1&versions=1")
	p.run("versions", chromedp.WaitVisible(chromedp.Search(`//table//span[text()="delete marker"]`)))
	versions := pget(p, "count versions", chromedp.Evaluate[int](`document.querySelectorAll("#listing tbody tr").length`))
	if versions != 4 {
		t.Fatalf("versions view shows %d rows, want 2 versions and a delete marker of big.bin and notes.txt:\n%s", versions, p.bodyText())
	}
	p.shot("versions")

	// Bucket CORS and tags, as XML through S3, signed with the SVM root's keys pasted into the object browser.
	p.open("objects?keys=change")
	p.run("root keys", setv(`#s3-access-key`, rootAK), setv(`#s3-secret-key`, rootSecret),
		chromedp.Click(chromedp.CSS(`#keys-form button[type=submit]`)), chromedp.WaitVisible(chromedp.Search(`//main//strong[contains(., "`+rootAK[:12]+`")]`)))
	p.open("buckets?svm=" + svm)
	p.run("s3 settings", chromedp.Click(chromedp.Search(`//tr[.//a[text()="console-b1"]]//button[contains(., "CORS")]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog`)))
	p.run("s3 settings loaded", chromedp.WaitVisible(chromedp.CSS(`#object-lock-form`)),
		chromedp.Click(chromedp.Search(`//form[.//textarea[@id="cfg-cors"]]//button[text()="Insert an example"]`)),
		chromedp.Click(chromedp.Search(`//dialog//button[text()="Save cors"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "notice")][contains(., "cors of console-b1 saved")]`)),
		setv(`#cfg-tagging`, `<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>`),
		chromedp.Click(chromedp.Search(`//dialog//button[text()="Save tagging"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "notice")][contains(., "tagging of console-b1 saved")]`)))
	p.run("close", chromedp.Click(chromedp.CSS(`dialog .close`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	rootC := newClient(t, srv.Endpoint(), rootAK, rootSecret)
	if cors, err := rootC.GetBucketCors(ctxT(t), &s3.GetBucketCorsInput{Bucket: aws.String("console-b1")}); err != nil || len(cors.CORSRules) != 1 ||
		cors.CORSRules[0].AllowedOrigins[0] != "https://example.com" {
		t.Errorf("GetBucketCors after the console saved it: %v %+v", err, cors)
	}
	if tags, err := rootC.GetBucketTagging(ctxT(t), &s3.GetBucketTaggingInput{Bucket: aws.String("console-b1")}); err != nil || len(tags.TagSet) != 1 ||
		aws.ToString(tags.TagSet[0].Value) != "blue" {
		t.Errorf("GetBucketTagging after the console saved it: %v %+v", err, tags)
	}
	if lc, err := rootC.GetObjectLockConfiguration(ctxT(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("console-lock")}); err != nil ||
		lc.ObjectLockConfiguration.ObjectLockEnabled != "Enabled" || lc.ObjectLockConfiguration.Rule == nil ||
		lc.ObjectLockConfiguration.Rule.DefaultRetention.Mode != "GOVERNANCE" || aws.ToInt32(lc.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 30 {
		t.Errorf("GetObjectLockConfiguration of the bucket the console created locked (governance, P30D): %v %+v", err, lc)
	}

	// Lifecycle as a form: three rules (prefix and tag filter, expiration and
	// noncurrent days, newer noncurrent count; expired delete markers; an
	// expiration date and abort days), saved through S3, read back with the SDK
	// and shown again by the form after a reload.
	openS3Settings := func(bucket string) {
		p.open("buckets?svm=" + svm)
		p.run("s3 settings of "+bucket, chromedp.Click(chromedp.Search(`//tr[.//a[text()="`+bucket+`"]]//button[contains(., "CORS")]`)),
			chromedp.WaitVisible(chromedp.CSS(`#lifecycle-form`)), chromedp.WaitVisible(chromedp.CSS(`#object-lock-form`)))
	}
	rule := func(n int, name string) string { return fmt.Sprintf(`.lc-rule:nth-of-type(%d) [name="%s"]`, n, name) }
	openS3Settings("console-b1")
	p.run("lifecycle form", chromedp.Click(chromedp.CSS(`#lc-add`)),
		setv(rule(1, "id"), "expire-logs"), setv(rule(1, "prefix"), "logs/"), setv(rule(1, "tags"), "class=tmp"),
		setv(rule(1, "exp-days"), "30"), setv(rule(1, "nc-days"), "7"), setv(rule(1, "nc-newer"), "2"),
		chromedp.Click(chromedp.CSS(`#lc-add`)), setv(rule(2, "id"), "markers"), setv(rule(2, "status"), "Disabled"),
		chromedp.Click(chromedp.CSS(rule(2, "exp-marker"))),
		chromedp.Click(chromedp.CSS(`#lc-add`)), setv(rule(3, "id"), "by-date"), setv(rule(3, "prefix"), "tmp/"), setv(rule(3, "exp-date"), "2031-01-01"),
		setv(rule(3, "abort-days"), "3"),
		chromedp.Click(chromedp.CSS(`#lifecycle-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "notice")][contains(., "lifecycle of console-b1 saved")]`)))
	lc, err := rootC.GetBucketLifecycleConfiguration(ctxT(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("console-b1")})
	if err != nil || len(lc.Rules) != 3 {
		t.Fatalf("GetBucketLifecycleConfiguration after the form saved three rules: %v %+v", err, lc)
	}
	r1, r2, r3 := lc.Rules[0], lc.Rules[1], lc.Rules[2]
	if aws.ToString(r1.ID) != "expire-logs" || r1.Status != "Enabled" || r1.Filter == nil || r1.Filter.And == nil ||
		aws.ToString(r1.Filter.And.Prefix) != "logs/" || len(r1.Filter.And.Tags) != 1 || aws.ToString(r1.Filter.And.Tags[0].Key) != "class" ||
		aws.ToString(r1.Filter.And.Tags[0].Value) != "tmp" || r1.Expiration == nil || aws.ToInt32(r1.Expiration.Days) != 30 ||
		r1.NoncurrentVersionExpiration == nil || aws.ToInt32(r1.NoncurrentVersionExpiration.NoncurrentDays) != 7 ||
		aws.ToInt32(r1.NoncurrentVersionExpiration.NewerNoncurrentVersions) != 2 {
		t.Errorf("rule 1 as S3 stored it: %+v filter %+v", r1, r1.Filter)
	}
	if aws.ToString(r2.ID) != "markers" || r2.Status != "Disabled" || r2.Expiration == nil || !aws.ToBool(r2.Expiration.ExpiredObjectDeleteMarker) {
		t.Errorf("rule 2 as S3 stored it: %+v", r2)
	}
	if aws.ToString(r3.ID) != "by-date" || r3.Filter == nil || aws.ToString(r3.Filter.Prefix) != "tmp/" || r3.Expiration == nil ||
		r3.Expiration.Date == nil || !r3.Expiration.Date.Equal(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		r3.AbortIncompleteMultipartUpload == nil || aws.ToInt32(r3.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 3 {
		t.Errorf("rule 3 as S3 stored it: %+v", r3)
	}
	// Reload: the form shows what S3 holds.
	openS3Settings("console-b1")
	formValues := func(sels ...string) string {
		js := `[` + strings.Join(func() []string {
			var out []string
			for _, s := range sels {
				out = append(out, fmt.Sprintf(`(e => e.type === "checkbox" ? String(e.checked) : e.value)(document.querySelector(%q))`, s))
			}
			return out
		}(), ",") + `].join("|")`
		return pget(p, "form values", chromedp.Evaluate[string](js))
	}
	if got, want := formValues(rule(1, "id"), rule(1, "prefix"), rule(1, "tags"), rule(1, "exp-days"), rule(1, "nc-days"), rule(1, "nc-newer"),
		rule(3, "abort-days"), rule(2, "status"), rule(2, "exp-marker"), rule(3, "exp-date")),
		"expire-logs|logs/|class=tmp|30|7|2|3|Disabled|true|2031-01-01"; got != want {
		t.Errorf("the lifecycle form after a reload shows %q, want %q", got, want)
	}
	p.shot("bucket-s3-settings")
	// The raw XML stays behind the "advanced" toggle.
	if x := pget(p, "advanced xml", chromedp.Evaluate[string](`document.querySelector("#cfg-lifecycle").value`)); !strings.Contains(x, "<ID>expire-logs</ID>") {
		t.Errorf("the advanced XML view holds %q", x)
	}
	p.run("close", chromedp.Click(chromedp.CSS(`dialog .close`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))

	// Object Lock as a form: turned on for a versioned bucket with a default
	// retention of 2 years (governance), read back with the SDK and shown again.
	openS3Settings("console-v2")
	p.run("object lock form", chromedp.Click(chromedp.CSS(`#lock-enabled`)), setv(`#lock-mode`, "GOVERNANCE"),
		setv(`#lock-period`, "2"), setv(`#lock-unit`, "years"), chromedp.Click(chromedp.CSS(`#object-lock-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "notice")][contains(., "object-lock of console-v2 saved")]`)))
	if lc, err := rootC.GetObjectLockConfiguration(ctxT(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("console-v2")}); err != nil ||
		lc.ObjectLockConfiguration.ObjectLockEnabled != "Enabled" || lc.ObjectLockConfiguration.Rule == nil ||
		lc.ObjectLockConfiguration.Rule.DefaultRetention.Mode != "GOVERNANCE" || aws.ToInt32(lc.ObjectLockConfiguration.Rule.DefaultRetention.Years) != 2 {
		t.Errorf("GetObjectLockConfiguration after the form turned it on: %v %+v", err, lc)
	}
	openS3Settings("console-v2")
	if got, want := formValues(`#lock-enabled`, `#lock-mode`, `#lock-period`, `#lock-unit`), "true|GOVERNANCE|2|years"; got != want {
		t.Errorf("the Object Lock form after a reload shows %q, want %q", got, want)
	}
	if dis := pget(p, "lock checkbox", chromedp.Evaluate[bool](`document.querySelector("#lock-enabled").disabled`)); !dis {
		t.Error("the Object Lock checkbox of a locked bucket can be unticked")
	}
	p.run("close", chromedp.Click(chromedp.CSS(`dialog .close`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))

	// An object's retention and legal hold in the object browser: a file in
	// the bucket created locked gets its default retention (governance, 30
	// days, shown); the page puts a legal hold and a longer retention.
	lockDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(lockDir, "held.txt"), []byte("held"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.open("objects?bucket=console-lock")
	p.run("upload locked", chromedp.SetUploadFiles(chromedp.CSS(`#upload-input`), []string{filepath.Join(lockDir, "held.txt")}),
		chromedp.WaitVisible(chromedp.Search(`//table//span[text()="held.txt"]`)),
		chromedp.Click(chromedp.Search(`//tr[.//span[text()="held.txt"]]//button[text()="Details"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#object-lock-controls`)))
	if got := formValues(`#obj-retention-mode`, `#obj-legal-hold`); got != "GOVERNANCE|false" {
		t.Errorf("the new object's lock controls show %q, want its default retention GOVERNANCE and no legal hold", got)
	}
	p.run("object lock controls", chromedp.Click(chromedp.CSS(`#obj-legal-hold`)), setv(`#obj-retain-until`, "2032-06-30"),
		chromedp.Click(chromedp.CSS(`#object-lock-controls button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class, "notice")][contains(., "Legal hold saved")]`)))
	p.shot("object-lock")
	p.run("close", chromedp.Click(chromedp.CSS(`dialog .close`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	if lh, err := rootC.GetObjectLegalHold(ctxT(t), &s3.GetObjectLegalHoldInput{Bucket: aws.String("console-lock"), Key: aws.String("held.txt")}); err != nil ||
		lh.LegalHold.Status != "ON" {
		t.Errorf("GetObjectLegalHold after the page set it: %v %+v", err, lh)
	}
	if r, err := rootC.GetObjectRetention(ctxT(t), &s3.GetObjectRetentionInput{Bucket: aws.String("console-lock"), Key: aws.String("held.txt")}); err != nil ||
		r.Retention.Mode != "GOVERNANCE" || !aws.ToTime(r.Retention.RetainUntilDate).Equal(time.Date(2032, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("GetObjectRetention after the page extended it: %v %+v", err, r)
	}

	// A multipart upload into the locked bucket: the page declares SHA256
	// (COMPOSITE) at creation and sends each part's x-amz-checksum-sha256,
	// which the default retention requires; the object keeps its default
	// retention and reports the checksum of the parts' checksums.
	p.open("objects?bucket=console-lock")
	p.run("multipart upload locked", chromedp.SetUploadFiles(chromedp.CSS(`#upload-input`), []string{filepath.Join(dir, "big.bin")}),
		chromedp.WaitVisible(chromedp.CSS(`.uploads li.done, .uploads li .error`)))
	if st := p.text(`.uploads li`); !strings.Contains(st, "done") {
		t.Fatalf("the 20 MiB upload into the locked bucket: %q", st)
	}
	p.run("locked listing", chromedp.WaitVisible(chromedp.Search(`//table//span[text()="big.bin"]`)))
	lockedGet, err := rootC.GetObject(ctxT(t), &s3.GetObjectInput{Bucket: aws.String("console-lock"), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatalf("GetObject of the locked multipart upload: %v", err)
	}
	lockedBody, err := io.ReadAll(lockedGet.Body)
	lockedGet.Body.Close()
	if err != nil || sha(lockedBody) != sha(big) {
		t.Errorf("locked multipart object: %v, SHA-256 %s, uploaded %s", err, sha(lockedBody), sha(big))
	}
	var bigParts [][]byte
	for off := 0; off < len(big); off += 8 << 20 {
		bigParts = append(bigParts, big[off:min(off+8<<20, len(big))])
	}
	wantSum := compositeChecksum(sha256.New, bigParts)
	lh, err := rootC.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String("console-lock"), Key: aws.String("big.bin"), ChecksumMode: "ENABLED"})
	if err != nil || aws.ToString(lh.ChecksumSHA256) != wantSum || lh.ObjectLockMode != "GOVERNANCE" ||
		!strings.Contains(aws.ToString(lh.ETag), "-3") {
		t.Errorf("HeadObject of the locked multipart upload: %v, checksum %q (want %q), lock %q, ETag %q",
			err, aws.ToString(lh.ChecksumSHA256), wantSum, lh.ObjectLockMode, aws.ToString(lh.ETag))
	}
	if r, err := rootC.GetObjectRetention(ctxT(t), &s3.GetObjectRetentionInput{Bucket: aws.String("console-lock"), Key: aws.String("big.bin")}); err != nil ||
		r.Retention.Mode != "GOVERNANCE" || aws.ToTime(r.Retention.RetainUntilDate).Before(time.Now().Add(29*24*time.Hour)) {
		t.Errorf("GetObjectRetention of the locked multipart upload (want the 30-day governance default): %v %+v", err, r)
	}
	if attrs, err := rootC.GetObjectAttributes(ctxT(t), &s3.GetObjectAttributesInput{Bucket: aws.String("console-lock"), Key: aws.String("big.bin"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts}}); err != nil ||
		attrs.Checksum == nil || aws.ToString(attrs.Checksum.ChecksumSHA256) != strings.TrimSuffix(wantSum, "-3") || // S3 leaves "-N" off here
		attrs.Checksum.ChecksumType != types.ChecksumTypeComposite ||
		attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 3 {
		t.Errorf("GetObjectAttributes of the locked multipart upload (want SHA256 %s, COMPOSITE, 3 parts): %v %+v", wantSum, err, attrs)
	}

	// Rotate alice's key: a new secret, shown once; the old key stops working.
	p.open("users?svm=" + svm)
	p.run("rotate", chromedp.Click(chromedp.Search(`//tr[.//strong[text()="alice"]]//button[text()="Rotate key"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rotate-form`)), chromedp.Click(chromedp.CSS(`#rotate-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog #new-secret-key`)))
	ak2, sk2 := p.text(`dialog #new-access-key`), p.text(`dialog #new-secret-key`)
	if sk2 == sk || ak2 == "" {
		t.Fatalf("rotation answered the old secret")
	}
	p.run("close", chromedp.Click(chromedp.Search(`//dialog//button[text()="Done"]`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	if _, err := newClient(t, srv.Endpoint(), ak2, sk2).HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String("console-b1")}); err != nil {
		t.Errorf("the rotated key fails: %v", err)
	}
	if _, err := c.HeadBucket(ctxT(t), &s3.HeadBucketInput{Bucket: aws.String("console-b1")}); err == nil {
		t.Errorf("the old key still works after rotation")
	}

	// Bucket settings: versioning suspended and a larger quota, through ONTAP's PATCH.
	p.open("buckets?svm=" + svm)
	p.run("bucket settings", chromedp.Click(chromedp.Search(`//tr[.//a[text()="console-b1"]]//button[text()="Settings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#bucket-settings`)), setv(`#bucket-settings [name=versioning]`, "suspended"),
		setv(`#bucket-settings [name=quota]`, "2"), chromedp.Click(chromedp.CSS(`#bucket-settings button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`dialog`)), chromedp.WaitVisible(chromedp.Search(`//tr[.//a[text()="console-b1"]]//td[text()="suspended"]`)))
	if v, err := rootC.GetBucketVersioning(ctxT(t), &s3.GetBucketVersioningInput{Bucket: aws.String("console-b1")}); err != nil || v.Status != "Suspended" {
		t.Errorf("versioning after the page suspended it: %v %v", err, v)
	}

	// A policy through the JSON editor, and a group that attaches it.
	p.open("policies?svm=" + svm)
	p.run("create policy", setv(`#policy-name`, "ReadB1"),
		setv(`#json-statements`, `[{"effect": "allow", "actions": ["GetObject", "ListBucket"], "resources": ["console-b1", "console-b1/*"]}]`),
		chromedp.Click(chromedp.CSS(`#create-policy button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//strong[text()="ReadB1"]`)))
	p.run("edit policy", chromedp.Click(chromedp.Search(`//tr[.//strong[text()="ReadB1"]]//button[text()="Edit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#edit-policy textarea`)),
		setv(`#edit-policy textarea`, `[{"effect": "allow", "actions": ["GetObject", "GetObjectTagging", "ListBucket"], "resources": ["console-b1/*", "console-b1"]}]`),
		chromedp.Click(chromedp.CSS(`#edit-policy button[type=submit]`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)),
		chromedp.WaitVisible(chromedp.Search(`//tr[.//strong[text()="ReadB1"]]//span[contains(., "GetObjectTagging")]`)))
	if n := pget(p, "ids", chromedp.Evaluate[int](`document.querySelectorAll("[id=json-statements]").length`)); n != 1 {
		t.Errorf("%d elements have the id json-statements", n)
	}
	p.open("groups?svm=" + svm)
	p.run("create group", setv(`#group-name`, "readers"),
		jsAction(`document.querySelector('#page-groups [name=users] option[value=alice]').selected = true;
			document.querySelector('#page-groups [name=policies] option[value=ReadB1]').selected = true`),
		chromedp.Click(chromedp.CSS(`#page-groups button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//strong[text()="readers"]`)))

	// Commvault: a plan, and a vault with it, whose endpoint job shows on the jobs page.
	p.open("plans")
	p.run("create plan", setv(`#plan-name`, "vault-30d"), chromedp.Click(chromedp.CSS(`#create-plan button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//strong[text()="vault-30d"]`)))
	p.open("vaults")
	p.run("create vault", setv(`#vault-name`, "console-vault"), chromedp.Click(chromedp.CSS(`#create-vault button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//table//a[text()="console-vault"]`)))
	p.open("jobs")
	p.run("jobs", chromedp.WaitVisible(chromedp.CSS(`#jobs progress`)))

	// The other pages render (and, in screenshot mode, are kept).
	for _, route := range []string{"groups?svm=" + svm, "policies?svm=" + svm, "plans", "vaults", "clients", "jobs", "audit", "dashboard"} {
		p.open(route)
		name := strings.SplitN(route, "?", 2)[0]
		unlabelled := pget(p, "labels on "+name, chromedp.Evaluate[string](`[...document.querySelectorAll("main input, main select, main textarea")]
			.filter(e => e.type !== "hidden" && !(e.labels && e.labels.length) && !e.getAttribute("aria-label")).map(e => e.name || e.id).join(",")`))
		if unlabelled != "" {
			t.Errorf("page %s has controls without a label: %s", name, unlabelled)
		}
		p.run("narrow", chromedp.EmulateViewport(390, 844), chromedp.Sleep(50*time.Millisecond))
		if w := pget(p, "width of "+name, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("page %s is %d px wide at 390 px", name, w)
		}
		p.run("wide", chromedp.EmulateViewport(1280, 900))
		errs := pget(p, "errors on "+name, chromedp.Evaluate[string](`[...document.querySelectorAll("main .error")].map(e => e.innerText).join("\n")`))
		if errs != "" {
			t.Errorf("page %s shows an error: %s", name, errs)
		}
		p.shot(name)
	}
	if s := p.text(`#page-dashboard`); !strings.Contains(s, "console1") {
		t.Errorf("the dashboard lists no console1 tenant:\n%s", s)
	}

	// The API documents are linked from the console and served.
	href := pget(p, "docs link", chromedp.Evaluate[string](`[...document.querySelectorAll("nav a")].find(a => a.textContent.includes("API documents")).getAttribute("href")`))
	u, _ := url.Parse(href)
	resp, err := srv.AdminClient(10 * time.Second).Get(srv.AdminEndpoint() + u.Path + "/ontap.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || doc.OpenAPI == "" || doc.Paths["/svm/svms"] == nil {
		t.Errorf("%s/ontap.json: %v %+v", u.Path, err, doc.OpenAPI)
	}

	// A session unused for 30 minutes has expired: the next page asks to log in again.
	p.run("expire", jsAction(`const s = JSON.parse(sessionStorage.getItem("coffer.session")); s.last = Date.now() - 31*60*1000;
		sessionStorage.setItem("coffer.session", JSON.stringify(s)); location.hash = "#/tenants"`),
		chromedp.WaitVisible(chromedp.CSS(`#session-message`)))
	if msg := p.text(`#session-message`); !strings.Contains(msg, "expired") {
		t.Errorf("expiry message %q", msg)
	}
	p.run("login again", setv(`#login-form [name=username]`, cofferAdminUser), setv(`#login-form [name=password]`, cofferAdminPassword),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="tenants"]`)))

	// A tenant user with a password logs in to its own keys and the object browser only.
	p.open("vaults")
	p.run("create vault user", setv(`#cvuser-name`, "carol"), setv(`#create-cvuser [name=password]`, "carol-passw0rd-1"),
		chromedp.Click(chromedp.CSS(`#create-cvuser button[type=submit]`)), chromedp.WaitVisible(chromedp.Search(`//table//strong[text()="carol"]`)))
	p.run("logout admin", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="login"]`)))
	p.run("login user", setv(`#login-form [name=username]`, "carol"), setv(`#login-form [name=password]`, "carol-passw0rd-1"),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="mykeys"]`)))
	if links := pget(p, "user nav", chromedp.Evaluate[string](`[...document.querySelectorAll("#nav a")].map(a => a.textContent).join("|")`)); links != "Object browser|My S3 keys|API documents (OpenAPI)" {
		t.Errorf("a user's menu: %s", links)
	}
	p.run("rotate own key", chromedp.Click(chromedp.Search(`//main//button[contains(., "my key")]`)), chromedp.WaitVisible(chromedp.CSS(`dialog #new-secret-key`)))
	carolAK, carolSK := p.text(`dialog #new-access-key`), p.text(`dialog #new-secret-key`)
	p.shot("mykeys")
	p.run("use own keys", chromedp.Click(chromedp.Search(`//dialog//button[contains(., "Use these keys")]`)),
		chromedp.Click(chromedp.Search(`//dialog//button[text()="Done"]`)), chromedp.WaitNotPresent(chromedp.CSS(`dialog`)))
	if _, err := newClient(t, srv.Endpoint(), carolAK, carolSK).ListBuckets(ctxT(t), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("carol's new keys: %v", err)
	}
	p.open("objects")
	if s := p.text(`#page-objects`); !strings.Contains(s, "Signed as carol") {
		t.Errorf("the object browser of a user: %s", s)
	}

	// Logout ends the session.
	p.run("logout", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="login"]`)))
	stored := pget(p, "storage", chromedp.Evaluate[string](`JSON.stringify(sessionStorage)`))
	if strings.Contains(stored, cofferAdminPassword) || bytes.Contains([]byte(stored), []byte(sk2)) {
		t.Errorf("session storage keeps credentials after logout: %s", stored)
	}
}

// TestConsoleSigV4Vectors runs the console's SigV4 module, in the browser
// that runs the console, on the worked examples of AWS's S3 API reference
// (the same vectors internal/sigv4 verifies).
func TestConsoleSigV4Vectors(t *testing.T) {
	requireTarget(t)
	chromiumPath(t)
	if sharedSrv == nil {
		t.Skip("needs the harness's server")
	}
	p := &page{t: t, ctx: browserCtx(t, t.TempDir())}
	p.run("load", chromedp.Navigate(sharedSrv.AdminEndpoint()+"/console/"), chromedp.WaitVisible(chromedp.CSS(`main[data-ready]`)))
	const setup = `const m = await import("/console/js/sigv4.js");
		const creds = {accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
		const date = new Date(Date.UTC(2013, 4, 24)); const host = "examplebucket.s3.amazonaws.com";
		const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
		const sig = (h) => h.authorization.replace(/.*Signature=/, "");`
	cases := map[string]struct{ js, want string }{
		"GET Bucket Lifecycle": {`sig(await m.signHeaders({creds, region: "us-east-1", method: "GET", host, path: "/", query: [["lifecycle", ""]], payloadHash: empty, date}))`,
			"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		"GET Bucket (List Objects)": {`sig(await m.signHeaders({creds, region: "us-east-1", method: "GET", host, path: "/", query: [["prefix", "J"], ["max-keys", "2"]], payloadHash: empty, date}))`,
			"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
		"presigned GET": {`(await m.presign({creds, region: "us-east-1", host, path: "/test.txt", expires: 86400, date})).match(/X-Amz-Signature=([0-9a-f]+)/)[1]`,
			"aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"},
		"URI encoding": {`m.uriEncode("/a b/ü+*~!", true)`, "/a%20b/%C3%BC%2B%2A~%21"},
	}
	for name, c := range cases {
		got := pget(p, name, chromedp.Evaluate[string](`(async () => { `+setup+` return `+c.js+`; })()`, chromedp.EvalAwaitPromise))
		if got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
}
