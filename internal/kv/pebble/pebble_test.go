package pebble

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
	"coffer/internal/kv/kvtest"
)

func openTest(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformanceDisk(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) kv.Store {
		return openTest(t, Options{Dir: t.TempDir()})
	})
}

func TestConformanceMem(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) kv.Store {
		return openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	})
}

func TestOptionsValidate(t *testing.T) {
	if err := (&Options{Dir: "x"}).Validate(); err != nil {
		t.Fatalf("minimal options: %v", err)
	}
	err := (&Options{CacheSize: -1, MemTableSize: 1000}).Validate()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"Dir", "CacheSize", "MemTableSize"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := Open(Options{}); err == nil {
		t.Fatal("Open without Dir succeeded")
	}
}

func TestReopen(t *testing.T) {
	fs, dir := vfs.NewMem(), "db"
	s := openTest(t, Options{Dir: dir, FS: fs})
	err := s.Update(t.Context(), func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, kv.ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	s = openTest(t, Options{Dir: dir, FS: fs})
	defer s.Close()
	err = s.View(t.Context(), func(r kv.Reader) error {
		v, err := r.Get([]byte("k"))
		if err != nil || string(v) != "v" {
			return fmt.Errorf("Get = %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The retry budget is exactly maxAttempts runs of fn.
func TestRetryBudgetExact(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem(), maxAttempts: 7})
	defer s.Close()
	attempts := 0
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		attempts++
		if _, err := tx.Get([]byte("k")); err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte("k"), nil) })
	})
	if !errors.Is(err, kv.ErrConflict) || attempts != 7 {
		t.Fatalf("err = %v after %d attempts; want ErrConflict after 7", err, attempts)
	}
}

