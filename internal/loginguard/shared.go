package loginguard

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"time"

	"coffer/internal/kv"
)

// shared keeps the guard's counts in the store, so that every
// node sharing it applies one lockout (guard.go):
//
//	prefix 'p' name 0x00 addr   failure count of an account from an address
//	prefix 'a' addr             failure count of an address (every account, bad tokens)
//
// Each value is 24 bytes: failures, window start and lock end (Unix ns,
// big-endian; lock end 0 when not locked). Coffer's prefix, 'o', is no cache's
// namespace, so these writes cost the change feed nothing.
//
// Cost: only attempts that will compute a password hash touch the store
// (an attempt refused by the node's own memory, and a request served from
// the verified-password cache, do not): one transaction reading and
// writing two small records before the hash, and one more after a
// success (uncounting it). Bad guesses are slow hashes anyway.
//
// Records expire logically (an elapsed window or lock reads as empty) and
// are rewritten or deleted by the next attempt of that pair or address; the
// caller (in Coffer, the node holding the "gc" lease) sweeps the expired records
// of pairs and addresses that never try again every SweepEvery (Sweep).
//
// A store failure does not block logins: the guard falls back to the
// node's own counts for that attempt (a per-node bound, as before).
type shared struct {
	kv       kv.Store
	prefix   byte
	log      *slog.Logger
	onForget func(tx kv.Txn)
}

// sharedGuardTimeout bounds one store access of the guard.
const sharedGuardTimeout = 2 * time.Second

func (sg *shared) pairKey(name, addr string) []byte {
	k := append([]byte{sg.prefix, 'p'}, name...)
	return append(append(k, 0), addr...)
}

func (sg *shared) addrKey(addr string) []byte { return append([]byte{sg.prefix, 'a'}, addr...) }

func encodeFail(st failState) []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, uint64(st.failures))
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(st.first)))
	return binary.BigEndian.AppendUint64(b, uint64(unixNano(st.until)))
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// getFail reads a count, as it is at now.
func getFail(tx kv.Reader, k []byte, now time.Time, window time.Duration) (failState, error) {
	v, err := tx.Get(k)
	if errors.Is(err, kv.ErrNotFound) {
		return failState{}, nil
	}
	if err != nil {
		return failState{}, err
	}
	st := decodeFail(v)
	st.current(now, window)
	return st, nil
}

// decodeFail reads a stored count (the zero state unless 24 bytes).
func decodeFail(v []byte) failState {
	if len(v) != 24 {
		return failState{}
	}
	return failState{failures: int(binary.BigEndian.Uint64(v)), first: fromNano(int64(binary.BigEndian.Uint64(v[8:]))),
		until: fromNano(int64(binary.BigEndian.Uint64(v[16:])))}
}

func (sg *shared) update(what string, fn func(tx kv.Txn) error) bool {
	ctx, cancel := context.WithTimeout(context.Background(), sharedGuardTimeout)
	defer cancel()
	if err := sg.kv.Update(ctx, fn); err != nil {
		sg.log.Warn("login guard: shared lockout state not updated; this node counts alone", "op", what, "err", err)
		return false
	}
	return true
}

// begin counts an attempt of (name, addr) in the store unless either is
// locked there (locked). It returns the stored states after it; ok false
// when the store failed.
func (sg *shared) begin(name, addr string, now time.Time, g *Guard) (pair, adr failState, locked, ok bool) {
	pk, ak := sg.pairKey(name, addr), sg.addrKey(addr)
	ok = sg.update("count failure", func(tx kv.Txn) error {
		var err error
		if pair, err = getFail(tx, pk, now, g.policy.FailureWindow); err != nil {
			return err
		}
		if adr, err = getFail(tx, ak, now, g.policy.FailureWindow); err != nil {
			return err
		}
		if locked = !pair.until.IsZero() || !adr.until.IsZero(); locked {
			return nil // locked by another node: refused, not counted
		}
		g.fail(&pair, g.policy.MaxFailures, now)
		g.fail(&adr, g.policy.MaxAddressFailures, now)
		if err := tx.Set(pk, encodeFail(pair)); err != nil {
			return err
		}
		return tx.Set(ak, encodeFail(adr))
	})
	return pair, adr, locked, ok
}

