// Command coffer is Coffer's one binary: `coffer server` runs a node,
// `coffer version` prints the version, and the other commands administer a
// running node through its management API (cli.go, docs/cli.md) or check a
// stopped node's data directory (`coffer fsck`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"coffer/internal/reqlog"
	"coffer/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		if err := runServer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "coffer:", err)
			os.Exit(1)
		}
	case "migrate":
		if err := runMigrate(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "coffer:", err)
			os.Exit(1)
		}
	case "kms":
		if err := runKMS(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "coffer:", err)
			os.Exit(1)
		}
	case "version", "--version", "-v":
		fmt.Println("coffer", version)
	default: // the administrators' commands, help and completion (cli.go)
		os.Exit(runCLI(os.Args[1:]))
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage: coffer <command> [flags]

Commands:
  server    run a Coffer node (S3 on --s3-addr, management over HTTPS on --admin-addr)
  kms rekey replace the KMS master key of a stopped node (see docs/kms.md)
  migrate   copy a stopped node's embedded metadata into PostgreSQL (docs/operations.md)
  version   print the version

  login, logout, status                  connect to a management API (stores a token)
  tenant, user, key, group, policy,      administer a running node: list, show,
  bucket, plan, vault, job               create, delete (job wait); --json
  fsck      check a stopped node's data directory
  completion bash|zsh                    shell completion

Run 'coffer help COMMAND' for a command's flags (docs/cli.md).

