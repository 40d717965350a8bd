package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/kv/postgres"
)

// MigrateOptions name an embedded deployment to move to PostgreSQL.
type MigrateOptions struct {
	// DataDir is a stopped node's data directory with embedded metadata.
	DataDir string
	// Metadata is the target: a postgres:// URL whose schema holds no records yet.
	Metadata string
	Logger   *slog.Logger
	// Out receives progress lines; nil discards them.
	Out io.Writer
}

// MigrateResult describes a finished migration.
type MigrateResult struct {
	Keys, Bytes int64
	StoreID     string
	Took        time.Duration
}

// Migrate copies the embedded (Pebble) metadata of DataDir into the
// PostgreSQL store at Metadata, verifies the copy (same records, same
// digest), then claims the data directory for PostgreSQL (MarkerFile). The
// Pebble files stay in meta/ as a backup; nothing else in the directory
// moves (object data is where it was). The node must be stopped: Pebble's
// lock refuses a running one.
func Migrate(ctx context.Context, o MigrateOptions) (MigrateResult, error) {
	start := time.Now()
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	kind, dsn, err := ParseMetadata(o.Metadata)
	if err != nil {
		return MigrateResult{}, err
	}
	if kind != MetadataPostgres {
		return MigrateResult{}, errors.New("migrate: --metadata must name the PostgreSQL target (postgres://...)")
	}
	owner, err := readMarker(o.DataDir)
	if err != nil {
		return MigrateResult{}, err
	}
	if owner.kind == MetadataPostgres {
		return MigrateResult{}, fmt.Errorf("migrate: data directory %s already belongs to %s", o.DataDir, owner)
	}
	if !hasPebbleData(o.DataDir) {
		return MigrateResult{}, fmt.Errorf("migrate: %s holds no embedded metadata", filepath.Join(o.DataDir, "meta"))
	}
	src, err := pebble.Open(pebble.Options{Dir: filepath.Join(o.DataDir, "meta"), Logger: o.Logger})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: %w (is the node still running? stop it first)", err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, postgres.Options{DSN: dsn, Logger: o.Logger})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: %w", err)
	}
	defer dst.Close()
	empty := true
	err = dst.View(ctx, func(r kv.Reader) error {
		it := r.NewIterator([]byte{}, nil)
		defer it.Close()
		empty = !it.First()
		return it.Err()
	})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: %w", err)
	}
	if !empty {
		return MigrateResult{}, fmt.Errorf("migrate: the PostgreSQL store %s already holds records: migrate into an empty database or schema", dst.ID())
	}
	fmt.Fprintf(out, "copying %s into the PostgreSQL store %s\n", filepath.Join(o.DataDir, "meta"), dst.ID())
	last := time.Now()
	st, err := kv.Copy(ctx, dst, src, 0, 0, func(s kv.CopyStats) {
		if time.Since(last) > 2*time.Second {
			last = time.Now()
			fmt.Fprintf(out, "  %d records, %d bytes\n", s.Keys, s.Bytes)
		}
	})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: copying: %w", err)
	}
	fmt.Fprintf(out, "copied %d records (%d bytes); verifying\n", st.Keys, st.Bytes)
	n1, sum1, err := kv.Digest(ctx, src)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: verifying the source: %w", err)
	}
	n2, sum2, err := kv.Digest(ctx, dst)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: verifying the copy: %w", err)
	}
	if n1 != n2 || sum1 != sum2 {
		return MigrateResult{}, fmt.Errorf("migrate: verification failed: the source has %d records, the copy %d (digests differ: %v)", n1, n2, sum1 != sum2)
	}
	if err := ReplaceMarker(o.DataDir, dst.ID()); err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: %w", err)
	}
	res := MigrateResult{Keys: st.Keys, Bytes: st.Bytes, StoreID: dst.ID(), Took: time.Since(start)}
	fmt.Fprintf(out, "verified %d records (sha256 %x); %s now belongs to the PostgreSQL store %s\n", n2, sum2[:8], o.DataDir, dst.ID())
	return res, nil
}
