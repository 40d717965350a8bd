package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"coffer/internal/adminclient"
)

// The administrators' command line: a client of the management API (see
// docs/cli.md). `coffer server`, `coffer kms` and `coffer version` keep their
// own flag parsing (main.go); they are registered here too so that help and
// shell completion list them.

// cli holds what every command shares.
type cli struct {
	root    *cobra.Command
	json    bool
	config  string
	tenant  string
	noWait  bool
	stdout  io.Writer
	stderr  io.Writer
	stdin   io.Reader
	ctx     context.Context
	timeout int
}

// exitError carries a process exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// runCLI runs the command line args (without the program name) and returns
// the exit code.
func runCLI(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	c := newCLI(ctx, os.Stdout, os.Stderr, os.Stdin)
	c.root.SetArgs(args)
	err := c.root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	code := 1
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		code = 2
	}
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintln(os.Stderr, "coffer:", oneLine(err.Error()))
	return code
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newCLI(ctx context.Context, stdout, stderr io.Writer, stdin io.Reader) *cli {
	c := &cli{ctx: ctx, stdout: stdout, stderr: stderr, stdin: stdin}
	root := &cobra.Command{
		Use:   "coffer",
		Short: "Coffer: a multi-tenant S3-compatible object store",
		Long: `Coffer is one binary: 'coffer server' runs a node; the other commands
administer a running one through its management API (log in first with
'coffer login'), and 'coffer fsck' checks a stopped node's data directory.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: 2, err: err} })
	root.PersistentFlags().BoolVar(&c.json, "json", false, "print JSON instead of a table")
	root.PersistentFlags().StringVar(&c.config, "config", "", "config file (env COFFER_CONFIG; default ~/.config/coffer/config.json)")
	c.root = root
	root.AddCommand(passthrough("server", "run a Coffer node (see 'coffer server -h')", runServer),
		passthrough("kms", "KMS maintenance: 'coffer kms rekey' replaces the master key of a stopped node", runKMS),
		&cobra.Command{Use: "version", Short: "print the version", Args: cobra.NoArgs,
			Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "coffer", version) }})
	root.AddCommand(c.loginCmd(), c.logoutCmd(), c.statusCmd(),
		c.tenantCmd(), c.userCmd(), c.keyCmd(), c.groupCmd(), c.policyCmd(), c.bucketCmd(),
		c.planCmd(), c.vaultCmd(), c.jobCmd(), c.fsckCmd())
	return c
}

// passthrough registers a command that parses its own flags.
func passthrough(name, short string, run func([]string) error) *cobra.Command {
	return &cobra.Command{Use: name, Short: short, DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error { return run(args) }}
}

// args checks a command's positional arguments (exit code 2 otherwise).
func args(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) != n {
			if n == 0 {
				return usageErr("%s takes no arguments", cmd.CommandPath())
			}
			return usageErr("usage: %s %s", cmd.CommandPath(), strings.Join(names, " "))
		}
		return nil
	}
}

func (c *cli) configPath() (string, error) {
	if c.config != "" {
		return c.config, nil
	}
	return adminclient.ConfigPath()
}

// client returns a client with the stored config, saving renewed tokens.
func (c *cli) client() (*adminclient.Client, error) {
	path, err := c.configPath()
	if err != nil {
		return nil, err
	}
	cfg, err := adminclient.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	return adminclient.New(cfg, adminclient.Options{
		Save: func(cfg adminclient.Config) error { return adminclient.SaveConfig(path, cfg) },
		Load: func() (adminclient.Config, error) { return adminclient.LoadConfig(path) },
	})
}

// printJSON prints v indented.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under a header, aligned.
func (c *cli) table(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// fields prints name: value lines, aligned.
func (c *cli) fields(kv ...string) {
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[i], kv[i+1])
	}
	tw.Flush()
}

// out prints v as JSON with --json, else calls text.
func (c *cli) out(v any, text func()) error {
	if c.json {
		return c.printJSON(v)
	}
	text()
	return nil
}

// notef prints a note on stderr (never mixed with --json output).
func (c *cli) notef(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }

func (c *cli) isTerminal(f any) bool {
	if fd, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes renders a byte count with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// parseSize reads a byte count: a number with an optional unit (K, M, G,
// T, P with B or iB; decimal units are powers of 1000).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 10GiB", s)
	}
	mult := map[string]float64{"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3, "M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9, "T": 1 << 40, "TIB": 1 << 40, "TB": 1e12,
		"P": 1 << 50, "PIB": 1 << 50, "PB": 1e15}
	m, ok := mult[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, unit)
	}
	return int64(f * m), nil
}
