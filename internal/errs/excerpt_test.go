package errs

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	if got := Excerpt("short"); got != "short" {
		t.Fatal(got)
	}
	long := strings.Repeat("é", 200) // 2 bytes each
	got := Excerpt(long)
	if len(got) > MaxExcerpt+3 || !strings.HasSuffix(got, "...") || !utf8.ValidString(got) {
		t.Fatalf("Excerpt: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if m := BoundMessage(strings.Repeat("x", 5000)); len(m) > 1024+3 {
		t.Fatalf("BoundMessage: %d bytes", len(m))
	}
}

// Values quoted with %q are cut; other verbs and the caller's slice are
// left alone.
func TestNew_boundsQuotedInput(t *testing.T) {
	name := strings.Repeat("n", 5000)
	args := []any{name, name}
	e := New(InvalidArgument, "user %q: %s%%", args...)
	if len(e.Msg) > 2*MaxExcerpt+5000 || !strings.Contains(e.Msg, `"`+strings.Repeat("n", MaxExcerpt)+`..."`) {
		t.Fatalf("message %d bytes: %.200s", len(e.Msg), e.Msg)
	}
	if args[0] != name {
		t.Fatal("the caller's arguments were changed")
	}
	f := Field(InvalidArgument, name, "%5.2f and %q", 1.5, name)
	if len(f.Msg) > 200 || len(f.Field) > MaxExcerpt+3 {
		t.Fatalf("Field: message %d bytes, field %d bytes", len(f.Msg), len(f.Field))
	}
}
