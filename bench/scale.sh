#!/usr/bin/env bash
# scale.sh: scale checks of a running Coffer (issue 12, item 4), against a freshly built server
# with an empty data dir:
#
#   bench/scale.sh [--conns N] [--duration 30s] [--size BYTES] [conns] [multipart]
#
# conns      N concurrent keep-alive connections (default 1,000) of small GETs (coffer-bench
#            get4k: 4 KiB objects out of 2,000 pre-written), for --duration; reports ops/s,
#            p50/p99, errors, established connections seen on the server's port, the server's
#            open-file limit and its peak RSS.
# multipart  an upload of --size bytes (default 5 GiB) with the aws CLI (`aws s3 cp -` from a
#            pipe: multipart, 8 MiB parts, 10 parts in flight, the CLI's defaults) and its
#            download to a pipe; reports throughput and the server's RSS sampled every 200 ms
#            (idle, peak during the upload, peak during the download), and checks that the
#            download's SHA-256 is the upload's. Neither the source nor the copy touches the
#            disk; the server stores --size bytes in its data dir.
# Default: both. The 10-million-object check of the object layer is `go run ./bench/scale`.
# Env: COFFER_PORT (19300), COFFER_ADMIN_PORT (19301), COFFER_BIN (a prebuilt binary), OUT (a
#   file the summary is appended to), PROFILE_DIR (the server runs with --pprof and, mid-run,
#   each check saves its heap profile and goroutine count there; pprof is on the admin listener,
#   HTTPS with the server's self-signed certificate). Run it under `nice -n 10` on a shared machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$here" rev-parse --show-toplevel)
CONNS=1000
DURATION=30s
SIZE=$((5 << 30))
COFFER_PORT=${COFFER_PORT:-19300}
COFFER_ADMIN_PORT=${COFFER_ADMIN_PORT:-19301}
AK=scaleaccesskey
SK=scalesecretkey123
checks=()
usage() { sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
while (($#)); do
  case $1 in
    --conns) CONNS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --size) SIZE=$2; shift ;;
    conns|multipart) checks+=("$1") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
