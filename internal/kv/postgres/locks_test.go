package postgres

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"coffer/internal/kv"
)

// TestSpanLevel: a span's granule is the longest level whose prefix holds
// every key of the span, and no longer.
func TestSpanLevel(t *testing.T) {
	for _, c := range []struct {
		lo, hi []byte
		want   int
	}{
		{[]byte("abc"), nil, 0},
		{[]byte(""), []byte("a"), 0},
		{[]byte("a"), []byte("b"), 1},
		{[]byte("a"), []byte("c"), 0},
		{[]byte("abcdefgh"), kv.PrefixEnd([]byte("abcdefgh")), 1},
		{[]byte("abcdefghi"), kv.PrefixEnd([]byte("abcdefghi")), 9},
		{[]byte("abcdefghijkl"), kv.PrefixEnd([]byte("abcdefghijkl")), 9},
		{[]byte("abcdefghijklmnopq"), kv.PrefixEnd([]byte("abcdefghijklmnopq")), 17},
		{[]byte("abcdefghijklmnopqm"), []byte("abcdefghijklmnopqz"), 17},
		{[]byte("abcdefghijklmnopq"), []byte("abcdefghijklmnopr\x00"), 9}, // hi past the 17-byte prefix
		{[]byte("\xff"), []byte("\xff\xff"), 1},
		{[]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), 9},
	} {
		got := spanLevel(c.lo, c.hi)
		if got != c.want {
			t.Errorf("spanLevel(%q, %q) = %d, want %d", c.lo, c.hi, got, c.want)
		}
		// Whatever the level, every key of the span has its prefix.
		p := c.lo[:got]
		if c.hi != nil && !(bytes.HasPrefix(c.lo, p) && (kv.PrefixEnd(p) == nil || bytes.Compare(c.hi, kv.PrefixEnd(p)) <= 0)) {
			t.Errorf("span [%q, %q): level %d does not hold it", c.lo, c.hi, got)
		}
	}
}

// TestCommitLocks: ids sorted and distinct; a key read and written is locked
// once, exclusive; a writer shares the granule a reader of its span takes
// exclusive; a commit past maxCommitLocks takes the global granule alone.
func TestCommitLocks(t *testing.T) {
	s := &Store{opts: Options{Schema: "coffer"}}
	ver := int64(7)
	tx := &txn{s: s, points: map[string]*int64{"a": &ver, "shared": nil}}
	tx.put([]byte("a"), pending{val: []byte("1")})
	tx.put([]byte("Vbucket01/key\x00\x01x"), pending{del: true})
	tx.spans = []span{{lo: []byte("Vbucket01/key\x00\x01"), hi: kv.PrefixEnd([]byte("Vbucket01/key\x00\x01"))}}
	ids, excl := tx.commitLocks()
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Fatalf("ids not sorted and distinct: %v", ids)
	}
	mode := map[int64]bool{}
	for i, id := range ids {
		mode[id] = excl[i]
	}
	check := func(what string, id int64, wantExcl bool) {
		t.Helper()
		m, ok := mode[id]
		if !ok || m != wantExcl {
			t.Errorf("%s: held %v, exclusive %v; want held, exclusive %v", what, ok, m, wantExcl)
		}
	}
	check("point a (read and written)", lockID("coffer", lockPoint, 0, []byte("a")), true)
	check("point shared (read)", lockID("coffer", lockPoint, 0, []byte("shared")), false)
	check("global granule (written)", lockID("coffer", lockRange, 0, nil), false)
	// The span's granule is level 9 ("Vbucket01"); the deleted key is in
	// it and shares it, and the span takes it exclusive.
	check("span granule", lockID("coffer", lockRange, 9, []byte("Vbucket01")), true)
	check("level 1 of the deleted key", lockID("coffer", lockRange, 1, []byte("V")), false)
	if _, ok := mode[lockID("coffer", lockRange, 17, []byte("Vbucket01/key\x00\x01x"))]; ok {
		t.Error("a 16-byte key takes a level-17 granule")
	}
	if other := lockID("other", lockPoint, 0, []byte("a")); mode[other] {
		t.Error("another schema's lock ids are the same")
	}
	t.Logf("a commit reading 2 keys and a span, writing 2 keys: %d locks", len(ids))

	big := &txn{s: s}
	for i := range maxCommitLocks {
		big.put(fmt.Appendf(nil, "k%d", i), pending{val: []byte("x")})
	}
	ids, excl = big.commitLocks()
	if len(ids) != 1 || ids[0] != lockID("coffer", lockRange, 0, nil) || !excl[0] {
		t.Fatalf("a commit of %d keys takes %d locks (%v), want the global granule alone, exclusive", maxCommitLocks, len(ids), excl)
	}
}
