package reqlog

import (
	"errors"
	"io"
	"sync"
	"time"
)

// AsyncWriter buffers log lines in memory and writes them to the
// underlying writer from a goroutine, every interval or as soon as 1 MiB
// is waiting, so that logging a request costs a copy rather than a
// write(2) on the request's path. Each Write (slog writes one whole line
// per call) is kept whole and in order. When 16 MiB are waiting (the
// underlying writer is stuck), Write writes synchronously, applying back
// pressure instead of growing. Close writes what is left; after it,
// writes go straight through. A crash loses at most the last interval's
// lines.
type AsyncWriter struct {
	w        io.Writer
	interval time.Duration

	mu     sync.Mutex // guards buf, closed
	buf    []byte
	closed bool

	wmu   sync.Mutex // serialises writes to w; guards spare
	spare []byte

	kick chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
}

const (
	asyncKick = 1 << 20
	asyncMax  = 16 << 20
)

// NewAsyncWriter starts an AsyncWriter over w, writing every interval
// (at least 1 ms).
func NewAsyncWriter(w io.Writer, interval time.Duration) *AsyncWriter {
	a := &AsyncWriter{w: w, interval: max(interval, time.Millisecond), kick: make(chan struct{}, 1),
		done: make(chan struct{})}
	a.wg.Add(1)
	go a.run()
	return a
}

// Write buffers p (a copy).
func (a *AsyncWriter) Write(p []byte) (int, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.wmu.Lock()
		defer a.wmu.Unlock()
		return a.w.Write(p)
	}
	a.buf = append(a.buf, p...)
	n := len(a.buf)
	a.mu.Unlock()
	switch {
	case n >= asyncMax:
		if err := a.Flush(); err != nil {
			return 0, err
		}
	case n >= asyncKick:
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes what is buffered now.
func (a *AsyncWriter) Flush() error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.mu.Lock()
	b := a.buf
	a.buf = a.spare[:0]
	a.mu.Unlock()
	var err error
	if len(b) > 0 {
		_, err = a.w.Write(b)
	}
	a.spare = b
	if cap(a.spare) > 4<<20 { // do not keep a burst's buffer
		a.spare = nil
	}
	return err
}

// Close stops the goroutine and writes what is left.
func (a *AsyncWriter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	close(a.done)
	a.mu.Unlock()
	a.wg.Wait()
	err := a.Flush()
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	return errors.Join(err, a.Flush()) // lines written between the two
}

func (a *AsyncWriter) run() {
	defer a.wg.Done()
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
		case <-a.kick:
		}
		_ = a.Flush()
	}
}
