package lifecycle

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"coffer/internal/errs"
)

func doc(rules ...string) []byte {
	return []byte(`<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</LifecycleConfiguration>`)
}

func rule(body string) string { return "<Rule>" + body + "</Rule>" }

func TestParseValidation(t *testing.T) {
	en := "<Status>Enabled</Status>"
	exp1 := "<Expiration><Days>1</Days></Expiration>"
	many := make([]string, MaxRules+1)
	for i := range many {
		many[i] = rule("<ID>r" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i) + "</ID><Filter></Filter>" + en + exp1)
	}
	cases := []struct {
		name    string
		data    []byte
		minSize string
		kind    errs.Kind // errs.Internal: valid
		msg     string
	}{
		{"valid prefix filter", doc(rule("<ID>a</ID><Filter><Prefix>logs/</Prefix></Filter>" + en + exp1)), "", errs.Internal, ""},
		{"valid legacy prefix", doc(rule("<ID>a</ID><Prefix>logs/</Prefix>" + en + exp1)), "", errs.Internal, ""},
		{"valid no filter", doc(rule("<ID>a</ID>" + en + exp1)), "", errs.Internal, ""},
		{"valid all actions", doc(rule("<ID>a</ID><Filter/>" + en + exp1 +
			"<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>" +
			"<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", errs.Internal, ""},
		{"valid date", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>")), "", errs.Internal, ""},
		{"valid eodm", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")), "", errs.Internal, ""},
		{"valid and", doc(rule("<ID>a</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>" + en + exp1)), "", errs.Internal, ""},
		{"valid transition", doc(rule("<ID>a</ID><Filter/>" + en + "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>")), "varies_by_storage_class", errs.Internal, ""},
		{"valid disabled", doc(rule("<ID>a</ID><Filter/><Status>Disabled</Status>" + exp1)), "", errs.Internal, ""},

		{"not xml", []byte("<Lifecycle"), "", errs.MalformedXML, ""},
		{"wrong root", []byte("<Foo><Rule/></Foo>"), "", errs.MalformedXML, ""},
		{"no rules", doc(), "", errs.MalformedXML, ""},
		{"too many rules", doc(many...), "", errs.InvalidRequest, "maximum of 1000"},
		{"id too long", doc(rule("<ID>" + strings.Repeat("i", 256) + "</ID><Filter/>" + en + exp1)), "", errs.InvalidArgument, "ID length"},
		{"duplicate id", doc(rule("<ID>a</ID><Filter/>"+en+exp1), rule("<ID>a</ID><Filter/>"+en+exp1)), "", errs.InvalidArgument, "unique"},
		{"no status", doc(rule("<ID>a</ID><Filter/>" + exp1)), "", errs.MalformedXML, ""},
		{"bad status", doc(rule("<ID>a</ID><Filter/><Status>enabled</Status>" + exp1)), "", errs.MalformedXML, ""},
		{"filter and prefix", doc(rule("<ID>a</ID><Prefix>x</Prefix><Filter/>" + en + exp1)), "", errs.MalformedXML, ""},
		{"two predicates", doc(rule("<ID>a</ID><Filter><Prefix>x</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" + en + exp1)), "", errs.MalformedXML, ""},
		{"empty and", doc(rule("<ID>a</ID><Filter><And></And></Filter>" + en + exp1)), "", errs.MalformedXML, ""},
		{"unknown element", doc(rule("<ID>a</ID><Filter/>" + en + exp1 + "<Bogus/>")), "", errs.MalformedXML, ""},
		{"no action", doc(rule("<ID>a</ID><Filter/>" + en)), "", errs.InvalidRequest, "At least one action"},
		{"days zero", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Days>0</Days></Expiration>")), "", errs.InvalidArgument, "'Days'"},
		{"days negative", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Days>-1</Days></Expiration>")), "", errs.InvalidArgument, "'Days'"},
		{"days not a number", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Days>x</Days></Expiration>")), "", errs.MalformedXML, ""},
		{"days and date", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>")), "", errs.MalformedXML, ""},
		{"empty expiration", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration></Expiration>")), "", errs.MalformedXML, ""},
		{"eodm with days", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")), "", errs.MalformedXML, ""},
		{"date not midnight", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>")), "", errs.InvalidArgument, "midnight"},
		{"date garbage", doc(rule("<ID>a</ID><Filter/>" + en + "<Expiration><Date>tomorrow</Date></Expiration>")), "", errs.InvalidArgument, "ISO 8601"},
		{"eodm with tag", doc(rule("<ID>a</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" + en + "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>")), "", errs.InvalidRequest, "tag"},
		{"noncurrent days missing", doc(rule("<ID>a</ID><Filter/>" + en + "<NoncurrentVersionExpiration></NoncurrentVersionExpiration>")), "", errs.InvalidArgument, "NoncurrentDays"},
		{"noncurrent days zero", doc(rule("<ID>a</ID><Filter/>" + en + "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>")), "", errs.InvalidArgument, "NoncurrentDays"},
		{"newer too many", doc(rule("<ID>a</ID><Filter/>" + en + "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>")), "", errs.InvalidArgument, "NewerNoncurrentVersions"},
		{"newer zero", doc(rule("<ID>a</ID><Filter/>" + en + "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>0</NewerNoncurrentVersions></NoncurrentVersionExpiration>")), "", errs.InvalidArgument, "NewerNoncurrentVersions"},
		{"abort days zero", doc(rule("<ID>a</ID><Filter/>" + en + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", errs.InvalidArgument, "DaysAfterInitiation"},
		{"abort with tag", doc(rule("<ID>a</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>" + en + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", errs.InvalidRequest, "Tags"},
		{"abort with size", doc(rule("<ID>a</ID><Filter><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter>" + en + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>")), "", errs.InvalidRequest, "size"},
		{"tag without key", doc(rule("<ID>a</ID><Filter><Tag><Value>v</Value></Tag></Filter>" + en + exp1)), "", errs.MalformedXML, ""},
		{"tag key too long", doc(rule("<ID>a</ID><Filter><Tag><Key>" + strings.Repeat("k", 129) + "</Key><Value>v</Value></Tag></Filter>" + en + exp1)), "", errs.InvalidTag, "TagKey"},
		{"tag value too long", doc(rule("<ID>a</ID><Filter><Tag><Key>k</Key><Value>" + strings.Repeat("v", 257) + "</Value></Tag></Filter>" + en + exp1)), "", errs.InvalidTag, "TagValue"},
		{"duplicate tag keys", doc(rule("<ID>a</ID><Filter><And><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>" + en + exp1)), "", errs.InvalidArgument, "Duplicate"},
		{"size negative", doc(rule("<ID>a</ID><Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter>" + en + exp1)), "", errs.InvalidArgument, "ObjectSize"},
		{"size range empty", doc(rule("<ID>a</ID><Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter>" + en + exp1)), "", errs.InvalidArgument, "less than"},
		{"transition bad class", doc(rule("<ID>a</ID><Filter/>" + en + "<Transition><Days>1</Days><StorageClass>COLD</StorageClass></Transition>")), "", errs.InvalidStorageClass, ""},
		{"transition days and date", doc(rule("<ID>a</ID><Filter/>" + en + "<Transition><Days>1</Days><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition>")), "", errs.MalformedXML, ""},
		{"transition no class", doc(rule("<ID>a</ID><Filter/>" + en + "<Transition><Days>1</Days></Transition>")), "", errs.MalformedXML, ""},
		{"noncurrent transition no days", doc(rule("<ID>a</ID><Filter/>" + en + "<NoncurrentVersionTransition><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>")), "", errs.InvalidArgument, "NoncurrentDays"},
		{"bad min size header", doc(rule("<ID>a</ID><Filter/>" + en + exp1)), "all", errs.InvalidArgument, "x-amz-transition-default-minimum-object-size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse(c.data, c.minSize)
			if c.kind == errs.Internal {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				// The rendered document parses back to the same model.
				again, err := Parse(cfg.Marshal(), cfg.MinSize)
				if err != nil {
					t.Fatalf("re-parse of %s: %v", cfg.Marshal(), err)
				}
				if string(again.Encode()) != string(cfg.Encode()) {
					t.Fatalf("round trip:\n%s\n%s", again.Encode(), cfg.Encode())
				}
				dec, err := Decode(cfg.Encode())
				if err != nil || string(dec.Encode()) != string(cfg.Encode()) {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse accepted it")
			}
			if errs.KindOf(err) != c.kind {
				t.Fatalf("kind %v, want %v (%v)", errs.KindOf(err), c.kind, err)
			}
			if !strings.Contains(errs.Message(err), c.msg) {
				t.Fatalf("message %q does not mention %q", errs.Message(err), c.msg)
			}
		})
	}
}

func TestParseModel(t *testing.T) {
	c, err := Parse(doc(rule(`<ID>x</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>`)), "")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Rules[0]
	if r.ID != "x" || r.Filter.Prefix != "p/" || len(r.Filter.Tags) != 1 || r.Expiration.Days != 3 || c.MinSize != MinSizeAll128K {
		t.Fatalf("model %+v", c)
	}
	// A rule without an ID gets one.
	c, err = Parse(doc(rule(`<Filter/><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>`)), "")
	if err != nil || c.Rules[0].ID == "" {
		t.Fatalf("generated id: %v %+v", err, c)
	}
}

func TestFilterMatches(t *testing.T) {
	gt, lt := int64(10), int64(100)
	f := Filter{Prefix: "logs/", Tags: []Tag{{"a", "1"}, {"b", "2"}}, SizeGreaterThan: &gt, SizeLessThan: &lt}
	tags := []Tag{{"b", "2"}, {"a", "1"}, {"c", "3"}}
	cases := []struct {
		o    Object
		want bool
	}{
		{Object{Key: "logs/x", Size: 50, Tags: tags}, true},
		{Object{Key: "log/x", Size: 50, Tags: tags}, false},
		{Object{Key: "logs/x", Size: 10, Tags: tags}, false},
		{Object{Key: "logs/x", Size: 100, Tags: tags}, false},
		{Object{Key: "logs/x", Size: 11, Tags: tags[:1]}, false},
		{Object{Key: "logs/x", Size: 99, Tags: []Tag{{"a", "1"}, {"b", "3"}}}, false},
	}
	for i, c := range cases {
		if got := f.Matches(c.o); got != c.want {
			t.Errorf("%d: Matches(%+v) = %v", i, c.o, got)
		}
	}
	var all Filter
	if !all.Matches(Object{Key: "anything"}) {
		t.Fatal("empty filter must match")
	}
}

func TestDueAt(t *testing.T) {
	day := 24 * time.Hour
	mtime := time.Date(2026, 3, 10, 15, 4, 5, 0, time.UTC)
	if got, want := DueAt(mtime, 1, day), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("DueAt = %v, want %v", got, want)
	}
	midnight := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	if got, want := DueAt(midnight, 2, day), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("DueAt(midnight) = %v, want %v", got, want)
	}
	// A 2-second test day rounds to multiples of 2 s.
	short := 2 * time.Second
	at := time.Unix(1001, 500)
	if got := DueAt(at, 3, short); !got.Equal(time.Unix(1008, 0)) {
		t.Fatalf("short day: %v", got.Unix())
	}
	if got := DueAt(mtime, 1<<31-1, time.Duration(1<<62)); got.Before(mtime) {
		t.Fatalf("overflow: %v", got)
	}
}

func TestDecisions(t *testing.T) {
	day := 24 * time.Hour
	tr := true
	date := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := &Config{Rules: []Rule{
		{ID: "logs", Status: Enabled, Filter: Filter{Prefix: "logs/"}, Expiration: &Expiration{Days: 3}},
		{ID: "soon", Status: Enabled, Filter: Filter{Prefix: "logs/tmp/"}, Expiration: &Expiration{Days: 1}},
		{ID: "date", Status: Enabled, Filter: Filter{Prefix: "old/"}, Expiration: &Expiration{Date: date}},
		{ID: "off", Status: Disabled, Expiration: &Expiration{Days: 1}, AbortUpload: &AbortUpload{1}},
		{ID: "dm", Status: Enabled, Filter: Filter{Prefix: "dm/"}, Expiration: &Expiration{ExpiredObjectDeleteMarker: &tr}},
		{ID: "nc", Status: Enabled, Filter: Filter{Prefix: "v/"}, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 2, NewerNoncurrentVersions: 1}},
		{ID: "mpu", Status: Enabled, Filter: Filter{Prefix: "up/"}, AbortUpload: &AbortUpload{DaysAfterInitiation: 2}},
	}}
	mtime := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	e, ok := c.CurrentExpiry(Object{Key: "logs/tmp/a"}, mtime, day)
	if !ok || e.RuleID != "soon" || !e.At.Equal(time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("earliest rule: %+v %v", e, ok)
	}
	if got := ExpirationHeader(e); got != `expiry-date="Thu, 12 Mar 2026 00:00:00 GMT", rule-id="soon"` {
		t.Fatalf("header %s", got)
	}
	if e, ok := c.CurrentExpiry(Object{Key: "old/x"}, mtime, day); !ok || !e.At.Equal(date) {
		t.Fatalf("date rule: %+v", e)
	}
	if _, ok := c.CurrentExpiry(Object{Key: "other"}, mtime, day); ok {
		t.Fatal("disabled rule applied")
	}
	if _, ok := c.CurrentExpiry(Object{Key: "logs/a", DeleteMarker: true}, mtime, day); ok {
		t.Fatal("a delete marker does not expire as a current version")
	}
	now := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	if _, ok := c.MarkerDue("dm/x", now, now, day); !ok {
		t.Fatal("ExpiredObjectDeleteMarker")
	}
	if _, ok := c.MarkerDue("logs/x", mtime, now, day); ok {
		t.Fatal("Days: marker not old enough yet")
	}
	if id, ok := c.MarkerDue("logs/x", mtime, now.Add(48*time.Hour), day); !ok || id != "logs" {
		t.Fatal("Days: old marker removed")
	}
	if _, ok := c.NoncurrentDue(Object{Key: "v/a"}, mtime, 0, now.Add(72*time.Hour), day); ok {
		t.Fatal("the newest noncurrent version is kept (NewerNoncurrentVersions 1)")
	}
	if _, ok := c.NoncurrentDue(Object{Key: "v/a"}, mtime, 1, now.Add(-time.Second), day); ok {
		t.Fatal("not yet noncurrent for 2 days")
	}
	if _, ok := c.NoncurrentDue(Object{Key: "v/a"}, mtime, 1, now.Add(24*time.Hour), day); !ok {
		t.Fatal("second noncurrent version, 2 days noncurrent")
	}
	if _, ok := c.AbortDue("up/a", mtime, now.Add(24*time.Hour), day); !ok {
		t.Fatal("stale upload")
	}
	if _, ok := c.AbortDue("other", mtime, now.Add(240*time.Hour), day); ok {
		t.Fatal("disabled abort rule applied")
	}
	if v, u := c.Acts(); !v || !u {
		t.Fatal("Acts")
	}
}
