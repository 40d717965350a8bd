package postgres

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configures a Store. Only DSN is required.
type Options struct {
	// DSN is the PostgreSQL connection string, a URL
	// (postgres://user:pass@host:5432/db?sslmode=...) or key=value pairs.
	// Required.
	DSN string
	// Schema is the PostgreSQL schema holding Coffer's tables; it is created
	// if missing. Default: the DSN's "schema" parameter (a URL's ?schema=,
	// which is not sent to the server), else "coffer". Several Coffer clusters may share a
	// database with different schemas (the tests give each store its own).
	Schema string
	// MaxConns caps the connection pool. Default: the DSN's pool_max_conns,
	// else 4×GOMAXPROCS, at least 8 and at most 64.
	MaxConns int32
	// ConnectTimeout bounds establishing one connection. Default 5 s.
	ConnectTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for Coffer's
	// sessions. Default 15 s.
	StatementTimeout time.Duration
	// OpTimeout bounds one View or Update call, retries included; past it
	// the call fails with kv.ErrUnavailable. Default 30 s.
	OpTimeout time.Duration
	// MaxAttempts is how many times Update runs fn before giving up with
	// kv.ErrConflict. Default 50.
	MaxAttempts int
	// Logger receives connection problems. Default slog.Default().
	Logger *slog.Logger
	// BeforeCommit, if set, is called at each read-write commit with the
	// keys it writes (sets and deletes, sorted) and returns statements to
	// pipeline into the commit's round trip, after the writes and before
	// COMMIT, in its transaction. It is the seam for a change feed: a
	// pg_notify there is delivered to listeners only if, and when, the
	// transaction commits. It must not block; its statements must not
	// return rows the store would need.
	BeforeCommit func(keys []string) []Statement
	// Tracer, if set, observes every statement and batch (each one round
	// trip): tests and benchmarks count round trips with it.
	Tracer pgx.QueryTracer
}

// Statement is one SQL statement with its arguments.
type Statement struct {
	SQL  string
	Args []any
}

const (
	defaultSchema           = "coffer"
	defaultConnectTimeout   = 5 * time.Second
	defaultStatementTimeout = 15 * time.Second
	defaultOpTimeout        = 30 * time.Second
	defaultMaxAttempts      = 50
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate reports every problem with the options at once.
func (o *Options) Validate() error {
	var problems []error
	if o.DSN == "" {
		problems = append(problems, errors.New("kv/postgres: Options.DSN is required"))
	}
	if o.Schema != "" && !schemaName.MatchString(o.Schema) {
		problems = append(problems, fmt.Errorf("kv/postgres: schema %q must be lower-case letters, digits and _ (at most 63)", o.Schema))
	}
	if o.MaxConns < 0 || o.MaxConns == 1 {
		problems = append(problems, fmt.Errorf("kv/postgres: MaxConns %d must be at least 2", o.MaxConns))
	}
	for name, d := range map[string]time.Duration{"ConnectTimeout": o.ConnectTimeout,
		"StatementTimeout": o.StatementTimeout, "OpTimeout": o.OpTimeout} {
		if d < 0 {
			problems = append(problems, fmt.Errorf("kv/postgres: %s %v is negative", name, d))
		}
	}
	if o.MaxAttempts < 0 {
		problems = append(problems, fmt.Errorf("kv/postgres: MaxAttempts %d is negative", o.MaxAttempts))
	}
	return errors.Join(problems...)
}

func (o *Options) withDefaults() Options {
	out := *o
	if out.Schema == "" {
		out.Schema = defaultSchema
	}
	if out.MaxConns == 0 {
		out.MaxConns = int32(min(max(4*runtime.GOMAXPROCS(0), 8), 64))
	}
	if out.ConnectTimeout == 0 {
		out.ConnectTimeout = defaultConnectTimeout
	}
	if out.StatementTimeout == 0 {
		out.StatementTimeout = defaultStatementTimeout
	}
	if out.OpTimeout == 0 {
		out.OpTimeout = defaultOpTimeout
	}
	if out.MaxAttempts == 0 {
		out.MaxAttempts = defaultMaxAttempts
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}
