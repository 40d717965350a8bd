package kv

import (
	"errors"
	"testing"
	"time"
)

func TestGate_shutWaitsForCallsThenRefuses(t *testing.T) {
	var g Gate
	if err := g.Enter(); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	go func() { shut <- g.Shut() }()
	select {
	case err := <-shut:
		t.Fatalf("Shut returned (%v) while a call was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.Leave()
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shut: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shut did not return after the last call left")
	}
	if !g.IsShut() {
		t.Fatal("IsShut after Shut is false")
	}
	if err := g.Enter(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enter after Shut: %v, want ErrClosed", err)
	}
	if err := g.Shut(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Shut: %v, want ErrClosed", err)
	}
}
