package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"coffer/internal/server"
)

// runMigrate moves a stopped node's embedded metadata into PostgreSQL.
func runMigrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dataDir := fs.String("data-dir", env("COFFER_DATA_DIR", "./coffer-data"), "data directory of a stopped node with embedded metadata (env COFFER_DATA_DIR)")
	metadata := fs.String("metadata", env("COFFER_METADATA", ""), "the PostgreSQL target, postgres://... (env COFFER_METADATA); its schema must hold no records")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *metadata == "" {
		return errors.New("--metadata postgres://... is required")
	}
	restrictUmask()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := server.Migrate(ctx, server.MigrateOptions{DataDir: *dataDir, Metadata: *metadata, Out: os.Stdout})
	if err != nil {
		return err
	}
	fmt.Printf("done in %s. Start the nodes with --metadata (COFFER_METADATA) and this data directory.\n"+
		"The embedded metadata stays in %s/meta as a backup; remove it once the nodes serve as expected.\n",
		res.Took.Round(1e6), *dataDir)
	return nil
}
