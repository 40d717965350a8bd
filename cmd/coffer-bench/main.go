// Command coffer-bench is Coffer's S3 load generator: warp's workloads
// (put4k, get4k, put16m, get16m, mixed, list) against any S3 endpoint, with
// its own lean SigV4 client, so Coffer and a peer are measured by the same
// tool on the same machine.
//
//	coffer-bench -endpoint http://127.0.0.1:9000 -access-key AK -secret-key SK \
//	    -workload put4k -duration 25s -bucket bench [-concurrency N] [-json] [-server-pid PID] \
//	    [-payload chunked|signed|trailer|unsigned] [-checksum crc32|crc64nvme] [-chunk-size 64KiB]
//	coffer-bench -selftest-server 127.0.0.1:19900   # a server that does nothing: the client's ceiling
//	coffer-bench -compare results.jsonl -peer minio -subject coffer [-floors docs/benchmarks.md]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"coffer/internal/loadgen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coffer-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, s := range loadgen.Specs {
		names = append(names, s.Name)
	}
	var (
		endpoint    = fs.String("endpoint", "http://127.0.0.1:9000", "S3 endpoint, http://host:port (path-style)")
		accessKey   = fs.String("access-key", os.Getenv("AWS_ACCESS_KEY_ID"), "access key (default $AWS_ACCESS_KEY_ID)")
		secretKey   = fs.String("secret-key", os.Getenv("AWS_SECRET_ACCESS_KEY"), "secret key (default $AWS_SECRET_ACCESS_KEY)")
		region      = fs.String("region", "us-east-1", "SigV4 region")
		workloads   = fs.String("workload", "put4k", "comma-separated workloads, or all: "+strings.Join(names, ", "))
		duration    = fs.Duration("duration", 25*time.Second, "timed phase per workload")
		concurrency = fs.Int("concurrency", 0, "clients (0 = the workload's default)")
		bucket      = fs.String("bucket", "coffer-bench", "bucket (created if missing, left in place)")
		size        = fs.String("size", "", "object size override, e.g. 4KiB, 1MiB (default: the workload's)")
		objects     = fs.Int("objects", 0, "pre-written objects override (per prefix for list)")
		serverPID   = fs.Int("server-pid", 0, "server process to sample VmRSS/VmHWM from /proc")
		label       = fs.String("label", "", "name of the system under test, stored in the JSON (e.g. minio, coffer)")
		asJSON      = fs.Bool("json", false, "print one JSON object per workload on stdout")
		sseMode     = fs.String("sse", "", "server-side encryption for PUTs: AES256 (SSE-S3) or aws:kms; the workload is reported as NAME/sse")
		selftest    = fs.String("selftest-server", "", "serve a do-nothing in-memory S3 on this address instead of benchmarking")
		verify      = fs.Bool("selftest-verify", false, "with -selftest-server: verify signatures and payload hashes, keep data")
		compare     = fs.String("compare", "", "print a comparison table from a file of -json results and exit")
		peer        = fs.String("peer", "minio", "with -compare: the label of the reference system")
		subject     = fs.String("subject", "coffer", "with -compare: the label of the system compared with it")
		contentMD5  = fs.Bool("content-md5", false, "send Content-MD5 with every PUT (needed by a bucket with a default Object Lock retention)")
		payload     = fs.String("payload", loadgen.PayloadChunked, "PUT payload: chunked (aws-chunked, a signature per 64 KiB chunk: minio-go, warp), "+
			"signed (one body, its SHA-256 signed), trailer (aws-chunked unsigned with a CRC trailer: aws-sdk-go-v2, boto3), unsigned (UNSIGNED-PAYLOAD)")
		checksumAlg = fs.String("checksum", loadgen.ChecksumCRC32, "with -payload trailer: the trailer's checksum, crc32 or crc64nvme")
		chunkSize   = fs.String("chunk-size", "", "aws-chunked chunk size (default: 64KiB for chunked, one chunk for trailer)")
		floors      = fs.String("floors", "", "with -compare: a file with | floor | WORKLOAD | RATIO | rows; exit 3 if a ratio is below its floor")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: coffer-bench -endpoint URL -access-key AK -secret-key SK -workload %s|all [flags]\n", strings.Join(names, "|"))
		fmt.Fprintln(stderr, "       coffer-bench -selftest-server ADDR | -compare FILE")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nworkloads:")
		for _, s := range loadgen.Specs {
			fmt.Fprintf(stderr, "  %-7s %s (%d clients, reports %s)\n", s.Name, s.Desc, s.Concurrency, s.Metric)
		}
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch {
	case *compare != "":
		return runCompare(*compare, *peer, *subject, *floors, stdout, stderr)
	case *selftest != "":
		return runSelftest(ctx, *selftest, *accessKey, *secretKey, *verify, stderr)
	}

	sizeBytes, err := parseSize(*size)
	if err != nil {
		fmt.Fprintf(stderr, "-size: %v\n", err)
		return 2
	}
	chunkBytes, err := parseSize(*chunkSize)
	if err != nil || chunkBytes > 1<<30 {
		fmt.Fprintf(stderr, "-chunk-size: bad size %q\n", *chunkSize)
		return 2
	}
	list := strings.Split(*workloads, ",")
	if *workloads == "all" {
		list = names
	}
	// Check every workload's configuration before running any.
	cfgs := make([]loadgen.Config, 0, len(list))
	var bad []error
	for _, w := range list {
		cfg := loadgen.Config{
			Endpoint: *endpoint, AccessKey: *accessKey, SecretKey: *secretKey, Region: *region,
			Bucket: *bucket, Workload: strings.TrimSpace(w), Duration: *duration,
			Concurrency: *concurrency, Size: sizeBytes, Objects: *objects,
			ServerPID: *serverPID, Label: *label, Log: stderr, SSE: *sseMode,
		}
		cfg.ContentMD5 = *contentMD5
		cfg.Payload, cfg.ChunkSize = *payload, int(chunkBytes)
		if *payload == loadgen.PayloadTrailer {
			cfg.Checksum = *checksumAlg
		}
		if err := cfg.Validate(); err != nil {
			bad = append(bad, err)
		}
		cfgs = append(cfgs, cfg)
	}
	if err := errors.Join(bad...); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	status := 0
	for _, cfg := range cfgs {
		res, err := loadgen.Run(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cfg.Workload, err)
			status = 1
			if ctx.Err() != nil {
				return 1
			}
			continue
		}
		if *asJSON {
			b, _ := json.Marshal(res)
			fmt.Fprintln(stdout, string(b))
		} else {
			fmt.Fprint(stdout, res.Text())
		}
	}
	return status
}

