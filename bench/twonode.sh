#!/usr/bin/env bash
# twonode.sh: one Coffer node against two nodes sharing one PostgreSQL schema and one data
# directory, both under load at once (issue 10, docs/benchmarks.md "Two nodes").
#
#   eval "$(bench/pg.sh start)"                       # or any COFFER_METADATA=postgres://...
#   bench/twonode.sh [--duration 15s] [--rounds 1] [WORKLOAD...]   # default: put4k get4k
#   bench/pg.sh stop
#
# For each workload and round: a fresh schema and data dir, one node with coffer-bench's default
# clients for the workload; then a fresh schema and data dir, two nodes, and one coffer-bench per
# node with the same clients each, started together (distinct buckets). It prints per-node and
# aggregate ops/s and MiB/s. On one machine both nodes share its cores with PostgreSQL and the
# clients: the aggregate shows what sharing costs, not what a second machine would add.
# Environment: COFFER_BIN (a prebuilt coffer), COFFER_METADATA (required).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$here" rev-parse --show-toplevel)
DURATION=15s
ROUNDS=1
workloads=()
while [[ $# -gt 0 ]]; do
  case $1 in
  --duration) DURATION=$2; shift 2 ;;
  --rounds) ROUNDS=$2; shift 2 ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
  *) workloads+=("$1"); shift ;;
  esac
done
[[ ${#workloads[@]} -gt 0 ]] || workloads=(put4k get4k)
: "${COFFER_METADATA:?set COFFER_METADATA to a postgres:// DSN (eval \"\$(bench/pg.sh start)\")}"
[[ $COFFER_METADATA == postgres* ]] || { echo "twonode.sh: COFFER_METADATA must be postgres://..." >&2; exit 2; }
command -v jq >/dev/null || { echo "twonode.sh: needs jq" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/coffer-twonode.XXXXXX")
pids=()
cleanup() {
  stop_all
  rm -rf "$TMP"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$TMP/bin"
if [[ -n ${COFFER_BIN:-} ]]; then cp "$COFFER_BIN" "$TMP/bin/coffer"; else (cd "$ROOT" && go build -o "$TMP/bin/coffer" ./cmd/coffer); fi
(cd "$ROOT" && go build -o "$TMP/bin/coffer-bench" ./cmd/coffer-bench)
AK=benchaccesskey SK=benchsecretkey123
sep='?'; [[ $COFFER_METADATA == *\?* ]] && sep='&'

# start_node N DATADIR SCHEMA: starts node N on ports 19200+2N / 19201+2N, echoes its pid.
start_node() {
  local n=$1 data=$2 schema=$3 port=$((19200 + 2 * $1))
  COFFER_ROOT_ACCESS_KEY=$AK COFFER_ROOT_SECRET_KEY=$SK COFFER_METADATA= \
    "$TMP/bin/coffer" server --data-dir "$data" --metadata "$COFFER_METADATA${sep}schema=$schema" \
    --node-name "node$n" --s3-addr "127.0.0.1:$port" --admin-addr "127.0.0.1:$((port + 1))" \
    >>"$TMP/node$n.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { log "node$n exited:"; tail -5 "$TMP/node$n.log" >&2; return 1; }
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/" || true) != 000 ]] && { echo "$pid"; return 0; }
    sleep 0.5
  done
  log "node$n did not answer"; return 1
}
# The nodes were started in command substitutions, so they are not this shell's children: poll.
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$p" 2>/dev/null || true
  done
  pids=()
}
bench() { # NODE WORKLOAD PID LABEL
  local port=$((19200 + 2 * $1))
  "$TMP/bin/coffer-bench" -endpoint "http://127.0.0.1:$port" -access-key "$AK" -secret-key "$SK" \
    -workload "$2" -duration "$DURATION" -bucket "bench-$2-n$1-$(date +%s%N)" -server-pid "$3" -label "$4" -json
}

echo "| workload | round | one node | node1 of two | node2 of two | two nodes, aggregate | aggregate / one node | load |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for w in "${workloads[@]}"; do
  for r in $(seq 1 "$ROUNDS"); do
    s=tn_$(date +%s)_$$_$r
    rm -rf "$TMP/data"; mkdir -p "$TMP/data"
    p=$(start_node 1 "$TMP/data" "${s}_one"); pids=("$p")
    log "$w round $r: one node"
    one=$(bench 1 "$w" "$p" one) || { log "one-node run failed"; stop_all; continue; }
    stop_all
    rm -rf "$TMP/data"; mkdir -p "$TMP/data"
    p1=$(start_node 1 "$TMP/data" "${s}_two"); pids=("$p1")
    p2=$(start_node 2 "$TMP/data" "${s}_two"); pids+=("$p2")
    log "$w round $r: two nodes"
    bench 1 "$w" "$p1" node1 >"$TMP/n1.json" 2>>"$TMP/client.log" &
    b1=$!
    bench 2 "$w" "$p2" node2 >"$TMP/n2.json" 2>>"$TMP/client.log" &
    b2=$!
    ok=1
    wait "$b1" || ok=0
    wait "$b2" || ok=0
    stop_all
    [[ $ok == 1 ]] || { log "two-node run failed (see $TMP/client.log)"; tail -3 "$TMP/client.log" >&2; continue; }
    metric=$(jq -r '.metric' <<<"$one")
    field=ops_per_sec; [[ $metric == MiB/s ]] && field=mib_per_sec; [[ $metric == keys/s ]] && field=keys_per_sec
    v1=$(jq -r ".$field" <<<"$one")
    a=$(jq -r ".$field" "$TMP/n1.json"); b=$(jq -r ".$field" "$TMP/n2.json")
    e1=$(jq -r '.errors' <<<"$one"); ea=$(jq -r '.errors' "$TMP/n1.json"); eb=$(jq -r '.errors' "$TMP/n2.json")
    agg=$(echo "$a + $b" | bc -l)
    printf '| %s (%s) | %d | %s (errors %s) | %s (errors %s) | %s (errors %s) | %.1f | %.2f | %s |\n' \
      "$w" "$metric" "$r" "$v1" "$e1" "$a" "$ea" "$b" "$eb" "$agg" "$(echo "$agg / $v1" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
