package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"coffer/internal/core"
	"coffer/internal/kms"
	"coffer/internal/kv"
	"coffer/internal/server"
)

func runKMS(args []string) error {
	if len(args) == 0 || args[0] != "rekey" {
		return errors.New(`usage: coffer kms rekey --data-dir DIR --new-master-key-file FILE [--kms-master-key-file FILE]`)
	}
	return runRekey(args[1:])
}

// runRekey replaces the master key of a stopped node's data directory: the
// named keys' versions are wrapped again and the S3 secrets sealed again,
// in one transaction; objects are not touched (their data keys are sealed
// under named keys).
func runRekey(args []string) error {
	fs := flag.NewFlagSet("kms rekey", flag.ContinueOnError)
	dataDir := fs.String("data-dir", env("COFFER_DATA_DIR", "./coffer-data"), "data directory of a stopped node (env COFFER_DATA_DIR)")
	metadata := fs.String("metadata", env("COFFER_METADATA", ""), "metadata store, as for coffer server (env COFFER_METADATA)")
	oldFile := fs.String("kms-master-key-file", env("COFFER_KMS_MASTER_KEY_FILE", ""),
		"the current master key file (env COFFER_KMS_MASTER_KEY_FILE; default DATA-DIR/master.key; or the key itself in COFFER_KMS_MASTER_KEY)")
	newFile := fs.String("new-master-key-file", "", "the new master key file; created with a random key when absent (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *newFile == "" {
		return errors.New("--new-master-key-file is required")
	}
	restrictUmask()
	var oldKey []byte
	var err error
	if text := os.Getenv("COFFER_KMS_MASTER_KEY"); text != "" {
		if *oldFile != "" {
			return errors.New("--kms-master-key-file and COFFER_KMS_MASTER_KEY cannot be given together")
		}
		oldKey, err = kms.ParseMasterKey(text)
	} else {
		if *oldFile == "" {
			*oldFile = filepath.Join(*dataDir, "master.key")
		}
		oldKey, err = kms.ReadMasterKeyFile(*oldFile)
	}
	if err != nil {
		return fmt.Errorf("current master key: %w", err)
	}
	generated := false
	newKey, err := kms.ReadMasterKeyFile(*newFile)
	if errors.Is(err, iofs.ErrNotExist) {
		newKey, err = kms.WriteMasterKeyFile(*newFile)
		generated = err == nil
	}
	if err != nil {
		return fmt.Errorf("new master key: %w", err)
	}
	fail := func(err error) error {
		if generated {
			os.Remove(*newFile)
		}
		return err
	}
	store, err := server.OpenMetadata(context.Background(), server.MetadataOptions{DataDir: *dataDir, Metadata: *metadata})
	if err != nil {
		return fail(fmt.Errorf("%w (is the server still running? stop it first)", err))
	}
	defer store.Close()
	from, err := kms.NewSecretBox(oldKey)
	if err != nil {
		return fail(err)
	}
	to, err := kms.NewSecretBox(newKey)
	if err != nil {
		return fail(err)
	}
	var res kms.RekeyResult
	var secrets int
	err = store.Update(context.Background(), func(tx kv.Txn) error {
		var err error
		if res, err = kms.RekeyTx(tx, oldKey, newKey, time.Now()); err != nil {
			return err
		}
		secrets, err = core.ResealSecretsTx(tx, from, to)
		return err
	})
	if err != nil {
		return fail(fmt.Errorf("rekey: %w", err))
	}
	if err := store.Close(); err != nil {
		return err
	}
	fmt.Printf("Rewrapped %d KMS keys (%d versions) and resealed %d S3 secret keys under the master key in %s.\n"+
		"Start the server with --kms-master-key-file %s (or its content in COFFER_KMS_MASTER_KEY).\n"+
		"Back the new key up; destroy the old key and its copies once you no longer need old backups of the data directory.\n",
		res.Keys, res.Versions, secrets, *newFile, *newFile)
	return nil
}
