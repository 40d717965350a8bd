package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"coffer/internal/kv"
	"coffer/internal/kv/pebble"
	"coffer/internal/kv/postgres"
	"coffer/internal/objects"
)

// The metadata store and the data directory it owns.
//
// Options.Metadata is empty (or "pebble") for the embedded Pebble store in
// <DataDir>/meta, or a postgres:// (postgresql://) URL for a shared
// PostgreSQL database. The data directory records which store owns it in
// <DataDir>/metadata.id: "pebble", or "postgres" with the PostgreSQL store's
// id (generated with its schema). Startup refuses a directory that another
// store owns: Pebble metadata on a directory that PostgreSQL nodes share
// (their objects would be invisible to it and it would sweep them as
// orphans), a PostgreSQL store on a directory that holds Pebble metadata
// (migrate it with `coffer migrate`), or a PostgreSQL store on a directory
// that belongs to another PostgreSQL store.

// SharedSweepGrace is how old an unreferenced blob or temp file must be for
// the startup sweep to remove it from a data directory that several nodes
// may share (PostgreSQL metadata): longer than any upload.
const SharedSweepGrace = 24 * time.Hour

// MarkerFile is the ownership marker's name inside the data directory.
const MarkerFile = "metadata.id"

// Metadata kinds.
const (
	MetadataPebble   = "pebble"
	MetadataPostgres = "postgres"
)

// ParseMetadata splits an Options.Metadata value into its kind and, for
// PostgreSQL, the DSN.
func ParseMetadata(s string) (kind, dsn string, err error) {
	switch {
	case s == "" || s == MetadataPebble:
		return MetadataPebble, "", nil
	case strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://"):
		return MetadataPostgres, s, nil
	}
	return "", "", errors.New(`--metadata must be empty (the embedded store), "pebble" or a postgres:// URL`)
}

// Metadata is an open metadata store.
type Metadata struct {
	kv.Store
	// Kind is MetadataPebble or MetadataPostgres.
	Kind string
	// ID is the PostgreSQL store's id ("" for Pebble).
	ID string
	// Postgres is the PostgreSQL store (nil for Pebble), for components that
	// need the database itself (a change feed, leases).
	Postgres *postgres.Store
}

// GetMulti passes reads of several keys through (kv.MultiGetter: one
// statement on PostgreSQL, a View on Pebble).
func (m *Metadata) GetMulti(ctx context.Context, keys [][]byte) ([][]byte, error) {
	return kv.GetMulti(ctx, m.Store, keys)
}

// WatchKey passes the store's kv.KeyWatcher through (Pebble's).
func (m *Metadata) WatchKey(key []byte) *atomic.Uint64 { return kv.WatchKey(m.Store, key) }

// Unwrap returns the store (kv.MultiGetterOf looks through).
func (m *Metadata) Unwrap() kv.Store { return m.Store }

// Ping checks that the store answers; the embedded store always does.
func (m *Metadata) Ping(ctx context.Context) error {
	if m.Postgres == nil {
		return nil
	}
	return m.Postgres.Ping(ctx)
}

// Notify passes a change feed's wake-up to the store (kv.Notifier: in
// process for Pebble, LISTEN/NOTIFY for PostgreSQL). Without these methods
// the embedding would hide the store's Notifier from the wrappers above it
// (kvmetrics, the change feed), and followers would only poll.
func (m *Metadata) Notify(ctx context.Context, channel string) error {
	if n, ok := m.Store.(kv.Notifier); ok {
		return n.Notify(ctx, channel)
	}
	return nil
}

// Subscribe implements kv.Notifier over the store's.
func (m *Metadata) Subscribe(channel string) (<-chan struct{}, func()) {
	if n, ok := m.Store.(kv.Notifier); ok {
		return n.Subscribe(channel)
	}
	return make(chan struct{}), func() {}
}

var _ kv.Notifier = (*Metadata)(nil)

// MetadataOptions say which store to open for which data directory.
type MetadataOptions struct {
	DataDir  string
	Metadata string
	Logger   *slog.Logger
	// Pebble sizes the embedded store's memory (zero fields take
	// kv/pebble's defaults); the server fills it from its MemoryPlan.
	Pebble PebbleMemory
	// TunePostgres, if set, adjusts the PostgreSQL store's options before it
	// opens (e.g. a change feed's postgres.Options.BeforeCommit hook).
	TunePostgres func(*postgres.Options)
}

// PebbleMemory is the embedded store's share of the memory budget.
type PebbleMemory struct {
	CacheSize, MemTableSize int64
	ConflictLogBytes        int
}

