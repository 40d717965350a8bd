package kv

import (
	"context"
	"sync"
)

// Notifier is implemented by stores that can wake every process sharing
// them: after a commit that others should learn about at once, the writer
// calls Notify; every Subscribe channel of that name, in every process
// using the store, receives a signal soon after. It is a wake-up only, best
// effort and coalescing: a reader still reads what changed from the store
// (a notification may be lost, e.g. over a reconnect, so readers also poll).
//
// kv/pebble implements it in process (one process owns a Pebble store);
// kv/postgres implements it with LISTEN/NOTIFY.
type Notifier interface {
	// Notify signals channel's subscribers. It must not block long.
	Notify(ctx context.Context, channel string) error
	// Subscribe returns a channel that receives (a coalesced signal) after
	// each Notify on channel, and a function that ends the subscription.
	Subscribe(channel string) (<-chan struct{}, func())
}

// Broadcaster is an in-process Notifier; stores embed it (a process-local
// store) or feed it from their own wake-up (a shared one). The zero value
// is ready to use.
type Broadcaster struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// Notify implements Notifier: it signals every local subscriber of channel.
func (b *Broadcaster) Notify(_ context.Context, channel string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[channel] {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending
		}
	}
	return nil
}

// NotifyAll signals every local subscriber of every channel: a shared
// store's wake-up that may have missed notifications (a reconnect) uses it.
func (b *Broadcaster) NotifyAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, subs := range b.subs {
		for ch := range subs {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Subscribe implements Notifier.
func (b *Broadcaster) Subscribe(channel string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[string]map[chan struct{}]struct{}{}
	}
	if b.subs[channel] == nil {
		b.subs[channel] = map[chan struct{}]struct{}{}
	}
	b.subs[channel][ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[channel], ch)
			if len(b.subs[channel]) == 0 {
				delete(b.subs, channel)
			}
			b.mu.Unlock()
		})
	}
}

var _ Notifier = (*Broadcaster)(nil)
