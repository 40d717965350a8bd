#!/usr/bin/env bash
# compare.sh: Coffer against MinIO with the same client (coffer-bench), on this machine,
# alternating runs (MinIO, Coffer, MinIO, Coffer, ...), then a table of the ratios.
#
#   bench/compare.sh [--peer-only|--coffer-only] [--keep-running] [--duration 25s] [--rounds 2] [--sse]
#                    [--payload chunked|signed|trailer|unsigned] [--checksum crc32|crc64nvme]
#                    [--floors FILE] [--no-guard] [WORKLOAD...]
#   bench/compare.sh --check RESULTS.jsonl [--floors FILE]   # the table and the guard of an earlier run
#
# WORKLOAD: put4k get4k put16m get16m mixed list (default: all of them); `sse` is short for
#   --sse put16m get16m.
# --payload: how PUT bodies are sent (coffer-bench -payload). Default chunked: aws-chunked with a
#   signature per 64 KiB chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), what warp (minio-go) sends over
#   http; signed: one body with its SHA-256 signed (this script's default before 2026-12-01);
#   trailer: aws-chunked unsigned with a CRC trailer, what aws-sdk-go-v2 and boto3 send (--checksum
#   picks crc32, the SDKs' default, or crc64nvme); unsigned: UNSIGNED-PAYLOAD. Workloads that PUT are
#   reported as NAME/MODE in any mode but chunked.
# Regression guard: after the table, the Coffer/MinIO ratio of each workload that ran on both is
#   checked against the floors in docs/benchmarks.md (rows "| floor | WORKLOAD | RATIO |"; --floors
#   FILE for others); the script exits 3 when one is below its floor (or a workload with a floor has
#   a result on one side only). --no-guard skips it; it is skipped with --peer-only/--coffer-only.
# --sse: every PUT asks for SSE-S3 (x-amz-server-side-encryption: AES256) and every answer must
#   report it; MinIO is started with its built-in KMS (MINIO_KMS_SECRET_KEY, a fresh random key),
#   Coffer with its own (a master key generated in the fresh data dir). Workloads are reported as
#   NAME/sse.
# Env (flags win): DURATION (25s), ROUNDS (2), MINIO_PORT (19000), COFFER_PORT (19100),
#   COFFER_ADMIN_PORT (19101), BENCH_BIN (where minio.sh installed MinIO), OUT (results file),
#   COFFER_BIN (a prebuilt coffer binary instead of building ./cmd/coffer), COFFER_BENCH (with
#   --check: a prebuilt coffer-bench),
#   COFFER_METADATA (a postgres:// URL: Coffer keeps its metadata there; each start gets a
#   fresh schema, dropped at its stop when psql is installed).
# Ports already in use (other engineers' servers) are skipped: the next free port is taken.
#
# By default each run gets a freshly started server with an empty data dir (so the peak RSS
# is that workload's, and only one server is up at a time); --keep-running starts each server
# once for all runs instead. Every run uses a fresh bucket. Servers are stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$here" rev-parse --show-toplevel)

MINIO_SH=$ROOT/bench/minio.sh

DURATION=${DURATION:-25s}
ROUNDS=${ROUNDS:-2}
COFFER_PORT=${COFFER_PORT:-19100}
COFFER_ADMIN_PORT=${COFFER_ADMIN_PORT:-19101}
export MINIO_PORT=${MINIO_PORT:-19000}
export BENCH_BIN=${BENCH_BIN:-${TMPDIR:-/tmp}/coffer-bench/bin}
export BENCH_ACCESS_KEY=${BENCH_ACCESS_KEY:-benchaccesskey}
export BENCH_SECRET_KEY=${BENCH_SECRET_KEY:-benchsecretkey123}
ALL_WORKLOADS=(put4k get4k put16m get16m mixed list)
PAYLOAD=${PAYLOAD:-chunked}
CHECKSUM=${CHECKSUM:-crc32}
FLOORS=${FLOORS:-$ROOT/docs/benchmarks.md}