// OpenMetadata opens the metadata store named by o.Metadata for o.DataDir
// and claims the data directory for it (see MarkerFile), refusing one that
// another store owns.
func OpenMetadata(ctx context.Context, o MetadataOptions) (*Metadata, error) {
	kind, dsn, err := ParseMetadata(o.Metadata)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	owner, err := readMarker(o.DataDir)
	if err != nil {
		return nil, err
	}
	switch kind {
	case MetadataPebble:
		if owner.kind == MetadataPostgres {
			return nil, fmt.Errorf("data directory %s is shared with PostgreSQL metadata (store %s): "+
				"start with --metadata postgres://... ; the embedded store cannot serve a directory that other nodes use",
				o.DataDir, owner.id)
		}
		st, err := pebble.Open(pebble.Options{Dir: filepath.Join(o.DataDir, "meta"), Logger: o.Logger,
			CacheSize: o.Pebble.CacheSize, MemTableSize: o.Pebble.MemTableSize, ConflictLogBytes: o.Pebble.ConflictLogBytes,
			DeleteCompaction: pebble.DeleteCompactionOptions{Skip: objects.ChurnPrefixes()}})
		if err != nil {
			return nil, err
		}
		if owner.kind == "" {
			if err := writeMarker(o.DataDir, marker{kind: MetadataPebble}); err != nil {
				st.Close()
				return nil, err
			}
		}
		return &Metadata{Store: st, Kind: MetadataPebble}, nil
	}
	if owner.kind == MetadataPebble {
		return nil, fmt.Errorf("data directory %s belongs to the embedded (Pebble) metadata in %s: "+
			"move it to PostgreSQL with `coffer migrate`, or use another data directory",
			o.DataDir, filepath.Join(o.DataDir, "meta"))
	}
	if owner.kind == "" && hasPebbleData(o.DataDir) {
		return nil, fmt.Errorf("data directory %s holds embedded (Pebble) metadata in %s: "+
			"move it to PostgreSQL with `coffer migrate`, or use another data directory",
			o.DataDir, filepath.Join(o.DataDir, "meta"))
	}
	po := postgres.Options{DSN: dsn, Logger: o.Logger}
	if o.TunePostgres != nil {
		o.TunePostgres(&po)
	}
	st, err := postgres.Open(ctx, po)
	if errors.Is(err, kv.ErrUnavailable) {
		return nil, fmt.Errorf("cannot reach the PostgreSQL metadata store (is it up, and is --metadata right?): %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	m := &Metadata{Store: st, Kind: MetadataPostgres, ID: st.ID(), Postgres: st}
	if err := claimForPostgres(o.DataDir, owner, st.ID()); err != nil {
		st.Close()
		return nil, err
	}
	return m, nil
}

// claimForPostgres checks (and on a fresh directory, writes) the marker for
// PostgreSQL store id.
func claimForPostgres(dataDir string, owner marker, id string) error {
	if owner.kind == "" {
		err := writeMarker(dataDir, marker{kind: MetadataPostgres, id: id})
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
		// Another node claimed the directory first: it must be for the
		// same store.
		if owner, err = readMarker(dataDir); err != nil {
			return err
		}
	}
	if owner.kind != MetadataPostgres || owner.id != id {
		return fmt.Errorf("data directory %s belongs to %s, not to the PostgreSQL store at --metadata (store %s): "+
			"every node of a cluster uses the same database and directory", dataDir, owner, id)
	}
	return nil
}

// hasPebbleData reports whether dataDir/meta holds a Pebble database.
func hasPebbleData(dataDir string) bool {
	entries, err := os.ReadDir(filepath.Join(dataDir, "meta"))
	return err == nil && len(entries) > 0
}

// marker is the content of MarkerFile.
type marker struct {
	kind string // "" when there is no marker
	id   string
}

func (m marker) String() string {
	if m.kind == MetadataPostgres {
		return "the PostgreSQL store " + m.id
	}
	return "the embedded (Pebble) metadata"
}

func readMarker(dataDir string) (marker, error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return marker{}, nil
	}
	if err != nil {
		return marker{}, fmt.Errorf("data dir: %w", err)
	}
	var m marker
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "store":
			m.kind = strings.TrimSpace(v)
		case "id":
			m.id = strings.TrimSpace(v)
		}
	}
	if m.kind != MetadataPebble && (m.kind != MetadataPostgres || m.id == "") {
		return marker{}, fmt.Errorf("data dir: %s is not a valid ownership marker (store: pebble, or store: postgres with an id)",
			filepath.Join(dataDir, MarkerFile))
	}
	return m, nil
}

// writeMarker creates MarkerFile durably; fs.ErrExist if it already exists.
func writeMarker(dataDir string, m marker) error { return putMarker(dataDir, m, false) }

// putMarker writes MarkerFile durably, replacing an existing one atomically
// if replace is set.
func putMarker(dataDir string, m marker, replace bool) error {
	var b strings.Builder
	b.WriteString("# The metadata store that owns this Coffer data directory. Do not edit or copy.\n")
	fmt.Fprintf(&b, "store: %s\n", m.kind)
	if m.id != "" {
		fmt.Fprintf(&b, "id: %s\n", m.id)
	}
	fmt.Fprintf(&b, "claimed: %s\n", time.Now().UTC().Format(time.RFC3339))
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".metadata.id-*")
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("data dir: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("data dir: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if replace {
		if err := os.Rename(tmp.Name(), filepath.Join(dataDir, MarkerFile)); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		return syncDir(dataDir)
	}
	// A hard link publishes the complete file and fails if another node
	// published one first.
	if err := os.Link(tmp.Name(), filepath.Join(dataDir, MarkerFile)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fs.ErrExist
		}
		return fmt.Errorf("data dir: %w", err)
	}
	return syncDir(dataDir)
}

// ReplaceMarker rewrites MarkerFile for PostgreSQL store id (coffer migrate).
func ReplaceMarker(dataDir, id string) error {
	return putMarker(dataDir, marker{kind: MetadataPostgres, id: id}, true)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	return nil
}