((${#checks[@]})) || checks=(conns multipart)
[[ $CONNS =~ ^[1-9][0-9]*$ && $SIZE =~ ^[1-9][0-9]*$ ]] || { echo "--conns and --size take positive integers" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/coffer-scale.XXXXXX")
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
summary() { echo "$*"; [[ -z ${OUT:-} ]] || echo "$*" >>"$OUT"; }
now_ms() { date +%s%3N; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p=$1
  while ! port_free "$p" || [[ " ${*:2} " == *" $p "* ]]; do p=$((p + 1)); done
  echo "$p"
}

coffer_pid="" sampler_pid=""
cleanup() {
  [[ -z $sampler_pid ]] || kill "$sampler_pid" 2>/dev/null || true
  if [[ -n $coffer_pid ]]; then
    kill -TERM "$coffer_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$coffer_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$coffer_pid" 2>/dev/null || true
    wait "$coffer_pid" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$ROOT"
log "building coffer-bench and coffer (or copying COFFER_BIN)"
go build -o "$TMP/coffer-bench" ./cmd/coffer-bench
if [[ -n ${COFFER_BIN:-} ]]; then cp "$COFFER_BIN" "$TMP/coffer"; else go build -o "$TMP/coffer" ./cmd/coffer; fi

COFFER_PORT=$(pick_port "$COFFER_PORT")
COFFER_ADMIN_PORT=$(pick_port "$COFFER_ADMIN_PORT" "$COFFER_PORT")
mkdir -p "$TMP/data"
pprof=()
[[ -z ${PROFILE_DIR:-} ]] || { mkdir -p "$PROFILE_DIR"; pprof=(--pprof); }
COFFER_ROOT_ACCESS_KEY=$AK COFFER_ROOT_SECRET_KEY=$SK COFFER_METADATA= \
  "$TMP/coffer" server "${pprof[@]}" --data-dir "$TMP/data" \
  --s3-addr "127.0.0.1:$COFFER_PORT" --admin-addr "127.0.0.1:$COFFER_ADMIN_PORT" \
  >>"$TMP/coffer.log" 2>&1 </dev/null &
coffer_pid=$!
ENDPOINT=http://127.0.0.1:$COFFER_PORT
for i in $(seq 1 120); do
  kill -0 "$coffer_pid" 2>/dev/null || { log "coffer exited:"; tail -5 "$TMP/coffer.log" >&2; exit 1; }
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$ENDPOINT/" || true) != 000 ]] && break
  ((i < 120)) || { log "coffer did not answer on $ENDPOINT"; exit 1; }
  sleep 0.5
done
log "coffer pid $coffer_pid on $ENDPOINT (data $TMP/data)"

# The server's VmRSS every 200 ms: "ms-since-epoch KiB" lines.
rss_file=$TMP/rss.txt
(
  while kill -0 "$coffer_pid" 2>/dev/null; do
    echo "$(date +%s%3N) $(awk '/^VmRSS:/{print $2}' "/proc/$coffer_pid/status" 2>/dev/null)"
    sleep 0.2
  done
) >"$rss_file" &
sampler_pid=$!
# peak_rss FROM_MS TO_MS: the largest sample in the window, in MiB; and the number of samples.
peak_rss() { awk -v a="$1" -v b="$2" '$1>=a && $1<=b && $2!="" {n++; if ($2>m) m=$2} END {printf "%.0f MiB (%d samples)", m/1024, n}' "$rss_file"; }
# profile NAME: the server's heap profile and goroutine count, when PROFILE_DIR is set.
profile() {
  [[ -n ${PROFILE_DIR:-} ]] || return 0
  local a=https://127.0.0.1:$COFFER_ADMIN_PORT/debug/pprof
  curl -sk --max-time 60 -o "$PROFILE_DIR/$1.heap.pprof" "$a/heap" || log "heap profile failed"
  curl -sk --max-time 60 "$a/goroutine?debug=1" | head -1 >"$PROFILE_DIR/$1.goroutines.txt" || true
  log "profile $1: $(cat "$PROFILE_DIR/$1.goroutines.txt" 2>/dev/null)"
}
rss_now() { awk '/^VmRSS:/{printf "%.0f MiB", $2/1024}' "/proc/$coffer_pid/status"; }
summary "scale.sh $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git rev-parse --short HEAD), server RSS idle $(rss_now), load $(load)"

check_conns() {
  local nofile out t0 t1 est=0 n
  nofile=$(awk '/^Max open files/{print $4 " soft / " $5 " hard"}' "/proc/$coffer_pid/limits")
  log "conns: $CONNS connections of 4 KiB GETs for $DURATION (server open files: $nofile)"
  t0=$(now_ms)
  # Count the connections established on the server's port while the run is at full load.
  (
    sleep 8 # pre-fill of 2,000 objects, then the timed phase starts
    for _ in 1 2 3 4 5; do
      ss -Htn state established "( sport = :$COFFER_PORT )" 2>/dev/null | wc -l
      sleep 3
    done
    profile conns >&2
  ) >"$TMP/est.txt" &
  local counter=$!
  out=$("$TMP/coffer-bench" -endpoint "$ENDPOINT" -access-key "$AK" -secret-key "$SK" -workload get4k \
    -concurrency "$CONNS" -duration "$DURATION" -bucket scale-conns -server-pid "$coffer_pid" -label coffer -json \
    2>"$TMP/conns-client.log") || { log "coffer-bench failed:"; tail -5 "$TMP/conns-client.log" >&2; wait "$counter" || true; return 1; }
  t1=$(now_ms)
  wait "$counter" || true
  est=$(sort -n "$TMP/est.txt" | tail -1)
  n=$(jq -r '.errors' <<<"$out")
  summary "conns: $CONNS clients, 4 KiB GETs, $DURATION: $(jq -r '"\(.ops_per_sec) ops/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, errors \(.errors), server RSS max \(.server_rss_max_mib) MiB (VmHWM \(.server_hwm_mib) MiB), client \(.client_cores) cores, load \(.loadavg_1m)"' <<<"$out"); established on the server port (max of 5 samples): $est; RSS sampled every 200 ms: peak $(peak_rss "$t0" "$t1"); server open files $nofile; load after $(load)"
  echo "$out" >"$TMP/conns.json"
  [[ $n == 0 ]] || { log "conns: $n errors"; return 1; }
  ((est >= CONNS)) || { log "conns: only $est connections were established at once (want $CONNS)"; return 1; }
}

check_multipart() {
  local t0 t1 t2 t3 src dst secs mib etag size
  export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
  export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=
  # The CLI's documented defaults, written out so that a changed default cannot change the run.
  printf '[default]\ns3 =\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n  max_concurrent_requests = 10\n' >"$AWS_CONFIG_FILE"
  local aws=(aws --endpoint-url "$ENDPOINT")
  # (set -e does not apply inside a function called with ||: every step checks itself.)
  "${aws[@]}" s3 mb s3://scale-multipart >/dev/null || return 1
  mib=$((SIZE >> 20))
  log "multipart: uploading $mib MiB from a pipe (server RSS now $(rss_now), load $(load))"
  t0=$(now_ms)
  (sleep 60; profile upload) &
  head -c "$SIZE" /dev/urandom | tee >(sha256sum | cut -d' ' -f1 >"$TMP/src.sha") |
    "${aws[@]}" s3 cp - s3://scale-multipart/big --expected-size "$SIZE" --only-show-errors ||
    { log "multipart: the upload failed"; return 1; }
  t1=$(now_ms)
  sleep 1
  for _ in $(seq 1 20); do [[ -s $TMP/src.sha ]] && break; sleep 0.5; done
  src=$(cat "$TMP/src.sha")
  read -r size etag < <("${aws[@]}" s3api head-object --bucket scale-multipart --key big --output json | jq -r '"\(.ContentLength) \(.ETag)"') ||
    { log "multipart: head-object failed"; return 1; }
  log "multipart: stored $size bytes, ETag $etag; downloading to a pipe (server RSS now $(rss_now), load $(load))"
  t2=$(now_ms)
  dst=$("${aws[@]}" s3 cp s3://scale-multipart/big - --only-show-errors | sha256sum | cut -d' ' -f1) ||
    { log "multipart: the download failed"; return 1; }
  t3=$(now_ms)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1000}')
  summary "multipart upload: $mib MiB in $secs s = $(awk -v m="$mib" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", m*1000/(b-a)}') MiB/s (aws CLI, 8 MiB parts, 10 in flight), ETag $etag; server RSS peak $(peak_rss "$t0" "$t1"); load $(load)"
  secs=$(awk -v a="$t2" -v b="$t3" 'BEGIN{printf "%.1f", (b-a)/1000}')
  summary "multipart download: $mib MiB in $secs s = $(awk -v m="$mib" -v a="$t2" -v b="$t3" 'BEGIN{printf "%.0f", m*1000/(b-a)}') MiB/s; server RSS peak $(peak_rss "$t2" "$t3"); load $(load)"
  summary "multipart: sha256 upload $src, download $dst: $([[ $src == "$dst" ]] && echo identical || echo DIFFERENT); stored size $size (want $SIZE)"
  [[ $src == "$dst" && $size == "$SIZE" ]]
}

status=0
for c in "${checks[@]}"; do
  "check_$c" || status=1
  sleep 2
done
summary "server RSS at the end $(rss_now); peak of all samples $(peak_rss 0 99999999999999)"
exit $status
