package pebble

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"coffer/internal/kv"
)

// TestPowerCut cuts power at a random moment while writers commit, keeping
// a random share of the unsynced data, and checks after recovery that every
// Update that had returned nil survived and that no transaction is torn.
//
// Writer w's transaction i writes three keys: data/w/i, last/w = i, and the
// shared counter (incremented, so writers conflict and retry). Recovery must
// show, for each w, data/w/0..last/w and nothing beyond, last/w at least the
// last acknowledged i, and counter = the number of transactions present.
func TestPowerCut(t *testing.T) {
	const writers = 4
	rounds := 8
	if testing.Short() {
		rounds = 2
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range rounds {
		unsynced := []int{0, 100, rng.IntN(101)}[round%3]
		t.Run(fmt.Sprintf("round%d-unsynced%d", round, unsynced), func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			// Small memtables, so the cut also lands during flushes and WAL
			// rotations.
			s := openTest(t, Options{Dir: "db", FS: fs, MemTableSize: 1 << 20})
			var acked [writers]atomic.Int64
			stop := make(chan struct{})
			errc := make(chan error, writers)
			var wg sync.WaitGroup
			for w := range writers {
				acked[w].Store(-1)
				pad := make([]byte, 300+rng.IntN(500))
				wg.Go(func() {
					for i := 0; ; {
						select {
						case <-stop:
							return
						default:
						}
						err := s.Update(context.Background(), func(tx kv.Txn) error {
							return powerCutTxn(tx, w, i, pad)
						})
						if errors.Is(err, kv.ErrConflict) {
							continue
						}
						if err != nil {
							errc <- fmt.Errorf("writer %d txn %d: %w", w, i, err)
							return
						}
						acked[w].Store(int64(i))
						i++
					}
				})
			}
			time.Sleep(time.Duration(1+rng.IntN(150)) * time.Millisecond)
			// Anything acknowledged before the clone must be in it.
			var mustHave [writers]int64
			for w := range writers {
				mustHave[w] = acked[w].Load()
			}
			crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsynced, RNG: rand.New(rand.NewPCG(rng.Uint64(), 1))})
			close(stop)
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			s2 := openTest(t, Options{Dir: "db", FS: crashed})
			defer s2.Close()
			total := int64(0)
			var recovered [writers]int64
			err := s2.View(t.Context(), func(r kv.Reader) error {
				for w := range writers {
					last, err := getInt(r, fmt.Sprintf("last/%d", w))
					if err != nil {
						return err
					}
					if last < mustHave[w] {
						return fmt.Errorf("writer %d: acknowledged txn %d lost, recovered up to %d", w, mustHave[w], last)
					}
					// Exactly data/w/0..last exist.
					prefix := fmt.Appendf(nil, "data/%d/", w)
					it := r.NewIterator(prefix, kv.PrefixEnd(prefix))
					n := int64(0)
					for ok := it.First(); ok; ok = it.Next() {
						i, err := strconv.ParseInt(string(it.Key()[len(prefix):]), 10, 64)
						if err != nil || i > last {
							it.Close()
							return fmt.Errorf("writer %d: torn transaction: %q present but last=%d", w, it.Key(), last)
						}
						n++
					}
					if err := it.Close(); err != nil {
						return err
					}
					if n != last+1 {
						return fmt.Errorf("writer %d: %d data keys for last=%d", w, n, last)
					}
					total += last + 1
					recovered[w] = last
					t.Logf("writer %d: acked %d before the cut, recovered %d", w, mustHave[w]+1, last+1)
				}
				count, err := getInt(r, "counter")
				if err != nil {
					return err
				}
				if count+1 != total {
					return fmt.Errorf("counter = %d, but %d transactions recovered", count+1, total)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The recovered store continues where it left off.
			next := int(recovered[0] + 1)
			if err := s2.Update(t.Context(), func(tx kv.Txn) error { return powerCutTxn(tx, 0, next, nil) }); err != nil {
				t.Fatalf("writer 0 txn %d after recovery: %v", next, err)
			}
		})
	}
}

// powerCutTxn is writer w's transaction i; it checks what it reads.
func powerCutTxn(tx kv.Txn, w, i int, pad []byte) error {
	last, err := getInt(tx, fmt.Sprintf("last/%d", w))
	if err != nil {
		return err
	}
	if last != int64(i-1) {
		return fmt.Errorf("last/%d = %d before txn %d", w, last, i)
	}
	count, err := getInt(tx, "counter")
	if err != nil {
		return err
	}
	if err := tx.Set(fmt.Appendf(nil, "data/%d/%d", w, i), pad); err != nil {
		return err
	}
	if err := tx.Set(fmt.Appendf(nil, "last/%d", w), strconv.AppendInt(nil, int64(i), 10)); err != nil {
		return err
	}
	return tx.Set([]byte("counter"), strconv.AppendInt(nil, count+1, 10))
}

// getInt reads a decimal value; an absent key reads as -1.
func getInt(r kv.Reader, key string) (int64, error) {
	v, err := r.Get([]byte(key))
	if errors.Is(err, kv.ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(v), 10, 64)
}