targets=(minio coffer)
keep_running=0
sse=""
guard=1
check=""
workloads=()
usage() { sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
while (($#)); do
  case $1 in
    --peer-only) targets=(minio) ;;
    --coffer-only) targets=(coffer) ;;
    --keep-running) keep_running=1 ;;
    --sse) sse=AES256 ;;
    sse) sse=AES256; workloads+=(put16m get16m) ;;
    --payload) PAYLOAD=$2; shift ;;
    --payload=*) PAYLOAD=${1#*=} ;;
    --checksum) CHECKSUM=$2; shift ;;
    --floors) FLOORS=$2; shift ;;
    --no-guard) guard=0 ;;
    --check) check=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --duration=*) DURATION=${1#*=} ;;
    --rounds) ROUNDS=$2; shift ;;
    --rounds=*) ROUNDS=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    all) workloads+=("${ALL_WORKLOADS[@]}") ;;
    *)
      if [[ " ${ALL_WORKLOADS[*]} " != *" $1 "* ]]; then echo "unknown workload $1" >&2; exit 2; fi
      workloads+=("$1") ;;
  esac
  shift
done
((${#workloads[@]})) || workloads=("${ALL_WORKLOADS[@]}")
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer" >&2; exit 2; }
case $PAYLOAD in chunked|signed|trailer|unsigned) ;; *) echo "unknown payload $PAYLOAD" >&2; exit 2 ;; esac
((${#targets[@]} == 2)) || guard=0

# table_and_guard RESULTS: the comparison table and, unless disabled, the floors check; its exit
# status is the guard's (3: a ratio below its floor).
table_and_guard() {
  if ((guard)); then
    "$BENCH" -compare "$1" -peer minio -subject coffer -floors "$FLOORS"
  else
    "$BENCH" -compare "$1" -peer minio -subject coffer
  fi
}

if [[ -n $check ]]; then
  tmpb=""
  if [[ -n ${COFFER_BENCH:-} ]]; then
    BENCH=$COFFER_BENCH
  else
    tmpb=$(mktemp -d "${TMPDIR:-/tmp}/coffer-compare-check.XXXXXX")
    BENCH=$tmpb/coffer-bench
    (cd "$ROOT" && go build -o "$BENCH" ./cmd/coffer-bench)
  fi
  status=0
  table_and_guard "$check" || status=$?
  [[ -z $tmpb ]] || rm -rf "$tmpb"
  exit "$status"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/coffer-compare.XXXXXX")
RESULTS=$(realpath -m "${OUT:-$TMP/results.jsonl}")
if [[ -n $sse ]]; then
  # MinIO's built-in single-key KMS: NAME:base64(32 bytes). minio.sh passes the environment on.
  MINIO_KMS_SECRET_KEY="bench-key:$(head -c 32 /dev/urandom | base64)"
  export MINIO_KMS_SECRET_KEY
fi
: >"$RESULTS"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- servers --------------------------------------------------------------------------------
# minio.sh keeps its pid file and data dir under $TMPDIR/coffer-bench: point it at our own
# temp dir so that this run never touches another engineer's MinIO.
minio_sh() { TMPDIR=$TMP "$MINIO_SH" "$@"; }
# Other engineers run servers on this machine too: never assume a port is ours.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p=$1
  while ! port_free "$p" || [[ " ${*:2} " == *" $p "* ]]; do p=$((p + 1)); done
  echo "$p"
}
minio_up=0 coffer_pid=""
declare -A ENDPOINT PID

start_minio() {
  local line pid
  MINIO_PORT=$(pick_port "$MINIO_PORT" "$COFFER_PORT" "$COFFER_ADMIN_PORT")
  line=$(minio_sh start) || { log "MinIO failed to start (see $TMP/coffer-bench/minio.log)"; return 1; }
  minio_up=1
  pid=$(sed -n 's/.*PID=\([0-9]*\).*/\1/p' <<<"$line")
  # The readiness probe only proves that something answers on the port: make sure it is ours.
  # A MinIO that lost a race for the port to another engineer's takes over a second to exit
  # ("Specified port is already in use"), so look twice.
  sleep 0.5
  kill -0 "$pid" 2>/dev/null && sleep 1
  if ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "127.0.0.1:$MINIO_PORT"; then
    log "the MinIO we started (pid $pid) is not serving 127.0.0.1:$MINIO_PORT"; stop_minio; return 1
  fi
  ENDPOINT[minio]=http://127.0.0.1:$MINIO_PORT PID[minio]=$pid
}
stop_minio() { ((minio_up)) || return 0; minio_sh stop || true; minio_up=0; }

bench_schema=
start_coffer() {
  local code
  COFFER_PORT=$(pick_port "$COFFER_PORT" "$MINIO_PORT")
  COFFER_ADMIN_PORT=$(pick_port "$COFFER_ADMIN_PORT" "$MINIO_PORT" "$COFFER_PORT")
  rm -rf "$TMP/coffer-data"; mkdir -p "$TMP/coffer-data"
  local meta=()
  if [[ -n ${COFFER_METADATA:-} ]]; then
    bench_schema=bench_$(date +%s)_$$
    local sep='?'; [[ $COFFER_METADATA == *\?* ]] && sep='&'
    meta=(--metadata "$COFFER_METADATA${sep}schema=$bench_schema")
  fi
  COFFER_ROOT_ACCESS_KEY=$BENCH_ACCESS_KEY COFFER_ROOT_SECRET_KEY=$BENCH_SECRET_KEY COFFER_METADATA= \
    "$TMP/bin/coffer" server --data-dir "$TMP/coffer-data" "${meta[@]}" \
    --s3-addr "127.0.0.1:$COFFER_PORT" --admin-addr "127.0.0.1:$COFFER_ADMIN_PORT" \
    >>"$TMP/coffer.log" 2>&1 </dev/null &
  coffer_pid=$!
  for _ in $(seq 1 120); do
    if ! kill -0 "$coffer_pid" 2>/dev/null; then
      log "Coffer exited during start-up; last lines of $TMP/coffer.log:"; tail -5 "$TMP/coffer.log" >&2
      coffer_pid=""; return 1
    fi
    # Any HTTP answer (even 403 to an anonymous request) means the S3 port is serving.
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$COFFER_PORT/" || true)
    if [[ $code != 000 ]]; then
      ENDPOINT[coffer]=http://127.0.0.1:$COFFER_PORT PID[coffer]=$coffer_pid
      return 0
    fi
    sleep 0.5
  done
  log "Coffer did not answer on 127.0.0.1:$COFFER_PORT within 60 s"; stop_coffer; return 1
}
stop_coffer() {
  [[ -n $coffer_pid ]] || return 0
  kill -TERM "$coffer_pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$coffer_pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$coffer_pid" 2>/dev/null || true
  wait "$coffer_pid" 2>/dev/null || true
  coffer_pid=""
  rm -rf "$TMP/coffer-data"
  if [[ -n ${bench_schema:-} ]] && command -v psql >/dev/null; then
    psql -q "$COFFER_METADATA" -c "DROP SCHEMA IF EXISTS $bench_schema CASCADE" >/dev/null 2>&1 || true
  fi
  bench_schema=
}

start_target() { case $1 in minio) start_minio ;; coffer) start_coffer ;; esac; }
stop_target() { case $1 in minio) stop_minio ;; coffer) stop_coffer ;; esac; }

