package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"coffer/internal/kv"
)

// The store is a kv.Notifier over PostgreSQL's LISTEN/NOTIFY, so that a
// change committed by one node wakes the change-feed followers of every
// node at once (the feed's counters stay the truth; see kv.Notifier).
//
// All of a store's kv channels ride on ONE PostgreSQL channel per schema
// ("coffer_" + schema: clusters sharing a database in different schemas do
// not wake each other), the kv channel and the sending store's instance id
// in the payload. So the LISTEN connection issues one LISTEN at connect and
// never has to be interrupted to add a channel.
//
// Notify signals the local subscribers at once and queues the channel for
// a sender goroutine, which sends pg_notify through the pool right after
// (the caller, a committed Update, never waits for it; several Notify calls
// while a send is in flight coalesce into one). A store ignores its own
// notifications coming back through LISTEN: its subscribers had them.
//
// The listener holds one connection of its own (outside the pool), opened
// at the first Subscribe. When it breaks (the database restarted, a
// failover), it reconnects with a backoff up to notifyMaxBackoff and, once
// listening again, signals every local subscriber: whatever was notified
// while it was away is re-read from the store.

const notifyMaxBackoff = 2 * time.Second

type notifier struct {
	s        *Store
	instance string
	pgChan   string
	local    kv.Broadcaster

	mu       sync.Mutex
	pending  map[string]struct{}
	kick     chan struct{} // wakes the sender
	started  bool          // sender
	listenOn bool          // listener
	stop     chan struct{}
	wg       sync.WaitGroup
	listens  int // tests: successful LISTENs so far (connects)
}

func newNotifier(s *Store) *notifier {
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	return &notifier{s: s, instance: hex.EncodeToString(raw[:]), pgChan: "coffer_" + s.opts.Schema,
		pending: map[string]struct{}{}, kick: make(chan struct{}, 1), stop: make(chan struct{})}
}

var _ kv.Notifier = (*Store)(nil)

// Notify implements kv.Notifier: local subscribers now, every other store
// on the schema through pg_notify right after (best effort, not waited for).
func (s *Store) Notify(ctx context.Context, channel string) error {
	n := s.notify
	_ = n.local.Notify(ctx, channel)
	n.mu.Lock()
	select {
	case <-n.stop:
		n.mu.Unlock()
		return kv.ErrClosed
	default:
	}
	n.pending[channel] = struct{}{}
	if !n.started {
		n.started = true
		n.wg.Add(1)
		go n.send()
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
	return nil
}

// Subscribe implements kv.Notifier; the first subscription starts the
// LISTEN connection.
func (s *Store) Subscribe(channel string) (<-chan struct{}, func()) {
	n := s.notify
	ch, unsub := n.local.Subscribe(channel)
	n.mu.Lock()
	if !n.listenOn {
		select {
		case <-n.stop:
		default:
			n.listenOn = true
			n.wg.Add(1)
			go n.listen()
		}
	}
	n.mu.Unlock()
	return ch, unsub
}

func (n *notifier) close() {
	n.mu.Lock()
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	n.mu.Unlock()
	n.wg.Wait()
}

// send delivers the pending channels with pg_notify.
func (n *notifier) send() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-n.kick:
		}
		n.mu.Lock()
		chans := make([]string, 0, len(n.pending))
		for c := range n.pending {
			chans = append(chans, c)
		}
		clear(n.pending)
		n.mu.Unlock()
		for _, c := range chans {
			ctx, cancel := context.WithTimeout(context.Background(), n.s.opts.ConnectTimeout)
			_, err := n.s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", n.pgChan, n.instance+" "+c)
			cancel()
			if err != nil {
				// Followers poll: a lost wake-up costs at most a poll interval.
				n.s.opts.Logger.Debug("kv/postgres: pg_notify failed", "err", redact(err))
			}
		}
	}
}

// listen keeps a LISTEN connection and hands its notifications to the
// local subscribers.
func (n *notifier) listen() {
	defer n.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-n.stop
		cancel()
	}()
	wait := 50 * time.Millisecond
	for ctx.Err() == nil {
		connected, err := n.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if connected {
			// Lost after listening: say so once; failed reconnects while
			// the database stays away are only debug lines.
			wait = 50 * time.Millisecond
			n.s.opts.Logger.Warn("kv/postgres: LISTEN connection lost; reconnecting (followers poll meanwhile)", "err", redact(err))
		} else {
			n.s.opts.Logger.Debug("kv/postgres: LISTEN reconnect failed", "err", redact(err), "retry_in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, notifyMaxBackoff)
	}
}

// listenOnce connects, listens, and dispatches until the connection fails;
// connected says whether it got as far as listening.
func (n *notifier) listenOnce(ctx context.Context) (connected bool, err error) {
	cfg := n.s.pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil // not a kv round trip
	// A LISTEN session must never be cut by statement_timeout while it waits.
	cfg.RuntimeParams["statement_timeout"] = "0"
	cctx, cancel := context.WithTimeout(ctx, n.s.opts.ConnectTimeout)
	var conn *pgx.Conn
	conn, err = pgx.ConnectConfig(cctx, cfg)
	if err == nil {
		_, err = conn.Exec(cctx, "LISTEN "+pgx.Identifier{n.pgChan}.Sanitize())
	}
	cancel()
	if err != nil {
		if conn != nil {
			closeConn(conn)
		}
		return false, err
	}
	defer closeConn(conn)
	n.mu.Lock()
	n.listens++
	again := n.listens > 1
	n.mu.Unlock()
	if again {
		// Notifications sent while we were away are lost: every follower
		// re-reads.
		n.s.opts.Logger.Info("kv/postgres: LISTEN connection back")
		n.local.NotifyAll()
	}
	for {
		msg, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		from, channel, ok := strings.Cut(msg.Payload, " ")
		if !ok || from == n.instance {
			continue
		}
		_ = n.local.Notify(ctx, channel)
	}
}

// closeConn closes a LISTEN connection without waiting long on a hung
// database (Close ends the store).
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// Listens reports how many times the LISTEN connection was established
// (tests: a reconnect makes it grow).
func (s *Store) Listens() int {
	s.notify.mu.Lock()
	defer s.notify.mu.Unlock()
	return s.notify.listens
}