Run 'coffer server -h' for the server's flags. Credentials come from the
environment: COFFER_ROOT_ACCESS_KEY / COFFER_ROOT_SECRET_KEY (the default
tenant's S3 root user) and COFFER_ADMIN_USER / COFFER_ADMIN_PASSWORD (the
management plane's cluster administrator). Unset on a fresh data directory,
they are generated and printed once. The KMS master key comes from
--kms-master-key-file or COFFER_KMS_MASTER_KEY (see docs/kms.md).
`)
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envLimits reads optional environment variables for flag defaults; an
// unset one is zero (the server's own default) and a malformed one is
// recorded in bad, reported once the flags are parsed.
type envLimits struct{ bad []error }

func (e *envLimits) duration(name string) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.bad = append(e.bad, fmt.Errorf("%s: %q is not a duration such as 30s", name, v))
	}
	return d
}

func (e *envLimits) integer(name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.bad = append(e.bad, fmt.Errorf("%s: %q is not an integer", name, v))
	}
	return n
}

func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	var o server.Options
	var lim envLimits
	fs.StringVar(&o.DataDir, "data-dir", env("COFFER_DATA_DIR", "./coffer-data"), "data directory (env COFFER_DATA_DIR)")
	fs.StringVar(&o.Metadata, "metadata", env("COFFER_METADATA", ""), "metadata store: empty for the embedded one in DATA-DIR/meta, or postgres://... (env COFFER_METADATA)")
	fs.StringVar(&o.S3Addr, "s3-addr", env("COFFER_S3_ADDR", "127.0.0.1:9000"), "S3 listen address (env COFFER_S3_ADDR)")
	fs.StringVar(&o.AdminAddr, "admin-addr", env("COFFER_ADMIN_ADDR", "127.0.0.1:9001"), "management listen address (env COFFER_ADMIN_ADDR)")
	fs.StringVar(&o.TLSCert, "tls-cert", env("COFFER_TLS_CERT", ""), "TLS certificate file: serve HTTPS (env COFFER_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "tls-key", env("COFFER_TLS_KEY", ""), "TLS key file (env COFFER_TLS_KEY)")
	fs.BoolVar(&o.AdminInsecureHTTP, "admin-insecure-http", env("COFFER_ADMIN_INSECURE_HTTP", "") == "1",
		"serve plain HTTP on the management listener instead of HTTPS with a self-signed certificate (env COFFER_ADMIN_INSECURE_HTTP=1)")
	fs.StringVar(&o.Domain, "domain", env("COFFER_DOMAIN", ""), "domain for virtual-hosted-style requests, bucket.DOMAIN (env COFFER_DOMAIN)")
	fs.StringVar(&o.Region, "region", env("COFFER_REGION", "us-east-1"), "S3 region (env COFFER_REGION)")
	fs.StringVar(&o.ClusterName, "cluster-name", env("COFFER_CLUSTER_NAME", "coffer"), "cluster name, fixed at the first start (env COFFER_CLUSTER_NAME)")
	fs.BoolVar(&o.Pprof, "pprof", env("COFFER_PPROF", "") == "1", "serve Go's profiler at /debug/pprof/ on the admin listener (env COFFER_PPROF=1)")
	fs.StringVar(&o.MetricsToken, "metrics-token", "", "bearer token that reads /metrics and /api/coffer/stats, at least 16 characters (prefer env COFFER_METRICS_TOKEN: a flag shows in ps); default: the cluster administrator's credentials")
	fs.BoolVar(&o.MetricsPublic, "metrics-public", env("COFFER_METRICS_PUBLIC", "") == "1", "serve /metrics and /api/coffer/stats without credentials (env COFFER_METRICS_PUBLIC=1)")
	fs.StringVar(&o.NodeName, "node-name", env("COFFER_NODE_NAME", ""), "this node's name as a Commvault client (env COFFER_NODE_NAME; default the host name)")
	fs.BoolVar(&o.SSECAllowHTTP, "sse-c-allow-http", env("COFFER_SSE_C_ALLOW_HTTP", "") == "1", "accept SSE-C customer keys over plain HTTP (env COFFER_SSE_C_ALLOW_HTTP=1)")
	fs.StringVar(&o.KMSMasterKeyFile, "kms-master-key-file", env("COFFER_KMS_MASTER_KEY_FILE", ""),
		"KMS master key file, 32 bytes as hex or base64, created when absent on a fresh data directory (env COFFER_KMS_MASTER_KEY_FILE; default DATA-DIR/master.key; or the key itself in COFFER_KMS_MASTER_KEY)")
	logLevel := fs.String("log-level", env("COFFER_LOG_LEVEL", "info"), "debug, info, warn or error (env COFFER_LOG_LEVEL)")
	memBudget := fs.String("memory-budget", env("COFFER_MEMORY_BUDGET", "128MiB"), "memory the process should stay under: sizes the metadata store's cache and memtables and Go's soft memory limit; at least 48MiB (env COFFER_MEMORY_BUDGET)")
	inline := fs.String("inline-max", env("COFFER_INLINE_MAX", "65536"), "largest object in bytes kept inline in metadata (env COFFER_INLINE_MAX)")
	fs.DurationVar(&o.ReadHeaderTimeout, "read-header-timeout", lim.duration("COFFER_READ_HEADER_TIMEOUT"), "time to read a request's headers, both listeners (env COFFER_READ_HEADER_TIMEOUT; default 30s)")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", lim.duration("COFFER_IDLE_TIMEOUT"), "idle keep-alive connections are closed after this, both listeners (env COFFER_IDLE_TIMEOUT; default 2m)")
	fs.IntVar(&o.MaxHeaderBytes, "max-header-bytes", lim.integer("COFFER_MAX_HEADER_BYTES"), "largest request header block, both listeners; larger answers 431 (env COFFER_MAX_HEADER_BYTES; default 65536)")
	fs.DurationVar(&o.BodyTimeout, "body-timeout", lim.duration("COFFER_BODY_TIMEOUT"), "an S3 request body that stalls this long, or is slower than --min-body-rate over this window, fails with RequestTimeout (env COFFER_BODY_TIMEOUT; default 30s)")
	fs.Int64Var(&o.MinBodyRate, "min-body-rate", int64(lim.integer("COFFER_MIN_BODY_RATE")), "slowest S3 request body in bytes per second; negative only requires progress (env COFFER_MIN_BODY_RATE; default 128)")
	fs.DurationVar(&o.AdminReadTimeout, "admin-read-timeout", lim.duration("COFFER_ADMIN_READ_TIMEOUT"), "time to read a whole management request (env COFFER_ADMIN_READ_TIMEOUT; default 1m)")
	fs.DurationVar(&o.LifecycleInterval, "lifecycle-interval", lim.duration("COFFER_LIFECYCLE_INTERVAL"), "how often lifecycle rules run over the buckets (env COFFER_LIFECYCLE_INTERVAL; default 1h)")
	fs.DurationVar(&o.AdminWriteTimeout, "admin-write-timeout", lim.duration("COFFER_ADMIN_WRITE_TIMEOUT"), "time to write a management response (env COFFER_ADMIN_WRITE_TIMEOUT; default 2m)")
	fs.IntVar(&o.LoginMaxFailures, "login-max-failures", lim.integer("COFFER_LOGIN_MAX_FAILURES"), "failed management logins of one account from one address that lock it from there (env COFFER_LOGIN_MAX_FAILURES; default 5)")
	fs.DurationVar(&o.LoginFailureWindow, "login-failure-window", lim.duration("COFFER_LOGIN_FAILURE_WINDOW"), "how long failed logins count (env COFFER_LOGIN_FAILURE_WINDOW; default 15m)")
	fs.DurationVar(&o.LoginLockout, "login-lockout", lim.duration("COFFER_LOGIN_LOCKOUT"), "how long a lock lasts (env COFFER_LOGIN_LOCKOUT; default 5m)")
	fs.IntVar(&o.LoginMaxAddressFailures, "login-max-address-failures", lim.integer("COFFER_LOGIN_MAX_ADDRESS_FAILURES"), "failed logins and bad tokens from one address, over all accounts, that block the address (env COFFER_LOGIN_MAX_ADDRESS_FAILURES; default 50)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := errors.Join(lim.bad...); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	n, err := strconv.ParseInt(*inline, 10, 64)
	if err != nil {
		return fmt.Errorf("--inline-max: %w", err)
	}
	o.InlineMax = n
	if o.MemoryBudget, err = parseSize(*memBudget); err != nil {
		return fmt.Errorf("--memory-budget: %w", err)
	}
	if _, err := server.ApplyGoMemoryLimit(o.MemoryBudget); err != nil {
		return err
	}
	server.TuneMalloc() // before Pebble allocates its cache and memtables
	o.RootAccessKey = os.Getenv("COFFER_ROOT_ACCESS_KEY")
	o.RootSecretKey = os.Getenv("COFFER_ROOT_SECRET_KEY")
	o.AdminUser = os.Getenv("COFFER_ADMIN_USER")
	o.AdminPassword = os.Getenv("COFFER_ADMIN_PASSWORD")
	if o.MetricsToken == "" {
		o.MetricsToken = os.Getenv("COFFER_METRICS_TOKEN")
	}
	os.Unsetenv("COFFER_METRICS_TOKEN")
	o.KMSMasterKey = os.Getenv("COFFER_KMS_MASTER_KEY")
	os.Unsetenv("COFFER_KMS_MASTER_KEY") // not inherited by anything this process runs
	o.Version = version
	if v := os.Getenv("COFFER_TEST_DAY_SECONDS"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 {
			return fmt.Errorf("COFFER_TEST_DAY_SECONDS: %q is not a positive number", v)
		}
		o.Day = time.Duration(secs * float64(time.Second))
	}
	if v := os.Getenv("COFFER_TEST_LOG_FLUSH_SECONDS"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 {
			return fmt.Errorf("COFFER_TEST_LOG_FLUSH_SECONDS: %q is not a positive number", v)
		}
		o.AccessLogFlush = time.Duration(secs * float64(time.Second))
	}
	if v := os.Getenv("COFFER_TEST_JOB_STEP_SECONDS"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 {
			return fmt.Errorf("COFFER_TEST_JOB_STEP_SECONDS: %q is not a positive number", v)
		}
		o.JobStepDelay = time.Duration(secs * float64(time.Second))
	}
	// Log lines (one per request at info) are written from a goroutine
	// every 100 ms, off the requests' path.
	logw := reqlog.NewAsyncWriter(os.Stderr, 100*time.Millisecond)
	defer logw.Close()
	o.Logger = slog.New(reqlog.NewJSONHandler(logw, &slog.HandlerOptions{Level: level})) // slog's JSON, faster

	restrictUmask()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv, err := server.Start(ctx, o)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	o.Logger.Info("shutting down")
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	o.Logger.Info("stopped")
	return nil
}
