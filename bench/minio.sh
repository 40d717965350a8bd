#!/usr/bin/env bash
# minio.sh: the peer Coffer's benchmarks compare with, a single-drive MinIO on loopback that
# lives only as long as a benchmark needs it.
#
#   bench/minio.sh install   # builds MinIO from the Go module proxy into $BENCH_BIN (once; minutes)
#   bench/minio.sh start     # empty data dir, waits for readiness, prints ENDPOINT= ACCESS_KEY= SECRET_KEY= PID=
#   bench/minio.sh stop      # stops the process that start began (and only it), removes its data
#
# Env: BENCH_BIN (${TMPDIR:-/tmp}/coffer-bench/bin), MINIO_PORT (19000), BENCH_ACCESS_KEY,
#   BENCH_SECRET_KEY. Other MINIO_* variables (e.g. MINIO_KMS_SECRET_KEY) pass through to MinIO.
set -euo pipefail
state=${TMPDIR:-/tmp}/coffer-bench
bin=${BENCH_BIN:-$state/bin}
port=${MINIO_PORT:-19000}
ak=${BENCH_ACCESS_KEY:-benchaccesskey}
sk=${BENCH_SECRET_KEY:-benchsecretkey123}
data=$state/minio-data pidfile=$state/minio.pid logfile=$state/minio.log
mkdir -p "$state"

alive() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case ${1:-} in
install)
  GOBIN=$bin go install github.com/minio/minio@latest
  "$bin/minio" --version | head -1
  ;;
start)
  if [[ ! -x $bin/minio ]]; then echo "MinIO is not installed: $0 install" >&2; exit 1; fi
  if alive; then echo "a MinIO started by this script is already running" >&2; exit 1; fi
  rm -rf "$data" && mkdir -p "$data"
  # setsid: the server must not receive the caller's terminal signals.
  MINIO_ROOT_USER=$ak MINIO_ROOT_PASSWORD=$sk MINIO_BROWSER=off MINIO_UPDATE=off \
    setsid "$bin/minio" server "$data" --quiet --address "127.0.0.1:$port" >"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 120); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/minio/health/ready" || true)
    if [[ $status == 200 ]]; then
      echo "ENDPOINT=127.0.0.1:$port ACCESS_KEY=$ak SECRET_KEY=$sk PID=$(cat "$pidfile")"
      exit 0
    fi
    sleep 0.5
  done
  echo "MinIO did not become ready; its log ends:" >&2
  tail -5 "$logfile" >&2
  exit 1
  ;;
stop)
  [[ -f $pidfile ]] || exit 0
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  rm -rf "$data"
  ;;
*)
  sed -n '2,10p' "$0"
  exit 2
  ;;
esac