// A transaction that started before the oldest commit the log retains cannot
// be validated and is retried, even if it read nothing that changed; blind
// writes never conflict.
func TestCommitLogEviction(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem(), logEntries: 4})
	defer s.Close()
	others := func(n int) error {
		for i := range n {
			err := s.Update(context.Background(), func(tx kv.Txn) error {
				return tx.Set(fmt.Appendf(nil, "other/%d", i), nil)
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, tc := range []struct {
		commits, wantAttempts int
	}{{3, 1}, {10, 2}} {
		attempts := 0
		err := s.Update(t.Context(), func(tx kv.Txn) error {
			attempts++
			if _, err := tx.Get([]byte("mine")); err != nil && !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			if attempts == 1 {
				if err := others(tc.commits); err != nil {
					return err
				}
			}
			return tx.Set([]byte("mine"), []byte("x"))
		})
		if err != nil || attempts != tc.wantAttempts {
			t.Fatalf("%d unrelated commits: err=%v attempts=%d, want %d", tc.commits, err, attempts, tc.wantAttempts)
		}
	}
	// Blind write across an evicted window: no read set, no conflict.
	attempts := 0
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		attempts++
		if attempts == 1 {
			if err := others(10); err != nil {
				return err
			}
		}
		return tx.Set([]byte("blind"), nil)
	})
	if err != nil || attempts != 1 {
		t.Fatalf("blind write: err=%v attempts=%d", err, attempts)
	}
}

// The byte budget evicts too; the newest entry always stays.
func TestCommitLogBytes(t *testing.T) {
	l := newCommitLog(8, 200)
	for seq := uint64(1); seq <= 5; seq++ {
		l.add(&commitEntry{seq: seq, keys: []string{"k"}, size: 90})
	}
	if l.get(3) != nil || l.get(4) == nil || l.get(5) == nil {
		t.Fatalf("retained oldest=%d bytes=%d", l.oldest, l.bytes)
	}
	l.add(&commitEntry{seq: 6, keys: []string{"big"}, size: 1000})
	if l.get(5) != nil || l.get(6) == nil || l.bytes != 1000 {
		t.Fatalf("after a big entry: oldest=%d bytes=%d", l.oldest, l.bytes)
	}
	for seq := uint64(7); seq <= 30; seq++ { // wrap the ring
		l.add(&commitEntry{seq: seq, size: 10})
	}
	for seq := uint64(1); seq <= 30; seq++ {
		if got := l.get(seq) != nil; got != (seq > 22) {
			t.Fatalf("seq %d retained=%v", seq, got)
		}
	}
}

func TestReadSet(t *testing.T) {
	var rs readSet
	rs.addRange([]byte("b"), []byte("d"))
	rs.addRange([]byte("c"), []byte("e"))
	rs.addRange([]byte("x"), nil)
	rs.addRange([]byte("m"), []byte("m")) // empty
	rs.addRange([]byte("g"), []byte("h"))
	rs.addPoint([]byte("k"))
	rs.normalize()
	for k, want := range map[string]bool{
		"a": false, "b": true, "c": true, "d\xff": true, "e": false, "f": false,
		"g": true, "g\xff": true, "h": false, "k": true, "k\x00": false, "m": false,
		"w": false, "x": true, "\xff\xff": true,
	} {
		if got := rs.contains(k); got != want {
			t.Errorf("contains(%q) = %v, want %v", k, got, want)
		}
	}
	if len(rs.ranges) != 3 {
		t.Errorf("ranges not merged: %v", rs.ranges)
	}
}

// An iterator records only the span it actually read.
func TestIteratorReadSpan(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	defer s.Close()
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		for _, k := range []string{"p/a", "p/c", "p/e", "p/g"} {
			if err := tx.Set([]byte(k), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rs *readSet
	err = s.Update(t.Context(), func(kt kv.Txn) error {
		tx := kt.(*txn)
		rs = &tx.reads
		it := tx.NewIterator([]byte("p/"), []byte("p0"))
		it.First()                // reads [p/, p/a]
		it.SeekGE([]byte("p/d"))  // reads [p/d, p/e]
		it.Next()                 // ... to p/g
		it.SeekGE([]byte("p/zz")) // reads [p/zz, p0)
		return nil                // left open: finish closes it
	})
	if err != nil {
		t.Fatal(err)
	}
	rs.normalize()
	for k, want := range map[string]bool{
		"p/": true, "p/a": true, "p/b": false, "p/c": false, "p/d": true, "p/f": true,
		"p/g": true, "p/h": false, "p/zz": true, "p/zzz": true, "p0": false,
	} {
		if got := rs.contains(k); got != want {
			t.Errorf("contains(%q) = %v, want %v (ranges %v)", k, got, want, rs.ranges)
		}
	}
}

// A read-only Update leaves no commit log entry and takes no sequence.
func TestReadOnlyUpdateNoCommit(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	defer s.Close()
	before := s.head.Load()
	err := s.Update(t.Context(), func(tx kv.Txn) error {
		_, err := tx.Get([]byte("x"))
		if errors.Is(err, kv.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil || s.head.Load() != before {
		t.Fatalf("err=%v head %d -> %d", err, before, s.head.Load())
	}
}

// A Txn or Reader that escapes fn fails instead of touching a recycled batch.
func TestUseAfterEnd(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	defer s.Close()
	var leaked kv.Txn
	var it kv.Iterator
	if err := s.Update(t.Context(), func(tx kv.Txn) error {
		leaked, it = tx, tx.NewIterator(nil, nil)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := leaked.Set([]byte("k"), nil); err == nil {
		t.Fatal("Set after the transaction ended succeeded")
	}
	if _, err := leaked.Get([]byte("k")); err == nil || errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get after end = %v", err)
	}
	if it.First() || it.Close() != nil {
		t.Fatal("iterator usable after the transaction ended")
	}
	var leakedR kv.Reader
	_ = s.View(t.Context(), func(r kv.Reader) error { leakedR = r; return nil })
	if _, err := leakedR.Get([]byte("k")); err == nil || errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("View Get after end = %v", err)
	}
}

// Close waits for a running Update to finish.
func TestCloseWaitsForUpdates(t *testing.T) {
	s := openTest(t, Options{Dir: "db", FS: vfs.NewMem()})
	inFn, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx kv.Txn) error {
			close(inFn)
			<-release
			return tx.Set([]byte("k"), []byte("v"))
		})
	}()
	<-inFn
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an Update was running", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("running Update: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}
