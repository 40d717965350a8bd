package pgtest

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Trips counts round trips to the database: statements and batches (a
// batch is pipelined: one round trip). Set it as postgres.Options.Tracer.
// A View's COMMIT, which nothing waits for, counts as Background.
type Trips struct {
	Statements, Batches, Background atomic.Int64
	// Queued counts the statements sent inside batches (a commit's BEGIN,
	// locks, validation, writes and COMMIT): the server's work per round
	// trip.
	Queued atomic.Int64
	// Log, if set, receives each statement's SQL (debugging); a batch's
	// statements are marked "  (batched) ".
	Log func(sql string)
}

var (
	_ pgx.QueryTracer = (*Trips)(nil)
	_ pgx.BatchTracer = (*Trips)(nil)
)

// Total is the number of round trips so far.
func (c *Trips) Total() int64 { return c.Statements.Load() + c.Batches.Load() }

func (c *Trips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if c.Log != nil {
		c.Log(d.SQL)
	}
	switch {
	case ctx.Value(inBatch{}) != nil:
	case d.SQL == "COMMIT":
		c.Background.Add(1)
	default:
		c.Statements.Add(1)
	}
	return ctx
}

func (c *Trips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *Trips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.Batches.Add(1)
	return context.WithValue(ctx, inBatch{}, true)
}

func (c *Trips) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.Queued.Add(1)
	if c.Log != nil {
		c.Log("  (batched) " + d.SQL)
	}
}

func (c *Trips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

type inBatch struct{}