// failAddress counts a failure of addr alone.
func (sg *shared) failAddress(addr string, now time.Time, g *Guard) (failState, bool) {
	ak := sg.addrKey(addr)
	var st failState
	ok := sg.update("count address failure", func(tx kv.Txn) error {
		var err error
		if st, err = getFail(tx, ak, now, g.policy.FailureWindow); err != nil {
			return err
		}
		if !st.until.IsZero() {
			return nil
		}
		g.fail(&st, g.policy.MaxAddressFailures, now)
		return tx.Set(ak, encodeFail(st))
	})
	return st, ok
}

// succeed uncounts begin's failure: the pair starts over, its address
// keeps its other failures.
func (sg *shared) succeed(name, addr string) {
	pk, ak := sg.pairKey(name, addr), sg.addrKey(addr)
	sg.update("uncount success", func(tx kv.Txn) error {
		if err := tx.Delete(pk); err != nil {
			return err
		}
		v, err := tx.Get(ak)
		if errors.Is(err, kv.ErrNotFound) {
			return nil
		}
		if err != nil || len(v) != 24 {
			return err
		}
		n, until := binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[16:])
		switch {
		case until != 0 || n == 0:
			return nil
		case n == 1:
			return tx.Delete(ak)
		}
		out := append([]byte(nil), v...)
		binary.BigEndian.PutUint64(out, n-1)
		return tx.Set(ak, out)
	})
}

// forget deletes every stored pair of an account (its password was reset)
// and tells the other nodes (Options.OnForget).
func (sg *shared) forget(name string) {
	prefix := append([]byte{sg.prefix, 'p'}, name...)
	prefix = append(prefix, 0)
	sg.update("forget account", func(tx kv.Txn) error {
		n, err := kv.DeletePrefix(tx, prefix)
		if err != nil {
			return err
		}
		if n > 0 && sg.onForget != nil {
			// The other nodes drop the pair locks they hold in memory
			// (DropPairLocks) once this has committed, not before.
			sg.onForget(tx)
		}
		return nil
	})
}

// SweepEvery is how often expired lockout records should be removed
// (Sweep); sweepBatch bounds one transaction of it.
const (
	SweepEvery = 10 * time.Minute
	sweepBatch = 500
)

// sweep deletes the records that read as empty at now (their window and
// lock have elapsed), sweepBatch per transaction, and returns how
// many it deleted. A record rewritten meanwhile by an attempt is read
// again in the transaction's retry: only what is expired when the
// transaction commits goes.
func (sg *shared) sweep(ctx context.Context, now time.Time, window time.Duration) (int, error) {
	from, end := []byte{sg.prefix}, kv.PrefixEnd([]byte{sg.prefix})
	deleted := 0
	for from != nil {
		var next []byte
		n := 0
		err := sg.kv.Update(ctx, func(tx kv.Txn) error {
			next, n = nil, 0
			var expired [][]byte
			it := tx.NewIterator(from, end)
			seen := 0
			for ok := it.First(); ok; ok = it.Next() {
				if seen == sweepBatch {
					next = append([]byte(nil), it.Key()...)
					break
				}
				seen++
				if len(it.Value()) != 24 {
					continue // not a count: not ours to judge
				}
				st := decodeFail(it.Value())
				st.current(now, window)
				if st.failures == 0 && st.until.IsZero() {
					expired = append(expired, append([]byte(nil), it.Key()...))
				}
			}
			err := it.Err()
			it.Close()
			if err != nil {
				return err
			}
			for _, k := range expired {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			n = len(expired)
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
		from = next
	}
	return deleted, nil
}

// Sweep deletes the shared records that read as empty at now (their
// window and lock have elapsed) and returns how many it deleted; 0 when
// the counts are not shared.
func (g *Guard) Sweep(ctx context.Context, now time.Time) (int, error) {
	if g.shared == nil {
		return 0, nil
	}
	return g.shared.sweep(ctx, now, g.policy.FailureWindow)
}
