package kv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"coffer/internal/kv"
)

func TestRetryConflicts(t *testing.T) {
	ctx := t.Context()
	p := kv.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Microsecond, MaxDelay: 10 * time.Microsecond}

	runs := 0
	err := kv.RetryConflicts(ctx, p, func() (bool, error) { runs++; return false, nil })
	if !errors.Is(err, kv.ErrConflict) || runs != 5 {
		t.Fatalf("always conflicting: %v after %d runs, want ErrConflict after 5", err, runs)
	}

	boom := errors.New("boom")
	runs = 0
	err = kv.RetryConflicts(ctx, p, func() (bool, error) { runs++; return runs == 3, boom })
	if err != boom || runs != 3 {
		t.Fatalf("done on the third run: %v after %d runs", err, runs)
	}

	retries := 0
	q := p
	q.BeforeRetry = func(n int) error {
		retries = n
		if n == 2 {
			return kv.ErrClosed
		}
		return nil
	}
	err = kv.RetryConflicts(ctx, q, func() (bool, error) { return false, nil })
	if !errors.Is(err, kv.ErrClosed) || retries != 2 {
		t.Fatalf("BeforeRetry stopping at the second retry: %v, %d", err, retries)
	}

	cctx, cancel := context.WithCancel(ctx)
	q = kv.RetryPolicy{MaxAttempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour,
		WaitError: func(err error) error { return errors.Join(kv.ErrUnavailable, err) }}
	runs = 0
	start := time.Now()
	err = kv.RetryConflicts(cctx, q, func() (bool, error) {
		runs++
		if runs == 3 {
			cancel() // the next pause (the third retry's) ends with the context
		}
		return false, nil
	})
	if !errors.Is(err, kv.ErrUnavailable) || !errors.Is(err, context.Canceled) || runs != 3 || time.Since(start) > time.Minute {
		t.Fatalf("cancelled during a pause: %v after %d runs", err, runs)
	}
}
