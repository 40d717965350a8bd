package s3api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"coffer/internal/checksum"
	"coffer/internal/objects"
)

// Delivery of server access logs. Records are buffered in memory per source
// bucket and written as one log object per bucket into the target bucket
// every Options.AccessLogInterval, when a buffer passes logFlushBytes, and
// at Close. A log object is written through the Backend directly, as the
// source bucket's owner: it is not an S3 request, so it is neither
// authorized by policies nor itself logged (no recursion).
//
// Bounds: a buffer holds at most logBufferBytes; past it the oldest records
// are dropped and counted (accessLogger.dropped, reported in the server log
// at the next delivery). A delivery that fails (the target was deleted, its
// quota is full) puts its records back, under the same bound, and is
// retried at the next round. Records still buffered when the process dies
// are lost: S3 too documents delivery as best effort.

const (
	logBufferBytes = 8 << 20 // per source bucket
	logFlushBytes  = 1 << 20 // deliver early past this
	logCloseWait   = 30 * time.Second
)

// logKeyTime is the date part of a log object's name: YYYY-mm-DD-HH-MM-SS.
const logKeyTime = "2006-01-02-15-04-05"

type accessLogger struct {
	s *server

	mu      sync.Mutex
	bufs    map[bucketRef]*logBuffer // by source bucket
	started bool
	closed  bool

	kick chan struct{} // deliver now (a buffer passed logFlushBytes)
	stop chan struct{}
	done chan struct{}

	dropped   atomic.Uint64 // records dropped, since the last report
	delivered atomic.Uint64 // log objects written
	closeOnce sync.Once
}

type logBuffer struct {
	tenant, source, owner string
	cfg                   loggingConfig
	lines                 [][]byte
	size                  int
	first                 time.Time // of the oldest buffered record
}

func newAccessLogger(s *server) *accessLogger {
	return &accessLogger{s: s, bufs: map[bucketRef]*logBuffer{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// add buffers one rendered record of a request on bucket v.
func (a *accessLogger) add(v *bucketView, line []byte) {
	now := time.Now()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.dropped.Add(1)
		return
	}
	ref := bucketRef{v.tenant, v.name}
	b := a.bufs[ref]
	if b == nil {
		b = &logBuffer{tenant: v.tenant, source: ref.name}
		a.bufs[ref] = b
	}
	b.owner, b.cfg = v.owner, *v.logging
	if len(b.lines) == 0 {
		b.first = now
	}
	b.push(line, &a.dropped)
	full := b.size >= logFlushBytes
	if !a.started {
		a.started = true
		go a.run(a.s.opts.AccessLogInterval)
	}
	a.mu.Unlock()
	if full {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
}

// push appends a line, dropping the oldest past logBufferBytes.
func (b *logBuffer) push(line []byte, dropped *atomic.Uint64) {
	b.lines = append(b.lines, line)
	b.size += len(line)
	n := 0
	for b.size > logBufferBytes && n < len(b.lines)-1 {
		b.size -= len(b.lines[n])
		n++
	}
	if n > 0 {
		dropped.Add(uint64(n))
		b.lines = append(b.lines[:0], b.lines[n:]...)
	}
}

func (a *accessLogger) run(interval time.Duration) {
	defer close(a.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		case <-a.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), logCloseWait)
		a.flush(ctx)
		cancel()
	}
}

// flush delivers every buffered record.
func (a *accessLogger) flush(ctx context.Context) {
	type batch struct {
		ref bucketRef
		buf logBuffer
	}
	var batches []batch
	a.mu.Lock()
	for ref, b := range a.bufs {
		if len(b.lines) == 0 {
			delete(a.bufs, ref) // a bucket no longer logged stops costing memory
			continue
		}
		batches = append(batches, batch{ref, *b})
		b.lines, b.size = nil, 0
	}
	a.mu.Unlock()
	if n := a.dropped.Swap(0); n > 0 {
		a.s.log.Warn("s3: server access log records dropped: a target bucket did not keep up", "records", n)
	}
	now := time.Now()
	for _, bt := range batches {
		if err := a.deliver(ctx, &bt.buf, now); err != nil {
			a.s.log.Warn("s3: server access log delivery failed; will retry", "bucket", bt.buf.source,
				"target_bucket", bt.buf.cfg.TargetBucket, "records", len(bt.buf.lines), "error", err)
			a.requeue(bt.ref, &bt.buf)
		}
	}
}

// requeue puts records that could not be delivered back in front of those
// buffered since, under the buffer's bound.
func (a *accessLogger) requeue(ref bucketRef, old *logBuffer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.bufs[ref]
	if b == nil {
		b = &logBuffer{tenant: old.tenant, source: old.source, owner: old.owner, cfg: old.cfg}
		a.bufs[ref] = b
	}
	newer := b.lines
	b.lines, b.size, b.first = nil, 0, old.first
	for _, l := range old.lines {
		b.push(l, &a.dropped)
	}
	for _, l := range newer {
		b.push(l, &a.dropped)
	}
}

// deliver writes one log object.
func (a *accessLogger) deliver(ctx context.Context, b *logBuffer, now time.Time) error {
	data := bytes.Join(b.lines, nil)
	body, err := checksum.NewReader(bytes.NewReader(data), checksum.Expect{})
	if err != nil {
		return err
	}
	key := logObjectKey(b.cfg, b.tenant, a.s.opts.Region, b.source, now, b.first)
	_, err = a.s.be.PutObject(ctx, objects.PutInput{Tenant: b.tenant, Bucket: b.cfg.TargetBucket, Key: key,
		Body: body, Size: int64(len(data)), Meta: objects.Metadata{ContentType: "text/plain"}, Owner: b.owner})
	if err == nil {
		a.delivered.Add(1)
		a.s.log.LogAttrs(ctx, slog.LevelDebug, "s3: server access log delivered",
			slog.String("bucket", b.source), slog.String("target_bucket", b.cfg.TargetBucket), slog.String("key", key))
	}
	return err
}

// logObjectKey names a log object as S3 does:
//
//	SimplePrefix:      [TargetPrefix]YYYY-mm-DD-HH-MM-SS-UniqueString
//	PartitionedPrefix: [TargetPrefix][account]/[region]/[bucket]/YYYY/mm/DD/YYYY-mm-DD-HH-MM-SS-UniqueString
//
// The account is the tenant id. The partition date is the delivery's
// (DeliveryTime) or the oldest record's (EventTime); the name's time is the
// delivery's.
func logObjectKey(c loggingConfig, tenant, region, source string, now, first time.Time) string {
	var u [8]byte
	_, _ = rand.Read(u[:])
	name := now.UTC().Format(logKeyTime) + "-" + strings.ToUpper(hex.EncodeToString(u[:]))
	if !c.Partitioned {
		return c.TargetPrefix + name
	}
	day := now
	if c.EventTime && !first.IsZero() {
		day = first
	}
	return c.TargetPrefix + tenant + "/" + region + "/" + source + "/" + day.UTC().Format("2006/01/02") + "/" + name
}

// close stops the delivery loop and delivers what is buffered.
func (a *accessLogger) close() {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		a.closed = true
		started := a.started
		a.mu.Unlock()
		if started {
			close(a.stop)
			<-a.done
		}
		ctx, cancel := context.WithTimeout(context.Background(), logCloseWait)
		defer cancel()
		a.flush(ctx)
	})
}

// Close delivers the buffered server access logs and stops their delivery
// loop. Call it once the HTTP server has drained its requests; requests
// served after it are not logged.
func (s *server) Close() error {
	s.alog.close()
	return nil
}
