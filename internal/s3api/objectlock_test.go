package s3api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
	"coffer/internal/objects"
)

const ns = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

func TestParseObjectLockConfigXML(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want objects.ObjectLockConfig
		kind errs.Kind // -1: success
	}{
		{"enable only", `<ObjectLockConfiguration ` + ns + `><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`,
			objects.ObjectLockConfig{Enabled: true}, -1},
		{"days", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>7</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
			objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockGovernance, DefaultDays: 7}, -1},
		{"years", `<ObjectLockConfiguration ` + ns + `><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>2</Years></DefaultRetention></Rule></ObjectLockConfiguration>`,
			objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockCompliance, DefaultYears: 2}, -1},
		{"empty", `<ObjectLockConfiguration/>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"disabled", `<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"both", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"neither", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"no mode", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"bad mode", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>governance</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"rule without retention", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"zero days", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.InvalidArgument},
		{"negative years", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>-1</Years></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.InvalidArgument},
		{"huge days", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>99999999</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.InvalidArgument},
		{"text days", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>one</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"not xml", `nope`, objects.ObjectLockConfig{}, errs.MalformedXML},
		{"other root", `<Retention><Mode>GOVERNANCE</Mode></Retention>`, objects.ObjectLockConfig{}, errs.MalformedXML},
	} {
		got, err := parseObjectLockConfigXML([]byte(tc.doc))
		if tc.kind < 0 {
			if err != nil || got != tc.want {
				t.Errorf("%s: %+v %v, want %+v", tc.name, got, err, tc.want)
			}
			continue
		}
		if errs.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
	// What is parsed is rendered back to the same configuration.
	cfg := objects.ObjectLockConfig{Enabled: true, DefaultMode: objects.LockCompliance, DefaultYears: 3}
	data, err := encodeXML(lockConfigDoc(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if back, err := parseObjectLockConfigXML(data); err != nil || back != cfg {
		t.Fatalf("round trip %s: %+v %v", data, back, err)
	}
}

func TestParseRetentionAndLegalHoldXML(t *testing.T) {
	mode, until, err := parseRetentionXML([]byte(`<Retention ` + ns + `><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-02T03:04:05.678Z</RetainUntilDate></Retention>`))
	if err != nil || mode != objects.LockCompliance || !until.Equal(time.Date(2030, 1, 2, 3, 4, 5, 678e6, time.UTC)) {
		t.Fatalf("retention: %v %v %v", mode, until, err)
	}
	if mode, until, err := parseRetentionXML([]byte(`<Retention/>`)); err != nil || mode != objects.LockNone || !until.IsZero() {
		t.Fatalf("empty retention: %v %v %v", mode, until, err)
	}
	for _, bad := range []string{
		`<Retention><Mode>COMPLIANCE</Mode></Retention>`,
		`<Retention><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>`,
		`<Retention><Mode>WORM</Mode><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>`,
		`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate></Retention>`,
		`<Retention>`,
	} {
		if _, _, err := parseRetentionXML([]byte(bad)); errs.KindOf(err) != errs.MalformedXML {
			t.Errorf("%s: %v", bad, err)
		}
	}
	for doc, want := range map[string]objects.LegalHold{
		`<LegalHold ` + ns + `><Status>ON</Status></LegalHold>`: objects.LegalHoldOn,
		`<LegalHold><Status>OFF</Status></LegalHold>`:           objects.LegalHoldOff,
	} {
		if h, err := parseLegalHoldXML([]byte(doc)); err != nil || h != want {
			t.Errorf("%s: %v %v", doc, h, err)
		}
	}
	for _, bad := range []string{`<LegalHold><Status>on</Status></LegalHold>`, `<LegalHold/>`, `<LegalHold><Status>MAYBE</Status></LegalHold>`} {
		if _, err := parseLegalHoldXML([]byte(bad)); errs.KindOf(err) != errs.MalformedXML {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestParseLockHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    map[string]string
		want objects.LockSpec
		kind errs.Kind
	}{
		{"none", nil, objects.LockSpec{}, -1},
		{"retention", map[string]string{hLockMode: "GOVERNANCE", hLockUntil: "2031-05-06T07:08:09Z"},
			objects.LockSpec{Mode: objects.LockGovernance, RetainUntil: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)}, -1},
		{"hold", map[string]string{hLegalHold: "ON"}, objects.LockSpec{LegalHold: objects.LegalHoldOn}, -1},
		{"mode only", map[string]string{hLockMode: "COMPLIANCE"}, objects.LockSpec{}, errs.InvalidRequest},
		{"date only", map[string]string{hLockUntil: "2031-05-06T07:08:09Z"}, objects.LockSpec{}, errs.InvalidRequest},
		{"bad mode", map[string]string{hLockMode: "STRICT", hLockUntil: "2031-05-06T07:08:09Z"}, objects.LockSpec{}, errs.InvalidArgument},
		{"bad date", map[string]string{hLockMode: "COMPLIANCE", hLockUntil: "06/05/2031"}, objects.LockSpec{}, errs.InvalidArgument},
		{"bad hold", map[string]string{hLegalHold: "yes"}, objects.LockSpec{}, errs.InvalidArgument},
	} {
		h := http.Header{}
		for k, v := range tc.h {
			h.Set(k, v)
		}
		got, err := parseLockHeaders(h.Get)
		if tc.kind < 0 {
			if err != nil || got != tc.want {
				t.Errorf("%s: %+v %v", tc.name, got, err)
			}
		} else if errs.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
}

func TestDeleteConditionHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-Amz-If-Match-Size", "42")
	h.Set("X-Amz-If-Match-Last-Modified-Time", "Wed, 01 Jan 2031 10:00:00 GMT")
	var in objects.DeleteInput
	if err := deleteConditions(h, &in); err != nil || *in.IfMatchSize != 42 || !in.IfMatchLastModified.Equal(time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v %v", in, err)
	}
	h.Set("X-Amz-If-Match-Size", "-1")
	if err := deleteConditions(h, &in); errs.KindOf(err) != errs.InvalidArgument {
		t.Fatalf("negative size: %v", err)
	}
	o := deleteObjectXML{Key: "k", Size: "7", LastModifiedTime: "2031-01-01T10:00:00.000Z"}
	in = objects.DeleteInput{}
	if err := o.conditions(&in); err != nil || *in.IfMatchSize != 7 || in.IfMatchLastModified.Hour() != 10 {
		t.Fatalf("DeleteObjects entry: %+v %v", in, err)
	}
	req, err := parseDeleteXML([]byte(`<Delete><Object><Key>k</Key><ETag>"abc"</ETag><Size>3</Size><LastModifiedTime>2031-01-01T10:00:00Z</LastModifiedTime></Object></Delete>`))
	if err != nil || req.Objects[0].Size != "3" || req.Objects[0].ETag != `"abc"` || !strings.HasPrefix(req.Objects[0].LastModifiedTime, "2031") {
		t.Fatalf("parseDeleteXML: %+v %v", req, err)
	}
}

// FuzzObjectLockXML feeds the Object Lock parsers untrusted bodies: none may
// panic, and whatever a parser accepts must be a valid configuration (one
// the object layer accepts too) that renders back to itself.
func FuzzObjectLockXML(f *testing.F) {
	f.Add([]byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>7</Days></DefaultRetention></Rule></ObjectLockConfiguration>`))
	f.Add([]byte(`<ObjectLockConfiguration ` + ns + `><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`))
	f.Add([]byte(`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-02T03:04:05.678Z</RetainUntilDate></Retention>`))
	f.Add([]byte(`<LegalHold><Status>ON</Status></LegalHold>`))
	f.Add([]byte(`<Retention/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := parseObjectLockConfigXML(data); err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("accepted an invalid configuration %+v: %v", cfg, verr)
			}
			out, err := encodeXML(lockConfigDoc(cfg))
			if err != nil {
				t.Fatal(err)
			}
			back, err := parseObjectLockConfigXML(out)
			if err != nil || back != cfg {
				t.Fatalf("round trip of %+v: %+v %v", cfg, back, err)
			}
		}
		if mode, until, err := parseRetentionXML(data); err == nil {
			if mode != objects.LockNone && (!mode.Valid() || until.IsZero()) {
				t.Fatalf("accepted retention %q %v", mode, until)
			}
		}
		if h, err := parseLegalHoldXML(data); err == nil && h != objects.LegalHoldOn && h != objects.LegalHoldOff {
			t.Fatalf("accepted legal hold %q", h)
		}
	})
}