// parseSize reads "4096", "4KiB", "4k", "16MiB", "16m", "1GiB".
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// runCompare prints the comparison table of a results file and, with a
// floors file, the guard: exit 3 when a ratio is below its floor.
func runCompare(path, peer, subject, floorsPath string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer f.Close()
	results, err := loadgen.ReadResults(f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	title := func(l string) string {
		switch l {
		case "minio":
			return "MinIO"
		case "coffer":
			return "Coffer"
		}
		return l
	}
	opts := loadgen.CompareOptions{Peer: peer, Subject: subject, PeerTitle: title(peer), SubjectTitle: title(subject)}
	fmt.Fprint(stdout, loadgen.CompareTable(results, opts))
	if floorsPath == "" {
		return 0
	}
	ff, err := os.Open(floorsPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer ff.Close()
	fl, err := loadgen.ParseFloors(ff)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", floorsPath, err)
		return 1
	}
	report, ok := loadgen.GuardReport(results, fl, opts)
	fmt.Fprintf(stdout, "\nRegression guard, floors from %s:\n\n%s", floorsPath, report)
	if !ok {
		fmt.Fprintln(stderr, "regression guard: a ratio is below its floor (or a side has no result)")
		return 3
	}
	return 0
}

func runSelftest(ctx context.Context, addr, ak, sk string, verify bool, stderr io.Writer) int {
	if verify && (ak == "" || sk == "") {
		fmt.Fprintln(stderr, "-selftest-verify needs -access-key and -secret-key")
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv := &http.Server{
		Handler:           loadgen.NewFakeS3(loadgen.FakeS3Options{AccessKey: ak, SecretKey: sk, Verify: verify, KeepData: verify}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	fmt.Fprintf(stderr, "selftest S3 server on http://%s (verify=%v), pid %d\n", ln.Addr(), verify, os.Getpid())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
