package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coffer/internal/kv"
	"coffer/internal/kv/postgres/pgtest"
)

// pgMetadata returns a --metadata URL for a fresh schema of the test
// database, or skips.
func pgMetadata(t *testing.T) string {
	t.Helper()
	dsn := pgtest.Skip(t)
	schema := pgtest.NewSchema(t)
	if !strings.HasPrefix(dsn, "postgres") {
		t.Skip("COFFER_TEST_PG_DSN is not a URL")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "schema=" + schema
}

func openMeta(t *testing.T, dir, metadata string) (*Metadata, error) {
	t.Helper()
	m, err := OpenMetadata(context.Background(), MetadataOptions{DataDir: dir, Metadata: metadata})
	if err == nil {
		t.Cleanup(func() { m.Close() })
	}
	return m, err
}

func TestParseMetadata(t *testing.T) {
	for in, want := range map[string]string{"": MetadataPebble, "pebble": MetadataPebble,
		"postgres://h/db": MetadataPostgres, "postgresql://h/db?sslmode=disable": MetadataPostgres} {
		if k, _, err := ParseMetadata(in); err != nil || k != want {
			t.Errorf("ParseMetadata(%q) = %q, %v; want %q", in, k, err, want)
		}
	}
	for _, in := range []string{"mysql://x", "/var/lib/meta", "Pebble"} {
		if _, _, err := ParseMetadata(in); err == nil {
			t.Errorf("ParseMetadata(%q) accepted", in)
		}
	}
	if err := (Options{Metadata: "redis://x"}).Validate(); err == nil || !strings.Contains(err.Error(), "--metadata") {
		t.Errorf("Validate with a bad --metadata: %v", err)
	}
}

func TestPebbleClaimsDataDir(t *testing.T) {
	dir := t.TempDir()
	m, err := openMeta(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	raw, err := os.ReadFile(filepath.Join(dir, MarkerFile))
	if err != nil || !strings.Contains(string(raw), "store: pebble") {
		t.Fatalf("marker %q, %v", raw, err)
	}
	if _, err := openMeta(t, dir, ""); err != nil {
		t.Fatalf("reopening: %v", err)
	}
}

func TestOwnershipRefusals(t *testing.T) {
	pg := pgMetadata(t)

	// A directory with embedded metadata (with or without the marker,
	// which older versions did not write) refuses PostgreSQL.
	pebbleDir := t.TempDir()
	m, err := openMeta(t, pebbleDir, "")
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := openMeta(t, pebbleDir, pg); err == nil || !strings.Contains(err.Error(), "coffer migrate") {
		t.Fatalf("PostgreSQL on a Pebble directory: %v", err)
	}
	os.Remove(filepath.Join(pebbleDir, MarkerFile))
	if _, err := openMeta(t, pebbleDir, pg); err == nil || !strings.Contains(err.Error(), "coffer migrate") {
		t.Fatalf("PostgreSQL on an unmarked Pebble directory: %v", err)
	}

	// A shared directory claimed by a PostgreSQL store.
	shared := t.TempDir()
	m, err = openMeta(t, shared, pg)
	if err != nil {
		t.Fatal(err)
	}
	id := m.ID
	raw, _ := os.ReadFile(filepath.Join(shared, MarkerFile))
	if !strings.Contains(string(raw), "id: "+id) {
		t.Fatalf("marker %q lacks the store id %s", raw, id)
	}
	// A second node of the same store: accepted.
	if _, err := openMeta(t, shared, pg); err != nil {
		t.Fatalf("second node: %v", err)
	}
	// Pebble on it: refused, and nothing is created in meta/.
	if _, err := openMeta(t, shared, ""); err == nil || !strings.Contains(err.Error(), "shared with PostgreSQL") {
		t.Fatalf("Pebble on a shared directory: %v", err)
	}
	if hasPebbleData(shared) {
		t.Fatal("the refused Pebble open left files in meta/")
	}
	// Another PostgreSQL store (another schema): refused.
	if _, err := openMeta(t, shared, pgMetadata(t)); err == nil || !strings.Contains(err.Error(), id) {
		t.Fatalf("another PostgreSQL store on the directory: %v", err)
	}
	// A damaged marker is reported, not guessed at.
	os.WriteFile(filepath.Join(shared, MarkerFile), []byte("store: postgres\n"), 0o600)
	if _, err := openMeta(t, shared, pg); err == nil || !strings.Contains(err.Error(), "marker") {
		t.Fatalf("damaged marker: %v", err)
	}
}

func TestMigrate(t *testing.T) {
	pg := pgMetadata(t)
	dir := t.TempDir()
	m, err := openMeta(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Update(t.Context(), func(tx kv.Txn) error {
		for i := range 3000 {
			if err := tx.Set(fmt.Appendf(nil, "rec/%06d", i), fmt.Appendf(nil, "v%d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n0, sum0, _ := kv.Digest(t.Context(), m)
	// A running node (its Pebble lock held) is refused.
	if _, err := Migrate(t.Context(), MigrateOptions{DataDir: dir, Metadata: pg}); err == nil || !strings.Contains(err.Error(), "stop it") {
		t.Fatalf("migrating a running node: %v", err)
	}
	m.Close()
	var out strings.Builder
	res, err := Migrate(t.Context(), MigrateOptions{DataDir: dir, Metadata: pg, Out: &out})
	if err != nil {
		t.Fatalf("Migrate: %v\n%s", err, out.String())
	}
	if res.Keys != 3000 || !strings.Contains(out.String(), "verified 3000 records") {
		t.Fatalf("result %+v, output:\n%s", res, out.String())
	}
	// The directory now belongs to PostgreSQL, with the same records.
	if _, err := openMeta(t, dir, ""); err == nil {
		t.Fatal("Pebble reopened a migrated directory")
	}
	pm, err := openMeta(t, dir, pg)
	if err != nil {
		t.Fatal(err)
	}
	if pm.ID != res.StoreID {
		t.Fatalf("store id %s, migrated into %s", pm.ID, res.StoreID)
	}
	n, sum, err := kv.Digest(t.Context(), pm)
	if err != nil || n != n0 || sum != sum0 {
		t.Fatalf("after migrate: %d records (want %d), same digest %v, %v", n, n0, sum == sum0, err)
	}
	pm.Close()
	// Migrating again is refused: the directory is PostgreSQL's now.
	if _, err := Migrate(t.Context(), MigrateOptions{DataDir: dir, Metadata: pg}); err == nil || !strings.Contains(err.Error(), "already belongs") {
		t.Fatalf("second migrate: %v", err)
	}
}
