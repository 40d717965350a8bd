package reqlog

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines from many writers arrive whole, each writer's in order; the
// interval flushes without Close; Close flushes the rest.
func TestAsyncWriter(t *testing.T) {
	var out lockedBuf
	a := NewAsyncWriter(&out, 20*time.Millisecond)
	if _, err := a.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "first\n") {
		if time.Now().After(deadline) {
			t.Fatal("the interval did not flush")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				fmt.Fprintf(a, "g%d line %05d %s\n", g, i, strings.Repeat("x", i%300))
			}
		}()
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("after close\n")) // straight through
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1+8*2000+1 || lines[len(lines)-1] != "after close" {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	next := map[string]int{}
	for _, l := range lines[1 : len(lines)-1] {
		var g string
		var i int
		if _, err := fmt.Sscanf(l, "%s line %d", &g, &i); err != nil {
			t.Fatalf("torn line %q", l)
		}
		if i != next[g] || len(l) != len(fmt.Sprintf("%s line %05d ", g, i))+i%300 {
			t.Fatalf("line %q out of order or torn (want %d)", l, next[g])
		}
		next[g]++
	}
}