cleanup() {
  stop_coffer
  stop_minio
  rm -rf "$TMP/coffer-data" "$TMP/coffer-bench/minio-data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ----------------------------------------------------------------------------------
cd "$ROOT"
log "building coffer-bench"
go build -o "$TMP/bin/coffer-bench" ./cmd/coffer-bench
BENCH=$TMP/bin/coffer-bench

declare -A available
for t in "${targets[@]}"; do available[$t]=1; done
if [[ -n ${available[minio]:-} && ! -x $BENCH_BIN/minio ]]; then
  log "MinIO is not installed in $BENCH_BIN: installing (about 5 minutes, once)"
  "$MINIO_SH" install >&2
fi
if [[ -n ${available[coffer]:-} && -n ${COFFER_BIN:-} ]]; then
  cp "$COFFER_BIN" "$TMP/bin/coffer"
elif [[ -n ${available[coffer]:-} ]]; then
  log "building coffer"
  if ! go build -o "$TMP/bin/coffer" ./cmd/coffer >"$TMP/coffer-build.log" 2>&1; then
    log "Coffer does not build yet (see $TMP/coffer-build.log): its column stays pending"
    unset 'available[coffer]'
  fi
fi
if ((${#available[@]} == 0)); then log "nothing to benchmark"; exit 1; fi

if ((keep_running)); then
  for t in "${targets[@]}"; do
    [[ -n ${available[$t]:-} ]] || continue
    start_target "$t" || unset "available[$t]"
  done
fi

cores=$(nproc)
log "workloads: ${workloads[*]}${sse:+ (SSE-S3)}; PUT payload $PAYLOAD; duration $DURATION; rounds $ROUNDS; targets: ${!available[*]}"
log "the client and the servers share this machine's $cores cores (loopback); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
log "results in $RESULTS"

# --- runs -----------------------------------------------------------------------------------
for ((round = 1; round <= ROUNDS; round++)); do
  for w in "${workloads[@]}"; do
    for t in "${targets[@]}"; do
      [[ -n ${available[$t]:-} ]] || continue
      if ((!keep_running)); then
        if ! start_target "$t"; then log "$t: $w round $round skipped (server did not start)"; continue; fi
      fi
      bucket=bench-$w-r$round-$(date +%s)
      log "$t: $w round $round/$ROUNDS (bucket $bucket)"
      if line=$("$TMP/bin/coffer-bench" -endpoint "${ENDPOINT[$t]}" -access-key "$BENCH_ACCESS_KEY" \
        -secret-key "$BENCH_SECRET_KEY" -workload "$w" -duration "$DURATION" -bucket "$bucket" \
        -server-pid "${PID[$t]}" -label "$t" ${sse:+-sse "$sse"} -payload "$PAYLOAD" -checksum "$CHECKSUM" \
        -json 2>>"$TMP/client.log"); then
        # A server that exited meanwhile was not what answered: drop the result.
        if ! kill -0 "${PID[$t]}" 2>/dev/null; then
          log "$t: $w round $round: our server (pid ${PID[$t]}) exited during the run; result dropped"
          ((keep_running)) || stop_target "$t"
          continue
        fi
        echo "$line" >>"$RESULTS"
        jq -r '"    \(.label) \(.workload): \(.ops_per_sec) ops/s \(.mib_per_sec) MiB/s\(if .keys_per_sec then " \(.keys_per_sec) keys/s" else "" end) p50 \(.p50_ms) ms p99 \(.p99_ms) ms errors \(.errors)\(if .first_error then " (\(.first_error))" else "" end); server CPU \(.server_cores // 0) cores, \(.server_cpu_us_per_op // 0) µs/op\(if .server_cpu_ns_per_byte then ", \(.server_cpu_ns_per_byte) ns/B" else "" end)\(if .server_cpu_us_per_key then ", \(.server_cpu_us_per_key) µs/key" else "" end); client \(.client_cores) cores, \(.client_cpu_us_per_op) µs/op, \(.client_conns) new conns; server RSS max \(.server_rss_max_mib) MiB VmHWM \(.server_hwm_mib) MiB; load \(.loadavg_1m)"' \
          <<<"$line" >&2 2>/dev/null || echo "    $line" >&2
      else
        log "$t: $w round $round failed; last lines of $TMP/client.log:"; tail -3 "$TMP/client.log" >&2
      fi
      ((keep_running)) || stop_target "$t"
    done
  done
done

# --- table ----------------------------------------------------------------------------------
echo
echo "Coffer vs MinIO, $(date -u +%Y-%m-%d), $DURATION per run, $ROUNDS round(s), alternating."
echo "Client (coffer-bench) and server on one machine: $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), loopback."
if ((keep_running)); then
  echo "Servers kept running across runs: peak RSS is the largest since each server started."
else
  echo "A fresh server (empty data dir) per run, one server up at a time: peak RSS is per workload."
fi
echo "PUT payload: $PAYLOAD$([[ $PAYLOAD == trailer ]] && echo " ($CHECKSUM)"). Throughput: mean over rounds (min–max). Latency: mean of each round's p50 / p99."
echo "Server CPU per unit: utime+stime of the server over the timed phase, per operation (ops/s), byte (MiB/s) or key (keys/s)."
echo
status=0
table_and_guard "$RESULTS" || status=$?
echo
echo "raw results: $RESULTS (logs: $TMP)"
[[ -s $RESULTS ]] || { log "no run succeeded"; exit 1; }
if ((status == 3)); then log "regression guard: a Coffer/MinIO ratio is below its floor in $FLOORS"; fi
exit "$status"
