package loginguard

import (
	"context"
	"errors"
	"testing"
	"time"
)

// users reports how many attempts of addr hold or wait for its turn.
func (g *Gate) users(addr string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a := g.addrs[addr]; a != nil {
		return a.users
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A flood from one address queued before a login from another does not
// go first: the other address gets the next free slot.
func TestGateSharesTurnsBetweenAddresses(t *testing.T) {
	g := NewGate(1, 10*time.Second)
	ctx := context.Background()
	first, err := g.Acquire(ctx, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 8)
	const flood = 5
	for range flood {
		go func() {
			rel, err := g.Acquire(ctx, "10.0.0.1")
			if err != nil {
				order <- "error: " + err.Error()
				return
			}
			order <- "flood"
			rel()
		}()
	}
	waitFor(t, "the flood to queue", func() bool { return g.users("10.0.0.1") == 1+flood })
	go func() {
		rel, err := g.Acquire(ctx, "10.0.0.2")
		if err != nil {
			order <- "error: " + err.Error()
			return
		}
		order <- "other"
		rel()
	}()
	waitFor(t, "the other address to queue", func() bool { return g.users("10.0.0.2") == 1 })
	first()
	var got []string
	for range flood + 1 {
		got = append(got, <-order)
	}
	// The freed slot goes to the one attempt waiting at the slots, the
	// other address's; the flood's next attempt only then takes its turn.
	if got[0] != "other" {
		t.Fatalf("turns after the first hash: %v, want the other address first", got)
	}
	for _, o := range got {
		if o != "flood" && o != "other" {
			t.Fatal(o)
		}
	}
	waitFor(t, "every address to leave", func() bool { return g.addresses() == 0 })
}

// An attempt waits at most the gate's wait, or until its context ends, and
// leaves nothing behind.
func TestGateBusyAfterWait(t *testing.T) {
	g := NewGate(1, 50*time.Millisecond)
	rel, err := g.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := g.Acquire(context.Background(), "b"); !errors.Is(err, ErrBusy) {
		t.Fatalf("second address with the slot taken: %v, want ErrBusy", err)
	}
	if d := time.Since(t0); d < 40*time.Millisecond || d > 2*time.Second {
		t.Fatalf("waited %v, want about 50ms", d)
	}
	if _, err := g.Acquire(context.Background(), "a"); !errors.Is(err, ErrBusy) {
		t.Fatalf("same address with its turn taken: %v, want ErrBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g2 := NewGate(1, time.Hour)
	r2, _ := g2.Acquire(context.Background(), "a")
	if _, err := g2.Acquire(ctx, "b"); !errors.Is(err, ErrBusy) {
		t.Fatalf("ended context: %v, want ErrBusy", err)
	}
	r2()
	rel()
	if n := g.addresses() + g2.addresses(); n != 0 {
		t.Fatalf("%d addresses left after every attempt ended", n)
	}
	// Both slots free again: two addresses at once on a gate of two.
	g3 := NewGate(2, 0)
	ra, errA := g3.Acquire(context.Background(), "a")
	rb, errB := g3.Acquire(context.Background(), "b")
	if errA != nil || errB != nil {
		t.Fatalf("two addresses on two slots: %v, %v", errA, errB)
	}
	if _, err := g3.Acquire(context.Background(), "c"); !errors.Is(err, ErrBusy) {
		t.Fatalf("third address on two taken slots with no wait: %v", err)
	}
	ra()
	rb()
}
