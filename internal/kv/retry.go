package kv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how an Update implementation retries its optimistic
// transactions after a conflict (RetryConflicts).
type RetryPolicy struct {
	// MaxAttempts is how many times the attempt runs before the loop gives
	// up with ErrConflict. Required (at least 1).
	MaxAttempts int
	// BaseDelay and MaxDelay bound the backoff: the first two retries run
	// at once, later ones after a random pause up to a cap that doubles
	// from BaseDelay to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// BeforeRetry, if set, runs before each retry (retry is 1 for the
	// first); an error ends the loop with it (a store closing, say). A
	// store counts its conflicts here.
	BeforeRetry func(retry int) error
	// WaitError, if set, maps the context error that ended a backoff pause
	// (a store's vocabulary for a deadline).
	WaitError func(error) error
}

// RetryConflicts runs attempt until it is done, pausing between attempts
// as p says; it returns attempt's error once done, ErrConflict (wrapped,
// with the count) after MaxAttempts, or the context's error when ctx ends
// during a pause. attempt reports done false to be run again (a conflict,
// or a transient failure it chose to retry). Both stores' Update use it.
func RetryConflicts(ctx context.Context, p RetryPolicy, attempt func() (done bool, err error)) error {
	for n := 0; ; n++ {
		if n > 0 {
			if p.BeforeRetry != nil {
				if err := p.BeforeRetry(n); err != nil {
					return err
				}
			}
			if n >= p.MaxAttempts {
				return fmt.Errorf("%w (gave up after %d attempts)", ErrConflict, n)
			}
			if err := backoff(ctx, n, p.BaseDelay, p.MaxDelay); err != nil {
				if p.WaitError != nil {
					return p.WaitError(err)
				}
				return err
			}
		}
		if done, err := attempt(); done {
			return err
		}
	}
}

// backoff pauses before retry number n: not at all for the first two (a
// conflict usually clears at once), then for a random time up to a cap
// doubling from base to top.
func backoff(ctx context.Context, n int, base, top time.Duration) error {
	if n < 3 || base <= 0 {
		return ctx.Err()
	}
	limit := min(base<<min(n-3, 7), max(top, base))
	t := time.NewTimer(rand.N(limit) + 1)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
