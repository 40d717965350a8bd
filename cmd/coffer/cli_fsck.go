package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"coffer/internal/fsck"
)

// fsck exit codes: 0 clean, 1 damage found, 2 usage, 3 the check could
// not run (no data directory, in use by a server, unreadable metadata).
const exitFsckFailed = 3

func (c *cli) fsckCmd() *cobra.Command {
	var dataDir string
	var skipContent, all bool
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "check a stopped node's data directory (offline)",
		Long: `Check a stopped node's data directory: every object version's data is
present with its recorded size and matches its MD5 ETag and stored
checksums (per part for multipart objects), the parts of pending multipart
uploads likewise, and blob files that no record references are listed as
orphans. Encrypted data is checked for presence and size only. Nothing is
changed. A data directory a running server holds is refused.

Exit codes: 0 clean, 1 damage found, 2 usage error, 3 the check could not run.`,
		Args: args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataDir == "" {
				return usageErr("--data-dir is required")
			}
			rep, err := fsck.Run(c.ctx, fsck.Options{DataDir: dataDir, SkipContent: skipContent})
			if err != nil {
				if errors.Is(err, fsck.ErrLocked) {
					err = fmt.Errorf("fsck: %s: %w", dataDir, err)
				}
				return &exitError{code: exitFsckFailed, err: err}
			}
			if c.json {
				if err := c.printJSON(rep); err != nil {
					return err
				}
			} else {
				var rows [][]string
				for _, f := range rep.Findings {
					if !f.Damage && !all {
						continue
					}
					rows = append(rows, []string{f.Kind, where(f), orDash(f.Blob), f.Detail})
				}
				if len(rows) > 0 {
					c.table([]string{"PROBLEM", "WHERE", "BLOB", "DETAIL"}, rows)
				}
				fmt.Fprintln(c.stdout, rep.Summary())
			}
			if !rep.Clean() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", env("COFFER_DATA_DIR", ""), "data directory of a stopped node (env COFFER_DATA_DIR)")
	cmd.Flags().BoolVar(&skipContent, "skip-content", false, "check presence and sizes only, without reading the data")
	cmd.Flags().BoolVar(&all, "all", false, "also list notices (pending garbage, encrypted data not read)")
	return cmd
}

// where names a finding's place: tenant/bucket/key@version, an upload's
// part, or a file.
func where(f fsck.Finding) string {
	switch {
	case f.UploadID != "":
		return fmt.Sprintf("%s/%s/%s upload %s part %d", f.Tenant, f.Bucket, f.Key, f.UploadID, f.Part)
	case f.Key != "":
		s := fmt.Sprintf("%s/%s/%s@%s", f.Tenant, f.Bucket, f.Key, f.VersionID)
		if f.Part > 0 {
			s += fmt.Sprintf(" part %d", f.Part)
		}
		return s
	case f.Path != "":
		return f.Path
	}
	return strings.TrimSpace(f.Blob)
}
