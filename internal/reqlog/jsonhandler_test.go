package reqlog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

// bothLines writes r with JSONHandler and with slog.JSONHandler.
func bothLines(t *testing.T, r slog.Record) (got, want string) {
	t.Helper()
	var a, b bytes.Buffer
	if err := NewJSONHandler(&a, nil).Handle(context.Background(), r.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := slog.NewJSONHandler(&b, nil).Handle(context.Background(), r.Clone()); err != nil {
		t.Fatal(err)
	}
	return a.String(), b.String()
}

func record(msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(time.Date(2026, 12, 2, 0, 42, 7, 123456789, time.UTC), slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

func TestJSONHandlerMatchesSlog(t *testing.T) {
	loc := time.FixedZone("X", -(3*3600 + 30*60))
	cases := []slog.Record{
		record("request", slog.String("request_id", "18A2B3C4D5E6F708"), slog.String("listener", "s3"),
			slog.String("op", "GetObject"), slog.String("key", "get4k/c07/obj-000123"), slog.Int("status", 200),
			slog.String("error_code", ""), slog.Int64("bytes_in", 0), slog.Int64("bytes_out", 4096),
			slog.Float64("duration_ms", 0.123)),
		record("esc \"q\" \\ \n\r\t \x01 \x7f <a>&", slog.String("k\"ey", "ü \u2028 \u2029 \xff\xfe end")),
		record("", slog.String("", ""), slog.Bool("b", true), slog.Uint64("u", math.MaxUint64),
			slog.Int64("neg", math.MinInt64), slog.Duration("d", 1500*time.Millisecond),
			slog.Time("t", time.Date(2001, 2, 3, 4, 5, 6, 0, loc))),
		record("floats", slog.Float64("zero", 0), slog.Float64("negzero", math.Copysign(0, -1)),
			slog.Float64("tiny", 1e-7), slog.Float64("small", 0.000001), slog.Float64("big", 1e21),
			slog.Float64("bigish", 1e20), slog.Float64("neg", -2.5e-9), slog.Float64("third", 1.0/3)),
		slog.NewRecord(time.Time{}, slog.LevelWarn+2, "no time", 0),
		// Written by slog.JSONHandler underneath.
		record("any", slog.Any("err", errors.New("boom")), slog.Any("m", map[string]int{"a": 1})),
		record("group", slog.Group("g", slog.String("a", "b"))),
		record("nan", slog.Float64("x", math.NaN())),
		record("year", slog.Time("t", time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC))),
	}
	for i, r := range cases {
		got, want := bothLines(t, r)
		if got != want {
			t.Errorf("%d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// Levels below the handler's are not written; derived handlers still
// write through the same writer.
func TestJSONHandlerLevelAndDerived(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	log.Info("dropped")
	log.With("c", "x").WithGroup("g").Warn("kept", "a", 1)
	if s := buf.String(); strings.Contains(s, "dropped") || !strings.Contains(s, `"c":"x","g":{"a":1}`) {
		t.Fatalf("output %q", s)
	}
}

func FuzzJSONHandler(f *testing.F) {
	f.Add("request", "key", "value", int64(-3), 0.25, true)
	f.Add("\u2028", "\xff", "\"\\\n", int64(math.MaxInt64), 1e-7, false)
	f.Fuzz(func(t *testing.T, msg, key, val string, n int64, fl float64, bl bool) {
		r := record(msg, slog.String(key, val), slog.Int64(val, n), slog.Float64(key, fl), slog.Bool(msg, bl),
			slog.Duration("d", time.Duration(n)))
		if got, want := bothLines(t, r); got != want {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
