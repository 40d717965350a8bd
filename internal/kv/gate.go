package kv

import "sync"

// Gate counts a store's calls in flight so that Close can wait for them:
// Enter before a View or Update, Leave after it; Shut refuses new calls and
// waits for the running ones. Both stores use it. The zero Gate is open.
type Gate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	closed bool
	active int
}

// Enter admits a call, or returns ErrClosed once the gate is shut.
func (g *Gate) Enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	g.active++
	return nil
}

// Leave ends a call Enter admitted.
func (g *Gate) Leave() {
	g.mu.Lock()
	g.active--
	if g.active == 0 && g.closed && g.cond != nil {
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}

// Shut refuses new calls and waits for the admitted ones to leave. It
// returns ErrClosed when the gate was already shut.
func (g *Gate) Shut() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	g.closed = true
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	for g.active > 0 {
		g.cond.Wait()
	}
	return nil
}

// IsShut reports whether Shut was called.
func (g *Gate) IsShut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}
