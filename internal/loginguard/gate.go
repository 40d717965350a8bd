package loginguard

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrBusy is returned by Gate.Acquire when no turn came within the wait.
var ErrBusy = errors.New("loginguard: too many password checks at once")

// Gate bounds the slow password hashes computed at once (they would
// otherwise let bad guesses hold every core) and shares the turns fairly
// between client addresses: an address has at most one attempt at the
// shared slots at a time, its other attempts wait behind it on their own.
// Without that, a flood from one address fills the queue in front of the
// slots and a legitimate login from another address waits for every one
// of the flood's hashes (on a loaded 2-core machine, longer than the wait,
// so it failed as busy); with it, it waits for at most the hashes already
// running.
type Gate struct {
	slots chan struct{}
	wait  time.Duration

	mu    sync.Mutex
	addrs map[string]*addrTurn
}

// addrTurn is one address's own turn (a semaphore of one) and how many
// attempts hold or wait for it, so that the entry goes when none does.
type addrTurn struct {
	turn  chan struct{}
	users int
}

// NewGate returns a gate of slots concurrent checks (at least 1) whose
// attempts wait at most wait (0: not at all) for their turn.
func NewGate(slots int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(1, slots)), wait: wait, addrs: map[string]*addrTurn{}}
}

// Acquire waits for the address's turn and then a slot, for at most the
// gate's wait in all or until ctx ends; release gives both back. addr ""
// (unknown) is one address of its own.
func (g *Gate) Acquire(ctx context.Context, addr string) (release func(), err error) {
	g.mu.Lock()
	a := g.addrs[addr]
	if a == nil {
		a = &addrTurn{turn: make(chan struct{}, 1)}
		g.addrs[addr] = a
	}
	a.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if a.users--; a.users == 0 {
			delete(g.addrs, addr)
		}
		g.mu.Unlock()
	}

	t := time.NewTimer(g.wait)
	defer t.Stop()
	if !take(ctx, a.turn, t.C) {
		leave()
		return nil, ErrBusy
	}
	if !take(ctx, g.slots, t.C) {
		<-a.turn
		leave()
		return nil, ErrBusy
	}
	return func() {
		<-g.slots
		<-a.turn
		leave()
	}, nil
}

// take puts a token into sem, at once if there is room, else waiting until
// expired fires or ctx ends.
func take(ctx context.Context, sem chan struct{}, expired <-chan time.Time) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-expired:
	case <-ctx.Done():
	}
	return false
}

// addresses reports how many addresses hold or wait for a turn (tests).
func (g *Gate) addresses() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.addrs)
}
