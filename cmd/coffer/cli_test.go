package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "1KiB": 1024, "10GiB": 10 << 30, "1.5G": 3 << 29, "2TB": 2e12, "800 MiB": 800 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "10XB", "1..2"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"bucket", "show"}, {"tenant", "create"}, {"fsck"}, {"job", "list", "--dialect", "x"}, {"tenant", "list", "--bogus"}} {
		var out, errb bytes.Buffer
		c := newCLI(context.Background(), &out, &errb, strings.NewReader(""))
		c.config = t.TempDir() + "/none.json"
		c.root.SetArgs(args)
		err := c.root.Execute()
		ee, ok := err.(*exitError)
		if !ok || ee.code != 2 {
			t.Errorf("%v: %v, want a usage error (exit 2)", args, err)
		}
	}
}
