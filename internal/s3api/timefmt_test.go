package s3api

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"coffer/internal/objects"
)

// The fixed-layout formatters must render exactly what time.Format does,
// across the whole range of years (outside 0000-9999 they defer to Format),
// in any location and at any sub-second instant.
func TestTimeFormatMatchesFormat(t *testing.T) {
	locs := []*time.Location{time.UTC, time.FixedZone("x", -7*3600-1800), time.FixedZone("y", 13*3600)}
	check := func(tm time.Time) {
		t.Helper()
		if got, want := isoTime(tm), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Fatalf("isoTime(%v) = %q, Format gives %q", tm, got, want)
		}
		if got, want := httpTime(tm), tm.UTC().Format(http.TimeFormat); got != want {
			t.Fatalf("httpTime(%v) = %q, Format gives %q", tm, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		var sec int64
		switch i % 3 {
		case 0: // around now
			sec = time.Now().Unix() + rng.Int64N(1<<32) - 1<<31
		case 1: // years 0000-9999
			sec = rng.Int64N(315537897600) - 62167219200
		default: // anything, including years far outside the layout's four digits
			sec = rng.Int64N(1<<40) - 1<<39
		}
		check(time.Unix(sec, rng.Int64N(1e9)).In(locs[i%len(locs)]))
	}
	for _, tm := range []time.Time{{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 1e6, time.UTC)} {
		check(tm)
	}
}

func BenchmarkISOTime(b *testing.B) {
	tm := time.Now()
	for b.Loop() {
		_ = isoTime(tm)
	}
}

// A page's shared strings give each object exactly isoTime and quoteETag
// of its own values, whatever the ETag's quoting and the year.
func TestPageStrings(t *testing.T) {
	etags := []string{"", `"`, `""`, `"abc"`, "d41d8cd98f00b204e9800998ecf8427e", "5f363e0e58a95f06cbe9bbc662c5dfb6-3", `"x`, `x"`}
	times := []time.Time{{}, time.Unix(1700000000, 123456789), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 23, 59, 59, 999e6, time.FixedZone("z", 3600))}
	var objs []objects.ObjectInfo
	for i, e := range etags {
		for j, tm := range times {
			objs = append(objs, objects.ObjectInfo{Key: fmt.Sprint(i, j), ETag: e, LastModified: tm})
		}
	}
	p := newPageStrings(objs)
	for i, o := range objs {
		if got, want := p.lastModified(i), isoTime(o.LastModified); got != want {
			t.Errorf("object %d: LastModified %q, want %q", i, got, want)
		}
		if got, want := p.etag(i), quoteETag(o.ETag); got != want {
			t.Errorf("object %d: ETag %q, want %q", i, got, want)
		}
	}
}
