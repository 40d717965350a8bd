// Package kvtest is the conformance suite every kv.Store implementation must
// pass. An implementation's test calls Run with a function that opens a
// fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		kvtest.Run(t, func(t *testing.T) kv.Store { ... })
//	}
package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coffer/internal/kv"
)

// Run runs the conformance suite. open must return a fresh, empty store; Run
// closes it when the subtest ends (an ErrClosed from that Close is ignored).
func Run(t *testing.T, open func(t *testing.T) kv.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s kv.Store)
	}{
		{"GetSetDelete", testGetSetDelete},
		{"NotFound", testNotFound},
		{"ReadYourWrites", testReadYourWrites},
		{"Iterator", testIterator},
		{"BinaryKeys", testBinaryKeys},
		{"ViewSnapshot", testViewSnapshot},
		{"FailedFnWritesNothing", testFailedFn},
		{"NoAliasing", testNoAliasing},
		{"ConcurrentCounter", testCounter},
		{"WriteSkew", testWriteSkew},
		{"RangeReadConflict", testRangeConflict},
		{"DeleteRange", testDeleteRange},
		{"DeleteRangeConflict", testDeleteRangeConflict},
		{"RetryBudget", testRetryBudget},
		{"Closed", testClosed},
		{"LargeValues", testLargeValues},
		{"ManyKeys", testManyKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil && !errors.Is(err, kv.ErrClosed) {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// ---- helpers ----

func b(s string) []byte { return []byte(s) }

func set(t *testing.T, s kv.Store, kvs ...string) {
	t.Helper()
	if len(kvs)%2 != 0 {
		t.Fatal("set: odd number of arguments")
	}
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for i := 0; i < len(kvs); i += 2 {
			if err := tx.Set(b(kvs[i]), b(kvs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update(set): %v", err)
	}
}

// lookup returns the value of key and whether it exists.
func lookup(t *testing.T, s kv.Store, key []byte) ([]byte, bool) {
	t.Helper()
	var out []byte
	found := false
	err := s.View(t.Context(), func(tx kv.Reader) error {
		v, err := tx.Get(key)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out, found = bytes.Clone(v), true
		return nil
	})
	if err != nil {
		t.Fatalf("View(Get %q): %v", key, err)
	}
	return out, found
}

func want(t *testing.T, s kv.Store, key, value string) {
	t.Helper()
	v, ok := lookup(t, s, b(key))
	if !ok {
		t.Fatalf("Get(%q): not found, want %q", key, value)
	}
	if string(v) != value {
		t.Fatalf("Get(%q) = %q, want %q", key, v, value)
	}
}

func wantMissing(t *testing.T, s kv.Store, key string) {
	t.Helper()
	if v, ok := lookup(t, s, b(key)); ok {
		t.Fatalf("Get(%q) = %q, want not found", key, v)
	}
}

// pair is a copied key/value.
type pair struct{ k, v string }

// scan copies every pair of [start, end) from r.
func scan(r kv.Reader, start, end []byte) ([]pair, error) {
	it := r.NewIterator(start, end)
	defer it.Close()
	var out []pair
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, pair{string(it.Key()), string(it.Value())})
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	return out, it.Close()
}

func scanView(t *testing.T, s kv.Store, start, end []byte) []pair {
	t.Helper()
	var out []pair
	err := s.View(t.Context(), func(r kv.Reader) error {
		var err error
		out, err = scan(r, start, end)
		return err
	})
	if err != nil {
		t.Fatalf("View(scan): %v", err)
	}
	return out
}

func keysOf(ps []pair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.k
	}
	return out
}

// barrier is a two-party rendezvous with a timeout, so that a store that
// blocks one party while the other waits does not deadlock the test.
type barrier struct {
	once [2]sync.Once
	ch   [2]chan struct{}
}

func newBarrier() *barrier {
	return &barrier{ch: [2]chan struct{}{make(chan struct{}), make(chan struct{})}}
}

func (br *barrier) arrive(party int) {
	br.once[party].Do(func() { close(br.ch[party]) })
	select {
	case <-br.ch[1-party]:
	case <-time.After(250 * time.Millisecond):
	}
}

// ---- tests ----

func testGetSetDelete(t *testing.T, s kv.Store) {
	set(t, s, "a", "1", "b", "2")
	want(t, s, "a", "1")
	want(t, s, "b", "2")

	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Set(b("a"), b("3")); err != nil {
			return err
		}
		if err := tx.Delete(b("b")); err != nil {
			return err
		}
		if err := tx.Delete(b("never-existed")); err != nil {
			return fmt.Errorf("deleting a missing key: %w", err)
		}
		return tx.Set(b("empty"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	want(t, s, "a", "3")
	wantMissing(t, s, "b")
	wantMissing(t, s, "never-existed")
	// An empty value is a value, not an absence.
	want(t, s, "empty", "")
	if got := keysOf(scanView(t, s, b(""), nil)); !slices.Equal(got, []string{"a", "empty"}) {
		t.Fatalf("keys = %q, want [a empty]", got)
	}
}

func testNotFound(t *testing.T, s kv.Store) {
	set(t, s, "present", "x")
	err := s.View(t.Context(), func(r kv.Reader) error {
		if _, err := r.Get(b("absent")); !errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("View Get(absent) err = %v, want ErrNotFound", err)
		}
		if _, err := r.Get(b("presen")); !errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("View Get(prefix of a key) err = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(t.Context(), func(tx kv.Txn) error {
		_, err := tx.Get(b("absent"))
		return err
	})
	if !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Update returning Get's error = %v, want ErrNotFound", err)
	}
}

func testReadYourWrites(t *testing.T, s kv.Store) {
	set(t, s, "a", "1", "b", "1", "c", "1", "d", "1")
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for _, op := range []struct{ k, v string }{
			{"a", "2"},  // overwrite
			{"b2", "2"}, // insert between
			{"c", ""},   // delete (below)
			{"e", "2"},  // insert after
			{"0", "2"},  // insert before
		} {
			var err error
			if op.k == "c" {
				err = tx.Delete(b(op.k))
			} else {
				err = tx.Set(b(op.k), b(op.v))
			}
			if err != nil {
				return err
			}
		}
		if v, err := tx.Get(b("a")); err != nil || string(v) != "2" {
			return fmt.Errorf("Get(a) = %q, %v; want 2", v, err)
		}
		if v, err := tx.Get(b("b2")); err != nil || string(v) != "2" {
			return fmt.Errorf("Get(b2) = %q, %v; want 2", v, err)
		}
		if _, err := tx.Get(b("c")); !errors.Is(err, kv.ErrNotFound) {
			return fmt.Errorf("Get(deleted c) err = %v, want ErrNotFound", err)
		}
		got, err := scan(tx, b(""), nil)
		if err != nil {
			return err
		}
		exp := []pair{{"0", "2"}, {"a", "2"}, {"b", "1"}, {"b2", "2"}, {"d", "1"}, {"e", "2"}}
		if !slices.Equal(got, exp) {
			return fmt.Errorf("scan in txn = %v, want %v", got, exp)
		}
		// SeekGE lands on pending keys and skips pending deletes.
		it := tx.NewIterator(b("b"), b("e"))
		defer it.Close()
		if !it.SeekGE(b("b1")) || string(it.Key()) != "b2" {
			return fmt.Errorf("SeekGE(b1) should land on pending b2")
		}
		if !it.Next() || string(it.Key()) != "d" {
			return fmt.Errorf("Next after b2 should skip deleted c and land on d")
		}
		if it.Next() {
			return fmt.Errorf("Next after d should end at the bound e, got %q", it.Key())
		}
		// Delete then re-set inside the same transaction.
		if err := tx.Set(b("c"), b("3")); err != nil {
			return err
		}
		if v, err := tx.Get(b("c")); err != nil || string(v) != "3" {
			return fmt.Errorf("Get(c) after re-set = %q, %v; want 3", v, err)
		}
		return it.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	exp := []pair{{"0", "2"}, {"a", "2"}, {"b", "1"}, {"b2", "2"}, {"c", "3"}, {"d", "1"}, {"e", "2"}}
	if got := scanView(t, s, b(""), nil); !slices.Equal(got, exp) {
		t.Fatalf("after commit = %v, want %v", got, exp)
	}
}

func testIterator(t *testing.T, s kv.Store) {
	var kvs []string
	for i := range 10 {
		kvs = append(kvs, fmt.Sprintf("k/%d", i), fmt.Sprintf("v%d", i))
	}
	set(t, s, kvs...)

	check := func(r kv.Reader) error {
		expect := func(what string, ok bool, it kv.Iterator, key string) error {
			if key == "" {
				if ok || it.Valid() {
					return fmt.Errorf("%s: got %q, want end", what, it.Key())
				}
				return it.Err()
			}
			if !ok || !it.Valid() {
				return fmt.Errorf("%s: got end (err %v), want %q", what, it.Err(), key)
			}
			if string(it.Key()) != key || string(it.Value()) != "v"+key[2:] {
				return fmt.Errorf("%s: got %q=%q, want %q", what, it.Key(), it.Value(), key)
			}
			return nil
		}
		it := r.NewIterator(b("k/2"), b("k/7"))
		defer it.Close()
		var got []string
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, string(it.Key()))
		}
		if exp := []string{"k/2", "k/3", "k/4", "k/5", "k/6"}; !slices.Equal(got, exp) {
			return fmt.Errorf("[k/2,k/7) = %q, want %q", got, exp)
		}
		if it.Next() || it.Valid() {
			return errors.New("Next after the end must stay at the end")
		}
		steps := []struct {
			what string
			ok   func() bool
			key  string
		}{
			{"SeekGE before range", func() bool { return it.SeekGE(b("a")) }, "k/2"},
			{"SeekGE exact", func() bool { return it.SeekGE(b("k/4")) }, "k/4"},
			{"Next", it.Next, "k/5"},
			{"SeekGE between keys", func() bool { return it.SeekGE(b("k/55")) }, "k/6"},
			{"Next to end", it.Next, ""},
			{"SeekGE at upper bound", func() bool { return it.SeekGE(b("k/7")) }, ""},
			{"SeekGE past range", func() bool { return it.SeekGE(b("z")) }, ""},
			{"SeekGE backwards after end", func() bool { return it.SeekGE(b("k/3")) }, "k/3"},
			{"First again", it.First, "k/2"},
		}
		for _, st := range steps {
			if err := expect(st.what, st.ok(), it, st.key); err != nil {
				return err
			}
		}
		if err := it.Close(); err != nil {
			return err
		}

		// nil end: no upper bound.
		ps, err := scan(r, b("k/8"), nil)
		if err != nil {
			return err
		}
		if exp := []pair{{"k/8", "v8"}, {"k/9", "v9"}}; !slices.Equal(ps, exp) {
			return fmt.Errorf("[k/8, nil) = %v, want %v", ps, exp)
		}
		// Empty ranges.
		for _, rg := range [][2]string{{"k/5", "k/5"}, {"k/51", "k/59"}, {"l", "m"}, {"k/7", "k/3"}} {
			it := r.NewIterator(b(rg[0]), b(rg[1]))
			if it.First() || it.Valid() || it.SeekGE(b(rg[0])) || it.Err() != nil {
				it.Close()
				return fmt.Errorf("range [%s,%s) should be empty", rg[0], rg[1])
			}
			if err := it.Close(); err != nil {
				return err
			}
		}
		// Two iterators at once are independent.
		a, c := r.NewIterator(b("k/0"), b("k/5")), r.NewIterator(b("k/5"), nil)
		defer a.Close()
		defer c.Close()
		if !a.First() || !c.First() || !a.Next() || string(a.Key()) != "k/1" || string(c.Key()) != "k/5" {
			return errors.New("two concurrent iterators interfere")
		}
		return nil
	}
	if err := s.View(t.Context(), check); err != nil {
		t.Fatalf("View: %v", err)
	}
	if err := s.Update(t.Context(), func(tx kv.Txn) error { return check(tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func testBinaryKeys(t *testing.T, s kv.Store) {
	keys := [][]byte{
		{0x00}, {0x00, 0x00}, {0x00, 0xff}, {0x01}, {'a', 0x00, 'b'}, {'a', 0xff},
		{0x7f}, {0xff}, {0xff, 0x00}, {0xff, 0xff}, {0xff, 0xff, 0xff},
	}
	shuffled := slices.Clone(keys)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	val := func(k []byte) []byte { return append([]byte{0xff, 0x00}, k...) }
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for _, k := range shuffled {
			if err := tx.Set(k, val(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if v, ok := lookup(t, s, k); !ok || !bytes.Equal(v, val(k)) {
			t.Fatalf("Get(%x) = %x, %v", k, v, ok)
		}
	}
	str := func(ks [][]byte) []string {
		out := make([]string, len(ks))
		for i, k := range ks {
			out[i] = string(k)
		}
		return out
	}
	if got := keysOf(scanView(t, s, []byte{0x00}, nil)); !slices.Equal(got, str(keys)) {
		t.Fatalf("full scan = %x, want %x", got, str(keys))
	}
	if got := keysOf(scanView(t, s, []byte{0x00}, kv.PrefixEnd([]byte{0x00}))); !slices.Equal(got, str(keys[:3])) {
		t.Fatalf("prefix 00 = %x", got)
	}
	if got := keysOf(scanView(t, s, []byte{0xff}, kv.PrefixEnd([]byte{0xff}))); !slices.Equal(got, str(keys[7:])) {
		t.Fatalf("prefix ff = %x", got)
	}
	if got := keysOf(scanView(t, s, []byte{0xff, 0xff}, kv.PrefixEnd([]byte{0xff, 0xff}))); !slices.Equal(got, str(keys[9:])) {
		t.Fatalf("prefix ffff = %x", got)
	}
	if got := keysOf(scanView(t, s, []byte{'a'}, kv.PrefixEnd([]byte{'a'}))); !slices.Equal(got, str(keys[4:6])) {
		t.Fatalf("prefix a = %x", got)
	}
	err = s.View(t.Context(), func(r kv.Reader) error {
		it := r.NewIterator([]byte{0xff}, nil)
		defer it.Close()
		if !it.SeekGE([]byte{0xff, 0x00}) || !bytes.Equal(it.Key(), []byte{0xff, 0x00}) {
			return errors.New("SeekGE(ff00) in [ff, nil)")
		}
		if !it.SeekGE([]byte{0xff, 0x00, 0x00}) || !bytes.Equal(it.Key(), []byte{0xff, 0xff}) {
			return errors.New("SeekGE(ff0000) in [ff, nil)")
		}
		if it.SeekGE([]byte{0xff, 0xff, 0xff, 0x00}) {
			return errors.New("SeekGE(ffffff00) should be past the last key")
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testViewSnapshot(t *testing.T, s kv.Store) {
	set(t, s, "a", "1", "b", "1", "c", "1")
	err := s.View(t.Context(), func(r kv.Reader) error {
		if v, err := r.Get(b("a")); err != nil || string(v) != "1" {
			return fmt.Errorf("Get(a) = %q, %v", v, err)
		}
		// A writer commits while the View is open; it must not block on the
		// reader, and the reader must not see it.
		done := make(chan error, 1)
		go func() {
			done <- s.Update(context.Background(), func(tx kv.Txn) error {
				for _, k := range []string{"a", "b"} {
					if err := tx.Set(b(k), b("2")); err != nil {
						return err
					}
				}
				if err := tx.Delete(b("c")); err != nil {
					return err
				}
				return tx.Set(b("d"), b("2"))
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("concurrent Update: %w", err)
			}
		case <-time.After(10 * time.Second):
			return errors.New("an Update blocked on an open View")
		}
		if v, err := r.Get(b("b")); err != nil || string(v) != "1" {
			return fmt.Errorf("Get(b) after a concurrent commit = %q, %v; want the snapshot's 1", v, err)
		}
		ps, err := scan(r, b(""), nil)
		if err != nil {
			return err
		}
		if exp := []pair{{"a", "1"}, {"b", "1"}, {"c", "1"}}; !slices.Equal(ps, exp) {
			return fmt.Errorf("scan = %v, want the snapshot %v", ps, exp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exp := []pair{{"a", "2"}, {"b", "2"}, {"d", "2"}}
	if got := scanView(t, s, b(""), nil); !slices.Equal(got, exp) {
		t.Fatalf("after = %v, want %v", got, exp)
	}
}

func testFailedFn(t *testing.T, s kv.Store) {
	set(t, s, "keep", "1")
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Set(b("new"), b("x")); err != nil {
			return err
		}
		if err := tx.Set(b("keep"), b("2")); err != nil {
			return err
		}
		if err := tx.Delete(b("keep")); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v, want boom", err)
	}
	wantMissing(t, s, "new")
	want(t, s, "keep", "1")
}

func testNoAliasing(t *testing.T, s kv.Store) {
	key, val := b("alias/k"), b("value-1")
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		if err := tx.Set(key, val); err != nil {
			return err
		}
		// The caller reuses its buffers right after Set.
		copy(val, "XXXXXXX")
		copy(key, "alias/Z")
		v, err := tx.Get(b("alias/k"))
		if err != nil || string(v) != "value-1" {
			return fmt.Errorf("Get after mutating the Set arguments = %q, %v", v, err)
		}
		// A value returned by Get stays intact until the txn ends, even if
		// the txn overwrites the key.
		if err := tx.Set(b("alias/k"), b("value-2")); err != nil {
			return err
		}
		if string(v) != "value-1" {
			return fmt.Errorf("value returned by Get changed to %q by a later Set", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	copy(val, "YYYYYYY")
	want(t, s, "alias/k", "value-2")
	wantMissing(t, s, "alias/Z")

	// Copies made inside a transaction survive it and later writes.
	var kept []pair
	err = s.View(t.Context(), func(r kv.Reader) error {
		v, err := r.Get(b("alias/k"))
		if err != nil {
			return err
		}
		kept = append(kept, pair{"get", string(v)})
		it := r.NewIterator(b("alias/"), kv.PrefixEnd(b("alias/")))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			kept = append(kept, pair{string(it.Key()), string(it.Value())})
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "alias/k", "value-3", "alias/j", "j")
	if exp := []pair{{"get", "value-2"}, {"alias/k", "value-2"}}; !slices.Equal(kept, exp) {
		t.Fatalf("copies = %v, want %v", kept, exp)
	}
}

func testCounter(t *testing.T, s kv.Store) {
	const workers, perWorker = 8, 200
	key := b("counter")
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for i := 0; i < perWorker; {
				err := s.Update(context.Background(), func(tx kv.Txn) error {
					n := 0
					v, err := tx.Get(key)
					switch {
					case errors.Is(err, kv.ErrNotFound):
					case err != nil:
						return err
					default:
						if _, err := fmt.Sscanf(string(v), "%d", &n); err != nil {
							return fmt.Errorf("corrupt counter %q: %w", v, err)
						}
					}
					return tx.Set(key, fmt.Appendf(nil, "%d", n+1))
				})
				if errors.Is(err, kv.ErrConflict) {
					// The retry budget ran out under heavy contention: allowed, but
					// the increment must then not have happened. Try again.
					conflicts.Add(1)
					continue
				}
				if err != nil {
					errc <- err
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if n := conflicts.Load(); n > 0 {
		t.Logf("%d Updates gave up with ErrConflict", n)
	}
	want(t, s, "counter", fmt.Sprint(workers*perWorker))
}

// testWriteSkew: each of two transactions reads A and B and sets its own key
// only if neither is set. Serially, exactly one of them sets its key; snapshot
// isolation without read validation would let both.
func testWriteSkew(t *testing.T, s kv.Store) {
	const rounds = 100
	var wg sync.WaitGroup
	errc := make(chan error, 2*rounds)
	for r := range rounds {
		keys := [2][]byte{fmt.Appendf(nil, "skew/%03d/a", r), fmt.Appendf(nil, "skew/%03d/b", r)}
		br := newBarrier()
		for party := range 2 {
			wg.Go(func() {
				first := true
				err := s.Update(context.Background(), func(tx kv.Txn) error {
					set := 0
					for _, k := range keys {
						_, err := tx.Get(k)
						if err == nil {
							set++
						} else if !errors.Is(err, kv.ErrNotFound) {
							return err
						}
					}
					if first {
						// Make both transactions read before either commits.
						first = false
						br.arrive(party)
					}
					if set == 0 {
						return tx.Set(keys[party], b("on"))
					}
					return nil
				})
				if err != nil {
					errc <- err
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for r := range rounds {
		_, a := lookup(t, s, fmt.Appendf(nil, "skew/%03d/a", r))
		_, bb := lookup(t, s, fmt.Appendf(nil, "skew/%03d/b", r))
		if a == bb {
			t.Fatalf("round %d: a set=%v, b set=%v; want exactly one", r, a, bb)
		}
	}
}

// testRangeConflict: T1 scans a prefix and sets a flag only if the prefix is
// empty; T2 inserts under the prefix only if the flag is unset. Serially,
// exactly one of the flag and the item exists.
func testRangeConflict(t *testing.T, s kv.Store) {
	const rounds = 100
	var wg sync.WaitGroup
	errc := make(chan error, 2*rounds)
	for r := range rounds {
		prefix := fmt.Appendf(nil, "rc/%03d/items/", r)
		flag := fmt.Appendf(nil, "rc/%03d/flag", r)
		// Neighbours outside the range must not matter.
		set(t, s, fmt.Sprintf("rc/%03d/items.", r), "outside", fmt.Sprintf("rc/%03d/items-", r), "outside")
		br := newBarrier()
		wg.Go(func() { // T1: range read, then write the flag
			first := true
			err := s.Update(context.Background(), func(tx kv.Txn) error {
				it := tx.NewIterator(prefix, kv.PrefixEnd(prefix))
				defer it.Close()
				var found bool
				if r%2 == 0 {
					found = it.First()
				} else {
					found = it.SeekGE(append(slices.Clone(prefix), 'm'))
					if !found {
						found = it.SeekGE(prefix)
					}
				}
				if err := it.Err(); err != nil {
					return err
				}
				if err := it.Close(); err != nil {
					return err
				}
				if first {
					first = false
					br.arrive(0)
				}
				if !found {
					return tx.Set(flag, b("empty"))
				}
				return nil
			})
			if err != nil {
				errc <- err
			}
		})
		wg.Go(func() { // T2: read the flag, then insert into the range
			first := true
			err := s.Update(context.Background(), func(tx kv.Txn) error {
				_, err := tx.Get(flag)
				if err != nil && !errors.Is(err, kv.ErrNotFound) {
					return err
				}
				if first {
					first = false
					br.arrive(1)
				}
				if errors.Is(err, kv.ErrNotFound) {
					item := append(slices.Clone(prefix), byte('a'+r%26))
					return tx.Set(item, b("item"))
				}
				return nil
			})
			if err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for r := range rounds {
		prefix := fmt.Appendf(nil, "rc/%03d/items/", r)
		_, flagged := lookup(t, s, fmt.Appendf(nil, "rc/%03d/flag", r))
		items := len(scanView(t, s, prefix, kv.PrefixEnd(prefix)))
		if flagged == (items > 0) {
			t.Fatalf("round %d: flag=%v items=%d; want exactly one of them", r, flagged, items)
		}
	}
}

// testDeleteRange: a range delete removes what is in its range (and only
// that), the transaction reads its effect, and a key written after it in
// the same transaction stays.
func testDeleteRange(t *testing.T, s kv.Store) {
	set(t, s, "dr/a", "1", "dr/b", "2", "dr/c", "3", "dr/d", "4", "dr/e", "5", "dr/z", "6", "ds/x", "7")
	err := s.Update(context.Background(), func(tx kv.Txn) error {
		if err := tx.Set(b("dr/b2"), b("written before")); err != nil {
			return err
		}
		if err := tx.DeleteRange(b("dr/b"), b("dr/e")); err != nil {
			return err
		}
		if err := tx.DeleteRange(b("dr/y"), b("dr/x")); err != nil { // empty: nothing
			return err
		}
		if err := tx.DeleteRange(b("dr/"), nil); err == nil {
			return errors.New("DeleteRange without an end succeeded")
		}
		if err := tx.Set(b("dr/c"), b("written after")); err != nil {
			return err
		}
		for _, k := range []string{"dr/b", "dr/b2", "dr/d"} {
			if _, err := tx.Get(b(k)); !errors.Is(err, kv.ErrNotFound) {
				return fmt.Errorf("Get(%s) after DeleteRange: %v, want not found", k, err)
			}
		}
		if v, err := tx.Get(b("dr/c")); err != nil || string(v) != "written after" {
			return fmt.Errorf("Get(dr/c) = %q, %v", v, err)
		}
		got, err := scan(tx, b("dr/"), b("dt"))
		if err != nil {
			return err
		}
		if ks := strings.Join(keysOf(got), " "); ks != "dr/a dr/c dr/e dr/z ds/x" {
			return fmt.Errorf("scan inside the transaction: %s", ks)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := scanView(t, s, b("dr/"), b("dt"))
	if ks := strings.Join(keysOf(got), " "); ks != "dr/a dr/c dr/e dr/z ds/x" {
		t.Fatalf("after the commit: %s", ks)
	}
	want(t, s, "dr/c", "written after")
	want(t, s, "dr/e", "5")
}

// testDeleteRangeConflict: a transaction that read a key (by Get, or in a
// scan) conflicts with a concurrent commit that deleted a range holding it.
// T1 sees the key and records so in a flag; T2 deletes the key's range
// unless the flag is set. In any serial order exactly one of "flag set"
// and "key deleted" holds.
func testDeleteRangeConflict(t *testing.T, s kv.Store) {
	const rounds = 100
	var wg sync.WaitGroup
	errc := make(chan error, 2*rounds)
	for r := range rounds {
		prefix := fmt.Appendf(nil, "drc/%03d/items/", r)
		key := append(slices.Clone(prefix), 'k')
		flag := fmt.Appendf(nil, "drc/%03d/flag", r)
		set(t, s, string(key), "here")
		br := newBarrier()
		wg.Go(func() { // T1: read the key, flag that it was seen
			first := true
			err := s.Update(context.Background(), func(tx kv.Txn) error {
				var seen bool
				if r%2 == 0 {
					_, err := tx.Get(key)
					if err != nil && !errors.Is(err, kv.ErrNotFound) {
						return err
					}
					seen = err == nil
				} else {
					it := tx.NewIterator(prefix, kv.PrefixEnd(prefix))
					seen = it.First()
					if err := it.Close(); err != nil {
						return err
					}
				}
				if first {
					first = false
					br.arrive(0)
				}
				if seen {
					return tx.Set(flag, b("seen"))
				}
				return nil
			})
			if err != nil {
				errc <- err
			}
		})
		wg.Go(func() { // T2: unless flagged, delete the key's range
			first := true
			err := s.Update(context.Background(), func(tx kv.Txn) error {
				_, err := tx.Get(flag)
				if err != nil && !errors.Is(err, kv.ErrNotFound) {
					return err
				}
				if first {
					first = false
					br.arrive(1)
				}
				if errors.Is(err, kv.ErrNotFound) {
					return tx.DeleteRange(prefix, kv.PrefixEnd(prefix))
				}
				return nil
			})
			if err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for r := range rounds {
		_, flagged := lookup(t, s, fmt.Appendf(nil, "drc/%03d/flag", r))
		_, kept := lookup(t, s, fmt.Appendf(nil, "drc/%03d/items/k", r))
		if flagged != kept {
			t.Fatalf("round %d: flag=%v key kept=%v; want both or neither", r, flagged, kept)
		}
	}
}

func testRetryBudget(t *testing.T, s kv.Store) {
	key := b("budget/k")
	bump := func(n int) error {
		return s.Update(context.Background(), func(tx kv.Txn) error {
			return tx.Set(key, fmt.Appendf(nil, "%d", n))
		})
	}
	// A conflict on the first two attempts only: Update retries and succeeds.
	attempts := 0
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		attempts++
		if _, err := tx.Get(key); err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if attempts <= 2 {
			// A concurrent writer changes what this attempt read.
			if err := bump(attempts); err != nil {
				return err
			}
		}
		return tx.Set(b("budget/out"), fmt.Appendf(nil, "%d", attempts))
	})
	if err != nil {
		t.Fatalf("Update with two conflicting attempts: %v", err)
	}
	if attempts != 3 {
		t.Fatalf("attempts = %d, want 3 (two conflicts, then success)", attempts)
	}
	want(t, s, "budget/out", "3")

	// A conflict on every attempt: Update gives up with ErrConflict after
	// retrying, and nothing of fn is written.
	attempts = 0
	err = s.Update(t.Context(), func(tx kv.Txn) error {
		attempts++
		if _, err := tx.Get(key); err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if err := bump(1000 + attempts); err != nil {
			return err
		}
		return tx.Set(b("budget/never"), b("x"))
	})
	if !errors.Is(err, kv.ErrConflict) {
		t.Fatalf("Update that always conflicts: err = %v, want ErrConflict", err)
	}
	if attempts < 3 {
		t.Fatalf("gave up after %d attempts; want several retries first", attempts)
	}
	t.Logf("gave up after %d attempts", attempts)
	wantMissing(t, s, "budget/never")
	want(t, s, "budget/k", fmt.Sprint(1000+attempts))
}

func testClosed(t *testing.T, s kv.Store) {
	set(t, s, "a", "1")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ran := false
	if err := s.View(t.Context(), func(kv.Reader) error { ran = true; return nil }); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("View after Close: %v, want ErrClosed", err)
	}
	if err := s.Update(t.Context(), func(kv.Txn) error { ran = true; return nil }); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("Update after Close: %v, want ErrClosed", err)
	}
	if ran {
		t.Fatal("fn ran on a closed store")
	}
}

func testLargeValues(t *testing.T, s kv.Store) {
	const size = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	big := func() []byte {
		v := make([]byte, size)
		for i := range v {
			v[i] = byte(rng.Uint32())
		}
		return v
	}
	vals := [][]byte{big(), big(), big(), big()}
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for i, v := range vals {
			if err := tx.Set(fmt.Appendf(nil, "big/%d", i), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(t.Context(), func(r kv.Reader) error {
		for i, v := range vals {
			got, err := r.Get(fmt.Appendf(nil, "big/%d", i))
			if err != nil {
				return err
			}
			if !bytes.Equal(got, v) {
				return fmt.Errorf("big/%d: value differs (len %d)", i, len(got))
			}
		}
		it := r.NewIterator(b("big/"), kv.PrefixEnd(b("big/")))
		defer it.Close()
		i := 0
		for ok := it.First(); ok; ok = it.Next() {
			if !bytes.Equal(it.Value(), vals[i]) {
				return fmt.Errorf("iterator value %d differs", i)
			}
			i++
		}
		if i != len(vals) {
			return fmt.Errorf("iterated %d values, want %d", i, len(vals))
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite one in a read-modify-write.
	err = s.Update(t.Context(), func(tx kv.Txn) error {
		v, err := tx.Get(b("big/0"))
		if err != nil {
			return err
		}
		nv := slices.Clone(v)
		nv[size-1] ^= 0xff
		vals[0] = nv
		return tx.Set(b("big/0"), nv)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := lookup(t, s, b("big/0")); !bytes.Equal(v, vals[0]) {
		t.Fatal("big/0 after overwrite differs")
	}
}

func testManyKeys(t *testing.T, s kv.Store) {
	const n = 10000
	key := func(i int) []byte { return fmt.Appendf(nil, "many/%05d", i) }
	order := rand.Perm(n)
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for _, i := range order {
			if err := tx.Set(key(i), fmt.Appendf(nil, "v%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := scanView(t, s, b("many/"), kv.PrefixEnd(b("many/")))
	if len(ps) != n {
		t.Fatalf("scanned %d keys, want %d", len(ps), n)
	}
	for i, p := range ps {
		if p.k != string(key(i)) || p.v != fmt.Sprintf("v%d", i) {
			t.Fatalf("entry %d = %v", i, p)
		}
	}
	// Jump into the middle and delete every other key in one transaction,
	// reading as it goes.
	err = s.Update(t.Context(), func(tx kv.Txn) error {
		it := tx.NewIterator(b("many/"), kv.PrefixEnd(b("many/")))
		defer it.Close()
		if !it.SeekGE(key(n/2)) || !bytes.Equal(it.Key(), key(n/2)) {
			return errors.New("SeekGE into the middle")
		}
		for i := range n {
			if i%2 == 0 {
				if err := tx.Delete(key(i)); err != nil {
					return err
				}
			}
		}
		return it.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	ps = scanView(t, s, b("many/"), kv.PrefixEnd(b("many/")))
	if len(ps) != n/2 || ps[0].k != string(key(1)) || ps[len(ps)-1].k != string(key(n-1)) {
		t.Fatalf("after deleting half: %d keys", len(ps))
	}
}
